/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatMonetary } from "@web/views/fields/formatters";

/**
 * The funnel dashboard (CRM › Reporting › Funnel Dashboard): one pipeline's
 * funnel as a funnel, its bottleneck, the stuck deals, the milestones holding
 * deals back and this month's overrides.  All figures come from one call,
 * kam.funnel.report.get_kam_dashboard, under the user's access rights.
 */
export class FunnelDashboard extends Component {
    static template = "kam_sales_process.FunnelDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load(this.props.action?.context?.team_id));
    }

    async load(teamId) {
        this.state.data = await this.orm.call("kam.funnel.report", "get_kam_dashboard", [], {
            team_id: teamId || false,
        });
    }

    onTeamChange(ev) {
        this.load(parseInt(ev.target.value, 10));
    }

    /** The funnel's bands: width follows the open deals of each stage (never below a readable minimum). */
    get bands() {
        const stages = this.state.data.stages;
        const most = Math.max(1, ...stages.map((s) => Math.max(s.open_now, s.expected_open)));
        const height = 44;
        return stages.map((stage, index) => {
            const width = 30 + (70 * stage.open_now) / most;
            const next = stages[index + 1];
            const nextWidth = next ? 30 + (70 * next.open_now) / most : width * 0.8;
            const top = (100 - width) / 2;
            const bottom = (100 - nextWidth) / 2;
            const y = index * height;
            return {
                stage,
                y,
                points: `${top},${y} ${100 - top},${y} ${100 - bottom},${y + height - 4} ${bottom},${y + height - 4}`,
                isBottleneck: this.state.data.bottleneck?.stage_id === stage.stage_id,
            };
        });
    }

    get funnelHeight() {
        return Math.max(44, this.state.data.stages.length * 44);
    }

    money(value) {
        return formatMonetary(value, { currencyId: false, digits: [16, 0] }) + " " + this.state.data.currency;
    }

    number(value) {
        return value === null || value === undefined ? "—" : formatFloat(value, { digits: [16, 1] });
    }

    openStuck(stageId) {
        const domain = [
            ["team_id", "=", this.state.data.team_id],
            ["kam_is_stuck", "=", true],
        ];
        if (stageId) {
            domain.push(["stage_id", "=", stageId]);
        }
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Stuck Deals"),
            res_model: "crm.lead",
            views: [
                [false, "list"],
                [false, "kanban"],
                [false, "form"],
            ],
            domain,
        });
    }

    openDeal(id) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.lead",
            res_id: id,
            views: [[false, "form"]],
        });
    }

    openBlocking(milestoneId) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Deals Waiting"),
            res_model: "kam.milestone.report",
            views: [[false, "list"]],
            domain: [
                ["team_id", "=", this.state.data.team_id],
                ["milestone_id", "=", milestoneId],
                ["waiting", "=", 1],
            ],
        });
    }

    openOverrides() {
        this.action.doAction("kam_sales_process.kam_stage_history_action_overrides");
    }
}

registry.category("actions").add("kam_funnel_dashboard", FunnelDashboard);
