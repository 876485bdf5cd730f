from odoo import api, fields, models, tools

from ..kam_sales_process.redflags import RULES


class KamRedFlag(models.Model):
    """A red flag (地雷) of the buying centre.

    The flags come from one registry of rules (``_kam_get_rules``: code,
    label, guidance, when raised): it gives the ``code`` selection, the flag
    records (``_kam_sync_flags``, at install and upgrade) and the deals'
    ``kam_red_flag_ids`` compute.  An extension adds a flag with a
    ``selection_add`` on ``code`` and its rule in ``_kam_get_rules``.
    """

    _name = "kam.red.flag"
    _description = "Red Flag"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [(rule.code, rule.label) for rule in RULES],
        required=True,
        readonly=True,
        help="Which rule raises this flag; automation rules and filters use it.",
    )
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True, help="What the flag means and what to do about it.")
    color = fields.Integer(default=1)

    _sql_constraints = [("code_unique", "unique(code)", "There is one red flag per rule.")]

    @api.model
    def _kam_get_rules(self):
        """The rules of the red flags (``kam_sales_process.redflags.FlagRule``). Extension hook."""
        return list(RULES)

    @api.model
    def _kam_get_situation_extra(self):
        """What extension rules read besides the buying centre (``Situation.extra``). Extension hook."""
        return {}

    @api.model
    def _kam_sync_flags(self):
        """Create the flag record of every rule that has none (existing flags keep their admins' edits)."""
        Flag = self.sudo().with_context(active_test=False)
        existing = set(Flag.search([("code", "!=", False)]).mapped("code"))
        rules = [rule for rule in self._kam_get_rules() if rule.code not in existing]
        if not rules:
            return
        flags = Flag.create(
            [
                {
                    "name": rule.label,
                    "code": rule.code,
                    "description": rule.description,
                    "sequence": rule.sequence,
                    "color": rule.color,
                }
                for rule in rules
            ]
        )
        # Named like data records, so that their translations load and uninstalling removes them.
        self.env["ir.model.data"]._update_xmlids(
            [
                {"xml_id": f"{rule.module}.red_flag_{rule.code}", "record": flag, "noupdate": True}
                for rule, flag in zip(rules, flags, strict=True)
            ]
        )
        self.env.registry.clear_cache()  # _kam_get_ids_by_code

    @api.model
    @tools.ormcache("self.env.lang")
    def _kam_get_badges(self):
        """``{id: (sequence key, {"id", "name", "color"})}`` of every flag in the current language (cached:
        flags are configuration; a change of a flag clears the cache)."""
        flags = self.sudo().search_fetch([("code", "!=", False)], ["name", "color", "sequence"])
        return {
            flag.id: ((flag.sequence, flag.id), {"id": flag.id, "name": flag.name, "color": flag.color})
            for flag in flags
        }

    @api.model_create_multi
    def create(self, vals_list):
        flags = super().create(vals_list)
        self.env.registry.clear_cache()  # _kam_get_ids_by_code, _kam_get_badges
        return flags

    def write(self, vals):
        result = super().write(vals)
        if {"name", "color", "sequence", "code"} & vals.keys():
            self.env.registry.clear_cache()  # _kam_get_ids_by_code, _kam_get_badges
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def update_field_translations(self, field_name, translations, source_lang=None):
        result = super().update_field_translations(field_name, translations, source_lang=source_lang)
        self.env.registry.clear_cache()  # a flag's name in another language
        return result

    @api.model
    @tools.ormcache()
    def _kam_get_ids_by_code(self):
        """``{code: red flag id}`` (cached: flags are configuration)."""
        return {flag.code: flag.id for flag in self.sudo().search_fetch([("code", "!=", False)], ["code"])}
