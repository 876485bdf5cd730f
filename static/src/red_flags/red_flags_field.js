/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * A deal's red flags as coloured tags, from the names and colours the deal's
 * ``kam_red_flag_badges`` carries: the cards and the form read no other table
 * to show them (the many2many tags widget would read the flags' relation and
 * their names on every kanban page and every form).
 */
export class RedFlagsField extends Component {
    static template = "kam_sales_process.RedFlagsField";
    static props = { ...standardFieldProps };

    get flags() {
        const value = this.props.record.data[this.props.name];
        return Array.isArray(value) ? value : [];
    }
}

export const redFlagsField = {
    component: RedFlagsField,
    displayName: _t("Red flags"),
    supportedTypes: ["json"],
};

registry.category("fields").add("kam_red_flags", redFlagsField);
