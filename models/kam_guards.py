"""Guards shared by the key-account models: what only the addon writes, and whose children a user edits."""

from odoo.exceptions import UserError

#: The largest id PostgreSQL's ``integer`` holds: a larger one fails in the database, not with a clear message.
MAX_RECORD_ID = 2**31 - 1


def is_record_id(value):
    """Whether a client's ``value`` (any JSON type) is a record id: a positive int the database can hold, not a
    bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_RECORD_ID


def field_labels(records, names):
    """The labels of the fields ``names`` of ``records``' model, in the user's language, sorted and joined."""
    return ", ".join(sorted(records._fields[name]._description_string(records.env) for name in names))


def kept_by_addon(records, name, names=(), readonly_computes=False):
    """Whether the field ``name`` is the addon's to fill, never a client's: one of ``names`` or a related
    stored field; with ``readonly_computes``, a readonly stored computed field too (a default for one would
    be kept, where a value in ``vals`` is simply recomputed)."""
    if name in names:
        return True
    field = records._fields.get(name)
    if not field or not field.store:
        return False
    return bool(field.related or (readonly_computes and field.compute and field.readonly))


def refuse_system_fields(records, vals, names=()):
    """Related and system-set fields are the addon's to write, never a client's (RPC included)."""
    check_values(records, [vals])
    if records.env.su:
        return
    forged = sorted(name for name in vals if kept_by_addon(records, name, names))
    if forged:
        raise UserError(
            records.env._(
                "%(fields)s cannot be set: the key-account process fills them in.",
                fields=", ".join(records._fields[name]._description_string(records.env) for name in forged),
            )
        )


def drop_forged_defaults(records, names=()):
    """``records`` with a context that gives no default to what a client may not set on a new record.

    Odoo fills a new record's fields from the context's ``default_<field>`` keys, readonly fields
    included: the fields ``names``, related stored fields and stored computed fields that are readonly
    (what ``refuse_system_fields`` refuses in the values) take no default from a client's context.
    Dropped rather than refused: a context carries defaults on to every record made in the request.
    """
    if records.env.su:
        return records
    context = records.env.context

    def forged(key):
        return key.startswith("default_") and kept_by_addon(records, key[len("default_") :], names, True)

    dropped = [key for key in context if forged(key)]
    if not dropped:
        return records
    # a new environment rather than with_context: the keys go, not only their values
    return records.with_env(records.env(context={key: value for key, value in context.items() if key not in dropped}))


def strip_forged_defaults(records, defaults, names=(), system=True):
    """``defaults`` (what ``default_get`` found) without a value for what a client may not set on a new record.

    A new record takes defaults from the context's ``default_<field>`` keys and from ``ir.default``, where
    any user may keep personal defaults: neither may fill the fields ``names`` (nor, with ``system``, the
    related stored and readonly computed fields ``drop_forged_defaults`` protects; not on other modules'
    models, whose own fields keep their behaviour). Such a field gets its own default, if it has one, or
    none (a computed one is then computed). Server code in sudo keeps its context's defaults, not the
    personal defaults of the user it runs for.
    """
    context = records.env.context
    forged = [
        name
        for name in defaults
        if (name in names or (system and kept_by_addon(records, name, names, True)))
        and not (records.env.su and f"default_{name}" in context)
    ]
    for name in forged:
        field = records._fields[name]
        if field.default:
            defaults[name] = field.convert_to_write(field.convert_to_cache(field.default(records), records), records)
        else:
            del defaults[name]
    return defaults


def check_values(records, vals_list):
    """Refuse in words a client's values that are not a dictionary of fields (``None``, a list…), which Odoo
    would fail on deep inside as a traceback."""
    for vals in vals_list if isinstance(vals_list, list | tuple) else [vals_list]:
        if not isinstance(vals, dict):
            raise UserError(
                records.env._("Values are given as fields and their values, not %(value)s.", value=repr(vals)[:80])
            )


def check_dates(records, vals, names):
    """Refuse in words a client's value for the date fields ``names`` that is no date (a dict, a list, text
    that is not a date), which Odoo would fail on deep inside as a traceback."""
    for name in names & vals.keys():
        value = vals[name]
        try:
            records._fields[name].convert_to_cache(value, records)
        except (TypeError, ValueError, AttributeError):
            raise UserError(
                records.env._(
                    "%(field)s must be a date, not %(value)s.",
                    field=records._fields[name]._description_string(records.env),
                    value=repr(value)[:80],
                )
            ) from None


def parent_ids(records, vals_list, field_name, defaults=True):
    """The ids a batch of ``create`` values gives for a many2one (each checked: a client may send anything);
    with ``defaults``, the context's default for the values that do not give one (a ``write`` passes False).

    Values that are not record ids (a list, a string, a dict over RPC) are refused with a clear message
    before the addon's own checks use them, rather than failing deep inside as a traceback; a value the
    field accepts in another form (a record) is replaced in ``vals`` by its id.
    """
    field = records._fields[field_name]
    ids = []
    default = records.env.context.get(f"default_{field_name}") if defaults else None
    check_values(records, vals_list)
    for vals in vals_list:
        # a value the context's default will give counts too: it is checked like one sent in the values
        value = vals.get(field_name, default)
        if not value:
            continue
        if is_record_id(value):
            ids.append(value)
            continue
        try:
            converted = field.convert_to_cache(value, records)
        except (TypeError, ValueError, AttributeError):
            converted = None
        if not is_record_id(converted):
            raise UserError(
                records.env._(
                    "%(field)s must be given as a record id, not %(value)s.",
                    field=field._description_string(records.env),
                    value=repr(value)[:80],
                )
            )
        if field_name in vals:
            vals[field_name] = converted
        ids.append(converted)
    return ids


def check_parents_writable(records, parents):
    """Children (a plan's objectives and actions, a deal's competitors and buying centre) are edited by
    whoever may edit their parents, every parent involved: callers pass the new parent of a move too,
    as record rules are checked before a write, not after."""
    if not records.env.su and parents:
        parents.check_access("write")
