"""The planning commands: content link/unlink/outdated, plan, impact, brief, config."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gaplens.cli import cli
from gaplens.store import Store


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def _theme(db, word: str) -> int:
    """The theme whose label or keywords carry the word (the fake topics are clean)."""
    with Store(db) as s:
        for c in s.clusters(s.latest_run()["id"]):
            if word in (c["label"] + c["keywords"]).lower():
                return c["cluster_id"]
    raise AssertionError(f"no theme about {word}")


def _gap(db, theme_id: int) -> dict:
    rows = json.loads(invoke(db, "gaps", "--format", "json").output)
    return next(r for r in rows if r["cluster_id"] == theme_id)


def test_content_link_unlink_outdated_change_the_gap_status(analysed_db):
    db = analysed_db
    voice = _theme(db, "voice")
    assert _gap(db, voice)["status"] == "no content"
    out = invoke(db, "content", "link", str(voice), "A3")
    assert out.exit_code == 0 and "'Offsite recap' answers theme" in out.output
    assert "no content" in out.output and "-> covered (1.00)" in out.output
    assert _gap(db, voice)["status"] == "covered" and not _gap(db, voice)["is_gap"]

    sso = _theme(db, "saml")
    before = _gap(db, sso)
    assert before["best_asset_id"] == "A1"
    out = invoke(db, "content", "outdated", "A1", "--reason", "old screenshots")
    assert out.exit_code == 0 and "marked outdated" in out.output
    after = _gap(db, sso)
    assert after["status"] == "weak" and after["coverage"] < before["coverage"]

    listed = json.loads(invoke(db, "content", "links", "--format", "json").output)
    assert {(r["asset_id"], r["action"]) for r in listed} == {
        ("A3", "link"),
        ("A1", "outdated: old screenshots"),
    }
    assert invoke(db, "content", "reset", str(voice), "A3").exit_code == 0
    assert _gap(db, voice)["status"] == "no content"
    assert invoke(db, "content", "outdated", "A1", "--undo").exit_code == 0
    assert _gap(db, sso)["coverage"] == before["coverage"]


def test_content_commands_refuse_bad_ids(analysed_db):
    bad_theme = invoke(analysed_db, "content", "link", "999", "A1")
    assert bad_theme.exit_code == 1 and "no theme 999" in bad_theme.output
    bad_asset = invoke(analysed_db, "content", "unlink", "0", "NOPE")
    assert bad_asset.exit_code == 1 and "no asset 'NOPE'" in bad_asset.output
    assert invoke(analysed_db, "content", "outdated", "NOPE").exit_code == 1


def test_plan_commands(analysed_db):
    db = analysed_db
    voice = _theme(db, "voice")
    out = invoke(db, "plan", "add", str(voice), "--status", "planned", "--owner", "Maya",
                 "--quarter", "2026Q4", "--format", "faq entry")  # fmt: skip
    assert out.exit_code == 0 and "plan item 1:" in out.output and "(planned)" in out.output
    again = invoke(db, "plan", "add", str(voice))
    assert again.exit_code == 1 and "already on the plan as item 1" in again.output
    assert invoke(db, "plan", "add", "999").exit_code == 1
    bad = invoke(db, "plan", "set", "1", "--status", "maybe")
    assert bad.exit_code == 1 and "not a plan status" in bad.output
    assert invoke(db, "plan", "set", "1").exit_code == 2  # nothing to change
    assert invoke(db, "plan", "set", "7", "--owner", "x").exit_code == 1

    out = invoke(db, "plan", "set", "1", "--status", "in progress", "--comment", "draft out")
    assert out.exit_code == 0 and "(in progress, Maya, 2026Q4)" in out.output
    out = invoke(db, "plan", "publish", "1", "--asset", "A3", "--on", "2026-10-02")
    assert out.exit_code == 0 and "published 2026-10-02" in out.output
    [item] = json.loads(invoke(db, "plan", "list", "--format", "json").output)
    assert (item["status"], item["asset_id"], item["comment"], item["theme_id"]) == (
        "published", "A3", "draft out", voice,
    )  # fmt: skip
    assert json.loads(invoke(db, "plan", "list", "--open", "--format", "json").output) == []
    assert "no proposals" in invoke(db, "plan", "proposals").output
    assert invoke(db, "plan", "remove", "1").exit_code == 0
    assert invoke(db, "plan", "remove", "1").exit_code == 1


def test_impact_and_config(analysed_db):
    db = analysed_db
    rows = json.loads(invoke(db, "impact", "--format", "json").output)
    with Store(db) as s:
        themes = len(s.clusters(s.latest_run()["id"]))
        # seed_notes(varied=True): kinds cycle by i % 4 and deals by i % 7, so every deal has
        # a loss-reason note among its notes: every deal is lost, each at its largest amount
        lost_total = s.db.execute(
            "select sum(v) from (select max(amount) v from notes group by deal)"
        ).fetchone()[0]
        deals = s.db.execute("select count(distinct deal) from notes").fetchone()[0]
    assert len(rows) == themes
    assert {"open_pipeline", "lost_amount", "win_rate", "closed", "stuck"} <= set(rows[0])
    assert sum(r["open_pipeline"] for r in rows) == 0
    assert sum(r["lost_amount"] for r in rows) == lost_total  # each topic has its own deals
    assert sum(r["closed"] for r in rows) == deals and {r["win_rate"] for r in rows} == {0.0}
    table = invoke(db, "impact")
    assert table.exit_code == 0 and "Revenue impact by theme" in table.output
    one = invoke(db, "impact", str(_theme(db, "voice")))
    assert one.exit_code == 0 and "lost $28k in 7; won 0" in one.output
    assert "CRM loss reason vs what the notes say" in one.output
    assert invoke(db, "impact", "999").exit_code == 1
    assert invoke(db, "impact", "--as-of", "someday").exit_code == 2

    assert "stuck_days = 60" in invoke(db, "config").output
    assert "stuck_days = 45" in invoke(db, "config", "stuck_days", "45").output
    assert json.loads(invoke(db, "impact", "--format", "json").output) is not None
    with Store(db) as s:
        assert s.setting("stuck_days") == "45"
    assert invoke(db, "config", "stuck_days", "soon").exit_code == 2


def test_brief_json(analysed_db):
    out = invoke(analysed_db, "brief", str(_theme(analysed_db, "voice")), "--format", "json")
    assert out.exit_code == 0
    found = json.loads(out.output)
    assert found["question"] and len(found["quotes"]) == 5
    assert found["format"]["value"] in ("faq entry", "how-to", "battlecard", "comparison page",
                                        "case study")  # fmt: skip
    assert invoke(analysed_db, "brief", "999").exit_code == 1


def test_new_content_closes_a_gap_at_import_and_proposes_publishing(
    analysed_db, tmp_path, monkeypatch
):
    from conftest import FakeEmbedder

    monkeypatch.setattr("analysis.pipeline._embedder_for", lambda model: FakeEmbedder())
    db = analysed_db
    voice = _theme(db, "voice")
    assert invoke(db, "plan", "add", str(voice), "--status", "planned").exit_code == 0
    page = tmp_path / "voice-channel.md"
    page.write_text(
        "# Voice channel guide\n\nphone voice calls ivr call center recording telephony dial "
        "phone voice calls ivr call center recording telephony dial\n",
        encoding="utf-8",
    )
    out = invoke(db, "ingest", "assets", str(page))
    assert out.exit_code == 0, out.output
    with Store(db) as s:
        gaps = json.loads(invoke(db, "gaps", "--format", "json").output)
        row = next(r for r in gaps if r["cluster_id"] == voice)
        assert not row["is_gap"] and row["best_asset_title"] == "Voice channel guide"
        assert s.latest_run()["kind"] == "curation"  # themes kept, content matched again
    assert "gaps: 2 -> 1" in out.output
    assert ": no content -> covered" in out.output or ": no content -> weak" in out.output
    assert "plan item 1" in out.output and "looks published" in out.output
    assert "gaplens plan publish 1 --asset" in out.output
    # importing the same page again changes nothing and matches nothing again
    again = invoke(db, "ingest", "assets", str(page))
    assert "gaps:" not in again.output
