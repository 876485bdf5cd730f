from odoo import api, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events._kam_refresh_attendees()
        return events

    def write(self, vals):
        if not {"partner_ids", "start", "stop", "active"} & vals.keys():
            return super().write(vals)  # the attendees and the date are unchanged: nothing to read
        attendees = self.partner_ids
        result = super().write(vals)
        self._kam_refresh_attendees(attendees)
        return result

    def unlink(self):
        # A deleted meeting is no longer a contact: its attendees' last contact is read again.
        attendees = self.sudo().partner_ids
        result = super().unlink()
        if attendees:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(attendees.ids)
        return result

    def _kam_refresh_attendees(self, extra=None):
        """A meeting with a stakeholder is a contact: refresh their last contact date."""
        partners = self.partner_ids | (extra or self.env["res.partner"])
        if partners:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partners.ids)


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def write(self, vals):
        # A meeting someone declined is no contact with them: their last contact follows their answer.
        declining = vals.get("state") == "declined"
        changed = self.filtered(lambda a: a.state == "declined" or declining) if "state" in vals else self
        if "state" not in vals or not changed:
            return super().write(vals)
        partners = changed.partner_id
        result = super().write(vals)
        if partners:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partners.ids)
        return result
