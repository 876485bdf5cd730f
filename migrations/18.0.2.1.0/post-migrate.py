"""18.0.2.1.0: existing deals get their stage history, rebuilt from Odoo's stage tracking; meetings
done count as visits in the funnel plans."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["kam.stage.history"]._kam_backfill()
    meeting = env.ref("mail.mail_activity_data_meeting", raise_if_not_found=False)
    if meeting:
        meeting.kam_is_visit = True
