"""The content plan: items, their journal, publish proposals, and what publishing did."""

from __future__ import annotations

import json

import pytest
from conftest import FakeEmbedder

from analysis.pipeline import run_analysis
from analysis.plan import (
    PlanError,
    add_item,
    events,
    normalize_quarter,
    plan_item,
    plan_items,
    publish_effect,
    publish_proposals,
    quarter_review,
    remove_item,
    update_item,
)
from analysis.results import NoAnalysis
from gaplens.models import Asset, Note
from gaplens.store import Store


def _workspace(path) -> Store:
    """Two themes over three quarters, assigned by hand so every count is known.

    theme 0 (SSO): 2026Q1 7 notes + CN-1 (split in two mentions, counted once), Q2 2, Q3 2
    theme 1 (price): 2026Q1 2, 2026Q2 8, 2026Q3 8
    all notes: Q1 10, Q2 10, Q3 10
    """
    s = Store(path)
    notes, theme_of = [], {}

    def add(theme, quarter_month, n, prefix):
        for i in range(n):
            nid = f"{prefix}-{quarter_month}-{i}"
            notes.append(Note(nid, f"{prefix} note {i}", date=f"2026-{quarter_month:02d}-10"))
            theme_of[nid] = theme

    add(0, 2, 7, "sso")
    add(0, 5, 2, "sso")
    add(0, 8, 2, "sso")
    add(1, 2, 2, "price")
    add(1, 5, 8, "price")
    add(1, 8, 8, "price")
    # a note split into two mentions, both in SSO: counts once
    for part in (1, 2):
        notes.append(
            Note(f"CN-1#{part}", f"split part {part}", date="2026-03-01", parent_id="CN-1",
                 part=part, parts=2)
        )  # fmt: skip
        theme_of[f"CN-1#{part}"] = 0
    s.insert_notes(notes, None)
    s.upsert_asset(Asset("OLD", "Old SSO page", "sso"), ["sso"], None)
    run = s.start_run("fake", {"gap_threshold": 0.5})
    clusters = [
        {
            "cluster_id": c,
            "label": label,
            "keywords": "[]",
            "examples": "[]",
            "size": sum(1 for t in theme_of.values() if t == c),
            "coverage": 0.1,
            "is_gap": 1,
            "score": score,
            "score_parts": json.dumps({"demand": score / 75, "momentum": 0.75}),
        }
        for c, label, score in ((0, "SSO", 60.0), (1, "Price", 40.0))
    ]
    assignments = [{"note_id": n, "cluster_id": c, "probability": 1.0} for n, c in theme_of.items()]
    s.save_results(run, clusters, assignments, [])
    s.end_run(run, "done")
    return s


@pytest.fixture
def ws(tmp_path):
    s = _workspace(tmp_path / "w.db")
    yield s
    s.close()


def test_items_and_their_journal(ws):
    item = add_item(ws, 0, status="planned", owner="Maya", quarter="q3 2026", format="faq entry",
                    who="maya")  # fmt: skip
    assert (item.theme_id, item.label, item.status, item.quarter, item.notes) == (
        0, "SSO", "planned", "2026Q3", 12,
    )  # fmt: skip  # 7 + 2 + 2 notes and CN-1 once
    with pytest.raises(PlanError, match="already on the plan as item 1"):
        add_item(ws, 0)
    with pytest.raises(NoAnalysis, match="no theme 7"):
        add_item(ws, 7)
    with pytest.raises(PlanError, match="not a quarter"):
        add_item(ws, 1, quarter="next spring")
    with pytest.raises(PlanError, match="not a plan status"):
        update_item(ws, item.id, status="maybe")
    with pytest.raises(NoAnalysis, match="no plan item 99"):
        update_item(ws, 99, owner="x")

    item = update_item(ws, item.id, status="doing", owner="Sam", who="lee")
    assert (item.status, item.owner) == ("in progress", "Sam")
    item = update_item(ws, item.id, status="published", asset_id="OLD", published_on="2026-04-20")
    assert (item.status, item.published_at, item.asset_id) == ("published", "2026-04-20", "OLD")
    log = [(e["field"], e["old"], e["new"]) for e in events(ws, item.id)]
    assert log == [
        ("created", None, "planned"),
        ("quarter", None, "2026Q3"),
        ("status", "planned", "in progress"),
        ("owner", "Maya", "Sam"),
        ("status", "in progress", "published"),
        ("asset_id", None, "OLD"),
        ("published_at", None, "2026-04-20"),
    ]
    # a published theme can be planned again
    again = add_item(ws, 0, comment="refresh")
    assert again.id != item.id
    remove_item(ws, again.id)
    with pytest.raises(NoAnalysis):
        plan_item(ws, again.id)


def test_publish_effect_compares_shares_of_all_notes(ws):
    item = add_item(ws, 0, status="planned")
    item = update_item(ws, item.id, status="published", published_on="2026-04-20")  # 2026Q2
    effect = publish_effect(ws, item)
    # before: 2026Q1 holds 8 SSO notes (7 + CN-1 once) of 10 in all (7 + 2 price + CN-1)
    assert (effect.before_quarter, effect.before) == ("2026Q1", 8)
    assert effect.before_share == pytest.approx(8 / 10)
    # after: only 2026Q3 is a full quarter after 2026Q2: 2 of 10
    assert effect.after_quarters == ("2026Q3",)
    assert (effect.after, effect.after_share) == (2.0, pytest.approx(0.2))
    assert effect.verdict == "fell"
    # published in the newest quarter: too early to tell
    late = add_item(ws, 1, status="planned")
    late = update_item(ws, late.id, status="published", published_on="2026-08-01")
    assert publish_effect(ws, late).verdict == "too early"


def test_quarter_review_says_what_happened(ws):
    done = add_item(ws, 0, status="planned", quarter="2026Q2")
    update_item(ws, done.id, status="published", published_on="2026-05-02")
    slipped = add_item(ws, 1, status="planned", quarter="2026Q2")
    update_item(ws, slipped.id, quarter="2026Q4")
    review = quarter_review(ws, "2026Q2")
    said = {item.id: what for item, what in review.items}
    # the review of 2026Q2 looks no further than 2026Q2: too early for an effect
    assert said[done.id] == "published 2026-05-02; too early to see an effect on notes"
    assert said[slipped.id] == "not published: still planned, moved to 2026Q4"
    assert quarter_review(ws, "2026Q1").items == []
    # a quarter later the effect shows: 8 of 10 notes in 2026Q1, 2 of 10 in 2026Q3
    item = next(i for i, _ in review.items if i.id == done.id)
    assert publish_effect(ws, item, until="2026Q3").verdict == "fell"
    assert publish_effect(ws, item, until="2026Q2").verdict == "too early"


def test_normalize_quarter():
    assert [normalize_quarter(q) for q in ("2026Q3", "2026-q3", "Q3 2026", None)] == [
        "2026Q3", "2026Q3", "2026Q3", None,
    ]  # fmt: skip


def test_items_survive_reanalysis_and_new_content_proposes_publishing(tmp_path):
    from conftest import seed_assets, seed_notes

    with Store(tmp_path / "w.db") as s:
        seed_notes(s, per_topic=30)
        seed_assets(s)
        run_analysis(s, embedder=FakeEmbedder())
        hipaa = next(
            r for r in s.db.query("select cluster_id, label from clusters where is_gap = 1")
            if "hipaa" in r["label"].lower() or "baa" in r["label"].lower()
            or "phi" in r["label"].lower() or "patient" in r["label"].lower()
        )  # fmt: skip
        item = add_item(s, hipaa["cluster_id"], status="planned", owner="Maya", quarter="2026Q4")
        assert publish_proposals(s) == []
        # a HIPAA guide arrives: after the next analysis, gaplens proposes publishing the item
        s.upsert_asset(
            Asset("A9", "HIPAA guide", "hipaa baa patient phi healthcare clinic compliance"),
            ["HIPAA guide: hipaa baa patient phi healthcare clinic compliance signed"],
            None,
        )
        s.db.execute("update assets set created_at = '9999-01-01' where asset_id = 'A9'")
        run_analysis(s, embedder=FakeEmbedder(), refit=True)
        [kept] = plan_items(s)
        assert (kept.id, kept.theme_id, kept.owner, kept.status) == (
            item.id, hipaa["cluster_id"], "Maya", "planned",
        )  # fmt: skip
        [proposal] = publish_proposals(s)
        assert proposal.item.id == item.id and proposal.asset_id == "A9"
        assert "after the item was planned" in proposal.reason
