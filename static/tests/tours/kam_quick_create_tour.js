/** @odoo-module **/

import { registry } from "@web/core/registry";

// Quick-creating a deal in a later column is refused with the gate's message, not a client error.
registry.category("web_tour.tours").add("kam_quick_create_tour", {
    steps: () => [
        {
            content: "quick-create in the S2 column",
            trigger: ".o_kanban_group:has(.o_column_title:contains('S2')) .o_kanban_quick_add",
            run: "click",
        },
        {
            content: "name the deal",
            trigger: ".o_kanban_quick_create .o_field_widget[name=name] input",
            run: "edit Furnace relining",
        },
        {
            content: "add it",
            trigger: ".o_kanban_quick_create .o_kanban_add",
            run: "click",
        },
        {
            content: "the gate refuses, naming the milestone",
            trigger: ".modal:contains('cannot move forward'):contains('Budget known'):not(:has(.o_error_detail))",
        },
        {
            content: "no client error behind it",
            trigger: "body:not(:has(.modal-title:contains('Client Error'))):not(:has(.o_notification:contains('Client Error')))",
        },
        {
            content: "close the message",
            trigger: ".modal:contains('cannot move forward') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "what was typed is still there",
            trigger: "body:not(:has(.modal)) .o_kanban_quick_create .o_field_widget[name=name] input:value(Furnace relining)",
        },
        {
            content: "give up the card",
            trigger: ".o_kanban_quick_create .o_kanban_cancel",
            run: "click",
        },
        {
            content: "the column is back as it was",
            trigger: ".o_kanban_renderer:not(:has(.o_kanban_quick_create))",
        },
    ],
});
