/** @odoo-module **/

import { Component, markup, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useRecordObserver } from "@web/model/relational_model/utils";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * The milestones of a deal's current stage, as plain values read in one query when
 * the Gate tab opens (``crm.lead.kam_read_gate_rows``): the form does not read them
 * with the deal, so opening a deal costs no gate query; a list of the rows themselves
 * would read the rows, their milestones and who ticked them. Read again each time
 * the deal is read from the server (saved, reloaded, after a tick). Checklist items are
 * ticked and reset here; a row opens in its own form, where its evidence (a note,
 * files) is kept.
 */
export class GateRowsWidget extends Component {
    static template = "kam_sales_process.GateRowsWidget";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        // rows: null until read; key: the saved position they were read for
        this.state = useState({ rows: null, key: null });
        this.readFrom = null;
        useRecordObserver((record) => this.follow(record));
    }

    /** Where the deal stands (``data``: as shown, or as saved): the rows of a stage depend on it, its
     * team and its company. */
    position(record, data = record.data) {
        const { stage_id, team_id, company_id } = data; // many2ones: [id, name] or false
        return JSON.stringify([record.resId, stage_id?.[0], team_id?.[0], company_id?.[0]]);
    }

    /** Read the rows again whenever the deal is read from the server (opened, saved, reloaded): a
     * condition milestone may follow a field just saved; not on a change not saved yet. */
    async follow(record) {
        this.position(record); // followed: a load, a save or a change calls again
        if (!record.isNew && record._values !== this.readFrom) {
            await this.read(record);
        }
    }

    async read(record = this.props.record) {
        this.readFrom = record._values; // the deal's values as last read from the server
        const key = this.position(record, record._values);
        const rows = await this.orm.call("crm.lead", "kam_read_gate_rows", [[record.resId]]);
        Object.assign(this.state, { rows, key });
    }

    /** A new deal, or a stage, team or company changed and not saved yet: its rows are not known. */
    get pending() {
        const record = this.props.record;
        return record.isNew || (this.state.key !== null && this.position(record) !== this.state.key);
    }

    /** The rows as read. */
    get value() {
        return this.pending ? [] : this.state.rows || [];
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

    /** The deal and its rows as they are now on the server. */
    async reload() {
        await this.props.record.load();
        await this.follow(this.props.record);
    }

    async callRow(row, method) {
        if (!(await this.saveDeal())) {
            return;
        }
        try {
            await this.orm.call("kam.lead.milestone", method, [[row.id]]);
        } finally {
            await this.reload();
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
            { onClose: () => this.reload() }
        );
    }
}

export const gateRowsWidget = {
    component: GateRowsWidget,
};

registry.category("view_widgets").add("kam_gate_rows", gateRowsWidget);
