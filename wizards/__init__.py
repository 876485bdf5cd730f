from . import kam_phase_change, kam_stage_override
