/** @odoo-module **/

import { registry } from "@web/core/registry";

// A sales manager forces a deal past its unmet milestones; the chatter keeps the reason.
registry.category("web_tour.tours").add("kam_stage_override_tour", {
    steps: () => [
        {
            content: "open the override wizard",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_kam_open_override]",
            run: "click",
        },
        {
            content: "pick the stage",
            trigger: ".modal .o_field_widget[name=stage_id] input",
            run: "edit S3",
        },
        {
            content: "select it",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('S3')",
            run: "click",
        },
        {
            content: "the wizard lists the milestones skipped",
            trigger: ".modal .o_field_widget[name=unmet_summary]:contains('Budget known')",
        },
        {
            content: "say why",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The CEO committed at the trade fair; budget paper follows.",
        },
        {
            content: "force the stage",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "the deal is in S3",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('S3')",
        },
        {
            content: "the chatter shows the reason",
            trigger: ".o-mail-Message:contains('The CEO committed at the trade fair')",
        },
    ],
});
