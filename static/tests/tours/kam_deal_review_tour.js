/** @odoo-module **/

import { registry } from "@web/core/registry";

// A sales lead opens the week's review of the team, goes through its deals one after the
// other (the pager: Alt+N), scores a presentation, gives verdicts and a next step, then closes.
registry.category("web_tour.tours").add("kam_deal_review_tour", {
    steps: () => [
        {
            content: "open a new review",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "pick the team",
            trigger: ".o_field_widget[name=team_id] input",
            run: "edit Key Accounts",
        },
        {
            content: "select it",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Key Accounts')",
            run: "click",
        },
        {
            content: "save: the team's open deals come in",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "the deals are there",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:contains('Rolling mill')",
        },
        {
            content: "go through the deals",
            trigger: ".o_statusbar_buttons button[name=action_kam_go_through]",
            run: "click",
        },
        {
            content: "open the first deal",
            trigger: ".o_list_view .o_data_row:first .o_data_cell[name=lead_name]",
            run: "click",
        },
        {
            content: "the snapshot shows the deal",
            trigger: ".o_form_view .o_field_widget[name=lead_name]:contains('Rolling mill')",
        },
        {
            content: "the company's need",
            trigger: ".o_field_widget[name=company_need] textarea",
            run: "edit Cut the downtime of the rolling mill",
        },
        {
            content: "verdict: push",
            trigger: ".o_field_widget[name=verdict] input[data-value=push]",
            run: "click",
        },
        {
            content: "the next step",
            trigger: ".o_field_widget[name=next_step] textarea",
            run: "edit Meet the CFO with the ROI sheet",
        },
        {
            content: "score the presentation",
            trigger: ".o_field_widget[name=score_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "7+3 elements",
            trigger: ".o_field_widget[name=score_ids] .o_selected_row .o_field_widget[name=elements] input",
            run: "edit 45",
        },
        {
            content: "logic",
            trigger: ".o_field_widget[name=score_ids] .o_selected_row .o_field_widget[name=logic] input",
            run: "edit 15",
        },
        {
            content: "presentation",
            trigger: ".o_field_widget[name=score_ids] .o_selected_row .o_field_widget[name=presentation] input",
            run: "edit 15",
        },
        {
            content: "next deal (saves this one)",
            trigger: ".o_pager_next",
            run: "click",
        },
        {
            content: "the second deal",
            trigger: ".o_form_view .o_field_widget[name=lead_name]:contains('Warehouse racks')",
        },
        {
            content: "verdict: hold",
            trigger: ".o_field_widget[name=verdict] input[data-value=hold]",
            run: "click",
        },
        {
            content: "save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "back to the review",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Key Accounts')",
            run: "click",
        },
        {
            content: "the ranking counts the score",
            trigger: ".o_notebook .nav-link:contains('Ranking')",
            run: "click",
        },
        {
            content: "the presenter is ranked",
            trigger: ".o_field_widget[name=rank_ids] .o_data_row:contains('小张'):contains('75')",
        },
        {
            content: "close the review",
            trigger: ".o_statusbar_buttons button[name=action_kam_close]",
            run: "click",
        },
        {
            content: "confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the review is closed",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Closed')",
        },
    ],
});
