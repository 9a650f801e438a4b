"""The home tab: every theme with its demand, trend, coverage and gap score."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from analysis.browse import (
    KIND_LABELS,
    UNCLUSTERED,
    NoteFacts,
    NoteFilter,
    ThemeRow,
    ThemeTable,
    asset_table,
    load_facts,
    parse_period,
    theme_detail,
    theme_table,
)
from analysis.impact import STUCK_DAYS, ImpactReport, theme_impacts
from analysis.overrides import outdated_assets, set_link
from analysis.plan import OPEN_STATUSES, PlanError, PlanItem, add_item, item_for_theme
from analysis.results import NoAnalysis, current_run
from gaplens.store import Store
from tui.dialogs.asset_picker import AssetChoice, AssetPicker
from tui.dialogs.brief import BriefDialog
from tui.format import money, percent, sparkline, status_text, trend_text
from tui.messages import ShowNotes, WorkspaceChanged
from tui.widgets import show_empty_state
from tui.widgets.theme_detail import read_extras, theme_content

# (header, sort key); the sort key reads a ThemeRow
COLUMNS = [
    ("Theme", "label"),
    ("Notes", "notes"),
    ("Deals", "deals"),
    ("Value", "amount"),
    ("Trend (90d)", "trend"),
    ("Cover", "coverage"),
    ("Status", "status"),
    ("Score", "score"),
]
# Fixed widths (room for the sort arrow): the table is drawn the same way before and
# after it has measured its rows, which it does only when idle.
WIDTHS = {"label": 40, "trend": 14, "status": 10}
TYPING_PAUSE = 0.15  # seconds without a key before a search box queries
STATUS_ORDER = {"no content": 0, "weak": 1, "covered": 2, "": 3}
KIND_OPTIONS = [(label.capitalize(), kind) for kind, label in KIND_LABELS.items()]


def sort_value(row: ThemeRow, key: str):
    if key == "label":
        return row.label.lower()
    if key == "trend":
        return (
            row.trend if row.trend is not None else (float("inf") if row.recent else float("-inf"))
        )
    if key == "status":
        return STATUS_ORDER.get(row.status, 9)
    value = getattr(row, key)
    return float("-inf") if value is None else value


class ThemesPane(Vertical):
    BINDINGS = [
        Binding(
            "enter,o", "open_notes", "Notes", id="open_notes", tooltip="Every note of the theme"
        ),
        Binding("r", "rename", "Rename", id="rename"),
        Binding("M", "merge", "Merge", id="merge", tooltip="Merge this theme into another"),
        Binding("P", "split", "Split", id="split", tooltip="Split this theme into parts"),
        Binding(
            "b",
            "brief",
            "Brief",
            id="brief",
            tooltip="The gap brief: the question, quotes, money, closest content, what to write",
        ),
        Binding("p", "plan", "Plan", id="plan", tooltip="Put the theme on the content plan"),
        Binding("l", "link", "Link", id="link", tooltip="Pick an asset that answers the theme"),
        Binding(
            "u", "unlink", "Unlink", id="unlink", tooltip="Pick an asset that does not answer it"
        ),
        Binding("s", "sort_next", "Sort", id="sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("k", "next_kind", "Kind", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[ThemeRow] = []
        self.sort_key = "score"
        self.sort_reverse = True
        self.selected: int | None = None
        self.filter = NoteFilter()
        self.facts: NoteFacts | None = None
        self._typing: Timer | None = None
        self._moving: Timer | None = None
        # every theme's revenue, read once per workspace state (reload starts a new one)
        self.impacts: ImpactReport | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Input(
                id="theme-search",
                placeholder="/ filter: words in a theme's name, keywords or quotes",
                classes="search",
            )
            yield Select(KIND_OPTIONS, prompt="All kinds", id="theme-kind", classes="kind")
            yield Input(
                id="theme-period",
                placeholder="period: 2026Q2 or a..b",
                classes="period",
            )
        yield Static("", id="themes-status", classes="status-line")
        yield Static("", id="themes-empty", classes="empty")
        table = DataTable(id="themes", cursor_type="row", zebra_stripes=True)
        yield table
        from tui.widgets.theme_detail import ThemeDetailView

        yield ThemeDetailView(id="theme-detail")

    def on_mount(self) -> None:
        table = self.query_one("#themes", DataTable)
        for header, key in COLUMNS:
            table.add_column(header, key=key, width=WIDTHS.get(key, 7))
        self.query_one("#themes-empty").display = False
        self.reload()

    # -- loading -----------------------------------------------------------

    def reload(self) -> None:
        self.impacts = None
        self._generation += 1
        self.load(self.filter)

    @work(thread=True, exclusive=True, group="themes-load", exit_on_error=False)
    def load(self, flt: NoteFilter) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            try:
                run = current_run(store)
                facts = self.facts  # the notes' facts, read once per analysis and workspace size
                if facts is None or facts.run_id != run["id"] or facts.notes != store.count_notes():
                    facts = self.facts = load_facts(store, run["id"])
                data = theme_table(store, flt, run_id=run["id"], facts=facts)
            except NoAnalysis:
                data, notes = None, store.count_notes()  # the empty state says what to do
            else:
                notes = 0
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_table, data, notes)

    def show_table(self, data: ThemeTable | None, notes: int) -> None:
        empty = self.query_one("#themes-empty", Static)
        table = self.query_one("#themes", DataTable)
        if data is None:
            self.rows = []
            table.clear()
            if notes:
                text = (
                    f"{notes} notes, not analysed yet.\n\n"
                    "Press a to run the analysis: it groups them into themes and checks each "
                    "theme against your content."
                )
            else:
                text = (
                    "No notes yet.\n\nPress i to import a CSV or JSON export of call notes, "
                    "objections or lost-deal reasons, or n to add one yourself.\n"
                    "Then press a to analyse them."
                )
            show_empty_state(empty, table, self.query_one("#theme-detail"), text)
            self.query_one("#themes-status", Static).update("")
            return
        show_empty_state(empty, table, self.query_one("#theme-detail"), None)
        self.rows = data.rows
        self.fill()
        current = self.cursor_theme()
        if current is not None:
            self.show_theme(current)  # the theme's numbers may have changed: read it again
        else:
            self.selected = None
            self.query_one("#theme-detail").show(None, "No theme matches the filters.")
        themes = sum(1 for r in data.rows if r.cluster_id != UNCLUSTERED)
        gaps = sum(1 for r in data.rows if r.is_gap)
        status = Text(f"{themes} themes · ")
        status.append(f"{gaps} gaps", style="bold red" if gaps else "")
        status.append(f" · {data.total_notes} notes")
        if data.quarters:
            status.append(f" · trend bars {data.quarters[0]}–{data.quarters[-1]}", style="dim")
        if not data.rows:
            status.append("  — nothing matches the filters", style="yellow")
        self.query_one("#themes-status", Static).update(status)

    def fill(self) -> None:
        table = self.query_one("#themes", DataTable)
        keep = self.selected
        themes = [r for r in self.rows if r.cluster_id != UNCLUSTERED]
        rest = [r for r in self.rows if r.cluster_id == UNCLUSTERED]
        themes.sort(key=lambda r: r.cluster_id)
        themes.sort(key=lambda r: sort_value(r, self.sort_key), reverse=self.sort_reverse)
        table.clear()
        for r in themes + rest:
            label = Text(r.label, style="italic dim" if r.cluster_id == UNCLUSTERED else "")
            if r.renamed:
                label.append(" ✎", style="dim")
            trend = Text(sparkline(r.quarters) + " ", style="cyan")
            trend.append_text(trend_text(r.trend, r.recent))
            table.add_row(
                label,
                Text(str(r.notes), justify="right"),
                Text(str(r.deals), justify="right"),
                Text(money(r.amount), justify="right"),
                trend,
                Text(percent(r.coverage), justify="right"),
                status_text(r.status),
                Text("–" if r.score is None else f"{r.score:.1f}", justify="right", style="bold"),
                key=str(r.cluster_id),
            )
        for header, key in COLUMNS:
            column = table.columns[key]
            arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_key else ""
            column.label = Text(header + arrow)
        table.refresh()
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)), animate=False)
        elif table.row_count:
            table.move_cursor(row=0, animate=False)

    def cursor_theme(self) -> int | None:
        table = self.query_one("#themes", DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    # -- the highlighted theme ------------------------------------------------

    @on(DataTable.RowHighlighted, "#themes")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        cluster_id = int(event.row_key.value)
        if cluster_id != self.selected:
            self.show_theme(cluster_id)

    @on(DataTable.RowSelected, "#themes")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_notes()

    def show_theme(self, cluster_id: int) -> None:
        # moving through the table: read a theme once the cursor rests on it, so holding
        # the arrow key does not start a query per row passed
        self.selected = cluster_id
        if self._moving is not None:
            self._moving.stop()
        self._moving = self.set_timer(TYPING_PAUSE, lambda: self.load_detail(cluster_id))

    @work(thread=True, exclusive=True, group="theme-detail", exit_on_error=False)
    def load_detail(self, cluster_id: int) -> None:
        worker = get_current_worker()
        generation = self._generation
        extras = None
        with Store(self.app.db_path) as store:
            try:
                detail, message = theme_detail(store, cluster_id), None
                report = self.impacts
                if report is None and cluster_id != UNCLUSTERED:
                    report = theme_impacts(store)
                    if generation == self._generation:  # not read before a change landed
                        self.impacts = report
                extras = read_extras(store, detail, report)
            except NoAnalysis as exc:
                detail, message = None, str(exc)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.query_one("#theme-detail").show, detail, message, extras)

    def selected_row(self) -> ThemeRow | None:
        return next((r for r in self.rows if r.cluster_id == self.selected), None)

    # -- filters -----------------------------------------------------------------

    @on(Input.Changed, "#theme-search")
    def _search(self, event: Input.Changed) -> None:
        # typing: wait for a pause before querying, so one query runs per word, not per key
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self.apply_filters)

    @on(Input.Submitted, "#theme-search")
    @on(Input.Submitted, "#theme-period")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one("#themes", DataTable).focus()

    @on(Input.Changed, "#theme-period")
    def _period(self, event: Input.Changed) -> None:
        self.apply_filters()

    @on(Select.Changed, "#theme-kind")
    def _kind(self, event: Select.Changed) -> None:
        self.apply_filters()

    def apply_filters(self) -> None:
        period_input = self.query_one("#theme-period", Input)
        try:
            period = parse_period(period_input.value)
        except ValueError as exc:
            period_input.set_class(True, "-invalid")
            self.query_one("#themes-status", Static).update(Text(str(exc), style="yellow"))
            return
        period_input.set_class(False, "-invalid")
        kind = self.query_one("#theme-kind", Select).value
        self.filter = NoteFilter(
            kinds=(kind,) if isinstance(kind, str) else (),
            period=period,
            text=self.query_one("#theme-search", Input).value,
        )
        self.reload()

    def set_quarters(self, quarters: tuple[str, ...]) -> None:
        self.query_one("#theme-period", Input).suggester = SuggestFromList(
            list(quarters), case_sensitive=False
        )

    # -- actions -----------------------------------------------------------------

    def action_open_notes(self) -> None:
        row = self.selected_row()
        if row:
            self.post_message(ShowNotes(row.cluster_id, row.label))

    def action_rename(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.cluster_id == UNCLUSTERED:
            self.app.notify("The unclustered notes are not a theme; they cannot be renamed.")
            return
        self.app.rename_theme(row.cluster_id, row.label)

    def curated_row(self, what: str) -> ThemeRow | None:
        """The selected theme, when it is one a person can change."""
        row = self.selected_row()
        if row is not None and row.cluster_id == UNCLUSTERED:
            self.app.notify(
                f"The unclustered notes are not a theme; they cannot be {what}. "
                "Open them (enter) to assign each to a theme."
            )
            return None
        return row

    def action_merge(self) -> None:
        row = self.curated_row("merged")
        if row:
            self.app.merge_theme(row.cluster_id, row.label)

    def action_split(self) -> None:
        row = self.curated_row("split")
        if row:
            self.app.split_theme(row.cluster_id, row.label)

    # -- the brief, the plan and people's say on content --------------------------

    def action_brief(self) -> None:
        row = self.curated_row("written up in a brief")
        if row:
            self.brief_worker(row.cluster_id)

    @work(thread=True, exclusive=True, group="theme-brief", exit_on_error=False)
    def brief_worker(self, cluster_id: int) -> None:
        from analysis.brief import gap_brief

        try:
            with Store(self.app.db_path) as store:
                brief = gap_brief(store, cluster_id, impact=self._impact_of(cluster_id))
                item = item_for_theme(store, cluster_id)
        except NoAnalysis as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="warning")
            return

        def closed(choice: str | None) -> None:
            if choice == "plan":
                self.plan_worker(cluster_id)

        report = self.impacts
        dialog = BriefDialog(
            brief,
            item,
            report.win_rate if report else None,
            report.stuck_days if report else STUCK_DAYS,
        )
        self.app.call_from_thread(self.app.push_screen, dialog, closed)

    def _impact_of(self, cluster_id: int):
        report = self.impacts
        if report is None:
            return None
        return next((t for t in report.themes if t.theme_id == cluster_id), None)

    def action_plan(self) -> None:
        row = self.curated_row("planned")
        if row:
            self.plan_worker(row.cluster_id)

    @work(thread=True, group="theme-plan", exit_on_error=False)
    def plan_worker(self, cluster_id: int) -> None:
        added, earlier, error = None, None, None
        try:
            with Store(self.app.db_path) as store:
                earlier = item_for_theme(store, cluster_id)
                if earlier is None or earlier.status not in OPEN_STATUSES:
                    added = add_item(store, cluster_id, status="backlog")
        except (PlanError, NoAnalysis) as exc:
            error = str(exc)
        self.app.call_from_thread(self._planned, added, earlier, error)

    def _planned(self, added: PlanItem | None, earlier: PlanItem | None, error: str | None):
        if error:
            self.app.notify(error, title="Not planned", severity="warning")
        elif added is None:
            bits = " · ".join(p for p in (earlier.owner, earlier.quarter) if p)
            self.app.notify(
                f"“{earlier.label}” is already on the plan: item {earlier.id}, "
                f"{earlier.status}{' · ' + bits if bits else ''} (tab 5 changes it).",
                title="Already planned",
            )
        else:
            again = f" (item {earlier.id} was {earlier.status})" if earlier else ""
            self.app.notify(
                f"“{added.label}” is on the plan: item {added.id}, backlog{again}. "
                "Tab 5 sets its owner, quarter and format.",
                title="Planned",
            )
            self.post_message(WorkspaceChanged("plan"))

    def action_link(self) -> None:
        row = self.curated_row("linked to content")
        if row:
            self.pick_asset_worker(row.cluster_id, row.label, "link")

    def action_unlink(self) -> None:
        row = self.curated_row("unlinked from content")
        if row:
            self.pick_asset_worker(row.cluster_id, row.label, "unlink")

    @work(thread=True, exclusive=True, group="theme-assets", exit_on_error=False)
    def pick_asset_worker(self, cluster_id: int, label: str, action: str) -> None:
        """Read the assets to pick from, then open the picker: for a link every asset not
        linked yet, closest to the theme first; for an unlink the theme's current ones."""
        try:
            with Store(self.app.db_path) as store:
                detail = theme_detail(store, cluster_id, quotes=0)
                ranked, unlinked, titles = theme_content(store, detail)
                stale = outdated_assets(store)
                assets = {a.asset_id: a for a in asset_table(store)}
        except NoAnalysis as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="warning")
            return
        auto = {a.asset_id: a.coverage for a in detail.assets}

        def choice(asset_id: str, note: str) -> AssetChoice:
            a = assets.get(asset_id)
            return AssetChoice(
                asset_id,
                a.title if a else titles.get(asset_id, asset_id),
                a.type if a else None,
                asset_id in stale,
                note,
            )

        if action == "link":
            linked = {c.asset_id for c in ranked if c.linked}
            order = sorted(
                (a for a in assets if a not in linked),
                key=lambda a: (-auto.get(a, -1.0), assets[a].title.lower()),
            )
            choices = [
                choice(
                    a,
                    "unlinked by you"
                    if a in unlinked
                    else (f"{percent(auto[a])} match" if a in auto else ""),
                )
                for a in order
            ]
            title = f"Link content that answers “{label}”"
            hint = "The theme counts as covered by it, whatever the match said (u takes it back)."
            empty = "Every asset is linked to this theme already."
        else:
            choices = [
                choice(c.asset_id, "linked by you" if c.linked else f"{percent(c.auto)} match")
                for c in ranked
            ]
            title = f"Unlink content from “{label}”"
            hint = "It no longer counts for the theme, however close it reads (l links it)."
            empty = "No asset answers this theme: there is nothing to unlink."
        if not choices:
            self.app.call_from_thread(self.app.notify, empty)
            return

        def picked(asset_id: str | None) -> None:
            if asset_id is not None:
                self.link_worker(cluster_id, asset_id, action)

        verb = "Link" if action == "link" else "Unlink"
        self.app.call_from_thread(
            self.app.push_screen, AssetPicker(title, choices, hint, verb), picked
        )

    @work(thread=True, group="theme-link", exit_on_error=False)
    def link_worker(self, cluster_id: int, asset_id: str, action: str) -> None:
        try:
            with Store(self.app.db_path) as store:
                summary, error = set_link(store, cluster_id, asset_id, action).summary, None
        except (NoAnalysis, ValueError) as exc:
            summary, error = None, str(exc)
        self.app.call_from_thread(self._linked, action, summary, error)

    def _linked(self, action: str, summary: str | None, error: str | None) -> None:
        title = "Linked" if action == "link" else "Unlinked"
        if error:
            self.app.notify(error, title=f"Not {title.lower()}", severity="warning")
            return
        self.app.notify(summary[:1].upper() + summary[1:] + ".", title=title)
        self.post_message(WorkspaceChanged(action))

    def action_sort_next(self) -> None:
        keys = [k for _, k in COLUMNS]
        self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)])

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.fill()

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        self.sort_key = key
        self.sort_reverse = (key != "label" and key != "status") if reverse is None else reverse
        self.fill()

    @on(DataTable.HeaderSelected, "#themes")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key == self.sort_key:
            self.action_sort_reverse()
        else:
            self.sort_by(key)

    def filter_kind(self, kind: str | None) -> None:
        select = self.query_one("#theme-kind", Select)
        if kind is None:
            select.clear()
        else:
            select.value = kind

    def action_next_kind(self) -> None:
        select = self.query_one("#theme-kind", Select)
        kinds = [None] + [k for _, k in KIND_OPTIONS]
        current = select.value if isinstance(select.value, str) else None
        self.filter_kind(kinds[(kinds.index(current) + 1) % len(kinds)])
