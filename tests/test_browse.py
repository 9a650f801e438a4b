"""What the screens read (analysis.browse), checked against hand-computed numbers."""

import numpy as np
import pytest

from analysis.browse import (
    UNCLUSTERED,
    NoteFilter,
    asset_table,
    facets,
    fts_query,
    load_facts,
    nearest_themes,
    note_vectors,
    parse_period,
    quarter_of,
    read_facts,
    search_notes,
    similar_notes,
    theme_detail,
    theme_table,
)
from gaplens.models import Asset, Note
from gaplens.store import Store, text_hash

NOTES = [
    # id, kind, date, deal, amount, account, rep, text, cluster
    ("n1", "objection", "2026-01-10", "D1", 100.0, "A", "R1", "sso saml login please", 0),
    ("n2", "question", "2026-02-10", "D1", 300.0, "A", "R2", "do you support okta sso", 0),
    ("n3", "objection", "2026-05-10", "D2", 50.0, "B", "R1", "saml must be enforced", 0),
    ("n4", "loss-reason", "2026-06-01", None, 20.0, "C", "R2", "price too high for us", 1),
    ("n5", "objection", "2026-06-20", "D3", None, "C", "R1", "cheaper competitor on price", 1),
    ("n6", "call-note", "2026-06-25", "D2", None, "B", "R2", "small talk about the weather", None),
]


def _vector(i: int) -> np.ndarray:
    v = np.zeros(4, dtype=np.float32)
    v[i] = 1.0
    return v


@pytest.fixture
def tiny(store: Store) -> Store:
    """Six notes in two themes and one unclustered, written through the store's API."""
    store.insert_notes(
        [
            Note(i, text, kind=k, date=d, deal=deal, amount=amt, account=acc, rep=rep)
            for i, k, d, deal, amt, acc, rep, text, _ in NOTES
        ],
        None,
    )
    store.upsert_asset(
        Asset("sso-guide", "SSO guide", "saml okta"), ["SSO with SAML and Okta"], None
    )
    store.upsert_asset(Asset("offsite", "Offsite photos", "lisbon"), ["Lisbon offsite"], None)
    passage = store.db.execute("select id from passages where asset_id = 'sso-guide'").fetchone()[0]
    run = store.start_run("tiny-model", {"gap_threshold": 0.5})
    vectors = {n[0]: _vector(0 if n[8] == 0 else 1 if n[8] == 1 else 2) for n in NOTES}
    store.cache_embeddings(
        "tiny-model", {text_hash(n[0]): v for n, v in zip(NOTES, vectors.values(), strict=True)}
    )

    def cluster(cid, label, coverage, is_gap, score, examples):
        return {
            "cluster_id": cid,
            "label": label,
            "keywords": '["k1", "k2"]',
            "examples": str(examples).replace("'", '"'),
            "size": 0,
            "coverage": coverage,
            "is_gap": is_gap,
            "score": score,
            "score_parts": "{}",
            "best_asset_id": "sso-guide" if cid == 0 else None,
            "best_passage_id": passage if cid == 0 else None,
            "centroid": _vector(cid).tobytes(),
        }

    store.save_results(
        run,
        [
            cluster(0, "sso / saml", 0.9, 0, 5.0, ["n2", "n1"]),
            cluster(1, "price", 0.1, 1, 40.0, ["n5"]),
        ],
        [
            {
                "note_id": n[0],
                "cluster_id": n[8],
                "probability": 1.0,
                "vector_hash": text_hash(n[0]),
            }
            for n in NOTES
        ],
        [
            {
                "cluster_id": 0,
                "asset_id": "sso-guide",
                "similarity": 0.8,
                "score": 0.9,
                "passage_id": passage,
                "rank": 0,
            }
        ],
    )
    store.end_run(run, "done", n_clusters=2)
    return store


def test_periods():
    assert parse_period("") is None
    p = parse_period("2026Q1")
    assert (p.start, p.end) == ("2026-01-01", "2026-03-31")
    p = parse_period("2025q4..2026Q1")
    assert (p.start, p.end) == ("2025-10-01", "2026-03-31")
    p = parse_period("2026-02-03..2026-02-10")
    assert (p.start, p.end) == ("2026-02-03", "2026-02-10")
    assert parse_period("2024Q2").end == "2024-06-30"
    assert quarter_of("2026-11-20") == "2026Q4"
    for bad in ("2026Q5", "last week", "2026-02-30", "2026Q2..2026Q1", "2026Q1..", "a..b..c"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_fts_query_never_raises_on_odd_text(tiny):
    assert fts_query('sso" OR (') == '"sso"* "OR"*'
    for text in ('"', "(", "sso AND", "*", "-"):
        search_notes(tiny, NoteFilter(text=text))


def test_theme_table_counts_each_deal_once(tiny):
    table = theme_table(tiny)
    rows = {r.cluster_id: r for r in table.rows}
    assert [r.cluster_id for r in table.rows] == [1, 0, UNCLUSTERED]  # by score, unclustered last
    sso, price, rest = rows[0], rows[1], rows[UNCLUSTERED]
    assert (sso.notes, sso.deals, sso.accounts, sso.amount) == (
        3,
        2,
        2,
        350.0,
    )  # D1 at 300, D2 at 50
    assert (price.notes, price.deals, price.amount) == (
        2,
        1,
        20.0,
    )  # D3 has no amount; n4 has no deal
    assert (rest.notes, rest.deals, rest.amount) == (1, 1, 50.0)
    assert table.quarters == ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2")
    assert sso.quarters == (0, 0, 0, 0, 2, 1)
    # last 90 days before 2026-06-25 hold n3; the 90 before hold n1 and n2
    assert (sso.recent, sso.before) == (1, 2) and sso.trend == pytest.approx(-0.5)
    assert price.trend is None and price.recent == 2
    assert (sso.status, price.status) == ("covered", "no content")
    assert (sso.is_gap, price.is_gap) == (False, True)
    assert table.total_notes == 6


def test_theme_table_filters(tiny):
    objections = {r.cluster_id: r for r in theme_table(tiny, NoteFilter(kinds=("objection",))).rows}
    assert set(objections) == {0, 1}
    # a deal is worth its largest amount in the workspace, whichever note gave it: D1 300
    assert (objections[0].notes, objections[0].deals, objections[0].amount) == (2, 2, 350.0)
    q1 = theme_table(tiny, NoteFilter(period=parse_period("2026Q1"))).rows
    assert [(r.cluster_id, r.notes, r.amount) for r in q1] == [(0, 2, 300.0)]
    assert [r.cluster_id for r in theme_table(tiny, NoteFilter(text="okta")).rows] == [0]
    assert [r.cluster_id for r in theme_table(tiny, NoteFilter(text="price")).rows] == [1]
    assert [r.cluster_id for r in theme_table(tiny, NoteFilter(text="weather")).rows] == [
        UNCLUSTERED
    ]
    by_rep = {r.cluster_id: r.notes for r in theme_table(tiny, NoteFilter(rep="R2")).rows}
    assert by_rep == {0: 1, 1: 1, UNCLUSTERED: 1}


def test_theme_detail(tiny):
    d = theme_detail(tiny, 0)
    assert [q.note_id for q in d.quotes] == ["n2", "n1", "n3"]  # examples first, then newest
    assert d.kinds == {"objection": 2, "question": 1}
    assert d.quarters == [("2026Q1", 2), ("2026Q2", 1)]
    assert d.amount == 350.0 and d.deals == 2
    assert d.top_deals[0] == ("D1", "A", 300.0)
    assert [a.title for a in d.assets] == ["SSO guide"]
    assert d.assets[0].passage == "SSO with SAML and Okta"
    rest = theme_detail(tiny, UNCLUSTERED)
    assert [q.note_id for q in rest.quotes] == ["n6"] and rest.assets == []


def test_rename_keeps_the_analysis_name(tiny):
    run = tiny.latest_run()["id"]
    tiny.rename_cluster(run, 1, "  Price vs   competitor ")
    d = theme_detail(tiny, 1)
    assert d.label == "Price vs competitor" and d.auto_label == "price" and d.renamed_at
    tiny.rename_cluster(run, 1, "Pricing")
    assert theme_detail(tiny, 1).auto_label == "price"
    with pytest.raises(ValueError):
        tiny.rename_cluster(run, 1, "   ")
    with pytest.raises(KeyError):
        tiny.rename_cluster(run, 99, "nope")


def test_search_notes(tiny):
    page = search_notes(tiny, NoteFilter(text="saml"))
    assert page.total == 2 and {r.note_id for r in page.rows} == {"n1", "n3"}
    assert search_notes(tiny, NoteFilter(), cluster_id=UNCLUSTERED).rows[0].note_id == "n6"
    assert search_notes(tiny, NoteFilter(), cluster_id=1).total == 2
    page = search_notes(tiny, NoteFilter(), limit=2)
    assert page.total == 6 and [r.note_id for r in page.rows] == ["n6", "n5"]  # newest first
    tiny.insert_notes([Note("n7", "brand new question", kind="question", date="2026-07-01")], None)
    newest = search_notes(tiny, NoteFilter()).rows[0]
    assert newest.note_id == "n7" and newest.cluster_id is None  # not analysed yet
    assert facets(tiny).new_since_run == 1


def test_similar_and_nearest(tiny):
    vectors = note_vectors(tiny, tiny.latest_run()["id"])
    assert len(vectors[0]) == 6
    similar = similar_notes(tiny, "n1", vectors, k=2)
    assert {r.note_id for r, _ in similar} == {"n2", "n3"}
    assert all(s == pytest.approx(1.0) for _, s in similar)
    with pytest.raises(LookupError):
        similar_notes(tiny, "missing", vectors)
    best = nearest_themes(tiny, _vector(0) + 0.1)[0]
    assert best.cluster_id == 0 and best.asset_title == "SSO guide"
    assert best.passage == "SSO with SAML and Okta" and best.similarity > 0.9


def test_assets_that_answer_nothing(tiny):
    rows = {a.asset_id: a for a in asset_table(tiny)}
    assert rows["sso-guide"].themes == ((0, "sso / saml", 0.9),) and rows["sso-guide"].notes == 0
    assert rows["offsite"].unused and not rows["sso-guide"].unused


def test_facts_are_cached_in_the_workspace_until_notes_change(tiny):
    run = tiny.latest_run()["id"]
    fresh = read_facts(tiny, run)
    first = load_facts(tiny, run)  # reads and stores
    assert tiny.db["facts_cache"].count == 1
    cached = load_facts(tiny, run)
    for facts in (first, cached):
        for name in ("rowid", "cid", "day", "quarter", "deal", "account", "amount", "deal_value"):
            assert np.array_equal(getattr(facts, name), getattr(fresh, name)), name
        assert list(facts.kind) == list(fresh.kind) and list(facts.rep) == list(fresh.rep)
        assert facts.anchor == fresh.anchor == "2026-06-25"
    assert theme_table(tiny, facts=cached) == theme_table(tiny, facts=fresh)
    # a new note with a bigger amount for D2 changes the deal's value: the cache is not used
    tiny.insert_notes([Note("n8", "follow-up", deal="D2", amount=500.0, date="2026-07-01")], None)
    again = load_facts(tiny, run)
    assert again.notes == 7 and again.anchor == "2026-07-01"
    sso = next(r for r in theme_table(tiny, facts=again).rows if r.cluster_id == 0)
    assert sso.amount == 800.0  # D1 300 + D2 now 500
