"""Set-up of the load test (fed to ``odoo shell`` by bench/load): people and deals, committed.

50 salespeople and 5 sales managers (password = login) in one team with a five-stage pipeline, 10 deals
each spread over the stages, 200 customer contacts. With the addon (``KAM_LOAD_ADDON=1``) the pipeline
has milestones: a checklist item on S1 and S2, a buying-centre role on S2, a condition on S3; deals
start with what their stage needs. Prints one JSON line starting with ``KAM_LOAD``.
"""

import json
import os

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
ADDON = os.environ.get("KAM_LOAD_ADDON") == "1"
SALES, MANAGERS, DEALS = 50, 5, 10
Users = env["res.users"].sudo().with_context(no_reset_password=True, mail_create_nolog=True, mail_notrack=True)
salesman = env.ref("sales_team.group_sale_salesman")
manager = env.ref("sales_team.group_sale_manager")
employee = env.ref("base.group_user")
people = Users.create(
    [{"name": f"Load seller {i}", "login": f"load_seller_{i}", "password": f"load_seller_{i}",
      "groups_id": [(6, 0, [employee.id, salesman.id])]} for i in range(SALES)]
    + [{"name": f"Load manager {i}", "login": f"load_manager_{i}", "password": f"load_manager_{i}",
        "groups_id": [(6, 0, [employee.id, manager.id])]} for i in range(MANAGERS)]
)  # fmt: skip
sellers, managers = people[:SALES], people[SALES:]
team = env["crm.team"].create({"name": "Load Team", "member_ids": [(6, 0, sellers.ids)]})
Stage = env["crm.stage"]
stages = [Stage.create({"name": f"Load S{i}", "sequence": 500 + i, "team_id": team.id}) for i in range(1, 5)]
stages.append(Stage.create({"name": "Load Won", "sequence": 600, "is_won": True, "team_id": team.id}))
contacts = env["res.partner"].create([{"name": f"Load contact {i}"} for i in range(200)])
roles = []
if ADDON:
    decision = env.ref("kam_sales_process.role_decision_maker")
    roles = env["kam.buying.role"].search([]).ids
    Milestone = env["kam.milestone"]
    Milestone.create({"name": "Need confirmed", "stage_id": stages[0].id, "kind": "check"})
    Milestone.create({"name": "Budget known", "stage_id": stages[1].id, "kind": "check"})
    Milestone.create(
        {"name": "Decision maker named", "stage_id": stages[1].id, "kind": "roles", "role_ids": [(6, 0, decision.ids)]}
    )
    Milestone.create(
        {"name": "Revenue estimated", "stage_id": stages[2].id, "kind": "condition",
         "condition_domain": "[('expected_revenue', '>', 0)]"}
    )  # fmt: skip
deals = {}
for index, seller in enumerate(sellers):
    records = env["crm.lead"].create(
        [{"name": f"Load deal {index}-{n}", "type": "opportunity", "team_id": team.id, "user_id": seller.id,
          "stage_id": stages[0].id, "expected_revenue": 10000 * (n + 1), "partner_id": contacts[n].id}
         for n in range(DEALS)]
    )  # fmt: skip
    deals[seller.login] = records.ids
env.flush_all()
if ADDON:
    # bring each deal to a stage the honest way, up to S3 (deal n stops at stage n % 4)
    Row = env["kam.lead.milestone"]
    for records in deals.values():
        for n, deal in enumerate(env["crm.lead"].browse(records)):
            for step in range(n % 4):
                rows = deal.kam_milestone_ids.filtered(
                    lambda r, s=stages[step]: r.milestone_id.stage_id == s and r.state != "done"
                )
                rows.filtered(lambda r: r.kind == "check").sudo().write({"state": "done"})
                if any(r.kind == "roles" for r in rows):
                    env["kam.stakeholder"].create(
                        {"lead_id": deal.id, "partner_id": contacts[100 + n].id, "role_ids": [(6, 0, decision.ids)]}
                    )
                deal.stage_id = stages[step + 1]
else:
    for records in deals.values():
        for n, deal in enumerate(env["crm.lead"].browse(records)):
            deal.stage_id = stages[n % 4]
env.cr.commit()
print(
    "KAM_LOAD "
    + json.dumps(
        {"sellers": sellers.mapped("login"), "managers": managers.mapped("login"), "deals": deals,
         "stages": [stage.id for stage in stages], "contacts": contacts.ids, "roles": roles, "team": team.id}
    )
)  # fmt: skip
