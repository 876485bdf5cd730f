"""Guards shared by the key-account models: what only the addon writes, and whose children a user edits."""

from odoo.exceptions import UserError


def refuse_system_fields(records, vals, names=()):
    """Related and system-set fields are the addon's to write, never a client's (RPC included)."""
    if records.env.su:
        return
    forged = sorted(
        name
        for name in vals
        if name in names or (name in records._fields and records._fields[name].related and records._fields[name].store)
    )
    if forged:
        raise UserError(
            records.env._(
                "%(fields)s cannot be set: the key-account process fills them in.",
                fields=", ".join(records._fields[name]._description_string(records.env) for name in forged),
            )
        )


def check_parents_writable(records, parents):
    """Children (a plan's objectives and actions, a deal's competitors and buying centre) are edited by
    whoever may edit their parents, every parent involved: callers pass the new parent of a move too,
    as record rules are checked before a write, not after."""
    if not records.env.su and parents:
        parents.check_access("write")
