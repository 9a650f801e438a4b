"""The analysis end to end on a real workspace, with the small deterministic embedder."""

import json
import random

import numpy as np
import pytest
from conftest import seed_assets, seed_notes, topic_texts

from analysis.coverage import coverage_score, match_cluster
from analysis.pipeline import Cancelled, NothingToAnalyze, run_analysis
from analysis.results import assignment_rows, cluster_rows, gap_rows
from gaplens.models import Note


def test_coverage_score_is_clipped_linear():
    assert coverage_score(0.0) == 0.0
    assert coverage_score(1.0) == 1.0
    assert coverage_score((0.25 + 0.60) / 2) == pytest.approx(0.5)


def test_coverage_is_relative_to_the_library_when_everything_is_close():
    # the best asset is close in absolute terms but hardly closer than the typical one
    assert coverage_score(0.60, baseline=0.55) == pytest.approx(0.05 / 0.35)
    # a library about other things leaves the absolute reading in charge
    assert coverage_score(0.60, baseline=0.10) == pytest.approx(1.0)


def test_one_domain_library_only_covers_what_it_answers(fake_embedder):
    """Every asset shares the domain's words; only the one that answers stands out."""
    domain = "help desk platform support tickets"
    library = [
        f"{domain} {w}"
        for w in (
            "saml sso okta login enforce",
            "pricing plans",
            "mobile app",
            "reporting dashboards",
            "knowledge base",
            "chat widget",
        )
    ]
    passages = fake_embedder.encode(library)
    sso = fake_embedder.encode([f"{t} {domain}" for t in topic_texts("sso", 10)])
    hipaa = fake_embedder.encode([f"{t} {domain}" for t in topic_texts("hipaa", 10)])
    covered = match_cluster(sso, passages, np.arange(6), n_assets=6)
    missing = match_cluster(hipaa, passages, np.arange(6), n_assets=6)
    assert covered[0].asset_index == 0 and covered[0].score >= 0.5
    # close to everything in absolute terms, answered by nothing
    assert missing[0].similarity > 0.35 and missing[0].score < 0.5


def test_match_cluster_ranks_the_answering_asset_first(fake_embedder):
    members = fake_embedder.encode(topic_texts("sso", 10))
    passages = fake_embedder.encode(
        ["saml sso okta login enforce", "lisbon offsite dinner", "price discount quote"]
    )
    matches = match_cluster(members, passages, np.array([0, 1, 2]), n_assets=3)
    assert matches[0].asset_index == 0 and matches[0].passage_index == 0
    assert matches[0].score > matches[-1].score


def test_analysis_finds_themes_gaps_and_coverage(store, fake_embedder):
    seed_notes(store)
    seed_assets(store)
    result = run_analysis(store, embedder=fake_embedder)
    assert result.n_clusters == 4 and result.n_unclustered <= 8
    rows = {r["label"]: r for r in gap_rows(store)}
    by_topic = {}
    for label, row in rows.items():
        for topic, vocab in (
            ("sso", "okta"),
            ("price", "zentrix"),
            ("hipaa", "hipaa"),
            ("voice", "ivr"),
        ):
            kw = next(c["keywords"] for c in cluster_rows(store) if c["label"] == label)
            if vocab in kw:
                by_topic[topic] = row
    assert set(by_topic) == {"sso", "price", "hipaa", "voice"}
    assert by_topic["sso"]["best_asset_id"] == "A1" and not by_topic["sso"]["is_gap"]
    assert by_topic["price"]["best_asset_id"] == "A2" and not by_topic["price"]["is_gap"]
    assert by_topic["hipaa"]["is_gap"] and by_topic["voice"]["is_gap"]
    # gaps outrank covered themes of the same size
    ranked = [r["label"] for r in gap_rows(store)]
    assert {ranked[0], ranked[1]} == {by_topic["hipaa"]["label"], by_topic["voice"]["label"]}
    # every note has exactly one assignment row, unclustered ones with an empty cluster
    assigned = assignment_rows(store)
    assert len(assigned) == 160
    assert all((a["cluster_id"] is None) == (a["cluster_label"] == "") for a in assigned)


def test_same_notes_in_any_order_give_the_same_clusters(tmp_path, fake_embedder):
    from gaplens.store import Store

    partitions = []
    for order_seed in (1, 2):
        with Store(tmp_path / f"w{order_seed}.db") as s:
            notes = []
            for t in ("sso", "price", "hipaa"):
                notes += [Note(f"{t}{i}", x) for i, x in enumerate(topic_texts(t, 30))]
            random.Random(order_seed).shuffle(notes)
            s.insert_notes(notes, None)
            run_analysis(s, embedder=fake_embedder)
            partitions.append({(a["note_id"], a["cluster_label"]) for a in assignment_rows(s)})
    assert partitions[0] == partitions[1]


def test_second_run_embeds_only_new_text_and_reuses_the_map(store, fake_embedder):
    seed_notes(store)
    first = run_analysis(store, embedder=fake_embedder)
    assert first.embedded == 160 and not first.reused_map
    store.insert_notes([Note("late-1", topic_texts("sso", 1, seed=9)[0])], None)
    second = run_analysis(store, embedder=fake_embedder)
    assert second.embedded == 1
    assert second.reused_map
    late = [a for a in assignment_rows(store) if a["note_id"] == "late-1"][0]
    sso_label = [c["label"] for c in cluster_rows(store) if "okta" in c["keywords"]][0]
    assert late["cluster_label"] == sso_label
    third = run_analysis(store, embedder=fake_embedder, refit=True)
    assert not third.reused_map and third.embedded == 0


def test_cancel_keeps_no_results(store, fake_embedder):
    seed_notes(store)
    stages = []

    def cancel_at_clustering():
        return bool(stages) and stages[-1] == "clustering"

    with pytest.raises(Cancelled):
        run_analysis(
            store,
            embedder=fake_embedder,
            on_progress=lambda p: stages.append(p.stage),
            should_cancel=cancel_at_clustering,
        )
    assert store.latest_run() is None
    assert store.runs()[-1]["status"] == "cancelled"
    assert store.db["clusters"].count == 0


def test_progress_covers_every_stage(store, fake_embedder):
    seed_notes(store, per_topic=20)
    seen = []
    run_analysis(store, embedder=fake_embedder, on_progress=lambda p: seen.append(p.stage))
    for stage in ("embedding notes", "clustering", "labelling", "matching content", "saving"):
        assert stage in seen


def test_empty_workspace_says_what_to_do(store, fake_embedder):
    with pytest.raises(NothingToAnalyze, match="ingest notes"):
        run_analysis(store, embedder=fake_embedder)


def test_run_records_model_and_parameters(store, fake_embedder):
    seed_notes(store, per_topic=20)
    run_analysis(store, embedder=fake_embedder, gap_threshold=0.4)
    run = store.latest_run()
    params = json.loads(run["params"])
    assert run["model"] == "fake-bow-64"
    assert params["gap_threshold"] == 0.4 and params["min_cluster_size"] == 5
    assert run["n_notes"] == 80
