/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * The buying centre of a deal drawn as an org chart: each person under whom
 * they report to, coloured by attitude, with their role tags.
 *
 * Drawn from the buying centre the form has already loaded (its list in the
 * Buying Centre tab): opening a deal costs nothing more for the chart, and it
 * follows unsaved edits of the list at once.
 */
export class DecisionChain extends Component {
    static template = "kam_sales_process.DecisionChain";
    static props = { ...standardWidgetProps };

    get people() {
        const list = this.props.record.data.kam_stakeholder_ids;
        if (!list) {
            return [];
        }
        return list.records
            .filter((person) => person.data.partner_id)
            .map((person) => {
                const data = person.data;
                const attitudes = Object.fromEntries(person.fields.attitude.selection || []);
                return {
                    id: person.resId || person.id,
                    parent_id: data.reports_to_id ? data.reports_to_id[0] : false,
                    name: data.partner_id[1] || "",
                    function: data.function || "",
                    attitude: data.attitude,
                    attitude_label: attitudes[data.attitude] || "",
                    influence: data.influence,
                    contacted: data.contacted,
                    roles: (data.role_ids ? data.role_ids.records : []).map((role) => ({
                        name: role.data.display_name,
                        color: role.data.color,
                    })),
                };
            });
    }

    /** Top-level people (nobody on the deal above them), then their reports, recursively. */
    get roots() {
        const people = this.people;
        const ids = new Set(people.map((p) => p.id));
        return people.filter((p) => !p.parent_id || !ids.has(p.parent_id));
    }

    reportsOf(person) {
        return this.people.filter((p) => p.parent_id === person.id);
    }

    get emptyText() {
        return _t("Add people in the Buying Centre tab to draw the decision chain.");
    }
}

registry.category("view_widgets").add("kam_decision_chain", {
    component: DecisionChain,
    fieldDependencies: [{ name: "kam_stakeholder_ids", type: "one2many" }],
});
