"""People's changes to the themes: rename, merge, split, move notes (and triage).

Each change is applied to the current analysis at once and recorded in the
workspace's edit journal (who, when, what); every later analysis replays the
journal (``analysis.themes``), so a change survives re-analysis.

- rename and move change the current run in place (cheap on any size);
- merge and split re-derive labels, coverage and scores, so they make a new run
  of kind "curation" from the current one (``pipeline.rebuild_run``).

Who made a change: $GAPLENS_USER, else the login name.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.browse import note_vectors
from analysis.results import NoAnalysis, current_run
from gaplens.store import Store

MAX_SPLIT_PARTS = 6


class CurationError(ValueError):
    """A change that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Change:
    summary: str
    run_id: int  # the run that shows the change
    theme_ids: tuple[int, ...] = ()


def who_am_i() -> str:
    try:
        return os.environ.get("GAPLENS_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


def _themes(store: Store, run_id: int) -> dict[int, dict]:
    return {
        c["cluster_id"]: c
        for c in store.db.query(
            "select cluster_id, label, size from clusters where run_id = ?", [run_id]
        )
    }


def _theme(themes: dict[int, dict], theme_id: int) -> dict:
    if theme_id not in themes:
        raise CurationError(f"no theme {theme_id} in the current analysis (see 'gaplens clusters')")
    return themes[theme_id]


def rename_theme(store: Store, theme_id: int, name: str, who: str | None = None) -> Change:
    """Give a theme a person's name; it keeps it through re-analyses while the theme lives."""
    run = current_run(store)
    old = _theme(_themes(store, run["id"]), theme_id)
    name = " ".join(name.split())
    if not name:
        raise CurationError("a theme name cannot be empty")
    clash = store.db.execute(
        "select cluster_id from clusters where run_id = ? and cluster_id != ? and lower(label) = ?",
        [run["id"], theme_id, name.lower()],
    ).fetchone()
    if clash:
        raise CurationError(
            f"theme {clash[0]} is already called '{name}': merge the two themes instead, "
            "or choose another name"
        )
    with store.db.atomic():
        store.rename_cluster(run["id"], theme_id, name)
        summary = f"renamed theme {theme_id} '{old['label']}' to '{name}'"
        store.add_edit(
            "rename",
            summary,
            run_id=run["id"],
            who=who or who_am_i(),
            theme_ids=[theme_id],
            detail={"name": name, "was": old["label"]},
        )
    return Change(summary, run["id"], (theme_id,))


def move_notes(
    store: Store, note_ids: Sequence[str], theme_id: int, who: str | None = None
) -> Change:
    """Put notes in a theme (also how an unclustered note is assigned); they stay there."""
    run = current_run(store)
    themes = _themes(store, run["id"])
    target = _theme(themes, theme_id)
    note_ids = list(dict.fromkeys(note_ids))
    if not note_ids:
        raise CurationError("no notes to move")
    current = dict(
        store.db.execute(
            f"select note_id, cluster_id from assignments where run_id = ? and note_id in "
            f"({','.join('?' * len(note_ids))})",
            [run["id"], *note_ids],
        ).fetchall()
    )
    missing = [n for n in note_ids if n not in current]
    if missing:
        raise CurationError(
            f"not in the current analysis: {', '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + " (a note not analysed yet is placed in a theme first, on import or by an"
            " incremental analysis)"
        )
    moving = [n for n in note_ids if current[n] != theme_id]
    with store.db.atomic():
        for n in moving:
            store.db.execute(
                "update assignments set cluster_id = ?, method = 'pinned', probability = 1.0 "
                "where run_id = ? and note_id = ?",
                [theme_id, run["id"], n],
            )
            if current[n] is not None:
                store.db.execute(
                    "update clusters set size = size - 1 where run_id = ? and cluster_id = ?",
                    [run["id"], current[n]],
                )
        store.db.execute(
            "update clusters set size = size + ? where run_id = ? and cluster_id = ?",
            [len(moving), run["id"], theme_id],
        )
        store.db.execute("delete from facts_cache")
        what = note_ids[0] if len(note_ids) == 1 else f"{len(note_ids)} notes"
        summary = f"moved {what} to theme {theme_id} '{target['label']}'"
        store.add_edit(
            "move",
            summary,
            run_id=run["id"],
            who=who or who_am_i(),
            theme_ids=[theme_id],
            note_ids=note_ids,
            detail={"from": {n: current[n] for n in note_ids}},
        )
    return Change(summary, run["id"], (theme_id,))


def merge_themes(
    store: Store, target: int, sources: Sequence[int], who: str | None = None, embedder=None
) -> Change:
    """Fold the source themes into the target, which keeps its id and its name."""
    from analysis.pipeline import rebuild_run

    run = current_run(store)
    themes = _themes(store, run["id"])
    into = _theme(themes, target)
    sources = [s for s in dict.fromkeys(sources) if s != target]
    if not sources:
        raise CurationError("name at least one other theme to merge into the target")
    for s in sources:
        _theme(themes, s)
    moved = {
        note_id: target
        for (note_id,) in store.db.execute(
            f"select note_id from assignments where run_id = ? and cluster_id in "
            f"({','.join('?' * len(sources))})",
            [run["id"], *sources],
        ).fetchall()
    }
    names = ", ".join(f"{s} '{themes[s]['label']}'" for s in sources)
    summary = f"merged {names} into theme {target} '{into['label']}'"
    # recorded first, so the rebuilt run already carries the target's name; undone on failure
    edit = store.add_edit(
        "merge",
        summary,
        run_id=run["id"],
        who=who or who_am_i(),
        theme_ids=[target, *sources],
        # the merged theme goes on under the target's name, as a rename would keep it
        detail={"name": into["label"], "labels": {str(s): themes[s]["label"] for s in sources}},
    )
    try:
        new_run = rebuild_run(store, moved, action="merge", embedder=embedder)
    except BaseException:
        store.db.execute("delete from theme_edits where id = ?", [edit])
        raise
    store.db.execute("update theme_edits set run_id = ? where id = ?", [new_run, edit])
    return Change(summary, new_run, (target,))


def split_theme(
    store: Store,
    theme_id: int,
    parts: int | None = None,
    who: str | None = None,
    embedder=None,
) -> Change:
    """Re-cluster one theme's notes into parts (k-means; k chosen by silhouette unless given).

    The largest part keeps the theme's id (and a name a person gave it); the others
    get new ids and labels from their own notes.
    """
    from analysis.pipeline import rebuild_run

    run = current_run(store)
    themes = _themes(store, run["id"])
    theme = _theme(themes, theme_id)
    note_ids, vectors = note_vectors(store, run["id"], theme_id)
    if parts is not None and not 2 <= parts <= MAX_SPLIT_PARTS:
        raise CurationError(f"a theme splits into 2 to {MAX_SPLIT_PARTS} parts")
    if len(note_ids) < 4 or (parts and len(note_ids) < 2 * parts):
        raise CurationError(
            f"theme {theme_id} has {len(note_ids)} notes: too few to split"
            + (f" into {parts}" if parts else "")
        )
    part_of = _split(vectors, parts)
    sizes = np.bincount(part_of)
    order = sorted(range(len(sizes)), key=lambda p: (-sizes[p], p))
    first_new = store.next_theme_id()
    ids = {order[0]: theme_id}
    for rank, p in enumerate(order[1:]):
        ids[p] = first_new + rank
    moved = {
        n: ids[int(p)] for n, p in zip(note_ids, part_of, strict=True) if ids[int(p)] != theme_id
    }
    new_ids = [ids[p] for p in order]
    summary = (
        f"split theme {theme_id} '{theme['label']}' ({len(note_ids)} notes) into "
        + ", ".join(f"{t} ({int(sizes[p])})" for t, p in zip(new_ids, order, strict=True))
    )
    new_run = rebuild_run(store, moved, action="split", embedder=embedder)
    store.add_edit(
        "split",
        summary,
        run_id=new_run,
        who=who or who_am_i(),
        theme_ids=new_ids,
        detail={"sizes": [int(sizes[p]) for p in order]},
    )
    return Change(summary, new_run, tuple(new_ids))


def _split(vectors: np.ndarray, parts: int | None) -> np.ndarray:
    """Part of each row: k-means on the unit vectors, k given or the silhouette's best."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    def fit(k: int) -> np.ndarray:
        return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors)

    if parts:
        return fit(parts)
    best, best_score = None, -2.0
    for k in range(2, min(MAX_SPLIT_PARTS, len(vectors) // 2) + 1):
        found = fit(k)
        if len(set(found.tolist())) < 2:
            continue
        score = silhouette_score(vectors, found, metric="cosine")
        if score > best_score + 1e-9:
            best, best_score = found, score
    return best if best is not None else fit(2)


__all__ = [
    "Change",
    "CurationError",
    "NoAnalysis",
    "merge_themes",
    "move_notes",
    "rename_theme",
    "split_theme",
    "who_am_i",
]
