"""The trends tab: which themes rose, fell or appeared in a quarter, and each theme's history."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Label, Select, Static
from textual.worker import get_current_worker

from analysis.browse import UNCLUSTERED, facets
from analysis.results import NoAnalysis
from analysis.trends import ThemeTrend, TrendReport, theme_series, theme_trends
from gaplens.store import Store
from tui.format import shorten, sparkline
from tui.widgets import LazyPane, show_empty_state
from tui.widgets.plan import set_columns

STATUS_STYLE = {
    "rising": "bold red",
    "new": "bold cyan",
    "falling": "green",
    "steady": "",
    "quiet": "dim",
}
# (header, key, width); "previous" and "this" are renamed to their quarters
COLUMNS = [
    ("Theme", "theme", 30),
    ("History", "history", 8),
    ("Prev", "previous", 6),
    ("This", "this", 6),
    ("Δ share", "change", 7),
    ("Status", "status", 7),
    ("Why", "reason", 40),
]
MOVING_PAUSE = 0.15  # seconds the cursor rests on a row before its chart is read
BLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a cell, empty to full


def change_text(t: ThemeTrend) -> Text:
    """How the theme's share of all notes moved against the quarter before."""
    change = t.change
    if change is None:
        return Text("new" if t.this else "–", style="cyan" if t.this else "dim", justify="right")
    pct = round(change * 100)
    style = "red" if pct >= 10 else "green" if pct <= -10 else "dim"
    return Text(f"{pct:+d}%" if abs(pct) < 1000 else ">+999%", style=style, justify="right")


def figure(t: ThemeTrend, report: TrendReport) -> str:
    """The numbers behind a theme's status, short: its share then and now, or its notes."""
    if t.status == "new":
        return f"{t.this} notes"
    if tuple(getattr(t, "fired", ())) == ("trend",):  # over the trend test's quarters
        totals, counts = dict(report.totals), dict(t.counts)
        first = report.span[0]
        if totals.get(first):
            then = counts.get(first, 0) / totals[first]
            return f"{then:.1%}→{t.share:.1%} over {len(report.span)}q"
    return f"{t.previous_share:.1%}→{t.share:.1%}"


def summary_list(
    title: str, themes: list[ThemeTrend], style: str, report: TrendReport, width: int = 38
) -> Text:
    """A short list of a status's themes: its count, then up to three with the figures why."""
    out = Text()
    out.append(f"{title} {len(themes)}", style=style or "bold")
    if len(themes) > 3:
        out.append(" (top 3)", style="dim")
    if not themes:
        out.append("\nnone this quarter", style="dim")
    for t in themes[:3]:
        shown = figure(t, report)
        name = shorten(t.label, max(8, width - len(shown) - 3))
        out.append(f"\n {name} ")
        out.append(shown, style="dim")
    return out


def quarter_chart(
    series: list[tuple[str, int]], highlight: str | None, *, height: int = 6, width: int = 116
) -> Text:
    """A bar per quarter: the count above, the quarter below, ``highlight`` in another colour.

    Eighth blocks give the bars' tops; a quarter with notes shows at least a sliver.
    Only the quarters that fit ``width`` are drawn: the newest, or those ending with
    the highlighted one when it would not fit.
    """
    if not series:
        return Text("No dated notes.", style="dim")
    col = max(len(q) for q, _ in series) + 2
    fits = max(1, width // col)
    if len(series) > fits:
        quarters = [q for q, _ in series]
        end = max(fits, quarters.index(highlight) + 1 if highlight in quarters else len(series))
        end = min(len(series), max(end, fits))
        series = series[end - fits : end]
    top = max(c for _, c in series) or 1
    eighths = [max(1 if c else 0, round(c / top * height * 8)) for _, c in series]
    out = Text()

    def style(q: str) -> str:
        return "bold yellow" if q == highlight else "cyan"

    for q, c in series:
        out.append(str(c).center(col), style="bold" if q == highlight else "")
    for row in range(height - 1, -1, -1):
        out.append("\n")
        for (q, _), e in zip(series, eighths, strict=True):
            fill = min(8, max(0, e - row * 8))
            bar = (BLOCKS[fill] * (col - 3)).center(col)
            out.append(bar, style=style(q))
    out.append("\n")
    for q, _ in series:
        out.append(q.center(col), style="bold yellow" if q == highlight else "dim")
    return out


class TrendsPane(LazyPane):
    BINDINGS = [
        Binding("left_square_bracket", "step(-1)", "Earlier quarter", id="trends_earlier"),
        Binding("right_square_bracket", "step(1)", "Later quarter", id="trends_later"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.report: TrendReport | None = None
        self.quarter: str | None = None  # the chosen quarter; None: the newest
        self.quarters: list[str] = []  # quarters with notes, newest first
        self.selected: int | None = None
        self._moving: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Label("Quarter", id="trends-quarter-label")
            yield Select([], prompt="Quarter", id="trends-quarter", allow_blank=True)
            yield Static("", id="trends-headline")
        with Horizontal(id="trends-summary"):
            yield Static("", id="trends-rising", classes="trend-list")
            yield Static("", id="trends-new", classes="trend-list")
            yield Static("", id="trends-falling", classes="trend-list")
        yield Static("", id="trends-empty", classes="empty")
        yield DataTable(id="trends", cursor_type="row", zebra_stripes=True)
        yield Static("", id="trend-chart")

    def on_mount(self) -> None:
        set_columns(self.query_one("#trends", DataTable), COLUMNS, self.size.width)
        self.query_one("#trends-empty").display = False

    def on_resize(self) -> None:
        if self.report is not None:  # the reasons take the room there is; the chart too
            self.fill(self.report)

    # -- loading -----------------------------------------------------------

    def read(self) -> None:
        self.load(self.quarter)

    @work(thread=True, exclusive=True, group="trends-load", exit_on_error=False)
    def load(self, quarter: str | None) -> None:
        worker = get_current_worker()
        report, quarters, message = None, [], None
        with Store(self.app.db_path) as store:
            try:
                report = theme_trends(store, quarter)
            except NoAnalysis:
                notes = store.count_notes()
                message = (
                    f"{notes} notes, not analysed yet.\n\nPress a to run the analysis: the trends "
                    "compare each theme's notes quarter by quarter."
                    if notes
                    else "No notes yet.\n\nPress i to import notes with dates, then a to "
                    "analyse them."
                )
            except ValueError as exc:  # no dated notes, or a quarter without notes
                message = str(exc)[:1].upper() + str(exc)[1:] + "."
            if report is not None or quarter is not None:
                # the run's quarters, from its first dated note to its last, that have notes
                try:
                    span = {q for q, _ in theme_series(store, UNCLUSTERED)}
                except NoAnalysis:
                    span = set()
                quarters = [q for q in facets(store).quarters if q in span]
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_report, report, quarters, message)

    def show_report(
        self, report: TrendReport | None, quarters: list[str], message: str | None
    ) -> None:
        self.report = report
        self.set_quarters(quarters, report.quarter if report else self.quarter)
        table = self.query_one("#trends", DataTable)
        chart = self.query_one("#trend-chart", Static)
        summary = self.query_one("#trends-summary")
        if report is None:
            table.clear()
            show_empty_state(self.query_one("#trends-empty", Static), table, chart, message)
            summary.display = False
            self.query_one("#trends-headline", Static).update("")
            return
        show_empty_state(self.query_one("#trends-empty", Static), table, chart, None)
        summary.display = True
        self.query_one("#trends-headline", Static).update(self.headline(report))
        self.query_one("#trends-rising", Static).update(
            summary_list("▲ Rising", report.rising, STATUS_STYLE["rising"], report)
        )
        self.query_one("#trends-new", Static).update(
            summary_list("✦ New", report.new, STATUS_STYLE["new"], report)
        )
        self.query_one("#trends-falling", Static).update(
            summary_list("▼ Falling", report.falling, "bold green", report)
        )
        self.fill(report)

    @staticmethod
    def headline(report: TrendReport) -> Text:
        out = Text()
        out.append(f"{report.quarter} vs {report.previous}", style="bold")
        out.append(f": {report.total} notes vs {report.previous_total}")
        if report.partial:
            out.append(f" · partial quarter (notes through {report.through})", style="yellow")
        out.append(f" · history {report.quarters[0]}–{report.quarters[-1]}", style="dim")
        return out

    def set_quarters(self, quarters: list[str], current: str | None) -> None:
        self.quarters = quarters
        select = self.query_one("#trends-quarter", Select)
        with select.prevent(Select.Changed):
            select.set_options([(q, q) for q in quarters])
            if current in quarters:
                select.value = current

    def fill(self, report: TrendReport) -> None:
        table = self.query_one("#trends", DataTable)
        keep = self.selected
        table.clear()
        set_columns(table, COLUMNS, self.size.width)
        reason_width = table.columns["reason"].width
        table.columns["previous"].label = Text(report.previous)
        table.columns["this"].label = Text(report.quarter)
        for t in report.themes:
            counts = [c for _, c in t.counts]
            reason = getattr(t, "reason", "") or ""
            quiet = t.status in ("steady", "quiet")
            table.add_row(
                Text(shorten(t.label, 30)),
                Text(sparkline(counts), style="cyan"),
                Text(str(t.previous), justify="right"),
                Text(str(t.this), justify="right", style="bold"),
                change_text(t),
                Text(t.status, style=STATUS_STYLE.get(t.status, "")),
                Text(shorten(reason, reason_width), style="dim" if quiet else ""),
                key=str(t.theme_id),
            )
        table.refresh()
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)), animate=False)
        elif table.row_count:
            table.move_cursor(row=0, animate=False)
        if table.row_count:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            self.show_theme(int(key), at_once=True)
        else:
            self.query_one("#trend-chart", Static).update("")

    # -- the chosen quarter ------------------------------------------------------

    @on(Select.Changed, "#trends-quarter")
    def _quarter(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value and value != (self.report.quarter if self.report else self.quarter):
            self.quarter = value
            self.load(value)

    def action_step(self, by: int) -> None:
        """Move to the quarter before (-1) or after (1) the chosen one."""
        if not self.report or self.report.quarter not in self.quarters:
            return
        i = self.quarters.index(self.report.quarter) - by  # the list is newest first
        if 0 <= i < len(self.quarters):
            self.quarter = self.quarters[i]
            self.load(self.quarter)
        else:
            self.app.notify("No notes are dated " + ("later." if by > 0 else "earlier."))

    def show_quarter(self, quarter: str | None) -> None:
        """Report on ``quarter`` (None: the newest with notes)."""
        self.quarter = quarter
        self.load(quarter)

    # -- the selected theme's chart ------------------------------------------------

    @on(DataTable.RowHighlighted, "#trends")
    @on(DataTable.RowSelected, "#trends")
    def _highlighted(self, event: DataTable.RowHighlighted | DataTable.RowSelected) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        theme_id = int(event.row_key.value)
        if theme_id != self.selected or isinstance(event, DataTable.RowSelected):
            self.show_theme(theme_id)

    def show_theme(self, theme_id: int, at_once: bool = False) -> None:
        # read a theme once the cursor rests on it, not per row passed
        self.selected = theme_id
        if self._moving is not None:
            self._moving.stop()
        if at_once:
            self.load_chart(theme_id)
        else:
            self._moving = self.set_timer(MOVING_PAUSE, lambda: self.load_chart(theme_id))

    @work(thread=True, exclusive=True, group="trend-chart", exit_on_error=False)
    def load_chart(self, theme_id: int) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            try:
                series, message = theme_series(store, theme_id), None
            except NoAnalysis as exc:
                series, message = [], str(exc)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_chart, theme_id, series, message)

    def show_chart(self, theme_id: int, series: list[tuple[str, int]], message: str | None) -> None:
        chart = self.query_one("#trend-chart", Static)
        report = self.report
        trend = next((t for t in report.themes if t.theme_id == theme_id), None) if report else None
        if trend is None or message:
            chart.update(Text(message or "", style="dim"))
            return
        out = Text()
        out.append(trend.label, style="bold")
        out.append("  notes per quarter", style="dim")
        out.append(f" · {report.quarter}: {trend.this} notes, {trend.share:.1%} of all · ")
        out.append(trend.status, style=STATUS_STYLE.get(trend.status) or "bold")
        reason = getattr(trend, "reason", "")
        if reason:
            out.append(f" ({reason})", style="dim")
        out.append("\n")
        width = (chart.size.width or self.size.width or 118) - 2
        out.append_text(quarter_chart(series, report.quarter, width=width))
        chart.update(out)
