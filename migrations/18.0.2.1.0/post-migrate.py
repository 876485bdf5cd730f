"""18.0.2.1.0: existing deals get their stage history, rebuilt from Odoo's stage tracking."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["kam.stage.history"]._kam_backfill()
