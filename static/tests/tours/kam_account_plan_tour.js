/** @odoo-module **/

import { registry } from "@web/core/registry";

// An account manager fills the plan of their account: a revenue target, an objective,
// an action tied to it; the progress comes from the deals already won.
registry.category("web_tour.tours").add("kam_account_plan_tour", {
    steps: () => [
        {
            content: "set the revenue target",
            trigger: ".o_field_widget[name=revenue_target] input",
            run: "edit 1000000",
        },
        {
            content: "add an objective",
            trigger: ".o_field_widget[name=objective_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "name it",
            trigger: ".o_field_widget[name=objective_ids] .o_selected_row .o_field_widget[name=name] input",
            run: "edit Win the rolling mill",
        },
        {
            content: "it is a revenue objective",
            trigger: ".o_field_widget[name=objective_ids] .o_selected_row .o_field_widget[name=kind] select",
            run: 'select "revenue"',
        },
        {
            content: "save the plan",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "the won deals count: 30 % of the target",
            trigger: ".o_field_widget[name=revenue_progress]:contains('30')",
        },
        {
            content: "open the action plan",
            trigger: ".o_notebook .nav-link:contains('Action Plan')",
            run: "click",
        },
        {
            content: "add an action",
            trigger: ".o_field_widget[name=action_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "name it",
            trigger: ".o_field_widget[name=action_ids] .o_selected_row .o_field_widget[name=name] input",
            run: "edit Plant tour with the chief engineer",
        },
        {
            content: "tie it to the objective",
            trigger: ".o_field_widget[name=action_ids] .o_selected_row .o_field_widget[name=objective_id] input",
            run: "edit Win the rolling",
        },
        {
            content: "pick the objective",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Win the rolling mill')",
            run: "click",
        },
        {
            content: "save the plan",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_form_saved",
        },
    ],
});
