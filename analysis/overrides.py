"""Coverage the team controls: links, unlinks and outdated marks on top of the automatic match.

The analysis matches every theme to the content that answers it best
(``analysis.coverage``). People know things the match does not:

- **link** an asset to a theme: it answers the theme (coverage ``LINKED_COVERAGE``),
  whatever the match said;
- **unlink** an asset from a theme: it does not answer it, however close it reads;
- mark an asset **outdated**: it still says something about its themes, but
  only ``OUTDATED_FACTOR`` of its coverage counts.

Links are kept by the stable theme id (``analysis.themes``) and marks by asset
id, in their own tables, so they hold across re-analyses: every run ends with
``apply_overrides``, which rewrites each theme's coverage, best asset, gap flag,
score and content status from the automatic match and the current links and
marks. A link on a theme that was later merged follows it into the merged theme.

Each theme gets one of three content statuses:

- ``none``: no content answers it (coverage below the gap threshold and no
  outdated asset that would have answered it);
- ``weak``: content exists but answers only in part (coverage between the gap
  threshold and ``COVERED_AT``), or the asset that answers it is outdated;
- ``covered``: an up-to-date asset answers it (coverage at or above
  ``COVERED_AT``, or a person linked one).

A theme is a gap while its coverage is below the gap threshold, whatever its status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from analysis.results import COVERED_AT, NoAnalysis, current_run
from analysis.themes import Curation
from gaplens.store import Store, now

LINKED_COVERAGE = 1.0
OUTDATED_FACTOR = 0.5
STATUSES = ("none", "weak", "covered")
STATUS_TEXT = {"none": "no content", "weak": "weak", "covered": "covered"}


@dataclass(frozen=True)
class Candidate:
    asset_id: str
    coverage: float  # what counts: after links and outdated marks
    auto: float | None  # what the automatic match said (None: a link the match did not rank)
    similarity: float | None
    passage_id: int | None
    linked: bool
    outdated: bool


@dataclass(frozen=True)
class ThemeCoverage:
    """Where a theme stands once people's links and marks are applied."""

    theme_id: int
    coverage: float
    status: str  # none | weak | covered
    is_gap: bool
    best: Candidate | None
    unlinked: tuple[str, ...]  # assets a person said do not answer it


def effective(
    auto: list[dict],
    *,
    linked: set[str],
    unlinked: set[str],
    outdated: set[str],
    threshold: float,
) -> tuple[list[Candidate], float, str]:
    """Candidates (best first), coverage and status of one theme.

    ``auto``: the automatic matches, best first (asset_id, score, similarity,
    passage_id). Pure, so the rules are tested without a workspace.
    """
    cands: dict[str, Candidate] = {}
    for row in auto:
        a = row["asset_id"]
        if a in unlinked:
            continue
        base = LINKED_COVERAGE if a in linked else row["score"]
        cands[a] = Candidate(
            asset_id=a,
            coverage=base * (OUTDATED_FACTOR if a in outdated else 1.0),
            auto=row["score"],
            similarity=row["similarity"],
            passage_id=row["passage_id"],
            linked=a in linked,
            outdated=a in outdated,
        )
    for a in sorted(linked - set(cands) - unlinked):
        cands[a] = Candidate(
            asset_id=a,
            coverage=LINKED_COVERAGE * (OUTDATED_FACTOR if a in outdated else 1.0),
            auto=None,
            similarity=None,
            passage_id=None,
            linked=True,
            outdated=a in outdated,
        )
    ranked = sorted(cands.values(), key=lambda c: (-c.coverage, not c.linked, c.asset_id))
    coverage = ranked[0].coverage if ranked else 0.0
    best = ranked[0] if ranked else None
    # an outdated asset that would have answered the theme had it been up to date
    stale = any(c.outdated and c.coverage / OUTDATED_FACTOR >= threshold for c in ranked)
    if coverage < threshold:
        status = "weak" if stale else "none"
    elif best.outdated or (coverage < COVERED_AT and not best.linked):
        status = "weak"
    else:
        status = "covered"
    return ranked, coverage, status


def status_text(status: str | None) -> str:
    return STATUS_TEXT.get(status or "", status or "")


# -- reading and writing people's say -------------------------------------------


def links(store: Store) -> dict[int, dict[str, str]]:
    """theme id -> {asset id: "link" | "unlink"}, merged themes followed to their target."""
    curation = Curation.from_edits(store.edits())
    out: dict[int, dict[str, str]] = {}
    for r in store.db.query("select theme_id, asset_id, action from asset_links order by at"):
        out.setdefault(curation.resolve(r["theme_id"]), {})[r["asset_id"]] = r["action"]
    return out


def outdated_assets(store: Store) -> dict[str, str | None]:
    """asset id -> the reason given, for every asset marked outdated."""
    return dict(
        store.db.execute("select asset_id, reason from asset_marks where outdated = 1").fetchall()
    )


def apply_overrides(store: Store, run_id: int | None = None) -> dict[int, ThemeCoverage]:
    """Rewrite the run's themes from the automatic match plus links and marks."""
    run = store.db["runs"].get(run_id) if run_id else current_run(store)
    threshold = json.loads(run["params"] or "{}").get("gap_threshold", 0.5)
    auto: dict[int, list[dict]] = {}
    for r in store.coverage(run["id"]):
        auto.setdefault(r["cluster_id"], []).append(r)
    said = links(store)
    stale = set(outdated_assets(store))
    out = {}
    with store.db.atomic():
        for c in store.clusters(run["id"]):
            cid = c["cluster_id"]
            mine = said.get(cid, {})
            ranked, coverage, status = effective(
                auto.get(cid, []),
                linked={a for a, act in mine.items() if act == "link"},
                unlinked={a for a, act in mine.items() if act == "unlink"},
                outdated=stale,
                threshold=threshold,
            )
            best = ranked[0] if ranked else None
            parts = json.loads(c["score_parts"] or "{}")
            score = 100.0 * parts.get("demand", 0.0) * parts.get("momentum", 0.0) * (1 - coverage)
            parts.update(coverage=round(coverage, 4), score=round(score, 4))
            store.db["clusters"].update(
                (run["id"], cid),
                {
                    "coverage": coverage,
                    "best_asset_id": best.asset_id if best else None,
                    "best_passage_id": best.passage_id if best else None,
                    "best_similarity": best.similarity if best else None,
                    "is_gap": int(coverage < threshold),
                    "score": score if parts.get("demand") is not None else c["score"],
                    "score_parts": json.dumps(parts),
                    "content_status": status,
                },
            )
            out[cid] = ThemeCoverage(
                theme_id=cid,
                coverage=coverage,
                status=status,
                is_gap=coverage < threshold,
                best=best,
                unlinked=tuple(sorted(a for a, act in mine.items() if act == "unlink")),
            )
    return out


@dataclass(frozen=True)
class Override:
    """What a link, unlink or mark did: one line for people and the theme's standing after."""

    summary: str
    after: ThemeCoverage | None = None  # the theme's standing now (a link or unlink)


def _asset(store: Store, asset_id: str) -> dict:
    row = store.db.execute(
        "select asset_id, title from assets where asset_id = ?", [asset_id]
    ).fetchone()
    if row is None:
        raise NoAnalysis(f"no asset '{asset_id}' in the workspace (see 'gaplens export assets')")
    return {"asset_id": row[0], "title": row[1]}


def _theme(store: Store, run_id: int, theme_id: int) -> dict:
    rows = list(
        store.db["clusters"].rows_where("run_id = ? and cluster_id = ?", [run_id, theme_id])
    )
    if not rows:
        raise NoAnalysis(f"the current analysis has no theme {theme_id} (see 'gaplens clusters')")
    return rows[0]


def set_link(
    store: Store, theme_id: int, asset_id: str, action: str | None, who: str | None = None
) -> Override:
    """Link ("link"), unlink ("unlink") or forget a person's say (None) on an asset and a theme."""
    from analysis.curate import who_am_i

    if action not in ("link", "unlink", None):
        raise ValueError(f"action must be link, unlink or None, not {action!r}")
    run = current_run(store)
    theme = _theme(store, run["id"], theme_id)
    asset = _asset(store, asset_id)
    if action is None:
        found = store.db.execute(
            "delete from asset_links where theme_id = ? and asset_id = ?", [theme_id, asset_id]
        ).rowcount
        if not found:
            raise NoAnalysis(f"no link or unlink of '{asset_id}' on theme {theme_id} to forget")
    else:
        store.db["asset_links"].upsert(
            {
                "theme_id": theme_id,
                "asset_id": asset_id,
                "action": action,
                "at": now(),
                "who": who or who_am_i(),
            },
            pk=("theme_id", "asset_id"),
        )
    after = apply_overrides(store, run["id"]).get(theme_id)
    verb = {"link": "answers", "unlink": "does not answer", None: "is matched automatically to"}
    before = _describe(theme["content_status"], theme["coverage"], theme["is_gap"])
    now_ = _describe(after.status, after.coverage, after.is_gap) if after else "?"
    summary = (
        f"'{asset['title']}' {verb[action]} theme {theme_id} ({theme['label']}): {before} -> {now_}"
    )
    return Override(summary, after)


def mark_outdated(
    store: Store,
    asset_id: str,
    outdated: bool = True,
    reason: str | None = None,
    who: str | None = None,
) -> Override:
    """Mark an asset outdated (or up to date again) and re-rate the themes it answers."""
    from analysis.curate import who_am_i

    asset = _asset(store, asset_id)
    store.db["asset_marks"].upsert(
        {
            "asset_id": asset_id,
            "outdated": int(outdated),
            "reason": reason,
            "at": now(),
            "who": who or who_am_i(),
        },
        pk="asset_id",
    )
    run = store.latest_run()
    changed = []
    if run:
        before = {
            c["cluster_id"]: (c["label"], c["content_status"], c["is_gap"])
            for c in store.clusters(run["id"])
        }
        for cid, cov in apply_overrides(store, run["id"]).items():
            label, status, gap = before[cid]
            if status != cov.status or bool(gap) != cov.is_gap:
                changed.append(f"{label}: {status_text(status)} -> {status_text(cov.status)}")
    state = "outdated" if outdated else "up to date"
    summary = f"'{asset['title']}' marked {state}" + (
        "; " + "; ".join(changed) if changed else "; no theme changed status"
    )
    return Override(summary)


def _describe(status: str | None, coverage: float | None, is_gap) -> str:
    gap = ", a gap" if is_gap else ""
    return f"{status_text(status)} ({coverage or 0.0:.2f}{gap})"


@dataclass(frozen=True)
class LinkRow:
    theme_id: int
    label: str | None  # None: the theme is not in the current analysis
    asset_id: str
    title: str | None
    action: str
    at: str
    who: str


def link_rows(store: Store) -> list[LinkRow]:
    """Every link and unlink people made, with the theme's current name."""
    run = store.latest_run()
    labels = {c["cluster_id"]: c["label"] for c in store.clusters(run["id"])} if run else {}
    titles = store.asset_titles()
    curation = Curation.from_edits(store.edits())
    return [
        LinkRow(
            theme_id=r["theme_id"],
            label=labels.get(curation.resolve(r["theme_id"])),
            asset_id=r["asset_id"],
            title=titles.get(r["asset_id"]),
            action=r["action"],
            at=r["at"],
            who=r["who"],
        )
        for r in store.db.query("select * from asset_links order by theme_id, asset_id")
    ]
