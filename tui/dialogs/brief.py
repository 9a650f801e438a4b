"""The gap brief of one theme: what a writer needs to turn it into content.

Returns "plan" when the user asks to put the theme on the plan (p), else None.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from analysis.brief import GapBrief
from analysis.impact import STUCK_DAYS
from analysis.plan import OPEN_STATUSES, PlanItem
from tui.format import percent, said_by, shorten, status_text
from tui.widgets.theme_detail import revenue


def question_text(b: GapBrief) -> Text:
    text = Text(f"“{b.question}”" if b.question_source else b.question)
    if b.question_source:
        text.append(f"\nfrom note {b.question_source}", style="dim italic")
    if b.asked:
        text.append(f" · {b.asked} of {b.notes} notes ask it", style="dim italic")
    return text


def render_brief(
    b: GapBrief, baseline: float | None = None, stuck_days: int = STUCK_DAYS
) -> RenderableType:
    parts: list[RenderableType] = []
    line = Text("content: ", style="bold")
    line.append_text(status_text(b.status))
    if b.is_gap:
        line.append(" · a gap", style="bold red")
    if b.score is not None:
        line.append(f" · gap score {b.score:.1f}")
    line.append(f" · {b.notes} notes", style="dim")
    parts.append(line)
    if b.keywords:
        parts.append(Text("keywords: " + ", ".join(b.keywords), style="cyan"))

    i = b.impact
    if i is not None:
        parts.append(Rule("Money (each deal once)", style="dim", align="left"))
        parts.extend(revenue(i, baseline, stuck_days))

    parts.append(Rule(f"What prospects say ({len(b.quotes)})", style="dim", align="left"))
    if not b.quotes:
        parts.append(Text("No notes.", style="dim"))
    for q in b.quotes:
        quote = Text(f"“{shorten(q.text, 500)}”")
        source = Text(said_by(q, q.source or f"note {q.note_id}"), style="dim")
        parts.append(Padding(Group(quote, source), (0, 0, 1, 2)))

    parts.append(Rule("Closest content", style="dim", align="left"))
    c = b.closest
    if c is None:
        parts.append(Text("Nothing we have comes close: this is new content.", style="yellow"))
    else:
        line = Text(f"{percent(c.coverage):>4} ", style="bold")
        line.append(c.title, style="bold")
        if c.type:
            line.append(f"  {c.type}", style="dim")
        if c.linked:
            line.append("  (linked by you)", style="green")
        if c.outdated:
            line.append("  (outdated)", style="yellow")
        parts.append(line)
        if c.url:
            parts.append(Padding(Text(c.url, style="underline dim"), (0, 0, 0, 5)))
        if c.passage:
            parts.append(Padding(Text(shorten(c.passage, 400), style="italic dim"), (0, 0, 0, 5)))
        if c.misses:
            miss = Text("misses: ", style="bold")
            miss.append(", ".join(c.misses), style="yellow")
            miss.append("  (the theme's words it never uses)", style="dim")
            parts.append(Padding(miss, (0, 0, 0, 5)))
        else:
            parts.append(
                Padding(Text("uses every keyword of the theme", style="dim"), (0, 0, 0, 5))
            )

    parts.append(Rule("What to write", style="dim", align="left"))
    for name, s in (("format", b.format), ("stage", b.stage)):
        line = Text(f"{name}: ", style="bold")
        line.append(s.value, style="bold magenta")
        line.append(f" — {s.reason}")
        parts.append(line)
    return Group(*parts)


def plan_text(item: PlanItem | None) -> Text:
    if item is None:
        return Text("Not on the plan yet: p puts it there.", style="dim")
    bits = " · ".join(p for p in (item.status, item.owner, item.quarter, item.format) if p)
    again = "" if item.status in OPEN_STATUSES else "  (p plans it again)"
    return Text(f"On the plan: {bits} (item {item.id}){again}", style="bold")


class BriefDialog(ModalScreen[str | None]):
    """The question big, then everything else in a scrollable view; p plans, Escape closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("p", "plan", "Add to plan"),
    ]

    def __init__(
        self,
        brief: GapBrief,
        item: PlanItem | None = None,
        baseline: float | None = None,
        stuck_days: int = STUCK_DAYS,
    ) -> None:
        super().__init__()
        self.brief = brief
        self.item = item
        self.baseline = baseline  # the win rate over every deal, beside the theme's
        self.stuck_days = stuck_days

    def compose(self) -> ComposeResult:
        b = self.brief
        with Vertical(classes="dialog wide", id="brief"):
            yield Static(f"Gap brief · {b.label}", classes="dialog-title")
            yield Static(question_text(b), id="brief-question")
            with VerticalScroll(classes="dialog-body", id="brief-scroll"):
                yield Static(render_brief(b, self.baseline, self.stuck_days), id="brief-body")
            yield Static(plan_text(self.item), id="brief-plan-line")
            with Horizontal(classes="dialog-buttons"):
                on_plan = self.item is not None and self.item.status in OPEN_STATUSES
                yield Button("Add to plan  p", variant="primary", id="brief-plan", disabled=on_plan)
                yield Button("Close  esc", id="brief-close")

    def on_mount(self) -> None:
        self.query_one("#brief-scroll").focus()  # ↑ ↓ pgup pgdn scroll

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "brief-plan":
            self.action_plan()
        else:
            self.dismiss(None)

    def action_plan(self) -> None:
        self.dismiss("plan")

    def action_close(self) -> None:
        self.dismiss(None)
