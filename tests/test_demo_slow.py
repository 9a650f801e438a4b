"""The real model end to end on the bundled demo data, through the CLI."""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaplens.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo workspace built once by `gaplens demo` with the real bundled model."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "demo", "--no-tui"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Top content gaps" in result.output
    return db


@pytest.mark.slow
def test_demo_builds_and_finds_the_known_gaps(demo_db):
    db = demo_db
    runner = CliRunner()

    gaps = json.loads(runner.invoke(cli, ["--db", str(db), "gaps", "--format", "json"]).output)
    assert len(gaps) >= 15

    # ground truth written with the demo data: which themes each note raises
    truth = {}
    for name in ("call_notes", "objection_log", "crm_lost_deals", "rep_notes"):
        with open(DATA / "labels" / f"{name}.csv", encoding="utf-8") as fh:
            truth.update({r["id"]: r["themes"].split(";") for r in csv.DictReader(fh)})
    out = runner.invoke(cli, ["--db", str(db), "export", "assignments"]).output
    members = {}
    for row in csv.DictReader(io.StringIO(out)):
        if row["cluster_id"]:  # a mention (CN-0042#2) raises one of its note's themes
            members.setdefault(int(row["cluster_id"]), []).append(row["note_id"].split("#")[0])

    def theme_of(cluster_id):
        counts = {}
        for note in members[cluster_id]:
            for t in truth.get(note, []):
                counts[t] = counts.get(t, 0) + 1
        top = max(counts, key=counts.get)
        return top, counts[top] / len(members[cluster_id])

    clean = []  # (theme, gap row) for clusters where one theme has at least 60% of the notes
    for g in gaps:
        theme, purity = theme_of(g["cluster_id"])
        if purity >= 0.6:
            clean.append((theme, g))
    themes_found = {t for t, _ in clean}
    # most themes come out as clean clusters: 27 of 29 measured with long notes split
    # into mentions (25 with them kept whole, bench/mentions.py)
    assert len(themes_found) >= 24

    no_content = {
        "hipaa",
        "voice-channel",
        "contract-terms",
        "permissions-rbac",
        "ai-data-usage",
        "seat-pricing",
        "champion-left",
        "scim-provisioning",
        "sandbox",
    }
    answered = {
        "eu-data-residency",
        "multilingual",
        "chat-widget-branding",
        "security-review",
        "api-limits",
        "deskwise-bundle",
        "shopify-integration",
        "uptime-sla",
        "zentrix-migration",
        "sso-saml",
        "roi-proof",
        "onboarding-training",
    }
    # themes with no content at all come out as gaps ...
    for theme in ("hipaa", "voice-channel", "contract-terms", "permissions-rbac", "ai-data-usage"):
        assert any(g["is_gap"] for t, g in clean if t == theme), theme
    flagged = [g["size"] * g["is_gap"] for t, g in clean if t in no_content]
    assert sum(flagged) / sum(g["size"] for t, g in clean if t in no_content) >= 0.8
    # ... and themes the library answers directly mostly do not
    for theme in ("eu-data-residency", "chat-widget-branding", "security-review", "api-limits"):
        assert all(not g["is_gap"] for t, g in clean if t == theme), theme
    passed = [g["size"] * (not g["is_gap"]) for t, g in clean if t in answered]
    assert sum(passed) / sum(g["size"] for t, g in clean if t in answered) >= 0.8
    eu = next(g for t, g in clean if t == "eu-data-residency")
    assert eu["best_asset_title"].startswith("EU data residency")


@pytest.mark.slow
async def test_the_tui_on_the_demo_with_the_real_model(demo_db):
    """A newcomer's first minute: the top gap, its quotes and closest content, then a note."""
    from textual.widgets import DataTable, Input, TextArea

    from analysis.results import gap_rows
    from gaplens.store import Store
    from tui.app import make_app
    from tui.dialogs.note import CLOSE_ENOUGH, SuggestionDialog

    with Store(demo_db) as store:
        top = gap_rows(store)[0]
    app = make_app(demo_db)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        themes = app.screen_main.query_one("#themes", DataTable)
        assert themes.coordinate_to_cell_key((0, 0)).row_key.value == str(top["cluster_id"])
        detail = app.screen_main.query_one("#theme-detail")
        for _ in range(100):  # the detail loads in its own worker once a row is highlighted
            body = detail.query_one("#detail-body").content
            if body is not None and "What prospects say" in _plain(body):
                break
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
        assert body is not None and "What prospects say" in _plain(body)
        assert (top["best_asset_title"] or "") in _plain(body)

        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#text", TextArea).text = (
            "Security asked whether we support SAML single sign-on through Okta and SCIM "
            "provisioning before they sign."
        )
        form.query_one("#deal", Input).value = "D-9001"
        await pilot.press("ctrl+s")
        for _ in range(200):  # the real model loads in a worker: give it time
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            if isinstance(app.screen, SuggestionDialog) and app.screen.best is not None:
                break
        assert isinstance(app.screen, SuggestionDialog)
        best = app.screen.best
        assert best is not None and best.similarity >= CLOSE_ENOUGH
        assert any(w in best.label.lower() for w in ("sso", "saml", "okta", "scim", "sign"))


def _members(store, run_id: int) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for note_id, cid in store.db.execute(
        "select note_id, cluster_id from assignments where run_id = ? and cluster_id is not null",
        [run_id],
    ).fetchall():
        out.setdefault(cid, set()).add(note_id)
    return out


def _plain(renderable) -> str:
    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


@pytest.mark.slow
def test_demo_themes_keep_their_ids_and_edits_through_a_refit(demo_db, tmp_path):
    """Real model: a fresh map keeps the themes' ids, and a person's merge holds."""
    import shutil

    from analysis.curate import merge_themes
    from analysis.incremental import assign_new_notes
    from analysis.pipeline import run_analysis
    from gaplens.models import Note
    from gaplens.store import Store

    db = tmp_path / "copy.db"
    with Store(demo_db) as src:  # a consistent copy of the shared workspace
        src.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(demo_db, db)
    with Store(db) as store:
        before = {c["cluster_id"]: c for c in store.clusters(store.latest_run()["id"])}
        big = sorted(before, key=lambda t: -before[t]["size"])
        target, source = big[0], big[1]
        merged = merge_themes(store, target, [source])
        members = _members(store, merged.run_id)
        result = run_analysis(store, refit=True, stop_words=["orbitly"])
        after = {c["cluster_id"]: c for c in store.clusters(result.run_id)}
        kept = [t for t in before if t in after and t != source]
        assert len(kept) >= 0.9 * (len(before) - 1), (len(kept), len(before))
        assert source not in after
        # a fresh map moves some notes between themes anyway (about 12% on clinc150); the
        # merged theme's notes stay together and in it, not regrouped under a new id
        now = _members(store, result.run_id)
        stayed = len(members[target] & now[target]) / len(members[target])
        assert stayed >= 0.85, stayed
        assert all(
            len(members[target] & notes) < 0.1 * len(members[target])
            for t, notes in now.items()
            if t != target
        )
        assert after[target]["label"] == before[target]["label"]

        store.insert_notes(
            [Note("typed-sso", "Can we enforce SAML single sign-on through Okta for all agents?")],
            None,
        )
        placed = assign_new_notes(store).placements[0]
        theme = after.get(placed.nearest_id)
        words = (theme["label"] + " " + theme["keywords"]).lower()
        assert any(w in words for w in ("sso", "saml", "okta", "sign")), words
        assert placed.similarity > 0.4


@pytest.mark.slow
def test_multi_topic_demo_notes_reach_several_themes(demo_db):
    """The demo's multi-topic call notes, split into mentions, land in more than one of
    the themes their hand labels give (74 of 147 measured; none can when kept whole)."""
    from gaplens.store import Store

    truth = {}
    with open(DATA / "labels" / "call_notes.csv", encoding="utf-8") as fh:
        truth = {r["id"]: set(r["themes"].split(";")) - {"none"} for r in csv.DictReader(fh)}
    with Store(demo_db) as store:
        run = store.latest_run()["id"]
        rows = store.db.execute(
            "select n.note_id, n.parent_id, a.cluster_id from assignments a "
            "join notes n on n.note_id = a.note_id where a.run_id = ? and a.cluster_id >= 0",
            [run],
        ).fetchall()
    members = {}
    for note_id, _, cid in rows:
        members.setdefault(cid, []).append(note_id.split("#")[0])
    theme = {}
    for cid, notes in members.items():
        counts = {}
        for n in notes:
            for t in truth.get(n, ()):
                counts[t] = counts.get(t, 0) + 1
        theme[cid] = max(counts, key=counts.get) if counts else None
    reached = {}
    for _, parent, cid in rows:
        if parent:
            reached.setdefault(parent, set()).add(theme[cid])
    multi = [k for k, v in truth.items() if len(v) >= 2]
    both = [k for k in multi if len(reached.get(k, set()) & truth[k]) >= 2]
    assert len(both) >= 0.4 * len(multi)


@pytest.mark.slow
def test_demo_planning_report_matches_the_crm_and_keeps_decisions(demo_db, tmp_path):
    """The planning report on the demo, checked against the CRM export read directly, and
    people's plan items and outdated marks kept through a re-analysis with the real model."""
    import sqlite3

    from gaplens.store import Store

    db = tmp_path / "copy.db"  # the module's workspace stays as the other tests expect it
    with sqlite3.connect(demo_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    # the CRM export itself, read without gaplens: each deal's outcome and amount
    with open(DATA / "deals" / "opportunities.csv", encoding="utf-8") as fh:
        crm = {r["Opportunity ID"]: r for r in csv.DictReader(fh)}
    gaps = json.loads(run("gaps", "--format", "json"))
    top = next(g for g in gaps if g["is_gap"])
    with Store(db) as store:
        deals = {
            r[0]
            for r in store.db.execute(
                "select distinct n.deal from assignments a join notes n on n.note_id = a.note_id"
                " where a.run_id = ? and a.cluster_id = ? and n.deal is not null",
                [store.latest_run()["id"], top["cluster_id"]],
            )
        }
    stage = {d: crm[d]["Stage"] for d in deals}
    won = sum(1 for s in stage.values() if s == "Closed Won")
    lost = sum(1 for s in stage.values() if s == "Closed Lost")
    open_amount = sum(
        float(crm[d]["Amount"]) for d, s in stage.items() if not s.startswith("Closed")
    )
    lost_amount = sum(float(crm[d]["Amount"]) for d, s in stage.items() if s == "Closed Lost")

    # the newest quarter: every CRM outcome was already known on its last note's day
    [impact] = json.loads(run("impact", str(top["cluster_id"]), "--format", "json"))
    assert (impact["won_deals"], impact["lost_deals"]) == (won, lost)
    assert impact["open_pipeline"] == pytest.approx(open_amount)
    assert impact["lost_amount"] == pytest.approx(lost_amount)
    assert impact["win_rate"] == pytest.approx(won / (won + lost))

    md = run("report", "--format", "md")
    for section in ("## Headline", "## Top gaps", "## Trends", "## Revenue impact",
                    "## Plan board", "## Content nobody's questions need"):  # fmt: skip
        assert section in md, section
    assert f"### 1. {top['label']}" in md
    html_path = tmp_path / "report.html"
    run("report", "--quarter", "2026Q3", "--format", "html", "--out", str(html_path))
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 10 and "<script" not in html.lower()

    # decisions people made survive a re-analysis with the real model
    run("plan", "add", str(top["cluster_id"]), "--status", "planned", "--owner", "Maya",
        "--quarter", "2026Q4")  # fmt: skip
    covered = next(g for g in gaps if g["status"] == "covered")
    stale = covered["best_asset_id"]
    run("content", "outdated", stale)

    def standing():
        row = {g["cluster_id"]: g for g in json.loads(run("gaps", "--format", "json"))}
        row = row[covered["cluster_id"]]
        return row["status"], row["best_asset_id"], row["coverage"]

    marked = standing()
    # the outdated asset counts at half: the theme turns weak, or another asset answers it
    assert marked[0] == "weak" or marked[1] != stale
    assert marked[2] < covered["coverage"] or marked[1] != stale
    run("analyze")
    [item] = json.loads(run("plan", "list", "--format", "json"))
    assert (item["theme_id"], item["owner"], item["status"]) == (
        top["cluster_id"],
        "Maya",
        "planned",
    )
    assert standing()[:2] == marked[:2]  # the mark holds through the re-analysis
