"""The quarterly planning report, as plain data: what `gaplens report` renders.

One call gathers what the content-planning session needs for a quarter:

- the headline: notes heard in the quarter, themes, how many have no content,
  weak content or are covered, and the money riding on the gaps (each deal
  counted once however many gaps it raises);
- the top gaps, each with its brief (``analysis.brief``), revenue impact
  (``analysis.impact``), trend (``analysis.trends``), quarter-by-quarter series
  and plan item;
- every theme's trend for the quarter (new, rising, falling);
- what was planned for the quarter and what happened (``analysis.plan``), the
  effect of everything published, and new content that may publish a planned item;
- the plan board as it stands;
- assets nobody's questions need.

The report is read "as of" the quarter's last day: revenue impact and stuck deals
use what was known then; the gap ranking is the current analysis's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from analysis.brief import GapBrief, gap_brief
from analysis.browse import quarter_bounds
from analysis.impact import (
    ImpactReport,
    ReasonCheck,
    ThemeImpact,
    deal_facts,
    reason_checks,
    reason_summary,
    theme_impacts,
)
from analysis.overrides import outdated_assets
from analysis.plan import (
    Effect,
    PlanItem,
    Proposal,
    Review,
    plan_items,
    publish_effect,
    publish_proposals,
    quarter_review,
)
from analysis.results import NoAnalysis, current_run
from analysis.trends import ThemeTrend, TrendReport, theme_series, theme_trends
from gaplens.store import Store

TOP_GAPS = 10
MISFILED = 2  # lost deals per gap shown with the CRM reason beside what the notes say


@dataclass(frozen=True)
class GapEntry:
    rank: int
    brief: GapBrief
    impact: ThemeImpact | None
    trend: ThemeTrend | None
    series: list[tuple[str, int]]  # notes per quarter, from the first quarter to the report's
    plan: PlanItem | None
    # the rep-entered CRM loss reason against the notes: (lost deals whose notes raise the
    # theme, of which the CRM reason names it), and lost deals where it names something else
    reasons: tuple[int, int] = (0, 0)
    misfiled: list[ReasonCheck] = field(default_factory=list)


@dataclass(frozen=True)
class UnusedAsset:
    asset_id: str
    title: str
    type: str | None
    url: str | None
    updated: str | None
    views: int | None
    outdated: bool
    best: float  # the highest coverage it gives any theme


@dataclass(frozen=True)
class Headline:
    notes: int  # notes dated in the quarter (a split note once)
    notes_before: int  # in the quarter before
    themes: int
    gaps: int
    no_content: int
    weak: int
    covered: int
    gap_deals: int  # distinct deals whose notes raise a gap
    gap_open_pipeline: float  # those deals' open amount, each deal once
    gap_lost_amount: float  # their lost amount, each deal once
    win_rate: float | None  # every deal's, the baseline
    closed: int


@dataclass(frozen=True)
class PlanningReport:
    quarter: str
    previous: str
    as_of: str  # the quarter's last day, or the newest note's day if the quarter is not over
    generated: str  # today's date
    workspace: str
    run_id: int
    headline: Headline
    gaps: list[GapEntry]
    trends: TrendReport
    impact: ImpactReport
    review: Review
    effects: list[tuple[PlanItem, Effect]]  # everything published, with what it did
    proposals: list[Proposal]
    plan: list[PlanItem]
    unused: list[UnusedAsset]
    stuck_days: int = 60
    notes: list[str] = field(default_factory=list)  # caveats worth printing


def build_report(
    store: Store,
    quarter: str | None = None,
    *,
    top: int = TOP_GAPS,
    stuck_days: int | None = None,
    themes: Sequence[int] | None = None,
) -> PlanningReport:
    """The report for a quarter (default: the newest with notes).

    ``themes``: give these themes' briefs instead of the top gaps (``gaplens brief``),
    each ranked as the gap list ranks it (0 when it is not a gap).
    """
    run = current_run(store)
    trends = theme_trends(store, quarter, run_id=run["id"])
    quarter = trends.quarter
    start, end = quarter_bounds(int(quarter[:4]), int(quarter[-1]))
    as_of = min(end, trends.through) if trends.partial and trends.through else end
    facts = deal_facts(store, as_of)
    impact = theme_impacts(store, run["id"], as_of=as_of, stuck_days=stuck_days, facts=facts)
    by_theme = {t.theme_id: t for t in impact.themes}
    trend_of = {t.theme_id: t for t in trends.themes}
    items = plan_items(store)
    open_item = {}
    for item in items:  # the open item, else the latest
        if item.theme_id not in open_item or item.status in ("backlog", "planned", "in progress"):
            open_item[item.theme_id] = item

    clusters = store.clusters(run["id"])
    ranked = sorted(
        (c for c in clusters if c["is_gap"]), key=lambda c: (-(c["score"] or 0), c["cluster_id"])
    )
    rank_of = {c["cluster_id"]: i for i, c in enumerate(ranked, 1)}
    if themes is None:
        chosen = [c["cluster_id"] for c in ranked[:top]]
    else:
        known = {c["cluster_id"] for c in clusters}
        for cid in themes:
            if cid not in known:
                raise NoAnalysis(
                    f"the current analysis has no theme {cid} (see 'gaplens gaps --all')"
                )
        chosen = list(themes)
    reasons = reason_summary(store, run["id"], facts)
    gaps = []
    for cid in chosen:
        rank = rank_of.get(cid, 0)
        series = [(q, n) for q, n in theme_series(store, cid, run["id"]) if q <= quarter]
        gaps.append(
            GapEntry(
                rank=rank,
                brief=gap_brief(store, cid, run["id"], impact=by_theme.get(cid), as_of=as_of),
                impact=by_theme.get(cid),
                trend=trend_of.get(cid),
                series=series,
                plan=open_item.get(cid),
                reasons=reasons.get(cid, (0, 0)),
                misfiled=[
                    c
                    for c in reason_checks(store, cid, run["id"], limit=25, facts=facts)
                    if not c.agrees and c.crm_reason and c.notes_say
                ][:MISFILED],
            )
        )

    statuses = [c["content_status"] or ("none" if c["is_gap"] else "covered") for c in clusters]
    totals = dict(trends.totals)
    headline = Headline(
        notes=totals.get(quarter, 0),
        notes_before=totals.get(trends.previous, 0),
        themes=len(clusters),
        gaps=sum(1 for c in clusters if c["is_gap"]),
        no_content=statuses.count("none"),
        weak=statuses.count("weak"),
        covered=statuses.count("covered"),
        win_rate=impact.win_rate,
        closed=impact.closed,
        **_gap_money(store, run["id"], as_of, facts),
    )
    effects = []
    for item in items:
        if item.status == "published" and item.in_analysis:
            effect = publish_effect(store, item, run["id"], until=quarter)
            if effect:
                effects.append((item, effect))
    notes = []
    if trends.partial:
        notes.append(
            f"{quarter} is not over in the data: its newest note is from {trends.through}."
        )
    return PlanningReport(
        quarter=quarter,
        previous=trends.previous,
        as_of=as_of,
        generated=date.today().isoformat(),
        workspace=store.path.name,
        run_id=run["id"],
        headline=headline,
        gaps=gaps,
        trends=trends,
        impact=impact,
        review=quarter_review(store, quarter, items),
        effects=effects,
        proposals=publish_proposals(store, items),
        plan=items,
        unused=unused_assets(store, run["id"]),
        stuck_days=impact.stuck_days,
        notes=notes,
    )


def _gap_money(store: Store, run_id: int, as_of: str, facts: dict) -> dict:
    """Deals raising any gap, each counted once: how many, open pipeline, lost amount."""
    deals = {
        r[0]
        for r in store.db.execute(
            "select distinct n.deal from assignments a join notes n on n.note_id = a.note_id "
            "join clusters c on c.run_id = a.run_id and c.cluster_id = a.cluster_id "
            "where a.run_id = ? and c.is_gap = 1 and n.deal is not null "
            "and (n.date is null or n.date <= ?)",
            [run_id, as_of],
        ).fetchall()
    }
    mine = [facts[d] for d in deals if d in facts]
    return {
        "gap_deals": len(mine),
        "gap_open_pipeline": sum(f.amount for f in mine if f.outcome == "open"),
        "gap_lost_amount": sum(f.amount for f in mine if f.outcome == "lost"),
    }


def unused_assets(store: Store, run_id: int) -> list[UnusedAsset]:
    """Assets nobody's questions need: no theme's closest content, below the gap threshold
    for every theme, and linked to none. Most viewed first: they cost the most attention."""
    import json

    run = store.db["runs"].get(run_id)
    threshold = json.loads(run["params"] or "{}").get("gap_threshold", 0.5)
    best = dict(
        store.db.execute(
            "select asset_id, max(score) from coverage where run_id = ? group by asset_id",
            [run_id],
        ).fetchall()
    )
    linked = {
        r[0]
        for r in store.db.execute(
            "select asset_id from asset_links where action = 'link'"
        ).fetchall()
    }
    # the closest content of any theme is needed, even where it answers only weakly
    answering = {
        a
        for row in store.db.execute(
            "select best_asset_id, auto_asset_id from clusters where run_id = ?", [run_id]
        ).fetchall()
        for a in row
        if a
    }
    stale = outdated_assets(store)
    out = []
    for a in store.db.query(
        "select asset_id, title, type, url, updated, views from assets order by title"
    ):
        aid = a["asset_id"]
        if aid in linked or aid in answering or best.get(aid, 0.0) >= threshold:
            continue
        out.append(UnusedAsset(**a, outdated=aid in stale, best=best.get(aid, 0.0)))
    out.sort(key=lambda u: (-(u.views or 0), u.best, u.title))
    return out
