{
    "name": "Key Account Sales Process",
    "summary": "Stage milestone gates, buying-centre roles, customer tiering and "
    "relationship phases for key-account (B2B) sales",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "kam_sales_process developers",
    "website": "https://github.com/kam-sales-process/kam_sales_process",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["crm", "base_automation", "mail"],
    "data": [
        "security/kam_security.xml",
        "security/ir.model.access.csv",
        "security/kam_rules.xml",
        "data/kam_buying_role_data.xml",
        "data/kam_gate_automation_data.xml",
        "data/kam_red_flag_data.xml",
        "views/kam_menus.xml",
        "views/kam_milestone_views.xml",
        "views/kam_lead_milestone_views.xml",
        "views/kam_buying_role_views.xml",
        "views/kam_stakeholder_views.xml",
        "views/kam_red_flag_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_stage_views.xml",
        "views/crm_lead_views.xml",
        "wizards/kam_stage_override_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "kam_sales_process/static/src/**/*",
        ],
        "web.assets_tests": [
            "kam_sales_process/static/tests/tours/**/*",
        ],
    },
}
