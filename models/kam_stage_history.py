"""Stage history: one row per stay of a deal in a stage.

Written in one statement per batch by ``crm.lead`` (see ``crm_lead_funnel.py``)
whenever a deal's stage, active flag, pipeline, company or salesperson changes:
the stay that ends is closed with how it ended, the stay that starts is opened.
Won deals and archived or lost deals have no open stay.  Rows are never edited
by hand; only server code writes them.
"""

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from ..kam_sales_process.vocabulary import EXIT_KIND_LABELS


class StageExit:
    """How the stays a write ends are recorded, when it is not an ordinary move.

    ``kind`` is ``forced`` (a manager's override) or ``remapped`` (a pipeline
    re-mapping).  Only server code creates one; the history recognises it by its
    type, so a client context (JSON) cannot relabel its own moves.
    """

    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind


def stage_exit(env):
    """The exit kind forced by this environment's context (a StageExit), or ``None``."""
    marker = env.context.get("kam_stage_exit")
    return marker.kind if isinstance(marker, StageExit) else None


#: Closes the stays a batch ends and opens the stays it starts, in one statement.  The deals' new
#: positions come as arrays, each with its stage's rank in crm's stage order (sequence, name, id) and
#: whether it is won, read in Python from Odoo's caches: the statement reads no other table, which
#: keeps it cheap to plan on every move.  ``{reassigned}`` is the part a change of pipeline, company
#: or salesperson needs (the open stay follows the deal); a plain move leaves it out.
LOG_SQL = """
WITH now_at AS (
    SELECT * FROM unnest(%(ids)s::int[], %(stages)s::int[], %(actives)s::bool[], %(wons)s::bool[],
                         %(new_ranks)s::int[], %(teams)s::int[], %(companies)s::int[], %(users)s::int[])
           AS n(lead_id, stage_id, active, won, rank, team_id, company_id, user_id)
), closed AS (
    UPDATE kam_stage_history h
       SET date_out = %(now)s,
           days = GREATEST(EXTRACT(EPOCH FROM (%(now)s - h.date_in)) / 86400.0, 0),
           exit_kind = CASE
               WHEN NOT n.active THEN 'lost'
               WHEN %(kind)s::varchar IS NOT NULL THEN %(kind)s::varchar
               WHEN n.won THEN 'won'
               WHEN n.rank > COALESCE(array_position(%(rank_stages)s::int[], h.stage_id) - 1, -1) THEN 'forward'
               ELSE 'back'
           END,
           closed_by_id = %(uid)s, write_uid = %(uid)s, write_date = %(now)s
      FROM now_at n
     WHERE h.lead_id = n.lead_id AND h.date_out IS NULL
       AND (h.stage_id IS DISTINCT FROM n.stage_id OR NOT n.active OR n.won)
    RETURNING h.lead_id
){reassigned}
INSERT INTO kam_stage_history
       (lead_id, stage_id, team_id, company_id, user_id, date_in, days,
        create_uid, create_date, write_uid, write_date)
SELECT n.lead_id, n.stage_id, n.team_id, n.company_id, n.user_id, %(now)s, 0,
       %(uid)s, %(now)s, %(uid)s, %(now)s
  FROM now_at n
 WHERE n.active AND NOT n.won AND n.stage_id IS NOT NULL
   AND (n.lead_id IN (SELECT lead_id FROM closed)
        OR NOT EXISTS (SELECT 1 FROM kam_stage_history h WHERE h.lead_id = n.lead_id AND h.date_out IS NULL))
"""
LOG_REASSIGNED_SQL = """, moved AS (
    UPDATE kam_stage_history h
       SET team_id = n.team_id, company_id = n.company_id, user_id = n.user_id,
           write_uid = %(uid)s, write_date = %(now)s
      FROM now_at n
     WHERE h.lead_id = n.lead_id AND h.date_out IS NULL
       AND h.stage_id = n.stage_id AND n.active AND NOT n.won
       AND (h.team_id IS DISTINCT FROM n.team_id OR h.company_id IS DISTINCT FROM n.company_id
            OR h.user_id IS DISTINCT FROM n.user_id)
    RETURNING h.lead_id
)"""
#: The deal's fields whose change may move its open stay along (see ``LOG_REASSIGNED_SQL``): the
#: pipeline, company and salesperson, and the customer, whose company the deal's may follow.
REASSIGN_FIELDS = frozenset({"team_id", "company_id", "user_id", "partner_id"})


class KamStageHistory(models.Model):
    _name = "kam.stage.history"
    _description = "Stay of a Deal in a Stage"
    _order = "date_in desc, id desc"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, readonly=True, index=True, ondelete="cascade")
    # A stage deleted later (e.g. emptied by a re-mapping) leaves its stays, without their stage.
    stage_id = fields.Many2one("crm.stage", readonly=True, index=True, ondelete="set null")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, index=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True, ondelete="cascade")
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, ondelete="set null", help="The deal's salesperson."
    )
    date_in = fields.Datetime(string="Entered", required=True, readonly=True, help="When the deal entered the stage.")
    date_out = fields.Datetime(
        string="Left", readonly=True, index=True, help="When the deal left the stage; empty while it is there."
    )
    exit_kind = fields.Selection(
        EXIT_KIND_LABELS,
        string="Left By",
        readonly=True,
        help="How the stay ended: moved forward or back, won, lost or archived, forced past unmet milestones by a "
        "manager, or re-mapped with its pipeline.",
    )
    days = fields.Float(
        string="Days in Stage",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="How long the stay lasted, for a stay that ended.",
    )
    closed_by_id = fields.Many2one(
        "res.users",
        string="Ended By",
        readonly=True,
        ondelete="set null",
        help="Who moved, won, lost or archived the deal (for a forced stay: the manager who forced it).",
    )
    backfilled = fields.Boolean(
        readonly=True, help="Rebuilt from the deal's stage tracking when the addon was installed or upgraded."
    )

    def init(self):
        # Every move looks up the deal's open stay: an index of the open stays only (one per deal)
        # finds it directly, where the indexes of lead_id and date_out each scan a growing history.
        tools.create_index(
            self.env.cr, "kam_stage_history_open_stay_index", self._table, ["lead_id"], where="date_out IS NULL"
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("The stage history is written by the deals' moves only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("The stage history is written by the deals' moves only."))
        return super().write(vals)

    @api.model
    def _kam_rank_params(self):
        """The ``ranks`` table of the statements: each stage's position in crm's stage order."""
        order = self.env["crm.stage"]._kam_get_stage_order()
        return {"rank_stages": [stage_id for stage_id, _seq, _team, _won in order], "ranks": list(range(len(order)))}

    @api.model
    def _kam_log(self, leads, changed=None):
        """Close the stays these deals ended and open the ones they started (one statement).

        Reads the deals' position from the cache (one fetch if it is not
        there); run after the deals were written or created. ``changed``: the
        names of the fields written, when known (a write that leaves the
        pipeline, company and salesperson alone needs no reassignment).
        """
        if not leads:
            return
        rank_params = self._kam_rank_params()
        rank = dict(zip(rank_params["rank_stages"], rank_params["ranks"], strict=True))
        values = {
            "ids": [],
            "stages": [],
            "actives": [],
            "wons": [],
            "new_ranks": [],
            "teams": [],
            "companies": [],
            "users": [],
        }
        for lead in leads.sudo().with_context(active_test=False):
            stage = lead.stage_id
            values["ids"].append(lead.id)
            values["stages"].append(stage.id or None)
            # In the funnel: an active opportunity (a plain lead, or a lost or archived deal, is not).
            values["actives"].append(bool(lead.active) and lead.type == "opportunity")
            values["wons"].append(bool(stage.is_won))
            values["new_ranks"].append(rank.get(stage.id, -1))
            values["teams"].append(lead.team_id.id or None)
            values["companies"].append(lead.company_id.id or None)
            values["users"].append(lead.user_id.id or None)
        self.flush_model()
        reassigned = changed is None or bool(REASSIGN_FIELDS & changed)
        self.env.cr.execute(
            LOG_SQL.replace("{reassigned}", LOG_REASSIGNED_SQL if reassigned else ""),
            {
                **values,
                **rank_params,
                "kind": stage_exit(self.env),
                "now": self.env.cr.now(),
                "uid": self.env.uid,
            },
        )
        self.invalidate_model()

    @api.model
    def _kam_backfill(self):
        """Rebuild the stays of deals without history from Odoo's stage tracking (one statement).

        A deal's stays are read from the tracked changes of its stage: the
        first stay runs from the deal's creation, each later one from the
        change that started it.  It reaches as far back as the tracking kept
        (crm tracks every stage change, unless a deal was written without
        tracking, e.g. by an import with tracking disabled).  It cannot know
        the team, company or salesperson of past stays (it takes today's), when
        a deal was archived or restored, or whether a move was forced or
        re-mapped; a deal that is lost or archived today ends its last stay
        as lost, at its last update.
        """
        self.flush_model()
        self.env["crm.lead"].flush_model()
        field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        self.env.cr.execute(
            """
WITH ranks AS (
    SELECT * FROM unnest(%(rank_stages)s::int[], %(ranks)s::int[]) AS r(stage_id, rank)
), leads AS (
    SELECT l.id, l.stage_id, l.team_id, l.company_id, l.user_id, l.active, l.create_date, l.write_date,
           l.create_uid, COALESCE(s.is_won, FALSE) AS won
      FROM crm_lead l
      LEFT JOIN crm_stage s ON s.id = l.stage_id
     WHERE l.type = 'opportunity'
       AND NOT EXISTS (SELECT 1 FROM kam_stage_history h WHERE h.lead_id = l.id)
), changes AS (
    SELECT m.res_id AS lead_id, m.date, v.old_value_integer AS old_stage, v.new_value_integer AS new_stage, v.id
      FROM mail_tracking_value v
      JOIN mail_message m ON m.id = v.mail_message_id
      JOIN leads ON leads.id = m.res_id
     WHERE v.field_id = %(field)s AND m.model = 'crm.lead'
), first_stays AS (
    -- the stay before the first change (from the deal's creation), then one stay per change
    SELECT DISTINCT ON (c.lead_id) c.lead_id, c.old_stage AS stage_id, c.id
      FROM changes c ORDER BY c.lead_id, c.date, c.id
), all_stays AS (
    SELECT s.lead_id, s.stage_id, l.create_date AS date_in, 0 AS n, s.id
      FROM first_stays s JOIN leads l ON l.id = s.lead_id
    UNION ALL
    SELECT c.lead_id, c.new_stage, c.date, 1, c.id FROM changes c
    UNION ALL
    SELECT l.id, l.stage_id, l.create_date, 0, 0 FROM leads l
     WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.lead_id = l.id)
), ordered AS (
    SELECT a.*, LEAD(a.stage_id) OVER w AS next_stage, LEAD(a.date_in) OVER w AS next_date
      FROM all_stays a
    WINDOW w AS (PARTITION BY a.lead_id ORDER BY a.n, a.date_in, a.id)
)
INSERT INTO kam_stage_history
       (lead_id, stage_id, team_id, company_id, user_id, date_in, date_out, exit_kind, days, backfilled,
        create_uid, create_date, write_uid, write_date)
SELECT o.lead_id, o.stage_id, l.team_id, l.company_id, l.user_id, o.date_in, ends.date_out, ends.kind,
       CASE WHEN ends.date_out IS NULL THEN 0
            ELSE GREATEST(EXTRACT(EPOCH FROM (ends.date_out - o.date_in)) / 86400.0, 0) END,
       TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
  FROM ordered o
  JOIN leads l ON l.id = o.lead_id
  LEFT JOIN crm_stage st ON st.id = o.stage_id
  LEFT JOIN crm_stage nst ON nst.id = o.next_stage
  LEFT JOIN ranks r ON r.stage_id = o.stage_id
  LEFT JOIN ranks nr ON nr.stage_id = o.next_stage
  CROSS JOIN LATERAL (
      SELECT CASE
                 WHEN o.next_date IS NOT NULL THEN o.next_date
                 WHEN NOT l.active THEN GREATEST(l.write_date, o.date_in)
             END AS date_out,
             CASE
                 WHEN o.next_date IS NOT NULL AND COALESCE(nst.is_won, FALSE) THEN 'won'
                 WHEN o.next_date IS NOT NULL AND COALESCE(nr.rank, 0) > COALESCE(r.rank, 0) THEN 'forward'
                 WHEN o.next_date IS NOT NULL THEN 'back'
                 WHEN NOT l.active THEN 'lost'
             END AS kind
  ) ends
 WHERE st.id IS NOT NULL AND NOT COALESCE(st.is_won, FALSE) AND o.date_in IS NOT NULL
 ORDER BY o.lead_id, o.n, o.date_in, o.id
            """,
            {
                "field": field.id,
                **self._kam_rank_params(),
                "uid": self.env.uid,
                "now": self.env.cr.now(),
            },
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        return count
