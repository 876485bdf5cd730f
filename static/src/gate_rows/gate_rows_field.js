/** @odoo-module **/

import { Component, markup } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The milestones of a deal's current stage, from the plain values the deal's
 * ``kam_gate_rows`` carries (one query with the deal): a list of the rows
 * themselves would read the rows, their milestones and who ticked them.
 * Checklist items are ticked and reset here; a row opens in its own form, where
 * its evidence (a note, files) is kept.
 */
export class GateRowsField extends Component {
    static template = "kam_sales_process.GateRowsField";
    static props = { ...standardFieldProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
    }

    /** The rows as the deal carries them. */
    get value() {
        const value = this.props.record.data[this.props.name];
        return Array.isArray(value) ? value : [];
    }

    /** The rows as the table shows them. */
    get rows() {
        return this.value.map((row) => ({
            ...row,
            guidance: row.guidance ? markup(row.guidance) : "",
            doneDate: row.done_date ? formatDateTime(deserializeDateTime(row.done_date)) : "",
        }));
    }

    /** The gate's badge, from the same rows: every milestone of the stage met, or not. */
    get summary() {
        const rows = this.value;
        const done = rows.filter((row) => row.met).length;
        return { done, total: rows.length, open: done === rows.length };
    }

    get daysInStage() {
        return this.props.record.data.kam_days_in_stage;
    }

    canTick(row) {
        return row.kind === "check" && row.state === "todo";
    }

    canReset(row) {
        return row.kind === "check" && row.state === "done" && !row.passed;
    }

    badgeClass(row) {
        return {
            done: "text-bg-success",
            waived: "text-bg-secondary",
            todo: row.met ? "text-bg-info" : "text-bg-warning",
        }[row.state];
    }

    /** The deal is saved first, as a button of the form does; then re-read. */
    async saveDeal() {
        const record = this.props.record;
        return (await record.isDirty()) ? record.save() : true;
    }

    async callRow(row, method) {
        if (!(await this.saveDeal())) {
            return;
        }
        try {
            await this.orm.call("kam.lead.milestone", method, [[row.id]]);
        } finally {
            await this.props.record.load();
        }
    }

    async openRow(row) {
        if (!(await this.saveDeal())) {
            return;
        }
        await this.action.doAction(
            {
                type: "ir.actions.act_window",
                name: _t("Deal Milestone"),
                res_model: "kam.lead.milestone",
                res_id: row.id,
                views: [[false, "form"]],
                target: "new",
            },
            { onClose: () => this.props.record.load() }
        );
    }
}

export const gateRowsField = {
    component: GateRowsField,
    displayName: _t("Gate milestones"),
    supportedTypes: ["json"],
};

registry.category("fields").add("kam_gate_rows", gateRowsField);
