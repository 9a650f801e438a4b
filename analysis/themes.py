"""Themes that keep their identity: stable ids across analyses, and people's edits replayed.

A theme's id is the ``cluster_id`` every table uses. The first analysis numbers
its themes 0.. by size; every later one matches its fresh clusters to the
previous run's themes and gives each match the old id, so a name, a plan or a
link attached to a theme survives re-analysis. New ids are never reused.

Matching (``match_clusters``), on the notes both runs share:
- member overlap first: pairs of (new cluster, old theme) are taken greedily,
  largest overlap first, one-to-one, when the overlap holds most of the new
  cluster's notes or most of the old theme's notes. A theme that split
  keeps its id on the larger part; of two themes that merged, the larger one's
  id lives on; a cluster of mostly new notes is a new theme even when it holds
  a few of an old theme's;
- then centroids, for clusters the shared notes did not place (the notes an
  old theme was built from were deleted): mutual nearest centroids with a
  cosine of at least ``CENTROID_MATCH`` (the same theme recomputed from other
  notes lands well above it; two different themes of one product rarely do).

People's edits (``Curation``, read from ``theme_edits``) are then replayed on the
new labels, oldest first in effect:
- a merge: every new cluster that grew mainly out of the merged theme stays
  in it, so a re-analysis cannot pull apart what a person put together;
- a split: the notes of the split theme's parts (and of any new cluster that
  grew out of them) are divided again by nearest part centre;
- a move (also assigning an unclustered note): the note stays where it was put;
- a rename: the theme keeps the name while its id lives.

``describe_changes`` then says what happened to each theme against the
previous run: new, grown, shrunk, same, merged (into), split (from), vanished.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

# Cosine between two centroids above which, with no shared notes to go by, they are one theme.
CENTROID_MATCH = 0.9
# A theme "grew" or "shrank" when its size changed by more than this share.
SIZE_CHANGE = 0.10
# Share of a cluster's notes that must come from one old theme for it to have grown out of it.
MOSTLY = 0.5


@dataclass(frozen=True)
class Match:
    ids: dict[int, int]  # fresh cluster -> theme id (old id when matched, else a new one)
    origin: dict[int, int]  # fresh cluster -> the old theme most of its notes came from


def match_clusters(
    old: np.ndarray,
    new: np.ndarray,
    *,
    old_centroids: dict[int, np.ndarray],
    new_centroids: dict[int, np.ndarray],
    next_id: int,
) -> Match:
    """Give each fresh cluster (``new`` >= 0) a theme id, keeping old ids where a theme lives on.

    ``old`` and ``new`` are per-note labels over the same notes (-1: unclustered,
    or not in the old run).
    """
    fresh = sorted(int(c) for c in np.unique(new) if c >= 0)
    both = (old >= 0) & (new >= 0)
    pairs = defaultdict(int)
    for o, n in zip(old[both].tolist(), new[both].tolist(), strict=True):
        pairs[(n, o)] += 1
    size = defaultdict(int)  # fresh cluster -> its notes, old and new
    old_size = defaultdict(int)
    for n in new[new >= 0].tolist():
        size[n] += 1
    for o in old[old >= 0].tolist():
        old_size[o] += 1

    ids: dict[int, int] = {}
    taken: set[int] = set()
    origin: dict[int, int] = {}
    for (n, o), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        # most of the fresh cluster was this old theme: it grew out of it
        grew_out = count >= MOSTLY * size[n]
        if grew_out and n not in origin:
            origin[n] = o
        if n in ids or o in taken:
            continue
        # it continues the old theme when most of one is in the other; a fresh cluster of
        # mostly new notes holding a few of an old theme's is a new theme, not that one
        if grew_out or count >= MOSTLY * old_size[o]:
            ids[n] = o
            taken.add(o)

    # centroids, for clusters the shared notes could not place (their old notes were
    # deleted, or came back under other ids)
    open_new = [n for n in fresh if n not in ids]
    open_old = [o for o in old_centroids if o not in taken]
    if open_new and open_old:
        a = np.vstack([new_centroids[n] for n in open_new])
        b = np.vstack([old_centroids[o] for o in open_old])
        if a.shape[1] == b.shape[1]:
            sims = a @ b.T
            for i, n in enumerate(open_new):
                j = int(np.argmax(sims[i]))
                if sims[i, j] >= CENTROID_MATCH and int(np.argmax(sims[:, j])) == i:
                    ids[n] = open_old[j]
                    taken.add(open_old[j])
    for n in fresh:
        if n not in ids:
            ids[n] = next_id
            next_id += 1
    return Match(ids=ids, origin=origin)


@dataclass
class Curation:
    """What people decided about the themes, folded from the edit journal."""

    merged_into: dict[int, int] = field(default_factory=dict)  # absorbed theme -> target
    merge_targets: set[int] = field(default_factory=set)
    split_groups: list[list[int]] = field(default_factory=list)
    pins: dict[str, int] = field(default_factory=dict)  # note -> theme a person put it in
    # theme -> (name, when a person gave it; None for a name a merged theme keeps)
    names: dict[int, tuple[str, str | None]] = field(default_factory=dict)

    @classmethod
    def from_edits(cls, edits: list[dict]) -> Curation:
        cur = cls()
        for e in edits:
            ids = e["theme_ids"]
            if e["action"] == "merge":
                target, sources = ids[0], ids[1:]
                for s in sources:
                    cur.merged_into[s] = target
                cur.merge_targets.add(target)
                if e["detail"].get("name") and target not in cur.names:
                    # the merged theme goes on under its name; nobody renamed it
                    cur.names[target] = (e["detail"]["name"], None)
            elif e["action"] == "split":
                cur.split_groups.append(list(ids))
            elif e["action"] == "move":
                for note_id in e["note_ids"]:
                    cur.pins[note_id] = ids[0]
            elif e["action"] == "rename":
                cur.names[ids[0]] = (e["detail"]["name"], e["at"])
        cur.pins = {n: cur.resolve(t) for n, t in cur.pins.items()}
        cur.names = {
            t: v for t, v in cur.names.items() if t not in cur.merged_into
        }  # an absorbed theme's name went with it
        return cur

    def resolve(self, theme: int) -> int:
        """Follow merges to the theme that holds a merged theme's notes now."""
        seen = set()
        while theme in self.merged_into and theme not in seen:
            seen.add(theme)
            theme = self.merged_into[theme]
        return theme


def apply_curation(
    labels: np.ndarray,
    *,
    note_ids: list[str],
    vectors: np.ndarray,
    origin: dict[int, int],
    fresh: np.ndarray,
    curation: Curation,
    old_centroids: dict[int, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Replay people's edits on the theme ids a re-analysis gave; returns (labels, pinned mask)."""
    labels = labels.copy()
    # merges: what grew out of a merged theme stays in it
    for n, o in origin.items():
        if o in curation.merge_targets:
            labels[fresh == n] = o
    # splits: the parts' notes are divided again by nearest part centre
    for group in curation.split_groups:
        parts = [t for t in dict.fromkeys(curation.resolve(t) for t in group) if t in old_centroids]
        if len(parts) < 2:
            continue
        grown = [n for n, o in origin.items() if o in parts]
        rows = np.flatnonzero(np.isin(labels, parts) | np.isin(fresh, grown))
        if len(rows) == 0:
            continue
        centres = np.vstack([old_centroids[t] for t in parts])
        nearest = np.argmax(vectors[rows] @ centres.T, axis=1)
        labels[rows] = np.asarray(parts)[nearest]
    # moves: a note stays where a person put it
    pinned = np.zeros(len(labels), dtype=bool)
    position = {n: i for i, n in enumerate(note_ids)}
    for note_id, theme in curation.pins.items():
        i = position.get(note_id)
        if i is not None:
            labels[i] = theme
            pinned[i] = True
    return labels, pinned


def describe_changes(
    old: np.ndarray,
    new: np.ndarray,
    old_sizes: dict[int, int],
    labels: dict[int, str],
    old_labels: dict[int, str],
) -> list[dict]:
    """One row per theme of either run: what the re-analysis did to it.

    ``old`` and ``new`` are final per-note theme ids over the current notes;
    ``old_sizes`` are the previous run's theme sizes (its notes may since have
    been deleted). A theme id present in both runs grew, shrank or stayed the
    same; an old id that is gone was merged (most of its notes went to one
    theme) or vanished; a new id was split from an old theme (most of its
    notes came from one that lives on) or is new.
    """
    new_sizes = defaultdict(int)
    for t in new[new >= 0].tolist():
        new_sizes[t] += 1
    flows = defaultdict(int)
    for o, n in zip(old.tolist(), new.tolist(), strict=True):
        if o >= 0 and n >= 0:
            flows[(o, n)] += 1
    rows = []
    for t in sorted(new_sizes):
        after = new_sizes[t]
        if t in old_sizes:
            before = old_sizes[t]
            change = (
                "grown"
                if after > before * (1 + SIZE_CHANGE)
                else "shrunk"
                if after < before * (1 - SIZE_CHANGE)
                else "same"
            )
            absorbed = sorted(
                o
                for o in old_sizes
                if o not in new_sizes and flows.get((o, t), 0) >= MOSTLY * old_sizes[o]
            )
            if absorbed:
                change = "merged"  # it took in other themes
            rows.append(_change(t, change, before, after, absorbed, labels.get(t)))
            continue
        came = {o: c for (o, n), c in flows.items() if n == t}
        source = max(came, key=lambda o: (came[o], -o)) if came else None
        if source is not None and source in new_sizes and came[source] >= MOSTLY * after:
            rows.append(_change(t, "split", 0, after, [source], labels.get(t)))
        else:
            rows.append(_change(t, "new", 0, after, [], labels.get(t)))
    for o in sorted(old_sizes):
        if o in new_sizes:
            continue
        went = {n: c for (oo, n), c in flows.items() if oo == o}
        target = max(went, key=lambda n: (went[n], -n)) if went else None
        if target is not None and went[target] >= MOSTLY * old_sizes[o]:
            rows.append(_change(o, "merged", old_sizes[o], 0, [target], old_labels.get(o)))
        else:
            rows.append(_change(o, "vanished", old_sizes[o], 0, [], old_labels.get(o)))
    return rows


CHANGE_ORDER = ("new", "grown", "shrunk", "same", "merged", "split", "vanished")
_CHANGE_RANK = {"new": 0, "split": 1, "merged": 2, "vanished": 3, "grown": 4, "shrunk": 5}


def describe_change(row: dict) -> str:
    """What happened to one theme, in the words of ``gaplens changes``."""
    related = ", ".join(str(t) for t in row["related"])
    if row["change"] == "new":
        return f"new theme of {row['after']} notes"
    if row["change"] == "split":
        return f"split from theme {related}: {row['after']} notes"
    if row["change"] == "merged" and row["after"]:
        return f"took in theme {related}: {row['before']} -> {row['after']} notes"
    if row["change"] == "merged":
        return f"merged into theme {related} ({row['before']} notes)"
    if row["change"] == "vanished":
        return f"gone: its {row['before']} notes scattered or went unclustered"
    return f"{row['before']} -> {row['after']} notes"


def change_counts(rows: list[dict]) -> str:
    """One line: how many themes kept their id, and how many are new, merged, split...

    The same line ``gaplens analyze`` prints after a re-analysis; "" for none.
    """
    if not rows:
        return ""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["change"]] = counts.get(r["change"], 0) + 1
    kept = sum(
        1 for r in rows if r["change"] in ("same", "grown", "shrunk", "merged") and r["after"]
    )
    return f"{kept} kept their id; " + ", ".join(
        f"{counts[k]} {k}" for k in CHANGE_ORDER if k in counts
    )


def sort_changes(rows: list[dict]) -> list[dict]:
    """The most telling first: new, split, merged, vanished, then grown, shrunk, same."""
    return sorted(
        rows, key=lambda r: (_CHANGE_RANK.get(r["change"], 6), -max(r["after"], r["before"]))
    )


def _change(theme, change, before, after, related, label) -> dict:
    return {
        "theme_id": int(theme),
        "change": change,
        "before": int(before),
        "after": int(after),
        "related": [int(r) for r in related],
        "label": label,
    }


def fit_deciles(sims: np.ndarray) -> list[float]:
    """Deciles (0%, 10%, ... 100%) of a theme's own notes' similarity to its centre."""
    if len(sims) == 0:
        return [1.0] * 11
    return [round(float(q), 4) for q in np.quantile(sims, np.linspace(0, 1, 11))]


# A newcomer joins a theme when it is at least as close to the centre as all but this share
# of the theme's own notes: the bar is each theme's own, set by how spread its notes are.
# On clinc150 (225 held-out queries against themes of the other 99%), 0.02 joined 95% of
# them with 86% in a theme of their own intent, against 92% / 86% at 0.05 and 99% / 84% at
# 0.0; out-of-scope queries joined 22% of the time at 0.02 and 47% at 0.0.
# It is looser than the full analysis's bar for its outliers (the 5th percentile,
# analysis.cluster): a newcomer has not been through HDBSCAN, where most notes join a
# theme as core members and face no bar at all.
FIT_QUANTILE = 0.02


def fit_threshold(sims: np.ndarray) -> float:
    """How close to a theme's centre a newcomer must be to join it."""
    return round(float(np.quantile(sims, FIT_QUANTILE)), 4) if len(sims) else 1.0


def confidence(sim: float, deciles: list[float]) -> float:
    """About what share of a theme's own notes sit no closer to its centre than this one."""
    return float(np.interp(sim, deciles, np.linspace(0, 1, len(deciles))))
