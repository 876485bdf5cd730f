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
        "views/kam_menus.xml",
    ],
}
