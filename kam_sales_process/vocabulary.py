"""The value sets of the key-account process, defined once: codes and their English labels.

The Odoo models build their selections from these pairs (Odoo translates the
labels), and the rules of this package use the codes.  The Chinese terms of
the source methods are given in the comments, so a user's vocabulary maps
onto the codes.
"""

from __future__ import annotations


def codes(pairs):
    """The codes of ``(code, label)`` pairs, in order."""
    return tuple(code for code, _label in pairs)


# --- relationship phases of a key account (大客户关系发展阶段) -------------------
PHASE_LABELS = (
    ("exploratory", "Exploratory"),  # 孕育阶段
    ("basic", "Basic"),  # 初期阶段
    ("cooperative", "Cooperative"),  # 中期阶段
    ("interdependent", "Interdependent"),  # 伙伴阶段
    ("integrated", "Integrated"),  # 协作阶段
    ("disintegrating", "Disintegrating"),  # 中断
)
PHASES = codes(PHASE_LABELS)
#: Phases in which an account can drift away (the disintegration alert watches them).
WATCHED_PHASES = ("basic", "cooperative", "interdependent", "integrated")

# --- relationship depth ------------------------------------------------------------
#: Personal relationship levels, shallow to deep (寒暄 事实 观念 行为 价值观).
PERSONAL_LEVEL_LABELS = (
    ("greeting", "Greeting"),
    ("facts", "Facts"),
    ("opinions", "Opinions"),
    ("behaviour", "Behaviour"),
    ("values", "Values"),
)
PERSONAL_LEVELS = codes(PERSONAL_LEVEL_LABELS)
#: The levels at which a person counts as a deep relationship.
DEEP_LEVELS = ("opinions", "behaviour", "values")
#: Company relationship levels, shallow to deep (品牌 情感 方案 价值 信任/承诺).
COMPANY_LEVEL_LABELS = (
    ("brand", "Brand"),
    ("emotion", "Emotion"),
    ("solution", "Solution"),
    ("value", "Value"),
    ("trust", "Trust and commitment"),
)
COMPANY_LEVELS = codes(COMPANY_LEVEL_LABELS)

# --- people of the buying centre -------------------------------------------------------
ATTITUDE_LABELS = (
    ("supporter", "Supporter"),
    ("neutral", "Neutral"),
    ("opponent", "Opponent"),
    ("unknown", "Unknown"),
)
#: Communication styles (老虎 孔雀 猫头鹰 鸽子).
STYLE_LABELS = (("tiger", "Tiger"), ("peacock", "Peacock"), ("owl", "Owl"), ("dove", "Dove"))

# --- the 7+3 qualification scorecard (73 要素) ------------------------------------------
#: ``(code, side, label)``: seven items about the customer, three about us.
QUALIFICATION_ITEMS = (
    ("basic_facts", "customer", "Basic Facts"),
    ("timeline", "customer", "Project Timeline"),
    ("budget", "customer", "Budget"),
    ("need", "customer", "Basic Need"),
    ("key_person", "customer", "Key Person"),
    ("decision_process", "customer", "Decision Process"),
    ("competition", "customer", "Competitors"),
    ("strength", "own", "Company Strength"),
    ("product_fit", "own", "Product Fit"),
    ("service", "own", "Service Capability"),
)
#: Guidance shown on each item.
QUALIFICATION_HELP = {
    "basic_facts": "Customer side. Basic facts known: industry, size, organisation, credit. "
    "0 = nothing known, 10 = verified.",
    "timeline": "Customer side. The project's timeline: when they decide, when they buy, when they need it. "
    "0 = unknown, 10 = dates confirmed by the customer.",
    "budget": "Customer side. Budget: approved, its amount and who holds it. 0 = unknown, 10 = approved and known.",
    "need": "Customer side. The basic need (SPIN: situation, problem, implication, need-payoff). "
    "0 = guessed, 10 = the customer stated it and its value.",
    "key_person": "Customer side. The key person (decision maker, project owner) identified and met. "
    "0 = unknown, 10 = met and supportive.",
    "decision_process": "Customer side. The decision process: steps, evaluators, criteria. "
    "0 = unknown, 10 = mapped and confirmed by the coach.",
    "competition": "Customer side. Competitors known and their position. 0 = unknown, 10 = all known, we lead.",
    "strength": "Our side. Our company's strength for this deal (references, size, brand). "
    "0 = weak, 10 = clearly the strongest.",
    "product_fit": "Our side. How well our product fits the need. 0 = poor fit, 10 = exact fit.",
    "service": "Our side. Our capability to deliver and serve this customer. 0 = doubtful, 10 = proven.",
}

# --- account tiering ---------------------------------------------------------------------------
#: Manual star ratings of an account (0-5).
RATING_LABELS = (
    ("strategic_fit", "Strategic Fit"),
    ("financial_health", "Financial Health"),
    ("chain_transparency", "Decision-Chain Transparency"),
    ("demand_continuity", "Demand Continuity"),
)
RATING_CODES = codes(RATING_LABELS)
STAR_LABELS = (
    ("0", "Not rated"),
    ("1", "Poor"),
    ("2", "Fair"),
    ("3", "Good"),
    ("4", "Very good"),
    ("5", "Excellent"),
)
#: Volume x profit (明星 大象 金牛 小狗).
QUADRANT_LABELS = (("star", "Star"), ("elephant", "Elephant"), ("cash_cow", "Cash Cow"), ("dog", "Dog"))

# --- funnel --------------------------------------------------------------------------------------
#: How a deal's stay in a stage ended.
EXIT_KIND_LABELS = (
    ("forward", "Moved Forward"),
    ("back", "Moved Back"),
    ("won", "Won"),
    ("lost", "Lost or Archived"),
    ("forced", "Forced by a Manager"),
    ("remapped", "Re-mapped"),
)
EXIT_KINDS = codes(EXIT_KIND_LABELS)
