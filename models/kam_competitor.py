"""Competitors: who we fight on each deal, and whom we lose to.

``kam.competitor`` is the list of competitors; ``kam.lead.competitor`` is one
competitor in play on one deal, with its status and the customer's view of it;
a lost deal names the competitor it was lost to (``crm.lead.kam_lost_to_id``).
Win rates, lost revenue and the head-to-head per stage are grouped queries
(``kam.competitor.report``), never one query per competitor.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .kam_fields import DealLines
from .kam_guards import (
    check_parents_writable,
    drop_forged_defaults,
    parent_ids,
    refuse_system_fields,
    strip_forged_defaults,
)

COMPETITOR_STATUSES = [
    ("incumbent", "Incumbent"),
    ("shortlisted", "Shortlisted"),
    ("preferred", "Preferred"),
    ("eliminated", "Eliminated"),
]


class KamCompetitor(models.Model):
    _name = "kam.competitor"
    _description = "Competitor"
    _order = "name, id"

    name = fields.Char(required=True, help="The competitor's name.")
    active = fields.Boolean(default=True, help="Archived competitors are kept on past deals but not offered.")
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to share the competitor between companies."
    )
    color = fields.Integer(help="Colour of the competitor's tag.")
    website = fields.Char(help="The competitor's website.")
    profile = fields.Html(
        help="What we know of the competitor: offer, prices, references, the customers' buying preferences it "
        "serves, substitute solutions."
    )
    lead_competitor_ids = fields.One2many(
        "kam.lead.competitor", "competitor_id", string="Deals", help="The deals on which the competitor is in play."
    )
    deal_count = fields.Integer(
        string="Deals Met", compute="_compute_kam_results", help="Deals on which we met the competitor."
    )
    won_count = fields.Integer(
        string="Won Against", compute="_compute_kam_results", help="Deals won while the competitor was in play."
    )
    lost_count = fields.Integer(string="Lost To", compute="_compute_kam_results", help="Deals lost to this competitor.")
    win_rate = fields.Float(
        string="Win Rate (%)",
        compute="_compute_kam_results",
        digits=(5, 1),
        help="Deals won against the competitor out of the decided deals on which it was in play (won, or lost "
        "to anyone).",
    )
    lost_revenue = fields.Monetary(
        compute="_compute_kam_results",
        currency_field="currency_id",
        help="Expected revenue of the deals lost to this competitor.",
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_kam_results", help="The currency of the current company."
    )

    _sql_constraints = [("name_company_unique", "unique(name, company_id)", "This competitor exists already.")]

    def _compute_kam_results(self):
        """Counts and lost revenue of every competitor from two grouped queries (the report's rows)."""
        Report = self.env["kam.competitor.report"]
        groups = {}
        if self.ids:
            for competitor, met, won, decided, lost, lost_revenue in Report._read_group(
                [("competitor_id", "in", self.ids)],
                ["competitor_id"],
                ["__count", "won_count:sum", "decided_count:sum", "lost_to_count:sum", "lost_revenue:sum"],
            ):
                groups[competitor.id] = (met, won, decided, lost, lost_revenue)
        for competitor in self:
            met, won, decided, lost, lost_revenue = groups.get(competitor._origin.id, (0, 0, 0, 0, 0.0))
            competitor.deal_count = met
            competitor.won_count = won
            competitor.lost_count = lost
            competitor.win_rate = 100.0 * won / decided if decided else 0.0
            competitor.lost_revenue = lost_revenue
            competitor.currency_id = self.env.company.currency_id

    def action_open_report(self):
        action = self.env["ir.actions.actions"]._for_xml_id("kam_sales_process.kam_competitor_report_action")
        action["domain"] = [("competitor_id", "in", self.ids)]
        return action


class KamLeadCompetitor(models.Model):
    _name = "kam.lead.competitor"
    _description = "Competitor on a Deal"
    _order = "lead_id, sequence, id"

    sequence = fields.Integer(default=10)
    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    competitor_id = fields.Many2one(
        "kam.competitor",
        required=True,
        ondelete="restrict",
        index=True,
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
    )
    status = fields.Selection(
        COMPETITOR_STATUSES,
        required=True,
        default="shortlisted",
        help="Incumbent: supplies the customer today. Shortlisted: in the race. Preferred: the customer leans to "
        "them. Eliminated: out of the race.",
    )
    strengths = fields.Text(help="Where the competitor is stronger than us on this deal.")
    weaknesses = fields.Text(help="Where we beat the competitor on this deal.")
    preference_note = fields.Text(
        string="Customer's Preference", help="What the customer's people think of this competitor, and who prefers it."
    )

    _sql_constraints = [
        ("lead_competitor_unique", "unique(lead_id, competitor_id)", "A competitor appears once on a deal."),
    ]

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list))

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self)
        for vals in vals_list:
            refuse_system_fields(self, vals)
        check_parents_writable(self, self.env["crm.lead"].browse(set(parent_ids(self, vals_list, "lead_id"))))
        return super(KamLeadCompetitor, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals)
        if "lead_id" in vals and not self.env.su:
            raise UserError(self.env._("A competitor line cannot be moved to another deal: add it there instead."))
        check_parents_writable(self, self.lead_id)
        return super().write(vals)

    def unlink(self):
        check_parents_writable(self, self.lead_id)
        return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_lost_to(self):
        lost_to = self.filtered(lambda line: line.lead_id.kam_lost_to_id == line.competitor_id)
        if lost_to:
            raise UserError(
                self.env._(
                    "%(deals)s were lost to this competitor: clear 'Lost To' first.",
                    deals=", ".join(lost_to.lead_id.mapped("display_name")),
                )
            )


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_competitor_ids = DealLines(
        "kam.lead.competitor",
        "lead_id",
        string="Competitors in Play",
        kam_flag="kam_has_competitors",
        help="The competitors in play on this deal, with their status and the customer's view of them.",
    )
    kam_has_competitors = fields.Boolean(
        string="Has Competitors in Play",
        compute="_compute_kam_has_competitors",
        store=True,
        precompute=True,
        help="Whether the deal has a competitor in play: the form reads no competitors on a deal without.",
    )
    kam_lost_to_id = fields.Many2one(
        "kam.competitor",
        string="Lost To",
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        help="The competitor that won the deal we lost.",
    )

    kam_competition_known = fields.Char(
        string="Competitors Known",
        compute="_compute_kam_competition_known",
        help="The competitors recorded on the deal and their status: what the 7+3 item 'Competition' scores.",
    )

    @api.depends("kam_competitor_ids")
    def _compute_kam_has_competitors(self):
        for lead in self:
            lead.kam_has_competitors = bool(lead.kam_competitor_ids)

    @api.depends("kam_competitor_ids.competitor_id", "kam_competitor_ids.status")
    @api.depends_context("lang")
    def _compute_kam_competition_known(self):
        labels = dict(self.env["kam.lead.competitor"]._fields["status"]._description_selection(self.env))
        for lead in self:
            lines = lead.kam_competitor_ids
            lead.kam_competition_known = (
                ", ".join(f"{line.competitor_id.name} ({labels[line.status]})" for line in lines)
                if lines
                else self.env._("None recorded")
            )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads.filtered("kam_lost_to_id")._kam_sync_lost_to()
        return leads

    def write(self, vals):
        result = super().write(vals)
        if vals.get("kam_lost_to_id"):
            self._kam_sync_lost_to()
        return result

    def _kam_merge_competitors(self, opportunities):
        """The competitors in play on ``opportunities`` join this deal's: one line per competitor, this deal's
        where both have one."""
        self.ensure_one()
        Line = self.env["kam.lead.competitor"].sudo()
        present = set(self.sudo().kam_competitor_ids.competitor_id.ids)
        moved = Line
        for line in Line.search([("lead_id", "in", opportunities.ids)], order="id"):
            if line.competitor_id.id not in present:
                present.add(line.competitor_id.id)
                moved |= line
        if moved:
            moved.write({"lead_id": self.id})

    def _kam_sync_lost_to(self):
        """A deal lost to a competitor has that competitor in play (added where missing, marked preferred)."""
        Line = self.env["kam.lead.competitor"]
        lines = Line.search([("lead_id", "in", self.ids)])
        present = {(line.lead_id.id, line.competitor_id.id): line for line in lines}
        missing = []
        for lead in self:
            line = present.get((lead.id, lead.kam_lost_to_id.id))
            if line and line.status != "preferred":
                line.status = "preferred"
            elif not line:
                missing.append({"lead_id": lead.id, "competitor_id": lead.kam_lost_to_id.id, "status": "preferred"})
        if missing:
            Line.create(missing)


class KamCompetitorReport(models.Model):
    """One row per competitor in play on a deal: win rate, lost revenue and head-to-head per stage."""

    _name = "kam.competitor.report"
    _description = "Competitor Analysis"
    _auto = False
    _order = "competitor_id, lead_id"
    _rec_name = "competitor_id"
    _depends = {
        "kam.lead.competitor": ["lead_id", "competitor_id", "status"],
        "crm.lead": ["stage_id", "team_id", "company_id", "user_id", "active", "probability", "expected_revenue",
                     "kam_lost_to_id", "date_closed", "type"],
        "crm.stage": ["is_won"],
    }  # fmt: skip

    competitor_id = fields.Many2one("kam.competitor", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    stage_id = fields.Many2one(
        "crm.stage", readonly=True, help="The deal's stage (for a lost deal: where it was lost)."
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    status = fields.Selection(COMPETITOR_STATUSES, readonly=True)
    outcome = fields.Selection([("open", "Open"), ("won", "Won"), ("lost", "Lost")], readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True, help="1 when we won the deal.")
    lost_count = fields.Integer(string="Lost", readonly=True, help="1 when we lost the deal, to anyone.")
    lost_to_count = fields.Integer(string="Lost to Them", readonly=True, help="1 when we lost the deal to them.")
    decided_count = fields.Integer(string="Decided", readonly=True, help="1 when the deal is won or lost.")
    expected_revenue = fields.Float(readonly=True)
    lost_revenue = fields.Float(readonly=True, help="The deal's expected revenue when we lost it to them.")

    @property
    def _table_query(self):
        return """
SELECT c.id, c.competitor_id, c.lead_id, l.stage_id, l.team_id, l.company_id, l.user_id, c.status, l.date_closed,
       CASE WHEN w.won THEN 'won' WHEN w.lost THEN 'lost' ELSE 'open' END AS outcome,
       CASE WHEN w.won THEN 1 ELSE 0 END AS won_count,
       CASE WHEN w.lost THEN 1 ELSE 0 END AS lost_count,
       CASE WHEN w.lost AND l.kam_lost_to_id = c.competitor_id THEN 1 ELSE 0 END AS lost_to_count,
       CASE WHEN w.won OR w.lost THEN 1 ELSE 0 END AS decided_count,
       COALESCE(l.expected_revenue, 0) AS expected_revenue,
       CASE WHEN w.lost AND l.kam_lost_to_id = c.competitor_id THEN COALESCE(l.expected_revenue, 0) ELSE 0 END
           AS lost_revenue
  FROM kam_lead_competitor c
  JOIN crm_lead l ON l.id = c.lead_id
  LEFT JOIN crm_stage s ON s.id = l.stage_id
 CROSS JOIN LATERAL (
       SELECT (l.active AND COALESCE(s.is_won, FALSE)) AS won,
              (NOT l.active AND COALESCE(l.probability, 0) = 0) AS lost
 ) w
"""
