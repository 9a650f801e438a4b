"""The command line: help, exit codes, and the pinned machine-readable contract."""

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner
from conftest import topic_texts

from analysis.pipeline import run_analysis
from gaplens.cli import cli
from gaplens.models import Asset, Note
from gaplens.store import Store


def invoke(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


@pytest.fixture
def analysed(tmp_path, fake_embedder):
    """Notes imported from a CSV, one asset, and an analysis by the fake embedder."""
    db = tmp_path / "w.db"
    rows = []
    for t in ("sso", "hipaa", "voice"):
        for i, text in enumerate(topic_texts(t, 25)):
            rows.append(
                {
                    "Note ID": f"{t}-{i}",
                    "Objection": text,
                    "Opportunity": f"D-{t}-{i % 4}",
                    "Amount": f"${1000 * (i % 4 + 1):,}",
                    "Date": f"2026-0{1 + i % 9}-10",
                }
            )
    path = tmp_path / "objections.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = invoke(db, "ingest", "notes", str(path), "--kind", "objection")
    assert result.exit_code == 0, result.output
    with Store(db) as s:
        s.upsert_asset(
            Asset("A1", "SSO guide", "saml sso okta login"),
            ["SSO guide: saml sso okta login single sign azure identity provider enforce"],
            None,
        )
        run_analysis(s, embedder=fake_embedder)
    return db


def _all_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, prefix + (name,))


def test_every_command_has_help_text():
    for path, cmd in _all_commands(cli):
        assert cmd.help and len(cmd.help.strip()) > 20, path
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_ingest_prints_what_it_did_and_is_idempotent(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("id,text\n1,needs SSO\n2,\n3,pricing too high\n", encoding="utf-8")
    first = invoke(tmp_path / "w.db", "ingest", "notes", str(path))
    assert first.exit_code == 0
    assert "2 added, 0 already present, 1 rejected" in first.output
    again = invoke(tmp_path / "w.db", "ingest", "notes", str(path))
    assert "0 added, 2 already present" in again.output
    rejects = invoke(tmp_path / "w.db", "rejects", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(rejects.output)))
    assert len(rows) == 1 and rows[0]["line"] == "3" and rows[0]["file"].endswith("n.csv")
    assert {"file", "line", "reason"} <= set(rows[0])


def test_unusable_input_exits_1_with_a_reason(tmp_path):
    path = tmp_path / "weird.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = invoke(tmp_path / "w.db", "ingest", "notes", str(path))
    assert result.exit_code == 1
    assert "foo" in result.output and "bar" in result.output
    assert "Traceback" not in result.output
    missing = invoke(tmp_path / "w.db", "ingest", "notes", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "nope.csv" in missing.output


def test_usage_errors_exit_2(tmp_path):
    assert invoke(tmp_path / "w.db", "gaps", "--format", "xml").exit_code == 2
    assert invoke(tmp_path / "w.db", "export", "everything").exit_code == 2
    assert invoke(tmp_path / "w.db", "ingest", "notes").exit_code == 2


def test_reading_before_analysis_explains(tmp_path):
    result = invoke(tmp_path / "w.db", "gaps")
    assert result.exit_code == 1 and "ingest notes" in result.output


def test_typed_note_is_stored(tmp_path):
    db = tmp_path / "w.db"
    result = invoke(
        db,
        "note",
        "They need a BAA before legal signs",
        "--kind",
        "objection",
        "--deal",
        "D-9",
        "--amount",
        "$12,500",
        "--rep",
        "Maya",
    )
    assert result.exit_code == 0, result.output
    from_stdin = invoke(db, "note", "-", "--kind", "question", input="Do you support SCIM?\n")
    assert from_stdin.exit_code == 0
    notes = list(csv.DictReader(io.StringIO(invoke(db, "export", "notes").output)))
    assert [(n["kind"], n["deal"], n["amount"]) for n in notes][0] == (
        "objection",
        "D-9",
        "12500.0",
    )
    assert notes[1]["text"].strip() == "Do you support SCIM?"
    empty = invoke(db, "note", "   ")
    assert empty.exit_code == 1 and "Traceback" not in empty.output


def test_export_assignments_contract(analysed):
    out = invoke(analysed, "export", "assignments", "--format", "csv").output
    lines = out.splitlines()
    assert lines[0] == "note_id,cluster_id,cluster_label,probability"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 75
    assert {r["note_id"] for r in rows} == {
        f"{t}-{i}" for t in ("sso", "hipaa", "voice") for i in range(25)
    }
    for r in rows:
        if r["cluster_id"] == "":
            assert r["cluster_label"] == ""
        else:
            int(r["cluster_id"])
            assert r["cluster_label"]
            assert 0.0 <= float(r["probability"]) <= 1.0


def test_gaps_json_contract(analysed, tmp_path):
    out_file = tmp_path / "gaps.json"
    result = invoke(analysed, "gaps", "--format", "json", "--out", str(out_file))
    assert result.exit_code == 0 and result.output == ""
    gaps = json.loads(out_file.read_text())
    required = {
        "cluster_id",
        "label",
        "size",
        "deals",
        "amount",
        "coverage",
        "is_gap",
        "best_asset_id",
        "best_asset_title",
        "score",
    }
    assert gaps and all(required <= set(g) for g in gaps)
    scores = [g["score"] for g in gaps]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= g["coverage"] <= 1.0 and isinstance(g["is_gap"], bool) for g in gaps)
    sso = [g for g in gaps if g["best_asset_id"] == "A1" and not g["is_gap"]]
    assert sso and sso[0]["best_asset_title"] == "SSO guide"
    assert sum(g["is_gap"] for g in gaps) == 2


def test_clusters_json_contract(analysed):
    clusters = json.loads(invoke(analysed, "clusters", "--format", "json").output)
    assert len(clusters) == 3
    for c in clusters:
        assert {"cluster_id", "label", "size", "keywords", "examples"} <= set(c)
        assert c["keywords"] and len(c["examples"]) == 5
        assert all(e["text"] for e in c["examples"])
        # the matched content, best first, the first one being the best asset
        assert c["assets"][0]["asset_id"] == c["best_asset_id"] == "A1"
        assert c["assets"][0]["coverage"] == c["coverage"]


def test_export_notes_and_gap_csv(analysed):
    notes = list(csv.DictReader(io.StringIO(invoke(analysed, "export", "notes").output)))
    assert len(notes) == 75 and {"note_id", "kind", "text"} <= set(notes[0])
    assert {n["kind"] for n in notes} == {"objection"}
    gaps = list(csv.DictReader(io.StringIO(invoke(analysed, "export", "gaps").output)))
    assert gaps[0]["rank"] == "1"


def test_tables_are_readable(analysed):
    out = invoke(analysed, "gaps").output
    assert "Content gaps" in out and "score" in out
    out = invoke(analysed, "clusters").output
    assert "keywords:" in out and "unclustered" in out
    status = invoke(analysed, "status", "--format", "json")
    assert json.loads(status.output)["notes"] == 75


def test_tui_needs_a_terminal(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "w.db"), "tui"])
    assert result.exit_code == 1
    assert "needs an interactive terminal" in result.output


def _theme_ids(db) -> dict[str, int]:
    """Seeded topic -> the theme holding its notes."""
    rows = csv.DictReader(io.StringIO(invoke(db, "export", "assignments").output))
    return {r["note_id"].split("-")[0]: int(r["cluster_id"]) for r in rows if r["cluster_id"]}


def test_themes_commands_change_the_themes_and_log_who_did_it(analysed, monkeypatch):
    monkeypatch.setenv("GAPLENS_USER", "maya")
    ids = _theme_ids(analysed)
    sso, hipaa, voice = ids["sso"], ids["hipaa"], ids["voice"]
    out = invoke(analysed, "themes", "rename", str(sso), "SSO", "/", "SAML", "support")
    assert out.exit_code == 0 and "to 'SSO / SAML support'" in out.output
    out = invoke(analysed, "themes", "move", "voice-1", "voice-2", "--to", str(hipaa))
    assert out.exit_code == 0 and "moved 2 notes to theme" in out.output
    out = invoke(analysed, "themes", "merge", str(hipaa), str(voice))
    assert out.exit_code == 0 and f"into theme {hipaa}" in out.output
    assert set(_theme_ids(analysed).values()) == {sso, hipaa}
    merged = json.loads(invoke(analysed, "clusters", "--format", "json").output)
    assert {c["cluster_id"]: c["size"] for c in merged}[hipaa] == 50
    out = invoke(analysed, "themes", "split", str(hipaa), "--parts", "2")
    assert out.exit_code == 0, out.output
    assert f"split theme {hipaa}" in out.output and out.output.count("\n  [") == 2
    log = json.loads(invoke(analysed, "themes", "log", "--format", "json").output)
    assert [e["action"] for e in log] == ["rename", "move", "merge", "split"]
    assert {e["who"] for e in log} == {"maya"} and all(e["at"] for e in log)
    bad = invoke(analysed, "themes", "merge", "999", str(sso))
    assert bad.exit_code == 1 and "no theme 999" in bad.output
    bad = invoke(analysed, "themes", "move", "nope", "--to", str(sso))
    assert bad.exit_code == 1 and "nope" in bad.output


def test_changes_and_unclustered_explain_themselves(analysed, fake_embedder):
    assert "nothing to compare" in invoke(analysed, "changes").output
    with Store(analysed) as s:
        s.insert_notes([Note("late-voice", "phone ivr telephony recording dial calls voice")], None)
        run_analysis(s, embedder=fake_embedder, refit=True)
    rows = json.loads(invoke(analysed, "changes", "--format", "json").output)
    assert {r["change"] for r in rows} <= {"same", "grown"} and len(rows) == 3
    assert sum(r["after"] for r in rows) >= 75
    table = invoke(analysed, "changes").output
    assert "stayed the same" in table or "grown" in table
    out = invoke(analysed, "themes", "unclustered", "--format", "json")
    assert out.exit_code == 0
    for r in json.loads(out.output):
        assert r["status"] in ("unclustered", "emerging") and r["nearest_id"] is not None


def test_imported_notes_stay_when_the_model_to_place_them_cannot_load(
    analysed, tmp_path, monkeypatch
):
    from analysis.embed import ModelError

    def broken(model):
        raise ModelError(f"could not load embedding model '{model}': not found")

    monkeypatch.setattr("analysis.pipeline._embedder_for", broken)
    path = tmp_path / "more.csv"
    path.write_text("id,text\nlate-1,okta saml sso login\n", encoding="utf-8")
    result = invoke(analysed, "ingest", "notes", str(path))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "could not be placed now" in result.output
    assert "next 'gaplens analyze'" in result.output
    with Store(analysed) as s:
        assert s.existing_notes(["late-1"]) and reanalysis_pending(s) == ["late-1"]


def reanalysis_pending(store) -> list[str]:
    from analysis.incremental import pending_notes

    return [n["note_id"] for n in pending_notes(store, store.latest_run()["id"])]
