"""The real model end to end on the bundled demo data, through the CLI."""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gaplens.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.slow
def test_demo_builds_and_finds_the_known_gaps(tmp_path):
    db = tmp_path / "demo.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "demo", "--no-tui"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Top content gaps" in result.output

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
        if row["cluster_id"]:
            members.setdefault(int(row["cluster_id"]), []).append(row["note_id"])

    def theme_of(cluster_id):
        counts = {}
        for note in members[cluster_id]:
            for t in truth.get(note, []):
                counts[t] = counts.get(t, 0) + 1
        top = max(counts, key=counts.get)
        return top, counts[top] / len(members[cluster_id])

    found = {}
    for g in gaps:
        theme, purity = theme_of(g["cluster_id"])
        if purity >= 0.6:
            found[theme] = g
    # themes with no content at all must come out as gaps ...
    for theme in ("hipaa", "voice-channel", "contract-terms", "permissions-rbac", "ai-data-usage"):
        assert theme in found and found[theme]["is_gap"], theme
    # ... and themes the library answers directly must not
    for theme in ("eu-data-residency", "multilingual", "chat-widget-branding", "security-review"):
        assert theme in found and not found[theme]["is_gap"], theme
    assert found["eu-data-residency"]["best_asset_title"].startswith("EU data residency")
    # most themes come out as clean clusters (16 of 29 measured; multi-topic call
    # notes blur the rest until notes are split into mentions)
    assert len(found) >= 15
