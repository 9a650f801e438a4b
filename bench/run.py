"""gaplens benchmarks on public evaluation data (see bench/README.md).

    python bench/run.py [--quick] [--only NAME ...] [--out bench/results] [--eval DIR]

Benchmarks: clustering (clinc150), gaps (covidfaq), embedding (throughput),
incremental (re-analysis, and placing new notes, after 1% more notes),
stability (theme ids kept after 10% more notes). Each one runs in its own
subprocess, so its peak RSS is its own and no benchmark inherits another's warm
state; the parent collects the figures and writes ``latest.json`` and
``latest.md`` (``quick.json`` / ``quick.md`` with --quick, so a smoke run never
overwrites the full figures). With --only, the other benchmarks' previous
figures are kept in the files.

Data goes in through the same path a user's does: rows are written to temporary
CSV files and imported with ``ingest.import_notes`` / ``ingest.import_assets``
into a temporary workspace. The eval data is never copied into the project.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = REPO.parent / "shared" / "eval"
DEFAULT_OUT = REPO / "bench" / "results"
BENCHMARKS = ("clustering", "gaps", "embedding", "incremental", "stability")
EVAL_FILES = (
    "README.md",
    "clinc150/clinc150_flat.csv",
    "covidfaq/faq_articles.csv",
    "covidfaq/user_queries.csv",
)
TARGETS = {
    "embedding_overhead": 0.05,  # gaplens embed_texts at most 5% slower than a bare encode
    "incremental_ratio": 0.15,  # re-analysis after +1% notes under 15% of a first analysis
    # placing 1% new notes (assign_new_notes) under 5% of a full analysis (refit) of them all
    "assign_ratio": 0.05,
    # after +10% notes from the same themes, at least 90% of the themes keep their id
    "theme_id_retention": 0.90,
    # clinc150 clustering quality (the bar)
    "clustering_ari": 0.50,  # at least
    "clustering_nmi": 0.86,  # at least
    "clustering_unclustered": 0.10,  # at most
    "clustering_clusters": (0.7, 1.5),  # clusters within these multiples of the true 150
}
GAP_SEEDS = (0, 1, 2)
QUICK_PER_INTENT = 40  # --quick: 40 queries per intent (6,000 of 22,500)
QUICK_EMBED_TEXTS = 5000
HOLD_OUT_SHARE = 0.01
STABILITY_HOLD_OUT = 0.10
PASS_RETRIES = 2  # an embedding pass taken while others used > QUIET_SHARE is repeated

_T0 = time.perf_counter()
_NAME = "bench"


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(
        f"[{stamp} +{time.perf_counter() - _T0:6.0f}s {_NAME}] {message}",
        file=sys.stderr,
        flush=True,
    )


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


class CpuMeter:
    """Wall time of a block, and the share of the machine's CPUs other processes used meanwhile.

    The bench machine may be shared; a timing taken while something else was busy is
    slower than it should be. ``others`` = (all CPU time the kernel counted in
    /proc/stat - this process's own CPU time) / (wall time x CPUs); None where
    /proc/stat is not available.
    """

    def __enter__(self) -> CpuMeter:
        self._busy, self._own = _busy_cpu_seconds(), _own_cpu_seconds()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
        busy = _busy_cpu_seconds()
        if busy is None or self._busy is None or self.seconds <= 0:
            self.others = None
            return
        other = (busy - self._busy) - (_own_cpu_seconds() - self._own)
        self.others = round(max(0.0, other) / (self.seconds * (os.cpu_count() or 1)), 3)


def _busy_cpu_seconds() -> float | None:
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_WAIT_IDLE = 0.0  # --wait-idle: seconds to wait for other processes to quieten
QUIET_SHARE = 0.15


def wait_for_quiet(what: str, max_wait: float | None = None) -> float | None:
    """Sample other processes' CPU use; while above QUIET_SHARE, wait (up to max_wait seconds)."""
    max_wait = _WAIT_IDLE if max_wait is None else max_wait
    deadline = time.perf_counter() + max_wait
    while True:
        with CpuMeter() as meter:
            time.sleep(2.0)
        if meter.others is None or meter.others <= QUIET_SHARE:
            return meter.others
        if time.perf_counter() >= deadline:
            if max_wait > 0:
                log(
                    f"other processes still use {100 * meter.others:.0f}% of the CPUs; "
                    f"measuring {what} anyway"
                )
            return meter.others
        log(f"other processes use {100 * meter.others:.0f}% of the CPUs; waiting before {what}")
        time.sleep(8.0)


# -- eval data --------------------------------------------------------------------------


def check_eval_dir(eval_dir: Path) -> None:
    missing = [f for f in EVAL_FILES if not (eval_dir / f).is_file()]
    if missing:
        sys.exit(
            f"bench: evaluation data not found in {eval_dir} (missing: {', '.join(missing)}).\n"
            "The benchmarks read the shared eval set at ../shared/eval beside the repository; "
            "pass --eval DIR if it lives elsewhere."
        )


def load_clinc(eval_dir: Path, quick: bool) -> list[dict]:
    """In-scope clinc150 rows: {"id": CSV row index as a string, "text", "intent"}."""
    with open(eval_dir / "clinc150" / "clinc150_flat.csv", newline="", encoding="utf-8") as fh:
        rows = [
            {"id": str(i), "text": r["text"], "intent": r["intent"]}
            for i, r in enumerate(csv.DictReader(fh))
            if r["intent"] != "oos"
        ]
    if quick:
        import numpy as np

        rng = np.random.default_rng(0)
        by_intent: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_intent.setdefault(r["intent"], []).append(i)
        keep = sorted(
            j
            for idx in by_intent.values()
            for j in rng.choice(idx, QUICK_PER_INTENT, replace=False)
        )
        rows = [rows[j] for j in keep]
    return rows


def load_covidfaq(eval_dir: Path) -> tuple[list[dict], list[dict]]:
    with open(eval_dir / "covidfaq" / "faq_articles.csv", newline="", encoding="utf-8") as fh:
        articles = list(csv.DictReader(fh))
    with open(eval_dir / "covidfaq" / "user_queries.csv", newline="", encoding="utf-8") as fh:
        queries = list(csv.DictReader(fh))
    return articles, queries


def reference_tables(readme: Path) -> dict[str, dict]:
    """The reference tables of the eval README, keyed by section ("clinc150", "covidfaq")."""
    out: dict[str, dict] = {}
    section = None
    lines = readme.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].split("/")[0].split()[0].strip()
        if section and "reference figures" in line.lower():
            j = i + 1
            while j < len(lines) and not lines[j].startswith("|"):
                j += 1
            table = []
            while j < len(lines) and lines[j].startswith("|"):
                cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    table.append(cells)
                j += 1
            if table:
                out[section] = {"caption": line.strip("* "), "header": table[0], "rows": table[1:]}
            i = j
            continue
        i += 1
    return out


# -- helpers ----------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ingest_notes(store, path: Path, expected: int) -> float:
    """Import a notes CSV (kind question) and check every row arrived; returns seconds."""
    from ingest import import_notes

    started = time.perf_counter()
    summaries = import_notes(store, [path], kind="question")
    seconds = time.perf_counter() - started
    problems = [s for s in summaries if s.error or s.rejected]
    added = sum(s.added for s in summaries)
    if problems or added != expected:
        detail = "; ".join(
            s.error or f"{s.rejected} rejected, e.g. {s.rejects[:1]}" for s in problems
        )
        raise RuntimeError(f"import of {path.name}: {added} of {expected} notes added. {detail}")
    return seconds


def ingest_assets(store, path: Path, expected: int) -> float:
    from ingest import import_assets

    started = time.perf_counter()
    summaries = import_assets(store, [path])
    seconds = time.perf_counter() - started
    added = sum(s.added for s in summaries)
    if any(s.error or s.rejected for s in summaries) or added != expected:
        raise RuntimeError(
            f"import of {path.name}: {added} of {expected} assets added: {summaries}"
        )
    return seconds


def copy_workspace(store, source: Path, copies: list[Path]) -> None:
    """Close ``store`` (its WAL is checkpointed into the file) and copy the workspace file.

    Each copy starts from the very same state: same runs, same embedding cache.
    """
    store.close()
    for suffix in ("-wal", "-shm"):  # a closed last connection leaves none; be safe anyway
        side = source.with_name(source.name + suffix)
        if side.exists() and side.stat().st_size:
            raise RuntimeError(f"{side} still holds data after close; cannot copy the workspace")
    for dest in copies:
        shutil.copyfile(source, dest)


def loaded_embedder():
    """One SentenceTransformerEmbedder, loaded and run once, to pass to every timed step."""
    from analysis.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.load()
    embedder.encode(["warm up", "the loaded model"])  # not through a workspace: no cache entry
    return embedder


class StageClock:
    """An on_progress callback for run_analysis that timestamps each stage change."""

    def __init__(self, label: str):
        self.label = label
        self.events: list[tuple[float, str]] = []
        self._last = None

    def __call__(self, p) -> None:
        key = f"{p.stage}:{p.done}" if p.stage == "clustering" else p.stage
        if key != self._last:
            self._last = key
            self.events.append((time.perf_counter(), key))
            log(f"{self.label}: {key.replace(':', ' ')}")

    def breakdown(self, ended: float) -> dict[str, float]:
        """Seconds per phase: embed (cache reads and encoding), reduce (UMAP or placement), ..."""
        names = {
            "loading model": "load",
            "embedding notes": "embed",
            "embedding content": "embed",
            "clustering:0": "reduce",
            "clustering:1": "hdbscan",
            "clustering:2": "label",
            "labelling": "label",
            "matching content": "match",
            "saving": "save",
        }
        out: dict[str, float] = {}
        marks = self.events + [(ended, "end")]
        for (t, key), (t_next, _) in zip(marks, marks[1:], strict=False):
            phase = names.get(key, key)
            out[phase] = out.get(phase, 0.0) + (t_next - t)
        return {k: round(v, 2) for k, v in out.items()}


def timed_analysis(store, label: str, **kwargs) -> tuple[object, float, dict, float | None]:
    """run_analysis, timed: (result, seconds, seconds per phase, others' CPU share meanwhile)."""
    from analysis.pipeline import run_analysis

    wait_for_quiet(label)
    clock = StageClock(label)
    with CpuMeter() as meter:
        result = run_analysis(store, on_progress=clock, **kwargs)
    ended = time.perf_counter()
    log(
        f"{label}: {meter.seconds:.1f}s, {result.n_clusters} clusters, "
        f"{result.n_unclustered} unclustered, {result.embedded} embedded, "
        f"reused map: {result.reused_map}; others' CPU {_pct(meter.others)}"
    )
    return result, meter.seconds, clock.breakdown(ended), meter.others


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.0f}%"


def labels_of(store, run_id: int) -> dict[str, int]:
    """note_id -> cluster id (-1 = unclustered), from the export rows."""
    from analysis.results import assignment_rows

    return {
        r["note_id"]: (-1 if r["cluster_id"] is None else int(r["cluster_id"]))
        for r in assignment_rows(store, run_id)
    }


def partition_scores(truth: list[str], labels) -> dict:
    """ARI and NMI over all items, unclustered (-1) counted as one shared label."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    return {
        "clusters": int(len(set(labels[labels >= 0].tolist()))),
        "unclustered_share": round(float(np.mean(labels < 0)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
    }


def warm_jit() -> float:
    """Compile gaplens's UMAP/HDBSCAN path once on random data, so no timing includes numba JIT."""
    import numpy as np

    from analysis import cluster as clu

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 384))
    x = np.repeat(centres, 100, axis=0) + 0.3 * rng.normal(size=(1000, 384))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    clu.cluster(x)
    return round(time.perf_counter() - started, 1)


def warm_model() -> float:
    """Import torch / sentence-transformers and load the model once (the model cache is reused)."""
    from analysis.embed import SentenceTransformerEmbedder

    started = time.perf_counter()
    SentenceTransformerEmbedder().encode(["warm up", "the model"])
    return round(time.perf_counter() - started, 1)


# -- 1. clustering -------------------------------------------------------------------------


def bench_clustering(eval_dir: Path, work: Path, quick: bool) -> dict:
    from analysis.embed import SentenceTransformerEmbedder, embed_texts
    from gaplens.store import Store

    rows = load_clinc(eval_dir, quick)
    truth = {r["id"]: r["intent"] for r in rows}
    log(f"{len(rows)} in-scope clinc150 rows, {len(set(truth.values()))} intents")
    warm = {"jit_s": warm_jit(), "model_s": warm_model()}
    notes_csv = write_csv(
        work / "clinc_notes.csv", ["id", "text"], [[r["id"], r["text"]] for r in rows]
    )
    store = Store(work / "clustering.db")
    ingest_s = ingest_notes(store, notes_csv, len(rows))
    log(f"imported {len(rows)} notes in {ingest_s:.1f}s")

    first, first_s, first_parts, first_others = timed_analysis(
        store, "first analysis (cold embedding cache)"
    )
    second, second_s, second_parts, second_others = timed_analysis(
        store, "gaplens analysis on cached embeddings (refit)", refit=True
    )
    assert second.embedded == 0, "the second run should embed nothing"
    first_labels, labels = labels_of(store, first.run_id), labels_of(store, second.run_id)
    ids = [r["id"] for r in rows]
    y_true = [truth[i] for i in ids]
    ours = partition_scores(y_true, [labels[i] for i in ids])
    same_as_first = all(first_labels[i] == labels[i] for i in ids)
    params = json.loads(store.latest_run()["params"])

    # the BERTopic-style reference on the very same vectors, read back through the cache
    texts = {n["note_id"]: n["text"] for n in store.notes()}
    vectors, new = embed_texts(store, SentenceTransformerEmbedder(), [texts[i] for i in ids])
    assert new == 0, f"{new} texts were not in the workspace cache"
    store.close()
    knn_s = _time_exact_knn(vectors, params["n_neighbors"])
    ref_warm_s = _reference_warmup(vectors)
    wait_for_quiet("the reference pipeline")
    log("reference pipeline (UMAP 5-d + HDBSCAN min_cluster_size 10)")
    with CpuMeter() as meter:
        ref_labels, ref_umap_s, ref_hdbscan_s = _reference_pipeline(vectors)
    ref = partition_scores(y_true, ref_labels)
    ref_s = ref_umap_s + ref_hdbscan_s
    log(
        f"reference: {ref_s:.1f}s, {ref['clusters']} clusters; "
        f"gaplens/reference = {second_s / ref_s:.2f}"
    )
    return {
        "dataset": f"clinc150 in-scope, {len(rows)} queries, {len(set(y_true))} intents",
        "n_notes": len(rows),
        "true_clusters": len(set(y_true)),
        "gaplens": {
            **ours,
            "params": {
                k: params[k]
                for k in ("min_cluster_size", "min_samples", "n_neighbors", "n_components")
            },
            "seconds_cached": round(second_s, 2),
            "breakdown_cached": second_parts,
            "others_cpu_cached": second_others,
            "seconds_first_run": round(first_s, 2),
            "breakdown_first_run": first_parts,
            "others_cpu_first_run": first_others,
            "first_run_clusters": first.n_clusters,
            "refit_reproduces_first_run": same_as_first,
            "exact_knn_seconds": round(knn_s, 2),
            "ingest_seconds": round(ingest_s, 2),
        },
        "reference": {
            **ref,
            "pipeline": 'umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", '
            'random_state=42) + hdbscan.HDBSCAN(min_cluster_size=10, metric="euclidean", '
            'cluster_selection_method="eom", prediction_data=False)',
            "seconds": round(ref_s, 2),
            "umap_seconds": round(ref_umap_s, 2),
            "hdbscan_seconds": round(ref_hdbscan_s, 2),
            "others_cpu": meter.others,
            "warmup_seconds": ref_warm_s,
        },
        "time_ratio": round(second_s / ref_s, 3),
        "targets": clustering_targets(ours, len(set(y_true))),
        "warmup": warm,
        "notes": [
            "ARI/NMI over all notes; unclustered notes share one label.",
            "Both timings exclude numba JIT compilation: gaplens's path is compiled by an earlier "
            "run, the reference by a warm-up fit on 5,000 of the same vectors.",
            "gaplens time is the whole run_analysis (cache reads, UMAP, HDBSCAN, labels, "
            "matching, saving); the reference is UMAP + HDBSCAN on in-memory vectors.",
        ],
    }


def clustering_targets(scores: dict, true_clusters: int) -> list[dict]:
    """The issue's clustering bar, each target beside the figure and whether it is met."""
    low, high = TARGETS["clustering_clusters"]
    ari, nmi = TARGETS["clustering_ari"], TARGETS["clustering_nmi"]
    unclustered = TARGETS["clustering_unclustered"]
    n = scores["clusters"]
    return [
        {
            "what": "ARI",
            "target": f">= {ari:.2f}",
            "figure": f"{scores['ari']:.3f}",
            "met": scores["ari"] >= ari,
        },
        {
            "what": "NMI",
            "target": f">= {nmi:.2f}",
            "figure": f"{scores['nmi']:.3f}",
            "met": scores["nmi"] >= nmi,
        },
        {
            "what": "unclustered",
            "target": f"<= {100 * unclustered:.0f}%",
            "figure": f"{100 * scores['unclustered_share']:.1f}%",
            "met": scores["unclustered_share"] <= unclustered,
        },
        {
            "what": "clusters",
            "target": f"{low}-{high}x of {true_clusters} "
            f"({round(low * true_clusters)}-{round(high * true_clusters)})",
            "figure": f"{n} ({n / true_clusters:.2f}x)",
            "met": low * true_clusters <= n <= high * true_clusters,
        },
    ]


def _time_exact_knn(vectors, k: int) -> float:
    """Diagnostic: how long gaplens's exact cosine kNN (the first step of its reduce) takes."""
    from analysis.cluster import cosine_knn

    wait_for_quiet("the exact kNN")
    with CpuMeter() as meter:
        cosine_knn(vectors, k)
    log(f"exact cosine kNN alone: {meter.seconds:.1f}s; others' CPU {_pct(meter.others)}")
    return meter.seconds


def _reference_umap():
    import umap

    return umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)


def _reference_hdbscan():
    import hdbscan

    return hdbscan.HDBSCAN(
        min_cluster_size=10,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=False,
    )


def _reference_warmup(vectors) -> float:
    """Fit the reference once on 5,000 points (above UMAP's exact-kNN cutoff) to compile it."""
    import warnings

    import numpy as np

    started = time.perf_counter()
    sample = vectors[
        np.random.default_rng(1).choice(len(vectors), min(5000, len(vectors)), replace=False)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _reference_hdbscan().fit(_reference_umap().fit_transform(sample))
    return round(time.perf_counter() - started, 1)


def _reference_pipeline(vectors):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        coords = _reference_umap().fit_transform(vectors)
        reduced = time.perf_counter()
        labels = _reference_hdbscan().fit(coords).labels_
        ended = time.perf_counter()
    return labels, reduced - started, ended - reduced


# -- 2. gaps -----------------------------------------------------------------------------------


def bench_gaps(eval_dir: Path, work: Path, quick: bool) -> dict:
    import numpy as np

    articles, queries = load_covidfaq(eval_dir)
    seeds = GAP_SEEDS[:1] if quick else GAP_SEEDS
    warm = {"jit_s": warm_jit(), "model_s": warm_model()}
    per_seed = [_gaps_seed(articles, queries, seed, work) for seed in seeds]
    keys = (
        "precision",
        "recall",
        "f1",
        "auc",
        "auc_clustered_only",
        "trivial_precision",
        "trivial_f1",
    )
    mean = {k: round(float(np.mean([s[k] for s in per_seed if s[k] is not None])), 4) for k in keys}
    return {
        "dataset": f"covidfaq, {len(articles)} articles, {len(queries)} user queries",
        "seeds": list(seeds),
        "mean": mean,
        "per_seed": per_seed,
        "warmup": warm,
        "notes": [
            "Flag = the query's cluster is reported as a gap (gap_rows is_gap); unclustered "
            "queries are not flagged.",
            "AUC scores each query with 1 - its cluster's coverage; unclustered queries get "
            "coverage 1.0, i.e. score 0 (the lowest). 'AUC clustered' leaves them out instead.",
            "Trivial row: flag every query (recall 1, precision = share of gap queries).",
        ],
    }


def _gaps_seed(articles: list[dict], queries: list[dict], seed: int, work: Path) -> dict:
    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    from analysis.results import gap_rows
    from gaplens.store import Store

    n_articles = len(articles)
    perm = np.random.default_rng(seed).permutation(n_articles)
    dropped = {articles[i]["faq_id"] for i in perm[: int(0.3 * n_articles)]}
    kept = [a for a in articles if a["faq_id"] not in dropped]
    inventory = write_csv(
        work / f"covid_inventory_{seed}.csv",
        ["id", "title", "body"],
        [
            [f"faq-{a['faq_id']}", a["faq_questions"].split("|||")[0].strip(), a["answer"]]
            for a in kept
        ],
    )
    notes_csv = write_csv(
        work / f"covid_queries_{seed}.csv",
        ["id", "text"],
        [[f"q{i}", q["query"]] for i, q in enumerate(queries)],
    )
    store = Store(work / f"gaps_{seed}.db")
    ingest_assets(store, inventory, len(kept))
    ingest_notes(store, notes_csv, len(queries))
    result, seconds, _, others = timed_analysis(store, f"seed {seed}: analysis")
    clusters = {r["cluster_id"]: r for r in gap_rows(store, result.run_id)}
    labels = labels_of(store, result.run_id)
    n_passages = store.db["passages"].count
    store.close()

    y_true = np.array([q["faq_id"] in dropped for q in queries])
    cids = [labels[f"q{i}"] for i in range(len(queries))]
    flag = np.array([c >= 0 and clusters[c]["is_gap"] for c in cids])
    coverage = np.array([clusters[c]["coverage"] if c >= 0 else 1.0 for c in cids])
    score = 1.0 - coverage
    p, r, f1, _ = precision_recall_fscore_support(y_true, flag, average="binary", zero_division=0)
    clustered = np.array([c >= 0 for c in cids])
    auc_clustered = (
        roc_auc_score(y_true[clustered], score[clustered])
        if len(set(y_true[clustered].tolist())) == 2
        else None
    )
    base = float(y_true.mean())
    out = {
        "seed": seed,
        "dropped_articles": len(dropped),
        "kept_articles": len(kept),
        "passages": n_passages,
        "gap_query_share": round(base, 4),
        "clusters": result.n_clusters,
        "gap_clusters": result.n_gaps,
        "unclustered_share": round(float(np.mean(~clustered)), 4),
        "flagged_share": round(float(flag.mean()), 4),
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f1), 4),
        "auc": round(float(roc_auc_score(y_true, score)), 4),
        "auc_clustered_only": None if auc_clustered is None else round(float(auc_clustered), 4),
        "trivial_precision": round(base, 4),
        "trivial_f1": round(2 * base / (1 + base), 4),
        "seconds": round(seconds, 2),
        "others_cpu": others,
    }
    log(
        f"seed {seed}: P {out['precision']:.3f} R {out['recall']:.3f} F1 {out['f1']:.3f} "
        f"AUC {out['auc']:.3f} (trivial F1 {out['trivial_f1']:.3f})"
    )
    return out


# -- 3. embedding ------------------------------------------------------------------------------


def bench_embedding(eval_dir: Path, work: Path, quick: bool) -> dict:
    import numpy as np

    from analysis.embed import SentenceTransformerEmbedder, embed_texts
    from gaplens.store import Store

    texts = [r["text"] for r in load_clinc(eval_dir, False)]
    if quick:
        pick = np.random.default_rng(0).choice(len(texts), QUICK_EMBED_TEXTS, replace=False)
        texts = [texts[i] for i in sorted(pick)]
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    model = embedder.load()  # the very model object both paths use
    load_s = time.perf_counter() - started
    model.encode(texts[:256], batch_size=64, normalize_embeddings=True)  # warm up torch
    log(f"{len(texts)} texts ({len(set(texts))} distinct); model loaded in {load_s:.1f}s")
    chunk = inspect.signature(embed_texts).parameters["chunk"].default

    passes: dict[str, list[dict]] = {"gaplens": [], "direct": []}
    discarded: list[dict] = []
    vectors: dict[str, np.ndarray] = {}
    store = None
    for rep in range(2):
        for path in ("gaplens", "direct") if rep == 0 else ("direct", "gaplens"):
            for attempt in range(1 + PASS_RETRIES):
                wait_for_quiet(f"the {path} pass")
                record: dict = {"rep": rep}
                if path == "gaplens":
                    if store is not None:
                        store.close()
                    # a fresh, empty workspace: a cold cache
                    store = Store(work / f"embedding_{rep}_{attempt}.db")
                    timed = _TimedEmbedder(embedder)
                    with CpuMeter() as meter:
                        out, new = embed_texts(store, timed, texts)
                    assert new == len(set(texts)), new
                    record["in_model_encode"] = round(timed.seconds, 2)
                    record["outside_encode"] = round(meter.seconds - timed.seconds, 2)
                else:
                    with CpuMeter() as meter:
                        out = model.encode(texts, batch_size=64, normalize_embeddings=True)
                record.update(path=path, seconds=round(meter.seconds, 2), others_cpu=meter.others)
                log(
                    f"rep {rep}: {path} {meter.seconds:.1f}s ({len(texts) / meter.seconds:.0f} "
                    f"texts/s); others' CPU {_pct(meter.others)}"
                )
                vectors[path] = np.asarray(out, dtype=np.float32)
                contended = meter.others is not None and meter.others > QUIET_SHARE
                if not contended or attempt == PASS_RETRIES:
                    passes[path].append(record)
                    break
                discarded.append(record)
                log(f"rep {rep}: {path} pass discarded (other processes were busy); repeating")
    with CpuMeter() as warm:
        _, new = embed_texts(store, embedder, texts)
    assert new == 0
    store.close()
    log(f"warm-cache pass {warm.seconds:.2f}s")

    med = {k: float(np.median([p["seconds"] for p in v])) for k, v in passes.items()}
    cos = np.sum(vectors["gaplens"] * vectors["direct"], axis=1)
    overhead = med["gaplens"] / med["direct"] - 1
    in_model = float(np.median([p["in_model_encode"] for p in passes["gaplens"]]))
    outside = float(np.median([p["outside_encode"] for p in passes["gaplens"]]))
    return {
        "dataset": f"clinc150 in-scope texts, {len(texts)}",
        "n_texts": len(texts),
        "distinct_texts": len(set(texts)),
        "model_load_seconds": round(load_s, 2),
        "embed_texts_chunk": chunk,
        "passes": passes,
        "discarded_passes": discarded,
        "gaplens_median": round(med["gaplens"], 2),
        "direct_median": round(med["direct"], 2),
        "gaplens_in_model_median": round(in_model, 2),
        "gaplens_outside_model_median": round(outside, 2),
        "gaplens_texts_per_s": round(len(texts) / med["gaplens"], 1),
        "direct_texts_per_s": round(len(texts) / med["direct"], 1),
        "overhead": round(overhead, 4),
        "target_overhead": TARGETS["embedding_overhead"],
        "meets_target": overhead <= TARGETS["embedding_overhead"],
        "warm_cache_seconds": round(warm.seconds, 3),
        "warm_cache_texts_per_s": round(len(texts) / warm.seconds, 0),
        "min_cosine_gaplens_vs_direct": round(float(cos.min()), 6),
        "torch_threads": _torch_threads(),
        "notes": [
            "gaplens: embed_texts into a fresh empty workspace (hashing, length sort, "
            "encoding in chunks of embed_texts' default size, SQLite cache writes). "
            "direct: SentenceTransformer.encode(texts, "
            "batch_size=64, normalize_embeddings=True) on the same loaded model.",
            "Order alternates over the 2 repetitions (gaplens first, then direct first); "
            "median of each. 'In model' is the time embed_texts spent inside the embedder's "
            "encode calls (a pass-through wrapper); the rest is hashing, cache look-ups and "
            "SQLite writes.",
            "Warm cache: embed_texts again on the last gaplens workspace, every text a cache hit.",
            "A pass during which other processes used more than 15% of the CPUs is discarded "
            "and repeated (at most twice); discarded passes are listed in latest.json.",
        ],
    }


class _TimedEmbedder:
    """Pass-through Embedder that adds up the time spent in the wrapped encode."""

    def __init__(self, inner):
        self.inner, self.name, self.seconds = inner, inner.name, 0.0

    def encode(self, texts):
        started = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            self.seconds += time.perf_counter() - started


def _torch_threads() -> int | None:
    try:
        import torch

        return torch.get_num_threads()
    except Exception:  # a figure for the report, nothing more
        return None


# -- 4. incremental ----------------------------------------------------------------------------


def bench_incremental(eval_dir: Path, work: Path, quick: bool) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from gaplens.store import Store

    rows = load_clinc(eval_dir, quick)
    base, extra = hold_out(rows, HOLD_OUT_SHARE)
    warm = {"jit_s": warm_jit(), "model_s": warm_model()}
    base_csv = write_csv(
        work / "clinc_base.csv", ["id", "text"], [[r["id"], r["text"]] for r in base]
    )
    extra_csv = write_csv(
        work / "clinc_extra.csv", ["id", "text"], [[r["id"], r["text"]] for r in extra]
    )

    db = work / "incremental.db"
    store = Store(db)
    ingest_notes(store, base_csv, len(base))
    first, first_s, first_parts, first_others = timed_analysis(
        store, "first analysis from an empty workspace"
    )
    extra_ingest_s = ingest_notes(store, extra_csv, len(extra))
    # copies taken before any path runs: each starts with the new notes not embedded
    copies = {k: work / f"incremental_{k}.db" for k in ("assign", "full", "default")}
    copy_workspace(store, db, list(copies.values()))
    store = Store(db)
    second, second_s, second_parts, second_others = timed_analysis(
        store, f"second analysis after +{len(extra)} notes"
    )
    l1, l2 = labels_of(store, first.run_id), labels_of(store, second.run_id)
    store.close()
    assign = _assign_vs_full(copies, first.run_id, rows, base, extra)

    truth = {r["id"]: r["intent"] for r in rows}
    old = [r["id"] for r in base]
    a, b = np.array([l1[i] for i in old]), np.array([l2[i] for i in old])
    kept, matched_share = _kept_same_cluster(a, b)
    new_ids = [r["id"] for r in extra]
    new_labels = np.array([l2[i] for i in new_ids])
    majority = _majority_intent(old, b, truth)
    new_in_own_intent = sum(
        1
        for i, c in zip(new_ids, new_labels, strict=True)
        if c >= 0 and majority.get(int(c)) == truth[i]
    )
    old_in_own_intent = sum(
        1 for i, c in zip(old, b, strict=True) if c >= 0 and majority.get(int(c)) == truth[i]
    )
    ratio = second_s / first_s
    return {
        "dataset": f"clinc150 in-scope, {len(base)} notes then +{len(extra)} (1%, seed 0)",
        "n_first": len(base),
        "n_added": len(extra),
        "first_seconds": round(first_s, 2),
        "first_breakdown": first_parts,
        "first_others_cpu": first_others,
        "second_seconds": round(second_s, 2),
        "second_breakdown": second_parts,
        "second_others_cpu": second_others,
        "ratio": round(ratio, 4),
        "target_ratio": TARGETS["incremental_ratio"],
        "meets_target": ratio < TARGETS["incremental_ratio"],
        "second_reused_map": second.reused_map,
        "second_embedded": second.embedded,
        "extra_ingest_seconds": round(extra_ingest_s, 2),
        "first": partition_scores([truth[i] for i in old], a),
        "second": partition_scores(
            [truth[i] for i in old + new_ids], [l2[i] for i in old + new_ids]
        ),
        "old_notes_same_cluster": kept,
        "old_notes_same_cluster_share": round(matched_share, 4),
        "old_notes_same_cluster_id": int(np.sum(a == b)),
        "old_notes_ari_first_vs_second": round(float(adjusted_rand_score(a, b)), 4),
        "new_notes_clustered": int(np.sum(new_labels >= 0)),
        "new_notes_in_own_intent_cluster": new_in_own_intent,
        "old_notes_clustered_second": int(np.sum(b >= 0)),
        "old_notes_in_own_intent_cluster_second": old_in_own_intent,
        "assign": assign,
        "warmup": warm,
        "notes": [
            "Both runs call run_analysis with defaults and no embedder, so each loads the model "
            "as a CLI run would; torch is imported and numba compiled beforehand (warm-up), so "
            "neither run pays one-off import/JIT costs.",
            "Placing the new notes: the workspace file is copied right after the new notes are "
            "imported (before any path embeds them), so assign_new_notes, the full re-analysis "
            "(refit=True) and the default re-analysis each start from the same state and each "
            "embeds the same new notes; all three get the same already-loaded "
            "SentenceTransformerEmbedder.",
            "Own-intent share: a note counts when the majority intent of the theme it is in "
            "(counted over the old notes only, so new notes do not vote for themselves) is its "
            "own intent.",
            "Same cluster: clusters of the two runs matched one-to-one (Hungarian, on the "
            "contingency table of the old notes), unclustered matched to unclustered; a note "
            "counts as kept when its two clusters are a matched pair.",
        ],
    }


def _assign_vs_full(
    copies: dict[str, Path], first_run: int, rows: list[dict], base: list[dict], extra: list[dict]
) -> dict:
    """assign_new_notes against a full re-analysis of the same workspace (refit, and default)."""
    from analysis.incremental import assign_new_notes
    from gaplens.store import Store

    truth = {r["id"]: r["intent"] for r in rows}
    old = [r["id"] for r in base]
    new_ids = [r["id"] for r in extra]
    embedder = loaded_embedder()

    store = Store(copies["assign"])
    wait_for_quiet("assign_new_notes")
    with CpuMeter() as meter:
        placed = assign_new_notes(store, embedder=embedder)
    assign_s, assign_others = meter.seconds, meter.others
    first_labels = labels_of(store, first_run)  # the first run, updated in place
    store.close()
    log(
        f"assign_new_notes: {assign_s:.2f}s, {placed.joined} joined, {placed.emerging} "
        f"emerging, {placed.embedded} embedded; others' CPU {_pct(assign_others)}"
    )
    assert placed.run_id == first_run and len(placed.placements) == len(extra)

    timings = {}
    for key, refit in (("full", True), ("default", False)):
        store = Store(copies[key])
        result, seconds, parts, others = timed_analysis(
            store,
            f"{'full re-analysis (refit)' if refit else 'default re-analysis'} after "
            f"+{len(extra)} notes, loaded embedder",
            embedder=embedder,
            refit=refit,
        )
        timings[key] = {
            "seconds": round(seconds, 3),
            "breakdown": parts,
            "others_cpu": others,
            "reused_map": result.reused_map,
            "embedded": result.embedded,
            "labels": labels_of(store, result.run_id),
            "clusters": result.n_clusters,
        }
        store.close()
    assert timings["full"]["embedded"] == placed.embedded == timings["default"]["embedded"], (
        "the paths embedded different numbers of texts: "
        f"{placed.embedded}, {timings['full']['embedded']}, {timings['default']['embedded']}"
    )

    full = timings["full"]["labels"]
    maj_first = _majority_intent(old, [first_labels[i] for i in old], truth)
    maj_full = _majority_intent(old, [full[i] for i in old], truth)
    joined = [p for p in placed.placements if p.theme_id is not None]
    emerging = [p for p in placed.placements if p.theme_id is None]

    def share(hits: int, of: int) -> float | None:
        return round(hits / of, 4) if of else None

    own_first = sum(1 for p in joined if maj_first.get(p.theme_id) == truth[p.note_id])
    own_full_theme = sum(1 for p in joined if maj_full.get(p.theme_id) == truth[p.note_id])
    full_own = sum(
        1
        for p in joined
        if full[p.note_id] >= 0 and maj_full.get(full[p.note_id]) == truth[p.note_id]
    )
    full_own_all = sum(1 for i in new_ids if full[i] >= 0 and maj_full.get(full[i]) == truth[i])
    same_id = sum(1 for p in joined if full[p.note_id] == p.theme_id)
    nearest_own = sum(1 for p in emerging if maj_first.get(p.nearest_id) == truth[p.note_id])
    emerging_full_own = sum(
        1
        for p in emerging
        if full[p.note_id] >= 0 and maj_full.get(full[p.note_id]) == truth[p.note_id]
    )
    full_s, default_s = timings["full"]["seconds"], timings["default"]["seconds"]
    ratio = assign_s / full_s
    log(
        f"assign / full = {100 * ratio:.1f}%, assign / default = {100 * assign_s / default_s:.1f}%;"
        f" joined in own-intent theme {own_first} of {len(joined)} "
        f"(full re-analysis: {full_own})"
    )
    return {
        "n_new": len(extra),
        "seconds": round(assign_s, 3),
        "others_cpu": assign_others,
        "embedded": placed.embedded,
        "full_seconds": full_s,
        "full_breakdown": timings["full"]["breakdown"],
        "full_others_cpu": timings["full"]["others_cpu"],
        "full_reused_map": timings["full"]["reused_map"],
        "full_clusters": timings["full"]["clusters"],
        "default_seconds": default_s,
        "default_breakdown": timings["default"]["breakdown"],
        "default_others_cpu": timings["default"]["others_cpu"],
        "default_reused_map": timings["default"]["reused_map"],
        "ratio_full": round(ratio, 4),
        "ratio_default": round(assign_s / default_s, 4),
        "target_ratio": TARGETS["assign_ratio"],
        "meets_target": ratio < TARGETS["assign_ratio"],
        "joined": len(joined),
        "emerging": len(emerging),
        "joined_share": share(len(joined), len(extra)),
        "pool_after": placed.pool,
        "due_after": placed.due,
        "joined_own_intent_first_majority": own_first,
        "joined_own_intent_full_majority": own_full_theme,
        "joined_own_intent_share": share(own_first, len(joined)),
        "joined_own_intent_full_majority_share": share(own_full_theme, len(joined)),
        "full_on_joined_clustered": sum(1 for p in joined if full[p.note_id] >= 0),
        "full_on_joined_own_intent": full_own,
        "full_on_joined_own_intent_share": share(full_own, len(joined)),
        "joined_same_id_in_full": same_id,
        "full_new_clustered": sum(1 for i in new_ids if full[i] >= 0),
        "full_new_own_intent": full_own_all,
        "full_new_own_intent_share": share(full_own_all, len(extra)),
        "emerging_nearest_own_intent": nearest_own,
        "emerging_full_own_intent": emerging_full_own,
    }


def hold_out(rows: list[dict], share: float) -> tuple[list[dict], list[dict]]:
    """(kept, held out): a seeded share of the rows held back to arrive later."""
    import numpy as np

    n_hold = int(round(share * len(rows)))
    held = set(np.random.default_rng(0).permutation(len(rows))[:n_hold].tolist())
    return (
        [r for i, r in enumerate(rows) if i not in held],
        [r for i, r in enumerate(rows) if i in held],
    )


def _kept_same_cluster(a, b) -> tuple[int, float]:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    ca, cb = np.unique(a[a >= 0]), np.unique(b[b >= 0])
    both = (a >= 0) & (b >= 0)
    table = np.zeros((len(ca), len(cb)), dtype=np.int64)
    np.add.at(table, (np.searchsorted(ca, a[both]), np.searchsorted(cb, b[both])), 1)
    rows, cols = linear_sum_assignment(-table)
    kept = int(table[rows, cols].sum() + np.sum((a < 0) & (b < 0)))
    return kept, kept / len(a)


def _majority_intent(ids: list[str], labels, truth: dict[str, str]) -> dict[int, str]:
    from collections import Counter

    counts: dict[int, Counter] = {}
    for i, c in zip(ids, labels, strict=True):
        if c >= 0:
            counts.setdefault(int(c), Counter())[truth[i]] += 1
    return {c: cnt.most_common(1)[0][0] for c, cnt in counts.items()}


# -- 5. stability -------------------------------------------------------------------------------


def bench_stability(eval_dir: Path, work: Path, quick: bool) -> dict:
    import numpy as np

    from gaplens.store import Store

    rows = load_clinc(eval_dir, quick)
    base, extra = hold_out(rows, STABILITY_HOLD_OUT)
    warm = {"jit_s": warm_jit(), "model_s": warm_model()}
    embedder = loaded_embedder()
    base_csv = write_csv(
        work / "stability_base.csv", ["id", "text"], [[r["id"], r["text"]] for r in base]
    )
    extra_csv = write_csv(
        work / "stability_extra.csv", ["id", "text"], [[r["id"], r["text"]] for r in extra]
    )
    db = work / "stability.db"
    store = Store(db)
    ingest_notes(store, base_csv, len(base))
    first, first_s, first_parts, first_others = timed_analysis(
        store, f"first analysis of {len(base)} notes", embedder=embedder
    )
    ingest_notes(store, extra_csv, len(extra))
    copies = {k: work / f"stability_{k}.db" for k in ("default", "refit")}
    copy_workspace(store, db, list(copies.values()))

    truth = {r["id"]: r["intent"] for r in rows}
    old = [r["id"] for r in base]
    everyone = old + [r["id"] for r in extra]
    out: dict = {}
    for key, refit in (("default", False), ("refit", True)):
        store = Store(copies[key])
        second, second_s, second_parts, second_others = timed_analysis(
            store,
            f"second analysis ({key}) after +{len(extra)} notes",
            embedder=embedder,
            refit=refit,
        )
        l1, l2 = labels_of(store, first.run_id), labels_of(store, second.run_id)
        themes1 = {c["cluster_id"] for c in store.clusters(first.run_id)}
        themes2 = {c["cluster_id"] for c in store.clusters(second.run_id)}
        changes: dict[str, int] = {}
        for c in store.changes(second.run_id):
            changes[c["change"]] = changes.get(c["change"], 0) + 1
        canonical = [
            n["note_id"]
            for n in sorted(store.notes(), key=lambda n: (n["text_hash"], n["note_id"]))
        ]
        store.close()
        a = np.array([l1[i] for i in old])
        b = np.array([l2[i] for i in old])
        kept_ids = themes1 & themes2
        plural = _plurality_kept(a, b)
        old_set = set(old)
        naive1 = _by_size(l1, [i for i in canonical if i in old_set])
        naive2 = _by_size(l2, canonical)
        naive = _plurality_kept(
            np.array([naive1[i] for i in old]), np.array([naive2[i] for i in old])
        )
        clustered_before = a >= 0
        out[key] = {
            "seconds": round(second_s, 2),
            "breakdown": second_parts,
            "others_cpu": second_others,
            "reused_map": second.reused_map,
            "embedded": second.embedded,
            "scores": partition_scores([truth[i] for i in everyone], [l2[i] for i in everyone]),
            "themes_first": len(themes1),
            "themes_second": len(themes2),
            "ids_kept": len(kept_ids),
            "id_retention": round(len(kept_ids) / len(themes1), 4) if themes1 else None,
            "meets_target": bool(themes1)
            and len(kept_ids) / len(themes1) >= TARGETS["theme_id_retention"],
            "plurality_kept": plural,
            "plurality_retention": round(plural / len(themes1), 4) if themes1 else None,
            "naive_clusters_first": len(set(naive1.values()) - {-1}),
            "naive_plurality_kept": naive,
            "naive_retention": round(naive / max(1, len(set(naive1.values()) - {-1})), 4),
            "old_clustered_first": int(clustered_before.sum()),
            "old_same_id": int(np.sum(clustered_before & (a == b))),
            "old_same_id_share": round(
                float(np.mean(a[clustered_before] == b[clustered_before])), 4
            )
            if clustered_before.any()
            else None,
            "changes": changes,
        }
        r = out[key]
        log(
            f"{key}: {r['ids_kept']} of {r['themes_first']} theme ids kept "
            f"({100 * r['id_retention']:.1f}%); plurality {100 * r['plurality_retention']:.1f}%, "
            f"naive numbering {100 * r['naive_retention']:.1f}%; old notes same id "
            f"{100 * r['old_same_id_share']:.1f}%; changes {changes}"
        )
    first_scores = partition_scores([truth[i] for i in old], [l1[i] for i in old])
    return {
        "dataset": f"clinc150 in-scope, {len(base)} notes then +{len(extra)} "
        f"({100 * STABILITY_HOLD_OUT:.0f}%, seed 0)",
        "n_first": len(base),
        "n_added": len(extra),
        "first_seconds": round(first_s, 2),
        "first_breakdown": first_parts,
        "first_others_cpu": first_others,
        "first_embedded": first.embedded,
        "first": first_scores,
        "default": out["default"],
        "refit": out["refit"],
        "target_retention": TARGETS["theme_id_retention"],
        "warmup": warm,
        "notes": [
            f"{100 * STABILITY_HOLD_OUT:.0f}% of the rows held out with "
            "numpy.random.default_rng(0).permutation; the first analysis (defaults) runs on the "
            "rest; the held-out rows are then imported, the workspace file copied twice, and "
            "each copy analysed again: (a) defaults (which reuse the map when the new notes "
            "are at most 10% of the known ones), (b) refit=True (a fresh UMAP). Every run "
            "gets the same loaded embedder; the first run's time includes embedding its "
            "notes, the second runs' the new notes.",
            "Theme ids kept: first-run theme ids that still exist in the second run. Stricter, "
            "'mostly stayed': first-run themes whose old notes' most common theme in the second "
            "run is the same id (unclustered counts as a theme of its own here).",
            "Naive numbering (BERTopic, old gaplens): clusters numbered 0.. by size in each run "
            "(ties by first member in the canonical note order, as analysis.cluster does); a "
            "number is kept when its first-run notes' most common number in the second run is "
            "the same: the same 'mostly stayed' test, without the matching.",
            "Old notes under the same id: of the old notes in a theme after the first run, the "
            "share in the theme with the same id after the second.",
        ],
    }


def _by_size(labels: dict[str, int], canonical: list[str]) -> dict[str, int]:
    """Relabel a run's clusters 0.. by size, ties by first member in canonical order."""
    sizes: dict[int, int] = {}
    first_at: dict[int, int] = {}
    for pos, i in enumerate(canonical):
        c = labels[i]
        if c >= 0:
            sizes[c] = sizes.get(c, 0) + 1
            first_at.setdefault(c, pos)
    order = sorted(sizes, key=lambda c: (-sizes[c], first_at[c]))
    number = {c: k for k, c in enumerate(order)}
    return {i: number.get(labels[i], -1) for i in canonical}


def _plurality_kept(a, b) -> int:
    """Clusters of ``a`` whose members' most common label in ``b`` (-1 included) is the same."""
    from collections import Counter

    members: dict[int, Counter] = {}
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if x >= 0:
            members.setdefault(x, Counter())[y] += 1
    return sum(1 for x, cnt in members.items() if cnt.most_common(1)[0][0] == x)


RUNNERS = {
    "clustering": bench_clustering,
    "gaps": bench_gaps,
    "embedding": bench_embedding,
    "incremental": bench_incremental,
    "stability": bench_stability,
}


# -- the report -----------------------------------------------------------------------------------


def fmt(value, digits: int = 2, pct: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if pct:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def md_table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def reference_rows(refs: dict, section: str, header: list[str]) -> list[list[str]]:
    """README reference rows laid out under our header (columns matched by name, '—' elsewhere)."""
    ref = refs.get(section)
    if not ref:
        return []
    names = [h.lower() for h in ref["header"]]
    out = []
    for row in ref["rows"]:
        cells = dict(zip(names, row, strict=False))
        first = f"README: {row[0]}"
        out.append([first] + [cells.get(h.lower(), "—") for h in header[1:]])
    return out


def render_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# gaplens benchmarks",
        "",
        f"Generated {report['generated']} by `python bench/run.py"
        + (" --quick" if report["quick"] else "")
        + "`.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['processor'] or m['machine']}), {m['platform']}, "
        f"Python {m['python']}; torch {m['versions'].get('torch')}, sentence-transformers "
        f"{m['versions'].get('sentence-transformers')}, "
        f"umap-learn {m['versions'].get('umap-learn')}, "
        f"hdbscan {m['versions'].get('hdbscan')}, model all-MiniLM-L6-v2 (bundled).",
        "",
        "Timings are wall clock (`time.perf_counter`). Beside each one, *others' CPU* is the "
        "share of the machine's CPUs that other processes used during it (from /proc/stat): "
        "anything well above 0% means the figure is slower than this machine can do"
        + (
            f" (this run waited up to {report['wait_idle']:.0f}s for a quiet machine before "
            "each timing)."
            if report.get("wait_idle")
            else "."
        ),
        "",
    ]
    if report["quick"]:
        lines += [
            "**Quick mode**: smaller inputs (6,000 clinc rows, one covidfaq seed, 5,000 texts to "
            "embed); the README reference rows are for the full data and do not compare directly.",
            "",
        ]
    refs = report.get("references", {})
    for name in BENCHMARKS:
        entry = report["benchmarks"].get(name)
        if entry is None:
            continue
        lines += [f"## {name}", ""]
        if entry.get("error"):
            lines += [f"**Failed** ({entry['date']}): `{entry['error']}`", ""]
            continue
        lines += [
            f"{entry['result']['dataset']}. Measured {entry['date']} (sources "
            f"`{entry.get('source_digest', '?')}`); benchmark wall time "
            f"{entry['seconds']:.0f}s, peak RSS {entry['peak_rss_mb']:.0f} MB.",
            "",
        ]
        try:
            lines += RENDER[name](entry["result"], refs)
        except (KeyError, TypeError) as exc:  # figures kept from an older version of this file
            lines += [f"(figures in an older format, missing {exc}; rerun with --only {name})"]
        lines += [""] + [f"- {n}" for n in entry["result"].get("notes", [])] + [""]
    return "\n".join(lines).rstrip() + "\n"


def render_clustering(r: dict, refs: dict) -> list[str]:
    g, ref = r["gaplens"], r["reference"]
    p = g["params"]
    header = ["pipeline", "clusters", "unclustered", "ARI", "NMI"]
    rows = [
        [
            f"**gaplens defaults** (min_cluster_size {p['min_cluster_size']}, min_samples "
            f"{p['min_samples']}), measured",
            g["clusters"],
            fmt(g["unclustered_share"], pct=True),
            fmt(g["ari"]),
            fmt(g["nmi"]),
        ],
        [
            "BERTopic-style reference (UMAP 5-d, HDBSCAN min_cluster_size 10), "
            "same embeddings, measured",
            ref["clusters"],
            fmt(ref["unclustered_share"], pct=True),
            fmt(ref["ari"]),
            fmt(ref["nmi"]),
        ],
    ]
    rows += reference_rows(refs, "clinc150", header)
    out = md_table(header, rows)
    out += ["", f"True clusters: {r['true_clusters']}.", ""]
    # recomputed from the figures, so results stored before the targets existed show them too
    targets = clustering_targets(g, r["true_clusters"])
    ref_targets = clustering_targets(ref, r["true_clusters"])
    out += md_table(
        ["target (gaplens defaults, clinc150)", "bar", "gaplens", "status", "BERTopic-style ref."],
        [
            [
                t["what"],
                t["target"],
                t["figure"],
                "met" if t["met"] else "**not met**",
                f"{rt['figure']} ({'met' if rt['met'] else 'not met'})",
            ]
            for t, rt in zip(targets, ref_targets, strict=True)
        ],
    )
    met = sum(t["met"] for t in targets)
    out += ["", f"**Clustering targets met: {met} of {len(targets)}.**", ""]
    b = g["breakdown_cached"]
    out += md_table(
        ["timing", "seconds"],
        [
            [
                "gaplens run_analysis on cached embeddings (refit)",
                f"{g['seconds_cached']:.1f} (others' CPU {_pct(g.get('others_cpu_cached'))})",
            ],
            [
                "… of which embed-cache reads / UMAP / HDBSCAN / labels / save",
                " / ".join(
                    fmt(b.get(k), 1) for k in ("embed", "reduce", "hdbscan", "label", "save")
                ),
            ],
            [
                "reference UMAP + HDBSCAN",
                f"{ref['seconds']:.1f} ({ref['umap_seconds']:.1f} + {ref['hdbscan_seconds']:.1f}; "
                f"others' CPU {_pct(ref.get('others_cpu'))})",
            ],
            ["**ratio gaplens / reference**", f"**{r['time_ratio']:.2f}**"],
            [
                "diagnostic: gaplens's exact cosine kNN alone (part of its UMAP step)",
                fmt(g.get("exact_knn_seconds"), 1),
            ],
            ["gaplens first run, cold embedding cache", fmt(g["seconds_first_run"], 1)],
            ["importing the notes CSV", fmt(g["ingest_seconds"], 1)],
            ["refit reproduces the first run's clusters", fmt(g["refit_reproduces_first_run"])],
        ],
    )
    return out


def render_gaps(r: dict, refs: dict) -> list[str]:
    header = ["method", "precision", "recall", "F1", "AUC"]
    m = r["mean"]
    seeds = ",".join(str(s) for s in r["seeds"])
    rows = [
        [
            f"**gaplens defaults**, mean of seeds {seeds}",
            fmt(m["precision"]),
            fmt(m["recall"]),
            f"**{m['f1']:.2f}**",
            f"**{m['auc']:.2f}**",
        ],
        [
            f"flag every query (trivial), seeds {seeds}",
            fmt(m["trivial_precision"]),
            "1.00",
            fmt(m["trivial_f1"]),
            "—",
        ],
    ]
    rows += reference_rows(refs, "covidfaq", header)
    out = md_table(header, rows)
    out += ["", "Per seed:", ""]
    out += md_table(
        [
            "seed",
            "gap queries",
            "clusters",
            "gap clusters",
            "unclustered",
            "flagged",
            "P",
            "R",
            "F1",
            "AUC",
            "AUC clustered",
            "trivial F1",
            "analysis s (others' CPU)",
        ],
        [
            [
                s["seed"],
                fmt(s["gap_query_share"], pct=True),
                s["clusters"],
                s["gap_clusters"],
                fmt(s["unclustered_share"], pct=True),
                fmt(s["flagged_share"], pct=True),
                fmt(s["precision"]),
                fmt(s["recall"]),
                fmt(s["f1"]),
                fmt(s["auc"]),
                fmt(s["auc_clustered_only"]),
                fmt(s["trivial_f1"]),
                f"{s['seconds']:.1f} ({_pct(s.get('others_cpu'))})",
            ]
            for s in r["per_seed"]
        ],
    )
    return out


def render_embedding(r: dict, refs: dict) -> list[str]:
    status = "met" if r["meets_target"] else "**missed**"

    def runs(path: str) -> str:
        return ", ".join(f"{p['seconds']:.1f} ({_pct(p['others_cpu'])})" for p in r["passes"][path])

    return md_table(
        ["path", "runs, s (others' CPU)", "median (s)", "texts/s"],
        [
            [
                "gaplens `embed_texts`, fresh workspace (cold cache)",
                runs("gaplens"),
                fmt(r["gaplens_median"], 1),
                fmt(r["gaplens_texts_per_s"], 0),
            ],
            [
                "… of which inside the model's encode / outside it",
                "; ".join(
                    f"{p['in_model_encode']:.1f} / {p['outside_encode']:.1f}"
                    for p in r["passes"]["gaplens"]
                ),
                f"{r['gaplens_in_model_median']:.1f} / {r['gaplens_outside_model_median']:.1f}",
                "",
            ],
            [
                "`SentenceTransformer.encode`, same model",
                runs("direct"),
                fmt(r["direct_median"], 1),
                fmt(r["direct_texts_per_s"], 0),
            ],
            [
                "gaplens `embed_texts`, warm cache (all hits)",
                fmt(r["warm_cache_seconds"], 2),
                fmt(r["warm_cache_seconds"], 2),
                fmt(r["warm_cache_texts_per_s"], 0),
            ],
        ],
    ) + [
        "",
        f"**Overhead of gaplens over a bare encode: {100 * r['overhead']:+.1f}%** "
        f"(target: within {100 * r['target_overhead']:.0f}%; {status}). "
        f"Lowest cosine between the two paths' vectors: {r['min_cosine_gaplens_vs_direct']:.6f}. "
        f"Model load {r['model_load_seconds']:.1f}s; torch threads {r['torch_threads']}; "
        f"embed_texts chunk {r.get('embed_texts_chunk') or 'adaptive'}; passes discarded "
        f"because other processes were busy: {len(r.get('discarded_passes', []))}.",
    ]


def render_incremental(r: dict, refs: dict) -> list[str]:
    status = "met" if r["meets_target"] else "**missed**"
    phases = ("load", "embed", "reduce", "hdbscan", "label", "match", "save")

    def row(label: str, run: str, notes: int) -> list:
        stats, breakdown = r[run], r[f"{run}_breakdown"]
        return [
            label,
            notes,
            f"{r[f'{run}_seconds']:.1f} ({_pct(r.get(f'{run}_others_cpu'))})",
            " / ".join(fmt(breakdown.get(k), 1) for k in phases),
            stats["clusters"],
            fmt(stats["unclustered_share"], pct=True),
            fmt(stats["ari"]),
            fmt(stats["nmi"]),
        ]

    out = md_table(
        [
            "run",
            "notes",
            "wall, s (others' CPU)",
            "model load / embed / reduce / HDBSCAN / label / match / save (s)",
            "clusters",
            "unclustered",
            "ARI",
            "NMI",
        ],
        [
            row("first, empty workspace", "first", r["n_first"]),
            row(
                f"second, +{r['n_added']} notes (map reused: {fmt(r['second_reused_map'])})",
                "second",
                r["n_first"] + r["n_added"],
            ),
        ],
    )
    n = r["n_first"]
    out += [
        "",
        f"**Second / first: {100 * r['ratio']:.1f}%** (target: under "
        f"{100 * r['target_ratio']:.0f}%; {status}).",
        "",
        f"Old notes in the same (matched) cluster: {r['old_notes_same_cluster']} of {n} "
        f"({100 * r['old_notes_same_cluster_share']:.1f}%); same cluster id: "
        f"{r['old_notes_same_cluster_id']} ({100 * r['old_notes_same_cluster_id'] / n:.1f}%); "
        f"ARI first vs second on old notes: {r['old_notes_ari_first_vs_second']:.3f}. "
        f"New notes clustered: {r['new_notes_clustered']} of {r['n_added']}, "
        f"{r['new_notes_in_own_intent_cluster']} in a cluster whose majority intent is theirs "
        f"(old notes: {r['old_notes_in_own_intent_cluster_second']} of "
        f"{r['old_notes_clustered_second']} clustered). "
        f"Importing the new notes: {r['extra_ingest_seconds']:.2f}s "
        "(not in the second run's time).",
    ]
    if "assign" in r:
        out += [""] + render_assign(r["assign"])
    return out


def render_assign(a: dict) -> list[str]:
    """Placing the new notes at once (assign_new_notes) against a full re-analysis."""
    status = "met" if a["meets_target"] else "**missed**"
    phases = ("embed", "reduce", "hdbscan", "label", "match", "save")

    def pct(hits, of) -> str:
        return "—" if not of else f"{hits} of {of} ({100 * hits / of:.1f}%)"

    out = [
        f"Placing the {a['n_new']} new notes at once, on copies of the same workspace "
        "(same loaded embedder, each path embeds the same new notes):",
        "",
    ]
    out += md_table(
        [
            "path",
            "wall, s (others' CPU)",
            "embed / reduce / HDBSCAN / label / match / save (s)",
            "embedded",
            "assign / this",
        ],
        [
            [
                "**`assign_new_notes`** (nearest theme centre, or emerging)",
                f"{a['seconds']:.2f} ({_pct(a['others_cpu'])})",
                "—",
                a["embedded"],
                "—",
            ],
            [
                "full re-analysis, `run_analysis(refit=True)` (fresh map)",
                f"{a['full_seconds']:.2f} ({_pct(a['full_others_cpu'])})",
                " / ".join(fmt(a["full_breakdown"].get(k), 1) for k in phases),
                a["embedded"],
                f"**{100 * a['ratio_full']:.1f}%**",
            ],
            [
                f"default re-analysis, `run_analysis()` (map reused: "
                f"{fmt(a['default_reused_map'])})",
                f"{a['default_seconds']:.2f} ({_pct(a['default_others_cpu'])})",
                " / ".join(fmt(a["default_breakdown"].get(k), 1) for k in phases),
                a["embedded"],
                f"{100 * a['ratio_default']:.1f}%",
            ],
        ],
    )
    j = a["joined"]
    out += [
        "",
        f"**Assigning 1% new notes / a full analysis: {100 * a['ratio_full']:.1f}%** (target: "
        f"under {100 * a['target_ratio']:.0f}%; {status}).",
        "",
    ]
    out += md_table(
        ["placement quality (new notes)", "assign_new_notes", "full re-analysis (refit)"],
        [
            [
                "placed in a theme",
                f"joined {pct(j, a['n_new'])}; emerging {a['emerging']}",
                f"clustered {pct(a['full_new_clustered'], a['n_new'])}",
            ],
            [
                "joined notes in a theme whose majority intent (first run) is theirs",
                pct(a["joined_own_intent_first_majority"], j),
                "—",
            ],
            [
                "joined notes in a theme whose majority intent (full re-analysis) is theirs",
                pct(a["joined_own_intent_full_majority"], j),
                pct(a["full_on_joined_own_intent"], j) + " (the same notes' clusters there)",
            ],
            [
                "all new notes in a theme whose majority intent is theirs",
                pct(a["joined_own_intent_first_majority"], a["n_new"]),
                pct(a["full_new_own_intent"], a["n_new"]),
            ],
            [
                "joined notes with the same theme id in the full re-analysis",
                pct(a["joined_same_id_in_full"], j),
                "",
            ],
            [
                "emerging notes: nearest theme's majority intent is theirs / full "
                "re-analysis put them in an own-intent theme",
                f"{a['emerging_nearest_own_intent']} of {a['emerging']}",
                f"{a['emerging_full_own_intent']} of {a['emerging']}",
            ],
        ],
    )
    out += [
        "",
        f"After placing: {a['pool_after']} notes in the emerging pool; full analysis due: "
        f"{a['due_after'] or 'no'}.",
    ]
    return out


def render_stability(r: dict, refs: dict) -> list[str]:
    phases = ("embed", "reduce", "hdbscan", "label", "match", "save")

    def run_row(label, seconds, others, parts, notes, scores):
        return [
            label,
            notes,
            f"{seconds:.1f} ({_pct(others)})",
            " / ".join(fmt(parts.get(k), 1) for k in phases),
            scores["clusters"],
            fmt(scores["unclustered_share"], pct=True),
            fmt(scores["ari"]),
            fmt(scores["nmi"]),
        ]

    n_all = r["n_first"] + r["n_added"]
    out = md_table(
        [
            "run",
            "notes",
            "wall, s (others' CPU)",
            "embed / reduce / HDBSCAN / label / match / save (s)",
            "clusters",
            "unclustered",
            "ARI",
            "NMI",
        ],
        [
            run_row(
                "first, defaults",
                r["first_seconds"],
                r["first_others_cpu"],
                r["first_breakdown"],
                r["n_first"],
                r["first"],
            ),
        ]
        + [
            run_row(
                f"second, {label} (map reused: {fmt(r[k]['reused_map'])})",
                r[k]["seconds"],
                r[k]["others_cpu"],
                r[k]["breakdown"],
                n_all,
                r[k]["scores"],
            )
            for k, label in (("default", "(a) defaults"), ("refit", "(b) refit=True"))
        ],
    )
    kinds = ("new", "grown", "shrunk", "same", "merged", "split", "vanished")
    rows = []
    for k, label in (("default", "(a) defaults"), ("refit", "(b) refit=True")):
        x = r[k]
        rows.append(
            [
                f"gaplens, {label}",
                f"**{x['ids_kept']} of {x['themes_first']} ({100 * x['id_retention']:.1f}%)**",
                f"{x['plurality_kept']} of {x['themes_first']} "
                f"({100 * x['plurality_retention']:.1f}%)",
                f"{x['old_same_id']} of {x['old_clustered_first']} "
                f"({100 * x['old_same_id_share']:.1f}%)",
                " / ".join(str(x["changes"].get(c, 0)) for c in kinds),
            ]
        )
        rows.append(
            [
                f"naive numbering by size (BERTopic, old gaplens), {label}",
                "—",
                f"{x['naive_plurality_kept']} of {x['naive_clusters_first']} "
                f"({100 * x['naive_retention']:.1f}%)",
                "—",
                "—",
            ]
        )
    out += [""]
    out += md_table(
        [
            "second run",
            "theme ids kept",
            "themes whose notes mostly stayed under the id",
            "old notes under the same id",
            "changes: " + " / ".join(kinds),
        ],
        rows,
    )
    out += [""]
    if not r["default"]["reused_map"]:
        out += [
            f"(a) did not reuse the map: the {r['n_added']} new notes are "
            f"{100 * r['n_added'] / r['n_first']:.1f}% of the {r['n_first']} notes already "
            "mapped, above the pipeline's REUSE_MAX_NEW_SHARE (10% of the known notes), so "
            "(a) fitted a fresh map just as (b) did.",
            "",
        ]
    for k, label in (("default", "(a) defaults"), ("refit", "(b) refit=True")):
        x = r[k]
        status = "met" if x["meets_target"] else "**not met**"
        out.append(
            f"- **{label}: {100 * x['id_retention']:.1f}% of themes keep their id** (target: "
            f"at least {100 * r['target_retention']:.0f}%; {status}); naive numbering keeps "
            f"{100 * x['naive_retention']:.1f}%."
        )
    return out


RENDER = {
    "clustering": render_clustering,
    "gaps": render_gaps,
    "embedding": render_embedding,
    "incremental": render_incremental,
    "stability": render_stability,
}


# -- orchestration ------------------------------------------------------------------------------


def machine_info() -> dict:
    from importlib import metadata

    versions = {}
    for dist in (
        "numpy",
        "scikit-learn",
        "umap-learn",
        "hdbscan",
        "sentence-transformers",
        "torch",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "versions": versions,
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def run_worker(
    name: str, eval_dir: Path, work: Path, quick: bool, out: Path, wait_idle: float
) -> None:
    global _NAME, _WAIT_IDLE
    _NAME, _WAIT_IDLE = name, wait_idle
    work.mkdir(parents=True, exist_ok=True)
    digest = source_digest()
    started = time.perf_counter()
    result = RUNNERS[name](eval_dir, work, quick)
    if source_digest() != digest:
        log("the gaplens sources changed while this benchmark ran")
        digest += " (sources changed during the run)"
    payload = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source_digest": digest,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": peak_rss_mb(),
        "result": result,
    }
    out.write_text(json.dumps(payload, indent=2))


def source_digest() -> str:
    """A short SHA-256 of the gaplens sources measured (the code changes; git is not consulted)."""
    import hashlib

    digest = hashlib.sha256()
    for package in ("gaplens", "ingest", "analysis"):
        for file in sorted((REPO / package).rglob("*.py")):
            digest.update(file.relative_to(REPO).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="the shared eval data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each timed measurement, wait up to SECONDS while other processes use more "
        f"than {100 * QUIET_SHARE:.0f}%% of the CPUs (default 0: measure at once)",
    )
    parser.add_argument("--worker", choices=BENCHMARKS, help=argparse.SUPPRESS)
    parser.add_argument("--worker-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    eval_dir = args.eval.resolve()
    check_eval_dir(eval_dir)

    if args.worker:
        run_worker(
            args.worker, eval_dir, args.worker_dir, args.quick, args.worker_out, args.wait_idle
        )
        return 0

    names = args.only or list(BENCHMARKS)
    out_dir = args.out.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    json_path = out_dir / f"{stem}.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else {}
    report = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "wait_idle": args.wait_idle,
        "machine": machine_info(),
        "targets": TARGETS,
        "references": reference_tables(eval_dir / "README.md"),
        "benchmarks": dict(previous.get("benchmarks", {})),
    }
    tmp_root = Path(tempfile.mkdtemp(prefix="gaplens-bench-"))
    log(f"workspaces in {tmp_root}; running {', '.join(names)}")
    failed = []
    try:
        for name in names:
            log(f"== {name}")
            result_file = tmp_root / f"{name}.json"
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                name,
                "--worker-dir",
                str(tmp_root / name),
                "--worker-out",
                str(result_file),
                "--eval",
                str(eval_dir),
                "--wait-idle",
                str(args.wait_idle),
            ] + (["--quick"] if args.quick else [])
            env = {**os.environ, "TQDM_DISABLE": "1"}  # no weight-loading bars in the log
            code = subprocess.call(cmd, cwd=REPO, env=env)
            if code == 0 and result_file.exists():
                report["benchmarks"][name] = json.loads(result_file.read_text())
            else:
                failed.append(name)
                report["benchmarks"][name] = {
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "error": f"the {name} benchmark exited with status {code} (see stderr)",
                }
            write_atomic(json_path, json.dumps(report, indent=2) + "\n")
            write_atomic(out_dir / f"{stem}.md", render_markdown(report))
    finally:
        if args.keep:
            log(f"kept {tmp_root}")
        else:
            shutil.rmtree(tmp_root, ignore_errors=True)
    log(f"wrote {json_path} and {out_dir / (stem + '.md')}")
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
