"""The terminal UI driven headlessly on real workspaces; a fake embedder stands in for the model."""

from __future__ import annotations

import io
import threading

import pytest
from conftest import FakeEmbedder, seed_notes
from rich.console import Console
from textual.widgets import DataTable, Input, Select, Static, TextArea

from analysis.browse import UNCLUSTERED, describe_change
from gaplens.models import Note
from gaplens.store import Store
from tui.app import make_app
from tui.dialogs.changes import ChangesDialog
from tui.dialogs.confirm import ConfirmDialog, SplitDialog
from tui.dialogs.help import HelpScreen
from tui.dialogs.message import MessageDialog
from tui.dialogs.note import NoteDialog, SuggestionDialog
from tui.dialogs.theme_picker import ThemePicker
from tui.messages import ShowNotes
from tui.widgets.notes import NotesPane
from tui.widgets.themes import ThemesPane

SIZE = (120, 36)


def app_on(path, embedder=None):
    embedder = embedder or FakeEmbedder()
    app = make_app(path, embedder_factory=lambda: embedder)
    app.animation_level = "none"  # the tab underline slides otherwise: screenshots would vary
    return app


async def settle(app, pilot) -> None:
    """Let typing pauses pass, every worker finish and the screen catch up with what they posted."""
    await pilot.pause(0.2)
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


def plain(renderable) -> str:
    """What a renderable reads as on a wide terminal, without styles."""
    if isinstance(renderable, str):
        return renderable
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def text_of(app, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static).content)


def table(app, selector: str = "#themes") -> DataTable:
    return app.screen_main.query_one(selector, DataTable)


def row_labels(app) -> list[str]:
    t = table(app)
    return [str(t.get_row_at(i)[0]).rstrip(" ✎") for i in range(t.row_count)]


async def test_home_lists_themes_with_the_unclustered_row_last(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        with Store(analysed_db) as s:
            run = s.latest_run()
            clusters = s.clusters(run["id"])
            unclustered = run["n_unclustered"]
        t = table(app)
        assert t.row_count == len(clusters) + (1 if unclustered else 0)
        keys = [t.coordinate_to_cell_key((i, 0)).row_key.value for i in range(t.row_count)]
        ranked = [str(c["cluster_id"]) for c in sorted(clusters, key=lambda c: -c["score"])]
        assert keys[: len(ranked)] == ranked  # by gap score, largest first
        if unclustered:
            assert keys[-1] == str(UNCLUSTERED)
        assert f"{len(clusters)} themes" in app.sub_title
        assert "120 notes" in app.sub_title and "3 assets" in app.sub_title


async def test_sort_and_filter(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        pane = app.screen_main.query_one(ThemesPane)
        everything = table(app).row_count
        await pilot.press("s")  # next column after score wraps to the label
        assert pane.sort_key == "label"
        themes = [r for r in row_labels(app) if not r.startswith("(")]
        assert themes == sorted(themes, key=str.lower)
        await pilot.press("S")
        themes = [r for r in row_labels(app) if not r.startswith("(")]
        assert themes == sorted(themes, key=str.lower, reverse=True)
        pane.sort_by("notes")
        await pilot.pause()
        counts = [int(str(table(app).get_row_at(i)[1])) for i in range(table(app).row_count - 1)]
        assert counts == sorted(counts, reverse=True)

        await pilot.press("slash")
        assert app.focused.id == "theme-search"
        await pilot.press(*"hipaa")
        await settle(app, pilot)
        labels = row_labels(app)
        assert 0 < len(labels) < everything
        assert any(
            w in labels[0] for w in ("hipaa", "baa", "phi", "patient", "clinic", "healthcare")
        )

        app.focused.value = ""
        await settle(app, pilot)
        assert table(app).row_count == everything
        app.screen_main.query_one("#theme-kind", Select).value = "question"
        await settle(app, pilot)
        total_questions = sum(
            int(str(table(app).get_row_at(i)[1])) for i in range(table(app).row_count)
        )
        assert total_questions == 32  # i % 4 == 1 of i in 0..29: 8 of each topic's 30 notes

        period = app.screen_main.query_one("#theme-period", Input)
        period.value = "2026Q5"
        await settle(app, pilot)
        assert "neither a quarter" in text_of(app, "#themes-status")
        assert period.has_class("-invalid")
        period.value = "2026Q1"
        await settle(app, pilot)
        q1 = sum(int(str(table(app).get_row_at(i)[1])) for i in range(table(app).row_count))
        with Store(analysed_db) as s:
            expected = s.db.execute(
                "select count(*) from notes where kind = 'question' and date <= '2026-03-31'"
            ).fetchone()[0]
        assert q1 == expected and not period.has_class("-invalid")


async def test_open_a_theme_and_every_note_of_it(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        cluster_id = int(t.coordinate_to_cell_key((0, 0)).row_key.value)
        detail = text_of(app, "#detail-body")
        assert "What prospects say" in detail and "Content that comes closest" in detail
        assert detail.count("“") >= 5  # at least five quotes
        assert "Notes per quarter" in detail
        await pilot.press("down")
        await settle(app, pilot)
        second = int(t.coordinate_to_cell_key((1, 0)).row_key.value)
        with Store(analysed_db) as s:
            label = next(
                c["label"] for c in s.clusters(s.latest_run()["id"]) if c["cluster_id"] == second
            )
            size = next(
                c["size"] for c in s.clusters(s.latest_run()["id"]) if c["cluster_id"] == second
            )
        assert text_of(app, "#detail-body").startswith(label)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen_main.query_one("#tabs").active == "tab-notes"
        assert table(app, "#notes").row_count == size != 0
        assert f"{size} of 120 notes" in text_of(app, "#notes-status")
        assert app.screen_main.query_one("#note-theme", Select).value == second
        await pilot.press("escape")  # back to every theme
        await settle(app, pilot)
        assert table(app, "#notes").row_count == 120
        assert cluster_id != second


async def test_rename_a_theme_persists(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        cluster_id = int(table(app).coordinate_to_cell_key((0, 0)).row_key.value)
        await pilot.press("r")
        await pilot.pause()
        box = app.screen.query_one("#name", Input)
        box.value = ""
        await pilot.press(*"Patient data / HIPAA BAA", "enter")
        await settle(app, pilot)
        assert row_labels(app)[0] == "Patient data / HIPAA BAA"
    with Store(analysed_db) as s:
        row = next(c for c in s.clusters(s.latest_run()["id"]) if c["cluster_id"] == cluster_id)
        assert row["label"] == "Patient data / HIPAA BAA" and row["auto_label"]
        edit = s.edits()[-1]  # recorded: who, when, what
        assert edit["action"] == "rename" and edit["theme_ids"] == [cluster_id]
        assert edit["detail"]["name"] == "Patient data / HIPAA BAA" and edit["who"]
    app = app_on(analysed_db)  # a new session reads the name back
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "Patient data / HIPAA BAA" in row_labels(app)


async def test_submit_a_note_and_get_the_closest_theme(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        form = app.screen
        form.query_one(
            "#text", TextArea
        ).text = "saml sso okta login: single sign on with azure identity provider"
        form.query_one("#amount", Input).value = "48 grand"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)  # a bad amount keeps the form open
        assert "not an amount" in plain(form.query_one("#form-error").content)
        form.query_one("#amount", Input).value = "48k"
        form.query_one("#deal", Input).value = "D-900"
        form.query_one("#rep", Input).value = "Ana Diaz"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SuggestionDialog)
        shown = text_of(app, "#suggest-body")
        assert "Placed in theme:" in shown and "confidence" in shown
        assert "Send the prospect: SSO guide" in shown
        assert "new since the last analysis" not in app.sub_title  # placed, not waiting
        await pilot.press("o")  # open the theme it belongs to
        await settle(app, pilot)
        assert app.screen_main.query_one("#tabs").active == "tab-themes"
        label = row_labels(app)[table(app).cursor_row].lower()
        assert "saml" in label or "sso" in label
        theme_id = int(table(app).coordinate_to_cell_key((table(app).cursor_row, 0)).row_key.value)
    with Store(analysed_db) as s:
        note = s.notes("deal = ?", ["D-900"])[0]
        assert note["amount"] == 48000 and note["kind"] == "objection" and note["rep"] == "Ana Diaz"
        placed = s.db.execute(
            "select cluster_id, method from assignments where run_id = ? and note_id = ?",
            [s.latest_run()["id"], note["note_id"]],
        ).fetchone()
        assert placed == (theme_id, "incremental")


async def test_empty_note_is_not_saved(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("n", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NoteDialog)
        assert "Write what the prospect said" in plain(app.screen.query_one("#text-error").content)
        await pilot.press("escape")
        assert not isinstance(app.screen, NoteDialog)
    with Store(analysed_db) as s:
        assert s.count_notes() == 120


async def test_import_a_file_with_a_bad_row(analysed_db, tmp_path):
    export = tmp_path / "lost.csv"
    export.write_text(
        "Deal,Amount,Close Date,Loss Reason\n"
        "D-1,5000,2026-03-02,they wanted a phone channel with ivr\n"
        "D-2,lots,2026-03-03,voice calls recording missing\n"
        "D-3,7000,2026-03-04,\n",
        encoding="utf-8",
    )
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#paths", Input).value = str(tmp_path / "nope.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "Not found" in plain(app.screen.query_one("#paths-error").content)
        app.screen.query_one("#paths", Input).value = str(export)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageDialog)
        body = text_of(app, "#message-body")
        assert "lost.csv" in body and "1 added" in body and "2 rejected" in body
        assert "line 3" in body and "line 4" in body
        await pilot.press("enter")
        assert "Placed 1 new notes: " in body  # in a theme, or emerging
        await pilot.press("4")
        await settle(app, pilot)
        assert table(app, "#rejects").row_count == 2
        assert "new since the last analysis" not in app.sub_title  # placed at once
        assert "121 notes" in app.sub_title
        assert "2 rejected rows" in app.sub_title
    with Store(analysed_db) as s:
        method = s.db.execute(
            "select a.method from assignments a join notes n on n.note_id = a.note_id "
            "where a.run_id = ? and n.deal = 'D-1'",
            [s.latest_run()["id"]],
        ).fetchone()
        assert method[0] in ("incremental", "emerging")


async def test_run_an_analysis_to_the_end(analysed_db):
    with Store(analysed_db) as s:
        seed_notes(s, per_topic=4, seed=7)
        before = s.latest_run()["id"]
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "16 new since the last analysis" in app.sub_title
        await pilot.press("a")
        await settle(app, pilot)
        assert not app.analysis_running
        assert not app.screen_main.query_one("#analysis-bar").display
        assert "new since" not in app.sub_title and "136 notes" in app.sub_title
        total = sum(int(str(table(app).get_row_at(i)[1])) for i in range(table(app).row_count))
        assert total == 136
    with Store(analysed_db) as s:
        assert s.latest_run()["id"] > before


class BlockingEmbedder(FakeEmbedder):
    """Waits on an event inside encode, so a test can cancel mid-analysis."""

    def __init__(self):
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def encode(self, texts):
        self.started.set()
        self.release.wait(10)
        return super().encode(texts)


async def test_cancel_an_analysis(analysed_db):
    with Store(analysed_db) as s:
        seed_notes(s, per_topic=4, seed=8)
        before = s.latest_run()["id"]
    embedder = BlockingEmbedder()
    app = app_on(analysed_db, embedder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        for _ in range(100):
            if embedder.started.is_set():
                break
            await pilot.pause(0.05)
        assert embedder.started.is_set()
        bar = app.screen_main.query_one("#analysis-bar")
        assert bar.display and "embedding notes" in plain(
            app.screen_main.query_one("#analysis-stage").content
        )
        await pilot.press("x")
        embedder.release.set()
        await settle(app, pilot)
        for _ in range(100):
            if not app.analysis_running:
                break
            await pilot.pause(0.05)
        assert not app.analysis_running and not bar.display
        assert "16 new since the last analysis" in app.sub_title
    with Store(analysed_db) as s:
        assert s.latest_run()["id"] == before
        assert s.runs()[-1]["status"] == "cancelled"


async def test_similar_notes(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert app.focused.id == "notes"
        await pilot.press("m")
        await settle(app, pilot)
        body = text_of(app, "#note-body")
        assert "Similar notes" in body
        assert body.count("\n0.") + body.count("\n1.") >= 5


async def test_empty_workspace_says_what_to_do(tmp_path):
    app = app_on(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "No notes yet" in text_of(app, "#themes-empty")
        await pilot.press("a")
        await settle(app, pilot)
        for _ in range(50):
            if isinstance(app.screen, MessageDialog):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, MessageDialog)
        assert "no notes in the workspace" in text_of(app, "#message-body")
        await pilot.press("enter", "2")
        await settle(app, pilot)
        assert "No notes yet" in text_of(app, "#notes-empty")
        await pilot.press("3")
        await settle(app, pilot)
        assert "No content yet" in text_of(app, "#content-empty")


async def test_content_tab_shows_unused_assets(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert table(app, "#assets").row_count == 3
        await pilot.press("u")
        await pilot.pause()
        unused = table(app, "#assets")
        titles = [str(unused.get_row_at(i)[0]) for i in range(unused.row_count)]
        assert "Offsite recap" in titles and "SSO guide" not in titles


async def test_help_and_command_palette(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen_main)}
        for wanted in (
            "Run the analysis",
            "Add a note",
            "Import files",
            "Show Notes",
            "Sort themes by score",
            "Rename the selected theme",
            "Merge the selected theme into another",
            "Split the selected theme",
            "What changed",
            "Move the selected note to a theme",
            "Triage the unclustered notes",
            "Assign the selected note to its closest theme",
            "Similar notes",
            "Show only objections",
            "Filter or search",
            "Help",
        ):
            assert wanted in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"sort themes by notes")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen_main.query_one(ThemesPane).sort_key == "notes"


def test_readme_key_map_matches_the_help_screen():
    from pathlib import Path

    from tui.dialogs.help import KEYMAP

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for _, keys, what in KEYMAP:
        assert f"| {keys} | {what} |" in readme.replace("`", ""), f"README lacks the key {keys}"


@pytest.mark.parametrize("tab", ["1", "2", "3", "4"])
def test_snapshots(analysed_db, snap_compare, tab):
    async def go(pilot):
        await settle(pilot.app, pilot)
        await pilot.press(tab)
        await settle(pilot.app, pilot)

    assert snap_compare(app_on(analysed_db), terminal_size=SIZE, run_before=go)


def test_snapshot_note_form(analysed_db, snap_compare):
    async def go(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("n")
        pilot.app.screen.query_one(TextArea).cursor_blink = False
        await settle(pilot.app, pilot)

    assert snap_compare(app_on(analysed_db), terminal_size=SIZE, run_before=go)


async def test_main_keys_are_off_while_a_dialog_is_open(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("tab", "tab")  # away from the path box, onto the dialog's controls
        await pilot.press("q", "n", "a", "2")
        await settle(app, pilot)
        assert app.is_running and not app.analysis_running
        assert type(app.screen).__name__ == "ImportDialog"
        assert app.screen_main.query_one("#tabs").active == "tab-themes"


async def test_k_cycles_the_kind_filter(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        kind = app.screen_main.query_one("#theme-kind", Select)
        everything = table(app).row_count
        seen = []
        for _ in range(5):
            await pilot.press("k")
            await settle(app, pilot)
            seen.append(kind.value if isinstance(kind.value, str) else None)
        assert seen == ["question", "objection", "loss-reason", "call-note", None]
        assert table(app).row_count == everything  # back to all kinds


# -- changing the themes by hand -------------------------------------------------


def themes_of(path) -> dict[int, dict]:
    with Store(path) as s:
        return {c["cluster_id"]: c for c in s.clusters(s.latest_run()["id"])}


def theme_row_of(app, cluster_id: int) -> int:
    return table(app).get_row_index(str(cluster_id))


async def test_merge_a_theme_into_one_picked_from_the_list(analysed_db):
    before = themes_of(analysed_db)
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        source = int(t.coordinate_to_cell_key((0, 0)).row_key.value)
        target = int(t.coordinate_to_cell_key((1, 0)).row_key.value)
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, ThemePicker)
        listed = app.screen.query_one("#pick-list")
        assert listed.option_count == len(before) - 1  # every other theme, with its size
        await pilot.press(*str(target))  # narrow the list by id
        await pilot.pause()
        assert listed.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert f"({before[target]['size']} notes)" in text_of(app, "#confirm-body")
        await pilot.press("enter")
        await settle(app, pilot)
        assert not app.curating and not isinstance(app.screen, ConfirmDialog)
        keys = [t.coordinate_to_cell_key((i, 0)).row_key.value for i in range(t.row_count)]
        assert str(source) not in keys and str(target) in keys
        assert t.cursor_row == theme_row_of(app, target)  # the merged theme is selected
        merged = int(str(t.get_row_at(theme_row_of(app, target))[1]))
        assert merged == before[target]["size"] + before[source]["size"]
    after = themes_of(analysed_db)
    assert source not in after and after[target]["size"] == merged
    with Store(analysed_db) as s:
        assert s.latest_run()["kind"] == "curation"
        edit = s.edits()[-1]
        assert edit["action"] == "merge" and edit["theme_ids"] == [target, source]


async def test_split_a_theme(analysed_db):
    before = themes_of(analysed_db)
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        theme = int(t.coordinate_to_cell_key((0, 0)).row_key.value)
        rows = t.row_count
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, SplitDialog)
        await pilot.press("9", "enter")  # out of range: says so, stays open
        await pilot.pause()
        assert "2 to 6 parts" in plain(app.screen.query_one("#parts-error").content)
        app.screen.query_one("#parts", Input).value = ""
        await pilot.press("2", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageDialog)
        body = text_of(app, "#message-body")
        assert f"Split theme {theme}" in body and "(keeps the id and name)" in body
        assert "(new)" in body
        await pilot.press("enter")
        assert t.row_count == rows + 1
        assert t.cursor_row == theme_row_of(app, theme)
    after = themes_of(analysed_db)
    new = set(after) - set(before)
    assert len(new) == 1 and theme in after
    (part,) = new
    assert after[theme]["size"] + after[part]["size"] == before[theme]["size"]
    with Store(analysed_db) as s:
        assert s.edits()[-1]["action"] == "split"


async def test_move_a_note_from_the_notes_tab(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        notes = app.screen_main.query_one(NotesPane)
        row = notes.selected_note()
        before = themes_of(analysed_db)
        target = next(c for c in before if c != row.cluster_id)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ThemePicker)
        app.screen.query_one("#pick-search", Input).value = str(target)
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert notes.selected_note().cluster_id == target
        assert before[target]["label"][:10] in str(table(app, "#notes").get_row_at(0)[2])
        await pilot.press("1")
        await settle(app, pilot)
        counts = {
            int(table(app).coordinate_to_cell_key((i, 0)).row_key.value): int(
                str(table(app).get_row_at(i)[1])
            )
            for i in range(table(app).row_count)
        }
        assert counts[target] == before[target]["size"] + 1  # the themes tab counts it
        assert counts.get(row.cluster_id, 0) == before[row.cluster_id]["size"] - 1
    with Store(analysed_db) as s:
        moved = s.db.execute(
            "select cluster_id, method from assignments where run_id = ? and note_id = ?",
            [s.latest_run()["id"], row.note_id],
        ).fetchone()
        assert moved == (target, "pinned")
        assert s.edits()[-1]["action"] == "move"


def add_emerging_note(path) -> str:
    """A note placed between analyses that fits no theme (it shares no topic's words)."""
    from analysis.incremental import assign_new_notes

    with Store(path) as s:
        text = "lisbon offsite dinner photos team"
        s.insert_notes([Note("odd-1", text, kind="question", date="2026-09-01")], None)
        result = assign_new_notes(s, embedder=FakeEmbedder(), note_ids=["odd-1"])
    (placement,) = result.placements
    assert placement.theme_id is None and placement.nearest_id is not None
    return placement.nearest_id


async def test_triage_assigns_an_emerging_note_to_its_closest_theme(analysed_db):
    nearest = add_emerging_note(analysed_db)
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "1 emerging" in app.sub_title
        app.post_message(ShowNotes(UNCLUSTERED, "(unclustered)"))
        await settle(app, pilot)
        notes = app.screen_main.query_one(NotesPane)
        assert notes.triage
        t = table(app, "#notes")
        assert [str(c.label) for c in t.columns.values()][2:5] == ["Status", "Closest theme", "Sim"]
        index = t.get_row_index("odd-1")
        status, closest, sim = (str(v) for v in t.get_row_at(index)[2:5])
        assert status == "emerging" and float(sim) > 0
        assert themes_of(analysed_db)[nearest]["label"][:10] in closest
        t.move_cursor(row=index)
        await pilot.pause()
        assert "Closest theme:" in text_of(app, "#note-body")
        await pilot.press("c")  # one key: into its closest theme
        await settle(app, pilot)
        assert "odd-1" not in t.rows
        assert "emerging" not in app.sub_title
    with Store(analysed_db) as s:
        placed = s.db.execute(
            "select cluster_id, method from assignments where run_id = ? and note_id = 'odd-1'",
            [s.latest_run()["id"]],
        ).fetchone()
        assert placed == (nearest, "pinned")


async def test_what_changed_after_a_reanalysis(analysed_db):
    with Store(analysed_db) as s:
        seed_notes(s, per_topic=12, seed=9)
    app = app_on(analysed_db)
    said = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        notify = app.notify
        app.notify = lambda message, **kw: (said.append(str(message)), notify(message, **kw))
        await pilot.press("a")
        await settle(app, pilot)
        finished = next(m for m in said if "themes," in m)
        assert "Themes: " in finished and "kept their id" in finished
        await pilot.press("w")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangesDialog)
        body = text_of(app, "#changes-body")
        with Store(analysed_db) as s:
            run = s.latest_run("analysis")
            changes = s.changes(run["id"])
        assert f"What analysis run {run['id']}" in body and "kept their id" in body
        for c in changes:
            if c["change"] != "same":
                assert describe_change(c) in body
        assert any(c["change"] != "same" for c in changes)
        assert "Changes people made" in body and "None yet" in body
        await pilot.press("escape")
        assert not isinstance(app.screen, ChangesDialog)


async def test_the_edit_log_lists_changes_newest_first(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "First name"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "Second name"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        body = text_of(app, "#changes-body")
        assert body.index("to 'Second name'") < body.index("to 'First name'")


def test_snapshot_triage(analysed_db, snap_compare):
    add_emerging_note(analysed_db)

    async def go(pilot):
        await settle(pilot.app, pilot)
        pilot.app.post_message(ShowNotes(UNCLUSTERED, "(unclustered)"))
        await settle(pilot.app, pilot)

    assert snap_compare(app_on(analysed_db), terminal_size=SIZE, run_before=go)


# -- keeping emails and phone numbers (masked by default) --------------------------------


def stored_texts(path) -> list[str]:
    """Every note text in the workspace, whole notes and those stored as their mentions."""
    with Store(path) as s:
        return [n["text"] for n in s.notes()] + [r["text"] for r in s.db["note_originals"].rows]


async def test_note_form_masks_emails_and_phones_unless_kept(analysed_db):
    from textual.widgets import Checkbox

    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#keep-pii", Checkbox).value is False  # off by default
        assert "Keep emails and phone numbers" in str(form.query_one("#keep-pii").label)
        form.query_one("#text", TextArea).text = (
            "hipaa baa for patient chat, send the template to renee.park@deltaclinics.example "
            "or call 415-555-0142"
        )
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SuggestionDialog)
        assert app.screen.note.masked == 2
        said = text_of(app, "#masked")
        assert "Masked 2 emails or phone numbers as [email] / [phone]" in said
        assert "Keep emails and phone numbers" in said
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(
            "#text", TextArea
        ).text = "saml sso through okta, their admin is keiko.ito@acmemotors.example"
        await pilot.click("#keep-pii")
        assert app.screen.query_one("#keep-pii", Checkbox).value is True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SuggestionDialog)
        assert app.screen.note.masked == 0
        assert not app.screen.query("#masked")  # nothing masked, nothing said
    texts = stored_texts(analysed_db)
    assert any("send the template to [email] or call [phone]" in t for t in texts)
    assert not any("renee.park@" in t for t in texts)
    assert any("keiko.ito@acmemotors.example" in t for t in texts)


async def test_import_masks_emails_and_phones_unless_kept(analysed_db, tmp_path):
    masked = tmp_path / "calls-2026.txt"
    masked.write_text(
        "3/14/26 - Acme Motors: wants the SOC 2 report, send to victor.hahn@acme.example\n"
        "3/16/26 - Birch Bank: too pricey vs CaseBloom, call Greg back on (312) 555-0187\n"
        "3/18/26 - Delta Clinics: will we sign a BAA for chat transcripts?\n",
        encoding="utf-8",
    )
    kept = tmp_path / "kept-2026.txt"
    kept.write_text(
        "3/20/26 - Lumen Bank: scim provisioning through okta, contact dosei@lumen.example\n",
        encoding="utf-8",
    )
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#paths", Input).value = str(masked)
        await pilot.click("#import")
        await settle(app, pilot)
        assert isinstance(app.screen, MessageDialog)
        body = text_of(app, "#message-body")
        assert "3 added, 0 already there, 0 rejected, 2 with emails/phone numbers masked" in body
        assert "Masked emails and phone numbers in 2 notes as [email] / [phone]" in body
        await pilot.press("enter")
        await pilot.pause()

        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#paths", Input).value = str(kept)
        await pilot.click("#keep-pii")
        await pilot.click("#import")
        await settle(app, pilot)
        body = text_of(app, "#message-body")
        assert "1 added, 0 already there, 0 rejected\n" in body
        assert "masked" not in body.replace("(not masked)", "")
        assert "Emails and phone numbers were kept as written" in body
    texts = stored_texts(analysed_db)
    assert any("send to [email]" in t for t in texts)
    assert any("call Greg back on [phone]" in t for t in texts)
    assert not any("victor.hahn@" in t or "555-0187" in t for t in texts)
    assert any("contact dosei@lumen.example" in t for t in texts)
