from . import (
    crm_lead_lost,
    crm_merge_opportunity,
    kam_history_import,
    kam_phase_change,
    kam_process_apply,
    kam_stage_override,
)
