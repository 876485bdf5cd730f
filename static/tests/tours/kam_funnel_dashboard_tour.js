/** @odoo-module **/

import { registry } from "@web/core/registry";

// The director's Monday: the funnel dashboard names the bottleneck; its stuck deals open in one click.
registry.category("web_tour.tours").add("kam_funnel_dashboard_tour", {
    steps: () => [
        {
            content: "the funnel is drawn, one band per stage",
            trigger: ".o_kam_funnel_dashboard svg.o_kam_funnel_chart polygon.o_kam_bottleneck_band",
        },
        {
            content: "the bottleneck is named",
            trigger: ".o_kam_bottleneck_card .o_kam_bottleneck_name:contains('F2')",
        },
        {
            content: "the bottleneck's row shows its stuck deals",
            trigger: "tr.o_kam_bottleneck_row:has(.o_kam_stage_name:contains('F2')) a.o_kam_stuck_link:contains('3')",
            run: "click",
        },
        {
            content: "the stuck deals of that stage are listed",
            trigger: ".o_list_renderer .o_data_row:contains('Piled deal')",
        },
        {
            content: "three of them",
            trigger: ".o_list_renderer:not(:has(.o_data_row:nth-child(4))) .o_data_row:nth-child(3)",
        },
    ],
});
