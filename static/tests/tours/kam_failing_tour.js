/** @odoo-module **/

import { registry } from "@web/core/registry";

// Fails on purpose (tests/test_tours.py): a failing tour must leave a screenshot behind.
registry.category("web_tour.tours").add("kam_failing_tour", {
    steps: () => [
        {
            content: "an element that never exists",
            trigger: ".o_kam_this_never_exists",
            timeout: 1500,
        },
    ],
});
