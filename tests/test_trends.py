"""Theme trends (analysis.trends and `gaplens trends`): the rule, and on a real workspace."""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import chi2

from analysis.browse import UNCLUSTERED
from analysis.results import NoAnalysis
from analysis.trends import (
    ALPHA,
    MIN_NEW,
    QUIET_BELOW,
    classify,
    parse_quarter,
    theme_series,
    theme_trends,
    trend_test,
)
from gaplens.cli import cli
from gaplens.models import Note
from gaplens.store import Store

SSO, HIPAA, VOICE, QUIET, RETURNING = 0, 1, 2, 3, 7
LABELS = {SSO: "SSO", HIPAA: "HIPAA", VOICE: "Voice", QUIET: "Quiet", RETURNING: "Returning"}

NOTES = [
    # id, date, theme (None: no theme took it), the long note a mention came from
    ("a1", "2026-01-05", SSO, None),
    ("a2", "2026-02-11", SSO, None),
    ("b1", "2026-03-20", HIPAA, None),
    ("r1", "2026-03-25", RETURNING, None),
    ("u1", "2026-03-30", None, None),
    # 2026Q1: 5 notes; SSO 2, HIPAA 1, Returning 1
    ("L#1", "2026-04-02", SSO, "L"),  # one long note: two SSO mentions, one HIPAA, one neither
    ("L#2", "2026-04-02", SSO, "L"),
    ("L#3", "2026-04-02", HIPAA, "L"),
    ("L#4", "2026-04-02", None, "L"),
    ("a3", "2026-05-01", SSO, None),
    ("b2", "2026-05-15", HIPAA, None),
    ("q1", "2026-05-20", QUIET, None),
    ("u2", "2026-06-01", None, None),
    ("a4", "2026-06-30", SSO, None),
    # 2026Q2: 6 notes (L, a3, b2, q1, u2, a4); SSO 3, HIPAA 2, Quiet 1
    ("x1", None, SSO, None),  # undated: in no quarter
    ("v1", "2026-07-01", VOICE, None),
    ("r2", "2026-07-03", RETURNING, None),
    ("r3", "2026-07-04", RETURNING, None),
    ("v2", "2026-07-09", VOICE, None),
    ("q2", "2026-07-20", QUIET, None),
    ("v3", "2026-08-01", VOICE, None),
    ("r4", "2026-08-10", RETURNING, None),
    ("a5", "2026-08-15", SSO, None),
    # 2026Q3 (the newest, over in the data on 2026-08-15): 8 notes; Voice 3 (new),
    # Returning 3 (had one in 2026Q1), Quiet 1, SSO 1
]


def _build(path) -> None:
    with Store(path) as s:
        s.insert_notes(
            [Note(i, f"note {i}", date=d, parent_id=parent) for i, d, _, parent in NOTES], None
        )
        run = s.start_run("fake", {})
        s.save_results(
            run,
            [
                {"cluster_id": cid, "label": label, "size": 0, "coverage": 0.0, "score": 0.0}
                for cid, label in LABELS.items()
            ],
            [{"note_id": i, "cluster_id": cid, "probability": 1.0} for i, _, cid, _ in NOTES],
            [],
        )
        s.end_run(run, "done", n_clusters=len(LABELS))
        # imported after the analysis and not placed yet: in no count
        s.insert_notes([Note("late", "arrived later", date="2026-09-20")], None)


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "w.db"
    _build(path)
    return path


@pytest.fixture
def ws(workspace):
    s = Store(workspace)
    yield s
    s.close()


def _by_label(report):
    return {t.label: t for t in report.themes}


def _armitage_p(counts, totals):
    """The trend test's p another way: over the notes one by one (x: the quarter's place,
    y: 1 when the theme took the note), the Cochran-Armitage chi-square is N * r²."""
    x = np.concatenate([np.full(n, i) for i, n in enumerate(totals)])
    y = np.concatenate(
        [np.r_[np.ones(k), np.zeros(n - k)] for k, n in zip(counts, totals, strict=True)]
    )
    r = np.corrcoef(x, y)[0, 1]
    return float(chi2.sf(len(x) * r * r, 1))


def test_counts_each_note_once_per_theme_and_quarter(ws):
    report = theme_trends(ws, "2026Q3")
    assert (report.quarter, report.previous) == ("2026Q3", "2026Q2")
    # the window starts at the first dated note, not six quarters back
    assert report.quarters == ("2026Q1", "2026Q2", "2026Q3")
    # L's four mentions are one note; u1, u2 (no theme) count; x1 (undated) and "late" do not
    assert report.totals == (("2026Q1", 5), ("2026Q2", 6), ("2026Q3", 8))
    t = _by_label(report)
    assert t["SSO"].counts == (("2026Q1", 2), ("2026Q2", 3), ("2026Q3", 1))
    assert t["HIPAA"].counts == (("2026Q1", 1), ("2026Q2", 2), ("2026Q3", 0))
    assert t["Returning"].counts == (("2026Q1", 1), ("2026Q2", 0), ("2026Q3", 3))
    assert (t["SSO"].previous, t["SSO"].this) == (3, 1)
    assert t["SSO"].previous_share == 0.5 and t["SSO"].share == 0.125
    assert t["SSO"].change == -0.75
    assert t["Voice"].share == 0.375 and t["Voice"].previous_share == 0.0
    assert t["Voice"].change is None
    assert t["Voice"].first_quarter == "2026Q3" and t["Returning"].first_quarter == "2026Q1"
    # every theme is listed; the notes no theme took are in the totals only
    assert sorted(x.theme_id for x in report.themes) == sorted(LABELS)


def test_statuses_p_values_and_order(ws):
    report = theme_trends(ws, "2026Q3")
    # Voice: no note before 2026Q3, 3 in it. Returning: 0 -> 3 too, but it had one in 2026Q1
    assert [(x.label, x.status) for x in report.themes] == [
        ("Voice", "new"),
        ("Returning", "steady"),
        ("SSO", "steady"),
        ("Quiet", "quiet"),
        ("HIPAA", "quiet"),
    ]
    t = _by_label(report)
    # the change test: k2 ~ Binomial(k1 + k2, 8 / 14) under the same share; two-sided
    # exact p, by hand: 0 -> 3: P(3) + P(0) = (64 + 27) / 343
    assert t["Voice"].change_p == pytest.approx(91 / 343)
    assert t["Returning"].change_p == pytest.approx(91 / 343)
    # 3 -> 1: P(0) + P(1) + P(4) = (81 + 432 + 256) / 2401
    assert t["SSO"].change_p == pytest.approx(769 / 2401)
    # the trend test over the three quarters with notes (5, 6 and 8 of them)
    assert t["SSO"].trend_p == pytest.approx(_armitage_p([2, 3, 1], [5, 6, 8]))
    assert t["Returning"].trend_p == pytest.approx(_armitage_p([1, 0, 3], [5, 6, 8]))
    # both ran, each at alpha / 2: p_value is the smaller p, doubled
    for x in (t["Voice"], t["Returning"], t["SSO"]):
        assert x.p_value == pytest.approx(min(1, 2 * min(x.change_p, x.trend_p)))
        assert x.fired == ()
    assert t["SSO"].reason == f"within chance: p=0.32 vs 2026Q2, trend p={t['SSO'].trend_p:.3g}"
    assert t["Voice"].reason == "first notes: 3 in 2026Q3, none before"
    for x in (t["Quiet"], t["HIPAA"]):
        assert (x.p_value, x.change_p, x.trend_p) == (None, None, None)
        assert x.reason == "under 3 notes a quarter: too few to test"
    assert report.span == ("2026Q1", "2026Q2", "2026Q3")
    assert [x.label for x in report.new] == ["Voice"]
    assert report.rising == [] and report.falling == []


def test_partial_quarter_and_default_quarter(ws):
    latest = theme_trends(ws)
    assert latest.quarter == "2026Q3"
    assert latest.partial and latest.through == "2026-08-15"
    assert (latest.total, latest.previous_total) == (8, 6)
    earlier = theme_trends(ws, "2026Q2")
    assert not earlier.partial and earlier.through == "2026-06-30"
    assert earlier.quarters == ("2026Q1", "2026Q2")
    t = _by_label(earlier)
    # SSO 2 of 5 -> 3 of 6: P(k2 = 3 | 5 notes, 6 / 11) is no change at all. Nothing is
    # dated before 2026Q1, so the span is two quarters: no trend test, the change test at
    # full alpha
    assert earlier.span == ("2026Q1", "2026Q2")
    assert t["SSO"].status == "steady" and t["SSO"].p_value == pytest.approx(1.0)
    assert t["SSO"].trend_p is None and t["SSO"].change_p == t["SSO"].p_value
    # one note in its first quarter is not a new theme
    assert t["Quiet"].status == "quiet" and t["Quiet"].first_quarter == "2026Q2"


def test_the_first_quarter_compares_with_an_empty_one(ws):
    report = theme_trends(ws, "2026Q1", window=4)
    assert report.previous == "2025Q4"
    assert report.quarters == ("2025Q4", "2026Q1")
    assert report.totals == (("2025Q4", 0), ("2026Q1", 5))
    sso = _by_label(report)["SSO"]
    assert sso.status == "quiet" and sso.previous_share == 0.0 and sso.share == 0.4


def test_window(ws):
    report = theme_trends(ws, "2026Q3", window=2)
    assert report.quarters == ("2026Q2", "2026Q3")
    assert _by_label(report)["SSO"].counts == (("2026Q2", 3), ("2026Q3", 1))
    # what a report shows, not what the rule looks at
    wide = _by_label(theme_trends(ws, "2026Q3"))
    assert report.span == ("2026Q1", "2026Q2", "2026Q3")
    for t in report.themes:
        w = wide[t.label]
        assert (t.status, t.p_value, t.trend_p, t.reason) == (
            w.status,
            w.p_value,
            w.trend_p,
            w.reason,
        )
    with pytest.raises(ValueError, match="at least 2"):
        theme_trends(ws, window=1)


@pytest.mark.parametrize(
    "text",
    ["2026Q3", "2026q3", "2026-Q3", "2026 Q3", "Q3 2026", "q3-2026", "2026-07-01..2026-09-30"],
)
def test_quarter_spellings(text):
    assert parse_quarter(text) == "2026Q3"


def test_a_bad_quarter_names_the_quarters_that_have_notes(ws):
    for bad in ("2026Q5", "next quarter", "2026Q1..2026Q2", "2026-07-01"):
        with pytest.raises(ValueError) as err:
            theme_trends(ws, bad)
        assert f"'{bad}' is not a quarter" in str(err.value)
        assert "the quarters with notes are 2026Q1, 2026Q2, 2026Q3" in str(err.value)
    with pytest.raises(ValueError) as err:
        theme_trends(ws, "2025Q2")
    assert str(err.value) == (
        "no notes are dated in 2025Q2: the quarters with notes are 2026Q1, 2026Q2, 2026Q3"
    )


def test_no_analysis_or_no_dates(tmp_path):
    with Store(tmp_path / "w.db") as s:
        with pytest.raises(NoAnalysis):
            theme_trends(s)
        s.insert_notes([Note("n1", "undated")], None)
        run = s.start_run("fake", {})
        s.save_results(run, [], [{"note_id": "n1", "cluster_id": None}], [])
        s.end_run(run, "done")
        with pytest.raises(ValueError, match="no note of the analysis has a date"):
            theme_trends(s)


def test_theme_series_has_every_quarter(ws):
    assert theme_series(ws, SSO) == [("2026Q1", 2), ("2026Q2", 3), ("2026Q3", 1)]
    assert theme_series(ws, RETURNING) == [("2026Q1", 1), ("2026Q2", 0), ("2026Q3", 3)]
    assert theme_series(ws, VOICE) == [("2026Q1", 0), ("2026Q2", 0), ("2026Q3", 3)]
    # the notes no theme took: u1; then u2 and L (its fourth mention)
    assert theme_series(ws, UNCLUSTERED) == [("2026Q1", 1), ("2026Q2", 2), ("2026Q3", 0)]
    with pytest.raises(NoAnalysis, match="no theme 99"):
        theme_series(ws, 99)


# -- the rule is honest --------------------------------------------------------


FLAGGED = ("rising", "falling")


def test_a_steady_share_is_rarely_flagged_and_the_naive_rule_often_is():
    """Themes whose share never changes, at 5 to 200 notes a quarter of 1000, over four
    quarters of equal totals, with a busier last quarter, and with growing totals: how
    often does each rule call a change? The rule (either test, each at alpha / 2) stays
    near alpha; the change test alone at alpha (the rule before the trend test) is below
    it; "changed by 50% or more" flags many."""
    rng = np.random.default_rng(20260701)
    trials = 400
    for totals in ([1000] * 4, [1000, 1000, 1000, 1250], [600, 900, 1200, 1500]):
        rates, old_rates, naive_rates = {}, {}, {}
        for volume in (5, 10, 20, 50, 100, 200):  # the theme's expected notes in 1000
            draws = rng.binomial(totals, volume / 1000, size=(trials, len(totals))).tolist()
            verdicts = [classify(k, totals) for k in draws]
            rates[volume] = np.mean([v.status in FLAGGED for v in verdicts])
            # the change test alone at alpha, quiet under 3 notes in both quarters
            old_rates[volume] = np.mean(
                [
                    max(k[-2:]) >= QUIET_BELOW and v.change_p is not None and v.change_p < ALPHA
                    for k, v in zip(draws, verdicts, strict=True)
                ]
            )
            naive_rates[volume] = np.mean([abs(b - a) >= 0.5 * max(a, 1) for *_, a, b in draws])
        assert max(rates.values()) <= 0.07, (totals, rates)
        rule, old = np.mean(list(rates.values())), np.mean(list(old_rates.values()))
        naive = np.mean(list(naive_rates.values()))
        assert rule <= 0.055 and old <= 0.05, (totals, rates, old_rates)
        assert naive >= 0.15 and naive >= 3 * rule, (totals, naive_rates)
        # the naive rule is worst where most themes live: a few notes a quarter
        assert naive_rates[5] >= 0.4 and naive_rates[10] >= 0.25, (totals, naive_rates)


def test_the_trend_test_is_cochran_armitage():
    for counts, totals in (
        ([2, 5, 16, 26], [190, 200, 186, 203]),
        ([30, 20, 10, 2], [200, 200, 200, 200]),
        ([3, 6, 2, 5], [150, 220, 180, 260]),
    ):
        p, slope = trend_test(counts, totals)
        assert p == pytest.approx(_armitage_p(counts, totals), rel=1e-9)
        assert slope == (1 if counts[-1] / totals[-1] > counts[0] / totals[0] else -1)
    # a quarter without notes adds nothing, and the others keep their places
    p, _ = trend_test([4, 0, 9, 15], [200, 0, 180, 210])
    x = np.concatenate([np.full(n, i) for i, n in ((0, 200), (2, 180), (3, 210))])
    y = np.concatenate(
        [np.r_[np.ones(k), np.zeros(n - k)] for k, n in ((4, 200), (9, 180), (15, 210))]
    )
    assert p == pytest.approx(chi2.sf(len(x) * np.corrcoef(x, y)[0, 1] ** 2, 1), rel=1e-9)
    assert trend_test([0, 0, 0], [100, 120, 90]) is None  # no share to trend
    assert trend_test([0, 0, 5], [0, 0, 90]) is None  # one quarter
    with pytest.raises(ValueError):
        trend_test([5, 2], [3, 10])


def test_a_steady_rise_is_flagged_by_the_trend_test():
    # 2, 5, 16, 26 of about 200 notes a quarter: no single step is beyond chance at alpha
    totals = [190, 200, 186, 203]
    v = classify([2, 5, 16, 26], totals)
    assert v.status == "rising" and v.fired == ("trend",) and v.slope == 1
    assert v.change_p > ALPHA and v.trend_p < 0.001
    assert v.p_value == pytest.approx(2 * v.trend_p)
    # the change test alone (two quarters) says steady
    assert classify([16, 26], totals[-2:]).status == "steady"
    # and down: a theme fading to a note or two, which alone would be "quiet"
    fade = classify([20, 12, 2, 1], [200] * 4)
    assert fade.status == "falling" and fade.fired == ("trend",) and fade.slope == -1
    assert classify([2, 1], [200, 200]).status == "quiet"


def test_a_one_quarter_jump_is_still_caught_by_the_change_test():
    # back up after a dip: the line through four quarters is flat, the last step is not
    v = classify([12, 10, 4, 20], [190, 200, 186, 203])
    assert v.status == "rising" and v.fired == ("change",)
    assert v.change_p < ALPHA / 2 < ALPHA < v.trend_p
    # a jump from a flat share: both tests see it
    both = classify([10, 10, 10, 40], [1000] * 4)
    assert both.status == "rising" and both.fired == ("change", "trend")
    # a drop after a year of growth: the tests disagree, and this quarter's change decides
    turn = classify([5, 20, 60, 30], [1000] * 4)
    assert turn.status == "falling" and turn.fired == ("change", "trend") and turn.slope == 1


def test_bonferroni_splits_alpha_only_when_both_tests_run():
    # 10 -> 23 of 1000: p = 0.035, a change at alpha, not at alpha / 2
    alone = classify([10, 23], [1000, 1000])
    assert alone.status == "rising" and alone.p_value == pytest.approx(0.03508, abs=1e-5)
    with_trend = classify([16, 16, 10, 23], [1000] * 4)
    assert with_trend.change_p == pytest.approx(alone.change_p) and with_trend.trend_p > ALPHA
    assert with_trend.status == "steady" and with_trend.p_value == pytest.approx(2 * alone.p_value)
    # a quarter without notes does not count towards the trend test's three
    assert classify([0, 16, 10, 23], [0, 0, 1000, 1000]).trend_p is None
    assert classify([0, 16, 10, 23], [0, 0, 1000, 1000]).status == "rising"


def test_noise_at_small_volume_is_not_flagged():
    for counts in ([3, 6, 2, 5], [5, 2, 6, 3], [4, 4, 1, 6], [2, 5, 3, 7]):
        v = classify(counts, [200] * 4)
        assert v.status == "steady" and v.fired == () and v.p_value >= ALPHA, (counts, v)
        assert v.p_value == pytest.approx(min(1, 2 * min(v.change_p, v.trend_p)))


def test_a_real_change_is_flagged_and_small_numbers_are_not():
    assert classify([40, 80], [1000, 1000]).status == "rising"
    assert classify([80, 40], [1000, 1000]).status == "falling"
    v = classify([3, 6], [1000, 1000])  # doubled, but P(6+ of 9 | 1/2) * 2 = 0.508
    assert v.status == "steady" and v.p_value == pytest.approx(0.5078125)
    # twice the notes in a quarter twice as busy: the share did not move
    v = classify([40, 80], [1000, 2000])
    assert v.status == "steady" and v.p_value == pytest.approx(1.0)
    assert classify([2, 2], [1000, 1000]).status == "quiet"
    assert classify([2, 2], [1000, 1000]).p_value is None
    assert classify([3, 2, 2, 2], [1000] * 4).status == "steady"  # 3 notes in the span
    assert classify([0, MIN_NEW], [1000, 1000], seen_before=False).status == "new"
    assert classify([0, MIN_NEW - 1], [1000, 1000], seen_before=False).status == "quiet"
    assert classify([0, MIN_NEW], [1000, 1000], seen_before=True).status == "steady"
    with pytest.raises(ValueError):
        classify([3], [1000])


# -- a year of growth, end to end ----------------------------------------------

RISE, JUMP, FADE, FLAT = 10, 11, 12, 13
GROWTH = {  # theme: notes in 2025Q4 .. 2026Q3; the rest of each quarter's notes no theme took
    RISE: (2, 5, 16, 26),
    JUMP: (12, 10, 4, 20),
    FADE: (20, 12, 2, 1),
    FLAT: (10, 10, 10, 10),
}
GROWTH_TOTALS = (190, 200, 186, 203)
GROWTH_LABELS = {RISE: "AI data usage", JUMP: "Renewal pricing", FADE: "On-prem", FLAT: "SSO"}


@pytest.fixture
def grown(tmp_path):
    """A workspace of four quarters (2025Q4 .. 2026Q3) of about 200 notes each."""
    path = tmp_path / "grown.db"
    notes, assignments = [], []
    for i, (start, total) in enumerate(
        zip(("2025-10", "2026-01", "2026-04", "2026-07"), GROWTH_TOTALS, strict=True)
    ):
        themes = [cid for cid, counts in GROWTH.items() for _ in range(counts[i])]
        themes += [None] * (total - len(themes))
        for j, cid in enumerate(themes):
            note_id = f"q{i}-{j}"
            notes.append(Note(note_id, f"note {note_id}", date=f"{start}-{j % 28 + 1:02d}"))
            assignments.append({"note_id": note_id, "cluster_id": cid, "probability": 1.0})
    with Store(path) as s:
        s.insert_notes(notes, None)
        run = s.start_run("fake", {})
        clusters = [
            {"cluster_id": cid, "label": label, "size": 0, "coverage": 0.0, "score": 0.0}
            for cid, label in GROWTH_LABELS.items()
        ]
        s.save_results(run, clusters, assignments, [])
        s.end_run(run, "done", n_clusters=len(GROWTH))
    return path


def test_a_year_of_growth(grown):
    with Store(grown) as s:
        report = theme_trends(s, "2026Q3")
        assert report.totals == tuple(zip(report.quarters, GROWTH_TOTALS, strict=True))
        assert report.span == ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
        t = _by_label(report)
        rise, jump, fade = t["AI data usage"], t["Renewal pricing"], t["On-prem"]
        assert rise.status == "rising" and rise.fired == ("trend",)
        assert rise.reason == (
            "share rose over 4 quarters: 1.1% → 2.5% → 8.6% → 12.8% (trend p<0.001)"
        )
        assert jump.status == "rising" and jump.fired == ("change",)
        assert jump.reason == f"share 2.2% → 9.9% vs 2026Q2 (p={jump.change_p:.3g})"
        assert fade.status == "falling" and fade.fired == ("trend",)
        assert fade.reason.startswith("share fell over 4 quarters: 10.5% → 6.0% → 1.1% → 0.5%")
        assert t["SSO"].status == "steady"
        # the rising ones first, the smaller p first
        assert [x.label for x in report.themes] == [
            "AI data usage",
            "Renewal pricing",
            "On-prem",
            "SSO",
        ]
        # a quarter earlier the span is three quarters
        earlier = theme_trends(s, "2026Q2")
        assert earlier.span == ("2025Q4", "2026Q1", "2026Q2")
        assert _by_label(earlier)["AI data usage"].trend_p is not None


# -- the command ---------------------------------------------------------------


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def test_trends_table(workspace):
    result = invoke(workspace, "trends", "--quarter", "2026Q3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026Q3 vs 2026Q2: 8 notes vs 6"
    assert lines[1] == "new: Voice (0 → 3)"
    assert lines[2].startswith("2026Q3 is not over in the data: its notes run to 2026-08-15")
    row = next(line for line in lines if "│ SSO" in line)
    assert "▆█▃" in row and "50.0% → 12.5%" in row and "steady" in row
    assert "within chance: p=0.32 vs 2026Q2" in result.output
    assert "exact binomial test" in result.output and "Cochran-Armitage" in result.output
    earlier = invoke(workspace, "trends", "--quarter", "2026-Q2")
    assert earlier.output.splitlines()[1] == (
        "no new theme, and none rose or fell by more than chance"
    )
    assert "not over" not in earlier.output


def test_trends_json_and_csv_carry_every_field(workspace):
    rows = json.loads(invoke(workspace, "trends", "--format", "json", "--window", "2").output)
    assert [r["label"] for r in rows] == ["Voice", "Returning", "SSO", "Quiet", "HIPAA"]
    sso, sso_trend = rows[2], _armitage_p([2, 3, 1], [5, 6, 8])
    assert sso == {
        "quarter": "2026Q3",
        "previous_quarter": "2026Q2",
        "theme_id": SSO,
        "label": "SSO",
        "status": "steady",
        "previous": 3,
        "this": 1,
        "previous_share": 0.5,
        "share": 0.125,
        "change": -0.75,
        "p_value": float(f"{2 * min(769 / 2401, sso_trend):.4g}"),
        "reason": f"within chance: p=0.32 vs 2026Q2, trend p={sso_trend:.3g}",
        "fired": [],
        "change_p": float(f"{769 / 2401:.4g}"),
        "trend_p": float(f"{sso_trend:.4g}"),
        "first_quarter": "2026Q1",
        "counts": {"2026Q2": 3, "2026Q3": 1},
        "previous_total": 6,
        "total": 8,
        "partial": True,
        "through": "2026-08-15",
    }
    assert rows[3]["p_value"] is None and rows[0]["change"] is None
    out = workspace.parent / "trends.csv"
    assert invoke(workspace, "trends", "--format", "csv", "--out", str(out)).exit_code == 0
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(table) == 5 and table[0]["status"] == "new" and table[0]["partial"] == "true"
    assert json.loads(table[2]["counts"]) == {"2026Q1": 2, "2026Q2": 3, "2026Q3": 1}
    assert table[2]["reason"].startswith("within chance") and table[2]["fired"] == "[]"


def test_trends_table_says_which_test_fired(grown):
    result = invoke(grown, "trends")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == (
        "rising: AI data usage (16 → 26, 4-quarter trend), Renewal pricing (4 → 20); "
        "falling: On-prem (2 → 1, 4-quarter trend)"
    )
    # the table's why column (which wraps) carries the reason
    assert "(trend p<0.001)" in result.output and "share 2.2% → 9.9% vs 2026Q2" in result.output
    rows = {r["label"]: r for r in json.loads(invoke(grown, "trends", "--format", "json").output)}
    assert rows["AI data usage"]["fired"] == ["trend"] and rows["AI data usage"]["trend_p"] < 0.001
    assert rows["Renewal pricing"]["fired"] == ["change"]
    assert rows["Renewal pricing"]["reason"] == "share 2.2% → 9.9% vs 2026Q2 (p=0.00192)"


def test_trends_errors_exit_1(workspace, tmp_path):
    bad = invoke(workspace, "trends", "--quarter", "2026Q7")
    assert bad.exit_code == 1
    assert "'2026Q7' is not a quarter" in bad.output and "2026Q1, 2026Q2, 2026Q3" in bad.output
    assert "Traceback" not in bad.output
    empty = invoke(workspace, "trends", "--quarter", "2024Q1")
    assert empty.exit_code == 1 and "no notes are dated in 2024Q1" in empty.output
    assert invoke(workspace, "trends", "--window", "1").exit_code == 2
    before = invoke(tmp_path / "empty.db", "trends")
    assert before.exit_code == 1 and "ingest notes" in before.output
