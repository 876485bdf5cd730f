import pytest

from kam_sales_process.review import Rank, average, ranking, score_total, weak_elements


def test_the_seed_example_ranks_xiao_zhang_then_xiao_li_then_xiao_wang():
    totals = {
        "小王": [score_total(30, 10, 15)],
        "小李": [score_total(40, 15, 15)],
        "小张": [score_total(45, 15, 15)],
    }
    assert ranking(totals) == [Rank("小张", 1, 75.0, 1), Rank("小李", 2, 70.0, 1), Rank("小王", 3, 55.0, 1)]


def test_a_presenter_is_ranked_by_the_average_of_every_participant_total():
    result = ranking({"a": [60, 80, 70], "b": [71]})
    assert [(r.presenter, r.rank, r.score, r.scores) for r in result] == [("a", 2, 70.0, 3), ("b", 1, 71.0, 1)][::-1]


def test_equal_averages_share_a_rank_and_the_next_rank_skips():
    result = ranking({"a": [70], "b": [70], "c": [60], "d": []})
    assert [(r.presenter, r.rank) for r in result] == [("a", 1), ("b", 1), ("c", 3)]


@pytest.mark.parametrize("parts", [(61, 0, 0), (0, 21, 0), (0, 0, 21), (-1, 0, 0)])
def test_a_part_out_of_range_is_refused(parts):
    with pytest.raises(ValueError):
        score_total(*parts)


def test_average_of_nothing_is_zero():
    assert average([]) == 0.0
    assert average([55, 70, 75]) == 66.67


def test_weak_elements_are_the_items_below_six():
    assert weak_elements({"budget": 3, "need": 8, "timeline": 6, "key_person": 0}) == ["budget", "key_person"]
