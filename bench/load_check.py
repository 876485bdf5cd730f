"""The invariant after the load test (fed to ``odoo shell`` by bench/load).

- no active deal of the load team stands past a milestone of an earlier stage that is still to do
  (not met, not waived by an override, not grandfathered);
- no tick lost: every row whose last successful call was a tick is done (or, after a move back and a
  refresh, still done), and every row whose last call was an untick is not done unless a later
  refresh of a data milestone met it (checklist rows only are ticked, so: to do or waived).
Prints one JSON line starting with ``KAM_LOAD``.
"""

import json
import os
import pathlib

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
team = env["crm.team"].search([("name", "=", "Load Team")], limit=1)
env.cr.execute(
    """
    SELECT count(DISTINCT lead.id)
      FROM crm_lead lead
      JOIN crm_stage now_at ON now_at.id = lead.stage_id
      JOIN kam_lead_milestone row ON row.lead_id = lead.id
      JOIN kam_milestone ms ON ms.id = row.milestone_id
      JOIN crm_stage due ON due.id = ms.stage_id
     WHERE lead.team_id = %s AND lead.active AND due.sequence < now_at.sequence
       AND row.state = 'todo' AND row.grandfathered IS NOT TRUE
    """,
    [team.id],
)
past_unmet = env.cr.fetchone()[0]
path = pathlib.Path(os.environ.get("KAM_LOAD_TICKS", ""))
ticks = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
rows = env["kam.lead.milestone"].sudo().browse([int(row_id) for row_id in ticks]).exists()
states = {str(row.id): row.state for row in rows}
lost = [row_id for row_id, state in ticks.items() if state == "done" and states.get(row_id) != "done"]
revived = [row_id for row_id, state in ticks.items() if state == "todo" and states.get(row_id) == "done"]
print("KAM_LOAD " + json.dumps({"past_unmet": past_unmet, "ticks": len(ticks), "lost": lost, "revived": revived}))
