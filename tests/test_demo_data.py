"""The bundled demo data keeps the promises data/README.md makes."""

import csv
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest import import_assets, import_notes

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from gaplens.store import Store

    s = Store(tmp_path_factory.mktemp("demo") / "demo.db")
    notes = import_notes(s, [DATA / "notes"])
    assets = import_assets(s, [DATA / "assets"])
    assert not any(x.error for x in notes + assets)
    yield s
    s.close()


def test_demo_imports_cleanly_with_every_source(demo_store):
    kinds = Counter(n["kind"] for n in demo_store.notes())
    assert sum(kinds.values()) >= 800
    assert kinds["call-note"] >= 300 and kinds["objection"] >= 300 and kinds["loss-reason"] >= 200
    assert demo_store.db["rejects"].count == 0
    assert demo_store.db["assets"].count >= 30


def test_demo_spans_four_quarters_with_deal_metadata(demo_store):
    notes = demo_store.notes()
    quarters = {f"{n['date'][:4]}Q{(int(n['date'][5:7]) - 1) // 3 + 1}" for n in notes if n["date"]}
    assert len(quarters) >= 4
    with_deal = [n for n in notes if n["deal"] and n["account"] and n["rep"]]
    assert len(with_deal) / len(notes) > 0.95
    from analysis.score import deal_values

    values = deal_values(notes)
    assert sum(1 for n in notes if n["amount"] or values.get(n["deal"])) / len(notes) > 0.9


def test_no_sentence_is_written_twice(demo_store):
    seen = Counter()
    for n in demo_store.notes():
        for sentence in re.split(r"[.!?\n]+", n["text"]):
            words = re.findall(r"[a-z0-9']+", sentence.lower())
            if len(words) >= 5:
                seen[" ".join(words)] += 1
    repeated = [s for s, c in seen.items() if c > 1]
    assert repeated == []


def test_themes_and_content_status_as_documented():
    themes = Counter()
    for name in ("call_notes", "objection_log", "crm_lost_deals", "rep_notes"):
        with open(DATA / "labels" / f"{name}.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                themes.update(t for t in row["themes"].split(";") if t != "none")
    recurring = [t for t, c in themes.items() if c >= 10]
    assert len(recurring) >= 25
    with open(DATA / "labels" / "assets.csv", encoding="utf-8") as fh:
        answered = {t for r in csv.DictReader(fh) for t in r["themes"].split(";") if t != "none"}
    assert len(set(themes) - answered) >= 6


def test_demo_deals_agree_with_the_notes(demo_store):
    """data/deals/opportunities.csv has a row for every deal the notes name, with the same
    account and amount, the lost deals of crm_lost_deals.csv as they are there, and dates
    that fit the notes (data/README.md, 'What the CRM says')."""
    from ingest.deals import import_deals

    [summary] = import_deals(demo_store, [DATA / "deals"])
    assert summary.error is None and summary.rejected == 0
    deals = {d["deal"]: d for d in demo_store.deals()}
    notes = defaultdict(list)
    for n in demo_store.db.query(
        "select deal, account, amount, stage, date from note_originals where deal is not null "
        "union all select deal, account, amount, stage, date from notes "
        "where deal is not null and parent_id is null order by date"
    ):
        notes[n["deal"]].append(n)
    assert set(deals) == set(notes)
    for deal, ns in notes.items():
        d = deals[deal]
        assert {n["account"] for n in ns} == {d["account"]}, deal
        assert {n["amount"] for n in ns if n["amount"] is not None} <= {d["amount"]}, deal
        assert d["amount"] and d["created"] <= ns[0]["date"], deal

    with open(DATA / "notes" / "crm_lost_deals.csv", encoding="utf-8-sig") as fh:
        lost = {r["Opportunity ID"]: r for r in csv.DictReader(fh, delimiter=";")}
    assert {d for d, x in deals.items() if x["outcome"] == "lost"} == set(lost)
    for deal, row in lost.items():
        assert deals[deal]["close_date"] == row["Close Date"]
        assert deals[deal]["loss_reason"] == row["Loss Reason"]

    end = "2026-11-20"
    won = [d for d in deals.values() if d["outcome"] == "won"]
    still = [d for d in deals.values() if d["outcome"] == "open"]
    for d in won:
        assert notes[d["deal"]][-1]["date"] < d["close_date"] <= end, d["deal"]
    stuck = 0
    for d in still:
        ns = notes[d["deal"]]
        assert d["close_date"] > end and d["stage"] == ns[-1]["stage"], d["deal"]
        # the deal entered its stage by the first note of the last run of notes at it
        # (a deal that went back to an earlier stage entered it again)
        at = len(ns) - 1
        while at and ns[at - 1]["stage"] == d["stage"]:
            at -= 1
        before = ns[at - 1]["date"] if at else d["created"]
        assert before <= d["stage_since"] <= ns[at]["date"], d["deal"]
        stuck += (date.fromisoformat(end) - date.fromisoformat(d["stage_since"])).days > 60
    assert 0.30 <= len(won) / (len(won) + len(lost)) <= 0.45
    assert 0.25 <= stuck / len(still) <= 0.34
