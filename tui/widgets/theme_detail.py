"""One theme in full: quotes, deals, trend by quarter, and the content that comes closest."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from analysis.browse import KIND_LABELS, UNCLUSTERED, ThemeDetail
from tui.format import bars, money, percent, said_by, shorten, status_text


def render_detail(d: ThemeDetail) -> RenderableType:
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

    parts.append(Rule("What prospects say", style="dim", align="left"))
    if not d.quotes:
        parts.append(Text("No notes.", style="dim"))
    for q in d.quotes:
        quote = Text(f"“{shorten(q.text, 400)}”")
        parts.append(Padding(Group(quote, Text(said_by(q, q.source), style="dim")), (0, 0, 0, 2)))

    if d.quarters:
        parts.append(Rule("Notes per quarter", style="dim", align="left"))
        parts.append(bars(d.quarters, width=30))

    if d.cluster_id != UNCLUSTERED:
        parts.append(Rule("Content that comes closest", style="dim", align="left"))
        if not d.assets:
            parts.append(
                Text("No content assets to compare with: import some with i.", style="dim")
            )
        for i, a in enumerate(d.assets):
            line = Text(
                f"{percent(a.coverage):>4} ",
                style="bold green" if a.coverage >= 0.5 else "bold red",
            )
            line.append(a.title, style="bold")
            if a.type:
                line.append(f"  {a.type}", style="dim")
            line.append(f"  similarity {a.similarity:.2f}", style="dim")
            parts.append(line)
            if a.passage:  # the passage that answers the theme best, longest for the best asset
                parts.append(
                    Padding(
                        Text(shorten(a.passage, 500 if i == 0 else 160), style="italic dim"),
                        (0, 0, 0, 5),
                    )
                )
            if a.url and i == 0:
                parts.append(Padding(Text(a.url, style="underline dim"), (0, 0, 0, 5)))

    if d.top_deals:
        parts.append(Rule("Largest deals", style="dim", align="left"))
        for deal, account, value in d.top_deals:
            parts.append(Text(f"  {deal}  {account or ''}  {money(value)}"))
    if d.cluster_id == UNCLUSTERED:
        parts.append(Text("\nenter: triage these notes (each with its closest theme)", style="dim"))
    else:
        parts.append(
            Text("\nenter: every note of this theme · r: rename · M: merge · P: split", style="dim")
        )
    return Group(*parts)


class ThemeDetailView(VerticalScroll):
    """Scrollable detail of the highlighted theme."""

    def compose(self):
        yield Static(
            Text("Select a theme above to see its quotes and content.", style="dim"),
            id="detail-body",
        )

    def show(self, detail: ThemeDetail | None, message: str | None = None) -> None:
        body = self.query_one("#detail-body", Static)
        if detail is None:
            body.update(Text(message or "", style="dim"))
        else:
            body.update(render_detail(detail))
        self.scroll_home(animate=False)
