"""Import historical deals into any stage, as an explicit and audited manager action."""

import base64
import binascii
import csv
import io

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..kam_sales_process.gates import shorten
from ..models.crm_lead_gate import GateBypass

#: Errors quoted from an import that failed.
MAX_MESSAGES = 10


class KamHistoryImport(models.TransientModel):
    _name = "kam.history.import"
    _description = "Import Deals as History"

    file = fields.Binary(
        required=True,
        attachment=False,
        help="A CSV file (UTF-8, comma or semicolon separated) whose first row names the deal fields, as in "
        "Odoo's own import: e.g. name, partner_id, team_id, stage_id, user_id, expected_revenue, date_closed.",
    )
    filename = fields.Char()
    reason = fields.Text(
        required=True,
        help="Why these deals enter their stages without meeting the milestones before them: kept in each deal's "
        "chatter.",
    )

    def action_import(self):
        """Create the deals where the file places them; their skipped milestones are grandfathered."""
        self.ensure_one()
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only sales managers may import deals as history."))
        self.env["crm.lead"].check_access("create")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise UserError(self.env._("Say why these deals are imported as history."))
        header, rows = self._read_rows()
        self._check_new_deals_only(header, rows)
        Lead = self.env["crm.lead"].with_context(kam_gate_bypass=GateBypass(GateBypass.HISTORY, self.reason.strip()))
        result = Lead.load(header, rows)
        errors = [message for message in result.get("messages", []) if message.get("type") == "error"]
        if errors or not result.get("ids"):
            lines = [shorten(message.get("message", ""), 200) for message in errors[:MAX_MESSAGES]]
            raise UserError(
                self.env._("Nothing was imported:\n%(errors)s", errors="\n".join(lines) or self.env._("no deal found"))
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Deals Imported as History"),
            "res_model": "crm.lead",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", result["ids"])],
            "context": {"active_test": False},
        }

    def _check_new_deals_only(self, header, rows):
        """History is new deals: a row naming an existing record (its external id in an ``id`` column) would
        move a live deal past its gates, grandfathered, with no forced move on record."""
        if "id" not in header:
            return
        column = header.index("id")
        existing = []
        for row in rows:
            xmlid = row[column].strip()
            if xmlid and self.env.ref(xmlid if "." in xmlid else f"__import__.{xmlid}", raise_if_not_found=False):
                existing.append(xmlid)
        if existing:
            raise UserError(
                self.env._(
                    "An import as history only creates deals; these rows name records that exist already: "
                    "%(ids)s. Move existing deals through their gates, or ask for a forced move.",
                    ids=", ".join(shorten(xmlid) for xmlid in existing[:MAX_MESSAGES]),
                )
            )

    def _read_rows(self):
        """(header, rows) of the CSV file, as strings."""
        try:
            text = base64.b64decode(self.file or b"").decode("utf-8-sig")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise UserError(self.env._("The file is not a UTF-8 CSV file.")) from exc
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
        if len(rows) < 2:
            raise UserError(self.env._("The file needs a header row naming the fields and at least one deal."))
        header = [cell.strip() for cell in rows[0]]
        unknown = [name for name in header if name.split("/")[0] not in self.env["crm.lead"]._fields]
        if unknown:
            raise UserError(
                self.env._("Unknown deal fields in the header: %(fields)s", fields=", ".join(map(shorten, unknown)))
            )
        return header, [row + [""] * (len(header) - len(row)) for row in rows[1:]]
