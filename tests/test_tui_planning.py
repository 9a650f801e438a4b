"""The plan and trends tabs, driven headlessly on an analysed workspace (fake embedder)."""

from __future__ import annotations

import pytest
from conftest import FakeEmbedder
from test_tui import SIZE, app_on, plain, settle, table, text_of
from textual.widgets import Input, Select

from analysis.pipeline import run_analysis
from analysis.plan import add_item, plan_item, plan_items, publish_effect, update_item
from gaplens.models import Asset
from gaplens.store import Store
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.plan_item import PlanItemDialog
from tui.format import shorten
from tui.widgets.trends import TrendsPane, quarter_chart

TOPIC_WORDS = {
    "sso": ("saml", "sso", "okta", "login", "sign", "azure", "identity", "provider", "enforce"),
    "hipaa": ("hipaa", "baa", "patient", "phi", "healthcare", "clinic", "compliance", "signed"),
    "voice": ("phone", "voice", "calls", "ivr", "call", "recording", "telephony", "dial"),
}


def theme_about(store: Store, topic: str) -> int:
    """The largest theme whose name has a word of ``topic``."""
    run = store.latest_run()
    found = [
        c
        for c in store.clusters(run["id"])
        if any(w in c["label"].lower().split() for w in TOPIC_WORDS[topic])
        or any(w in c["label"].lower() for w in TOPIC_WORDS[topic][:3])
    ]
    assert found, f"no theme about {topic}"
    return max(found, key=lambda c: c["size"])["cluster_id"]


@pytest.fixture
def planned_db(analysed_db):
    """Two plan items: HIPAA in progress (made first), voice in the backlog."""
    with Store(analysed_db) as s:
        hipaa = add_item(s, theme_about(s, "hipaa"), status="in progress", owner="Maya")
        voice = add_item(s, theme_about(s, "voice"), status="backlog", comment="after the launch")
        assert hipaa.theme_id != voice.theme_id
    return analysed_db


def board_rows(app) -> list[tuple[str, str]]:
    """(status, item id) of each row of the plan table, top to bottom."""
    t = table(app, "#plan")
    return [
        (str(t.get_row_at(i)[0]), t.coordinate_to_cell_key((i, 0)).row_key.value)
        for i in range(t.row_count)
    ]


def item_in(path, item_id: int):
    with Store(path) as s:
        return plan_item(s, item_id)


async def open_plan(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("5")
    await settle(app, pilot)


# -- the plan tab ---------------------------------------------------------------


async def test_plan_tab_lists_items_in_status_order(planned_db):
    with Store(planned_db) as s:
        items = {i.status: i for i in plan_items(s)}
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        assert app.screen_main.query_one("#tabs").active == "tab-plan"
        assert app.focused is table(app, "#plan")
        # backlog before in progress, though the in-progress item was made first
        assert board_rows(app) == [
            ("backlog", str(items["backlog"].id)),
            ("in progress", str(items["in progress"].id)),
        ]
        status = text_of(app, "#plan-status")
        assert "2 on the plan: 1 backlog · 0 planned · 1 in progress · 0 published" in status
        first = table(app, "#plan").get_row_at(0)
        assert str(first[1]) == shorten(items["backlog"].label, 28)
        assert str(first[5]).strip() == str(items["backlog"].notes)
        assert str(first[6]) == "no content"  # voice has no asset
        assert str(first[7]) == "after the launch"
        detail = text_of(app, "#plan-detail")
        assert items["backlog"].label in detail and f"{items['backlog'].notes} notes now" in detail
        assert not app.screen_main.query_one("#plan-banner").display
        titles = {c.title for c in app.get_system_commands(app.screen_main)}
        assert {
            "Show Plan",
            "Show Trends",
            "Edit the selected plan item",
            "Move the selected plan item to its next status",
            "Remove the selected plan item",
            "Review planned themes that now have content",
        } <= titles


async def test_edit_an_item_and_a_bad_quarter_keeps_the_dialog_open(planned_db):
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        item_id = int(board_rows(app)[0][1])
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PlanItemDialog)
        dialog.query_one("#owner", Input).value = "Sam"
        quarter = dialog.query_one("#quarter", Input)
        quarter.value = "next spring"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # not saved: the error shows in the dialog
        assert "'next spring' is not a quarter" in plain(dialog.query_one("#plan-error").content)
        assert quarter.has_class("-invalid") and app.focused is quarter
        assert item_in(planned_db, item_id).owner is None

        quarter.value = "q4 2026"
        await pilot.press("enter")  # in a box, enter saves too
        await settle(app, pilot)
        assert not isinstance(app.screen, PlanItemDialog)
        saved = item_in(planned_db, item_id)
        assert (saved.owner, saved.quarter, saved.comment) == ("Sam", "2026Q4", "after the launch")
        row = table(app, "#plan").get_row_at(table(app, "#plan").get_row_index(str(item_id)))
        assert (str(row[2]), str(row[3])) == ("Sam", "2026Q4")

        # enter on the table opens the dialog too; escape leaves the item as it was
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanItemDialog)
        app.screen.query_one("#owner", Input).value = "someone else"
        await pilot.press("escape")
        await settle(app, pilot)
        assert item_in(planned_db, item_id).owner == "Sam"


async def test_status_select_in_the_dialog(planned_db):
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        item_id = int(board_rows(app)[0][1])
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#status", Select).value = "won't do"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert item_in(planned_db, item_id).status == "won't do"
        assert board_rows(app)[-1] == ("won't do", str(item_id))  # last in status order


async def test_s_moves_an_item_to_its_next_status(planned_db):
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        item_id = int(board_rows(app)[0][1])  # the backlog item
        await pilot.press("s")
        await settle(app, pilot)
        assert item_in(planned_db, item_id).status == "planned"
        assert ("planned", str(item_id)) in board_rows(app)
        # the cursor stays on the item it moved
        t = table(app, "#plan")
        assert t.coordinate_to_cell_key((t.cursor_row, 0)).row_key.value == str(item_id)
        for _ in range(2):
            await pilot.press("s")
            await settle(app, pilot)
        published = item_in(planned_db, item_id)
        assert published.status == "published" and published.published_at
        await pilot.press("s")  # published is the end: nothing changes
        await settle(app, pilot)
        assert item_in(planned_db, item_id).status == "published"


async def test_delete_removes_an_item_after_confirming(planned_db):
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        item_id = int(board_rows(app)[0][1])
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # no: it stays
        await settle(app, pilot)
        assert len(board_rows(app)) == 2
        await pilot.press("backspace")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        with Store(planned_db) as s:
            assert item_id not in {i.id for i in plan_items(s)}
        assert len(board_rows(app)) == 1 and board_rows(app)[0][1] != str(item_id)


async def test_new_content_proposes_publishing_and_y_marks_it(analysed_db):
    with Store(analysed_db) as s:
        hipaa = theme_about(s, "hipaa")
        item = add_item(s, hipaa, status="planned", owner="Maya", quarter="2026Q4")
        # a HIPAA guide arrives after the item was planned, and the next analysis matches it
        s.upsert_asset(
            Asset("A9", "HIPAA guide", "hipaa baa patient phi healthcare clinic compliance"),
            ["HIPAA guide: hipaa baa patient phi healthcare clinic compliance signed"],
            None,
        )
        s.db.execute("update assets set created_at = '9999-01-01' where asset_id = 'A9'")
        run_analysis(s, embedder=FakeEmbedder(), refit=True)
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        banner = app.screen_main.query_one("#plan-banner")
        assert banner.display
        assert "1 planned theme now has content: y to review" in text_of(app, "#plan-banner")
        assert "new content answers it: “HIPAA guide”" in text_of(app, "#plan-detail")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        body = text_of(app, "#confirm-body")
        assert "HIPAA guide" in body and "after the item was planned" in body
        await pilot.press("enter")
        await settle(app, pilot)
        done = item_in(analysed_db, item.id)
        assert (done.status, done.asset_id) == ("published", "A9")
        assert not banner.display
        detail = text_of(app, "#plan-detail")
        assert f"published {done.published_at} as “HIPAA guide”" in detail


async def test_a_published_item_shows_what_publishing_did(planned_db):
    with Store(planned_db) as s:
        item = next(i for i in plan_items(s) if i.status == "in progress")
        item = update_item(s, item.id, status="published", published_on="2026-04-20")
        effect = publish_effect(s, item)
    assert effect.verdict != "too early"  # 2026Q3 is a full quarter after 2026Q2
    app = app_on(planned_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        t = table(app, "#plan")
        t.move_cursor(row=t.get_row_index(str(item.id)))
        await settle(app, pilot)
        detail = text_of(app, "#plan-detail")
        assert "published 2026-04-20" in detail
        assert f"notes {effect.verdict} {effect.before} → {effect.after:.1f}/quarter" in detail
        assert f"{effect.before} in 2026Q1" in detail  # the quarter before publishing


async def test_plan_changes_made_elsewhere_show_on_the_tab(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        assert "Nothing planned yet" in text_of(app, "#plan-empty")
        assert not table(app, "#plan").display
        with Store(analysed_db) as s:  # what p on the Themes tab does, then it says so
            add_item(s, theme_about(s, "sso"), status="planned")
        from tui.messages import WorkspaceChanged

        app.post_message(WorkspaceChanged("plan"))
        await settle(app, pilot)
        assert [r[0] for r in board_rows(app)] == ["planned"]
        assert table(app, "#plan").display


async def test_empty_workspace_plan_and_trends_say_what_to_do(tmp_path):
    app = app_on(tmp_path / "empty.db")
    async with app.run_test(size=SIZE) as pilot:
        await open_plan(app, pilot)
        assert "No notes yet" in text_of(app, "#plan-empty")
        await pilot.press("6")
        await settle(app, pilot)
        assert "No notes yet" in text_of(app, "#trends-empty")
        assert not table(app, "#trends").display
        assert not app.screen_main.query_one("#trends-summary").display


# -- the trends tab -------------------------------------------------------------


def quarter_counts(path, theme_id: int) -> dict[str, int]:
    """The theme's notes per quarter, counted from the notes' dates."""
    with Store(path) as s:
        run = s.latest_run()
        dates = [
            r[0]
            for r in s.db.execute(
                "select n.date from assignments a join notes n on n.note_id = a.note_id "
                "where a.run_id = ? and a.cluster_id = ?",
                [run["id"], theme_id],
            ).fetchall()
        ]
    out: dict[str, int] = {}
    for d in dates:
        q = f"{d[:4]}Q{(int(d[5:7]) + 2) // 3}"
        out[q] = out.get(q, 0) + 1
    return out


async def test_trends_tab_counts_a_theme_and_draws_its_chart(analysed_db):
    with Store(analysed_db) as s:
        sso = theme_about(s, "sso")
    counts = quarter_counts(analysed_db, sso)
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        # every topic's 30 notes: months 1-9, 12 in Q1, 9 in Q2 and Q3; the newest is 2026-09-15
        headline = text_of(app, "#trends-headline")
        assert "2026Q3 vs 2026Q2: 36 notes vs 36" in headline
        assert "partial quarter (notes through 2026-09-15)" in headline
        select = app.screen_main.query_one("#trends-quarter", Select)
        assert select.value == "2026Q3"
        t = table(app, "#trends")
        with Store(analysed_db) as s:
            assert t.row_count == len(s.clusters(s.latest_run()["id"]))
        row = t.get_row_at(t.get_row_index(str(sso)))
        assert str(t.columns["previous"].label) == "2026Q2"
        assert str(t.columns["this"].label) == "2026Q3"
        assert int(str(row[2])) == counts.get("2026Q2", 0)
        assert int(str(row[3])) == counts.get("2026Q3", 0)
        assert len(str(row[1])) == 3  # a block per quarter since the first note: Q1, Q2, Q3
        assert str(row[5]) in ("rising", "new", "falling", "steady", "quiet")

        t.move_cursor(row=t.get_row_index(str(sso)))
        await settle(app, pilot)
        chart = text_of(app, "#trend-chart")
        lines = chart.splitlines()
        assert "notes per quarter" in lines[0]
        label_line = next(line for line in lines if "2026Q1" in line)
        assert label_line.split() == ["2026Q1", "2026Q2", "2026Q3"]
        count_line = lines[lines.index(label_line) - 7]  # counts above six rows of bars
        assert count_line.split() == [str(counts.get(q, 0)) for q in ("2026Q1", "2026Q2", "2026Q3")]


async def test_trends_quarter_choice_and_a_quarter_without_notes(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        pane = app.screen_main.query_one(TrendsPane)
        assert pane.quarters == ["2026Q3", "2026Q2", "2026Q1"]
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        headline = text_of(app, "#trends-headline")
        assert "2026Q2 vs 2026Q1: 36 notes vs 48" in headline and "partial" not in headline
        assert app.screen_main.query_one("#trends-quarter", Select).value == "2026Q2"

        app.screen_main.query_one("#trends-quarter", Select).value = "2026Q1"
        await settle(app, pilot)
        assert "2026Q1 vs 2025Q4: 48 notes vs 0" in text_of(app, "#trends-headline")

        pane.show_quarter("2031Q1")
        await settle(app, pilot)
        message = text_of(app, "#trends-empty")
        assert "No notes are dated in 2031Q1" in message
        assert "2026Q1, 2026Q2, 2026Q3" in message
        assert not table(app, "#trends").display
        await pilot.press("6")  # the table is hidden, the quarter can still be chosen
        app.screen_main.query_one("#trends-quarter", Select).value = "2026Q3"
        await settle(app, pilot)
        assert table(app, "#trends").display and "2026Q3 vs 2026Q2" in text_of(
            app, "#trends-headline"
        )


def test_quarter_chart_scales_bars_and_marks_the_quarter():
    chart = quarter_chart([("2026Q1", 8), ("2026Q2", 0), ("2026Q3", 1)], "2026Q3", height=2)
    lines = chart.plain.splitlines()
    assert lines[0].split() == ["8", "0", "1"]
    assert lines[1].split() == ["█████"]  # the top row: only the full bar reaches it
    assert lines[2].split() == ["█████", "▂▂▂▂▂"]  # 1 of 8 is 2 of the 16 eighths of two rows
    assert lines[3].split() == ["2026Q1", "2026Q2", "2026Q3"]
    highlighted = {chart.plain[s.start : s.end] for s in chart.spans if "yellow" in str(s.style)}
    assert "2026Q3" in {h.strip() for h in highlighted}
    sliver = quarter_chart([("2026Q1", 100), ("2026Q2", 1)], None, height=2).plain.splitlines()
    assert sliver[2].split() == ["█████", "▁▁▁▁▁"]  # 1 of 100 rounds to nothing: still shown
    # too many quarters for the width: the newest that fit, ending with the chosen one
    many = [(f"20{20 + i // 4}Q{i % 4 + 1}", i) for i in range(20)]
    narrow = quarter_chart(many, "2022Q1", width=40).plain.splitlines()
    assert narrow[-1].split() == ["2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1"]
    newest = quarter_chart(many, "2024Q4", width=40).plain.splitlines()
    assert newest[-1].split() == ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]
