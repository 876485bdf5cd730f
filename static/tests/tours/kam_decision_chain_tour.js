/** @odoo-module **/

import { registry } from "@web/core/registry";

// Opens a deal's Decision Chain tab and checks the org chart is drawn:
// the boss on top, their report below, coloured by attitude, with roles.
registry.category("web_tour.tours").add("kam_decision_chain_tour", {
    steps: () => [
        {
            content: "open the Decision Chain tab",
            trigger: ".o_notebook .nav-link:contains('Decision Chain')",
            run: "click",
        },
        {
            content: "the decision maker is drawn at the top, as a supporter",
            trigger: ".o_kam_chain_roots > .o_kam_chain_item > .o_kam_node.o_kam_attitude_supporter:contains('Wang Jun'):contains('Decision Maker')",
        },
        {
            content: "the technical buyer reports to them and opposes us",
            trigger: ".o_kam_node:contains('Wang Jun') + .o_kam_chain_level .o_kam_node.o_kam_attitude_opponent:contains('Liu Yang'):contains('Technical Buyer')",
        },
    ],
});
