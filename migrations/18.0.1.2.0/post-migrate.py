"""18.0.1.2.0: the gate watches every input of a deal's position and keeps what it checked.

- The shipped rule "Stage gates" fires on a change of stage, team, company or
  active flag (it fired on "stage is set" only); its domain and active flag, an
  admin's choice, are kept.
- Activities done before count as evidence (``kam.done.activity``).
- Every deal's rows are settled with where it stands: the milestones of the
  stages it stands past are passed, and grandfathered where they are not met
  (it got there under the earlier rules): nobody is punished for history.
- The contact's "Buying Roles" is no longer stored (it is computed per reader).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("kam_sales_process.automation_stage_gate", raise_if_not_found=False)
    if rule:
        fields = [env.ref(f"crm.field_crm_lead__{name}").id for name in ("stage_id", "team_id", "company_id", "active")]
        rule.write({"trigger": "on_create_or_write", "trigger_field_ids": [(6, 0, fields)]})
    env["kam.done.activity"]._kam_backfill()
    cr.execute("DROP TABLE IF EXISTS kam_buying_role_res_partner_rel")
    leads = env["crm.lead"].with_context(active_test=False).search([])
    if env["kam.milestone"]._kam_get_specs():
        leads._kam_sync_milestones(adopt=True)
