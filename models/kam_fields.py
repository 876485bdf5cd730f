"""Fields of the addon's own kind."""

from odoo import fields


class DealLines(fields.One2many):
    """A deal's lines (its buying centre, its competitors in play) that cost no query on a deal without any.

    Odoo's web client reads every list of a form with the record, hidden notebook pages included, and the
    read of each list runs the lines' record rules: on a deal without lines, a query that finds nothing.
    ``kam_flag`` names a stored boolean of the deal, true as soon as the deal has a line (whoever may read
    it), which the form reads with the deal's row. Where the cache holds that flag false, neither pending
    recomputation nor being computed (its own compute reads the list), the list is empty without asking the
    database; everywhere else the list is read as Odoo reads it.
    """

    kam_flag = None

    def read(self, records):
        flag = records._fields[self.kam_flag]
        cache = records.env.cache
        env = records.env
        pending = env.transaction.tocompute.get(flag, ())
        computing = env._protected.get(flag, ())
        empty = records.browse(
            [
                record_id
                for record, record_id in zip(records, records._ids, strict=True)
                if record_id not in pending and record_id not in computing and cache.get(record, flag, True) is False
            ]
        )
        if empty:
            cache.insert_missing(empty, self, [()] * len(empty))
        rest = records - empty if empty else records
        return super().read(rest) if rest else None
