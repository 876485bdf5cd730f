from . import test_gate_enforcement, test_groups, test_i18n
