from odoo import api, fields, models, tools

from ..kam_sales_process.redflags import CODES


class KamRedFlag(models.Model):
    _name = "kam.red.flag"
    _description = "Red Flag"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [
            (CODES[0], "Core role missing"),
            (CODES[1], "No coach"),
            (CODES[2], "Core buyer never met"),
            (CODES[3], "New face not followed up"),
            (CODES[4], "Identity changed"),
        ],
        required=True,
        readonly=True,
        help="Which rule raises this flag; automation rules and filters use it.",
    )
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True, help="What the flag means and what to do about it.")
    color = fields.Integer(default=1)

    _sql_constraints = [("code_unique", "unique(code)", "There is one red flag per rule.")]

    @api.model
    @tools.ormcache()
    def _kam_get_ids_by_code(self):
        """``{code: red flag id}`` (cached: flags are shipped data)."""
        return {flag.code: flag.id for flag in self.sudo().search_fetch([("code", "!=", False)], ["code"])}
