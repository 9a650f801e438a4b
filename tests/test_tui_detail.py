"""The theme detail's revenue, content and plan lines, the gap brief, planning, linking and
unlinking content from the themes tab, and outdated marks from the content tab: the real
app driven headlessly on an analysed workspace with CRM deals, the fake embedder as model."""

from __future__ import annotations

import io

import pytest
from conftest import FakeEmbedder
from rich.console import Console
from textual.widgets import DataTable, Static

from analysis.brief import gap_brief
from analysis.impact import theme_impact, theme_impacts
from analysis.overrides import set_link
from analysis.plan import item_for_theme, update_item
from analysis.trends import theme_series
from gaplens.output import money
from gaplens.store import Store
from tui.app import make_app
from tui.dialogs.asset_picker import AssetPicker
from tui.dialogs.brief import BriefDialog
from tui.format import percent
from tui.widgets.theme_detail import column_chart

SIZE = (120, 36)
TOPICS = ("sso", "price", "hipaa", "voice")


def crm_deals() -> list[dict]:
    """Per topic: two won deals, two lost in named stages, one open deal stuck for months
    and one open that moved recently (the notes are dated 2026-01 to 2026-09)."""
    rows = []
    for t in TOPICS:
        rows += [
            {"deal": f"D-{t}-0", "outcome": "won", "stage": "Closed Won", "amount": 50000.0},
            {"deal": f"D-{t}-1", "outcome": "won", "stage": "Closed Won", "amount": 20000.0},
            {
                "deal": f"D-{t}-2",
                "outcome": "lost",
                "stage": "Security Review",
                "amount": 80000.0,
                "competitor": "Zentrix",
            },
            {"deal": f"D-{t}-3", "outcome": "lost", "stage": "Proposal", "amount": 30000.0},
            {
                "deal": f"D-{t}-4",
                "outcome": "open",
                "stage": "Security Review",
                "stage_since": "2026-02-01",
                "amount": 48000.0,
                "account": "Birch Telecom",
            },
            {
                "deal": f"D-{t}-5",
                "outcome": "open",
                "stage": "Demo",
                "stage_since": "2026-09-01",
                "amount": 12000.0,
            },
        ]
    return rows


@pytest.fixture
def deals_db(analysed_db):
    with Store(analysed_db) as s:
        s.upsert_deals(crm_deals(), None)
    return analysed_db


def app_on(path):
    embedder = FakeEmbedder()
    app = make_app(path, embedder_factory=lambda: embedder)
    app.animation_level = "none"
    return app


async def settle(app, pilot) -> None:
    """Let typing pauses pass, every worker finish and the screen catch up."""
    await pilot.pause(0.2)
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause(0.1)


def plain(renderable) -> str:
    if isinstance(renderable, str):
        return renderable
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def text_of(app, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static).content)


def themes_table(app) -> DataTable:
    return app.screen_main.query_one("#themes", DataTable)


def status_of(app, theme_id: int) -> str:
    return str(themes_table(app).get_row(str(theme_id))[6])


def theme_named(path, word: str) -> int:
    """The id of the theme whose name has ``word`` (the topics' names come from their words)."""
    with Store(path) as s:
        run = s.latest_run()
        found = [c["cluster_id"] for c in s.clusters(run["id"]) if word in c["label"].lower()]
    assert len(found) == 1, found
    return found[0]


async def select(app, pilot, theme_id: int) -> None:
    t = themes_table(app)
    t.focus()
    t.move_cursor(row=t.get_row_index(str(theme_id)))
    await settle(app, pilot)


def recorder(app) -> list[str]:
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(str(message)), notify(message, **kw))
    return said


async def test_detail_shows_the_revenue_of_the_selected_theme(deals_db):
    theme = theme_named(deals_db, "expensive")  # the pricing topic: its notes name Zentrix
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, theme)
        detail = text_of(app, "#detail-body")
    with Store(deals_db) as s:
        impact = theme_impact(s, theme)
        baseline = theme_impacts(s).win_rate
        series = theme_series(s, theme)
    # the fixture gives the theme won, lost, open and stuck deals: every line has numbers
    assert impact.closed and impact.lost_deals and impact.open_deals and impact.stuck
    assert (
        f"{money(impact.open_pipeline)} open pipeline in {impact.open_deals} deals · "
        f"{money(impact.lost_amount)} lost in {impact.lost_deals} deals · "
        f"{money(impact.won_amount)} won in {impact.won_deals} deals"
    ) in detail
    assert (
        f"win rate {percent(impact.win_rate)} (n={impact.closed}) vs {percent(baseline)} overall"
        in detail
    )
    first, second = impact.lost_stages[:2]
    assert f"lost deals died in {first[0]} {first[1]}, {second[0]} {second[1]}" in detail
    assert f"Zentrix {dict(impact.competitors)['Zentrix']}" in detail
    longest = impact.stuck[0]
    assert longest.deal.endswith("-4") and longest.stage == "Security Review"
    assert (
        f"{len(impact.stuck)} stuck > 60 days, longest {longest.deal} Birch Telecom "
        f"$48k in Security Review {longest.days} days"
    ) in detail
    # the chart: a column per quarter of the workspace, each labelled, with its count
    assert [q for q, _ in series] == ["2026Q1", "2026Q2", "2026Q3"]
    chart = plain(column_chart(series))
    assert chart in detail
    labels = chart.splitlines()[-1].split()
    assert labels == ["2026Q1", "2026Q2", "2026Q3"]
    assert [int(n) for n in chart.splitlines()[0].split()] == [n for _, n in series]
    # 68% is at or above COVERED_AT (0.6): covered
    assert "content: covered · closest Pricing 68%" in detail and "Not on the plan" in detail


def test_column_chart_scales_each_quarter_to_the_tallest():
    chart = plain(column_chart([("2026Q1", 8), ("2026Q2", 0), ("2026Q3", 2)], height=2))
    lines = chart.splitlines()
    assert lines[0].split() == ["8", "0", "2"]
    # 2 of 8 over two rows of eighths: half the bottom row; 0 notes: nothing
    assert lines[1][1:5] == "████" and lines[1][8:12].strip() == "" and not lines[1][15:19].strip()
    assert lines[2][1:5] == "████" and lines[2][8:12].strip() == "" and lines[2][15:19] == "▄▄▄▄"
    assert lines[3].split() == ["2026Q1", "2026Q2", "2026Q3"]


async def test_b_opens_the_gap_brief(deals_db):
    theme = theme_named(deals_db, "expensive")
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, theme)
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, BriefDialog)
        with Store(deals_db) as s:
            brief = gap_brief(s, theme)
        assert brief.question in text_of(app, "#brief-question")
        body = text_of(app, "#brief-body")
        assert brief.format.value in body and brief.stage.reason in body
        assert all(q.text[:40] in body for q in brief.quotes)
        assert "Zentrix" in body  # the competitor its notes name
        assert "Not on the plan yet" in text_of(app, "#brief-plan-line")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BriefDialog)


async def test_p_plans_the_theme_once(deals_db):
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        said = recorder(app)
        await settle(app, pilot)
        theme = app.screen_main.query_one("#themes-pane").selected
        await pilot.press("p")
        await settle(app, pilot)
        with Store(deals_db) as s:
            item = item_for_theme(s, theme)
        assert item is not None and item.status == "backlog"
        assert f"item {item.id}" in said[-1]
        assert f"On the plan: backlog  (item {item.id})" in text_of(app, "#detail-body")

        await pilot.press("p")
        await settle(app, pilot)
        assert "already on the plan" in said[-1] and f"item {item.id}" in said[-1]
        with Store(deals_db) as s:
            assert s.db["plan_items"].count == 1
            update_item(s, item.id, owner="Maya", quarter="2026Q4", status="planned")
        # the brief says so too, and p in it plans nothing new
        await pilot.press("b")
        await settle(app, pilot)
        assert "On the plan: planned · Maya · 2026Q4" in text_of(app, "#brief-plan-line")
        await pilot.press("p")
        await settle(app, pilot)
        assert not isinstance(app.screen, BriefDialog)
        assert "already on the plan" in said[-1]
        with Store(deals_db) as s:
            assert s.db["plan_items"].count == 1


async def test_p_in_the_brief_plans_the_theme(deals_db):
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        theme = app.screen_main.query_one("#themes-pane").selected
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        with Store(deals_db) as s:
            assert item_for_theme(s, theme).status == "backlog"


async def test_link_then_unlink_an_asset(deals_db):
    theme = theme_named(deals_db, "clinic")  # the healthcare topic: no asset answers it
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        said = recorder(app)
        await settle(app, pilot)
        await select(app, pilot, theme)
        assert status_of(app, theme) == "no content"

        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, AssetPicker)
        listed = app.screen.query_one("#asset-list")
        assert listed.option_count == 3  # every asset, none linked yet
        await pilot.press(*"offsite")
        await pilot.pause()
        assert listed.option_count == 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert status_of(app, theme) == "covered"
        assert "answers theme" in said[-1] and "covered" in said[-1]
        detail = text_of(app, "#detail-body")
        assert "content: covered · closest Offsite recap 100% (linked by you)" in detail
        with Store(deals_db) as s:
            links = list(s.db["asset_links"].rows)
        assert [(r["theme_id"], r["asset_id"], r["action"]) for r in links] == [
            (theme, "A3", "link")
        ]

        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, AssetPicker)
        first = app.screen.query_one("#asset-list").get_option_at_index(0)
        assert first.id == "A3" and "linked by you" in plain(first.prompt)
        await pilot.press("enter")
        await settle(app, pilot)
        assert status_of(app, theme) == "no content"
        assert "does not answer" in said[-1]
        assert "unlinked by you: Offsite recap" in text_of(app, "#detail-body")
        with Store(deals_db) as s:
            assert s.db["asset_links"].get((theme, "A3"))["action"] == "unlink"


async def test_o_marks_an_asset_outdated_and_its_theme_weak(deals_db):
    theme = theme_named(deals_db, "saml")
    with Store(deals_db) as s:
        set_link(s, theme, "A1", "link")  # the SSO guide answers the SSO theme in full
    app = app_on(deals_db)
    async with app.run_test(size=SIZE) as pilot:
        said = recorder(app)
        await settle(app, pilot)
        assert status_of(app, theme) == "covered"
        await pilot.press("3")
        await settle(app, pilot)
        assets = app.screen_main.query_one("#assets", DataTable)
        assets.move_cursor(row=assets.get_row_index("A1"))
        await pilot.pause()
        assert str(assets.get_row("A1")[4]) == ""
        assert "Linked by hand to" in text_of(app, "#asset-body")

        await pilot.press("o")
        await settle(app, pilot)
        with Store(deals_db) as s:
            assert s.db["asset_marks"].get("A1")["outdated"] == 1
        assert "marked outdated" in said[-1] and "covered -> weak" in said[-1]
        assert str(assets.get_row("A1")[4]) == "outdated"
        assert assets.cursor_row == assets.get_row_index("A1")  # the cursor stays on it
        assert "Marked outdated" in text_of(app, "#asset-body")
        assert status_of(app, theme) == "weak"

        await pilot.press("o")  # up to date again
        await settle(app, pilot)
        with Store(deals_db) as s:
            assert s.db["asset_marks"].get("A1")["outdated"] == 0
        assert str(assets.get_row("A1")[4]) == ""
        assert status_of(app, theme) == "covered"


async def test_the_keys_show_in_the_footer_and_the_help(analysed_db):
    app = app_on(analysed_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        active = app.screen.active_bindings  # the themes table has the focus
        for key, action in (("b", "brief"), ("p", "plan"), ("l", "link"), ("u", "unlink")):
            assert active[key].binding.action == action and active[key].binding.show
        await pilot.press("3")
        await settle(app, pilot)
        assert app.screen.active_bindings["o"].binding.action == "toggle_outdated"
        await pilot.press("question_mark")
        await pilot.pause()
        shown = "\n".join(plain(w.content) for w in app.screen.query(Static))
        for wanted in (
            "The gap brief",
            "Put the theme on the content plan",
            "Link an asset",
            "Unlink an asset",
            "Mark the asset outdated",
            "Edit the plan item",
            "Review publish proposals",
            "Plan, Trends",
        ):
            assert wanted in shown
