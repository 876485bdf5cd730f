from . import kam_lead_milestone, kam_milestone, kam_red_flag
