from . import kam_stage_override
