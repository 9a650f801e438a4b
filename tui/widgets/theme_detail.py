"""One theme in full: where its content stands, the money, notes per quarter, quotes, and
the content that comes closest.

``read_extras`` reads what the detail shows beside ``analysis.browse.theme_detail``
(revenue, the quarter series, people's links and outdated marks, the plan item) in the
pane's worker; ``render_detail`` only draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from analysis.browse import KIND_LABELS, UNCLUSTERED, ThemeDetail
from analysis.impact import STUCK_DAYS, ImpactReport, ThemeImpact
from analysis.overrides import Candidate, effective, links, outdated_assets
from analysis.plan import OPEN_STATUSES, PlanItem, item_for_theme
from analysis.results import current_run
from analysis.trends import theme_series
from gaplens.store import Store
from tui.format import BLOCKS, money, percent, said_by, shorten, status_text

CHART_HEIGHT = 4  # rows of the notes-per-quarter chart
CHART_QUARTERS = 16  # the last quarters it shows (7 columns each)
NOTHING_CLOSE = 0.05  # below this coverage an asset does not "come closest" to anything
PLAN_STYLE = {"published": "green", "won't do": "dim"}


@dataclass(frozen=True)
class DetailExtras:
    """What the detail shows beside the theme's own facts."""

    impact: ThemeImpact | None = None
    baseline: float | None = None  # the win rate over every deal the workspace knows
    baseline_closed: int = 0
    stuck_days: int = STUCK_DAYS
    series: tuple[tuple[str, int], ...] = ()  # every quarter of the workspace
    # after people's links and outdated marks, best first (None: not read)
    content: tuple[Candidate, ...] | None = None
    unlinked: tuple[str, ...] = ()  # assets a person said do not answer it
    titles: dict[str, str] = field(default_factory=dict)  # asset id -> title
    plan: PlanItem | None = None


def theme_content(
    store: Store, detail: ThemeDetail
) -> tuple[tuple[Candidate, ...], tuple[str, ...], dict[str, str]]:
    """The theme's content as people's say leaves it: the candidates best first (linked and
    outdated flagged), the assets they unlinked, and every asset's title."""
    mine = links(store).get(detail.cluster_id, {})
    run = current_run(store)
    threshold = json.loads(run["params"] or "{}").get("gap_threshold", 0.5)
    ranked, _, _ = effective(
        [
            {
                "asset_id": a.asset_id,
                "score": a.coverage,
                "similarity": a.similarity,
                "passage_id": None,
            }
            for a in detail.assets
        ],
        linked={a for a, act in mine.items() if act == "link"},
        unlinked={a for a, act in mine.items() if act == "unlink"},
        outdated=set(outdated_assets(store)),
        threshold=threshold,
    )
    unlinked = tuple(sorted(a for a, act in mine.items() if act == "unlink"))
    return tuple(ranked), unlinked, store.asset_titles()


def read_extras(store: Store, detail: ThemeDetail, report: ImpactReport | None) -> DetailExtras:
    """Revenue (from ``report``, every theme's impact), the quarter series, the content
    after people's say, and the plan item of one theme."""
    series = tuple(theme_series(store, detail.cluster_id))
    if detail.cluster_id == UNCLUSTERED:
        return DetailExtras(series=series)
    content, unlinked, titles = theme_content(store, detail)
    impact = None
    if report is not None:
        impact = next((t for t in report.themes if t.theme_id == detail.cluster_id), None)
    return DetailExtras(
        impact=impact,
        baseline=report.win_rate if report else None,
        baseline_closed=report.closed if report else 0,
        stuck_days=report.stuck_days if report else STUCK_DAYS,
        series=series,
        content=content,
        unlinked=unlinked,
        titles=titles,
        plan=item_for_theme(store, detail.cluster_id),
    )


# -- pieces ------------------------------------------------------------------------


def column_chart(series: list[tuple[str, int]] | tuple, height: int = CHART_HEIGHT) -> Text:
    """Notes per quarter as columns of blocks, the count above and the quarter below each."""
    out = Text()
    series = list(series)[-CHART_QUARTERS:]
    if not series:
        return out
    top = max(n for _, n in series) or 1
    cell = max(len(q) for q, _ in series) + 1
    # eighths of a row each column fills; a quarter with notes shows at least one
    eighths = [max(1 if n else 0, round(n / top * height * 8)) for _, n in series]
    for _, n in series:
        out.append(f"{n:^{cell - 1}} ", style="bold" if n == top else "dim")
    out.append("\n")
    width = cell - 3  # the block's width, a space either side
    for row in range(height - 1, -1, -1):
        for filled in eighths:
            part = max(0, min(8, filled - row * 8))
            block = BLOCKS[part - 1] if part else " "
            out.append(" ")
            out.append(block * width, style="cyan")
            out.append("  ")
        out.append("\n")
    for q, _ in series:
        out.append(f"{q:<{cell}}", style="dim")
    out.rstrip()
    return out


def _ranked(pairs, n: int, unit: str = "") -> str:
    return ", ".join(f"{name} {count}{unit}" for name, count in pairs[:n])


def revenue(
    i: ThemeImpact, baseline: float | None = None, stuck_days: int = STUCK_DAYS
) -> list[Text]:
    """The money a theme's deals carry, a line a fact."""
    if not i.deals:
        return [Text("No deal is named in this theme's notes.", style="dim")]
    lines = []
    line = Text()
    for n, amount, what, none, style in (
        (i.open_deals, i.open_pipeline, "open pipeline in", "no open deal", "bold"),
        (i.lost_deals, i.lost_amount, "lost in", "none lost", "bold red"),
        (i.won_deals, i.won_amount, "won in", "none won", "bold green"),
    ):
        if line:
            line.append(" · ")
        if not n:
            line.append(none, style="dim")
            continue
        line.append(money(amount) if amount else "no amount", style=style)
        line.append(f" {what} {n} {'deal' if n == 1 else 'deals'}")
    lines.append(line)

    line = Text("win rate ")
    if i.win_rate is None:
        line.append("–", style="bold")
        line.append(" (no closed deal yet)", style="dim")
    else:
        style = "bold"
        if baseline is not None and i.win_rate_high is not None and i.win_rate_high < baseline:
            style = "bold red"  # below the workspace beyond what chance explains
        elif baseline is not None and i.win_rate_low is not None and i.win_rate_low > baseline:
            style = "bold green"
        line.append(percent(i.win_rate), style=style)
        line.append(f" (n={i.closed})")
    if baseline is not None:
        line.append(f" vs {percent(baseline)} overall")
    if i.win_rate_low is not None:
        line.append(
            f" · 95% range {percent(i.win_rate_low)}–{percent(i.win_rate_high)}", style="dim"
        )
    lines.append(line)

    if i.lost_stages:
        lines.append(Text(f"lost deals died in {_ranked(i.lost_stages, 2)}"))
    if i.competitors:
        lines.append(Text(f"competitors its notes name: {_ranked(i.competitors, 3)}"))
    if i.stuck:
        s = i.stuck[0]
        who = f"{s.deal} {s.account}" if s.account else s.deal
        line = Text(f"{len(i.stuck)} stuck > {stuck_days} days", style="yellow")
        line.append(f", longest {who} {money(s.amount)} in {s.stage} {s.days} days")
        lines.append(line)
    return lines


def content_line(d: ThemeDetail, x: DetailExtras) -> Text:
    """Where the theme's content stands: its status and the asset that answers it best."""
    line = Text("content: ", style="bold")
    line.append_text(status_text(d.status))
    ranked = [c for c in candidates(d, x) if c.coverage >= NOTHING_CLOSE]
    if ranked:
        best = ranked[0]
        line.append(" · closest ")
        line.append(shorten(title_of(best.asset_id, d, x), 60), style="bold")
        line.append(f" {percent(best.coverage)}")
        line.append_text(markers(best))
    else:
        line.append(" · no asset comes close", style="dim")
    if x.unlinked:
        names = ", ".join(shorten(x.titles.get(a, a), 40) for a in x.unlinked)
        line.append(f" · unlinked by you: {names}", style="dim")
    return line


def candidates(d: ThemeDetail, x: DetailExtras) -> list[Candidate]:
    """The theme's assets best first; before people's say is read, the automatic match."""
    if x.content is not None:
        return list(x.content)
    return [
        Candidate(a.asset_id, a.coverage, a.coverage, a.similarity, None, False, False)
        for a in d.assets
    ]


def title_of(asset_id: str, d: ThemeDetail, x: DetailExtras) -> str:
    found = next((a.title for a in d.assets if a.asset_id == asset_id), None)
    return found or x.titles.get(asset_id) or asset_id


def markers(c: Candidate) -> Text:
    out = Text()
    if c.linked:
        out.append(" (linked by you)", style="green")
    if c.outdated:
        out.append(" (outdated)", style="yellow")
    return out


def plan_line(item: PlanItem | None) -> Text:
    if item is None:
        return Text("Not on the plan (p puts it there)", style="dim")
    line = Text("On the plan: ", style="bold")
    parts = [item.status, item.owner, item.quarter, item.format]
    line.append(
        " · ".join(p for p in parts if p),
        style=PLAN_STYLE.get(item.status, "bold magenta"),
    )
    line.append(f"  (item {item.id})", style="dim")
    if item.status not in OPEN_STATUSES:
        line.append("  p plans it again", style="dim")
    return line


def render_detail(d: ThemeDetail, x: DetailExtras | None = None) -> RenderableType:
    x = x or DetailExtras()
    parts: list[RenderableType] = []
    head = Text(d.label, style="bold")
    if d.status:
        head.append("  ")
        head.append_text(status_text(d.status))
    if d.score is not None:
        head.append(f"  gap score {d.score:.1f}", style="bold")
    parts.append(head)
    if d.renamed_at and d.auto_label and d.auto_label != d.label:
        parts.append(Text(f"renamed; the analysis called it “{d.auto_label}”", style="dim"))
    if d.keywords:
        parts.append(Text("keywords: " + ", ".join(d.keywords), style="cyan"))
    facts = Text(
        f"{d.notes} notes · {d.deals} deals · {d.accounts} accounts · {money(d.amount)} at stake"
    )
    if d.first_date:
        facts.append(f" · {d.first_date} → {d.last_date}", style="dim")
    parts.append(facts)
    if d.kinds:
        parts.append(
            Text(
                " · ".join(
                    f"{KIND_LABELS.get(k, k)} {n}"
                    for k, n in sorted(d.kinds.items(), key=lambda kv: -kv[1])
                ),
                style="dim",
            )
        )
    if d.cluster_id != UNCLUSTERED:
        parts.append(content_line(d, x))
        parts.append(plan_line(x.plan))
    if d.score_parts:
        p = d.score_parts
        parts.append(
            Text(
                f"score = 100 × demand {p.get('demand', 0):.2f}"
                f" × momentum {p.get('momentum', 0):.2f}"
                f" × (1 − coverage {p.get('coverage', 0):.2f})",
                style="dim",
            )
        )

    if x.impact is not None:
        parts.append(Rule("Revenue (each deal once)", style="dim", align="left"))
        parts.extend(revenue(x.impact, x.baseline, x.stuck_days))

    series = x.series or tuple(d.quarters)
    if series:
        parts.append(Rule("Notes per quarter", style="dim", align="left"))
        parts.append(column_chart(series))
        if len(series) > CHART_QUARTERS:
            earlier = sum(n for _, n in series[:-CHART_QUARTERS])
            parts.append(
                Text(f"and {earlier} notes in {series[0][0]}–{series[-CHART_QUARTERS - 1][0]}")
            )

    parts.append(Rule("What prospects say", style="dim", align="left"))
    if not d.quotes:
        parts.append(Text("No notes.", style="dim"))
    for q in d.quotes:
        quote = Text(f"“{shorten(q.text, 400)}”")
        parts.append(Padding(Group(quote, Text(said_by(q, q.source), style="dim")), (0, 0, 0, 2)))

    if d.cluster_id != UNCLUSTERED:
        parts.append(Rule("Content that comes closest", style="dim", align="left"))
        parts.extend(closest_content(d, x))

    if d.top_deals:
        parts.append(Rule("Largest deals", style="dim", align="left"))
        for deal, account, value in d.top_deals:
            parts.append(Text(f"  {deal}  {account or ''}  {money(value)}"))
    if d.cluster_id == UNCLUSTERED:
        parts.append(Text("\nenter: triage these notes (each with its closest theme)", style="dim"))
    else:
        parts.append(
            Text(
                "\nenter: every note · b: gap brief · p: plan it · l / u: link / unlink content"
                " · r: rename · M: merge · P: split",
                style="dim",
            )
        )
    return Group(*parts)


def closest_content(d: ThemeDetail, x: DetailExtras) -> list[RenderableType]:
    """The theme's assets best first, with people's links, unlinks and outdated marks."""
    if not d.assets and not x.content and not x.unlinked:
        return [Text("No content assets to compare with: import some with i.", style="dim")]
    matches = {a.asset_id: a for a in d.assets}
    ranked = candidates(d, x)
    out: list[RenderableType] = []
    for i, c in enumerate(ranked):
        a = matches.get(c.asset_id)
        line = Text(
            f"{percent(c.coverage):>4} ",
            style="bold green" if c.coverage >= 0.5 else "bold red",
        )
        line.append(title_of(c.asset_id, d, x), style="bold")
        if a and a.type:
            line.append(f"  {a.type}", style="dim")
        if c.similarity is not None:
            line.append(f"  similarity {c.similarity:.2f}", style="dim")
        line.append_text(markers(c))
        if c.auto is not None and abs(c.auto - c.coverage) >= 0.005:
            line.append(f"  (the match alone: {percent(c.auto)})", style="dim")
        out.append(line)
        if a and a.passage:  # the passage that answers the theme best, longest for the best
            out.append(
                Padding(
                    Text(shorten(a.passage, 500 if i == 0 else 160), style="italic dim"),
                    (0, 0, 0, 5),
                )
            )
        if a and a.url and i == 0:
            out.append(Padding(Text(a.url, style="underline dim"), (0, 0, 0, 5)))
    for asset_id in x.unlinked:
        out.append(Text(f"   –  {title_of(asset_id, d, x)}  (unlinked by you)", style="dim"))
    return out


class ThemeDetailView(VerticalScroll):
    """Scrollable detail of the highlighted theme."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail: ThemeDetail | None = None
        self.extras: DetailExtras | None = None

    def compose(self):
        yield Static(
            Text("Select a theme above to see its quotes and content.", style="dim"),
            id="detail-body",
        )

    def show(
        self,
        detail: ThemeDetail | None,
        message: str | None = None,
        extras: DetailExtras | None = None,
    ) -> None:
        body = self.query_one("#detail-body", Static)
        same = detail is not None and self.detail is not None
        same = same and detail.cluster_id == self.detail.cluster_id
        self.detail, self.extras = detail, extras
        if detail is None:
            body.update(Text(message or "", style="dim"))
        else:
            body.update(render_detail(detail, extras))
        if not same:  # the same theme read again (a link, a plan item): keep the place
            self.scroll_home(animate=False)
