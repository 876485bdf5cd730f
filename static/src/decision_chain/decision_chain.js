/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The buying centre of a deal drawn as an org chart: each person under whom
 * they report to, coloured by attitude, with their role tags.
 */
export class DecisionChainField extends Component {
    static template = "kam_sales_process.DecisionChainField";
    static props = { ...standardFieldProps };

    get people() {
        return this.props.record.data[this.props.name] || [];
    }

    /** Top-level people (nobody on the deal above them), then their reports, recursively. */
    get roots() {
        const ids = new Set(this.people.map((p) => p.id));
        return this.people.filter((p) => !p.parent_id || !ids.has(p.parent_id));
    }

    reportsOf(person) {
        return this.people.filter((p) => p.parent_id === person.id);
    }

    get emptyText() {
        return _t("Add people in the Buying Centre tab to draw the decision chain.");
    }
}

registry.category("fields").add("kam_decision_chain", {
    component: DecisionChainField,
    supportedTypes: ["json"],
});
