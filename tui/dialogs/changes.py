"""What changed: what the last full analysis did to the themes, and the edit log."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from analysis.browse import ChangesReport, change_counts

CHANGE_STYLE = {
    "new": "bold cyan",
    "split": "cyan",
    "merged": "magenta",
    "vanished": "red",
    "grown": "yellow",
    "shrunk": "green",
    "same": "dim",
}
EDITS_SHOWN = 50


def render_changes(report: ChangesReport) -> RenderableType:
    parts: list[RenderableType] = []
    run = report.run
    if run is None:
        parts.append(Text("No analysis yet: press a to find the themes.", style="dim"))
    elif not report.changes:
        parts.append(
            Text(
                f"Analysis run {run['id']} was the first one: there is nothing to compare it "
                "with yet. The next analysis will say which themes kept their id, which are "
                "new, merged, split or gone.",
                style="dim",
            )
        )
    else:
        when = (run["finished_at"] or "")[:16].replace("T", " ")
        head = Text(f"What analysis run {run['id']} ", style="bold")
        head.append(f"({when}) " if when else "", style="dim")
        head.append("did to the themes", style="bold")
        parts.append(head)
        parts.append(Text("themes since the analysis before: " + change_counts(report.changes)))
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("id", justify="right", style="dim")
        table.add_column("change")
        table.add_column("theme", max_width=44, no_wrap=True, overflow="ellipsis")
        table.add_column("what happened")
        shown = [r for r in report.changes if r["change"] != "same"]
        for r in shown:
            table.add_row(
                str(r["theme_id"]),
                Text(r["change"], style=CHANGE_STYLE.get(r["change"], "")),
                r["label"] or "",
                r["what"],
            )
        if shown:
            parts.append(Text(""))
            parts.append(table)
        same = len(report.changes) - len(shown)
        if same:
            parts.append(Text(f"\n{same} themes stayed the same.", style="dim"))

    parts.append(Rule("Changes people made (newest first)", style="dim", align="left"))
    if not report.edits:
        parts.append(
            Text(
                "None yet. r renames a theme, M merges it into another, P splits it; in the "
                "notes tab t moves a note and c assigns an unclustered one to its closest theme. "
                "Every change is kept through later analyses.",
                style="dim",
            )
        )
    for e in report.edits[:EDITS_SHOWN]:
        line = Text((e["at"] or "")[:16].replace("T", " "), style="dim")
        line.append(f"  {e['who']}  ", style="cyan")
        line.append(e["summary"])
        parts.append(line)
    if len(report.edits) > EDITS_SHOWN:
        parts.append(
            Text(
                f"… and {len(report.edits) - EDITS_SHOWN} older ones (gaplens themes log)",
                style="dim",
            )
        )
    return Group(*parts)


class ChangesDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q,w", "close", "Close")]

    def __init__(self, report: ChangesReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="changes"):
            yield Static("What changed", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(render_changes(self.report), id="changes-body")
            yield Static("esc closes", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
