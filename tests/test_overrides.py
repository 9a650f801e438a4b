"""Coverage the team controls: links, unlinks, outdated marks, and that they outlive re-analysis."""

from __future__ import annotations

import pytest
from conftest import FakeEmbedder, seed_assets, seed_notes

from analysis.curate import merge_themes
from analysis.overrides import (
    LINKED_COVERAGE,
    OUTDATED_FACTOR,
    effective,
    link_rows,
    mark_outdated,
    set_link,
)
from analysis.pipeline import run_analysis
from analysis.results import NoAnalysis, current_run, gap_rows
from gaplens.store import Store


def _auto(*rows):
    return [
        {"asset_id": a, "score": s, "similarity": 0.5, "passage_id": i}
        for i, (a, s) in enumerate(rows)
    ]


def _eff(auto, linked=(), unlinked=(), outdated=(), threshold=0.5):
    return effective(
        auto,
        linked=set(linked),
        unlinked=set(unlinked),
        outdated=set(outdated),
        threshold=threshold,
    )


def test_automatic_match_alone_gives_the_three_statuses():
    assert _eff(_auto(("A", 0.9), ("B", 0.3)))[1:] == (0.9, "covered")
    assert _eff(_auto(("A", 0.55)))[1:] == (0.55, "weak")  # in part (0.5 <= 0.55 < 0.6)
    assert _eff(_auto(("A", 0.6)))[1:] == (0.6, "covered")
    assert _eff(_auto(("A", 0.3)))[1:] == (0.3, "none")
    assert _eff([])[1:] == (0.0, "none")


def test_link_unlink_and_outdated_rules():
    # a person's link counts as full coverage, even for an asset the match did not rank
    ranked, cov, status = _eff(_auto(("A", 0.2)), linked={"Z"})
    assert (ranked[0].asset_id, ranked[0].linked, ranked[0].auto) == ("Z", True, None)
    assert (cov, status) == (LINKED_COVERAGE, "covered")
    # an unlinked asset leaves the theme: the next one answers (or nothing does)
    assert _eff(_auto(("A", 0.9), ("B", 0.55)), unlinked={"A"})[1:] == (0.55, "weak")
    assert _eff(_auto(("A", 0.9)), unlinked={"A"})[1:] == (0.0, "none")
    # an outdated asset counts at half: 0.9 -> 0.45 is a gap, but content exists: weak
    ranked, cov, status = _eff(_auto(("A", 0.9)), outdated={"A"})
    assert cov == pytest.approx(0.9 * OUTDATED_FACTOR) and status == "weak"
    # an outdated asset that never answered the theme does not make it "weak"
    assert _eff(_auto(("A", 0.4)), outdated={"A"})[2] == "none"
    # a linked but outdated asset: 1.0 x 0.5 = 0.5, not a gap, still weak
    assert _eff([], linked={"A"}, outdated={"A"})[1:] == (0.5, "weak")
    # the up-to-date asset wins over the outdated one
    ranked, cov, status = _eff(_auto(("A", 0.95), ("B", 0.85)), outdated={"A"})
    assert (ranked[0].asset_id, cov, status) == ("B", 0.85, "covered")


@pytest.fixture
def analysed(tmp_path):

    path = tmp_path / "workspace.db"
    with Store(path) as s:
        seed_notes(s, per_topic=30)
        seed_assets(s)
        run_analysis(s, embedder=FakeEmbedder())
    return path


def _themes(store):
    """topic -> theme row, by the topic word its notes carry most."""
    out = {}
    for r in gap_rows(store):
        ids = store.db.execute(
            "select note_id from assignments where run_id = ? and cluster_id = ?",
            [current_run(store)["id"], r["cluster_id"]],
        ).fetchall()
        topics = [i[0].split("-")[0] for i in ids]
        out[max(set(topics), key=topics.count)] = r
    return out


def test_link_unlink_and_outdated_survive_a_reanalysis(analysed):
    with Store(analysed) as s:
        themes = _themes(s)
        sso, hipaa = themes["sso"], themes["hipaa"]
        price_auto = themes["price"]["coverage"]
        assert price_auto >= 0.5 and themes["price"]["best_asset_id"] == "A2"
        assert not sso["is_gap"] and sso["best_asset_id"] == "A1"
        assert hipaa["status"] == "no content" and hipaa["is_gap"]

        # the offsite recap answers HIPAA, says a person (say it is a policy page now)
        done = set_link(s, hipaa["cluster_id"], "A3", "link", who="maya")
        assert "no content" in done.summary and "-> covered" in done.summary
        # the SSO guide does not answer SSO; mark the pricing page outdated
        set_link(s, sso["cluster_id"], "A1", "unlink", who="maya")
        mark_outdated(s, "A2", reason="old prices", who="maya")

        def check():
            now = _themes(s)
            h, o, p = now["hipaa"], now["sso"], now["price"]
            assert (h["status"], h["best_asset_id"], h["is_gap"], h["coverage"]) == (
                "covered",
                "A3",
                False,
                1.0,
            )
            assert h["score"] == 0.0  # fully covered: nothing left to write
            assert o["best_asset_id"] != "A1" and o["is_gap"]
            assert p["status"] == "weak" and p["best_asset_id"] == "A2"
            assert p["coverage"] <= OUTDATED_FACTOR

        check()
        before = current_run(s)["id"]
        run_analysis(s, embedder=FakeEmbedder(), refit=True)
        assert current_run(s)["id"] != before
        check()  # the new run carries every link, unlink and mark

        rows = {(r.asset_id, r.action) for r in link_rows(s)}
        assert rows == {("A3", "link"), ("A1", "unlink")}

        # forgetting the unlink gives the automatic match back
        set_link(s, sso["cluster_id"], "A1", None)
        assert _themes(s)["sso"]["best_asset_id"] == "A1"
        mark_outdated(s, "A2", outdated=False)
        assert _themes(s)["price"]["coverage"] == price_auto


def test_a_link_follows_its_theme_into_a_merge(analysed):
    with Store(analysed) as s:
        themes = _themes(s)
        hipaa, voice = themes["hipaa"]["cluster_id"], themes["voice"]["cluster_id"]
        set_link(s, hipaa, "A3", "link", who="maya")
        merge_themes(s, voice, [hipaa], embedder=FakeEmbedder())
        merged = {r["cluster_id"]: r for r in gap_rows(s)}[voice]
        assert merged["best_asset_id"] == "A3" and merged["status"] == "covered"


def test_bad_ids_are_clear(analysed):
    with Store(analysed) as s:
        with pytest.raises(NoAnalysis, match="no theme 999"):
            set_link(s, 999, "A1", "link")
        with pytest.raises(NoAnalysis, match="no asset 'NOPE'"):
            set_link(s, 0, "NOPE", "link")
        with pytest.raises(NoAnalysis, match="no asset 'NOPE'"):
            mark_outdated(s, "NOPE")
        with pytest.raises(NoAnalysis, match="to forget"):
            set_link(s, _themes(s)["sso"]["cluster_id"], "A2", None)
