import math
from datetime import date

import pytest

from analysis.score import Demand, deal_values, demand_of, recent_cutoff, score_all


def test_demand_counts_each_deal_once():
    notes = [
        {"deal": "D1", "amount": 1000, "account": "Acme", "date": "2026-01-10"},
        {"deal": "D1", "amount": 1500, "account": "acme ", "date": "2026-03-01"},
        {"deal": "D2", "amount": None, "account": "Beta", "date": None},
        {"deal": None, "amount": 200, "account": None, "date": "2025-01-01"},
    ]
    d = demand_of(notes, cutoff=date(2026, 2, 1))
    assert (d.notes, d.deals, d.accounts) == (4, 2, 2)
    assert d.amount == 1500 + 0 + 200
    assert d.recent_share == pytest.approx(1 / 3)


def test_deal_named_without_amount_takes_its_known_value():
    everything = [{"deal": "D1", "amount": 900}, {"deal": "D1", "amount": 1200}, {"deal": "D2"}]
    values = deal_values(everything)
    assert values == {"D1": 1200.0}
    d = demand_of([{"deal": "D1", "amount": None}, {"deal": "D2", "amount": None}], None, values)
    assert (d.deals, d.amount) == (2, 1200.0)


def test_recent_cutoff_is_90_days_before_newest():
    assert recent_cutoff(["2026-01-01", None, "2026-04-01"]) == date(2026, 1, 1)
    assert recent_cutoff([None]) is None


def test_score_formula_by_hand():
    big = Demand(notes=10, deals=4, accounts=3, amount=50000, recent_share=0.5)
    small = Demand(notes=2, deals=1, accounts=1, amount=0, recent_share=0.0)
    parts = score_all([big, small], coverages=[0.25, 0.0], base_recent=0.25)
    # the biggest theme normalises to 1 on every demand part
    assert parts[0].demand == pytest.approx(1.0)
    assert parts[0].momentum == pytest.approx(1.0)  # recent share twice the base
    assert parts[0].score == pytest.approx(100 * 1.0 * 1.0 * 0.75)
    n = math.log1p(2) / math.log1p(10)
    d = math.log1p(1) / math.log1p(4)
    a = math.log1p(1) / math.log1p(3)
    expected_demand = 0.35 * n + 0.20 * d + 0.15 * a + 0.30 * 0.0
    assert parts[1].demand == pytest.approx(expected_demand)
    assert parts[1].momentum == pytest.approx(0.5)  # nothing recent
    assert parts[1].score == pytest.approx(100 * expected_demand * 0.5 * 1.0)


def test_fully_covered_theme_scores_zero():
    parts = score_all([Demand(5, 2, 2, 100.0, 0.2)], coverages=[1.0], base_recent=0.2)
    assert parts[0].score == 0.0
    assert parts[0].momentum == pytest.approx(0.75)
