"""The gaplens terminal UI.

A thin layer over the core: every read runs in a thread worker with its own
Store and only the drawing happens on the UI thread; the analysis, imports and
the model all load in workers, so the first screen appears at once and nothing
blocks it. ``make_app`` builds the app for the CLI and for the tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, TabbedContent, Tabs
from textual.worker import Worker, WorkerState, get_current_worker

from analysis.browse import (
    KIND_LABELS,
    NoteRow,
    facets,
    nearest_themes,
    note_vectors,
    similar_notes,
)
from analysis.results import NoAnalysis
from gaplens.models import Note
from gaplens.store import Store
from tui.dialogs.help import HelpScreen
from tui.dialogs.importer import ImportDialog, ImportRequest
from tui.dialogs.message import MessageDialog
from tui.dialogs.note import NoteDialog, SuggestionDialog
from tui.dialogs.rename import RenameDialog
from tui.messages import (
    AnalysisEnded,
    AnalysisProgress,
    ImportProgress,
    ShowNotes,
    WorkspaceChanged,
)
from tui.screens.main import TABS, AnalysisBar, MainScreen
from tui.widgets.content import ContentPane
from tui.widgets.notes import NotesPane
from tui.widgets.rejects import RejectsPane
from tui.widgets.themes import COLUMNS, ThemesPane


class GaplensApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "gaplens"
    BINDINGS = [
        Binding("1", "show_tab('themes')", "Themes", show=False),
        Binding("2", "show_tab('notes')", "Notes", show=False),
        Binding("3", "show_tab('content')", "Content", show=False),
        Binding("4", "show_tab('rejects')", "Rejects", show=False),
        Binding("a", "analyze", "Analyze", id="analyze", tooltip="Run the analysis"),
        Binding("x", "cancel_analysis", "Cancel analysis", id="cancel"),
        Binding("n", "add_note", "New note", id="add_note", tooltip="Add a note from a call"),
        Binding("i", "import_files", "Import", id="import"),
        Binding("slash", "focus_filter", "Filter", id="filter"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        *,
        model: str | None = None,
        embedder_factory: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        Store(self.db_path).close()  # create or upgrade the workspace once, before any worker
        self.model = model
        self._embedder_factory = embedder_factory
        self._embedder = None
        self._embedder_lock = threading.Lock()
        self._vectors: dict[int, tuple] = {}
        self.analysis: Worker | None = None
        self.analysis_running = False

    # -- start -------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        self.sub_title = self.db_path.name

    def refresh_header(self) -> None:
        self.load_header()

    @work(thread=True, exclusive=True, group="header", exit_on_error=False)
    def load_header(self) -> None:
        with Store(self.db_path) as store:
            f = facets(store)
            themes = []
            if f.run:
                themes = sorted(
                    ((c["label"], c["cluster_id"]) for c in store.clusters(f.run["id"])),
                    key=lambda t: t[0].lower(),
                )
        self.call_from_thread(self.show_header, f, themes)

    def show_header(self, f, themes: list[tuple[str, int]]) -> None:
        parts = [self.db_path.name, f"{f.notes} notes", f"{f.assets} assets"]
        if f.run:
            parts.append(f"{f.run['n_clusters']} themes")
            if f.new_since_run:
                parts.append(f"{f.new_since_run} new since the last analysis (press a)")
        elif f.notes:
            parts.append("not analysed yet (press a)")
        if f.rejects:
            parts.append(f"{f.rejects} rejected rows")
        self.sub_title = " · ".join(parts)
        self.screen_main.query_one(ThemesPane).set_quarters(f.quarters)
        self.screen_main.query_one(NotesPane).set_choices(themes, f.reps, f.quarters)

    @property
    def screen_main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # -- tabs and focus ------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        tabs = self.screen_main.query_one("#tabs", TabbedContent)
        tabs.active = f"tab-{tab}"
        table = {
            "themes": "#themes",
            "notes": "#notes",
            "content": "#assets",
            "rejects": "#rejects",
        }
        target = self.screen_main.query_one(table[tab], DataTable)
        if target.display:
            target.focus()
        else:  # an empty tab: keep the focus on the tab bar, not on a hidden pane
            tabs.query_one(Tabs).focus()

    def action_focus_filter(self) -> None:
        tab = self.screen_main.query_one("#tabs", TabbedContent).active.removeprefix("tab-")
        box = {"themes": "#theme-search", "notes": "#note-search"}.get(tab)
        if box:
            self.screen_main.query_one(box, Input).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @on(ShowNotes)
    def _show_notes(self, message: ShowNotes) -> None:
        self.screen_main.query_one(NotesPane).show_theme(message.cluster_id)
        self.action_show_tab("notes")

    @on(WorkspaceChanged)
    def _changed(self, message: WorkspaceChanged) -> None:
        main = self.screen_main
        main.query_one(ThemesPane).reload()
        for pane in (
            main.query_one(NotesPane),
            main.query_one(ContentPane),
            main.query_one(RejectsPane),
        ):
            if pane.loaded:  # the others read the workspace when their tab is first shown
                pane.reload()
        self.refresh_header()

    # -- the analysis ---------------------------------------------------------

    def embedder(self):
        """The embedding model, created once (call from a worker: loading takes seconds)."""
        with self._embedder_lock:
            if self._embedder is None:
                if self._embedder_factory is not None:
                    self._embedder = self._embedder_factory()
                else:
                    from analysis.embed import SentenceTransformerEmbedder

                    self._embedder = SentenceTransformerEmbedder(self.model)
            return self._embedder

    def action_analyze(self) -> None:
        if self.analysis_running:
            self.notify("The analysis is already running (x cancels it).")
            return
        self.analysis_running = True
        bar = self.screen_main.query_one(AnalysisBar)
        bar.update_progress("starting", 0, None)
        bar.set_hint("x cancels")
        bar.display = True
        self.refresh_bindings()
        self.analysis = self.run_analysis_worker()

    @work(
        thread=True, exclusive=True, group="analysis", exit_on_error=False, description="analysis"
    )
    def run_analysis_worker(self) -> None:
        worker = get_current_worker()
        summary, error, cancelled = "", None, False
        try:
            from analysis.embed import ModelError
            from analysis.pipeline import Cancelled, NothingToAnalyze, Progress, run_analysis

            def progress(p: Progress) -> None:
                self.post_message(AnalysisProgress(p.stage, p.done, p.total))

            with Store(self.db_path) as store:
                # the settings of the last analysis carry over (stop words, gap threshold)
                last = store.latest_run()
                settings = json.loads(last["params"] or "{}") if last else {}
                kept = {k: settings[k] for k in ("stop_words", "gap_threshold") if k in settings}
                try:
                    result = run_analysis(
                        store,
                        **kept,
                        embedder=self.embedder(),
                        on_progress=progress,
                        should_cancel=lambda: worker.is_cancelled,
                    )
                except Cancelled:
                    cancelled = True
                except (NothingToAnalyze, ModelError) as exc:
                    error = str(exc)
                else:
                    summary = (
                        f"{result.n_notes} notes → {result.n_clusters} themes, "
                        f"{result.n_gaps} gaps, {result.n_unclustered} unclustered "
                        f"({result.seconds:.1f}s)"
                    )
        except Exception as exc:  # shown in a dialog, never as a traceback
            error = f"the analysis failed: {type(exc).__name__}: {exc}"
        finally:
            self.post_message(AnalysisEnded(summary, error, cancelled))

    def action_cancel_analysis(self) -> None:
        if self.analysis_running and self.analysis is not None:
            self.analysis.cancel()
            self.screen_main.query_one(AnalysisBar).update_progress(
                "cancelling (finishing the current step)…", 0, None
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_analysis":
            return self.analysis_running
        return True

    @on(AnalysisProgress)
    def _progress(self, message: AnalysisProgress) -> None:
        if self.analysis_running and not (self.analysis and self.analysis.is_cancelled):
            self.screen_main.query_one(AnalysisBar).update_progress(
                message.stage, message.done, message.total
            )

    @on(AnalysisEnded)
    def _ended(self, message: AnalysisEnded) -> None:
        self.analysis_running = False
        self.screen_main.query_one(AnalysisBar).display = False
        self.refresh_bindings()
        if message.cancelled:
            self.notify("Analysis cancelled; the previous results are unchanged.")
        elif message.error:
            self.push_screen(MessageDialog("Analysis not run", message.error, error=True))
        else:
            self.notify(message.summary, title="Analysis finished")
            self._vectors.clear()
            self.post_message(WorkspaceChanged("analysis"))

    # -- notes -------------------------------------------------------------------

    def action_add_note(self) -> None:
        self.push_screen(NoteDialog(self.save_note), self._note_saved)

    def save_note(self, values: dict) -> Note:
        from ingest import add_typed_note

        with Store(self.db_path) as store:
            return add_typed_note(store, **values)

    def _note_saved(self, note: Note | None) -> None:
        if note is None:
            return
        self.post_message(WorkspaceChanged("note"))
        dialog = SuggestionDialog(note)
        self.push_screen(dialog, self._suggestion_closed)
        self.suggest(note, dialog)

    def _suggestion_closed(self, cluster_id: int | None) -> None:
        if cluster_id is None:
            return
        themes = self.screen_main.query_one(ThemesPane)
        self.action_show_tab("themes")
        table = themes.query_one("#themes", DataTable)
        if str(cluster_id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(cluster_id)))

    @work(thread=True, group="suggest", exit_on_error=False)
    def suggest(self, note: Note, dialog: SuggestionDialog) -> None:
        try:
            with Store(self.db_path) as store:
                try:
                    run = store.latest_run()
                    if run is None:
                        raise NoAnalysis("no analysis yet")
                except NoAnalysis:
                    self.call_from_thread(
                        dialog.show, None, "No analysis yet: press a to find the themes."
                    )
                    return
                from analysis.label import scrub
                from analysis.pipeline import names_of

                embedder = self.embedder()
                if embedder.name != run["model"]:
                    self.call_from_thread(
                        dialog.show,
                        None,
                        f"The last analysis used the model {run['model']}; run it again to "
                        "compare this note.",
                    )
                    return
                text = scrub([note.text], names_of([{"account": note.account, "rep": note.rep}]))[0]
                vector = embedder.encode([text])[0]
                found = nearest_themes(store, vector, run["id"])
        except Exception as exc:
            self.call_from_thread(dialog.show, None, f"Could not compare the note: {exc}")
            return
        self.call_from_thread(dialog.show, found)

    def find_similar(self, row: NoteRow, callback: Callable) -> None:
        self.similar_worker(row, callback)

    @work(thread=True, exclusive=True, group="similar", exit_on_error=False)
    def similar_worker(self, row: NoteRow, callback: Callable) -> None:
        with Store(self.db_path) as store:
            run = store.latest_run()
            if run is None:
                self.call_from_thread(callback, row, [], "No analysis yet.")
                return
            if run["id"] not in self._vectors:
                self._vectors = {run["id"]: note_vectors(store, run["id"])}
            try:
                found = similar_notes(store, row.note_id, self._vectors[run["id"]])
                message = ""
            except LookupError as exc:
                found, message = [], str(exc)
        self.call_from_thread(callback, row, found, message)

    # -- themes --------------------------------------------------------------------

    def rename_theme(self, cluster_id: int, label: str) -> None:
        def done(name: str | None) -> None:
            if not name or name == label:
                return
            with Store(self.db_path) as store:
                run = store.latest_run()
                try:
                    store.rename_cluster(run["id"], cluster_id, name)
                except (KeyError, ValueError, TypeError) as exc:
                    self.push_screen(MessageDialog("Not renamed", str(exc), error=True))
                    return
            self.notify(f"Renamed to “{name}”.")
            self.post_message(WorkspaceChanged("rename"))

        auto = None
        with Store(self.db_path) as store:
            run = store.latest_run()
            if run:
                row = store.db.execute(
                    "select auto_label from clusters where run_id = ? and cluster_id = ?",
                    [run["id"], cluster_id],
                ).fetchone()
                auto = row[0] if row else None
        self.push_screen(RenameDialog(label, auto), done)

    # -- import ----------------------------------------------------------------------

    def action_import_files(self) -> None:
        self.push_screen(ImportDialog(), self._import_chosen)

    def _import_chosen(self, request: ImportRequest | None) -> None:
        if request is None:
            return
        if not self.analysis_running:
            bar = self.screen_main.query_one(AnalysisBar)
            bar.update_progress("importing", 0, None)
            bar.set_hint("")
            bar.display = True
        self.import_worker(request)

    @work(thread=True, group="import", exit_on_error=False)
    def import_worker(self, request: ImportRequest) -> None:
        from ingest import IngestError, import_assets, import_notes

        try:
            with Store(self.db_path) as store:

                def progress(file: str, done: int, total: int | None) -> None:
                    self.post_message(ImportProgress(file, done, total))

                if request.role == "assets":
                    summaries = import_assets(store, list(request.paths), on_progress=progress)
                else:
                    summaries = import_notes(
                        store, list(request.paths), kind=request.kind, on_progress=progress
                    )
        except IngestError as exc:
            self.call_from_thread(self._import_failed, str(exc))
            return
        except Exception as exc:  # shown in a dialog, never as a traceback
            self.call_from_thread(self._import_failed, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._imported, request, summaries)

    @on(ImportProgress)
    def _import_progress(self, message: ImportProgress) -> None:
        if not self.analysis_running:
            self.screen_main.query_one(AnalysisBar).update_progress(
                f"importing {Path(message.file).name}", message.done, message.total
            )

    def _import_failed(self, message: str) -> None:
        self._hide_import_bar()
        self.push_screen(MessageDialog("Nothing imported", message, error=True))

    def _hide_import_bar(self) -> None:
        if not self.analysis_running:
            self.screen_main.query_one(AnalysisBar).display = False

    def _imported(self, request: ImportRequest, summaries) -> None:
        self._hide_import_bar()
        what = "content assets" if request.role == "assets" else "notes"
        added = sum(s.added for s in summaries)
        body = Text()
        for s in summaries:
            body.append(f"{s.file}", style="bold")
            body.append(f"  ({s.format})\n", style="dim")
            if s.error:
                body.append(f"  not imported: {s.error}\n", style="red")
                continue
            body.append(f"  {s.added} added, {s.present} already there, ")
            body.append(f"{s.rejected} rejected\n", style="yellow" if s.rejected else "")
            for r in s.rejects[:5]:
                where = f"line {r.line}: " if r.line else ""
                body.append(f"    {where}{r.reason}\n", style="yellow")
            if len(s.rejects) > 5:
                body.append(
                    f"    … and {len(s.rejects) - 5} more under Rejected rows (4)\n", style="dim"
                )
        if not summaries:
            body.append("No files found there.")
        if added and request.role == "notes":
            body.append("\nPress a to analyse the new notes.", style="bold")
        self.push_screen(MessageDialog(f"Import: {added} {what} added", body))
        self.post_message(WorkspaceChanged("import"))

    # -- errors ----------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self.push_screen(
            MessageDialog(
                "Something went wrong",
                f"{event.worker.name or 'a background task'} failed: "
                f"{type(error).__name__}: {error}",
                error=True,
            )
        )

    # -- command palette -------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return
        yield SystemCommand(
            "Run the analysis", "Group notes into themes and match content (a)", self.action_analyze
        )
        if self.analysis_running:
            yield SystemCommand(
                "Cancel the analysis", "Stop the running analysis (x)", self.action_cancel_analysis
            )
        yield SystemCommand(
            "Add a note",
            "A note from a call: what the prospect asked or objected to (n)",
            self.action_add_note,
        )
        yield SystemCommand(
            "Import files",
            "Notes (CSV, JSON, text) or content (Markdown, HTML, inventory) (i)",
            self.action_import_files,
        )
        for tab, title in zip(
            TABS, ("Themes & gaps", "Notes", "Content", "Rejected rows"), strict=True
        ):
            yield SystemCommand(
                f"Show {title}", f"Switch to the {title} tab", lambda t=tab: self.action_show_tab(t)
            )
        themes = screen.query_one(ThemesPane)
        for header, key in COLUMNS:
            yield SystemCommand(
                f"Sort themes by {header.lower()}",
                "Largest first (press S to reverse)",
                lambda k=key: (self.action_show_tab("themes"), themes.sort_by(k)),
            )
        yield SystemCommand(
            "Rename the selected theme", "Give it a name the team knows (r)", themes.action_rename
        )
        yield SystemCommand(
            "Open the selected theme's notes",
            "Every note of the theme (enter)",
            themes.action_open_notes,
        )
        notes = screen.query_one(NotesPane)
        yield SystemCommand(
            "Similar notes",
            "Notes closest in meaning to the selected one (m)",
            lambda: (self.action_show_tab("notes"), notes.action_similar()),
        )
        content = screen.query_one(ContentPane)
        yield SystemCommand(
            "Toggle unused content",
            "Only assets that answer nothing anyone asks (u)",
            lambda: (self.action_show_tab("content"), content.action_toggle_unused()),
        )
        yield SystemCommand(
            "Filter or search", "Jump to the filter box of this tab (/)", self.action_focus_filter
        )
        for kind, label in KIND_LABELS.items():
            yield SystemCommand(
                f"Show only {label}",
                f"Count themes over {label} only (k cycles kinds)",
                lambda k=kind: (self.action_show_tab("themes"), themes.filter_kind(k)),
            )
        yield SystemCommand(
            "Show every kind",
            "Count themes over all notes",
            lambda: (self.action_show_tab("themes"), themes.filter_kind(None)),
        )
        yield SystemCommand("Help", "Keys and what the columns mean (?)", self.action_help)


def make_app(
    db_path: str | Path,
    *,
    model: str | None = None,
    embedder_factory: Callable[[], object] | None = None,
) -> GaplensApp:
    """The app on one workspace. ``embedder_factory`` swaps the model (tests use a fake)."""
    return GaplensApp(db_path, model=model, embedder_factory=embedder_factory)
