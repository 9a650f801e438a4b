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
    UNCLUSTERED,
    NoteRow,
    change_counts,
    changes_report,
    facets,
    nearest_themes,
    note_vectors,
    similar_notes,
    theme_choices,
)
from analysis.results import NoAnalysis
from gaplens.models import Note
from gaplens.store import Store
from tui.dialogs.changes import ChangesDialog
from tui.dialogs.confirm import ConfirmDialog, SplitDialog
from tui.dialogs.help import HelpScreen
from tui.dialogs.importer import ImportDialog, ImportRequest
from tui.dialogs.message import MessageDialog
from tui.dialogs.note import NoteDialog, SuggestionDialog, masked_text
from tui.dialogs.rename import RenameDialog
from tui.dialogs.theme_picker import ThemePicker
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
from tui.widgets.plan import PlanPane
from tui.widgets.rejects import RejectsPane
from tui.widgets.themes import COLUMNS, ThemesPane
from tui.widgets.trends import TrendsPane


class GaplensApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "gaplens"
    BINDINGS = [
        Binding("1", "show_tab('themes')", "Themes", show=False),
        Binding("2", "show_tab('notes')", "Notes", show=False),
        Binding("3", "show_tab('content')", "Content", show=False),
        Binding("4", "show_tab('rejects')", "Rejects", show=False),
        Binding("5", "show_tab('plan')", "Plan", show=False),
        Binding("6", "show_tab('trends')", "Trends", show=False),
        Binding("a", "analyze", "Analyze", id="analyze", tooltip="Run the analysis"),
        Binding("x", "cancel_analysis", "Cancel analysis", id="cancel"),
        Binding("n", "add_note", "New note", id="add_note", tooltip="Add a note from a call"),
        Binding("i", "import_files", "Import", id="import"),
        Binding("slash", "focus_filter", "Filter", id="filter"),
        Binding(
            "w",
            "show_changes",
            "Changes",
            id="changes",
            tooltip="What the last analysis did to the themes, and the edit log",
        ),
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
        self.curating = False  # a merge or split is being applied

    # -- start -------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        self.sub_title = self.db_path.name

    def refresh_header(self) -> None:
        self.load_header()

    @work(thread=True, exclusive=True, group="header", exit_on_error=False)
    def load_header(self) -> None:
        due = None
        with Store(self.db_path) as store:
            f = facets(store)
            themes = []
            if f.run:
                clusters = store.clusters(f.run["id"])
                themes = sorted(
                    ((c["label"], c["cluster_id"]) for c in clusters), key=lambda t: t[0].lower()
                )
                if f.placed:  # only notes placed between analyses can make one due
                    from analysis.incremental import reanalysis_due

                    due = reanalysis_due(store, f.run)
        self.call_from_thread(self.show_header, f, themes, due)

    def show_header(self, f, themes: list[tuple[str, int]], due: str | None = None) -> None:
        notes = f"{f.notes} notes"
        if f.imported is not None and f.imported != f.notes:  # long notes split (mentions)
            notes = f"{f.imported} notes ({f.notes} mentions)"
        parts = [self.db_path.name, notes, f"{f.assets} assets"]
        if f.run:
            parts.append(f"{len(themes)} themes")
            if f.emerging:
                parts.append(f"{f.emerging} emerging")
            if f.new_since_run:
                parts.append(f"{f.new_since_run} new since the last analysis (press a)")
            if due:  # "12 new notes fit no theme: enough to form..." -> the part before ':'
                parts.append(f"full analysis due: {due.split(':')[0]} (press a)")
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
            "plan": "#plan",
            "trends": "#trends",
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
        themes = main.query_one(ThemesPane)
        themes.facts = None  # a move keeps the run and the note count, but not the counts
        themes.reload()
        for pane in (
            main.query_one(NotesPane),
            main.query_one(ContentPane),
            main.query_one(RejectsPane),
            main.query_one(PlanPane),
            main.query_one(TrendsPane),
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
        if self.curating:
            self.notify("A change to the themes is being applied; analyse when it is done.")
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
                    changed = change_counts(store.changes(result.run_id))
                    if changed:
                        summary += f"\nThemes: {changed} (w: what changed)"
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
        self.post_message(WorkspaceChanged("note"))  # again once it is placed
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
        """Place the new note in the current themes (or the emerging pool), and find the
        content that answers its closest theme."""
        try:
            with Store(self.db_path) as store:
                run = store.latest_run()
                if run is None:
                    self.call_from_thread(
                        dialog.show, None, "No analysis yet: press a to find the themes."
                    )
                    return
                embedder = self.embedder()
                if embedder.name != run["model"]:
                    self.call_from_thread(
                        dialog.show,
                        None,
                        f"The last analysis used the model {run['model']}; run it again to "
                        "place this note.",
                    )
                    return
                from analysis.incremental import assign_new_notes

                result = assign_new_notes(store, embedder=embedder, note_ids=[note.note_id])
                placement = result.placements[0] if result.placements else None
                vector = self._note_vector(store, run, note, embedder)
                found = nearest_themes(store, vector, run["id"])
        except Exception as exc:
            self.call_from_thread(dialog.show, None, f"Could not place the note: {exc}")
            return
        self.call_from_thread(self._placed, dialog, found, placement, result.due)

    def _note_vector(self, store: Store, run: dict, note: Note, embedder):
        """The vector the note was placed with (cached by the placement), else encoded now."""
        row = store.db.execute(
            "select vector_hash from assignments where run_id = ? and note_id = ?",
            [run["id"], note.note_id],
        ).fetchone()
        if row and row[0]:
            cached = store.cached_embeddings(run["model"], [row[0]])
            if row[0] in cached:
                return cached[row[0]]
        from analysis.label import scrub
        from analysis.pipeline import names_of

        text = scrub([note.text], names_of([{"account": note.account, "rep": note.rep}]))[0]
        return embedder.encode([text])[0]

    def _placed(self, dialog: SuggestionDialog, found, placement, due: str | None) -> None:
        dialog.show(found, placement=placement, due=due)
        if placement is not None:
            self.post_message(WorkspaceChanged("placed"))

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
            from analysis.curate import CurationError, rename_theme

            with Store(self.db_path) as store:
                try:
                    rename_theme(store, cluster_id, name)
                except (CurationError, NoAnalysis) as exc:
                    self.push_screen(MessageDialog("Not renamed", str(exc), error=True))
                    return
            self.notify(f"Renamed to “{name}”; the name is kept through later analyses.")
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

    # -- curation: merge, split, move, triage -----------------------------------------

    def can_curate(self) -> bool:
        if self.analysis_running:
            self.notify("The analysis is running: change the themes when it is done.")
            return False
        if self.curating:
            self.notify("A change to the themes is being applied; one moment.")
            return False
        return True

    def pick_theme(
        self,
        title: str,
        callback: Callable[[int], None],
        *,
        exclude: Iterable[int] = (),
        hint: str = "",
        action: str = "Pick",
    ) -> None:
        """Open the theme picker on the current analysis's themes; ``callback(theme_id)``."""
        skip = set(exclude)
        with Store(self.db_path) as store:  # one small query: the themes and their sizes
            try:
                choices = [c for c in theme_choices(store) if c.cluster_id not in skip]
            except NoAnalysis as exc:
                self.notify(str(exc))
                return
        if not choices:
            self.notify("There is no other theme to pick.")
            return

        def picked(theme_id: int | None) -> None:
            if theme_id is not None:
                callback(theme_id)

        self.push_screen(ThemePicker(title, choices, hint, action), picked)

    def theme_sizes(self) -> dict[int, int]:
        """Every theme's size in the current analysis (whatever the filters count)."""
        with Store(self.db_path) as store:
            try:
                return {c.cluster_id: c.size for c in theme_choices(store)}
            except NoAnalysis:
                return {}

    def merge_theme(self, cluster_id: int, label: str) -> None:
        """Fold the theme into one the user picks (which keeps its id and name)."""
        if not self.can_curate():
            return

        def confirm(target: int) -> None:
            with Store(self.db_path) as store:
                found = {c.cluster_id: c for c in theme_choices(store)}
            into, size = found.get(target), found.get(cluster_id, None)
            if into is None or size is None:
                return
            size = size.size
            body = Text()
            body.append(f"“{label}”", style="bold")
            body.append(f" ({size} notes) joins ")
            body.append(f"“{into.label}”", style="bold")
            body.append(f" ({into.size} notes), which keeps its id and name.\n\n")
            body.append(
                "The change is recorded and kept through later analyses (w shows the edit log).",
                style="dim",
            )

            def go(yes: bool | None) -> None:
                if yes:
                    self.start_curation("merge", target=target, sources=[cluster_id])

            self.push_screen(ConfirmDialog("Merge themes", body, yes="Merge"), go)

        self.pick_theme(
            f"Merge “{label}” into…",
            confirm,
            exclude=[cluster_id],
            hint="The theme you pick keeps its id and name; this one's notes join it.",
            action="Merge into",
        )

    def split_theme(self, cluster_id: int, label: str) -> None:
        if not self.can_curate():
            return
        size = self.theme_sizes().get(cluster_id, 0)

        def go(parts: int | None) -> None:
            if parts is not None:
                self.start_curation("split", theme_id=cluster_id, parts=parts or None)

        self.push_screen(SplitDialog(label, size), go)

    def start_curation(self, action: str, **kwargs) -> None:
        if not self.can_curate():
            return
        self.curating = True
        bar = self.screen_main.query_one(AnalysisBar)
        bar.update_progress(
            {"merge": "merging themes…", "split": "splitting the theme…"}[action], 0, None
        )
        bar.set_hint("")
        bar.display = True
        self.curation_worker(action, kwargs)

    @work(
        thread=True, exclusive=True, group="curation", exit_on_error=False, description="curation"
    )
    def curation_worker(self, action: str, kwargs: dict) -> None:
        from analysis.curate import CurationError, merge_themes, split_theme

        change, parts, error = None, [], None
        try:
            with Store(self.db_path) as store:
                run = store.latest_run()
                embedder = self.embedder() if run else None
                if embedder is not None and embedder.name != run["model"]:
                    embedder = None  # the core loads the analysis's own model
                if action == "merge":
                    change = merge_themes(
                        store, kwargs["target"], kwargs["sources"], embedder=embedder
                    )
                else:
                    change = split_theme(
                        store, kwargs["theme_id"], kwargs["parts"], embedder=embedder
                    )
                    rows = {c.cluster_id: c for c in theme_choices(store, change.run_id)}
                    parts = [rows[t] for t in change.theme_ids if t in rows]
        except (CurationError, NoAnalysis) as exc:
            error = str(exc)
        except Exception as exc:  # shown in a dialog, never as a traceback
            error = f"{type(exc).__name__}: {exc}"
        self.call_from_thread(self._curated, action, change, parts, error)

    def _curated(self, action: str, change, parts, error: str | None) -> None:
        self.curating = False
        if not self.analysis_running:
            self.screen_main.query_one(AnalysisBar).display = False
        title = {"merge": "Merge", "split": "Split"}[action]
        if error:
            self.push_screen(MessageDialog(f"{title}: nothing changed", error, error=True))
            return
        self._vectors.clear()
        themes = self.screen_main.query_one(ThemesPane)
        themes.selected = change.theme_ids[0] if change.theme_ids else None
        self.post_message(WorkspaceChanged(action))
        if action == "merge":
            self.notify(change.summary[:1].upper() + change.summary[1:] + ".", title="Merged")
            return
        body = Text(change.summary[:1].upper() + change.summary[1:] + ".\n\n")
        for i, c in enumerate(parts):
            body.append(f"  [{c.cluster_id}] ", style="dim")
            body.append(c.label, style="bold")
            body.append(f"  {c.size} notes")
            body.append("  (keeps the id and name)\n" if i == 0 else "  (new)\n", style="dim")
        body.append(
            "\nThe parts are in the themes table now; r names them, M merges one back.",
            style="dim",
        )
        self.push_screen(MessageDialog(f"Split into {len(parts)} themes", body))

    def move_note(self, row: NoteRow) -> None:
        """Put a note in a theme the user picks."""
        if not self.can_curate():
            return
        if row.cluster_id is None:
            self.notify("This note is not in the current analysis yet: press a to analyse it.")
            return
        self.pick_theme(
            f"Move the note to… “{row.text[:60]}”",
            lambda theme_id: self.move_worker([row.note_id], theme_id),
            exclude=[] if row.cluster_id == UNCLUSTERED else [row.cluster_id],
            hint="It stays in that theme through later analyses.",
            action="Move",
        )

    def assign_to_closest(self, row: NoteRow) -> None:
        """Triage: put a note without a theme in the theme it is closest to."""
        if not self.can_curate():
            return
        if row.cluster_id is None:
            self.notify("This note is not in the current analysis yet: press a to analyse it.")
        elif row.cluster_id != UNCLUSTERED:
            self.notify(f"This note is in “{row.cluster_label}” already; t moves it elsewhere.")
        elif row.nearest_id is None:
            self.notify("No closest theme is known for this note; t picks one.")
        else:
            self.move_worker([row.note_id], row.nearest_id)

    @work(thread=True, group="move", exit_on_error=False)
    def move_worker(self, note_ids: list[str], theme_id: int) -> None:
        from analysis.curate import CurationError, move_notes

        try:
            with Store(self.db_path) as store:
                change, error = move_notes(store, note_ids, theme_id), None
        except (CurationError, NoAnalysis) as exc:
            change, error = None, str(exc)
        self.call_from_thread(self._moved, change, error)

    def _moved(self, change, error: str | None) -> None:
        if error:
            self.push_screen(MessageDialog("Not moved", error, error=True))
            return
        self.notify(change.summary[:1].upper() + change.summary[1:] + ".", title="Moved")
        self.screen_main.query_one(NotesPane).keep_cursor = True  # triage goes on to the next
        self.post_message(WorkspaceChanged("move"))

    # -- what changed -------------------------------------------------------------

    def action_show_changes(self) -> None:
        self.changes_worker()

    @work(thread=True, exclusive=True, group="changes", exit_on_error=False)
    def changes_worker(self) -> None:
        with Store(self.db_path) as store:
            report = changes_report(store)
        self.call_from_thread(self.push_screen, ChangesDialog(report))

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

                placed = None
                if request.role == "assets":
                    summaries = import_assets(store, list(request.paths), on_progress=progress)
                else:
                    summaries = import_notes(
                        store,
                        list(request.paths),
                        kind=request.kind,
                        on_progress=progress,
                        keep_pii=request.keep_pii,
                    )
                    if sum(s.added for s in summaries) and store.latest_run():
                        placed = self._place_imported(store)
        except IngestError as exc:
            self.call_from_thread(self._import_failed, str(exc))
            return
        except Exception as exc:  # shown in a dialog, never as a traceback
            self.call_from_thread(self._import_failed, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._imported, request, summaries, placed)

    def _place_imported(self, store: Store):
        """Place the imported notes in the current themes; the result, or why not (a str)."""
        from analysis.incremental import assign_new_notes

        embedder = self.embedder()
        model = store.latest_run()["model"]
        if embedder.name != model:
            return f"not placed in the themes: the last analysis used the model {model}"
        return assign_new_notes(
            store,
            embedder=embedder,
            on_progress=lambda d, t: self.post_message(ImportProgress("placing new notes", d, t)),
        )

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

    def _imported(self, request: ImportRequest, summaries, placed=None) -> None:
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
            body.append(f"{s.rejected} rejected", style="yellow" if s.rejected else "")
            if s.masked:
                body.append(f", {s.masked} with emails/phone numbers masked", style="dim")
            body.append("\n")
            for r in s.rejects[:5]:
                where = f"line {r.line}: " if r.line else ""
                body.append(f"    {where}{r.reason}\n", style="yellow")
            if len(s.rejects) > 5:
                body.append(
                    f"    … and {len(s.rejects) - 5} more under Rejected rows (4)\n", style="dim"
                )
        if not summaries:
            body.append("No files found there.")
        masked = sum(s.masked for s in summaries)
        if masked:
            notes = "1 note" if masked == 1 else f"{masked} notes"
            body.append("\n")
            body.append_text(masked_text(f"emails and phone numbers in {notes}", "the import's"))
        elif request.keep_pii and added:
            body.append("\nEmails and phone numbers were kept as written (not masked).")
        if isinstance(placed, str):
            body.append(f"\nThe new notes were {placed}: press a to analyse them.", style="bold")
        elif placed is not None and placed.placements:
            body.append(
                f"\nPlaced {len(placed.placements)} new notes: {placed.joined} joined a theme, "
                f"{placed.emerging} emerging ({placed.pool} waiting in the emerging pool).",
                style="bold",
            )
            if placed.due:
                body.append(f"\nA full analysis is due: {placed.due}. Press a.", style="yellow")
        elif added and request.role == "notes":
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
            TABS,
            ("Themes & gaps", "Notes", "Content", "Rejected rows", "Plan", "Trends"),
            strict=True,
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
            "Merge the selected theme into another",
            "Pick the theme it joins, which keeps its id and name (M)",
            lambda: (self.action_show_tab("themes"), themes.action_merge()),
        )
        yield SystemCommand(
            "Split the selected theme",
            "Group its notes again into 2 to 6 themes (P)",
            lambda: (self.action_show_tab("themes"), themes.action_split()),
        )
        yield SystemCommand(
            "What changed",
            "What the last analysis did to the themes, and every change people made (w)",
            self.action_show_changes,
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
        yield SystemCommand(
            "Move the selected note to a theme",
            "Pick the theme it belongs in; it stays there (t)",
            lambda: (self.action_show_tab("notes"), notes.action_move()),
        )
        yield SystemCommand(
            "Triage the unclustered notes",
            "Notes no theme took, each with its closest theme (c assigns it there)",
            lambda: self.post_message(ShowNotes(UNCLUSTERED, "(unclustered)")),
        )
        yield SystemCommand(
            "Assign the selected note to its closest theme",
            "For a note without a theme (c)",
            lambda: (self.action_show_tab("notes"), notes.action_assign_closest()),
        )
        content = screen.query_one(ContentPane)
        yield SystemCommand(
            "Toggle unused content",
            "Only assets that answer nothing anyone asks (u)",
            lambda: (self.action_show_tab("content"), content.action_toggle_unused()),
        )
        plan = screen.query_one(PlanPane)
        yield SystemCommand(
            "Edit the selected plan item",
            "Status, owner, target quarter, format, comment (e on the Plan tab)",
            lambda: (self.action_show_tab("plan"), plan.action_edit()),
        )
        yield SystemCommand(
            "Move the selected plan item to its next status",
            "backlog → planned → in progress → published (s on the Plan tab)",
            lambda: (self.action_show_tab("plan"), plan.action_next_status()),
        )
        yield SystemCommand(
            "Remove the selected plan item",
            "It leaves the plan with its history (delete on the Plan tab)",
            lambda: (self.action_show_tab("plan"), plan.action_remove()),
        )
        yield SystemCommand(
            "Review planned themes that now have content",
            "Mark them published by the content that answers them (y on the Plan tab)",
            lambda: (self.action_show_tab("plan"), plan.action_review_proposals()),
        )
        trends = screen.query_one(TrendsPane)
        yield SystemCommand(
            "Trends: the quarter before",
            "Which themes rose, fell or appeared a quarter earlier ([ on the Trends tab)",
            lambda: (self.action_show_tab("trends"), trends.action_step(-1)),
        )
        yield SystemCommand(
            "Trends: the quarter after",
            "The same a quarter later (] on the Trends tab)",
            lambda: (self.action_show_tab("trends"), trends.action_step(1)),
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
