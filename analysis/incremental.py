"""Notes that arrive between analyses: placed in a theme at once, or held as "emerging".

A new note (imported, or typed by a rep) is embedded and compared with the
current themes' centres. It joins the closest theme when it is at least as close
to that centre as all but the least typical 2% of the theme's own notes
(``themes.fit_threshold``, a bar each theme sets for itself), with a confidence:
about the share of the theme's notes that sit no closer. Otherwise it waits in
the *emerging* pool, shown with the theme it is closest to.

The current run is updated in place (its assignments and theme sizes), so this
costs the embedding of the new notes and little else; labels, coverage and
scores are refreshed by the next full analysis.

When a full re-analysis is due (``reanalysis_due``), and why:
- the emerging pool holds at least the last analysis's ``min_cluster_size``
  notes: enough for a theme of their own to form;
- or the notes placed this way reach ``REANALYSE_SHARE`` of the notes the
  last analysis clustered: the themes themselves may have moved.
``gaplens analyze --incremental`` places the new notes and then runs the full
analysis when one is due.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.embed import Embedder, embed_texts
from analysis.results import current_run
from analysis.themes import confidence
from gaplens.store import Store, text_hash

REANALYSE_SHARE = 0.10


class ModelMismatch(ValueError):
    """The themes were built with another model than the one asked for."""


@dataclass(frozen=True)
class Placement:
    note_id: str
    theme_id: int | None  # None: emerging
    nearest_id: int | None
    similarity: float
    confidence: float


@dataclass(frozen=True)
class IncrementalResult:
    run_id: int
    placements: list[Placement]
    pool: int  # emerging notes now waiting, these included
    due: str | None  # why a full analysis is due, or None
    embedded: int
    seconds: float

    @property
    def joined(self) -> int:
        return sum(1 for p in self.placements if p.theme_id is not None)

    @property
    def emerging(self) -> int:
        return sum(1 for p in self.placements if p.theme_id is None)


def pending_notes(store: Store, run_id: int) -> list[dict]:
    """Notes the run has not seen (imported or typed since), oldest first."""
    return list(
        store.db.query(
            "select n.note_id, n.text, n.parent_id from notes n where not exists "
            "(select 1 from assignments a where a.run_id = ? and a.note_id = n.note_id) "
            "order by n.rowid",
            [run_id],
        )
    )


def assign_new_notes(
    store: Store,
    *,
    embedder: Embedder | None = None,
    note_ids: list[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> IncrementalResult:
    """Place the notes the current analysis has not seen (or just ``note_ids`` of them;
    the id of a note stored as its mentions stands for all of them)."""
    from analysis.pipeline import _embedder_for

    started = time.perf_counter()
    run = current_run(store)
    if embedder is None:
        embedder = _embedder_for(run["model"])
    elif embedder.name != run["model"]:
        raise ModelMismatch(
            f"the themes were built with '{run['model']}', not '{embedder.name}': "
            "run a full 'gaplens analyze' to switch models"
        )
    pending = pending_notes(store, run["id"])
    if note_ids is not None:
        wanted = set(note_ids)
        pending = [n for n in pending if n["note_id"] in wanted or n["parent_id"] in wanted]
    placements: list[Placement] = []
    embedded = 0
    if pending:
        themes = list(
            store.db.query(
                "select cluster_id, centroid, fit_threshold, fit_deciles from clusters "
                "where run_id = ? and centroid is not null order by cluster_id",
                [run["id"]],
            )
        )
        from analysis.label import scrub  # scikit-learn comes with it: loaded only when needed

        scrubbed = scrub([n["text"] for n in pending], _names(store))
        vectors, embedded = embed_texts(store, embedder, scrubbed, on_progress=on_progress)
        placements = _place(pending, vectors, themes)
        _save(store, run["id"], pending, scrubbed, placements)
    pool = store.db.execute(
        "select count(*) from assignments where run_id = ? and method = 'emerging'", [run["id"]]
    ).fetchone()[0]
    return IncrementalResult(
        run_id=run["id"],
        placements=placements,
        pool=pool,
        due=reanalysis_due(store, run),
        embedded=embedded,
        seconds=time.perf_counter() - started,
    )


def _names(store: Store) -> list[str]:
    from analysis.pipeline import names_of

    return names_of(
        [
            {"account": a, "rep": r}
            for a, r in store.db.execute("select distinct account, rep from notes").fetchall()
        ]
    )


def _place(pending: list[dict], vectors: np.ndarray, themes: list[dict]) -> list[Placement]:
    if not themes:
        return [Placement(n["note_id"], None, None, 0.0, 0.0) for n in pending]
    centres = np.vstack([np.frombuffer(t["centroid"], dtype=np.float32) for t in themes])
    sims = vectors @ centres.T
    best = np.argmax(sims, axis=1)
    out = []
    for n, j, row in zip(pending, best.tolist(), sims, strict=True):
        theme = themes[j]
        sim = float(row[j])
        deciles = json.loads(theme["fit_deciles"] or "[]")
        bar = theme["fit_threshold"] if theme["fit_threshold"] is not None else 1.0
        conf = confidence(sim, deciles) if deciles else 0.0
        fits = sim >= bar
        out.append(
            Placement(
                note_id=n["note_id"],
                theme_id=theme["cluster_id"] if fits else None,
                nearest_id=theme["cluster_id"],
                similarity=round(sim, 4),
                confidence=round(conf, 4),
            )
        )
    return out


def _save(store: Store, run_id: int, pending, scrubbed, placements: list[Placement]) -> None:
    rows = [
        {
            "run_id": run_id,
            "note_id": p.note_id,
            "cluster_id": p.theme_id,
            "probability": p.confidence if p.theme_id is not None else 0.0,
            "coords": None,  # placed in the map by the next analysis
            "vector_hash": text_hash(text),
            "method": "incremental" if p.theme_id is not None else "emerging",
            "nearest_id": p.nearest_id,
            "nearest_similarity": p.similarity,
        }
        for p, text in zip(placements, scrubbed, strict=True)
    ]
    grown: dict[int, int] = {}
    for p in placements:
        if p.theme_id is not None:
            grown[p.theme_id] = grown.get(p.theme_id, 0) + 1
    with store.db.atomic():
        store.db["assignments"].insert_all(rows, batch_size=1000)
        for theme, count in grown.items():
            store.db.execute(
                "update clusters set size = size + ? where run_id = ? and cluster_id = ?",
                [count, run_id, theme],
            )
        store.db.execute("delete from facts_cache")


def reanalysis_due(store: Store, run: dict | None = None) -> str | None:
    """Why a full analysis should run now, or None (the rule is in the module docstring)."""
    run = run or store.latest_run()
    if run is None:
        return "no analysis yet" if store.count_notes() else None
    counts = dict(
        store.db.execute(
            "select coalesce(method, 'cluster'), count(*) from assignments where run_id = ? "
            "group by 1",
            [run["id"]],
        ).fetchall()
    )
    emerging = counts.get("emerging", 0)
    placed = emerging + counts.get("incremental", 0)
    clustered = sum(counts.values()) - placed
    min_size = json.loads(run["params"] or "{}").get("min_cluster_size") or 5
    if emerging >= min_size:
        return (
            f"{emerging} new notes fit no theme: enough to form one of their own "
            f"(a theme needs {min_size})"
        )
    if clustered and placed >= REANALYSE_SHARE * clustered:
        return (
            f"{placed} notes arrived since the last full analysis "
            f"({placed / clustered:.0%} of {clustered}): the themes may have moved"
        )
    return None


__all__ = [
    "IncrementalResult",
    "ModelMismatch",
    "Placement",
    "assign_new_notes",
    "pending_notes",
    "reanalysis_due",
]
