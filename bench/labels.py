"""Theme labels, old and new, on notes grouped by their true theme.

    python bench/labels.py [--eval DIR] [--out bench/results/labels.md]

Labelling is measured apart from clustering: notes are grouped by a hand-given
label, and each group is named by the previous labeller (c-TF-IDF stems joined
by " / ", kept below as ``old_names``) and by ``analysis.label.name_clusters``.

- Demo data (``data/notes``, hand labels in ``data/labels``): a note raising
  several themes is in each of their groups; notes labelled ``none`` are left
  out. Names are scrubbed out of the texts and "orbitly" is a domain stop word,
  as in ``gaplens demo``.
- clinc150 (``../shared/eval/clinc150/clinc150_flat.csv``, in-scope rows): 150
  groups of 150 queries, one per intent. A label "hits" when it holds a word of
  the intent's name (``credit_score``: "credit" or "score"), comparing simple
  stems (plural, -ing and -ed endings off; a stem of 4+ letters may be a prefix
  of the other). Function words of intent names (what, is, your...) don't count.
  Timing: labelling all 22,500 queries, best of several runs, old and new
  interleaved.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.label import name_clusters, scrub  # noqa: E402

DEFAULT_EVAL = REPO.parent / "shared" / "eval"
DEFAULT_OUT = REPO / "bench" / "results" / "labels.md"
DEMO = REPO / "data"
DEMO_STOP_WORDS = ["orbitly"]  # what `gaplens demo` passes
RUNS = 5
EXAMPLES = 20
INTENT_FUNCTION_WORDS = frozenset(
    "a are can do for from have how i is of on what when where who you your".split()
)


# -- the previous labeller, verbatim, as the baseline ---------------------------------

OLD_FILLER = frozenset(
    """
    asked ask asking asks said says say told tell mentioned mention noted note notes call calls
    called meeting meet met prospect prospects customer customers client clients team teams
    guy guys person people wants want wanted need needs needed like just really also
    think thinks thought going get got gets know knows let lets make sure follow followup
    thing things stuff lot bit way yes yeah ok okay fyi pls re w wk tmrw tomorrow today
    week weeks month months day days time next last still again maybe would could should
    us we our ours they them their theirs he she his her him it its one two new
    """.split()
)
OLD_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-\+/]*[a-zA-Z0-9]\b|\b[a-zA-Z]{2,}\b"


def old_keywords_by_cluster(texts, labels, top_n=8, extra_stop_words=()):
    clusters = sorted({int(c) for c in labels if c >= 0})
    if not clusters:
        return {}
    stop = set(ENGLISH_STOP_WORDS) | OLD_FILLER | {w.lower() for w in extra_stop_words}
    docs = [" ".join(texts[i] for i in np.flatnonzero(labels == c)) for c in clusters]
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(stop),
        token_pattern=OLD_TOKEN,
        lowercase=True,
        min_df=1,
    )
    try:
        counts = vectorizer.fit_transform(docs).astype(np.float64)
    except ValueError:
        return {c: [] for c in clusters}
    terms = vectorizer.get_feature_names_out()
    tf = counts.toarray()
    cluster_sizes = np.array([np.sum(labels == c) for c in clusters], dtype=np.float64)
    tf[tf < np.minimum(2, cluster_sizes)[:, None]] = 0
    total = tf.sum(axis=0)
    avg_words = tf.sum() / len(clusters)
    idf = np.log1p(avg_words / np.maximum(total, 1e-9))
    row_sums = np.maximum(tf.sum(axis=1, keepdims=True), 1e-9)
    weights = (tf / row_sums) * idf
    out = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-weights[row], kind="stable")
        picked = [str(terms[j]) for j in order[: top_n * 3] if weights[row, j] > 0]
        out[c] = _old_dedupe(picked)[:top_n]
    return out


def _old_dedupe(terms):
    kept = []
    for term in terms:
        words = term.split()
        if any(term in k.split() or term == k for k in kept):
            continue
        if len(words) > 1 and all(any(w == k for k in kept) for w in words):
            continue
        if len(words) == 1 and any(term in k.split() for k in kept):
            continue
        kept.append(term)
    return [
        t for t in kept if not (len(t.split()) == 1 and any(t in k.split() for k in kept if k != t))
    ]


def old_make_labels(keywords, parts=3):
    labels, used = {}, set()
    for c in sorted(keywords):
        words = keywords[c]
        if not words:
            label = f"theme {c}"
        else:
            take = min(parts, len(words))
            label = " / ".join(words[:take])
            while label.lower() in used and take < len(words):
                take += 1
                label = " / ".join(words[:take])
        if label.lower() in used:
            label = f"{label} ({c})"
        used.add(label.lower())
        labels[c] = label
    return labels


def old_names(texts, labels, extra_stop_words=()) -> dict[int, tuple[str, list[str]]]:
    keywords = old_keywords_by_cluster(texts, labels, extra_stop_words=extra_stop_words)
    names = old_make_labels(keywords)
    return {c: (names[c], keywords[c]) for c in keywords}


def new_names(texts, labels, extra_stop_words=()) -> dict[int, tuple[str, list[str]]]:
    named = name_clusters(texts, labels, extra_stop_words=extra_stop_words)
    return {c: (t.label, list(t.keywords)) for c, t in named.items()}


# -- data ---------------------------------------------------------------------------


def demo_groups() -> tuple[list[str], np.ndarray, list[str]]:
    """Demo notes (names scrubbed, as the pipeline does) grouped by hand-given theme."""
    from analysis.pipeline import names_of
    from gaplens.store import Store
    from ingest import import_notes

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "demo.db")
        import_notes(store, [DEMO / "notes"])
        notes = store.notes()
        store.close()
    truth: dict[str, list[str]] = {}
    for path in sorted((DEMO / "labels").glob("*.csv")):
        if path.name == "assets.csv":
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            truth.update({r["id"]: r["themes"].split(";") for r in csv.DictReader(fh)})
    scrubbed = scrub([n["text"] for n in notes], names_of(notes))
    themes = sorted({t for ts in truth.values() for t in ts if t != "none"})
    texts, labels = [], []
    for note, text in zip(notes, scrubbed, strict=True):
        for theme in truth.get(note["note_id"], []):
            if theme != "none":
                texts.append(text)
                labels.append(themes.index(theme))
    return texts, np.array(labels), themes


def clinc_groups(eval_dir: Path) -> tuple[list[str], np.ndarray, list[str]]:
    with open(eval_dir / "clinc150" / "clinc150_flat.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["intent"] != "oos"]
    intents = sorted({r["intent"] for r in rows})
    index = {name: i for i, name in enumerate(intents)}
    return [r["text"] for r in rows], np.array([index[r["intent"]] for r in rows]), intents


# -- measures -----------------------------------------------------------------------


def stem(word: str) -> str:
    word = re.sub(r"['’]s$", "", word.lower())
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) > len(ending) + 3:
            word = word[: -len(ending)]
    return word


def same_word(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return a == b or (len(short) >= 4 and long.startswith(short))


def hits_intent(label: str, intent: str) -> bool:
    wanted = [stem(w) for w in intent.split("_") if w not in INTENT_FUNCTION_WORDS]
    shown = [stem(w) for w in re.findall(r"[^\W_]+", label)]
    return any(same_word(w, s) for w in wanted for s in shown)


def best_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="eval data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown report")
    args = parser.parse_args(argv)
    lines = [
        "# Theme labels: old vs new",
        "",
        f"Written by `bench/labels.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. "
        "Notes are grouped by their true theme, so only the labelling is measured. "
        'Old: c-TF-IDF stems joined by " / ". New: `analysis.label.name_clusters`.',
        "",
    ]

    texts, labels, themes = demo_groups()
    old = old_names(texts, labels, DEMO_STOP_WORDS)
    new = new_names(texts, labels, DEMO_STOP_WORDS)
    lines += [
        f"## Demo data: {len(themes)} hand-labelled themes, {len(texts)} note-theme pairs",
        "",
        "| hand label | notes | old label | new label | new keywords (first 4) |",
        "|---|---:|---|---|---|",
    ]
    for c, theme in enumerate(themes):
        lines.append(
            f"| {theme} | {int(np.sum(labels == c))} | {cell(old[c][0])} | {cell(new[c][0])} "
            f"| {cell(', '.join(new[c][1][:4]))} |"
        )
    lines.append("")

    if not (args.eval / "clinc150" / "clinc150_flat.csv").is_file():
        lines += [f"clinc150 not found under {args.eval}: skipped.", ""]
    else:
        texts, labels, intents = clinc_groups(args.eval)
        old = old_names(texts, labels)
        new = new_names(texts, labels)
        old_hits = [hits_intent(old[c][0], intents[c]) for c in range(len(intents))]
        new_hits = [hits_intent(new[c][0], intents[c]) for c in range(len(intents))]
        old_words = [len(old[c][0].replace(" / ", " ").split()) for c in range(len(intents))]
        new_words = [len(new[c][0].replace(" / ", " ").split()) for c in range(len(intents))]
        t_old, t_new = [], []
        for _ in range(RUNS):  # interleaved, so a busy spell on the machine hits both
            t_old.append(best_time(lambda: old_names(texts, labels), 1))
            t_new.append(best_time(lambda: new_names(texts, labels), 1))
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        n = len(intents)
        lines += [
            f"## clinc150: {len(texts):,} queries in {n} intents",
            "",
            "| | old | new |",
            "|---|---:|---:|",
            f"| labels holding a word of the intent's name | {sum(old_hits)}/{n} "
            f"({sum(old_hits) / n:.0%}) | {sum(new_hits)}/{n} ({sum(new_hits) / n:.0%}) |",
            f"| words per label (mean) | {np.mean(old_words):.1f} | {np.mean(new_words):.1f} |",
            f"| labelling time, {len(texts):,} notes in {n} clusters (best of {RUNS}) "
            f"| {min(t_old):.2f} s | {min(t_new):.2f} s |",
            f"| labelling time, median of {RUNS} | {np.median(t_old):.2f} s "
            f"| {np.median(t_new):.2f} s |",
            "",
            f"Machine: {os.cpu_count()} CPUs, 1-minute load average {load:.1f} at the end "
            "(the machine is shared; timings taken while others run are slower).",
            "",
            f"{EXAMPLES} intents (every {n // EXAMPLES}th):",
            "",
            "| intent | old label | hit | new label | hit |",
            "|---|---|:-:|---|:-:|",
        ]
        for c in range(0, n, n // EXAMPLES)[:EXAMPLES]:
            lines.append(
                f"| {intents[c]} | {cell(old[c][0])} | {'✓' if old_hits[c] else ''} "
                f"| {cell(new[c][0])} | {'✓' if new_hits[c] else ''} |"
            )
        lines.append("")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
