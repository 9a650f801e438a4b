"""Stable theme ids, what a re-analysis reports, people's edits surviving it, and notes
placed between analyses. Real SQLite workspaces, the bag-of-words fake embedder."""

from __future__ import annotations

import random

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, seed_assets, seed_notes, topic_texts

from analysis.curate import (
    CurationError,
    merge_themes,
    move_notes,
    rename_theme,
    split_theme,
)
from analysis.incremental import assign_new_notes, reanalysis_due
from analysis.pipeline import run_analysis
from analysis.results import assignment_rows, unclustered_rows
from analysis.themes import describe_changes, match_clusters
from gaplens.cli import cli
from gaplens.models import Note
from gaplens.store import Store

# -- matching and change reports, on hand-made labels -------------------------------------


def _unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_match_keeps_ids_by_members_and_numbers_new_themes_after_the_last():
    old = np.array([7, 7, 7, 7, 9, 9, 9, 9, 4, 4, -1, -1])
    # fresh cluster 0 is old 9 plus two newcomers; 1 is old 7; 2 is only newcomers
    new = np.array([1, 1, 1, 1, 0, 0, 0, 0, -1, -1, 2, 2])
    match = match_clusters(old, new, old_centroids={}, new_centroids={}, next_id=10)
    assert match.ids == {0: 9, 1: 7, 2: 10}
    assert match.origin == {0: 9, 1: 7}


def test_a_split_theme_keeps_its_id_on_the_larger_part():
    old = np.array([3] * 10)
    new = np.array([0] * 6 + [1] * 4)
    match = match_clusters(old, new, old_centroids={}, new_centroids={}, next_id=5)
    assert match.ids == {0: 3, 1: 5}
    assert match.origin == {0: 3, 1: 3}


def test_a_cluster_of_mostly_new_notes_is_new_even_holding_a_few_old_ones():
    # old theme 3 broke up: 6 notes unclustered, 4 joined 30 newcomers on another subject
    old = np.array([3] * 10 + [-1] * 30)
    new = np.array([-1] * 6 + [0] * 4 + [0] * 30)
    match = match_clusters(old, new, old_centroids={}, new_centroids={0: _unit(1, 0)}, next_id=4)
    assert match.ids == {0: 4} and match.origin == {}


def test_centroids_match_when_no_notes_are_shared():
    old = np.array([-1, -1, -1])
    new = np.array([0, 0, 1])
    near, far = _unit(1, 0.1, 0), _unit(0, 0, 1)
    match = match_clusters(
        old,
        new,
        old_centroids={2: _unit(1, 0.12, 0), 5: _unit(0, 1, 0)},
        new_centroids={0: near, 1: far},
        next_id=6,
    )
    assert match.ids == {0: 2, 1: 6}  # near its old centre: same theme; far: new


def test_describe_changes_names_each_fate():
    old = np.array([1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, -1, -1])
    new = np.array([1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 6, 6, 6, -1, -1, 4, 5, 5])
    rows = describe_changes(
        old, new, {1: 4, 2: 3, 3: 6, 4: 3}, labels={}, old_labels={2: "two", 4: "four"}
    )
    by_id = {r["theme_id"]: r for r in rows}
    assert by_id[1]["change"] == "merged" and by_id[1]["related"] == [2]  # took in 2
    assert (by_id[2]["change"], by_id[2]["related"], by_id[2]["after"]) == ("merged", [1], 0)
    assert by_id[3]["change"] == "shrunk" and (by_id[3]["before"], by_id[3]["after"]) == (6, 3)
    assert by_id[6]["change"] == "split" and by_id[6]["related"] == [3]
    assert by_id[4]["change"] == "shrunk"  # 3 -> 1
    assert by_id[5]["change"] == "new" and by_id[5]["after"] == 2


# -- the pipeline ----------------------------------------------------------------------------


def _themes(store: Store) -> dict[int, dict]:
    return {c["cluster_id"]: c for c in store.clusters(store.latest_run()["id"])}


def _theme_of(store: Store, topic: str) -> int:
    """The theme holding most notes of a seeded topic."""
    counts: dict[int, int] = {}
    for a in assignment_rows(store):
        if a["note_id"].startswith(topic + "-") and a["cluster_id"] is not None:
            counts[a["cluster_id"]] = counts.get(a["cluster_id"], 0) + 1
    return max(counts, key=counts.get)


def test_ids_and_labels_do_not_depend_on_import_order(tmp_path):
    seen = []
    for order_seed in (1, 2, 3):
        with Store(tmp_path / f"w{order_seed}.db") as s:
            notes = [
                Note(f"{t}{i}", x)
                for t in ("sso", "price", "hipaa", "voice")
                for i, x in enumerate(topic_texts(t, 25))
            ]
            random.Random(order_seed).shuffle(notes)
            s.insert_notes(notes, None)
            run_analysis(s, embedder=FakeEmbedder())
            seen.append(
                sorted(
                    (a["note_id"], a["cluster_id"], a["cluster_label"]) for a in assignment_rows(s)
                )
            )
    assert seen[0] == seen[1] == seen[2]
    assert len({c for _, c, _ in seen[0] if c is not None}) == 4


def test_themes_keep_their_ids_when_ten_percent_more_notes_arrive(store):
    embedder = FakeEmbedder()
    seed_notes(store, per_topic=40)
    run_analysis(store, embedder=embedder)
    before = {t: _theme_of(store, t) for t in ("sso", "price", "hipaa", "voice")}
    seed_notes(store, per_topic=4, seed=7)  # 16 more notes, 10%, same topics
    result = run_analysis(store, embedder=embedder, refit=True)
    after = {t: _theme_of(store, t) for t in before}
    assert after == before
    changes = {c["theme_id"]: c for c in store.changes(result.run_id)}
    assert set(changes) == set(before.values())
    assert all(c["change"] in ("grown", "same") and c["after"] >= 40 for c in changes.values())


def test_a_new_topic_is_reported_as_a_new_theme_with_a_fresh_id(store):
    embedder = FakeEmbedder()
    seed_notes(store, per_topic=30, topics=("sso", "price", "hipaa"))
    first = run_analysis(store, embedder=embedder)
    old_ids = set(_themes(store))
    seed_notes(store, per_topic=30, topics=("voice",), seed=3)
    second = run_analysis(store, embedder=embedder, refit=True)
    voice = _theme_of(store, "voice")
    assert voice not in old_ids and voice > max(old_ids)
    changes = {c["theme_id"]: c["change"] for c in store.changes(second.run_id)}
    assert changes[voice] == "new"
    assert first.run_id < second.run_id


# -- people's edits survive re-analysis ------------------------------------------------------


@pytest.fixture
def analysed(store):
    seed_notes(store, per_topic=30, varied=True)
    seed_assets(store)
    run_analysis(store, embedder=FakeEmbedder())
    return store


def test_rename_is_recorded_and_survives_a_refit(analysed):
    sso = _theme_of(analysed, "sso")
    change = rename_theme(analysed, sso, "  SSO /  SAML support ", who="maya")
    assert change.summary.endswith("to 'SSO / SAML support'")
    run_analysis(analysed, embedder=FakeEmbedder(), refit=True)
    theme = _themes(analysed)[_theme_of(analysed, "sso")]
    assert theme["cluster_id"] == sso
    assert theme["label"] == "SSO / SAML support" and theme["auto_label"]
    edit = analysed.edits()[-1]
    assert (edit["who"], edit["action"], edit["theme_ids"]) == ("maya", "rename", [sso])
    assert edit["at"]
    with pytest.raises(CurationError):
        rename_theme(analysed, sso, "   ")
    with pytest.raises(CurationError):
        rename_theme(analysed, 999, "nope")
    other = _theme_of(analysed, "price")
    with pytest.raises(CurationError, match="already called"):
        rename_theme(analysed, other, "sso / saml SUPPORT")


def test_merge_survives_a_refit(analysed):
    sso, price = _theme_of(analysed, "sso"), _theme_of(analysed, "price")
    sizes = {t: c["size"] for t, c in _themes(analysed).items()}
    change = merge_themes(analysed, sso, [price], who="maya", embedder=FakeEmbedder())
    merged = _themes(analysed)
    assert price not in merged and merged[sso]["size"] == sizes[sso] + sizes[price]
    assert (
        analysed.latest_run()["kind"] == "curation" and change.run_id == analysed.latest_run()["id"]
    )
    run_analysis(analysed, embedder=FakeEmbedder(), refit=True)
    after = _themes(analysed)
    assert price not in after and after[sso]["size"] == sizes[sso] + sizes[price]
    assert {a["cluster_id"] for a in assignment_rows(analysed) if a["note_id"][:5] == "price"} == {
        sso
    }
    with pytest.raises(CurationError):
        merge_themes(analysed, sso, [sso])


def test_split_survives_a_refit(analysed):
    sso, price = _theme_of(analysed, "sso"), _theme_of(analysed, "price")
    merge_themes(analysed, sso, [price], embedder=FakeEmbedder())
    change = split_theme(analysed, sso, parts=2, who="maya", embedder=FakeEmbedder())
    kept, part = change.theme_ids
    assert kept == sso and part not in (sso, price)
    # the two topics were put back apart: each part holds one topic's notes
    assert {_theme_of(analysed, "sso"), _theme_of(analysed, "price")} == {kept, part}
    parts = {t: c["size"] for t, c in _themes(analysed).items() if t in (kept, part)}
    run_analysis(analysed, embedder=FakeEmbedder(), refit=True)
    after = _themes(analysed)
    assert {t: after[t]["size"] for t in parts} == parts
    assert analysed.edits()[-1]["action"] == "split"
    with pytest.raises(CurationError):
        split_theme(analysed, kept, parts=9)


def test_moved_and_triaged_notes_stay_put_through_a_refit(analysed):
    sso, hipaa = _theme_of(analysed, "sso"), _theme_of(analysed, "hipaa")
    # a note no theme takes waits in triage with its closest theme, and is assigned in one action
    analysed.insert_notes([Note("odd-1", "lisbon offsite dinner photos karaoke")], None)
    assign_new_notes(analysed, embedder=FakeEmbedder())
    triage = {r["note_id"]: r for r in unclustered_rows(analysed, analysed.latest_run()["id"])}
    assert triage["odd-1"]["nearest_id"] is not None and triage["odd-1"]["nearest_label"]
    move_notes(analysed, ["odd-1"], sso, who="maya")
    assert "odd-1" not in {
        r["note_id"] for r in unclustered_rows(analysed, analysed.latest_run()["id"])
    }
    move_notes(analysed, ["sso-0-1", "sso-0-2"], hipaa, who="maya")
    where = {a["note_id"]: a["cluster_id"] for a in assignment_rows(analysed)}
    assert where["odd-1"] == sso and where["sso-0-1"] == where["sso-0-2"] == hipaa
    run_analysis(analysed, embedder=FakeEmbedder(), refit=True)
    where = {a["note_id"]: a["cluster_id"] for a in assignment_rows(analysed)}
    assert where["odd-1"] == sso and where["sso-0-1"] == where["sso-0-2"] == hipaa
    assert [e["action"] for e in analysed.edits()] == ["move", "move"]
    with pytest.raises(CurationError, match="not in the current analysis"):
        move_notes(analysed, ["no-such-note"], sso)


# -- notes placed between analyses -----------------------------------------------------------


def test_new_notes_join_their_theme_at_once_or_wait_as_emerging(analysed):
    sso = _theme_of(analysed, "sso")
    size = _themes(analysed)[sso]["size"]
    run_id = analysed.latest_run()["id"]
    analysed.insert_notes(
        [
            Note("late-sso", "okta saml sso login for the identity provider"),
            Note("late-odd", "lisbon offsite dinner photos karaoke"),
        ],
        None,
    )
    result = assign_new_notes(analysed, embedder=FakeEmbedder())
    placed = {p.note_id: p for p in result.placements}
    assert placed["late-sso"].theme_id == sso and 0 < placed["late-sso"].confidence <= 1
    assert placed["late-odd"].theme_id is None and placed["late-odd"].nearest_id is not None
    assert (result.run_id, result.joined, result.emerging, result.pool) == (run_id, 1, 1, 1)
    assert _themes(analysed)[sso]["size"] == size + 1  # the same run, updated in place
    triage = {r["note_id"]: r["status"] for r in unclustered_rows(analysed, run_id)}
    assert triage["late-odd"] == "emerging"
    # nothing left to place; 2 of 120 is under the re-analysis rule
    again = assign_new_notes(analysed, embedder=FakeEmbedder())
    assert again.placements == [] and again.due is None


def test_a_growing_emerging_pool_makes_a_full_analysis_due(analysed):
    min_size = _params(analysed)["min_cluster_size"]
    analysed.insert_notes(
        [Note(f"new-topic-{i}", t) for i, t in enumerate(_new_topic(min_size))], None
    )
    result = assign_new_notes(analysed, embedder=FakeEmbedder())
    assert result.emerging == min_size and "form one of their own" in result.due
    assert reanalysis_due(analysed) == result.due


def test_analyze_incremental_places_then_runs_the_full_analysis_when_due(analysed, monkeypatch):
    path = str(analysed.path)
    runner = CliRunner()
    analysed.insert_notes([Note("late-sso", "okta saml sso login for the identity provider")], None)
    monkeypatch.setattr("analysis.pipeline._embedder_for", lambda model: FakeEmbedder())
    out = runner.invoke(cli, ["--db", path, "analyze", "--incremental"])
    assert out.exit_code == 0, out.output
    assert "placed 1 new notes: 1 joined a theme" in out.output
    assert "running the full analysis" not in out.output
    runs = len(analysed.runs())
    min_size = _params(analysed)["min_cluster_size"]
    analysed.insert_notes(
        [Note(f"new-topic-{i}", t) for i, t in enumerate(_new_topic(min_size))], None
    )
    monkeypatch.setattr(
        "analysis.embed.SentenceTransformerEmbedder", lambda model=None: FakeEmbedder()
    )
    monkeypatch.setattr(
        "analysis.pipeline.SentenceTransformerEmbedder", lambda model=None: FakeEmbedder()
    )
    out = runner.invoke(cli, ["--db", path, "analyze", "--incremental"])
    assert out.exit_code == 0, out.output
    assert "a full analysis is due" in out.output and "running the full analysis" in out.output
    assert len(analysed.runs()) == runs + 1
    assert analysed.latest_run()["kind"] == "analysis"


def _params(store: Store) -> dict:
    import json

    return json.loads(store.latest_run()["params"])


def _new_topic(n: int) -> list[str]:
    words = "lisbon offsite dinner photos karaoke beach sunset tapas".split()
    rng = np.random.default_rng(5)
    return [" ".join(rng.choice(words, size=6)) + f" k{i}" for i in range(n)]


def test_notes_placed_between_analyses_survive_a_merge_and_get_a_map_point_later(analysed):
    analysed.insert_notes([Note("late-sso", "okta saml sso login for the identity provider")], None)
    assign_new_notes(analysed, embedder=FakeEmbedder())
    sso, price = _theme_of(analysed, "sso"), _theme_of(analysed, "price")
    change = merge_themes(analysed, price, [_theme_of(analysed, "hipaa")], embedder=FakeEmbedder())
    row = analysed.db.execute(
        "select cluster_id, method, coords from assignments where run_id = ? and note_id = ?",
        [change.run_id, "late-sso"],
    ).fetchone()
    assert row == (sso, "incremental", None)  # kept as placed, still without a point in the map
    result = run_analysis(analysed, embedder=FakeEmbedder())
    assert result.reused_map  # the map of the last analysis is still usable
    row = analysed.db.execute(
        "select cluster_id, method, coords from assignments where run_id = ? and note_id = ?",
        [result.run_id, "late-sso"],
    ).fetchone()
    assert row[0] == sso and row[1] == "cluster" and row[2] is not None
