"""Demo data (loaded only with demo data, from demo/kam_demo.xml).

Built in Python rather than XML because the deals sit in stages created by
applying the process templates, and are placed there the way a pipeline
reorganisation does (past their gates).  Every record gets an XML id of the
addon, so uninstalling removes it.
"""

from datetime import timedelta

from odoo import Command, api, fields, models

from .crm_lead_gate import GateBypass

CUSTOMERS = [
    # key, name, city, rating (strategic, financial, transparency, continuity), margin, share, phase, company level
    ("steel", "Baoshan Steel Works (宝山钢铁)", "Shanghai", ("5", "4", "3", "5"), 24, 60, "cooperative", "solution"),
    ("autoparts", "Huayu Auto Parts (华域汽车零部件)", "Wuhu", ("4", "4", "4", "4"), 18, 35, "basic", "emotion"),
    ("bank", "ICBC Pudong Branch (工商银行浦东支行)", "Shanghai", ("4", "5", "2", "3"), 32, 20, "exploratory", "brand"),
    ("cement", "Conch Cement Plant (海螺水泥)", "Anqing", ("3", "3", "3", "2"), 15, 50, "disintegrating", "solution"),
    ("power", "Jiangsu Power Grid (江苏电网)", "Nanjing", ("5", "5", "2", "5"), 28, 95, "interdependent", "value"),
    ("chemical", "Sinopec Yangzi Petrochemical (扬子石化)", "Nanjing", ("3", "4", "3", "4"), 21, 10, False, False),
]
PEOPLE = {
    "steel": [
        ("Wang Gang (王刚)", "General Manager", ["decision_maker"], "supporter", "opinions"),
        ("Li Hua (李华)", "Chief Engineer", ["technical"], "neutral", "facts"),
        ("Zhang Min (张敏)", "Purchasing Manager", ["financial"], "neutral", "facts"),
        ("Chen Jie (陈杰)", "Maintenance Supervisor", ["user", "coach"], "supporter", "behaviour"),
    ],
    "autoparts": [
        ("Liu Yang (刘洋)", "Plant Director", ["decision_maker"], "unknown", "greeting"),
        ("Zhao Lei (赵磊)", "Quality Engineer", ["technical"], "supporter", "opinions"),
    ],
    "bank": [
        ("Sun Li (孙丽)", "Branch President", ["decision_maker"], "neutral", "greeting"),
        ("Zhou Qiang (周强)", "IT Manager", ["technical", "user"], "opponent", "facts"),
    ],
    "cement": [("Wu Tao (吴涛)", "Production Manager", ["user"], "opponent", "facts")],
    "power": [
        ("Xu Jun (徐军)", "Vice President", ["decision_maker"], "supporter", "values"),
        ("Ma Ying (马英)", "Head of Procurement", ["financial"], "supporter", "behaviour"),
        ("He Bin (何斌)", "Grid Engineer", ["technical", "coach"], "supporter", "behaviour"),
        ("Gao Fei (高飞)", "Finance Director", ["influencer"], "neutral", "opinions"),
    ],
    "chemical": [("Lin Feng (林峰)", "Project Engineer", ["technical"], "neutral", "greeting")],
}
# deals: customer, name, team ("heavy" | "finance"), stage index (0-based; "won", "lost"), revenue, probability,
# days to close, priority, 7+3 items score
DEALS = [
    ("steel", "Blast furnace 4 cooling upgrade", "heavy", 4, 2_800_000, 70, 25, "3", 8),
    ("steel", "Rolling mill drive retrofit", "heavy", 2, 1_200_000, 40, 80, "2", 7),
    ("steel", "Coke oven sensors", "heavy", "won", 650_000, 100, -90, "1", 8),
    ("steel", "Annual spare parts contract", "heavy", "won", 900_000, 100, -200, "2", 9),
    ("steel", "Slag handling pilot", "heavy", 0, 300_000, 10, 150, "0", 4),
    ("autoparts", "Stamping line automation", "heavy", 3, 1_600_000, 50, 45, "2", 7),
    ("autoparts", "Paint shop energy audit", "heavy", 1, 180_000, 25, 60, "1", 5),
    ("autoparts", "Welding robots phase 1", "heavy", "won", 2_100_000, 100, -60, "3", 9),
    ("autoparts", "Conveyor maintenance", "heavy", "lost", 120_000, 0, -30, "0", 3),
    ("cement", "Kiln burner replacement", "heavy", "lost", 1_500_000, 0, -150, "3", 6),
    ("cement", "Dust filter service", "heavy", "won", 200_000, 100, -400, "1", 6),
    ("cement", "Raw mill gearbox", "heavy", 1, 450_000, 20, 120, "1", 4),
    ("power", "Substation monitoring", "heavy", 5, 3_500_000, 100, -20, "3", 10),
    ("power", "Transformer fleet service", "heavy", "won", 4_200_000, 100, -120, "3", 10),
    ("power", "Grid cable diagnostics", "heavy", 4, 1_900_000, 80, 15, "3", 9),
    ("power", "Training centre equipment", "heavy", 2, 600_000, 45, 90, "2", 8),
    ("power", "Smart meter pilot", "heavy", 0, 250_000, 10, 200, "1", 5),
    ("chemical", "Pump reliability study", "heavy", 0, 150_000, 10, 100, "1", 3),
    ("chemical", "Valve actuator upgrade", "heavy", 1, 700_000, 25, 140, "1", 5),
    ("chemical", "Cracker furnace tubes", "heavy", 3, 2_400_000, 55, 70, "2", 7),
    ("bank", "Branch energy management", "finance", 0, 90_000, 10, 60, "0", 4),
    ("bank", "Vault security upgrade", "finance", 1, 260_000, 30, 45, "1", 5),
    ("bank", "ATM power backup", "finance", 2, 140_000, 50, 30, "1", 6),
    ("bank", "Data room cooling", "finance", 3, 380_000, 75, 10, "2", 7),
    ("bank", "Lighting retrofit", "finance", "won", 75_000, 100, -100, "0", 6),
    ("autoparts", "Office HVAC service", "finance", 1, 60_000, 30, 40, "0", 5),
    ("steel", "Canteen equipment lease", "finance", 2, 85_000, 50, 20, "0", 5),
    ("power", "Control room furniture", "finance", "won", 130_000, 100, -40, "1", 7),
    ("chemical", "Lab instruments", "finance", 0, 95_000, 10, 80, "0", 3),
    ("cement", "Fleet tyres", "finance", "lost", 70_000, 0, -60, "0", 2),
]
COMPETITORS = [
    ("northern", "Northern Steel Systems", "<p>Large drives maker; bids low on hardware, thin service network.</p>"),
    ("eastern", "Eastern Automation", "<p>Sensors and control systems; strong with engineers, weak on price.</p>"),
    ("delta", "Delta Industrial Service", "<p>Local service company; cheap, no engineering depth.</p>"),
]
# deal, competitor, status, strengths, weaknesses
DEAL_COMPETITORS = [
    ("Blast furnace 4 cooling upgrade", "northern", "shortlisted", "Lower price", "No blast furnace reference"),
    ("Blast furnace 4 cooling upgrade", "eastern", "eliminated", "Good sensors", "No cooling know-how"),
    ("Rolling mill drive retrofit", "northern", "preferred", "Incumbent drives on mill 1", "Slow service"),
    ("Coke oven sensors", "eastern", "incumbent", "Installed base", "Price"),
    ("Kiln burner replacement", "delta", "preferred", "Price", "No engineering depth"),
    ("Stamping line automation", "northern", "shortlisted", "Price", "Few automotive references"),
    ("Conveyor maintenance", "delta", "preferred", "Local team", "Quality"),
    ("Cracker furnace tubes", "eastern", "shortlisted", "Chemical references", "Delivery times"),
]
LOST_TO = [("Kiln burner replacement", "delta"), ("Conveyor maintenance", "delta")]
OFFER_LINES = [("drives", "Drives"), ("sensors", "Sensors"), ("cooling", "Cooling systems"), ("service", "Service")]
STEEL_UNITS = [
    ("furnace", "Blast furnace plant", "site"),
    ("mill", "Rolling mills", "site"),
    ("coke", "Coke ovens", "site"),
    ("maintenance", "Central maintenance", "department"),
]
# deal, unit, offer line (tag) of the steel works' deals
STEEL_DEAL_CELLS = [
    ("Blast furnace 4 cooling upgrade", "furnace", "cooling"),
    ("Rolling mill drive retrofit", "mill", "drives"),
    ("Coke oven sensors", "coke", "sensors"),
    ("Annual spare parts contract", "maintenance", "service"),
    ("Slag handling pilot", "furnace", "drives"),
]
# the potential of the cells no deal decides (0: not applicable)
STEEL_POTENTIAL = [
    ("furnace", "sensors", 400_000),
    ("furnace", "service", 600_000),
    ("mill", "sensors", 350_000),
    ("mill", "cooling", 0),
    ("mill", "service", 900_000),
    ("coke", "drives", 250_000),
    ("coke", "cooling", 0),
    ("coke", "service", 300_000),
    ("maintenance", "drives", 0),
    ("maintenance", "sensors", 0),
    ("maintenance", "cooling", 0),
]
QUALIFICATION = (
    "basic_facts",
    "timeline",
    "budget",
    "need",
    "key_person",
    "decision_process",
    "competition",
    "strength",
    "product_fit",
    "service",
)


class KamDemo(models.AbstractModel):
    _name = "kam.demo"
    _description = "Key Account Sales Process Demo Data"

    def _xmlid(self, name, record):
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": f"kam_sales_process.{name}", "record": record, "noupdate": True}]
        )

    @api.model
    def _load_demo(self):
        env = self.env
        if env.ref("kam_sales_process.demo_team_heavy", raise_if_not_found=False):
            return
        # crm's shared demo stages belong to crm's demo team: our teams show their own pipelines only
        default_team = env.ref("sales_team.team_sales_department", raise_if_not_found=False)
        if default_team:
            env["crm.stage"].search([("team_id", "=", False)]).write({"team_id": default_team.id})
        manager = env.ref("base.user_admin")
        salesman = env.ref("base.user_demo", raise_if_not_found=False) or manager
        teams = {}
        sellers = {"heavy": manager, "finance": salesman}
        for key, name, template in (
            ("heavy", "Heavy Industry Key Accounts", "process_industrial"),
            ("finance", "Commercial Buildings", "process_project"),
        ):
            team = env["crm.team"].create(
                {"name": name, "user_id": manager.id, "member_ids": [Command.link(sellers[key].id)]}
            )
            self._xmlid(f"demo_team_{key}", team)
            wizard = env["kam.process.apply"].create(
                {"team_id": team.id, "template_id": env.ref(f"kam_sales_process.{template}").id}
            )
            wizard._apply_stages(wizard.line_ids.template_stage_id)
            stages = env["crm.stage"].search([("team_id", "=", team.id)])
            for index, stage in enumerate(stages, start=1):
                self._xmlid(f"demo_stage_{key}_{index}", stage)
            teams[key] = (team, stages)
        accounts, people = self._demo_accounts(manager)
        self._demo_deals(teams, sellers, accounts, people)
        # tiers from the deals, then the phases (with their history and recommended actions)
        partners = env["res.partner"].browse([account.id for account in accounts.values()])
        partners._kam_recompute_tiers()
        for key, _name, _city, _ratings, _margin, _share, phase, _level in CUSTOMERS:
            if phase:
                accounts[key].with_context(kam_phase_note="Demo data").kam_phase = phase
        env["crm.lead"].search([("team_id", "in", [t.id for t, _s in teams.values()])])._kam_recompute_red_flags()
        self._demo_plans(accounts, people, manager)

    def _demo_plans(self, accounts, people, manager):
        """Competitors, offer lines, the steel works' units and whitespace, and account plans."""
        env = self.env
        today = fields.Date.context_today(self)
        deal = {name: env.ref(f"kam_sales_process.demo_deal_{index}") for index, (_k, name, *_r) in enumerate(DEALS, 1)}
        competitors = {}
        for key, name, profile in COMPETITORS:
            competitors[key] = env["kam.competitor"].create({"name": name, "profile": profile})
            self._xmlid(f"demo_competitor_{key}", competitors[key])
        for deal_name, key, status, strengths, weaknesses in DEAL_COMPETITORS:
            line = env["kam.lead.competitor"].create(
                {
                    "lead_id": deal[deal_name].id,
                    "competitor_id": competitors[key].id,
                    "status": status,
                    "strengths": strengths,
                    "weaknesses": weaknesses,
                }
            )
            self._xmlid(f"demo_lead_competitor_{deal[deal_name].id}_{key}", line)
        for deal_name, key in LOST_TO:
            deal[deal_name].with_context(active_test=False).kam_lost_to_id = competitors[key]
        tags = {}
        for key, name in OFFER_LINES:
            tags[key] = env["crm.tag"].create({"name": name})
            self._xmlid(f"demo_tag_{key}", tags[key])
            line = env["kam.offer.line"].create({"name": name, "tag_ids": [Command.set(tags[key].ids)]})
            self._xmlid(f"demo_offer_line_{key}", line)
        company = env.company
        steel = env["kam.account"]._kam_get_or_create(accounts["steel"], company)
        units = {}
        for key, name, kind in STEEL_UNITS:
            units[key] = env["kam.account.unit"].create({"account_id": steel.id, "name": name, "kind": kind})
            self._xmlid(f"demo_unit_steel_{key}", units[key])
        for deal_name, unit_key, tag_key in STEEL_DEAL_CELLS:
            deal[deal_name].with_context(active_test=False).write(
                {"kam_unit_id": units[unit_key].id, "tag_ids": [Command.link(tags[tag_key].id)]}
            )
        steel._kam_fill_whitespace()
        for unit_key, tag_key, value in STEEL_POTENTIAL:
            cell = steel.whitespace_ids.filtered(
                lambda c, u=unit_key, t=tag_key: c.unit_id == units[u] and c.offer_line_id.tag_ids == tags[t]
            )
            cell.write({"estimated_value": value} if value else {"status": "na"})
        held = steel.whitespace_ids.filtered(
            lambda c: c.unit_id == units["mill"] and c.offer_line_id.tag_ids == tags["sensors"]
        )
        held.write({"status": "competitor", "competitor_id": competitors["eastern"].id, "note": "Installed in 2021"})
        li = people["steel"][1]  # the chief engineer
        plan = env["kam.account.plan"].create(
            {
                "account_id": steel.id,
                "date_from": today.replace(month=1, day=1),
                "date_to": today.replace(month=12, day=31),
                "revenue_target": 5_000_000,
                "wallet_estimate": 9_000_000,
                "share_target": 55,
                "phase_target": "interdependent",
                "depth_target": "value",
                "strengths": "Ten years of service on the blast furnaces; the maintenance team trusts us (Chen Jie).",
                "vulnerabilities": "Unknown to the new chief engineer; our rolling-mill references are older.",
                "opportunities": "Rolling mill 2 modernisation; coke oven sensors for the second battery; a "
                "site-wide service contract.",
                "threats": "Northern Steel Systems bids low on drives; the group pushes a single-supplier policy.",
                "strategy": "<p>Win the blast furnace upgrade first, use it as the reference for the rolling mill, "
                "and turn the spare-parts contract into a site-wide service agreement.</p>",
                "review_date": today - timedelta(days=40),
                "review_rating": "4",
            }
        )
        self._xmlid("demo_plan_steel", plan)
        objectives = {}
        for key, name, kind, extra in (
            ("revenue", "Win 5 million this year", "revenue", {}),
            ("share", "Reach 55 % of their automation spend", "share", {}),
            ("engineer", "Know the chief engineer at opinions", "person",
             {"partner_id": li.id, "target_level": "opinions"}),
            ("gm", "Meet the general manager every quarter", "other", {}),
        ):  # fmt: skip
            objectives[key] = env["kam.account.plan.objective"].create(
                {"plan_id": plan.id, "name": name, "kind": kind, **extra}
            )
            self._xmlid(f"demo_plan_steel_objective_{key}", objectives[key])
        for index, (name, objective, owner, days, done) in enumerate(
            (
                ("Reference visit to the Ma'anshan blast furnace", "revenue", manager, -30, True),
                ("Technical workshop with the chief engineer", "engineer", manager, -5, False),
                ("Rolling mill 2 proposal", "revenue", manager, 20, False),
                ("Service contract offer for the whole site", "share", manager, 45, False),
                ("Quarterly meeting with Wang Gang", "gm", manager, 60, False),
            ),
            start=1,
        ):
            action = env["kam.account.plan.action"].create(
                {
                    "plan_id": plan.id,
                    "objective_id": objectives[objective].id,
                    "name": name,
                    "user_id": owner.id,
                    "date_deadline": today + timedelta(days=days),
                    "done": done,
                }
            )
            self._xmlid(f"demo_plan_steel_action_{index}", action)
        power = env["kam.account"]._kam_get_or_create(accounts["power"], company)
        power_plan = env["kam.account.plan"].create(
            {
                "account_id": power.id,
                "date_from": today.replace(month=1, day=1),
                "date_to": today.replace(month=12, day=31),
                "revenue_target": 8_000_000,
                "wallet_estimate": 10_000_000,
                "share_target": 90,
                "phase_target": "integrated",
                "depth_target": "trust",
            }
        )
        self._xmlid("demo_plan_power", power_plan)
        all_accounts = env["kam.account"].search([("partner_id", "in", [a.id for a in accounts.values()])])
        all_accounts._kam_refresh_health()

    def _demo_accounts(self, manager):
        env = self.env
        accounts, people = {}, {}
        for key, name, city, ratings, margin, share, _phase, level in CUSTOMERS:
            account = env["res.partner"].create(
                {
                    "name": name,
                    "is_company": True,
                    "city": city,
                    "country_id": env.ref("base.cn").id,
                    "user_id": manager.id,
                    "kam_rating_strategic_fit": ratings[0],
                    "kam_rating_financial_health": ratings[1],
                    "kam_rating_chain_transparency": ratings[2],
                    "kam_rating_demand_continuity": ratings[3],
                    "kam_margin_rate": margin,
                    "kam_share_of_wallet": share,
                    "kam_company_relationship": level,
                }
            )
            self._xmlid(f"demo_account_{key}", account)
            accounts[key] = account
            for index, (person, job, _roles, _attitude, _level) in enumerate(PEOPLE[key], start=1):
                contact = env["res.partner"].create({"name": person, "function": job, "parent_id": account.id})
                self._xmlid(f"demo_person_{key}_{index}", contact)
                people.setdefault(key, []).append(contact)
        return accounts, people

    def _demo_deals(self, teams, sellers, accounts, people):
        env = self.env
        roles = {role.code: role for role in env["kam.buying.role"].search([("code", "!=", False)])}
        today = fields.Date.context_today(self)
        Lead = env["crm.lead"].with_context(kam_gate_bypass=GateBypass(GateBypass.HISTORY), mail_create_nolog=True)
        for index, (key, name, team_key, where, revenue, probability, days, priority, score) in enumerate(
            DEALS, start=1
        ):
            team, stages = teams[team_key]
            stage = stages.filtered("is_won")[:1] if where == "won" else stages[where if where != "lost" else 1]
            values = {
                "name": name,
                "type": "opportunity",
                "partner_id": accounts[key].id,
                "team_id": team.id,
                "user_id": sellers[team_key].id,
                "stage_id": stage.id,
                "expected_revenue": revenue,
                "probability": probability,
                "priority": priority,
                "date_deadline": today + timedelta(days=days),
                **{f"kam_q_{code}": min(10, max(0, score - (i % 3))) for i, code in enumerate(QUALIFICATION)},
            }
            deal = Lead.create(values)
            self._xmlid(f"demo_deal_{index}", deal)
            if where == "lost":
                deal.action_set_lost()
            if where in ("won", "lost"):
                deal.date_closed = fields.Datetime.now() + timedelta(days=min(days, 0))
            # A buying centre on most deals: everyone the account has on the main deals, fewer people
            # (single-threaded, no decision maker: red flags to see) on the others, none on every fourth.
            main = index in (1, 6, 13, 15, 21, 10, 20)
            if main or index % 4:
                known = len(PEOPLE[key]) if main else max(1, len(PEOPLE[key]) - 1 - index % 2)
                for number, (person, (_n, _j, role_codes, attitude, level)) in enumerate(
                    zip(people[key][:known], PEOPLE[key][:known], strict=True), start=1
                ):
                    stakeholder = env["kam.stakeholder"].create(
                        {
                            "lead_id": deal.id,
                            "partner_id": person.id,
                            "role_ids": [Command.set([roles[code].id for code in role_codes if code in roles])],
                            "attitude": attitude,
                            "relationship_level": level,
                            "last_contact_manual": today - timedelta(days=5) if level != "greeting" else False,
                        }
                    )
                    self._xmlid(f"demo_stakeholder_{index}_{number}", stakeholder)
