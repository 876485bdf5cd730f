from . import (
    base_automation,
    crm_lead,
    crm_stage,
    ir_actions_server,
    kam_buying_role,
    kam_lead_milestone,
    kam_milestone,
    kam_stakeholder,
    mail_activity,
)
