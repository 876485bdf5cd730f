"""Framework-free domain rules of the key-account sales process.

Nothing in this package imports Odoo: the Odoo models of the addon call these
functions with plain values (ids, sequences, numbers) and turn the answers into
records.  That keeps the rules readable, reusable and testable without a
database.
"""

from .gates import first_stage, refusal_lines, stages_to_clear

__all__ = ["first_stage", "refusal_lines", "stages_to_clear"]
