"""The addon installs, upgrades, uninstalls cleanly and reinstalls, on real databases."""

MODULE = "kam_sales_process"
GROUP_NAMES = ("KAM User", "KAM Manager")


def module_state(cli, db):
    rows = cli.query(db, "SELECT state, demo FROM ir_module_module WHERE name = %s", (MODULE,))
    return rows[0] if rows else (None, None)


def our_xmlids(cli, db):
    return cli.query(db, "SELECT model, name FROM ir_model_data WHERE module = %s ORDER BY model, name", (MODULE,))


def salesman_implies_kam_user(cli, db):
    return cli.query(
        db,
        """
        SELECT count(*) FROM res_groups_implied_rel rel
          JOIN ir_model_data stock ON stock.model = 'res.groups' AND stock.res_id = rel.gid
               AND stock.module = 'sales_team' AND stock.name = 'group_sale_salesman'
          JOIN ir_model_data ours ON ours.model = 'res.groups' AND ours.res_id = rel.hid
               AND ours.module = %s AND ours.name = 'group_kam_user'
        """,
        (MODULE,),
    )[0][0]


def leftovers(cli, db):
    """Everything of the addon that could outlive an uninstall."""
    found = {}
    found["xmlids"] = our_xmlids(cli, db)
    found["groups"] = cli.query(db, "SELECT id FROM res_groups WHERE name->>'en_US' IN %s", (GROUP_NAMES,))
    found["menus"] = cli.query(db, "SELECT id FROM ir_ui_menu WHERE name->>'en_US' = 'Key Account Management'")
    found["categories"] = cli.query(
        db, "SELECT id FROM ir_module_category WHERE name->>'en_US' = 'Key Account Management'"
    )
    found["tables"] = cli.query(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'kam\\_%%'",
    )
    found["columns"] = cli.query(
        db,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name LIKE 'kam\\_%%'",
    )
    found["fields"] = cli.query(db, "SELECT model, name FROM ir_model_fields WHERE name LIKE 'kam\\_%%'")
    found["models"] = cli.query(db, "SELECT model FROM ir_model WHERE model LIKE 'kam.%%'")
    return {kind: rows for kind, rows in found.items() if rows}


def test_installed_without_demo_data(odoo_cli):
    db = odoo_cli.template
    assert module_state(odoo_cli, db) == ("installed", False)
    assert salesman_implies_kam_user(odoo_cli, db) == 1
    assert ("res.groups", "group_kam_manager") in our_xmlids(odoo_cli, db)


def test_installs_on_a_fresh_database_with_demo_data(odoo_cli):
    """As scripts/run makes it with KAM_LANG=zh_CN: the demo reads Chinese and shows buying centres."""
    db = odoo_cli.new_db_name("demo")
    odoo_cli.run(db, "-i", MODULE, "--load-language=zh_CN", "--stop-after-init", "--no-http")
    assert module_state(odoo_cli, db) == ("installed", True)
    assert salesman_implies_kam_user(odoo_cli, db) == 1
    # Most demo deals have a buying centre.
    [(deals, with_people)] = odoo_cli.query(
        db,
        """
        SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM kam_stakeholder s WHERE s.lead_id = d.res_id))
          FROM ir_model_data d WHERE d.module = %s AND d.model = 'crm.lead'
        """,
        (MODULE,),
    )
    assert deals == 30 and with_people >= 20, (deals, with_people)
    # The stages and milestones made from templates while the demo loaded took the
    # translations loaded after it.
    for table, link in (("crm_stage", "kam_template_stage_id"), ("kam_milestone", "template_milestone_id")):
        [(made, english)] = odoo_cli.query(
            db,
            f"SELECT count(*), count(*) FILTER (WHERE COALESCE(name->>'zh_CN', name->>'en_US') = name->>'en_US')"
            f"  FROM {table} WHERE {link} IS NOT NULL",
        )
        assert made > 0 and english == 0, (table, made, english)


def test_upgrade_runs(odoo_cli):
    db = odoo_cli.copy_template("upgrade")
    before = our_xmlids(odoo_cli, db)
    odoo_cli.run(db, "-u", MODULE, "--stop-after-init", "--no-http")
    assert module_state(odoo_cli, db)[0] == "installed"
    assert our_xmlids(odoo_cli, db) == before
    assert salesman_implies_kam_user(odoo_cli, db) == 1


def test_uninstall_leaves_nothing_and_reinstall_works(odoo_cli):
    db = odoo_cli.copy_template("uninstall")
    odoo_cli.shell(
        db,
        f"env['ir.module.module'].search([('name', '=', '{MODULE}')]).button_immediate_uninstall()\nenv.cr.commit()\n",
    )
    assert module_state(odoo_cli, db)[0] == "uninstalled"
    assert leftovers(odoo_cli, db) == {}
    # Stock groups are intact: Sales users still work without the addon.
    assert odoo_cli.query(
        db,
        "SELECT count(*) FROM ir_model_data WHERE module = 'sales_team' "
        "AND name IN ('group_sale_salesman', 'group_sale_manager')",
    ) == [(2,)]

    odoo_cli.run(db, "-i", MODULE, "--stop-after-init", "--no-http")
    assert module_state(odoo_cli, db)[0] == "installed"
    assert salesman_implies_kam_user(odoo_cli, db) == 1
