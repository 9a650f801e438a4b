"""What the screens show, read from the workspace as plain data.

The terminal UI calls these from worker threads (each with its own Store) and
only draws what comes back, so every query here is written to stay fast on a
workspace of 100,000 notes: aggregation happens in SQLite, lists are capped,
and nothing here loads the embedding model or imports the analysis libraries.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from analysis.results import NoAnalysis, current_run, status_of
from analysis.themes import change_counts, describe_change, sort_changes
from gaplens.models import NOTE_KINDS
from gaplens.store import Store

UNCLUSTERED = -1  # the cluster id the screens use for notes no theme took
TREND_DAYS = 90  # the trend compares the last 90 days with the 90 before
TREND_QUARTERS = 6  # quarters drawn in a theme's sparkline
NOTE_LIMIT = 200  # rows the notes table shows (it measures each one); the total is always given

KIND_LABELS = {
    "question": "questions",
    "objection": "objections",
    "loss-reason": "loss reasons",
    "call-note": "call notes",
}

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# the quarter of an ISO date, in SQL
_SQL_QUARTER = "substr(n.date, 1, 4) || 'Q' || ((cast(substr(n.date, 6, 2) as integer) + 2) / 3)"


# -- periods -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An inclusive range of ISO dates."""

    start: str
    end: str
    text: str

    def __str__(self) -> str:
        return self.text


def quarter_bounds(year: int, q: int) -> tuple[str, str]:
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start.isoformat(), end.isoformat()


def quarter_of(iso: str | None) -> str | None:
    if not iso or len(iso) < 7:
        return None
    return f"{iso[:4]}Q{(int(iso[5:7]) + 2) // 3}"


def parse_period(text: str | None) -> Period | None:
    """'2026Q2', '2026Q1..2026Q2', '2026-01-15..2026-03-31' or '' (all time)."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split("..")]
    if len(parts) > 2 or not all(parts):
        raise ValueError(
            f"'{text}' is not a period: write a quarter (2026Q2), a range of quarters "
            "(2026Q1..2026Q2) or of dates (2026-01-15..2026-03-31)"
        )
    bounds = [_bound(p) for p in parts]
    start, end = bounds[0][0], bounds[-1][1]
    if start > end:
        raise ValueError(f"the period '{text}' ends before it starts")
    return Period(start, end, text)


def _bound(part: str) -> tuple[str, str]:
    m = _QUARTER.match(part)
    if m:
        return quarter_bounds(int(m.group(1)), int(m.group(2)))
    if _DAY.match(part):
        try:
            date.fromisoformat(part)
        except ValueError:
            raise ValueError(f"'{part}' is not a real date") from None
        return part, part
    raise ValueError(f"'{part}' is neither a quarter like 2026Q2 nor a date like 2026-01-15")


# -- filters -----------------------------------------------------------------


@dataclass(frozen=True)
class NoteFilter:
    """Which notes count: by kind, period, rep and free text (full-text search)."""

    kinds: tuple[str, ...] = ()
    period: Period | None = None
    rep: str | None = None
    text: str = ""

    def sql(self, alias: str = "n") -> tuple[str, list]:
        """A where-clause fragment (starting with ' and') over the notes table."""
        clauses, params = [], []
        if self.kinds:
            clauses.append(f"{alias}.kind in ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        if self.period:
            clauses.append(f"{alias}.date between ? and ?")
            params.extend([self.period.start, self.period.end])
        if self.rep:
            clauses.append(f"{alias}.rep = ?")
            params.append(self.rep)
        query = fts_query(self.text)
        if query:
            clauses.append(
                f"{alias}.rowid in (select rowid from notes_fts where notes_fts match ?)"
            )
            params.append(query)
        return "".join(f" and {c}" for c in clauses), params


def fts_query(text: str) -> str:
    """Free text as an FTS5 query: every word must appear (prefix match), no syntax errors."""
    words = re.findall(r"\w+", text or "")
    return " ".join(f'"{w}"*' for w in words)


# -- themes ------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRow:
    cluster_id: int  # UNCLUSTERED for the notes no theme took
    label: str
    keywords: tuple[str, ...]
    notes: int
    deals: int
    accounts: int
    amount: float
    quarters: tuple[int, ...]  # notes per quarter, oldest first, over the workspace's last quarters
    recent: int  # notes in the last TREND_DAYS
    before: int  # notes in the TREND_DAYS before those
    coverage: float | None
    status: str  # no content | weak | covered (analysis.overrides) | "" for the unclustered row
    score: float | None
    renamed: bool = False
    is_gap: bool = False  # coverage below the gap threshold

    @property
    def trend(self) -> float | None:
        """Change of the last 90 days over the 90 before (0.5 = +50%); None with nothing before."""
        if self.before == 0:
            return None
        return self.recent / self.before - 1


@dataclass(frozen=True)
class ThemeTable:
    run: dict
    rows: list[ThemeRow]
    quarters: tuple[str, ...]  # the quarters the sparklines cover
    total_notes: int  # notes of the run that pass the filter


@dataclass(frozen=True)
class NoteFacts:
    """What the themes table counts, for every note of one run, as arrays.

    Loading it reads the notes and the run's assignments once (a few tenths of
    a second on 100,000 notes); every filter after that is counted in memory in
    milliseconds. A caller keeps it until the workspace changes.
    """

    run_id: int
    notes: int  # notes in the workspace when it was loaded
    rowid: np.ndarray  # the notes' rowids (the full-text index's keys)
    cid: np.ndarray  # theme, UNCLUSTERED for notes no theme took
    kind: np.ndarray  # str
    rep: np.ndarray  # str, "" for none
    day: np.ndarray  # days since 1970-01-01, -1 when undated
    quarter: np.ndarray  # year * 4 + quarter - 1, -1 when undated
    deal: np.ndarray  # deal code, -1 for none
    account: np.ndarray  # account code, -1 for none
    amount: np.ndarray  # the note's own amount, 0 for none
    deal_value: np.ndarray  # per deal code: its largest amount in the workspace
    anchor: str | None  # the newest note's date in the workspace

    def mask(self, flt: NoteFilter) -> np.ndarray:
        """The notes that pass the kind, period and rep filters (not the free text)."""
        keep = np.ones(len(self.cid), dtype=bool)
        if flt.kinds:
            keep &= np.isin(self.kind, list(flt.kinds))
        if flt.period:
            keep &= (self.day >= _days(flt.period.start)) & (self.day <= _days(flt.period.end))
        if flt.rep:
            keep &= self.rep == flt.rep
        return keep


def _days(iso: str) -> int:
    return (date.fromisoformat(iso[:10]) - date(1970, 1, 1)).days


_PACKED = ("rowid", "cid", "day", "quarter", "deal", "account", "amount", "deal_value")


def load_facts(store: Store, run_id: int) -> NoteFacts:
    """The run's note facts: from the workspace's cache when it is current, else read and cached."""
    notes = store.count_notes()
    row = store.db.execute(
        "select data from facts_cache where run_id = ? and notes = ?", [run_id, notes]
    ).fetchone()
    if row:
        try:
            return _unpack(row[0], run_id, notes)
        except (ValueError, KeyError, OSError):
            pass  # unreadable: read the notes again
    facts = read_facts(store, run_id)
    try:
        with store.db.atomic():
            store.db.execute("delete from facts_cache")  # only the latest run's is worth keeping
            store.db.execute(
                "insert into facts_cache (run_id, notes, data) values (?, ?, ?)",
                [run_id, facts.notes, _pack(facts)],
            )
    except sqlite3.OperationalError:
        pass  # a read-only workspace: it still opens, reading the notes each time
    return facts


def _pack(facts: NoteFacts) -> bytes:
    kinds, kind_codes = np.unique(facts.kind.astype(str), return_inverse=True)
    reps, rep_codes = np.unique(facts.rep.astype(str), return_inverse=True)
    out = io.BytesIO()
    np.savez(
        out,
        **{name: getattr(facts, name) for name in _PACKED},
        kind_codes=kind_codes,
        rep_codes=rep_codes,
        meta=np.array(
            json.dumps({"kinds": kinds.tolist(), "reps": reps.tolist(), "anchor": facts.anchor})
        ),
    )
    return out.getvalue()


def _unpack(data: bytes, run_id: int, notes: int) -> NoteFacts:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return NoteFacts(
            run_id=run_id,
            notes=notes,
            kind=np.array(meta["kinds"] or [""], dtype=object)[z["kind_codes"]],
            rep=np.array(meta["reps"] or [""], dtype=object)[z["rep_codes"]],
            anchor=meta["anchor"],
            **{name: z[name] for name in _PACKED},
        )


def read_facts(store: Store, run_id: int) -> NoteFacts:
    """Read the facts from the notes and the run's assignments (no cache)."""
    db = store.db
    assigned = dict(
        db.execute("select note_id, cluster_id from assignments where run_id = ?", [run_id])
    )
    rows = db.execute(
        "select rowid, note_id, kind, date, deal, account, amount, rep from notes"
    ).fetchall()
    rowid, note_id, kind, dates, deal, account, amount, rep = (
        list(c) for c in (zip(*rows, strict=True) if rows else [()] * 8)
    )
    missing = object()
    cid_all = [assigned.get(n, missing) for n in note_id]
    amount_all = np.array([np.nan if a is None else a for a in amount], dtype=np.float64)
    deal_all = _codes(deal)
    # a deal's value: the largest amount any note of the workspace gives it
    deal_value = np.zeros(int(deal_all.max(initial=-1)) + 1, dtype=np.float64)
    priced = (deal_all >= 0) & ~np.isnan(amount_all)
    np.maximum.at(deal_value, deal_all[priced], amount_all[priced])
    keep = np.array([c is not missing for c in cid_all], dtype=bool)  # analysed in this run
    day_text = np.array([d[:10] if d else "1970-01-01" for d in dates], dtype="datetime64[D]")
    dated = np.array([bool(d) for d in dates], dtype=bool)
    day = np.where(dated, day_text.astype(np.int64), -1)
    year = day_text.astype("datetime64[Y]").astype(np.int64) + 1970
    month = day_text.astype("datetime64[M]").astype(np.int64) % 12
    quarter = np.where(dated, year * 4 + month // 3, -1)
    return NoteFacts(
        run_id=run_id,
        notes=len(rows),
        rowid=np.array(rowid, dtype=np.int64)[keep],
        cid=np.array([_cid(c) for c in cid_all if c is not missing], dtype=np.int64),
        kind=np.array(kind, dtype=object)[keep],
        rep=np.array([r or "" for r in rep], dtype=object)[keep],
        day=day[keep],
        quarter=quarter[keep],
        deal=deal_all[keep],
        account=_codes(account)[keep],
        amount=np.nan_to_num(amount_all, nan=0.0)[keep],
        deal_value=deal_value,
        anchor=max((d for d in dates if d), default=None),
    )


def _codes(values: list) -> np.ndarray:
    """Integer codes for strings in order of first appearance, -1 for none."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(v, len(seen)) if v else -1 for v in values], dtype=np.int64)


def _per_theme(cid: np.ndarray, weights: np.ndarray | None = None) -> dict[int, float]:
    ids, inverse = np.unique(cid, return_inverse=True)
    sums = np.bincount(inverse, weights=weights, minlength=len(ids))
    return {int(i): float(v) for i, v in zip(ids, sums, strict=True)}


def _distinct_per_theme(cid: np.ndarray, code: np.ndarray) -> tuple[dict[int, int], np.ndarray]:
    """Distinct codes (>= 0) per theme; also the distinct (theme, code) pairs."""
    has = code >= 0
    if not has.any():
        return {}, np.zeros((0, 2), dtype=np.int64)
    width = int(code.max()) + 1
    keys = np.unique((cid[has] - UNCLUSTERED) * width + code[has])  # one int per pair
    pairs = np.stack([keys // width + UNCLUSTERED, keys % width], axis=1)
    return {k: int(v) for k, v in _per_theme(pairs[:, 0]).items()}, pairs


def theme_table(
    store: Store,
    flt: NoteFilter = NoteFilter(),
    run_id: int | None = None,
    facts: NoteFacts | None = None,
) -> ThemeTable:
    """Every theme of the run (and the unclustered notes) counted over the notes the filter keeps.

    The free text keeps a theme when its name or keywords contain it or when any
    of its notes matches it; counts still cover all the theme's notes that pass
    the kind, period and rep filters. Pass ``facts`` (from ``load_facts``) to skip
    reading the notes again.
    """
    run = store.db["runs"].get(run_id) if run_id else current_run(store)
    if facts is None or facts.run_id != run["id"]:
        facts = load_facts(store, run["id"])
    keep = facts.mask(flt)
    cid = facts.cid[keep]
    counts = {k: int(v) for k, v in _per_theme(cid).items()}
    deals, deal_pairs = _distinct_per_theme(cid, facts.deal[keep])
    accounts, _ = _distinct_per_theme(cid, facts.account[keep])
    amounts = (
        _per_theme(deal_pairs[:, 0], facts.deal_value[deal_pairs[:, 1]]) if len(deal_pairs) else {}
    )
    loose = facts.deal[keep] < 0
    for k, v in _per_theme(cid[loose], facts.amount[keep][loose]).items():
        amounts[k] = amounts.get(k, 0.0) + v
    quarters = _last_quarters(facts.anchor, TREND_QUARTERS)
    per_quarter: dict[int, list[int]] = {}
    if quarters:
        first = int(quarters[0][:4]) * 4 + int(quarters[0][5]) - 1
        q = facts.quarter[keep] - first
        inside = (q >= 0) & (q < len(quarters))
        ids, inverse = np.unique(cid[inside], return_inverse=True)
        grid = np.bincount(
            inverse * len(quarters) + q[inside], minlength=len(ids) * len(quarters)
        ).reshape(len(ids), len(quarters))
        per_quarter = {int(i): [int(v) for v in grid[j]] for j, i in enumerate(ids)}
    recent: dict[int, tuple[int, int]] = {}
    if facts.anchor:
        top = _days(facts.anchor)
        day = facts.day[keep]
        late = _per_theme(cid, (day > top - TREND_DAYS).astype(np.float64))
        early = _per_theme(
            cid, ((day > top - 2 * TREND_DAYS) & (day <= top - TREND_DAYS)).astype(np.float64)
        )
        recent = {k: (int(late.get(k, 0)), int(early.get(k, 0))) for k in late}
    matching = _text_matches(store, facts, flt.text) if fts_query(flt.text) else None
    needle = flt.text.strip().lower()
    narrowed = bool(flt.kinds or flt.period or flt.rep)

    def row(cid_: int, label: str, keywords: tuple, c: dict | None) -> ThemeRow:
        return ThemeRow(
            cluster_id=cid_,
            label=label,
            keywords=keywords,
            notes=counts.get(cid_, 0),
            deals=deals.get(cid_, 0),
            accounts=accounts.get(cid_, 0),
            amount=amounts.get(cid_, 0.0),
            quarters=tuple(per_quarter.get(cid_, [0] * len(quarters))),
            recent=recent.get(cid_, (0, 0))[0],
            before=recent.get(cid_, (0, 0))[1],
            coverage=c["coverage"] if c else None,
            status=status_of(c["coverage"], bool(c["is_gap"]), c.get("content_status"))
            if c
            else "",
            score=c["score"] if c else None,
            is_gap=bool(c and c["is_gap"]),
            # a merge pins the target's own name: only a different name reads as renamed
            renamed=bool(c and c["renamed_at"] and c["label"] != c["auto_label"]),
        )

    rows = []
    for c in store.clusters(run["id"]):
        keywords = tuple(json.loads(c["keywords"] or "[]"))
        if matching is not None and c["cluster_id"] not in matching:
            if needle not in " ".join([c["label"] or "", *keywords]).lower():
                continue
        if narrowed and not counts.get(c["cluster_id"]):
            continue
        rows.append(row(c["cluster_id"], c["label"], keywords, c))
    if UNCLUSTERED in counts and (matching is None or UNCLUSTERED in matching):
        rows.append(row(UNCLUSTERED, "(unclustered notes)", (), None))
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0.0), r.cluster_id))
    return ThemeTable(
        run=run,
        rows=rows,
        quarters=tuple(quarters),
        total_notes=int(keep.sum()),
    )


def _cid(value: int | None) -> int:
    return UNCLUSTERED if value is None else int(value)


def _last_quarters(anchor: str | None, n: int) -> list[str]:
    if not anchor:
        return []
    year, q = int(anchor[:4]), (int(anchor[5:7]) + 2) // 3
    out = []
    for _ in range(n):
        out.append(f"{year}Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def _text_matches(store: Store, facts: NoteFacts, text: str) -> set[int]:
    """Themes with a note that matches the free text (full-text search)."""
    rowids = [
        r[0]
        for r in store.db.execute(
            "select rowid from notes_fts where notes_fts match ?", [fts_query(text)]
        ).fetchall()
    ]
    return {int(c) for c in np.unique(facts.cid[np.isin(facts.rowid, rowids)])}


# -- one theme ---------------------------------------------------------------

# the columns that tie a mention to the note it came from (over notes aliased n)
MENTION = (
    "n.parent_id, n.part, n.parts, "
    "(select o.text from note_originals o where o.note_id = n.parent_id) as original"
)


@dataclass(frozen=True)
class Quote:
    note_id: str
    text: str
    kind: str
    date: str | None
    deal: str | None
    account: str | None
    rep: str | None
    amount: float | None
    # a mention of a longer note (ingest.mentions): the note, its place, the whole text
    parent_id: str | None
    part: int | None
    parts: int | None
    original: str | None

    @property
    def source(self) -> str | None:
        """'mention 2 of 3 of CN-0042' for a mention ('from CN-0042' for a note's only
        mention); None for a whole note."""
        if self.parent_id is None:
            return None
        if self.parts == 1:  # the rest of the note was small talk or logistics
            return f"from {self.parent_id}"
        return f"mention {self.part} of {self.parts} of {self.parent_id}"


@dataclass(frozen=True)
class AssetMatch:
    asset_id: str
    title: str
    coverage: float
    similarity: float
    passage: str | None
    type: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ThemeDetail:
    cluster_id: int
    label: str
    auto_label: str | None
    keywords: tuple[str, ...]
    notes: int
    deals: int
    accounts: int
    amount: float
    coverage: float | None
    status: str
    score: float | None
    score_parts: dict
    kinds: dict[str, int]
    quarters: list[tuple[str, int]]  # every quarter from the first note to the last
    quotes: list[Quote]
    assets: list[AssetMatch]
    first_date: str | None
    last_date: str | None
    renamed_at: str | None = None
    top_deals: list[tuple[str, str | None, float | None]] = field(default_factory=list)


def theme_detail(
    store: Store, cluster_id: int, run_id: int | None = None, quotes: int = 8
) -> ThemeDetail:
    run_id = run_id or current_run(store)["id"]
    db = store.db
    member = (
        "a.run_id = ? and a.cluster_id is null"
        if cluster_id == UNCLUSTERED
        else "a.run_id = ? and a.cluster_id = ?"
    )
    margs = [run_id] if cluster_id == UNCLUSTERED else [run_id, cluster_id]
    join = f"from assignments a join notes n on n.note_id = a.note_id where {member}"
    if cluster_id == UNCLUSTERED:
        c = {
            "label": "(unclustered notes)",
            "auto_label": None,
            "keywords": "[]",
            "coverage": None,
            "is_gap": 0,
            "score": None,
            "score_parts": "{}",
            "examples": "[]",
            "renamed_at": None,
        }
    else:
        found = list(
            db["clusters"].rows_where("run_id = ? and cluster_id = ?", [run_id, cluster_id])
        )
        if not found:
            raise NoAnalysis(f"the current analysis has no theme {cluster_id}")
        c = found[0]
    n, deals, accounts, first, last = db.execute(
        f"select count(*), count(distinct n.deal), count(distinct n.account), min(n.date), "
        f"max(n.date) {join}",
        margs,
    ).fetchone()
    kinds = dict(
        db.execute(
            f"select n.kind, count(*) {join} group by n.kind order by n.kind", margs
        ).fetchall()
    )
    per_q = dict(
        db.execute(
            f"select {_SQL_QUARTER} q, count(*) {join} and n.date is not null group by q", margs
        ).fetchall()
    )
    quarters = [(q, per_q.get(q, 0)) for q in _quarter_span(first, last)] if per_q else []
    # the theme's deals, each at its largest amount in the workspace (the deal index
    # reads only these deals' notes, not every deal's)
    deal_rows = db.execute(
        "select deal, max(account), max(amount) v from notes "
        f"where deal in (select n.deal {join}) group by deal order by v desc nulls last, deal",
        margs,
    ).fetchall()
    loose = db.execute(f"select sum(n.amount) {join} and n.deal is null", margs).fetchone()[0]
    amount = sum(v or 0.0 for _, _, v in deal_rows) + (loose or 0.0)

    fields = f"n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount, {MENTION}"
    ids = json.loads(c["examples"] or "[]")[:quotes]
    rows = {}
    if ids:
        rows = {
            r["note_id"]: r
            for r in db.query(
                f"select {fields} from notes n where n.note_id in ({','.join('?' * len(ids))})", ids
            )
        }
    picked = [rows[i] for i in ids if i in rows]
    if len(picked) < quotes:
        # new themes and the unclustered row: the most recent notes fill the list
        seen = {r["note_id"] for r in picked}
        for r in db.query(
            f"select {fields} {join} order by n.date desc nulls last, n.note_id limit ?",
            [*margs, quotes + len(seen)],
        ):
            if r["note_id"] not in seen and len(picked) < quotes:
                picked.append(r)
    assets = []
    if cluster_id != UNCLUSTERED:
        for r in db.query(
            "select c.asset_id, a.title, a.type, a.url, c.score, c.similarity, p.text passage "
            "from coverage c join assets a on a.asset_id = c.asset_id "
            "left join passages p on p.id = c.passage_id "
            "where c.run_id = ? and c.cluster_id = ? order by c.rank",
            [run_id, cluster_id],
        ):
            assets.append(
                AssetMatch(
                    asset_id=r["asset_id"],
                    title=r["title"],
                    coverage=r["score"],
                    similarity=r["similarity"],
                    passage=r["passage"],
                    type=r["type"],
                    url=r["url"],
                )
            )
    return ThemeDetail(
        cluster_id=cluster_id,
        label=c["label"],
        auto_label=c["auto_label"],
        keywords=tuple(json.loads(c["keywords"] or "[]")),
        notes=n,
        deals=deals,
        accounts=accounts,
        amount=amount,
        coverage=c["coverage"],
        status=status_of(c["coverage"], bool(c["is_gap"]), c.get("content_status"))
        if c["coverage"] is not None
        else "",
        score=c["score"],
        score_parts=json.loads(c["score_parts"] or "{}"),
        kinds=kinds,
        quarters=quarters,
        quotes=[Quote(**r) for r in picked],
        assets=assets,
        first_date=first,
        last_date=last,
        renamed_at=c["renamed_at"],
        top_deals=[tuple(r) for r in deal_rows[:5]],
    )


def _quarter_span(first: str | None, last: str | None) -> list[str]:
    if not first or not last:
        return []
    year, q = int(first[:4]), (int(first[5:7]) + 2) // 3
    end = quarter_of(last)
    out = []
    while True:
        out.append(f"{year}Q{q}")
        if out[-1] == end or len(out) > 200:
            return out
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


# -- notes -------------------------------------------------------------------


@dataclass(frozen=True)
class NoteRow(Quote):
    """A note with the theme the current analysis put it in."""

    cluster_id: int | None  # None: not in the current analysis yet; UNCLUSTERED: no theme took it
    cluster_label: str | None
    # how it got its theme: cluster | pinned | incremental | emerging (None: not analysed)
    method: str | None = None
    nearest_id: int | None = None  # for a note without a theme: the closest theme
    nearest_label: str | None = None
    similarity: float | None = None  # to the closest theme's centre

    @property
    def emerging(self) -> bool:
        """Placed between analyses and close to no theme: waiting for the next analysis."""
        return self.method == "emerging"


@dataclass(frozen=True)
class NotePage:
    rows: list[NoteRow]
    total: int  # how many notes match, of which ``rows`` shows the first NOTE_LIMIT


def search_notes(
    store: Store,
    flt: NoteFilter = NoteFilter(),
    cluster_id: int | None = None,
    limit: int = NOTE_LIMIT,
) -> NotePage:
    """Notes that pass the filter, newest first; ``cluster_id`` narrows to one theme.

    UNCLUSTERED lists the notes no theme took (unclustered, or emerging since the
    analysis) for triage: most similar to a theme first, each with that theme.
    """
    run = store.latest_run()
    run_id = run["id"] if run else -1
    where, params = flt.sql()
    if cluster_id == UNCLUSTERED:
        where += " and a.note_id is not null and a.cluster_id is null"
    elif cluster_id is not None:
        where += " and a.cluster_id = ?"
        params.append(cluster_id)
    base = f"{_NOTES_WITH_THEMES}where 1 = 1{where}"
    args = [run_id, *params]
    total = store.db.execute(f"select count(*) {base}", args).fetchone()[0]
    order = "n.date desc nulls last, n.rowid desc"
    if cluster_id == UNCLUSTERED:
        order = "a.nearest_similarity desc nulls last, " + order
    rows = _note_rows(store, f"{base} order by {order} limit ?", [*args, limit])
    return NotePage(rows=rows, total=total)


_NOTES_WITH_THEMES = (
    "from notes n left join assignments a on a.note_id = n.note_id and a.run_id = ? "
    "left join clusters c on c.run_id = a.run_id and c.cluster_id = a.cluster_id "
    "left join clusters near on near.run_id = a.run_id and near.cluster_id = a.nearest_id "
)


def _note_rows(store: Store, rest: str, params: list) -> list[NoteRow]:
    """NoteRows for a query ``rest`` (from ... where ... order ...) over _NOTES_WITH_THEMES."""
    rows = []
    for r in store.db.query(
        "select n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount, "
        f"{MENTION}, a.note_id as analysed, a.cluster_id, c.label, a.method, a.nearest_id, "
        f"near.label as nearest_label, a.nearest_similarity {rest}",
        params,
    ):
        analysed, cid, label = r.pop("analysed"), r.pop("cluster_id"), r.pop("label")
        method = r.pop("method")
        nearest_id, nearest_label = r.pop("nearest_id"), r.pop("nearest_label")
        similarity = r.pop("nearest_similarity")
        rows.append(
            NoteRow(
                **r,
                cluster_id=None if analysed is None else _cid(cid),
                cluster_label=label,
                method=(method or "cluster") if analysed is not None else None,
                nearest_id=nearest_id,
                nearest_label=nearest_label,
                similarity=similarity,
            )
        )
    return rows


def note_vectors(
    store: Store, run_id: int, theme_id: int | None = None
) -> tuple[list[str], np.ndarray]:
    """The run's notes (or one theme's) and the (unit) vectors they were clustered with."""
    run = store.db["runs"].get(run_id)
    where, args = "a.run_id = ?", [run["model"], run_id]
    if theme_id is not None:
        where, args = where + " and a.cluster_id = ?", [*args, theme_id]
    rows = store.db.execute(
        "select a.note_id, e.dim, e.vector from assignments a join embeddings e "
        f"on e.model = ? and e.text_hash = a.vector_hash where {where} order by a.note_id",
        args,
    ).fetchall()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    dim = rows[0][1]
    rows = [r for r in rows if r[1] == dim]
    ids = [r[0] for r in rows]
    # one copy of all the vectors: quicker than stacking 100,000 small arrays, and the
    # UI thread is not starved of the interpreter meanwhile
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(-1, dim).copy()
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return ids, matrix


def similar_notes(
    store: Store,
    note_id: str,
    vectors: tuple[list[str], np.ndarray],
    k: int = 10,
) -> list[tuple[NoteRow, float]]:
    """The k notes closest in meaning to one note of the run (from ``note_vectors``)."""
    ids, matrix = vectors
    try:
        i = ids.index(note_id)
    except ValueError:
        raise LookupError(
            f"note {note_id} is not in the current analysis yet: run the analysis to compare it"
        ) from None
    sims = matrix @ matrix[i]
    sims[i] = -np.inf
    top = np.argsort(-sims, kind="stable")[:k]
    wanted = [ids[j] for j in top]
    by_id = {r.note_id: r for r in _notes_by_id(store, wanted)}
    return [(by_id[ids[j]], float(sims[j])) for j in top if ids[j] in by_id]


def _notes_by_id(store: Store, note_ids: Sequence[str]) -> list[NoteRow]:
    if not note_ids:
        return []
    run = store.latest_run()
    marks = ",".join("?" * len(note_ids))
    return _note_rows(
        store,
        f"{_NOTES_WITH_THEMES}where n.note_id in ({marks})",
        [run["id"] if run else -1, *note_ids],
    )


# -- a new note's closest theme ------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """The theme closest to a note a rep just added, and the content that answers it."""

    cluster_id: int
    label: str
    similarity: float
    status: str
    asset_id: str | None
    asset_title: str | None
    asset_url: str | None
    passage: str | None
    coverage: float | None


def nearest_themes(
    store: Store, vector: np.ndarray, run_id: int | None = None, k: int = 3
) -> list[Suggestion]:
    """Themes of the run ordered by how close their centre is to ``vector`` (cosine)."""
    run_id = run_id or current_run(store)["id"]
    clusters = [c for c in store.clusters(run_id) if c["centroid"]]
    if not clusters:
        return []
    vector = np.asarray(vector, dtype=np.float32)
    vector = vector / (np.linalg.norm(vector) or 1.0)
    centres = np.vstack([np.frombuffer(c["centroid"], dtype=np.float32) for c in clusters])
    sims = centres @ vector
    out = []
    for j in np.argsort(-sims, kind="stable")[:k]:
        c = clusters[j]
        asset = None
        if c["best_asset_id"]:
            asset = store.db.execute(
                "select a.title, a.url, p.text from assets a left join passages p on p.id = ? "
                "where a.asset_id = ?",
                [c["best_passage_id"], c["best_asset_id"]],
            ).fetchone()
        out.append(
            Suggestion(
                cluster_id=c["cluster_id"],
                label=c["label"],
                similarity=float(sims[j]),
                status=status_of(c["coverage"], bool(c["is_gap"]), c.get("content_status")),
                asset_id=c["best_asset_id"],
                asset_title=asset[0] if asset else None,
                asset_url=asset[1] if asset else None,
                passage=asset[2] if asset else None,
                coverage=c["coverage"],
            )
        )
    return out


# -- content assets ------------------------------------------------------------


@dataclass(frozen=True)
class AssetRow:
    asset_id: str
    title: str
    type: str | None
    stage: str | None
    updated: str | None
    url: str | None
    passages: int
    themes: tuple[tuple[int, str, float], ...]  # (cluster id, label, coverage) it answers best
    notes: int  # notes of the themes it answers best

    @property
    def unused(self) -> bool:
        return not self.themes


def asset_table(
    store: Store, run_id: int | None = None, threshold: float | None = None
) -> list[AssetRow]:
    """Every asset with the themes it answers: those it covers at or above the gap threshold.

    An asset that answers no theme answers nothing anyone asks about.
    """
    run = store.db["runs"].get(run_id) if run_id else store.latest_run()
    themes: dict[str, list[tuple[int, str, float, int]]] = {}
    if run:
        if threshold is None:
            threshold = json.loads(run["params"] or "{}").get("gap_threshold", 0.5)
        for cid, label, asset_id, cov, size in store.db.execute(
            "select c.cluster_id, c.label, v.asset_id, v.score, c.size from coverage v "
            "join clusters c on c.run_id = v.run_id and c.cluster_id = v.cluster_id "
            "where v.run_id = ? and v.score >= ?",
            [run["id"], threshold],
        ).fetchall():
            themes.setdefault(asset_id, []).append((cid, label, cov, size))
    counts = dict(
        store.db.execute("select asset_id, count(*) from passages group by asset_id").fetchall()
    )
    out = []
    for a in store.db.query(
        "select asset_id, title, type, stage, updated, url from assets order by title, asset_id"
    ):
        mine = sorted(themes.get(a["asset_id"], []), key=lambda t: (-t[2], t[0]))
        out.append(
            AssetRow(
                **a,
                passages=counts.get(a["asset_id"], 0),
                themes=tuple((cid, label, cov) for cid, label, cov, _ in mine),
                notes=sum(t[3] for t in mine),
            )
        )
    return out


# -- what the filters offer ------------------------------------------------------


@dataclass(frozen=True)
class Facets:
    kinds: tuple[str, ...]
    quarters: tuple[str, ...]  # newest first
    reps: tuple[str, ...]
    new_since_run: int  # notes that arrived after the current analysis, not placed yet
    notes: int
    assets: int
    rejects: int
    run: dict | None
    emerging: int = 0  # notes placed since the analysis that fit no theme yet
    placed: int = 0  # notes placed between analyses (in a theme or emerging)
    imported: int | None = None  # notes as they came in (``notes`` counts mentions)


def facets(store: Store) -> Facets:
    db = store.db
    run = store.latest_run()
    kinds = tuple(
        k
        for k in NOTE_KINDS
        if db.execute("select 1 from notes where kind = ? limit 1", [k]).fetchone()
    )
    quarters = tuple(
        r[0]
        for r in db.execute(
            f"select distinct {_SQL_QUARTER} q from notes n "
            "where n.date is not null order by q desc"
        ).fetchall()
    )
    reps = tuple(
        r[0]
        for r in db.execute(
            "select distinct rep from notes where rep is not null and rep != '' order by rep"
        ).fetchall()
    )
    notes = store.count_notes()
    new, methods = notes, {}
    if run:
        methods = dict(
            db.execute(
                "select coalesce(method, 'cluster'), count(*) from assignments where run_id = ? "
                "group by 1",
                [run["id"]],
            ).fetchall()
        )
        new = max(0, notes - sum(methods.values()))
    return Facets(
        kinds=kinds,
        quarters=quarters,
        reps=reps,
        new_since_run=new,
        notes=notes,
        imported=store.count_imported(),
        assets=db["assets"].count,
        rejects=db["rejects"].count,
        run=run,
        emerging=methods.get("emerging", 0),
        placed=methods.get("emerging", 0) + methods.get("incremental", 0),
    )


# -- curation: picking a theme, what changed -------------------------------------


@dataclass(frozen=True)
class ThemeChoice:
    """A theme of the current analysis, as a picker lists it."""

    cluster_id: int
    label: str
    size: int


def theme_choices(store: Store, run_id: int | None = None) -> list[ThemeChoice]:
    """Every theme of the run, largest first (what a merge or a move picks from)."""
    run_id = run_id or current_run(store)["id"]
    return [
        ThemeChoice(int(cid), label or str(cid), int(size or 0))
        for cid, label, size in store.db.execute(
            "select cluster_id, label, size from clusters where run_id = ? "
            "order by size desc, cluster_id",
            [run_id],
        ).fetchall()
    ]


@dataclass(frozen=True)
class ChangesReport:
    """What the last full analysis did to the themes, and what people changed by hand."""

    run: dict | None  # the last full analysis
    changes: list[dict]  # store.changes rows, most telling first, each with "what"
    edits: list[dict]  # store.edits rows, newest first


def changes_report(store: Store) -> ChangesReport:
    run = store.latest_run("analysis")
    rows = sort_changes(store.changes(run["id"]) if run else [])
    for r in rows:
        r["what"] = describe_change(r)
    return ChangesReport(run=run, changes=rows, edits=store.edits()[::-1])


__all__ = [
    "KIND_LABELS",
    "NoteFacts",
    "UNCLUSTERED",
    "AssetRow",
    "ChangesReport",
    "ThemeChoice",
    "change_counts",
    "changes_report",
    "describe_change",
    "theme_choices",
    "Facets",
    "NoteFilter",
    "NotePage",
    "Period",
    "Suggestion",
    "ThemeDetail",
    "ThemeRow",
    "ThemeTable",
    "asset_table",
    "facets",
    "load_facts",
    "read_facts",
    "nearest_themes",
    "note_vectors",
    "parse_period",
    "quarter_of",
    "search_notes",
    "similar_notes",
    "theme_detail",
    "theme_table",
]
