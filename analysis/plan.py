"""The content plan: what the team decided to write for which theme, and what came of it.

A theme becomes a plan item with a status (``STATUSES``), an owner, a target
quarter, a format and a comment. Items are kept by the stable theme id, so they
hold across re-analyses (a theme merged into another brings its item along), and
every change is journalled in ``plan_events`` so a later quarter can see what
was planned and what happened.

Two questions the quarterly session asks are answered here:

- *Did the content we planned get written?* ``publish_proposals`` finds planned
  items whose theme is now answered by an asset imported after the item was
  made, and proposes marking them published.
- *Did it help?* ``publish_effect`` compares the theme's notes in the quarter
  before publishing with the quarters after it, as counts and as a share of all
  notes (so a quieter quarter for everyone does not read as success).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from analysis.results import NoAnalysis, current_run
from analysis.themes import Curation
from gaplens.store import Store, now

STATUSES = ("backlog", "planned", "in progress", "published", "won't do")
OPEN_STATUSES = ("backlog", "planned", "in progress")
FORMATS = ("faq entry", "how-to", "battlecard", "comparison page", "case study", "blog post")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*q([1-4])\s*$|^\s*q([1-4])\s*-?\s*(\d{4})\s*$", re.I)
_STATUS_ALIASES = {
    "todo": "backlog",
    "doing": "in progress",
    "in-progress": "in progress",
    "inprogress": "in progress",
    "done": "published",
    "wont do": "won't do",
    "won't-do": "won't do",
    "wontdo": "won't do",
    "dropped": "won't do",
}


class PlanError(ValueError):
    """A plan change that cannot be made, with what to do instead."""


@dataclass(frozen=True)
class PlanItem:
    id: int
    theme_id: int  # the theme now holding the item's notes (merges followed)
    label: str  # the theme's current name, else the name it had when planned
    status: str
    owner: str | None
    quarter: str | None
    format: str | None
    comment: str | None
    asset_id: str | None  # the asset that published it
    created_at: str
    updated_at: str
    published_at: str | None
    in_analysis: bool  # the theme is in the current analysis
    notes: int  # the theme's notes now (0 when it is not in the analysis)
    content_status: str | None  # none | weak | covered, now
    score: float | None


def normalize_quarter(text: str | None) -> str | None:
    """'2026Q3', '2026-q3', 'Q3 2026' -> '2026Q3'; None stays None."""
    if text is None or not str(text).strip():
        return None
    m = _QUARTER.match(str(text))
    if not m:
        raise PlanError(f"'{text}' is not a quarter: write it like 2026Q3")
    year, q = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    return f"{year}Q{q}"


def normalize_status(text: str) -> str:
    value = " ".join(str(text).strip().lower().replace("_", " ").split())
    value = _STATUS_ALIASES.get(value, value)
    if value not in STATUSES:
        raise PlanError(f"'{text}' is not a plan status: use one of {', '.join(STATUSES)}")
    return value


def quarter_of_day(day: str) -> str:
    return f"{day[:4]}Q{(int(day[5:7]) + 2) // 3}"


def _today() -> str:
    return date.today().isoformat()


# -- reading ------------------------------------------------------------------


def plan_items(store: Store, *, include_closed: bool = True) -> list[PlanItem]:
    """Every plan item with its theme as the current analysis sees it, by status then score."""
    run = store.latest_run()
    curation = Curation.from_edits(store.edits())
    themes = {c["cluster_id"]: c for c in store.clusters(run["id"])} if run else {}
    notes = _theme_notes(store, run["id"]) if run else {}
    out = []
    for r in store.db.query("select * from plan_items order by id"):
        if not include_closed and r["status"] not in OPEN_STATUSES:
            continue
        tid = curation.resolve(r["theme_id"])
        c = themes.get(tid)
        out.append(
            PlanItem(
                id=r["id"],
                theme_id=tid,
                label=c["label"] if c else r["label"],
                status=r["status"],
                owner=r["owner"],
                quarter=r["quarter"],
                format=r["format"],
                comment=r["comment"],
                asset_id=r["asset_id"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                published_at=r["published_at"],
                in_analysis=c is not None,
                notes=notes.get(tid, 0),
                content_status=c["content_status"] if c else None,
                score=c["score"] if c else None,
            )
        )
    order = {s: i for i, s in enumerate(STATUSES)}
    out.sort(key=lambda i: (order.get(i.status, 9), -(i.score or 0.0), i.id))
    return out


def plan_item(store: Store, item_id: int) -> PlanItem:
    for item in plan_items(store):
        if item.id == item_id:
            return item
    raise NoAnalysis(f"no plan item {item_id} (see 'gaplens plan list')")


def item_for_theme(store: Store, theme_id: int) -> PlanItem | None:
    """The theme's open item, else its latest closed one."""
    mine = [i for i in plan_items(store) if i.theme_id == theme_id]
    open_ = [i for i in mine if i.status in OPEN_STATUSES]
    return (open_ or sorted(mine, key=lambda i: i.id))[-1] if mine else None


def events(store: Store, item_id: int | None = None) -> list[dict]:
    where, args = ("item_id = ?", [item_id]) if item_id is not None else (None, [])
    return list(store.db["plan_events"].rows_where(where, args, order_by="id"))


def _theme_notes(store: Store, run_id: int) -> dict[int, int]:
    """theme -> notes, a split note counted once."""
    return dict(
        store.db.execute(
            "select a.cluster_id, count(distinct coalesce(n.parent_id, n.note_id)) "
            "from assignments a join notes n on n.note_id = a.note_id "
            "where a.run_id = ? and a.cluster_id is not null group by a.cluster_id",
            [run_id],
        ).fetchall()
    )


# -- writing ------------------------------------------------------------------


def add_item(
    store: Store,
    theme_id: int,
    *,
    status: str = "backlog",
    owner: str | None = None,
    quarter: str | None = None,
    format: str | None = None,
    comment: str | None = None,
    who: str | None = None,
) -> PlanItem:
    """Put a theme on the plan. A theme has at most one open item."""
    from analysis.curate import who_am_i

    run = current_run(store)
    found = store.db.execute(
        "select label from clusters where run_id = ? and cluster_id = ?", [run["id"], theme_id]
    ).fetchone()
    if found is None:
        raise NoAnalysis(f"the current analysis has no theme {theme_id} (see 'gaplens gaps --all')")
    existing = item_for_theme(store, theme_id)
    if existing and existing.status in OPEN_STATUSES:
        raise PlanError(
            f"theme {theme_id} is already on the plan as item {existing.id} ({existing.status}); "
            f"change it with 'gaplens plan set {existing.id} ...'"
        )
    status = normalize_status(status)
    stamp = now()
    who = who or who_am_i()
    table = store.db["plan_items"]
    with store.db.atomic():
        table.insert(
            {
                "theme_id": theme_id,
                "label": found[0],
                "status": status,
                "owner": _clean(owner),
                "quarter": normalize_quarter(quarter),
                "format": _clean(format),
                "comment": _clean(comment),
                "created_at": stamp,
                "updated_at": stamp,
                "published_at": _today() if status == "published" else None,
                "who": who,
            }
        )
        item_id = table.last_pk
        _event(store, item_id, who, "created", None, status)
        if quarter:  # what a later quarter's review looks for
            _event(store, item_id, who, "quarter", None, normalize_quarter(quarter))
    return plan_item(store, item_id)


_UNSET = object()


def update_item(
    store: Store,
    item_id: int,
    *,
    status=_UNSET,
    owner=_UNSET,
    quarter=_UNSET,
    format=_UNSET,
    comment=_UNSET,
    asset_id=_UNSET,
    published_on: str | None = None,
    who: str | None = None,
) -> PlanItem:
    """Change an item; each changed field is journalled. Publishing stamps the date."""
    from analysis.curate import who_am_i

    found = list(store.db["plan_items"].rows_where("id = ?", [item_id]))
    if not found:
        raise NoAnalysis(f"no plan item {item_id} (see 'gaplens plan list')")
    current = found[0]
    wanted = {}
    if status is not _UNSET:
        wanted["status"] = normalize_status(status)
    if owner is not _UNSET:
        wanted["owner"] = _clean(owner)
    if quarter is not _UNSET:
        wanted["quarter"] = normalize_quarter(quarter)
    if format is not _UNSET:
        wanted["format"] = _clean(format)
    if comment is not _UNSET:
        wanted["comment"] = _clean(comment)
    if asset_id is not _UNSET:
        if (
            asset_id
            and not store.db.execute(
                "select 1 from assets where asset_id = ?", [asset_id]
            ).fetchone()
        ):
            raise NoAnalysis(f"no asset '{asset_id}' in the workspace")
        wanted["asset_id"] = asset_id or None
    if wanted.get("status") == "published" and current["status"] != "published":
        day = published_on or _today()
        try:
            date.fromisoformat(day)
        except ValueError:
            raise PlanError(f"'{day}' is not a date: write it like 2026-08-14") from None
        wanted["published_at"] = day
    elif "status" in wanted and wanted["status"] != "published":
        wanted["published_at"] = None
    changed = {k: v for k, v in wanted.items() if v != current[k]}
    if not changed:
        return plan_item(store, item_id)
    who = who or who_am_i()
    with store.db.atomic():
        store.db["plan_items"].update(item_id, {**changed, "updated_at": now(), "who": who})
        for field, value in changed.items():
            _event(store, item_id, who, field, current[field], value)
    return plan_item(store, item_id)


def remove_item(store: Store, item_id: int) -> None:
    with store.db.atomic():
        if not store.db.execute("delete from plan_items where id = ?", [item_id]).rowcount:
            raise NoAnalysis(f"no plan item {item_id} (see 'gaplens plan list')")
        store.db.execute("delete from plan_events where item_id = ?", [item_id])


def _event(store: Store, item_id: int, who: str, field: str, old, new) -> None:
    store.db["plan_events"].insert(
        {
            "item_id": item_id,
            "at": now(),
            "who": who,
            "field": field,
            "old": None if old is None else str(old),
            "new": None if new is None else str(new),
        }
    )


def _clean(text: str | None) -> str | None:
    text = " ".join(str(text).split()) if text is not None else ""
    return text or None


# -- what came of it ------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A planned theme that new content now answers: mark it published?"""

    item: PlanItem
    asset_id: str
    title: str
    coverage: float
    reason: str


def publish_proposals(store: Store, items: list[PlanItem] | None = None) -> list[Proposal]:
    """Planned or in-progress items whose theme an asset imported since now answers.

    ``items``: ``plan_items(store)`` when the caller has them already.
    """
    run = store.latest_run()
    if run is None:
        return []
    themes = {c["cluster_id"]: c for c in store.clusters(run["id"])}
    assets = {
        r["asset_id"]: r for r in store.db.query("select asset_id, title, created_at from assets")
    }
    out = []
    items = plan_items(store) if items is None else items
    for item in (i for i in items if i.status in OPEN_STATUSES):
        c = themes.get(item.theme_id)
        if item.status == "backlog" or c is None or c["is_gap"] or not c["best_asset_id"]:
            continue
        asset = assets.get(c["best_asset_id"])
        # imported since the item was made (timestamps are to the second: the same second counts)
        if asset is None or (asset["created_at"] or "") < item.created_at:
            continue
        out.append(
            Proposal(
                item=item,
                asset_id=asset["asset_id"],
                title=asset["title"],
                coverage=c["coverage"],
                reason=(
                    f"'{asset['title']}' was imported {asset['created_at'][:10]}, after the item "
                    f"was planned, and answers the theme (coverage {c['coverage']:.2f})"
                ),
            )
        )
    return out


@dataclass(frozen=True)
class Effect:
    """A published theme's notes before and after publishing."""

    item_id: int
    published_at: str
    before_quarter: str  # the full quarter before the one it was published in
    before: int
    before_share: float
    after_quarters: tuple[str, ...]  # full quarters after the one it was published in
    after: float  # notes per quarter, averaged over after_quarters
    after_share: float
    verdict: str  # "fell" | "rose" | "held" | "too early"


def publish_effect(
    store: Store, item: PlanItem, run_id: int | None = None, until: str | None = None
) -> Effect | None:
    """Did the theme's notes fall after its content was published? None if unpublished.

    ``until``: the last quarter to look at (a report on a past quarter), else the newest.
    """
    if not item.published_at:
        return None
    run_id = run_id or current_run(store)["id"]
    pub_q = quarter_of_day(item.published_at)
    before_q = _shift(pub_q, -1)
    per_q = dict(
        store.db.execute(
            "select q, count(distinct nid) from (select coalesce(n.parent_id, n.note_id) nid, "
            "substr(n.date, 1, 4) || 'Q' || ((cast(substr(n.date, 6, 2) as integer) + 2) / 3) q "
            "from assignments a join notes n on n.note_id = a.note_id "
            "where a.run_id = ? and a.cluster_id = ? and n.date is not null) group by q",
            [run_id, item.theme_id],
        ).fetchall()
    )
    totals = dict(
        store.db.execute(
            "select q, count(distinct nid) from (select coalesce(parent_id, note_id) nid, "
            "substr(date, 1, 4) || 'Q' || ((cast(substr(date, 6, 2) as integer) + 2) / 3) q "
            "from notes where date is not null) group by q"
        ).fetchall()
    )
    newest = max(totals) if totals else pub_q
    if until:
        newest = min(newest, normalize_quarter(until))
    after_qs = []
    q = _shift(pub_q, 1)
    while q <= newest:
        after_qs.append(q)
        q = _shift(q, 1)
    before = per_q.get(before_q, 0)
    before_share = before / totals[before_q] if totals.get(before_q) else 0.0
    if not after_qs:
        return Effect(
            item.id, item.published_at, before_q, before, before_share, (), 0.0, 0.0, "too early"
        )
    after = sum(per_q.get(q, 0) for q in after_qs) / len(after_qs)
    after_total = sum(totals.get(q, 0) for q in after_qs)
    after_share = sum(per_q.get(q, 0) for q in after_qs) / after_total if after_total else 0.0
    if before_share == 0:
        verdict = "rose" if after_share > 0 else "held"
    else:
        ratio = after_share / before_share
        verdict = "fell" if ratio <= 0.75 else "rose" if ratio >= 1.25 else "held"
    return Effect(
        item.id, item.published_at, before_q, before, before_share, tuple(after_qs), after,
        after_share, verdict,
    )  # fmt: skip


def _shift(quarter: str, by: int) -> str:
    year, q = int(quarter[:4]), int(quarter[5])
    index = year * 4 + (q - 1) + by
    return f"{index // 4}Q{index % 4 + 1}"


@dataclass(frozen=True)
class Review:
    """What was planned for a quarter and what happened to it."""

    quarter: str
    items: list[tuple[PlanItem, str]]  # each item with one line on what happened


def quarter_review(store: Store, quarter: str, items: list[PlanItem] | None = None) -> Review:
    """Items that targeted the quarter, or were published in it, with what became of them."""
    quarter = normalize_quarter(quarter)
    targeted = {  # items that aimed at the quarter at some point, even if moved since
        r[0]
        for r in store.db.execute(
            "select item_id from plan_events where field = 'quarter' and new = ?", [quarter]
        ).fetchall()
    }
    out = []
    for item in plan_items(store) if items is None else items:
        published_in = quarter_of_day(item.published_at) if item.published_at else None
        if item.id not in targeted and item.quarter != quarter and published_in != quarter:
            continue
        if item.status == "published":
            effect = publish_effect(store, item, until=quarter) if item.in_analysis else None
            what = f"published {item.published_at}"
            if item.asset_id:
                what += f" as {store.asset_titles().get(item.asset_id, item.asset_id)}"
            if published_in and item.quarter and published_in > item.quarter:
                what += f" (late: planned for {item.quarter})"
            if effect and effect.verdict != "too early":
                what += (
                    f"; notes {effect.verdict}: {effect.before} in {effect.before_quarter}, "
                    f"{effect.after:.1f} a quarter since ({effect.before_share:.0%} -> "
                    f"{effect.after_share:.0%} of all notes)"
                )
            elif effect:
                what += "; too early to see an effect on notes"
        elif item.status == "won't do":
            what = "dropped" + (f": {item.comment}" if item.comment else "")
        else:
            what = f"not published: still {item.status}"
            if item.quarter and item.quarter != quarter:
                what += f", moved to {item.quarter}"
        out.append((item, what))
    return Review(quarter=quarter, items=out)
