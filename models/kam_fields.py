"""Fields of the addon's own kind."""

import math
from collections import defaultdict

from odoo import fields
from odoo.exceptions import ValidationError


def prefetched_columns(model):
    """The fields Odoo's fetch reads from ``model``'s table with any of them: stored in a column of it,
    prefetched with the others, readable by the model's user."""
    return [
        field
        for field in model._fields.values()
        if field.store and field.column_type and field.prefetch is True and field.is_accessible(model.env)
    ]


class DealLines(fields.One2many):
    """A deal's lines (its buying centre, its competitors in play) that cost no query on a deal without any,
    and one query on a deal with some.

    Odoo's web client reads every list of a form with the record, hidden notebook pages included, and the
    read of each list runs the lines' record rules: on a deal without lines, a query that finds nothing.
    ``kam_flag`` names a stored boolean of the deal, true as soon as the deal has a line (whoever may read
    it), which the form reads with the deal's row. Where the cache holds that flag false, neither pending
    recomputation nor being computed (its own compute reads the list), the list is empty without asking the
    database.

    The other deals' lines are found as Odoo finds them (the same domain, record rules and order within a
    deal), with two differences: the query fetches the lines' columns with their ids, so that showing them
    asks no second query of the rules; and it does not sort by deal (the lines' order starts with their
    deal, whose own order would cost a join), since each deal's lines are kept apart anyway.
    """

    kam_flag = None

    # Odoo's read is replaced here, not extended: it would ask for the lines' ids, then for their columns.
    def read(self, records):  # pylint: disable=method-required-super
        flag = records._fields[self.kam_flag]
        env = records.env
        cache = env.cache
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
        if rest:
            self._kam_read_lines(rest)

    def _kam_read_lines(self, records):
        """Put in the cache the lines of these deals, with their columns, in one query."""
        context = {"active_test": False, **self.context}
        comodel = records.env[self.comodel_name].with_context(**context)
        inverse = self.inverse_name
        domain = [*self.get_domain_list(records), (inverse, "in", records.ids)]
        names = [field.name for field in prefetched_columns(comodel)]
        order = ", ".join(term for term in comodel._order.split(",") if term.split()[0] != inverse)
        lines = comodel.search_fetch(domain, names, order=order or None)
        group = defaultdict(list)
        for line in lines:
            group[line[inverse].id].append(line.id)
        records.env.cache.insert_missing(records, self, [tuple(group[id_]) for id_ in records._ids])


class FlatJson(fields.Json):
    """A Json field whose values are lists of flat dicts (or nothing), read as copies one level deep.

    Odoo's Json field deep-copies its value each time it is read, so that no reader changes the cache: on a
    kanban page of 80 cards, the deep copies of the red flag badges cost more than the rest of their read.
    A list of dicts of plain values (text, numbers) is as safe copied list and dicts, in a tenth of the time.
    """

    def convert_to_record(self, value, record):
        return False if value is None else [dict(item) for item in value]


class _FiniteNumber:
    """A number a user enters (a target, a rate, a weight) that refuses what is not a finite number.

    Odoo's Float and Monetary fields take ``"inf"`` or ``"nan"`` from a client as numbers: PostgreSQL keeps
    them, and every later read answers with a bare ``Infinity`` or ``NaN``, which is no JSON, so that the web
    client cannot show the list or the form holding them to anyone; rounding them to a currency fails with a
    traceback. Refused here with a clear message, on every path that puts a value in a record (create, write,
    a related field's inverse, an onchange). Values read from the database are not checked again.
    """

    def _kam_check_finite(self, value, record):
        if value and not isinstance(value, bool):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = None
            if number is None or not math.isfinite(number):
                raise ValidationError(
                    record.env._(
                        "%(field)s must be a number, not %(value)s.",
                        field=self._description_string(record.env),
                        value=repr(value)[:40],
                    )
                )

    def convert_to_column(self, value, record, values=None, validate=True):
        if validate:
            self._kam_check_finite(value, record)
        return super().convert_to_column(value, record, values, validate)

    def convert_to_column_insert(self, value, record, values=None, validate=True):
        # a new record's values go to the database first (a Monetary amount rounded to its currency)
        if validate:
            self._kam_check_finite(value, record)
        return super().convert_to_column_insert(value, record, values, validate)

    def convert_to_cache(self, value, record, validate=True):
        if validate:
            self._kam_check_finite(value, record)
        return super().convert_to_cache(value, record, validate)


class FiniteFloat(_FiniteNumber, fields.Float):
    """A Float a user enters: finite numbers only (see ``_FiniteNumber``)."""


class FiniteMonetary(_FiniteNumber, fields.Monetary):
    """A Monetary amount a user enters: finite numbers only (see ``_FiniteNumber``)."""
