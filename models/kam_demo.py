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
