# Odoo models of the addon; one file per model (see STYLE.md).
