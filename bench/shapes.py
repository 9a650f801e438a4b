"""Does the default clustering hold on other shapes of data? gaplens vs a BERTopic-style reference.

    python bench/shapes.py [--quick] [--eval DIR] [--out bench/results]

Shapes (all drawn reproducibly from the shared eval data, see ../shared/eval/README.md):
- small: 300 notes, 15 clinc150 intents x 20
- many small themes: 150 intents x 15 (2,250 notes)
- few large themes: 8 intents x 150 (1,200 notes)
- covidfaq: 1,387 real user questions, 67 articles, very skewed (label = faq_id)
- clinc150 in-scope: 22,500 notes, 150 intents
- clinc150 + oos: the same plus 1,200 out-of-scope rows; ARI/NMI over the in-scope
  rows, and how many oos rows stay unclustered or end in an intent cluster

For each: gaplens defaults (``reduce`` + ``cluster_coords`` with the vectors, i.e.
with outlier reassignment) and the reference (UMAP 5-d + HDBSCAN min_cluster_size
10, as in bench/run.py) on the very same vectors; clusters, unclustered share,
ARI and NMI (unclustered notes share one label), and the wall time of gaplens
over the reference's, measured in the same run after both are JIT-compiled.
Texts are embedded in memory with the bundled model. --quick leaves out the two
clinc150 shapes of 22,500+ notes and writes no files (it prints the table); a
full run writes shapes.json / shapes.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    DEFAULT_EVAL,
    DEFAULT_OUT,
    REPO,
    _reference_pipeline,
    _reference_warmup,
    log,
    machine_info,
    partition_scores,
    warm_jit,
    write_atomic,
)

sys.path.insert(0, str(REPO))


def load_rows(eval_dir: Path) -> tuple[list[dict], list[dict]]:
    """All clinc150 rows (in-scope and oos) and the covidfaq user queries."""
    clinc_csv = eval_dir / "clinc150" / "clinc150_flat.csv"
    covid_csv = eval_dir / "covidfaq" / "user_queries.csv"
    for f in (clinc_csv, covid_csv):
        if not f.is_file():
            sys.exit(f"shapes: {f} not found; pass --eval DIR (the shared eval set)")
    with open(clinc_csv, newline="", encoding="utf-8") as fh:
        clinc = [{"text": r["text"], "label": r["intent"]} for r in csv.DictReader(fh)]
    with open(covid_csv, newline="", encoding="utf-8") as fh:
        covid = [{"text": r["query"], "label": r["faq_id"]} for r in csv.DictReader(fh)]
    return clinc, covid


def pick_intents(labels: np.ndarray, n_intents: int, per_intent: int, seed: int) -> np.ndarray:
    """Row indices: ``per_intent`` rows of each of ``n_intents`` in-scope intents, seeded."""
    rng = np.random.default_rng(seed)
    intents = np.array(sorted(set(labels[labels != "oos"].tolist())))
    chosen = rng.choice(intents, n_intents, replace=False)
    rows = [rng.choice(np.flatnonzero(labels == it), per_intent, replace=False) for it in chosen]
    return np.sort(np.concatenate(rows))


def build_shapes(clinc_labels: np.ndarray, quick: bool) -> list[tuple[str, str, np.ndarray | None]]:
    """(key, description, clinc row indices or None for covidfaq)."""
    inscope = np.flatnonzero(clinc_labels != "oos")
    shapes = [
        ("small", "300 notes, 15 intents x 20", pick_intents(clinc_labels, 15, 20, 1)),
        ("many_small", "150 intents x 15", pick_intents(clinc_labels, 150, 15, 2)),
        ("few_large", "8 intents x 150", pick_intents(clinc_labels, 8, 150, 3)),
        ("covidfaq", "covidfaq user queries, skewed", None),
    ]
    if not quick:
        shapes += [
            ("clinc150", "clinc150 in-scope, 150 x 150", inscope),
            ("clinc150_oos", "clinc150 in-scope + 1,200 oos", np.arange(len(clinc_labels))),
        ]
    return shapes


def oos_figures(truth: np.ndarray, labels: np.ndarray) -> dict:
    """Out-of-scope rows: the share left unclustered, and the share in an intent cluster."""
    oos = truth == "oos"
    in_intent = 0
    for c in set(labels[labels >= 0].tolist()):
        members = labels == c
        if Counter(truth[members].tolist()).most_common(1)[0][0] != "oos":
            in_intent += int(np.sum(oos & members))
    return {
        "oos_unclustered_share": round(float(np.mean(labels[oos] < 0)), 4),
        "oos_in_intent_cluster_share": round(in_intent / int(oos.sum()), 4),
    }


def run_shape(vectors: np.ndarray, truth: np.ndarray) -> dict:
    import warnings

    from analysis import cluster as clu

    params = clu.default_params(len(vectors))
    started = time.perf_counter()
    coords = clu.reduce(vectors, params)
    reduced = time.perf_counter()
    labels, _ = clu.cluster_coords(coords, params, vectors)
    ours_s = time.perf_counter() - started
    cluster_s = time.perf_counter() - reduced
    # the post-processing alone, on the same HDBSCAN result
    plain, _ = clu.cluster_coords(coords, params)
    post_started = time.perf_counter()
    clu.reassign_outliers(vectors, plain, params.reassign_percentile)
    post_s = time.perf_counter() - post_started

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_labels, ref_umap_s, ref_hdbscan_s = _reference_pipeline(vectors)
    ref_s = ref_umap_s + ref_hdbscan_s

    scored = truth != "oos"
    out = {
        "gaplens": {
            **partition_scores(truth[scored].tolist(), labels[scored]),
            "without_reassignment": partition_scores(truth[scored].tolist(), plain[scored]),
            "params": params.to_dict(),
            "seconds": round(ours_s, 2),
            "reduce_seconds": round(reduced - started, 2),
            "cluster_seconds": round(cluster_s, 3),
            "postprocess_seconds": round(post_s, 3),
        },
        "reference": {
            **partition_scores(truth[scored].tolist(), np.asarray(ref_labels)[scored]),
            "seconds": round(ref_s, 2),
        },
        "time_ratio": round(ours_s / ref_s, 3) if ref_s > 0 else None,
    }
    if not scored.all():
        out["gaplens"].update(oos_figures(truth, labels))
        out["reference"].update(oos_figures(truth, np.asarray(ref_labels)))
    return out


def render(report: dict) -> str:
    def pct(x):
        return f"{100 * x:.1f}%"

    lines = [
        "# gaplens clustering across shapes of data",
        "",
        f"Run {report['finished']} ({report['mode']}), {report['machine'].get('cpus')} CPUs. "
        "Reference = UMAP 5-d + HDBSCAN min_cluster_size 10 (BERTopic-style) on the same vectors. "
        "ARI/NMI over all notes, unclustered notes sharing one label (clinc150 + oos: over the "
        "in-scope rows). Time = gaplens reduce + cluster_coords over reference UMAP + HDBSCAN, "
        "same run, both JIT-compiled beforehand.",
        "",
        "| shape | notes | themes | gaplens clusters | unclustered | ARI | NMI "
        "| reference clusters | unclustered | ARI | NMI | time ratio | post-processing |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["shapes"]:
        g, r = s["gaplens"], s["reference"]
        lines.append(
            f"| {s['description']} | {s['n_notes']:,} | {s['true_themes']} | {g['clusters']} "
            f"| {pct(g['unclustered_share'])} | {g['ari']:.3f} | {g['nmi']:.3f} | {r['clusters']} "
            f"| {pct(r['unclustered_share'])} | {r['ari']:.3f} | {r['nmi']:.3f} "
            f"| {s['time_ratio']:.2f} | {1000 * g['postprocess_seconds']:.0f} ms |"
        )
    lines += [
        "",
        "Without the outlier reassignment (HDBSCAN alone at the same defaults):",
        "",
        "| shape | clusters | unclustered | ARI | NMI |",
        "|---|---|---|---|---|",
    ]
    for s in report["shapes"]:
        w = s["gaplens"]["without_reassignment"]
        lines.append(
            f"| {s['description']} | {w['clusters']} | {pct(w['unclustered_share'])} "
            f"| {w['ari']:.3f} | {w['nmi']:.3f} |"
        )
    oos = [s for s in report["shapes"] if "oos_unclustered_share" in s["gaplens"]]
    if oos:
        lines += ["", "Out-of-scope rows (clinc150 + oos):", ""]
        for s in oos:
            for who in ("gaplens", "reference"):
                d = s[who]
                lines.append(
                    f"- {who}: {pct(d['oos_unclustered_share'])} unclustered, "
                    f"{pct(d['oos_in_intent_cluster_share'])} inside a cluster whose majority "
                    "is an in-scope intent"
                )
    lines += ["", f"Defaults: `{json.dumps(report['defaults_at_1000'])}` (at 1,000 notes).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out the two 22,500+ note shapes")
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="shared eval data directory")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write results")
    args = ap.parse_args(argv)

    from analysis import cluster as clu
    from analysis.embed import SentenceTransformerEmbedder

    clinc, covid = load_rows(args.eval)
    clinc_labels = np.array([r["label"] for r in clinc])
    covid_labels = np.array([r["label"] for r in covid])
    shapes = build_shapes(clinc_labels, args.quick)
    needed = sorted({int(i) for _, _, idx in shapes if idx is not None for i in idx})

    embedder = SentenceTransformerEmbedder()
    started = time.perf_counter()
    log(f"embedding {len(needed):,} clinc150 rows and {len(covid):,} covidfaq queries")
    clinc_vectors = np.zeros((len(clinc), 384), dtype=np.float32)
    clinc_vectors[needed] = embedder.encode([clinc[i]["text"] for i in needed])
    covid_vectors = np.asarray(embedder.encode([r["text"] for r in covid]), dtype=np.float32)
    log(f"embedded in {time.perf_counter() - started:.0f}s")

    log(f"JIT warm-up: gaplens {warm_jit()}s")
    log(f"JIT warm-up: reference {_reference_warmup(covid_vectors)}s")

    results = []
    for key, description, idx in shapes:
        if idx is None:
            vectors, truth = covid_vectors, covid_labels
        else:
            vectors, truth = clinc_vectors[idx], clinc_labels[idx]
        log(f"{key}: {len(vectors):,} notes")
        figures = run_shape(vectors, truth)
        g, r = figures["gaplens"], figures["reference"]
        log(
            f"  gaplens {g['clusters']} clusters, {100 * g['unclustered_share']:.1f}% unclustered, "
            f"ARI {g['ari']:.3f} NMI {g['nmi']:.3f}, {g['seconds']}s "
            f"(post-processing {1000 * g['postprocess_seconds']:.0f} ms) | reference "
            f"{r['clusters']} clusters, {100 * r['unclustered_share']:.1f}%, ARI {r['ari']:.3f} "
            f"NMI {r['nmi']:.3f}, {r['seconds']}s"
        )
        results.append(
            {
                "shape": key,
                "description": description,
                "n_notes": len(vectors),
                "true_themes": len(set(truth[truth != "oos"].tolist())),
                **figures,
            }
        )

    report = {
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": machine_info(),
        "defaults_at_1000": clu.default_params(1000).to_dict(),
        "shapes": results,
    }
    print(render(report))
    if not args.quick:  # a smoke run never overwrites the full figures
        args.out.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out / "shapes.json", json.dumps(report, indent=2) + "\n")
        write_atomic(args.out / "shapes.md", render(report))
        log(f"wrote {args.out / 'shapes.json'} and shapes.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
