import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam_sales_process.funnel import StageFigures, balance, bottleneck, conversion


def test_a_balanced_funnel_follows_conversion_and_time():
    stages = [
        StageFigures("lead", finished=100, forward=50, average_days=10, open_now=40),
        StageFigures("demo", finished=50, forward=25, average_days=20, open_now=40),
        StageFigures("offer", finished=20, forward=10, average_days=10, open_now=20),
    ]
    # weights: 1 x 10, 0.5 x 20, 0.25 x 10 -> 10, 10, 2.5 of 22.5; 100 deals open
    result = balance(stages)
    assert [round(b.expected, 2) for b in result] == [44.44, 44.44, 11.11]
    assert bottleneck(result) == "offer"
    assert [b.conversion for b in result] == [0.5, 0.5, 0.5]


def test_too_little_history_invents_no_bottleneck():
    stages = [StageFigures(n, finished=2, forward=0, average_days=None, open_now=3) for n in "abc"]
    result = balance(stages)
    assert all(b.conversion is None for b in result)
    assert [b.expected for b in result] == [3.0, 3.0, 3.0]
    assert bottleneck(result) is None


def test_an_empty_pipeline_has_no_bottleneck():
    assert balance([]) == []
    assert bottleneck([]) is None
    assert conversion(StageFigures("a", 0, 0, None, 0)) is None


@given(
    st.lists(
        st.tuples(
            st.integers(0, 50),
            st.integers(0, 50),
            st.one_of(st.none(), st.floats(0.1, 100)),
            st.integers(0, 30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_expected_counts_share_out_todays_open_deals(rows):
    stages = [
        StageFigures(i, finished=f, forward=min(w, f), average_days=d, open_now=o)
        for i, (f, w, d, o) in enumerate(rows)
    ]
    result = balance(stages)
    assert sum(b.expected for b in result) == pytest.approx(sum(s.open_now for s in stages))
    found = bottleneck(result)
    if found is not None:
        assert max(b.excess for b in result) == pytest.approx(result[found].excess)
