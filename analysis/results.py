"""Read an analysis back as plain rows: what `clusters`, `gaps` and `export` print.

These rows are the machine-readable contract other tools rely on; the field
names below are pinned by tests (tests/test_cli.py).
"""

from __future__ import annotations

import json
from collections import Counter

from gaplens.store import Store

# Coverage at or above this reads as "covered"; between the gap threshold and it, "weak".
# Chosen on the demo's labelled content (the only set with partial answers marked): at 0.6,
# 20 of its 28 themes get the status their labels give, against 14 at 0.8, where half the
# fully answered themes (coverage 0.61-0.80) read as weak. No held-out set confirms it.
COVERED_AT = 0.6


class NoAnalysis(Exception):
    """The workspace has not been analysed yet."""


def current_run(store: Store) -> dict:
    run = store.latest_run()
    if run is None:
        if store.count_notes():
            raise NoAnalysis("no analysis yet: run 'gaplens analyze' first")
        raise NoAnalysis(
            "the workspace is empty: import notes with 'gaplens ingest notes PATH', "
            "then run 'gaplens analyze'"
        )
    return run


def cluster_rows(store: Store, run_id: int | None = None, examples: int = 5) -> list[dict]:
    run_id = run_id or current_run(store)["id"]
    notes = {
        r["note_id"]: r
        for r in store.db.query(
            "select n.note_id, n.text, n.kind, n.date, n.deal, n.rep from notes n "
            "join assignments a on a.note_id = n.note_id "
            "where a.run_id = ? and a.cluster_id is not null",
            [run_id],
        )
    }
    kinds: dict[int, Counter] = {}
    for row in store.db.query(
        "select a.cluster_id, n.kind, count(*) as c from assignments a "
        "join notes n on n.note_id = a.note_id "
        "where a.run_id = ? and a.cluster_id is not null group by a.cluster_id, n.kind",
        [run_id],
    ):
        kinds.setdefault(row["cluster_id"], Counter())[row["kind"]] = row["c"]
    titles = store.asset_titles()
    matched: dict[int, list[dict]] = {}
    for m in store.coverage(run_id):
        matched.setdefault(m["cluster_id"], []).append(
            {
                "asset_id": m["asset_id"],
                "title": titles.get(m["asset_id"]),
                "coverage": round(m["score"], 3),
                "similarity": round(m["similarity"], 3),
            }
        )
    out = []
    for c in store.clusters(run_id):
        ids = json.loads(c["examples"] or "[]")[:examples]
        out.append(
            {
                **_demand_fields(c),
                "keywords": json.loads(c["keywords"] or "[]"),
                "kinds": dict(sorted(kinds.get(c["cluster_id"], Counter()).items())),
                "first_date": c["first_date"],
                "last_date": c["last_date"],
                "coverage": round(c["coverage"], 3),
                "is_gap": bool(c["is_gap"]),
                "best_asset_id": c["best_asset_id"],
                "best_asset_title": titles.get(c["best_asset_id"]),
                "score": round(c["score"], 2),
                "assets": matched.get(c["cluster_id"], []),
                "examples": [
                    {k: notes[i][k] for k in ("note_id", "text", "kind", "date", "deal", "rep")}
                    for i in ids
                    if i in notes
                ],
            }
        )
    return out


def gap_rows(store: Store, run_id: int | None = None, only_gaps: bool = False) -> list[dict]:
    """Themes ranked by gap score, with the score's parts and the closest content."""
    run_id = run_id or current_run(store)["id"]
    titles = store.asset_titles()
    passages = store.best_passages(run_id)
    rows = []
    for c in store.clusters(run_id):
        if only_gaps and not c["is_gap"]:
            continue
        parts = json.loads(c["score_parts"] or "{}")
        rows.append(
            {
                "rank": 0,
                **_demand_fields(c),
                "recent_share": round(c["recent_share"] or 0.0, 3),
                "coverage": round(c["coverage"], 3),
                "is_gap": bool(c["is_gap"]),
                "status": status_of(c["coverage"], bool(c["is_gap"]), c["content_status"]),
                "best_asset_id": c["best_asset_id"],
                "best_asset_title": titles.get(c["best_asset_id"]),
                "best_passage": passages.get(c["best_passage_id"]),
                "demand": parts.get("demand"),
                "momentum": parts.get("momentum"),
                "score": round(c["score"], 2),
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["cluster_id"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def _demand_fields(c: dict) -> dict:
    """The fields every theme row starts with: who it is and how much rides on it."""
    return {k: c[k] for k in ("cluster_id", "label", "size", "deals", "accounts", "amount")}


def status_of(coverage: float, is_gap: bool, content_status: str | None = None) -> str:
    """no content, weak or covered: what the screens and the gap rows call a theme.

    ``content_status`` is what ``analysis.overrides`` worked out with people's links and
    outdated marks; a run saved before those existed is read from its coverage alone.
    """
    if content_status is None:
        if is_gap:
            content_status = "none"
        else:
            content_status = "covered" if coverage >= COVERED_AT else "weak"
    return {"none": "no content"}.get(content_status, content_status)


def assignment_rows(store: Store, run_id: int | None = None) -> list[dict]:
    run_id = run_id or current_run(store)["id"]
    labels = {c["cluster_id"]: c["label"] for c in store.clusters(run_id)}
    return [
        {
            "note_id": r["note_id"],
            "cluster_id": r["cluster_id"],
            "cluster_label": labels.get(r["cluster_id"], "") if r["cluster_id"] is not None else "",
            "probability": round(r["probability"], 4) if r["probability"] is not None else None,
        }
        for r in store.assignments(run_id)
    ]


def unclustered_rows(store: Store, run_id: int) -> list[dict]:
    """Notes of the run no theme took (unclustered, or emerging since), each with its closest
    theme and similarity, most similar first: the triage list."""
    rows = list(
        store.db.query(
            "select a.note_id, a.method, a.nearest_id, c.label as nearest_label, "
            "a.nearest_similarity as similarity, n.text, n.kind, n.date from assignments a "
            "join notes n on n.note_id = a.note_id "
            "left join clusters c on c.run_id = a.run_id and c.cluster_id = a.nearest_id "
            "where a.run_id = ? and a.cluster_id is null "
            "order by a.nearest_similarity desc, a.note_id",
            [run_id],
        )
    )
    for r in rows:
        r["status"] = "emerging" if r.pop("method") == "emerging" else "unclustered"
        r["text"] = " ".join(r["text"].split())
        if r["similarity"] is not None:
            r["similarity"] = round(r["similarity"], 3)
    return rows


NOTE_FIELDS = (
    "note_id",
    "parent_id",  # a mention's note (ingest.mentions); empty for a whole note
    "kind",
    "text",
    "date",
    "deal",
    "account",
    "amount",
    "stage",
    "outcome",
    "rep",
    "competitor",
)


def note_rows(store: Store) -> list[dict]:
    run = store.latest_run()
    rows = []
    assigned = {}
    if run:
        assigned = {r["note_id"]: r["cluster_id"] for r in store.assignments(run["id"])}
    for n in store.notes():
        row = {k: n[k] for k in NOTE_FIELDS}
        row["cluster_id"] = assigned.get(n["note_id"])
        rows.append(row)
    # notes with only small talk or logistics (ingest.mentions): kept, never analysed
    for n in store.db.query("select * from note_originals where parts = 0 order by rowid"):
        rows.append({**{k: n.get(k) for k in NOTE_FIELDS}, "cluster_id": None})
    return rows


def reject_rows(store: Store) -> list[dict]:
    return [
        {"file": r["file"], "line": r["line"], "reason": r["reason"], "raw": r["raw"]}
        for r in store.rejects()
    ]


def workspace_summary(store: Store) -> dict:
    run = store.latest_run()
    kinds = {
        r["kind"]: r["c"]
        for r in store.db.query("select kind, count(*) c from notes group by kind")
    }
    since = 0
    if run:
        since = store.db.execute(
            "select count(*) from notes where note_id not in "
            "(select note_id from assignments where run_id = ?)",
            [run["id"]],
        ).fetchone()[0]
    split = store.db.execute(
        "select count(*), coalesce(sum(parts), 0), coalesce(sum(parts = 0), 0) from note_originals"
    ).fetchone()
    return {
        "db": str(store.path),
        "notes": store.count_imported(),
        # long notes stored as their mentions (ingest.mentions); analysis clusters these
        "split_notes": split[0],
        "mentions": split[1],
        "logistics_only": split[2],  # notes in which nothing was a question or objection
        "analysed_items": store.count_notes(),
        "kinds": kinds,
        "assets": store.db["assets"].count,
        "passages": store.db["passages"].count,
        "rejects": store.db["rejects"].count,
        "last_run": run["id"] if run else None,
        "last_run_at": run["finished_at"] if run else None,
        "clusters": run["n_clusters"] if run else None,
        "unclustered": run["n_unclustered"] if run else None,
        "new_since_run": since if run else store.count_notes(),
        **_between_runs(store, run),
    }


def _between_runs(store: Store, run: dict | None) -> dict:
    """Notes placed since the last full analysis, the emerging pool, and whether one is due."""
    from analysis.incremental import reanalysis_due

    methods = (
        dict(
            store.db.execute(
                "select method, count(*) from assignments where run_id = ? "
                "and method in ('incremental', 'emerging') group by method",
                [run["id"]],
            ).fetchall()
        )
        if run
        else {}
    )
    return {
        "placed_since_run": methods.get("incremental", 0),
        "emerging": methods.get("emerging", 0),
        "theme_edits": store.db["theme_edits"].count,
        "analysis_due": reanalysis_due(store, run),
    }
