from . import (
    test_buying_centre,
    test_decision_chain,
    test_gate_enforcement,
    test_gate_milestones,
    test_gate_override,
    test_gate_performance,
    test_gate_rpc,
    test_groups,
    test_i18n,
    test_phases,
    test_process,
    test_tiering,
)
