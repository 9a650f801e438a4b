"""How well a long note is split into mentions, on hand-labelled multi-topic notes.

    python bench/mentions.py [--set dev|test|both] [--out bench/results/mentions.md] [--show N]

The notes are ``data/labels/mentions_dev.jsonl`` (used to tune the rules) and
``data/labels/mentions_test.jsonl`` (kept for reporting; half of it is about a product
the rules never saw). Each note lists its gold mentions as exact substrings. A note is
split exactly as import splits it (``ingest.notes.as_mentions`` on a call note), so a
note kept whole counts as one segment: its whole text.

Figures:
- **segment F1**: predicted and gold segments matched one to one, best overlap first;
  a pair matches when the word overlap over the union (IoU) is at least 0.5.
- **words kept**: precision and recall of the words inside mentions (what survives
  as substance vs what the labeller marked as substance).
- **multi-topic notes split**: notes with 2+ gold mentions that came out as 2+ mentions.
- **logistics notes kept**: pure small-talk/logistics notes (no gold mention) that still
  gave something to analyse (a note in which no unit carries anything is not analysed).

With the demo (default; ``--no-demo`` skips it) the bundled data is analysed twice with
the real model, notes split and kept whole, and scored against its hand labels.

Two reference splitters run on the same notes: the note kept whole (what gaplens did
before mentions) and every sentence a mention (the split's units, no selection).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaplens.models import Note  # noqa: E402
from ingest.mentions import units  # noqa: E402
from ingest.notes import as_mentions  # noqa: E402

LABELS = REPO / "data" / "labels"
DEFAULT_OUT = REPO / "bench" / "results" / "mentions.md"
IOU = 0.5

Span = tuple[int, int]


def load(name: str) -> list[dict]:
    path = LABELS / f"mentions_{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def gold_spans(note: dict) -> list[Span]:
    spans, at = [], 0
    for m in note["mentions"]:
        start = note["text"].index(m["text"], at)
        at = start + len(m["text"])
        spans.append((start, at))
    return spans


def ours(text: str) -> list[Span]:
    rows, _ = as_mentions([Note(note_id="x", text=text, kind="call-note")])
    if rows and rows[0].parent_id is None:
        return [(0, len(text))]
    return [(r.span_start, r.span_end) for r in rows]


def whole(text: str) -> list[Span]:
    return [(0, len(text))]


def sentences(text: str) -> list[Span]:
    return [(u.start, u.end) for u in units(text)]


SPLITTERS: dict[str, Callable[[str], list[Span]]] = {
    "gaplens": ours,
    "whole note": whole,
    "every sentence": sentences,
}


def _words(text: str, span: Span) -> set[int]:
    return {m.start() for m in re.finditer(r"\w+", text) if span[0] <= m.start() < span[1]}


def score(notes: list[dict], split: Callable[[str], list[Span]]) -> dict:
    tp = n_pred = n_gold = 0
    kept = gold_words = both = 0
    multi = multi_split = logistics = logistics_whole = 0
    for note in notes:
        text = note["text"]
        gold = [_words(text, s) for s in gold_spans(note)]
        pred = [_words(text, s) for s in split(text)]
        n_gold += len(gold)
        n_pred += len(pred)
        pairs = sorted(
            (
                (len(g & p) / len(g | p), i, j)
                for i, g in enumerate(gold)
                for j, p in enumerate(pred)
                if g | p
            ),
            reverse=True,
        )
        used_g, used_p = set(), set()
        for iou, i, j in pairs:
            if iou >= IOU and i not in used_g and j not in used_p:
                used_g.add(i)
                used_p.add(j)
                tp += 1
        g_all = set().union(*gold) if gold else set()
        p_all = set().union(*pred) if pred else set()
        kept += len(p_all)
        gold_words += len(g_all)
        both += len(g_all & p_all)
        if len(gold) >= 2:
            multi += 1
            multi_split += len(pred) >= 2
        if not gold:
            logistics += 1
            logistics_whole += len(pred) > 0
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return {
        "notes": len(notes),
        "gold": n_gold,
        "predicted": n_pred,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
        "words_precision": both / kept if kept else 0.0,
        "words_recall": both / gold_words if gold_words else 0.0,
        "multi": multi,
        "multi_split": multi_split,
        "logistics": logistics,
        "logistics_kept": logistics_whole,
    }


def show(notes: list[dict], n: int) -> None:
    """Print the notes where the split and the labels disagree most."""
    worst = []
    for note in notes:
        r = score([note], ours)
        worst.append((r["f1"], note))
    for f1, note in sorted(worst, key=lambda x: x[0])[:n]:
        print(f"--- {note['id']} ({note['style']}) F1 {f1:.2f}")
        print("gold:", *[f"  | {m['text']}" for m in note["mentions"]], sep="\n")
        print("ours:", *[f"  | {note['text'][a:b]}" for a, b in ours(note["text"])], sep="\n")


def table(results: dict[str, dict[str, dict]]) -> str:
    lines = [
        "| set | splitter | segment P | segment R | segment F1 | words P | words R "
        "| multi-topic notes split | logistics notes kept |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by_splitter in results.items():
        for splitter, r in by_splitter.items():
            lines.append(
                f"| {name} ({r['notes']} notes, {r['gold']} mentions) | {splitter} "
                f"| {r['precision']:.2f} | {r['recall']:.2f} | **{r['f1']:.2f}** "
                f"| {r['words_precision']:.2f} | {r['words_recall']:.2f} "
                f"| {r['multi_split']}/{r['multi']} | {r['logistics_kept']}/{r['logistics']} |"
            )
    return "\n".join(lines)


# -- the demo, analysed with and without the split --------------------------------------


def demo_effect() -> dict[str, dict]:
    """Build the demo workspace twice with the real model, notes split and kept whole,
    and score both against the demo's hand labels (``data/labels``): how many of the 29
    themes come out as a cluster at least 60% about them, and how many multi-topic call
    notes reach two or more of their themes. Takes about a minute."""
    import tempfile
    from unittest import mock

    import ingest.notes
    from analysis.pipeline import run_analysis
    from gaplens.store import Store
    from ingest import import_assets, import_notes

    out = {}
    for mode in ("split", "whole"):
        with tempfile.TemporaryDirectory() as tmp:
            with Store(Path(tmp) / "demo.db") as store:
                if mode == "split":
                    import_notes(store, [REPO / "data" / "notes"])
                else:
                    keep = mock.patch.object(ingest.notes, "as_mentions", lambda n: (n, []))
                    with keep:
                        import_notes(store, [REPO / "data" / "notes"])
                import_assets(store, [REPO / "data" / "assets"])
                run = run_analysis(store, stop_words=["orbitly"])
                out[mode] = _demo_scores(store, run.run_id)
    return out


def _demo_scores(store, run_id: int) -> dict:
    import csv
    from collections import Counter, defaultdict

    truth: dict[str, list[str]] = {}
    for name in ("call_notes", "objection_log", "crm_lost_deals", "rep_notes"):
        with open(LABELS / f"{name}.csv", encoding="utf-8") as fh:
            truth.update({r["id"]: r["themes"].split(";") for r in csv.DictReader(fh)})
    rows = store.db.execute(
        "select note_id, cluster_id from assignments where run_id = ? and cluster_id >= 0",
        [run_id],
    ).fetchall()
    members: dict[int, list[str]] = defaultdict(list)
    for note_id, cid in rows:
        members[cid].append(note_id.split("#")[0])
    theme, found = {}, set()
    for cid, notes in members.items():
        top, n = Counter(t for m in notes for t in truth.get(m, [])).most_common(1)[0]
        theme[cid] = top
        if n / len(notes) >= 0.6:
            found.add(top)
    reached: dict[str, set[str]] = defaultdict(set)
    for note_id, cid in rows:
        reached[note_id.split("#")[0]].add(theme[cid])
    calls = [k for k, v in truth.items() if k.startswith("CN-") or k[:4].isdigit()]
    multi = [k for k in calls if len([t for t in truth[k] if t != "none"]) >= 2]
    return {
        "themes_found": len(found),
        "multi_topic_calls": len(multi),
        "reaching_two_themes": sum(len(reached[k] & set(truth[k])) >= 2 for k in multi),
        "themes_reached": sum(len(reached[k] & set(truth[k])) for k in multi),
        "themes_raised": sum(len(truth[k]) for k in multi),
    }


def demo_table(effect: dict[str, dict]) -> str:
    lines = [
        "| demo notes | themes found (of 29) | multi-topic call notes reaching 2+ of their "
        "themes | their themes reached |",
        "|---|---|---|---|",
    ]
    for mode, label in (("whole", "kept whole"), ("split", "split into mentions")):
        r = effect[mode]
        lines.append(
            f"| {label} | {r['themes_found']} | {r['reaching_two_themes']}/"
            f"{r['multi_topic_calls']} | {r['themes_reached']}/{r['themes_raised']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--show", type=int, default=0, help="print the N worst notes")
    parser.add_argument(
        "--no-demo", action="store_true", help="skip the demo analysed both ways (~1 min)"
    )
    args = parser.parse_args(argv)
    names = ["dev", "test"] if args.set == "both" else [args.set]
    results = {name: {k: score(load(name), f) for k, f in SPLITTERS.items()} for name in names}
    out = table(results)
    print(out)
    if args.show:
        for name in names:
            show(load(name), args.show)
    effect = None
    if not args.no_demo:
        effect = demo_effect()
        print(demo_table(effect))
    if args.set == "both" and effect is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        args.out.write_text(
            f"# Mention splitting\n\n{stamp}. `python bench/mentions.py`. Segments match at "
            f"word IoU >= {IOU}, one to one. See the script's docstring for each column.\n\n"
            f"{out}\n\n## The demo, analysed both ways (real model)\n\n{demo_table(effect)}\n",
            encoding="utf-8",
        )
        results["demo"] = effect
        (args.out.with_suffix(".json")).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
