"""The bundled demo data imports cleanly with default settings; ingest stays UI-free."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from ingest import import_assets, import_notes

DATA = Path(__file__).resolve().parent.parent / "data"
NOTES = DATA / "notes"
ASSETS = DATA / "assets"


def test_demo_notes_import_with_defaults(store):
    summaries = import_notes(store, [NOTES])
    problems = [(s.file, s.error, s.rejects[:3]) for s in summaries if s.error or s.rejected]
    assert problems == []
    added = sum(s.added for s in summaries)
    assert added == store.count_imported() > 0
    notes = store.notes()
    # multi-topic call notes are stored as their mentions, each pointing at its note
    split = sum(s.split for s in summaries)
    mentions = [n for n in notes if n["parent_id"]]
    assert split > 0 and len(mentions) == sum(s.mentions for s in summaries) >= split
    assert store.count_notes() == added - split + len(mentions)
    for m in mentions:
        original = store.original(m["note_id"])
        assert original is not None and original["note_id"] == m["parent_id"]
        assert original["text"][m["span_start"] : m["span_end"]] == m["text"]
    assert all(n["text"].strip() for n in notes)
    kinds = Counter(n["kind"] for n in notes)
    by_file = {Path(s.file).name: s for s in summaries}
    assert kinds["objection"] >= by_file["objection_log.csv"].added > 0
    lost = [n for n in notes if n["kind"] == "loss-reason"]
    assert len(lost) == by_file["crm_lost_deals.csv"].added > 0
    assert {n["outcome"] for n in lost} == {"lost"}
    assert all(n["deal"] and n["amount"] is not None for n in lost)
    dated = [n for n in notes if n["date"]]
    assert len(dated) == len(notes)
    assert all(len(n["date"]) == 10 and n["date"][4] == "-" for n in dated)

    again = import_notes(store, [NOTES])
    assert sum(s.added for s in again) == 0
    assert sum(s.present for s in again) == added


def test_demo_assets_import(store):
    summaries = import_assets(store, [ASSETS])
    assert [(s.file, s.error) for s in summaries if s.error] == []
    assets = store.assets()
    assert len(assets) == sum(s.added for s in summaries) > 0
    passages = store.passages()
    assert {p["asset_id"] for p in passages} == {a["asset_id"] for a in assets}
    paths = [a["path"] for a in assets if a["path"]]
    assert len(paths) == len(set(paths))  # no file imported twice
    for p in passages:
        body = p["text"].partition("\n\n")[2]
        assert len(body.split()) <= 200


def test_ingest_does_not_import_textual():
    code = "import sys, ingest; assert 'textual' not in sys.modules, 'ingest imported textual'"
    subprocess.run([sys.executable, "-c", code], check=True)
