/** @odoo-module **/

import { registry } from "@web/core/registry";

// Key Accounts: the list shows tier and phase; the suggested phase is applied in one click.
registry.category("web_tour.tours").add("kam_key_accounts_tour", {
    steps: () => [
        {
            content: "the account is listed with its tier",
            trigger: ".o_list_renderer .o_data_row:contains('Shougang Steel') .o_field_widget[name=tier_id]:contains('Maintain')",
        },
        {
            content: "and its phase",
            trigger: ".o_list_renderer .o_data_row:contains('Shougang Steel') .o_field_widget[name=phase]:contains('Exploratory')",
        },
        {
            content: "open the account",
            trigger: ".o_list_renderer .o_data_row:contains('Shougang Steel') .o_data_cell[name=partner_id]",
            run: "click",
        },
        {
            content: "open the Relationship tab",
            trigger: ".o_notebook .nav-link:contains('Relationship')",
            run: "click",
        },
        {
            content: "the suggestion says why",
            trigger: ".o_kam_phase_suggestion:contains('Basic'):contains('1 won deals')",
        },
        {
            content: "apply it",
            trigger: ".o_kam_phase_suggestion button.o_kam_apply_phase",
            run: "click",
        },
        {
            content: "the phase is Basic, the suggestion is gone",
            trigger: ".o_form_view:not(:has(.o_kam_phase_suggestion:visible)) .o_field_widget[name=phase] .o_arrow_button_current:contains('Basic')",
        },
        {
            content: "and the history has the change",
            trigger: ".o_field_widget[name=phase_history_ids] .o_data_row:contains('Suggestion applied')",
        },
    ],
});
