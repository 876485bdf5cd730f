from . import (
    crm_lead_lost,
    kam_history_import,
    kam_phase_change,
    kam_process_apply,
    kam_stage_override,
)
