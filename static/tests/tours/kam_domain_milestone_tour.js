/** @odoo-module **/

import { registry } from "@web/core/registry";

// An admin adds a condition milestone to a stage with the domain editor; the kanban
// badge of the stage's deals counts it at once.
registry.category("web_tour.tours").add("kam_domain_milestone_tour", {
    steps: () => [
        {
            content: "open the Milestones tab of the stage",
            trigger: ".o_notebook .nav-link:contains('Milestones')",
            run: "click",
        },
        {
            content: "add a milestone",
            trigger: ".o_field_widget[name=kam_milestone_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "name it",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Large deal",
        },
        {
            content: "make it a condition",
            trigger: ".modal .o_field_widget[name=kind] .o_radio_item:contains('Condition') input",
            run: "click",
        },
        {
            content: "open the domain editor",
            trigger: ".modal .o_field_widget[name=condition_domain] button:contains('Edit Domain')",
            run: "click",
        },
        {
            content: "start a rule",
            trigger: ".modal .o_domain_selector a[role=button]:contains('New Rule')",
            run: "click",
        },
        {
            content: "open the field picker",
            trigger: ".modal .o_domain_selector .o_tree_editor_editor .o_model_field_selector",
            run: "click",
        },
        {
            content: "search Expected Revenue",
            trigger: ".o_model_field_selector_popover_search input",
            run: "edit Expected Revenue",
        },
        {
            content: "pick it",
            trigger: ".o_model_field_selector_popover_item_name:contains('Expected Revenue')",
            run: "click",
        },
        {
            content: "greater than",
            trigger: ".modal .o_domain_selector .o_tree_editor_editor select:not(:has(option[value='\"set\"'])):first, .modal .o_domain_selector .o_tree_editor_editor select:first",
            run: "select \">\"",
        },
        {
            content: "100,000",
            trigger: ".modal .o_domain_selector .o_tree_editor_editor:last input.o_input",
            run: "edit 100000 && press Tab",
        },
        {
            content: "confirm the domain",
            trigger: ".modal .modal-footer button:contains('Confirm')",
            run: "click",
        },
        {
            content: "the condition reads in words",
            trigger: ".modal .o_field_widget[name=condition_domain]:contains('Expected Revenue')",
        },
        {
            content: "save the milestone",
            trigger: ".modal .modal-footer button:contains('Save & Close')",
            run: "click",
        },
        {
            content: "it is listed",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=kam_milestone_ids] .o_data_row:contains('Large deal')",
        },
        {
            content: "save the stage",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("kam_domain_milestone_badge_tour", {
    steps: () => [
        {
            content: "the large deal counts the condition as met: 1 of 2",
            trigger: ".o_kanban_record:contains('Big retrofit') .o_kam_gate_badge:contains('1/2')",
        },
        {
            content: "the small deal does not: 0 of 2",
            trigger: ".o_kanban_record:contains('Small retrofit') .o_kam_gate_badge:contains('0/2')",
        },
        {
            content: "open the small deal",
            trigger: ".o_kanban_record:contains('Small retrofit') .o_kanban_record_title, .o_kanban_record:contains('Small retrofit') span:contains('Small retrofit')",
            run: "click",
        },
        {
            content: "its Gate tab",
            trigger: ".o_notebook .nav-link:contains('Gate')",
            run: "click",
        },
        {
            content: "the condition is not met",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_row:contains('Large deal') .badge:not(:contains('Done'))",
        },
        {
            content: "the deal grows",
            trigger: ".o_field_widget[name=expected_revenue] input",
            run: "edit 250000",
        },
        {
            content: "save it",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "saved, the tab shows the condition met",
            trigger: ".o_form_saved .o_widget_kam_gate_rows .o_kam_gate_row:contains('Large deal') .badge:contains('Done')",
        },
    ],
});
