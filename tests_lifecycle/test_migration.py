"""A database of the previous release, with demo data and activity, upgrades to this one without losing a value.

The previous release is the newest commit of the repository whose manifest has
a lower version than the working tree's, patch releases of the tree's own minor
version left out (``18.0.2.0.1`` upgrades from the last ``18.0.1``: the upgrade
a patch release gives is the one its minor version's migrations make, which this
test checks value by value); it is exported with ``git archive``
into a folder of its own, installed with demo data, used a little, then
upgraded with this tree's code.
"""

import ast
import subprocess
from pathlib import Path

import pytest

MODULE = "kam_sales_process"
REPO = Path(__file__).resolve().parent.parent

USE_THE_OLD_RELEASE = """
deal = env.ref('kam_sales_process.demo_deal_1')
activity = deal.activity_schedule('mail.mail_activity_data_call', user_id=env.uid, summary='Plant visit call')
activity.action_feedback(feedback='Met the plant manager')
env.cr.commit()
"""


def _version(source):
    return ast.literal_eval(source)["version"]


def _release(version):
    return tuple(int(part) for part in version.split("."))


def previous_release():
    """(commit, version) of the newest commit whose manifest has a lower minor version than the working tree's.

    Lower, not just another: a version bumped and taken back before a release
    (work in progress) is not a release anyone upgrades from. Of a lower minor
    version: a patch release of the same one (18.0.2.0.0 for 18.0.2.0.1) has
    the same schema migrations, and this test checks what those migrations keep.
    """
    current = _version((REPO / "__manifest__.py").read_text())
    try:
        commits = subprocess.run(
            ["git", "-C", str(REPO), "rev-list", "HEAD", "--", "__manifest__.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"the repository's history is needed to build the previous release: {exc}", pytrace=False)
    for commit in commits:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{commit}:__manifest__.py"], check=True, capture_output=True, text=True
        ).stdout
        if _release(_version(source))[:4] < _release(current)[:4]:
            return commit, _version(source)
    pytest.fail(f"no commit with a lower version than {current}: is the clone shallow?", pytrace=False)


@pytest.fixture(scope="module")
def old_addons(tmp_path_factory):
    commit, version = previous_release()
    folder = tmp_path_factory.mktemp("previous") / MODULE
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder.parent, version


def _snapshot(cli, db):
    q = cli.query
    return {
        "deals": q(db, "SELECT id, stage_id, team_id, company_id, active FROM crm_lead ORDER BY id"),
        "stakeholders": q(db, "SELECT id, lead_id, partner_id, attitude FROM kam_stakeholder ORDER BY id"),
        "roles": q(db, "SELECT * FROM kam_stakeholder_role_rel ORDER BY 1, 2"),
        "rows": q(db, "SELECT id, lead_id, milestone_id, state FROM kam_lead_milestone ORDER BY id"),
        "milestones": q(db, "SELECT id, stage_id, kind, active FROM kam_milestone ORDER BY id"),
        "phase_history": q(db, "SELECT id, partner_id, company_id, phase FROM kam_phase_history ORDER BY id"),
    }


#: An account's values: (phase, tier, strategic-fit rating, estimated margin, won revenue, alert)
ACCOUNT_VALUES = ("phase", "tier_id", "rating_strategic_fit", "margin_rate", "won_revenue", "phase_alert")


def _accounts(cli, db):
    """``{(customer, company): values}`` of every account, in the schema of either release.

    Up to 18.0.1.x the values were company-dependent (JSONB) columns of the
    customer; from 18.0.2.0.0 they are the columns of ``kam_account``.
    """
    if cli.query(db, "SELECT to_regclass('kam_account') IS NOT NULL")[0][0]:
        rows = cli.query(db, f"SELECT partner_id, company_id, {', '.join(ACCOUNT_VALUES)} FROM kam_account")
    else:
        old = [f"kam_{name}" for name in ACCOUNT_VALUES]
        old[1] = "kam_tier_id"
        keys = " || ".join(f"COALESCE(p.{column}, '{{}}')" for column in old)
        values = ", ".join(f"p.{column}->>k.key" for column in old)
        rows = cli.query(db, f"SELECT p.id, k.key::int, {values} FROM res_partner p, jsonb_object_keys({keys}) k(key)")
    normalised = {}
    for partner, company, phase, tier, rating, margin, revenue, alert in rows:
        normalised[(partner, company)] = (
            phase or None,
            int(tier) if tier else None,
            rating if rating not in (None, "0") else None,
            round(float(margin or 0), 2),
            round(float(revenue or 0), 2),
            str(alert).lower() == "true",
        )
    return normalised


def test_a_populated_previous_release_upgrades_without_losing_a_value(odoo_cli, old_addons):
    old_folder, old_version = old_addons
    db = odoo_cli.new_db_name("migrate")
    old_path = f"{old_folder},{odoo_cli.addons_path.split(',', 1)[1]}"
    odoo_cli.run(db, "-i", MODULE, "--stop-after-init", "--no-http", addons_path=old_path)
    assert odoo_cli.query(db, "SELECT latest_version FROM ir_module_module WHERE name = %s", (MODULE,)) == [
        (old_version,)
    ]
    odoo_cli.shell(db, USE_THE_OLD_RELEASE, addons_path=old_path)
    before = _snapshot(odoo_cli, db)
    accounts_before = _accounts(odoo_cli, db)
    assert any(values[0] for values in accounts_before.values()), "the demo data has relationship phases"
    calls_logged = odoo_cli.query(
        db,
        """SELECT count(*) FROM mail_message m JOIN ir_model_data d
                ON d.model = 'mail.message.subtype' AND d.module = 'mail' AND d.name = 'mt_activities'
               AND d.res_id = m.subtype_id
            WHERE m.model = 'crm.lead' AND m.mail_activity_type_id IS NOT NULL""",
    )[0][0]
    assert calls_logged >= 1

    odoo_cli.run(db, "-u", MODULE, "--stop-after-init", "--no-http")

    after = _snapshot(odoo_cli, db)
    accounts_after = _accounts(odoo_cli, db)
    for key, values in accounts_before.items():
        assert accounts_after.get(key) == values, key
    # Every tier became the first row of its account's tier history.
    assert odoo_cli.query(db, "SELECT count(*) FROM kam_tier_history")[0][0] == sum(
        1 for values in accounts_after.values() if values[1]
    )
    # The old columns are gone.
    assert (
        odoo_cli.query(
            db,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'res_partner' AND data_type = 'jsonb' AND column_name LIKE 'kam\\_%%'",
        )
        == []
    )
    for key, rows in before.items():
        if key == "rows":
            # Rows are only added (archived deals get theirs); none is lost or changed.
            assert set(rows) <= set(after[key]), key
        else:
            assert after[key] == rows, key
    # The gate rule watches every input of a deal's position.
    trigger = odoo_cli.query(
        db,
        """SELECT a.trigger, array_agg(f.name ORDER BY f.name)
             FROM base_automation a
             JOIN ir_model_data d ON d.model = 'base.automation' AND d.res_id = a.id
                  AND d.module = %s AND d.name = 'automation_stage_gate'
             JOIN base_automation_ir_model_fields_rel rel ON rel.base_automation_id = a.id
             JOIN ir_model_fields f ON f.id = rel.ir_model_fields_id
         GROUP BY a.trigger""",
        (MODULE,),
    )
    assert trigger == [("on_create_or_write", ["active", "company_id", "stage_id", "team_id"])]
    # Activities done before the upgrade count as evidence.
    assert odoo_cli.query(db, "SELECT count(*) FROM kam_done_activity WHERE lead_id IS NOT NULL")[0][0] == calls_logged
    # Every active deal stands past met (or grandfathered) milestones only, and they are passed.
    unsettled = odoo_cli.query(
        db,
        """SELECT r.id FROM kam_lead_milestone r
             JOIN crm_lead l ON l.id = r.lead_id AND l.active
             JOIN crm_stage here ON here.id = l.stage_id
             JOIN kam_milestone m ON m.id = r.milestone_id AND m.active
             JOIN crm_stage there ON there.id = m.stage_id
            WHERE there.sequence < here.sequence
              AND (NOT r.passed OR (r.state = 'todo' AND NOT r.grandfathered))""",
    )
    assert unsettled == []
    assert odoo_cli.query(db, "SELECT to_regclass('kam_buying_role_res_partner_rel')") == [(None,)]
    # Every open deal of the funnel has its stage history, back-filled, with one open stay where it stands.
    missing = odoo_cli.query(
        db,
        """SELECT l.id FROM crm_lead l
             JOIN crm_stage s ON s.id = l.stage_id AND NOT COALESCE(s.is_won, FALSE)
            WHERE l.active AND l.type = 'opportunity'
              AND NOT EXISTS (SELECT 1 FROM kam_stage_history h
                               WHERE h.lead_id = l.id AND h.date_out IS NULL AND h.stage_id = l.stage_id
                                 AND h.backfilled)""",
    )
    assert missing == []
