"""Which themes rose, fell or appeared in a quarter, and whether that is more than noise.

What the quarterly content-planning meeting asks: of the themes sales heard this
quarter, which are growing, which are fading, which are new? ``theme_trends``
looks at a quarter theme by theme, against the quarter before and over the
``TREND_SPAN`` quarters that end with it, over the notes of the current analysis
that have a date. A long note stored as several mentions counts once per theme
per quarter (and once in the quarter's total), whichever of its mentions the
theme took; notes no theme took count in the totals only.

The rule, and why:
- **new**: the theme has no note in any quarter before this one and at least
  ``MIN_NEW`` in it;
- **quiet**: fewer than ``QUIET_BELOW`` notes in every quarter looked at (the
  span of the trend test when it runs, else this quarter and the one before):
  too few to say anything, so it is not tested;
- **rising / falling**: its *share* of the quarter's notes moved by more than
  chance would move it at that volume, by either of two tests:

  1. *the change test*, this quarter against the one before. With k1 of the N1
     notes last quarter and k2 of the N2 this quarter, if the theme kept its
     share, then given the k1 + k2 notes it drew in both quarters,
     k2 ~ Binomial(k1 + k2, N2 / (N1 + N2)): each of its notes fell in this
     quarter in proportion to the quarter's volume. Its two-sided exact p
     (``scipy.stats.binomtest``); the direction is the way the share moved.
  2. *the trend test*, over the last ``TREND_SPAN`` quarters (this one last; no
     quarter before the workspace's first dated note; it runs when at least
     ``MIN_TREND`` of them have notes): the Cochran–Armitage test for a trend in
     proportions, k_i of N_i notes in quarter i, scored by its place in the span
     (0, 1, 2, 3). Its two-sided p (normal approximation); the direction is the
     sign of the slope.

  Each test is run at ``alpha / 2`` when both run (Bonferroni), at ``alpha``
  when only the change test does. ``p_value`` is the smaller p times the number
  of tests run (at most 1), so a theme is flagged exactly when it is below
  ``alpha``. When the two tests fire in opposite directions (a theme that grew
  all year and dropped sharply this quarter), the change test decides: it is
  about the quarter the meeting plans for, and the trend test, a straight line
  through all four quarters, is the one fooled by a turn;
- **steady**: everything else (including a change too small for its volume).

Shares, not counts, because a busier quarter (more reps, more calls, a pipeline
push) lifts every theme's count at once, and a quarter still under way lowers
every one. A test, because at the volumes one theme gets in one quarter (5 to
50 notes) counts jump by half from one quarter to the next by chance alone: 6
notes after 4 is nothing to plan content around; 80 after 40 of equal totals
is. Two tests, because a steady rise is real even when each step is small: 2,
5, 16, 26 of about 200 notes a quarter passes no single quarter-on-quarter
test, yet chance does not line up four quarters like that, and the trend test
sees it; the change test still catches a one-quarter jump the line through four
quarters blurs. And Bonferroni, because two chances to fire would otherwise
flag more themes that did not move: at ``alpha / 2`` each, a theme whose share
holds still is flagged at most about ``alpha`` of the time. tests/test_trends.py
simulates themes whose share never changes and checks that this rule flags few
of them while "changed by 50% or more" flags many.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest, norm

from analysis.browse import (
    _SQL_QUARTER,
    UNCLUSTERED,
    _quarter_span,
    parse_period,
    quarter_bounds,
    quarter_of,
)
from analysis.results import NoAnalysis, current_run
from gaplens.store import Store

MIN_NEW = 3  # notes a theme needs in its first quarter to be "new"
QUIET_BELOW = 3  # below this many notes in every quarter looked at a theme is "quiet"
ALPHA = 0.05  # a theme is flagged when its p (adjusted for the tests run) is below this
TREND_SPAN = 4  # quarters the trend test looks over, the chosen one last
MIN_TREND = 3  # quarters with notes the trend test needs; with fewer, only the change test
WINDOW = 6  # quarters of history a report shows, the chosen one last
STATUSES = ("rising", "new", "falling", "steady", "quiet")  # the order a report lists them in

# 'Q3 2026', 'q3-2026': the quarter first (parse_period reads '2026Q3', '2026-Q3', '2026 q3')
_QUARTER_FIRST = re.compile(r"^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.IGNORECASE)

# one row per note of the run that has a date; a mention stands for the note it came from
_DATED = (
    f"select a.cluster_id, {_SQL_QUARTER} q, coalesce(n.parent_id, n.note_id) note, n.date "
    "from assignments a join notes n on n.note_id = a.note_id "
    "where a.run_id = ? and n.date is not null"
)


@dataclass(frozen=True)
class ThemeTrend:
    theme_id: int
    label: str
    counts: tuple[tuple[str, int], ...]  # (quarter, notes) over the report's quarters, oldest first
    this: int  # notes in the chosen quarter
    previous: int  # notes in the quarter before
    share: float  # of all the chosen quarter's notes (with the unclustered ones)
    previous_share: float  # of all the previous quarter's notes
    status: str  # new | rising | falling | steady | quiet
    p_value: float | None  # the smaller p of the tests run, times their number; None: untested
    first_quarter: str | None  # the theme's first quarter with a note
    reason: str  # why the status, e.g. "share 8.6% → 12.8% vs 2026Q2 (p=0.0104)"
    change_p: float | None  # the change test's own p (this quarter against the one before)
    trend_p: float | None  # the trend test's own p; None when it did not run
    fired: tuple[str, ...]  # the tests that flagged it: "change", "trend", both, or none

    @property
    def change(self) -> float | None:
        """How much the share moved (0.5 = +50%); None when the theme had no share before."""
        if not self.previous_share:
            return None
        return self.share / self.previous_share - 1


@dataclass(frozen=True)
class TrendReport:
    quarter: str  # the chosen quarter
    previous: str  # the quarter before it
    quarters: tuple[str, ...]  # the report's quarters, oldest first, ``quarter`` last
    span: tuple[str, ...]  # the trend test's quarters, oldest first, ``quarter`` last
    totals: tuple[tuple[str, int], ...]  # all dated notes of the analysis per quarter
    themes: list[ThemeTrend]  # rising first (by p), then new, falling, steady, quiet
    partial: bool  # no note is dated after the quarter, and its newest is before its last day
    through: str  # the newest note's date in the chosen quarter

    @property
    def total(self) -> int:
        return dict(self.totals)[self.quarter]

    @property
    def previous_total(self) -> int:
        return dict(self.totals).get(self.previous, 0)

    @property
    def new(self) -> list[ThemeTrend]:
        return [t for t in self.themes if t.status == "new"]

    @property
    def rising(self) -> list[ThemeTrend]:
        return [t for t in self.themes if t.status == "rising"]

    @property
    def falling(self) -> list[ThemeTrend]:
        return [t for t in self.themes if t.status == "falling"]


# -- the rule ----------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the rule says of one theme: see the module docstring."""

    status: str  # new | rising | falling | steady | quiet
    p_value: float | None  # the smaller p of the tests run, times their number (at most 1)
    change_p: float | None  # the change test's p; None when untestable
    trend_p: float | None  # the trend test's p; None when it did not run or was untestable
    slope: int  # the sign of the trend test's slope: 1, -1, or 0 (flat, or not run)
    fired: tuple[str, ...]  # the tests under their threshold: "change", "trend", both or none


def change_p(previous: int, previous_total: int, this: int, this_total: int) -> float | None:
    """Two-sided p that a theme kept its share, given both quarters' notes; None if untestable.

    Conditional on the k1 + k2 notes the theme drew in both quarters, a theme that
    kept its share has k2 ~ Binomial(k1 + k2, N2 / (N1 + N2)).
    """
    drawn = previous + this
    if drawn == 0 or previous_total <= 0 or this_total <= 0:
        return None
    return float(binomtest(this, drawn, this_total / (previous_total + this_total)).pvalue)


def trend_test(counts: Sequence[int], totals: Sequence[int]) -> tuple[float, int] | None:
    """Cochran–Armitage test for a trend in a theme's share: (two-sided p, sign of the slope).

    ``counts[i]`` of the ``totals[i]`` notes of consecutive quarters, oldest first,
    scored 0, 1, 2, ...; a quarter without notes adds nothing (the others keep their
    scores). With p the theme's share over them all and N their notes,
    T = sum(t_i * (k_i - N_i * p)) and
    Var(T) = p * (1 - p) * (sum(t_i² * N_i) - sum(t_i * N_i)² / N); T / sqrt(Var(T)) is
    about standard normal for a theme whose share holds still. None when untestable
    (no notes of the theme, or all of them; fewer than two quarters with notes).
    """
    k = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    if k.shape != n.shape or np.any(k < 0) or np.any(k > n):
        raise ValueError("a trend needs, per quarter, a theme's notes out of all its notes")
    t = np.arange(len(k), dtype=float)
    total = n.sum()
    if total <= 0:
        return None
    share = k.sum() / total
    variance = share * (1 - share) * (np.sum(t * t * n) - np.sum(t * n) ** 2 / total)
    if variance <= 1e-12:
        return None
    statistic = float(np.sum(t * (k - n * share)))
    z = statistic / np.sqrt(variance)
    return float(2 * norm.sf(abs(z))), int(np.sign(statistic))


def classify(
    counts: Sequence[int],
    totals: Sequence[int],
    *,
    seen_before: bool = True,
    alpha: float = ALPHA,
) -> Verdict:
    """The module's rule for one theme with ``counts[i]`` of the ``totals[i]`` notes of
    consecutive quarters, oldest first: the chosen quarter last, the one before it second
    to last, and before those the rest of the trend test's span (none: the change test
    alone). ``seen_before``: it had a note in some quarter before the chosen one (always
    true when the previous quarter has one)."""
    if len(counts) < 2 or len(counts) != len(totals):
        raise ValueError("a theme needs its notes and the totals of two quarters or more")
    previous, this = counts[-2], counts[-1]
    previous_total, this_total = totals[-2], totals[-1]
    with_trend = sum(n > 0 for n in totals) >= MIN_TREND
    tests = 2 if with_trend else 1
    p_change = change_p(previous, previous_total, this, this_total)
    trend = trend_test(counts, totals) if with_trend else None
    p_trend, slope = trend if trend else (None, 0)
    found = [p for p in (p_change, p_trend) if p is not None]
    p = min(1.0, tests * min(found)) if found else None

    def verdict(status: str, fired: tuple[str, ...] = ()) -> Verdict:
        return Verdict(status, p, p_change, p_trend, slope, fired)

    if not seen_before and not previous and this >= MIN_NEW:
        return verdict("new")
    if all(k < QUIET_BELOW for k in (counts if with_trend else counts[-2:])):
        return Verdict("quiet", None, None, None, 0, ())
    fired = tuple(
        name
        for name, q in (("change", p_change), ("trend", p_trend))
        if q is not None and q < alpha / tests
    )
    if "change" in fired:
        # the share moved up when k2 / N2 > k1 / N1 (compared without dividing); when the
        # trend test points the other way, this quarter's change decides
        up = this * previous_total > previous * this_total
    elif fired:
        up = slope > 0
    else:
        return verdict("steady")
    return verdict("rising" if up else "falling", fired)


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3g}"


def _reason(
    v: Verdict, quarters: Sequence[str], counts: Sequence[int], totals: Sequence[int]
) -> str:
    """Why ``v`` (of ``classify(counts, totals)``, over ``quarters``) says what it says."""
    shares = [f"{k / n:.1%}" if n else "–" for k, n in zip(counts, totals, strict=True)]
    if v.status == "new":
        return f"first notes: {counts[-1]} in {quarters[-1]}, none before"
    if v.status == "quiet":
        return f"under {QUIET_BELOW} notes a quarter: too few to test"
    tests = [f"{_p(v.change_p)} vs {quarters[-2]}" if v.change_p is not None else ""]
    tests.append(f"trend {_p(v.trend_p)}" if v.trend_p is not None else "")
    if v.status == "steady":
        if v.p_value is None:
            return f"no notes in {quarters[-2]} to compare with"
        return "within chance: " + ", ".join(x for x in tests if x)
    went = "rose" if v.slope > 0 else "fell"
    over = f"over {len(quarters)} quarters"
    if v.fired == ("trend",):
        return f"share {went} {over}: {' → '.join(shares)} (trend {_p(v.trend_p)})"
    step = f"share {shares[-2]} → {shares[-1]} vs {quarters[-2]} ({_p(v.change_p)})"
    if v.fired == ("change",):
        return step
    # both fired: the same way, or this quarter's change against the trend (which decided)
    agree = (v.status == "rising") == (v.slope > 0)
    return f"{step}, {'and' if agree else 'though it'} {went} {over} (trend {_p(v.trend_p)})"


# -- quarters ----------------------------------------------------------------


def parse_quarter(text: str) -> str:
    """'2026Q3', '2026-Q3', '2026 q3', 'Q3 2026' (or a range that is one quarter) -> '2026Q3'."""
    text = (text or "").strip()
    m = _QUARTER_FIRST.match(text)
    if m:
        return f"{m.group(2)}Q{m.group(1)}"
    period = parse_period(text)
    quarter = quarter_of(period.start) if period else None
    if not quarter or quarter_bounds(*_year_q(quarter)) != (period.start, period.end):
        raise ValueError(f"'{text}' is not one quarter")
    return quarter


def _year_q(quarter: str) -> tuple[int, int]:
    return int(quarter[:4]), int(quarter[5])


def _step(quarter: str, by: int) -> str:
    """The quarter ``by`` quarters after (before, when negative) ``quarter``."""
    year, q = _year_q(quarter)
    i = year * 4 + q - 1 + by
    return f"{i // 4}Q{i % 4 + 1}"


# -- the report --------------------------------------------------------------


def theme_trends(
    store: Store,
    quarter: str | None = None,
    *,
    run_id: int | None = None,
    window: int = WINDOW,
    alpha: float = ALPHA,
) -> TrendReport:
    """Every theme of the run in ``quarter`` (default: the newest with notes) against the
    quarter before and over the ``TREND_SPAN`` quarters that end with it (the module's
    rule), with its counts over the ``window`` quarters that end with it.

    The window and the span start no earlier than the workspace's first dated note (but
    always hold the previous quarter); the window is what a report shows, and does not
    change the rule. Raises ValueError for a quarter that cannot be
    read or that has no notes, naming the quarters that have some.
    """
    if window < 2:
        raise ValueError("a trend needs a window of at least 2 quarters")
    run = store.db["runs"].get(run_id) if run_id else current_run(store)
    per_quarter = {
        q: (notes, day)
        for q, notes, day in store.db.execute(
            f"select q, count(distinct note), max(date) from ({_DATED}) group by q", [run["id"]]
        ).fetchall()
    }
    if not per_quarter:
        raise ValueError("no note of the analysis has a date: trends need dated notes")
    per_theme: dict[int | None, dict[str, int]] = {}
    for cid, q, notes in store.db.execute(
        f"select cluster_id, q, count(distinct note) from ({_DATED}) group by cluster_id, q",
        [run["id"]],
    ).fetchall():
        per_theme.setdefault(cid, {})[q] = notes
    have = sorted(per_quarter)
    if quarter is None:
        quarter = have[-1]
    else:
        try:
            quarter = parse_quarter(quarter)
        except ValueError:
            raise ValueError(
                f"'{quarter}' is not a quarter: write it like 2026Q3 or Q3 2026 "
                f"(the quarters with notes are {', '.join(have)})"
            ) from None
        if quarter not in per_quarter:
            raise ValueError(
                f"no notes are dated in {quarter}: the quarters with notes are {', '.join(have)}"
            )
    previous, through = _step(quarter, -1), per_quarter[quarter][1][:10]

    def since_first(length: int) -> tuple[str, ...]:
        # the ``length`` quarters ending with the chosen one, none before the first dated
        # note, but always the previous quarter
        steps = (_step(quarter, k) for k in range(1 - length, 1))
        return tuple(q for q in steps if q >= min(have[0], previous))

    quarters, span = since_first(window), since_first(TREND_SPAN)
    totals = {q: per_quarter.get(q, (0, None))[0] for q in quarters}
    span_totals = [per_quarter.get(q, (0, None))[0] for q in span]
    themes = []
    for c in store.clusters(run["id"]):
        n = per_theme.get(c["cluster_id"], {})
        this, before = n.get(quarter, 0), n.get(previous, 0)
        span_counts = [n.get(q, 0) for q in span]
        verdict = classify(
            span_counts, span_totals, seen_before=any(q < quarter for q in n), alpha=alpha
        )
        themes.append(
            ThemeTrend(
                theme_id=c["cluster_id"],
                label=c["label"] or str(c["cluster_id"]),
                counts=tuple((q, n.get(q, 0)) for q in quarters),
                this=this,
                previous=before,
                share=this / totals[quarter],
                previous_share=before / totals[previous] if totals[previous] else 0.0,
                status=verdict.status,
                p_value=verdict.p_value,
                first_quarter=min(n, default=None),
                reason=_reason(verdict, span, span_counts, span_totals),
                change_p=verdict.change_p,
                trend_p=verdict.trend_p,
                fired=verdict.fired,
            )
        )
    order = {s: i for i, s in enumerate(STATUSES)}
    themes.sort(
        key=lambda t: (
            order[t.status],
            t.p_value if t.status in ("rising", "falling") else 0.0,
            -t.this,
            -t.previous,
            t.theme_id,
        )
    )
    return TrendReport(
        quarter=quarter,
        previous=previous,
        quarters=quarters,
        span=span,
        totals=tuple(totals.items()),
        themes=themes,
        partial=quarter == have[-1] and through < quarter_bounds(*_year_q(quarter))[1],
        through=through,
    )


def theme_series(store: Store, theme_id: int, run_id: int | None = None) -> list[tuple[str, int]]:
    """(quarter, notes) of one theme (UNCLUSTERED: the notes no theme took) for every quarter
    from the workspace's first dated note to its last, quarters without a note included."""
    run_id = run_id or current_run(store)["id"]
    known = store.db.execute(
        "select 1 from clusters where run_id = ? and cluster_id = ?", [run_id, theme_id]
    ).fetchone()
    if theme_id != UNCLUSTERED and not known:
        raise NoAnalysis(f"the current analysis has no theme {theme_id}")
    first, last = store.db.execute(
        f"select min(date), max(date) from ({_DATED})", [run_id]
    ).fetchone()
    member = "cluster_id is null" if theme_id == UNCLUSTERED else "cluster_id = ?"
    counts = dict(
        store.db.execute(
            f"select q, count(distinct note) from ({_DATED}) where {member} group by q",
            [run_id] if theme_id == UNCLUSTERED else [run_id, theme_id],
        ).fetchall()
    )
    return [(q, counts.get(q, 0)) for q in _quarter_span(first, last)]


__all__ = [
    "ALPHA",
    "MIN_NEW",
    "MIN_TREND",
    "QUIET_BELOW",
    "STATUSES",
    "TREND_SPAN",
    "ThemeTrend",
    "TrendReport",
    "Verdict",
    "change_p",
    "classify",
    "parse_quarter",
    "theme_series",
    "theme_trends",
    "trend_test",
]
