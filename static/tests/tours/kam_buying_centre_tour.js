/** @odoo-module **/

import { registry } from "@web/core/registry";

// A salesperson tags a coach in the buying centre: the "No coach" red flag goes.
registry.category("web_tour.tours").add("kam_buying_centre_tour", {
    steps: () => [
        {
            content: "the deal has no coach",
            trigger: ".o_field_widget[name=kam_red_flag_ids] .o_tag:contains('No coach')",
        },
        {
            content: "open the Buying Centre tab",
            trigger: ".o_notebook .nav-link:contains('Buying Centre')",
            run: "click",
        },
        {
            content: "add a person",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "pick the insider",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_data_row .o_field_widget[name=partner_id] input",
            run: "edit Zhao Li",
        },
        {
            content: "select them",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Zhao Li')",
            run: "click",
        },
        {
            content: "give the role",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_data_row .o_field_widget[name=role_ids] input",
            run: "edit Coach",
        },
        {
            content: "select Coach",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Coach')",
            run: "click",
        },
        {
            content: "save the deal",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "the red flag is gone",
            // (the red flags field hides itself once empty)
            trigger: ".o_form_saved:not(:has(.o_field_widget[name=kam_red_flag_ids] .o_tag:contains('No coach')))",
        },
    ],
});
