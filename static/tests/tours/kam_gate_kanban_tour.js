/** @odoo-module **/

import { registry } from "@web/core/registry";

const card = ".o_kanban_record:contains('Steel plant retrofit')";

// A salesperson drags a deal onto a gated stage, reads the refusal, meets the
// milestone in the Gate tab and drags again.
registry.category("web_tour.tours").add("kam_gate_kanban_tour", {
    steps: () => [
        {
            content: "the deal waits in S1 with its gate blocked",
            trigger: `.o_kanban_group:has(.o_column_title:contains('S1')) ${card} .o_kam_gate_badge.text-bg-warning`,
        },
        {
            content: "its card shows the buying centre's red flags (no one tagged: no coach)",
            trigger: `${card} .o_field_widget[name=kam_red_flag_badges] .o_tag:contains('No coach')`,
        },
        {
            content: "drag it onto S2",
            trigger: `.o_kanban_group:has(.o_column_title:contains('S1')) ${card}`,
            run: "drag_and_drop (.o_opportunity_kanban .o_kanban_group:eq(1))",
        },
        {
            content: "the gate refuses, naming the milestone",
            trigger: ".modal:contains('cannot move forward'):contains('Budget known')",
        },
        {
            content: "close the refusal",
            trigger: ".modal:contains('cannot move forward') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the card is back in S1",
            trigger: `body:not(:has(.modal)) .o_kanban_group:has(.o_column_title:contains('S1')) ${card}`,
        },
        {
            content: "open the deal",
            trigger: `${card} .o_kanban_record_title, ${card} span:contains('Steel plant retrofit')`,
            run: "click",
        },
        {
            content: "try S2 on the statusbar",
            trigger: ".o_statusbar_status button:contains('S2')",
            run: "click",
        },
        {
            content: "refused again",
            trigger: ".modal:contains('cannot move forward')",
        },
        {
            content: "close it",
            trigger: ".modal:contains('cannot move forward') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the statusbar still shows S1, nothing left unsaved",
            trigger: "body:not(:has(.modal)) .o_form_saved .o_statusbar_status button.o_arrow_button_current:contains('S1')",
        },
        {
            content: "an unsaved change first",
            trigger: ".o_field_widget[name=expected_revenue] input",
            run: "edit 5000",
        },
        {
            content: "then S2 on the statusbar",
            trigger: ".o_statusbar_status button:contains('S2')",
            run: "click",
        },
        {
            content: "refused with the change",
            trigger: ".modal:contains('cannot move forward')",
        },
        {
            content: "close the refusal",
            trigger: ".modal:contains('cannot move forward') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the statusbar shows S1 again, the change kept unsaved",
            trigger: "body:not(:has(.modal)) .o_form_dirty .o_statusbar_status button.o_arrow_button_current:contains('S1')",
        },
        {
            content: "the change kept",
            trigger: ".o_field_widget[name=expected_revenue] input:value(5,000.00)",
        },
        {
            content: "discard it",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "the deal as saved",
            trigger: ".o_form_saved .o_statusbar_status button.o_arrow_button_current:contains('S1')",
        },
        {
            content: "open the Gate tab",
            trigger: ".o_notebook .nav-link:contains('Gate')",
            run: "click",
        },
        {
            content: "tick the milestone",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_row:contains('Budget known') button[name=action_done]",
            run: "click",
        },
        {
            content: "the gate opens",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_row:contains('Budget known') button[name=action_reset]",
        },
        {
            content: "the tab says so",
            trigger: ".o_notebook .badge.text-bg-success:contains('Gate open')",
        },
        {
            content: "open the milestone to keep its evidence",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_row:contains('Budget known') .o_kam_gate_row_open",
            run: "click",
        },
        {
            content: "write the evidence",
            trigger: ".modal .o_field_widget[name=evidence] textarea",
            run: "edit The CFO confirmed the budget by e-mail.",
        },
        {
            content: "save the milestone",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "the dialog closes on the deal, the milestone still done",
            trigger: "body:not(:has(.modal)) .o_widget_kam_gate_rows .o_kam_gate_row:contains('Budget known') .badge:contains('Done')",
        },
        {
            content: "the deal's team, in the Extra Information tab",
            trigger: ".o_notebook .nav-link:contains('Extra Information')",
            run: "click",
        },
        {
            content: "another team picked, not saved yet",
            trigger: ".o_field_widget[name=team_id] input",
            run: "edit Other Team",
        },
        {
            content: "pick it",
            trigger: ".o_field_widget[name=team_id] .dropdown-item:contains('Other Team')",
            run: "click",
        },
        {
            content: "back to the Gate tab",
            trigger: ".o_notebook .nav-link:contains('Gate')",
            run: "click",
        },
        {
            content: "the tab says its rows show once the deal is saved, not the old team's",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_pending:not(:has(.o_kam_gate_row))",
        },
        {
            content: "discard the change",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "the rows as saved again",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_row:contains('Budget known') .badge:contains('Done')",
        },
        {
            content: "a new deal",
            trigger: ".o_form_button_create",
            run: "click",
        },
        {
            content: "its Gate tab",
            trigger: ".o_form_editable .o_notebook .nav-link:contains('Gate')",
            run: "click",
        },
        {
            content: "no rows before it is saved",
            trigger: ".o_widget_kam_gate_rows .o_kam_gate_pending:contains('once the deal is saved')",
        },
        {
            content: "discard it",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "back on the pipeline",
            trigger: "body:not(:has(.o_form_view)) .o_opportunity_kanban",
        },
        {
            content: "the badge is green",
            trigger: `.o_kanban_group:has(.o_column_title:contains('S1')) ${card} .o_kam_gate_badge.text-bg-success`,
        },
        {
            content: "drag it onto S2 again",
            trigger: `.o_kanban_group:has(.o_column_title:contains('S1')) ${card}`,
            run: "drag_and_drop (.o_opportunity_kanban .o_kanban_group:eq(1))",
        },
        {
            content: "the deal is in S2",
            trigger: `body:not(:has(.modal)) .o_kanban_group:has(.o_column_title:contains('S2')) ${card}`,
        },
    ],
});
