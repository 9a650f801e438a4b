"""The plan tab: the content plan board, what new content now answers, what publishing did."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from analysis.overrides import status_text as content_text
from analysis.plan import (
    OPEN_STATUSES,
    STATUSES,
    Effect,
    PlanError,
    PlanItem,
    Proposal,
    plan_items,
    publish_effect,
    publish_proposals,
    remove_item,
    update_item,
)
from analysis.results import NoAnalysis
from gaplens.store import Store
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.message import MessageDialog
from tui.dialogs.plan_item import PlanItemDialog
from tui.format import STATUS_STYLE as CONTENT_STYLE
from tui.format import shorten, status_text
from tui.messages import WorkspaceChanged
from tui.widgets import LazyPane, show_empty_state

STATUS_STYLE = {
    "backlog": "dim",
    "planned": "cyan",
    "in progress": "bold yellow",
    "published": "green",
    "won't do": "dim strike",
}
# (header, key, width): fits a 120-column terminal with the table's padding
COLUMNS = [
    ("Status", "status", 11),
    ("Theme", "theme", 28),
    ("Owner", "owner", 10),
    ("Quarter", "quarter", 7),
    ("Format", "format", 13),
    ("Notes", "notes", 5),
    ("Content", "content", 10),
    ("Comment", "comment", 18),
]
EMPTY = "Nothing planned yet. On the Themes tab, p puts a theme on the plan."
CONTENT_NOW = {"none": "no content answers it", "weak": "weak content", "covered": "covered"}
VERDICT_STYLE = {"fell": "green", "rose": "red", "held": "", "too early": "dim"}


@dataclass
class Board:
    """What the tab shows, read in one worker."""

    items: list[PlanItem]
    proposals: list[Proposal]
    effects: dict[int, Effect] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # asset id -> title


def set_columns(table: DataTable, columns: list[tuple[str, str, int]], width: int) -> None:
    """Give the table ``columns`` (header, key, width), the last one widened to take the room
    the others leave in ``width``; the columns are remade only when a width changes."""
    fixed = sum(w for *_, w in columns[:-1]) + 2 * len(columns) + 2  # cell padding, scrollbar
    wanted = [w for *_, w in columns[:-1]] + [max(columns[-1][2], width - fixed)]
    if [c.width for c in table.columns.values()] == wanted:
        return
    table.clear(columns=True)
    for (header, key, _), w in zip(columns, wanted, strict=True):
        table.add_column(header, key=key, width=w)


def plan_status(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def effect_text(effect: Effect) -> Text:
    """What publishing did to the theme's notes, in one line."""
    if effect.verdict == "too early":
        return Text(
            f"too early to see an effect: no full quarter of notes since it was published "
            f"({effect.before} notes in {effect.before_quarter}, the quarter before)",
            style="dim",
        )
    out = Text("notes ")
    out.append(effect.verdict, style="bold " + VERDICT_STYLE.get(effect.verdict, ""))
    out.append(
        f" {effect.before} → {effect.after:.1f}/quarter"
        f"  ({effect.before} in {effect.before_quarter}; {effect.after:.1f} a quarter over "
        f"{', '.join(effect.after_quarters)}; {effect.before_share:.0%} → "
        f"{effect.after_share:.0%} of all notes)"
    )
    return out


def proposals_text(proposals: list[Proposal], show: int = 5) -> Group:
    """The body of the dialog that marks proposed items published."""
    parts: list = []
    for p in proposals[:show]:
        who = ", ".join(x for x in (p.item.status, p.item.owner, p.item.quarter) if x)
        parts.append(Text.assemble((p.item.label, "bold"), f"  ({who})"))
        answer = Text.assemble(
            "answered by ", (f"“{p.title}”", "bold"), f"  coverage {p.coverage:.2f}"
        )
        parts.append(Padding(answer, (0, 0, 0, 2)))
        parts.append(Padding(Text(p.reason, style="dim"), (0, 0, 1, 2)))
    if len(proposals) > show:
        parts.append(Text(f"… and {len(proposals) - show} more\n", style="dim"))
    parts.append(
        Text(f"Mark {'it' if len(proposals) == 1 else 'them'} published today, by this content?")
    )
    return Group(*parts)


class PlanPane(LazyPane):
    BINDINGS = [
        Binding("e", "edit", "Edit", id="plan_edit", tooltip="Status, owner, quarter, format"),
        Binding("s", "next_status", "Next status", id="plan_next"),
        Binding("delete,backspace", "remove", "Remove", id="plan_remove"),
        Binding(
            "y",
            "review_proposals",
            "Mark published",
            id="plan_proposals",
            tooltip="Planned themes new content now answers: mark them published",
        ),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.board: Board | None = None
        self.selected: int | None = None  # the item under the cursor, kept through reloads

    def compose(self) -> ComposeResult:
        yield Static("", id="plan-banner")
        yield Static("", id="plan-status", classes="status-line")
        yield Static("", id="plan-empty", classes="empty")
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Static("", id="plan-detail")

    def on_mount(self) -> None:
        set_columns(self.query_one("#plan", DataTable), COLUMNS, self.size.width)
        self.query_one("#plan-empty").display = False
        self.query_one("#plan-banner").display = False

    # -- loading -----------------------------------------------------------

    def read(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="plan-load", exit_on_error=False)
    def load(self) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            run = store.latest_run()
            if run is None:
                board, notes = None, store.count_notes()
            else:
                items = plan_items(store)
                effects = {}
                for item in items:
                    if item.status == "published" and item.in_analysis:
                        effect = publish_effect(store, item, run["id"])
                        if effect is not None:
                            effects[item.id] = effect
                board = Board(items, publish_proposals(store), effects, store.asset_titles())
                notes = 0
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_board, board, notes)

    def show_board(self, board: Board | None, notes: int) -> None:
        self.board = board
        table = self.query_one("#plan", DataTable)
        empty = self.query_one("#plan-empty", Static)
        detail = self.query_one("#plan-detail", Static)
        self.show_banner()
        if board is None or not board.items:
            table.clear()
            if board is not None:
                message = EMPTY
            elif notes:
                message = (
                    f"{notes} notes, not analysed yet.\n\nPress a to run the analysis; then, "
                    "on the Themes tab, p puts a theme on the plan."
                )
            else:
                message = "No notes yet.\n\nPress i to import notes, then a to analyse them."
            show_empty_state(empty, table, detail, message)
            self.query_one("#plan-status", Static).update("")
            return
        show_empty_state(empty, table, detail, None)
        self.fill()

    def show_banner(self) -> None:
        banner = self.query_one("#plan-banner", Static)
        found = self.board.proposals if self.board else []
        if not found:
            banner.display = False
            return
        themes = (
            "1 planned theme now has"
            if len(found) == 1
            else f"{len(found)} planned themes now have"
        )
        banner.update(
            Text.assemble((f" {themes} content: ", "bold"), ("y", "bold reverse"), " to review")
        )
        banner.display = True

    def fill(self) -> None:
        table = self.query_one("#plan", DataTable)
        keep = self.selected
        items = self.board.items
        table.clear()
        set_columns(table, COLUMNS, self.size.width)
        comment_width = table.columns["comment"].width
        for item in items:
            label = Text(shorten(item.label, 28))
            if not item.in_analysis:
                label.stylize("dim italic")
            table.add_row(
                plan_status(item.status),
                label,
                shorten(item.owner or "", 10),
                item.quarter or "",
                shorten(item.format or "", 13),
                Text(str(item.notes) if item.in_analysis else "–", justify="right"),
                status_text(content_text(item.content_status)) if item.in_analysis else Text("–"),
                shorten(item.comment or "", comment_width),
                key=str(item.id),
            )
        counts = {s: 0 for s in STATUSES}
        for item in items:
            counts[item.status] = counts.get(item.status, 0) + 1
        line = Text(f"{len(items)} on the plan: ")
        for i, (status, n) in enumerate(counts.items()):
            if i:
                line.append(" · ")
            line.append(f"{n} {status}", style=STATUS_STYLE[status] if n else "dim")
        line.append("   e edit · s next status · del remove", style="dim")
        self.query_one("#plan-status", Static).update(line)
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)), animate=False)
        elif table.row_count:
            table.move_cursor(row=0, animate=False)
        item = self.cursor_item()
        self.show_item(item)

    def on_resize(self) -> None:
        if self.board and self.board.items:  # the comment column takes the room there is
            self.fill()

    def cursor_item(self) -> PlanItem | None:
        table = self.query_one("#plan", DataTable)
        if not self.board or not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((i for i in self.board.items if str(i.id) == key), None)

    # -- the selected item ------------------------------------------------------

    @on(DataTable.RowHighlighted, "#plan")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.board and event.row_key is not None and event.row_key.value is not None:
            item = next((i for i in self.board.items if str(i.id) == event.row_key.value), None)
            self.show_item(item)

    @on(DataTable.RowSelected, "#plan")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def show_item(self, item: PlanItem | None) -> None:
        detail = self.query_one("#plan-detail", Static)
        if item is None:
            self.selected = None
            detail.update("")
            return
        self.selected = item.id
        out = Text(item.label, style="bold")
        out.append(f"  theme {item.theme_id}", style="dim")
        if item.in_analysis:
            out.append(f" · {item.notes} notes now · ")
            content = content_text(item.content_status)
            out.append(
                CONTENT_NOW.get(item.content_status or "", content),
                style=CONTENT_STYLE.get(content, ""),
            )
        else:
            out.append(" · not in the current analysis", style="yellow")
        out.append(f" · on the plan since {item.created_at[:10]}", style="dim")
        if item.comment:
            out.append(f"\n{item.comment}", style="italic")
        board = self.board
        if item.status == "published":
            out.append("\npublished ", style="green")
            out.append(item.published_at or "")
            if item.asset_id:
                title = board.titles.get(item.asset_id, item.asset_id) if board else item.asset_id
                out.append(f" as “{title}”")
            effect = board.effects.get(item.id) if board else None
            if effect is not None:
                out.append(" · ")
                out.append_text(effect_text(effect))
        proposal = (
            next((p for p in board.proposals if p.item.id == item.id), None) if board else None
        )
        if proposal is not None:
            out.append(f"\nnew content answers it: “{proposal.title}” ", style="bold")
            out.append(f"(coverage {proposal.coverage:.2f}): y to mark it published", style="bold")
        detail.update(out)

    # -- actions -----------------------------------------------------------------

    def action_edit(self) -> None:
        item = self.cursor_item()
        if item is None:
            self.app.notify("Nothing to edit: the plan is empty.")
            return

        def done(changes: dict | None) -> None:
            if changes:
                self.apply([(item.id, changes)], f"Saved “{item.label}”.")

        self.app.push_screen(PlanItemDialog(item), done)

    def action_next_status(self) -> None:
        item = self.cursor_item()
        if item is None:
            return
        if item.status not in OPEN_STATUSES:
            self.app.notify(f"“{item.label}” is {item.status}: e changes its status.")
            return
        status = STATUSES[STATUSES.index(item.status) + 1]
        changes: dict = {"status": status}
        if status == "published":  # the content that answers it, when gaplens found one
            proposal = next((p for p in self.board.proposals if p.item.id == item.id), None)
            if proposal is not None:
                changes["asset_id"] = proposal.asset_id
        self.apply([(item.id, changes)], f"“{item.label}”: {item.status} → {status}.")

    def action_remove(self) -> None:
        item = self.cursor_item()
        if item is None:
            return
        body = Text()
        body.append(f"“{item.label}”", style="bold")
        body.append(f" ({item.status}) leaves the plan, with its history.\n\n")
        body.append(
            "To keep a record that the team decided against it, set its status to "
            "won't do instead (e).",
            style="dim",
        )

        def go(yes: bool | None) -> None:
            if yes:
                self.remove_worker(item.id, item.label)

        self.app.push_screen(ConfirmDialog("Remove from the plan", body, yes="Remove"), go)

    def action_review_proposals(self) -> None:
        found = self.board.proposals if self.board else []
        if not found:
            self.app.notify(
                "No planned theme is answered by content imported since it was planned."
            )
            return
        changes = [(p.item.id, {"status": "published", "asset_id": p.asset_id}) for p in found]
        what = "1 item" if len(found) == 1 else f"{len(found)} items"

        def go(yes: bool | None) -> None:
            if yes:
                self.apply(changes, f"Marked {what} published.")

        title = "Planned themes that now have content"
        self.app.push_screen(ConfirmDialog(title, proposals_text(found), yes="Mark published"), go)

    # -- writing -------------------------------------------------------------------

    @work(thread=True, group="plan-write", exit_on_error=False, description="plan change")
    def apply(self, changes: list[tuple[int, dict]], done: str) -> None:
        try:
            with Store(self.app.db_path) as store:
                for item_id, fields in changes:
                    update_item(store, item_id, **fields)
        except (PlanError, NoAnalysis) as exc:
            self.app.call_from_thread(self.failed, "Plan not changed", str(exc))
        else:
            self.app.call_from_thread(self.changed, done)

    @work(thread=True, group="plan-write", exit_on_error=False, description="plan removal")
    def remove_worker(self, item_id: int, label: str) -> None:
        try:
            with Store(self.app.db_path) as store:
                remove_item(store, item_id)
        except NoAnalysis as exc:
            self.app.call_from_thread(self.failed, "Not removed", str(exc))
        else:
            self.app.call_from_thread(self.changed, f"Removed “{label}” from the plan.")

    def failed(self, title: str, message: str) -> None:
        self.app.push_screen(MessageDialog(title, message, error=True))
        self.reload()  # part of a batch may have gone through

    def changed(self, message: str) -> None:
        self.app.notify(message)
        self.post_message(WorkspaceChanged("plan"))
