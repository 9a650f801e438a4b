"""Long notes become mentions: what is cut, what is kept, and how it links back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import seed_notes

from analysis.browse import search_notes
from analysis.results import workspace_summary
from gaplens.models import Note
from ingest import IngestError, add_typed_note, import_notes
from ingest.mentions import mention_notes, split_mentions, units

REPO = Path(__file__).resolve().parent.parent

CALL = (
    "disco w/ Foxglove Health. on Zentrix 6 yrs, ~400k tickets + 300 macros, worried abt "
    "losing history in the move. IT (Rick) said non-negotiable that login goes thru Azure AD. "
    "Also their CFO asked whether we can do annual billing w/o a 3-yr minimum? "
    "sent migration one-pager, next call Tue."
)


def texts(text: str) -> list[str]:
    return [m.text for m in split_mentions(text).mentions]


def test_units_respect_abbreviations_bullets_and_labels():
    cut = [u.text for u in units("They want e.g. SSO vs. SCIM. f/u. next wk.")]
    assert cut == ["They want e.g. SSO vs. SCIM.", "f/u.", "next wk."]
    cut = units("Pain: agents copy order numbers by hand\n- asked about SSO\n- sent deck")
    assert [u.text for u in cut] == [
        "agents copy order numbers by hand",  # the label is not part of the quote
        "asked about SSO",
        "sent deck",
    ]
    assert [u.bullet for u in cut] == [False, True, True]
    # one sentence, two people asking: two units
    two = "They want an Android app, and they asked whether we run live training."
    assert [u.text for u in units(two)] == [
        "They want an Android app,",
        "and they asked whether we run live training.",
    ]


def test_a_multi_topic_call_note_splits_into_its_topics():
    assert texts(CALL) == [
        "on Zentrix 6 yrs, ~400k tickets + 300 macros, worried abt losing history in the move.",
        "IT (Rick) said non-negotiable that login goes thru Azure AD.",
        "Also their CFO asked whether we can do annual billing w/o a 3-yr minimum?",
    ]
    split = split_mentions(CALL)
    assert split.dropped == 2  # the heading and the logistics line
    assert [m.carries for m in split.mentions] == ["concern", "objection", "question"]
    for m in split.mentions:
        assert CALL[m.start : m.end] == m.text


def test_sentences_on_one_topic_stay_together():
    note = (
        "Ember Credit Union demo. Their admin asked for a sandbox to test workflows before "
        "production. It has to mirror their live routing rules. Sent recording after."
    )
    assert texts(note) == [
        "Their admin asked for a sandbox to test workflows before production. "
        "It has to mirror their live routing rules."
    ]


def test_short_items_stay_whole_and_logistics_only_notes_are_not_analysed():
    loss = Note("L-1", "Lost to CaseBloom on price; they were 40% cheaper.", kind="loss-reason")
    assert mention_notes(loss) is None
    objection = Note("O-1", "Too expensive vs Zentrix once Orbit Assist is added.", "objection")
    assert mention_notes(objection) is None
    logistics = Note(
        "CN-9",
        "Rescheduled disco to thu 2pm, their cx lead out sick. sent new invite + agenda, "
        "cc'd her deputy. no real convo yet.",
    )
    assert mention_notes(logistics) == ([], 3)
    one = Note("CN-8", "Quick one: their IT lead asked whether we support SCIM with Okta today.")
    assert mention_notes(one) is None  # one unit that carries its topic: nothing to cut


def test_import_stores_mentions_that_point_back(store, tmp_path):
    rows = [
        {"id": "CN-1", "body": CALL, "deal_id": "D-1", "account": "Foxglove", "amount": 9000},
        {"id": "CN-2", "body": "Budget frozen until Q3.", "deal_id": "D-2"},
        {
            "id": "CN-3",
            "body": "Intro call moved to next Weds, she was double-booked. sent calendar hold.",
        },
    ]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (s,) = import_notes(store, [path])
    assert (s.added, s.rejected, s.split, s.mentions) == (3, 0, 2, 3)
    notes = {n["note_id"]: n for n in store.notes()}
    assert sorted(notes) == ["CN-1#1", "CN-1#2", "CN-1#3", "CN-2"]
    first = notes["CN-1#1"]
    assert (first["parent_id"], first["part"], first["parts"]) == ("CN-1", 1, 3)
    assert (first["deal"], first["account"], first["amount"]) == ("D-1", "Foxglove", 9000.0)
    original = store.original("CN-1#2")
    assert original["text"] == CALL and original["parts"] == 3
    assert (
        CALL[notes["CN-1#2"]["span_start"] : notes["CN-1#2"]["span_end"]] == notes["CN-1#2"]["text"]
    )
    assert store.original("CN-3")["parts"] == 0  # kept, not analysed
    summary = workspace_summary(store)
    assert (summary["notes"], summary["analysed_items"]) == (3, 4)
    assert (summary["split_notes"], summary["mentions"], summary["logistics_only"]) == (2, 3, 1)

    again = import_notes(store, [path])[0]
    assert (again.added, again.present, again.rejected) == (0, 3, 0)
    rows[0]["body"] = CALL.replace("Azure AD", "Okta")
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    changed = import_notes(store, [path])[0]
    assert changed.rejected == 1 and "'CN-1' is already in" in changed.rejects[0].reason


def test_a_typed_note_is_split_too(store):
    note = add_typed_note(store, CALL, deal="D-7")
    ids = [n["note_id"] for n in store.notes()]
    assert ids == [f"{note.note_id}#{k}" for k in (1, 2, 3)]
    with pytest.raises(IngestError, match="already in the workspace"):
        add_typed_note(store, CALL, deal="D-7", date=note.date)


def test_notes_pane_rows_carry_the_whole_note(store):
    add_typed_note(store, CALL, deal="D-7")
    rows = {r.note_id: r for r in search_notes(store).rows}
    row = next(r for r in rows.values() if r.part == 2)
    assert row.original == CALL and row.source == f"mention 2 of 3 of {row.parent_id}"
    assert row.text in row.original


def test_each_mention_finds_its_own_theme(store, fake_embedder):
    """A note that raises two topics ends up in both themes, one mention in each."""
    from analysis.pipeline import run_analysis

    seed_notes(store, topics=("sso", "price", "hipaa"))
    note = add_typed_note(
        store,
        "Renewal call. The CISO asked whether saml sso through okta login is enforced for "
        "every agent. Also the CFO said the price is too expensive vs zentrix, wants a "
        "discount on the quote. sent deck.",
    )
    run_analysis(store, embedder=fake_embedder)
    themes = dict(
        store.db.execute(
            "select note_id, cluster_id from assignments where note_id like ?",
            [note.note_id + "#%"],
        ).fetchall()
    )
    assert len(themes) == 2 and len(set(themes.values())) == 2
    sso = store.db.execute(
        "select cluster_id from assignments where note_id = 'sso-0-0'"
    ).fetchone()[0]
    assert themes[note.note_id + "#1"] == sso


def _bench():
    spec = importlib.util.spec_from_file_location("bench_mentions", REPO / "bench/mentions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, floor", [("dev", 0.78), ("test", 0.72)])
def test_split_quality_on_the_labelled_notes(name, floor):
    """The figure the README reports (bench/mentions.py), held a little below what was
    measured (dev 0.81, test 0.75) so a change that makes splitting worse fails here."""
    bench = _bench()
    notes = bench.load(name)
    ours = bench.score(notes, bench.ours)
    whole = bench.score(notes, bench.whole)
    assert ours["f1"] >= floor
    assert ours["f1"] > 3 * whole["f1"]


def test_placing_a_split_note_places_each_mention(store, fake_embedder):
    from analysis.incremental import assign_new_notes
    from analysis.pipeline import run_analysis

    seed_notes(store, topics=("sso", "price", "hipaa"))
    run_analysis(store, embedder=fake_embedder)
    note = add_typed_note(
        store,
        "Renewal call. The CISO asked whether saml sso through okta login is enforced for "
        "every agent. Also the CFO said the price is too expensive vs zentrix, wants a "
        "discount on the quote. sent deck.",
    )
    result = assign_new_notes(store, embedder=fake_embedder, note_ids=[note.note_id])
    nearest = {p.note_id: p.nearest_id for p in result.placements}
    assert sorted(nearest) == [f"{note.note_id}#1", f"{note.note_id}#2"]

    def theme_of(note_id):
        sql = "select cluster_id from assignments where note_id = ? and method = 'cluster'"
        return store.db.execute(sql, [note_id]).fetchone()[0]

    assert nearest[f"{note.note_id}#1"] == theme_of("sso-0-0")
    assert nearest[f"{note.note_id}#2"] == theme_of("price-0-0")


def test_a_logistics_only_note_keeps_all_its_fields(store):
    text = (
        "Rescheduled disco to thu 2pm, their cx lead out sick. sent new invite + agenda, "
        "cc'd her deputy. no real convo yet."
    )
    note = add_typed_note(store, text, deal="D-5", account="Norrow Bikes", amount="12k", rep="Li")
    assert store.notes() == []
    kept = store.original(note.note_id)
    assert (kept["text"], kept["deal"], kept["account"], kept["amount"], kept["rep"]) == (
        text,
        "D-5",
        "Norrow Bikes",
        12000.0,
        "Li",
    )
    assert kept["date"] == note.date and kept["parts"] == 0


def test_export_lists_mentions_with_their_note_and_logistics_only_notes(store):
    from analysis.results import note_rows

    add_typed_note(store, CALL, deal="D-7")
    logistics = add_typed_note(
        store, "Rescheduled the demo to Thu 2pm, their lead is out sick. sent a new invite."
    )
    assert logistics.note_id not in {n["note_id"] for n in store.notes()}  # not analysed
    rows = note_rows(store)
    assert [r["parent_id"] for r in rows[:3]] == [rows[0]["note_id"].split("#")[0]] * 3
    assert rows[3]["note_id"] == logistics.note_id and rows[3]["cluster_id"] is None
