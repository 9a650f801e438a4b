"""One analysis run: embed -> reduce -> cluster -> label -> match content -> score -> save.

``run_analysis`` is what the CLI and the TUI call. It reports progress through
a callback (stage, done, total) and can be cancelled through ``should_cancel``
between steps and embedding batches. Every step's parameters and the model are
recorded with the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analysis import cluster as clu
from analysis.browse import load_facts
from analysis.coverage import DEFAULT_GAP_THRESHOLD, match_cluster
from analysis.embed import Embedder, SentenceTransformerEmbedder, embed_texts
from analysis.label import keywords_by_cluster, make_labels, representative, scrub
from analysis.score import deal_values, demand_of, recent_cutoff, score_all
from gaplens.store import Store, text_hash

# Re-use the previous run's reduced space when at most this share of the notes is new.
REUSE_MAX_NEW_SHARE = 0.10


@dataclass(frozen=True)
class Progress:
    stage: str
    done: int = 0
    total: int | None = None


class Cancelled(Exception):
    """The caller asked the run to stop; nothing of it was kept."""


@dataclass(frozen=True)
class AnalysisResult:
    run_id: int
    n_notes: int
    n_clusters: int
    n_unclustered: int
    n_gaps: int
    embedded: int  # texts that were not in the cache
    reused_map: bool  # the previous run's reduced space was reused (few new notes)
    seconds: float


class NothingToAnalyze(Exception):
    """The workspace has no notes."""


def run_analysis(
    store: Store,
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    gap_threshold: float = DEFAULT_GAP_THRESHOLD,
    params: clu.ClusterParams | None = None,
    refit: bool = False,
    stop_words: Sequence[str] = (),
    on_progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> AnalysisResult:
    started = time.perf_counter()
    report = on_progress or (lambda p: None)

    def check() -> None:
        if should_cancel and should_cancel():
            raise Cancelled()

    notes = store.notes()
    if not notes:
        raise NothingToAnalyze(
            "no notes in the workspace yet: import some with 'gaplens ingest notes PATH'"
        )
    # canonical order: the same notes give the same clusters whatever the import order
    notes.sort(key=lambda n: (n["text_hash"], n["note_id"]))
    embedder = embedder or SentenceTransformerEmbedder(model)
    params = params or clu.default_params(len(notes))
    run_params = {
        **params.to_dict(),
        "gap_threshold": gap_threshold,
        "stop_words": list(stop_words),
    }
    run_id = store.start_run(embedder.name, run_params)
    loaded = []

    def load_model() -> None:
        if not loaded:
            report(Progress("loading model", 0, None))
            getattr(embedder, "load", lambda: None)()
            loaded.append(True)

    try:
        texts = [n["text"] for n in notes]
        # Who said it (account, rep) must not decide what it is about: names are
        # taken out of the text before embedding and labelling.
        scrubbed = scrub(texts, names_of(notes))
        vectors, new_notes = embed_texts(
            store,
            embedder,
            scrubbed,
            on_progress=_embed_progress(report, "embedding notes", check),
            before_encode=load_model,
        )
        passages = store.passages()
        asset_ids = [a["asset_id"] for a in store.assets()]
        p_vectors, new_passages = embed_texts(
            store,
            embedder,
            [p["text"] for p in passages],
            on_progress=_embed_progress(report, "embedding content", check),
            before_encode=load_model,
        )
        check()

        report(Progress("clustering", 0, 2))
        coords, reused = _coordinates(store, embedder.name, notes, vectors, params, refit)
        report(Progress("clustering", 1, 2))
        check()
        labels, probs = clu.cluster_coords(coords, params)
        report(Progress("clustering", 2, 2))
        check()

        report(Progress("labelling", 0, 1))
        keywords = keywords_by_cluster(scrubbed, labels, extra_stop_words=stop_words)
        names = make_labels(keywords)
        report(Progress("labelling", 1, 1))

        cluster_ids = sorted(keywords)
        asset_index = {a: i for i, a in enumerate(asset_ids)}
        passage_asset = np.array([asset_index.get(p["asset_id"], -1) for p in passages])
        cutoff = recent_cutoff([n["date"] for n in notes])
        values = deal_values(notes)
        demands, matches, members_of = [], [], {}
        for step, c in enumerate(cluster_ids):
            members = np.flatnonzero(labels == c)
            members_of[c] = members
            demands.append(demand_of([notes[i] for i in members], cutoff, values))
            matches.append(
                match_cluster(vectors[members], p_vectors, passage_asset, len(asset_ids))
            )
            report(Progress("matching content", step + 1, len(cluster_ids)))
            check()
        all_dated = [n for n in notes if n["date"]]
        base_recent = (
            sum(1 for n in all_dated if cutoff and n["date"] >= cutoff.isoformat()) / len(all_dated)
            if all_dated
            else 0.0
        )
        coverages = [m[0].score if m else 0.0 for m in matches]
        parts = score_all(demands, coverages, base_recent)

        cluster_rows, coverage_rows = [], []
        for c, demand, found, part in zip(cluster_ids, demands, matches, parts, strict=True):
            members = members_of[c]
            centroid = vectors[members].mean(axis=0)
            centroid /= np.linalg.norm(centroid) or 1.0
            examples = representative(vectors, members, texts, n=8)
            dates = sorted(notes[i]["date"] for i in members if notes[i]["date"])
            best = found[0] if found else None
            cluster_rows.append(
                {
                    "cluster_id": int(c),
                    "label": names[c],
                    "keywords": json.dumps(keywords[c]),
                    "examples": json.dumps([notes[i]["note_id"] for i in examples]),
                    "size": int(len(members)),
                    "deals": demand.deals,
                    "accounts": demand.accounts,
                    "amount": demand.amount,
                    "first_date": dates[0] if dates else None,
                    "last_date": dates[-1] if dates else None,
                    "recent_share": demand.recent_share,
                    "coverage": part.coverage,
                    "best_asset_id": asset_ids[best.asset_index] if best else None,
                    "best_passage_id": passages[best.passage_index]["id"] if best else None,
                    "best_similarity": best.similarity if best else None,
                    "is_gap": int(part.coverage < gap_threshold),
                    "score": part.score,
                    "score_parts": json.dumps(part.to_dict()),
                    "centroid": centroid.astype(np.float32).tobytes(),
                }
            )
            for rank, m in enumerate(found):
                coverage_rows.append(
                    {
                        "cluster_id": int(c),
                        "asset_id": asset_ids[m.asset_index],
                        "similarity": m.similarity,
                        "score": m.score,
                        "passage_id": passages[m.passage_index]["id"],
                        "rank": rank,
                    }
                )
        assignment_rows = [
            {
                "note_id": n["note_id"],
                "cluster_id": int(labels[i]) if labels[i] >= 0 else None,
                "probability": float(probs[i]),
                "coords": np.asarray(coords[i], dtype=np.float64).tobytes(),
                "vector_hash": text_hash(scrubbed[i]),
            }
            for i, n in enumerate(notes)
        ]
        check()
        report(Progress("saving", 0, 1))
        previous = store.latest_run()
        store.save_results(run_id, cluster_rows, assignment_rows, coverage_rows)
        if previous:
            store.carry_names(previous["id"], run_id)
        n_unclustered = int(np.sum(labels < 0))
        seconds = time.perf_counter() - started
        store.end_run(
            run_id,
            "done",
            n_notes=len(notes),
            n_clusters=len(cluster_ids),
            n_unclustered=n_unclustered,
            n_assets=len(asset_ids),
            seconds=round(seconds, 3),
            params=json.dumps({**run_params, "reused_map": reused}),
        )
        load_facts(store, run_id)  # what the themes screen counts, cached for a quick open
        report(Progress("saving", 1, 1))
        return AnalysisResult(
            run_id=run_id,
            n_notes=len(notes),
            n_clusters=len(cluster_ids),
            n_unclustered=n_unclustered,
            n_gaps=sum(r["is_gap"] for r in cluster_rows),
            embedded=new_notes + new_passages,
            reused_map=reused,
            seconds=seconds,
        )
    except Cancelled:
        store.end_run(run_id, "cancelled", seconds=round(time.perf_counter() - started, 3))
        raise
    except BaseException as exc:
        store.end_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise


def names_of(notes: list[dict]) -> list[str]:
    """Account and rep names the notes carry (and reps' first names)."""
    names = {n[f].strip() for n in notes for f in ("account", "rep") if n.get(f)}
    names |= {n["rep"].split()[0] for n in notes if n.get("rep") and " " in n["rep"].strip()}
    return sorted(names)


def _embed_progress(report, stage, check):
    def inner(done: int, total: int) -> None:
        report(Progress(stage, done, total))
        check()

    return inner


def _coordinates(
    store: Store,
    model: str,
    notes: list[dict],
    vectors: np.ndarray,
    params: clu.ClusterParams,
    refit: bool,
) -> tuple[np.ndarray, bool]:
    """Reduced coordinates: reuse the last run's map when few notes are new, else fit a new one."""
    if not refit:
        previous = _previous_map(store, model, params)
        if previous:
            known = [i for i, n in enumerate(notes) if n["note_id"] in previous]
            new = [i for i, n in enumerate(notes) if n["note_id"] not in previous]
            if known and len(new) <= REUSE_MAX_NEW_SHARE * len(known):
                coords = np.zeros((len(notes), params.n_components))
                coords[known] = np.vstack([previous[notes[i]["note_id"]] for i in known])
                coords[new] = clu.place(
                    vectors[known], coords[known], vectors[new], k=params.n_neighbors
                )
                return coords, True
    return clu.reduce(vectors, params), False


def _previous_map(
    store: Store, model: str, params: clu.ClusterParams
) -> dict[str, np.ndarray] | None:
    """note_id -> coords of the latest finished run with the same model and map settings."""
    run = store.latest_run()
    if not run or run["model"] != model:
        return None
    old = json.loads(run["params"] or "{}")
    if any(old.get(k) != getattr(params, k) for k in ("n_neighbors", "n_components", "seed")):
        return None
    out = {}
    for note_id, blob in store.db.execute(
        "select note_id, coords from assignments where run_id = ?", [run["id"]]
    ).fetchall():
        if blob is None:
            return None
        out[note_id] = np.frombuffer(blob, dtype=np.float64)
    if not out or len(next(iter(out.values()))) != params.n_components:
        return None
    return out


__all__ = [
    "AnalysisResult",
    "Cancelled",
    "NothingToAnalyze",
    "Progress",
    "run_analysis",
]
