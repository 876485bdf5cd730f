/** @odoo-module **/

import { registry } from "@web/core/registry";

// A salesperson adds people with their roles to the buying centre: once a coach is
// tagged, the "No coach" red flag goes.
registry.category("web_tour.tours").add("kam_buying_centre_tour", {
    steps: () => [
        {
            content: "the deal has no coach",
            trigger: ".o_field_widget[name=kam_red_flag_badges] .o_tag:contains('No coach')",
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
            content: "pick Liu Yang",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_field_widget[name=partner_id] input",
            run: "edit Liu Yang",
        },
        {
            content: "select Liu Yang",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Liu Yang')",
            run: "click",
        },
        {
            content: "give the role Technical Buyer",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_field_widget[name=role_ids] input",
            run: "edit Technical",
        },
        {
            content: "select Technical Buyer",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Technical Buyer')",
            run: "click",
        },
        {
            content: "Technical Buyer is tagged",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_tag:contains('Technical Buyer')",
        },
        {
            content: "add a person",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "pick Zhao Li",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_field_widget[name=partner_id] input",
            run: "edit Zhao Li",
        },
        {
            content: "select Zhao Li",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Zhao Li')",
            run: "click",
        },
        {
            content: "give the role Coach",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_field_widget[name=role_ids] input",
            run: "edit Coach",
        },
        {
            content: "select Coach",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Coach')",
            run: "click",
        },
        {
            content: "Coach is tagged",
            trigger: ".o_field_widget[name=kam_stakeholder_ids] .o_selected_row .o_tag:contains('Coach')",
        },
        {
            content: "save the deal",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "the red flag is gone",
            // (the red flags field hides itself once empty)
            trigger: ".o_form_saved:not(:has(.o_field_widget[name=kam_red_flag_badges] .o_tag:contains('No coach')))",
        },
    ],
});
