"""One analysis run: embed -> reduce -> cluster -> label -> match content -> score -> save.

``run_analysis`` is what the CLI and the TUI call. It reports progress through
a callback (stage, done, total) and can be cancelled through ``should_cancel``
between steps and embedding batches. Every step's parameters and the model are
recorded with the run.

Themes keep their ids from run to run (``analysis.themes``): fresh clusters are
matched to the previous run's themes, people's edits are replayed on them, and
what changed is saved with the run (``Store.changes``). ``rebuild_run`` redoes
everything after the clustering for labels a person changed (a merge or a
split), as a run of kind "curation".
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
from analysis.label import name_clusters, representative, scrub
from analysis.overrides import apply_overrides
from analysis.score import deal_values, demand_of, recent_cutoff, score_all
from analysis.themes import (
    Curation,
    apply_curation,
    describe_changes,
    fit_deciles,
    fit_threshold,
    match_clusters,
)
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


@dataclass
class _Inputs:
    """What every run works from: the notes (canonical order) and the content, embedded."""

    notes: list[dict]
    texts: list[str]
    scrubbed: list[str]
    vectors: np.ndarray
    passages: list[dict]
    asset_ids: list[str]
    p_vectors: np.ndarray
    embedded: int


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
    embedder = embedder or SentenceTransformerEmbedder(model)
    params = params or clu.default_params(len(notes))
    run_params = {
        **params.to_dict(),
        "gap_threshold": gap_threshold,
        "stop_words": list(stop_words),
    }
    run_id = store.start_run(embedder.name, run_params)
    try:
        inp = _inputs(store, embedder, notes, report, check)
        check()
        report(Progress("clustering", 0, 2))
        coords, reused = _coordinates(store, embedder.name, inp.notes, inp.vectors, params, refit)
        report(Progress("clustering", 1, 2))
        check()
        fresh, probs = clu.cluster_coords(coords, params, inp.vectors)
        report(Progress("clustering", 2, 2))
        check()

        previous = store.latest_run()
        curation = Curation.from_edits(store.edits())  # people's edits, read once per run
        labels, pinned, before = _stable_ids(store, previous, inp, fresh, curation)
        methods = np.where(pinned, "pinned", "cluster")
        n_gaps = _save_themes(
            store,
            run_id,
            inp,
            labels,
            probs,
            coords,
            methods,
            given_names=curation.names,
            gap_threshold=gap_threshold,
            stop_words=stop_words,
            report=report,
            check=check,
        )
        if before is not None:
            old_labels, old_sizes, old_names = before
            names = {c["cluster_id"]: c["label"] for c in store.clusters(run_id)}
            store.save_changes(
                run_id, describe_changes(old_labels, labels, old_sizes, names, old_names)
            )
        n_clusters = len({int(c) for c in labels if c >= 0})
        n_unclustered = int(np.sum(labels < 0))
        seconds = time.perf_counter() - started
        store.end_run(
            run_id,
            "done",
            n_notes=len(inp.notes),
            n_clusters=n_clusters,
            n_unclustered=n_unclustered,
            n_assets=len(inp.asset_ids),
            seconds=round(seconds, 3),
            params=json.dumps({**run_params, "reused_map": reused}),
        )
        load_facts(store, run_id)  # what the themes screen counts, cached for a quick open
        report(Progress("saving", 1, 1))
        return AnalysisResult(
            run_id=run_id,
            n_notes=len(inp.notes),
            n_clusters=n_clusters,
            n_unclustered=n_unclustered,
            n_gaps=n_gaps,
            embedded=inp.embedded,
            reused_map=reused,
            seconds=seconds,
        )
    except Cancelled:
        store.end_run(run_id, "cancelled", seconds=round(time.perf_counter() - started, 3))
        raise
    except BaseException as exc:
        store.end_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise


def rebuild_run(
    store: Store,
    theme_of: dict[str, int | None],
    *,
    action: str,
    embedder: Embedder | None = None,
    methods: dict[str, str] | None = None,
) -> int:
    """A new run (kind "curation") with the latest run's notes in the themes a person chose.

    ``theme_of`` maps note ids whose theme changed to their new theme (None:
    unclustered); every other note keeps its theme, probability and place in the
    map. Labels, coverage and scores are recomputed; ids are kept as given.
    Returns the new run's id.
    """
    previous = store.latest_run()
    if previous is None:
        raise NothingToAnalyze("no analysis yet: run 'gaplens analyze' first")
    old = {
        r["note_id"]: r
        for r in store.db.query(
            "select note_id, cluster_id, probability, coords, method from assignments "
            "where run_id = ?",
            [previous["id"]],
        )
    }
    notes = [n for n in store.notes() if n["note_id"] in old]
    params = json.loads(previous["params"] or "{}")
    embedder = embedder or _embedder_for(previous["model"])
    run_id = store.start_run(
        embedder.name, {**params, "rebuilt_from": previous["id"], "action": action}, "curation"
    )
    started = time.perf_counter()
    try:
        inp = _inputs(store, embedder, notes, lambda p: None, lambda: None)
        methods = methods or {}
        labels, probs, methods_out = [], [], []
        for n in inp.notes:
            row = old[n["note_id"]]
            changed = n["note_id"] in theme_of
            cid = theme_of[n["note_id"]] if changed else row["cluster_id"]
            labels.append(-1 if cid is None else int(cid))
            probs.append(1.0 if changed else (row["probability"] or 0.0))
            methods_out.append(methods.get(n["note_id"]) or row["method"] or "cluster")
        dims = {len(r["coords"]) for r in old.values() if r["coords"]}
        width = max(dims) // 8 if dims else 1
        coords = np.vstack(
            [
                np.frombuffer(old[n["note_id"]]["coords"], dtype=np.float64)
                if old[n["note_id"]]["coords"] and len(old[n["note_id"]]["coords"]) == width * 8
                else np.full(width, np.nan)  # placed between analyses: no point yet
                for n in inp.notes
            ]
        )
        labels_arr = np.array(labels, dtype=np.int64)
        _save_themes(
            store,
            run_id,
            inp,
            labels_arr,
            np.array(probs),
            coords,
            np.array(methods_out, dtype=object),
            given_names=Curation.from_edits(store.edits()).names,
            gap_threshold=params.get("gap_threshold", DEFAULT_GAP_THRESHOLD),
            stop_words=params.get("stop_words", []),
            report=lambda p: None,
            check=lambda: None,
        )
        store.end_run(
            run_id,
            "done",
            n_notes=len(inp.notes),
            n_clusters=len({c for c in labels if c >= 0}),
            n_unclustered=int(np.sum(labels_arr < 0)),
            n_assets=len(inp.asset_ids),
            seconds=round(time.perf_counter() - started, 3),
        )
        load_facts(store, run_id)
        return run_id
    except BaseException as exc:
        store.end_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise


@dataclass(frozen=True)
class ContentRematch:
    """What matching the themes against the content again changed."""

    run_id: int
    changed: list[tuple[int, str, str, str]]  # (theme, label, status before, status after)
    gaps_before: int
    gaps_after: int


def rematch_content(store: Store, embedder: Embedder | None = None) -> ContentRematch:
    """Match the current themes against the content as it is now (after an asset import).

    The themes and their notes stay as they are; coverage, gap flags, scores and
    statuses are worked out again in a new run (kind "curation"), so new content
    shows at once which gaps it closes without a full analysis.
    """
    previous = store.latest_run()
    if previous is None:
        raise NothingToAnalyze("no analysis yet: run 'gaplens analyze' first")
    before = {c["cluster_id"]: c for c in store.clusters(previous["id"])}
    run_id = rebuild_run(store, {}, action="content", embedder=embedder)
    after = store.clusters(run_id)
    changed = [
        (c["cluster_id"], c["label"], before[c["cluster_id"]]["content_status"] or "",
         c["content_status"] or "")
        for c in after
        if c["cluster_id"] in before
        and (before[c["cluster_id"]]["content_status"], before[c["cluster_id"]]["is_gap"])
        != (c["content_status"], c["is_gap"])
    ]  # fmt: skip
    return ContentRematch(
        run_id=run_id,
        changed=changed,
        gaps_before=sum(c["is_gap"] for c in before.values()),
        gaps_after=sum(c["is_gap"] for c in after),
    )


def _embedder_for(model: str) -> SentenceTransformerEmbedder:
    """The embedder a run was made with (loaded only if something is not in the cache)."""
    return SentenceTransformerEmbedder(
        model[len("path:") :] if model.startswith("path:") else model
    )


def _inputs(store: Store, embedder: Embedder, notes: list[dict], report, check) -> _Inputs:
    # canonical order: the same notes give the same clusters whatever the import order
    notes = sorted(notes, key=lambda n: (n["text_hash"], n["note_id"]))
    loaded = []

    def load_model() -> None:
        if not loaded:
            report(Progress("loading model", 0, None))
            getattr(embedder, "load", lambda: None)()
            loaded.append(True)

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
    return _Inputs(
        notes=notes,
        texts=texts,
        scrubbed=scrubbed,
        vectors=vectors,
        passages=passages,
        asset_ids=asset_ids,
        p_vectors=p_vectors,
        embedded=new_notes + new_passages,
    )


def _stable_ids(
    store: Store, previous: dict | None, inp: _Inputs, fresh: np.ndarray, curation: Curation
):
    """Theme ids for the fresh clusters, with people's edits replayed.

    Returns (labels, pinned mask, (old labels, old sizes, old names) or None).
    """
    next_id = store.next_theme_id()
    note_ids = [n["note_id"] for n in inp.notes]
    new_centroids = {
        int(c): _unit(inp.vectors[fresh == c].mean(axis=0)) for c in np.unique(fresh) if c >= 0
    }
    if previous is None:
        old = np.full(len(note_ids), -1, dtype=np.int64)
        old_centroids: dict[int, np.ndarray] = {}
        before = None
    else:
        assigned = dict(
            store.db.execute(
                "select note_id, cluster_id from assignments where run_id = ?", [previous["id"]]
            ).fetchall()
        )
        old = np.array(
            [-1 if assigned.get(n) is None else int(assigned[n]) for n in note_ids], dtype=np.int64
        )
        old_rows = store.clusters(previous["id"])
        dim = inp.vectors.shape[1]
        old_centroids = {  # only comparable when made by a model of the same width
            c["cluster_id"]: np.frombuffer(c["centroid"], dtype=np.float32)
            for c in old_rows
            if c["centroid"] and len(c["centroid"]) == 4 * dim
        }
        before = (
            old,
            {c["cluster_id"]: c["size"] for c in old_rows},
            {c["cluster_id"]: c["label"] for c in old_rows},
        )
    match = match_clusters(
        old, fresh, old_centroids=old_centroids, new_centroids=new_centroids, next_id=next_id
    )
    labels = np.array([match.ids[int(c)] if c >= 0 else -1 for c in fresh], dtype=np.int64)
    labels, pinned = apply_curation(
        labels,
        note_ids=note_ids,
        vectors=inp.vectors,
        origin=match.origin,
        fresh=fresh,
        curation=curation,
        old_centroids=old_centroids,
    )
    return labels, pinned, before


def _unique_beside(
    names: dict[int, str], keywords: dict[int, list[str]], given: dict[int, str]
) -> dict[int, str]:
    """Labels that do not repeat a name a person gave another theme."""
    taken = {n.lower() for n in given.values()}
    out = {}
    for c, name in names.items():
        if c not in given and name.lower() in taken:
            extra = [k for k in keywords.get(c, []) if k.lower() not in name.lower()]
            name = f"{name} / {extra[0]}" if extra else f"{name} ({c})"
            if name.lower() in taken:
                name = f"{name} ({c})"
        out[c] = name
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) or 1.0)


def _save_themes(
    store: Store,
    run_id: int,
    inp: _Inputs,
    labels: np.ndarray,
    probs: np.ndarray,
    coords: np.ndarray,
    methods: np.ndarray,
    *,
    given_names: dict[int, tuple[str, str | None]],
    gap_threshold: float,
    stop_words: Sequence[str],
    report,
    check,
) -> int:
    """Label the themes, match them to content, score them and save the run. Returns the gaps."""
    notes, vectors, texts, scrubbed = inp.notes, inp.vectors, inp.texts, inp.scrubbed
    report(Progress("labelling", 0, 1))
    themes = name_clusters(scrubbed, labels, extra_stop_words=stop_words)
    keywords = {c: list(t.keywords) for c, t in themes.items()}
    names = {c: t.label for c, t in themes.items()}
    curated_names = {c: v for c, v in given_names.items() if c in keywords}
    names = _unique_beside(names, keywords, {c: v[0] for c, v in curated_names.items()})
    report(Progress("labelling", 1, 1))

    cluster_ids = sorted(keywords)
    asset_index = {a: i for i, a in enumerate(inp.asset_ids)}
    passage_asset = np.array([asset_index.get(p["asset_id"], -1) for p in inp.passages])
    cutoff = recent_cutoff([n["date"] for n in notes])
    values = deal_values(notes)
    demands, matches, members_of = [], [], {}
    for step, c in enumerate(cluster_ids):
        members = np.flatnonzero(labels == c)
        members_of[c] = members
        demands.append(demand_of([notes[i] for i in members], cutoff, values))
        matches.append(
            match_cluster(vectors[members], inp.p_vectors, passage_asset, len(inp.asset_ids))
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

    cluster_rows, coverage_rows, centroids = [], [], []
    for c, demand, found, part in zip(cluster_ids, demands, matches, parts, strict=True):
        members = members_of[c]
        centroid = _unit(vectors[members].mean(axis=0))
        centroids.append(centroid)
        own = vectors[members] @ centroid
        deciles = fit_deciles(own)
        examples = representative(vectors, members, texts, n=8)
        dates = sorted(notes[i]["date"] for i in members if notes[i]["date"])
        best = found[0] if found else None
        name, renamed_at = curated_names.get(c, (None, None))
        cluster_rows.append(
            {
                "cluster_id": int(c),
                "label": name or names[c],
                "auto_label": names[c] if renamed_at else None,
                "renamed_at": renamed_at,
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
                "auto_coverage": part.coverage,
                "auto_asset_id": inp.asset_ids[best.asset_index] if best else None,
                "best_asset_id": inp.asset_ids[best.asset_index] if best else None,
                "best_passage_id": inp.passages[best.passage_index]["id"] if best else None,
                "best_similarity": best.similarity if best else None,
                "is_gap": int(part.coverage < gap_threshold),
                "score": part.score,
                "score_parts": json.dumps(part.to_dict()),
                "centroid": centroid.astype(np.float32).tobytes(),
                "fit_threshold": fit_threshold(own),
                "fit_deciles": json.dumps(deciles),
            }
        )
        for rank, m in enumerate(found):
            coverage_rows.append(
                {
                    "cluster_id": int(c),
                    "asset_id": inp.asset_ids[m.asset_index],
                    "similarity": m.similarity,
                    "score": m.score,
                    "passage_id": inp.passages[m.passage_index]["id"],
                    "rank": rank,
                }
            )
    # each note's closest theme, which triage shows for the unclustered ones
    if centroids:
        sims = vectors @ np.vstack(centroids).T
        nearest = np.argmax(sims, axis=1)
        nearest_sim = sims[np.arange(len(notes)), nearest]
    else:
        nearest = nearest_sim = None
    assignment_rows = [
        {
            "note_id": n["note_id"],
            "cluster_id": int(labels[i]) if labels[i] >= 0 else None,
            "probability": float(probs[i]),
            "coords": None
            if np.isnan(coords[i]).any()
            else np.asarray(coords[i], dtype=np.float64).tobytes(),
            "vector_hash": text_hash(scrubbed[i]),
            "method": str(methods[i]),
            "nearest_id": None if nearest is None else int(cluster_ids[nearest[i]]),
            "nearest_similarity": None if nearest is None else round(float(nearest_sim[i]), 4),
        }
        for i, n in enumerate(notes)
    ]
    check()
    report(Progress("saving", 0, 1))
    store.save_results(run_id, cluster_rows, assignment_rows, coverage_rows)
    # people's links and outdated marks, kept by theme id, hold for the new run too
    standing = apply_overrides(store, run_id)
    return sum(t.is_gap for t in standing.values())


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
        "select note_id, coords from assignments where run_id = ? and coords is not null",
        [run["id"]],
    ).fetchall():  # notes placed between analyses have no point yet: they count as new
        out[note_id] = np.frombuffer(blob, dtype=np.float64)
    if not out or len(next(iter(out.values()))) != params.n_components:
        return None
    return out


__all__ = [
    "AnalysisResult",
    "Cancelled",
    "rebuild_run",
    "NothingToAnalyze",
    "Progress",
    "rematch_content",
    "run_analysis",
]
