"""What the screens show, read from the workspace as plain data.

The terminal UI calls these from worker threads (each with its own Store) and
only draws what comes back, so every query here is written to stay fast on a
workspace of 100,000 notes: aggregation happens in SQLite, lists are capped,
and nothing here loads the embedding model or imports the analysis libraries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from analysis.results import COVERED_AT, NoAnalysis, current_run
from gaplens.models import NOTE_KINDS
from gaplens.store import Store

UNCLUSTERED = -1  # the cluster id the screens use for notes no theme took
TREND_DAYS = 90  # the trend compares the last 90 days with the 90 before
TREND_QUARTERS = 6  # quarters drawn in a theme's sparkline
NOTE_LIMIT = 500  # rows the notes table shows at once; the total is always given

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
    status: str  # gap | partial | covered | "" for the unclustered row
    score: float | None
    renamed: bool = False

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


def status_of(coverage: float, is_gap: bool) -> str:
    if is_gap:
        return "gap"
    return "covered" if coverage >= COVERED_AT else "partial"


def theme_table(
    store: Store, flt: NoteFilter = NoteFilter(), run_id: int | None = None
) -> ThemeTable:
    """Every theme of the run (and the unclustered notes) counted over the notes the filter keeps.

    The free text keeps a theme when its name or keywords contain it or when any
    of its notes matches it; counts still cover all the theme's notes that pass
    the kind, period and rep filters.
    """
    run = store.db["runs"].get(run_id) if run_id else current_run(store)
    run_id = run["id"]
    counting = NoteFilter(kinds=flt.kinds, period=flt.period, rep=flt.rep)
    where, params = counting.sql()
    base = (
        "select a.cluster_id as cid, n.note_id, n.date, n.deal, n.account, n.amount "
        "from assignments a join notes n on n.note_id = a.note_id "
        f"where a.run_id = ?{where}"
    )
    args = [run_id, *params]
    db = store.db
    counts = {
        _cid(r[0]): r[1:]
        for r in db.execute(
            f"select cid, count(*), count(distinct deal), count(distinct account) from ({base}) "
            "group by cid",
            args,
        ).fetchall()
    }
    amounts: dict[int, float] = {}
    for cid, value in db.execute(
        "with dv as (select deal, max(amount) v from notes where deal is not null group by deal) "
        f"select m.cid, sum(dv.v) from (select distinct cid, deal from ({base}) "
        "where deal is not null) m join dv on dv.deal = m.deal group by m.cid "
        f"union all select cid, sum(amount) from ({base}) where deal is null group by cid",
        args + args,
    ).fetchall():
        amounts[_cid(cid)] = amounts.get(_cid(cid), 0.0) + (value or 0.0)
    anchor = db.execute("select max(date) from notes").fetchone()[0]
    quarters = _last_quarters(anchor, TREND_QUARTERS)
    per_quarter: dict[int, dict[str, int]] = {}
    if quarters:
        for cid, q, c in db.execute(
            f"select a.cluster_id, {_SQL_QUARTER} q, count(*) from assignments a "
            f"join notes n on n.note_id = a.note_id where a.run_id = ?{where} "
            "and n.date >= ? group by a.cluster_id, q",
            [run_id, *params, quarter_bounds(*_split_quarter(quarters[0]))[0]],
        ).fetchall():
            per_quarter.setdefault(_cid(cid), {})[q] = c
    recent: dict[int, tuple[int, int]] = {}
    if anchor:
        top = date.fromisoformat(anchor[:10])
        mid = (top - timedelta(days=TREND_DAYS)).isoformat()
        low = (top - timedelta(days=2 * TREND_DAYS)).isoformat()
        for cid, r, b in db.execute(
            f"select cid, sum(date > ?), sum(date > ? and date <= ?) from ({base}) group by cid",
            [mid, low, mid, *args],
        ).fetchall():
            recent[_cid(cid)] = (r or 0, b or 0)
    matching = _text_matches(store, run_id, flt.text) if fts_query(flt.text) else None
    needle = flt.text.strip().lower()

    rows = []
    for c in store.clusters(run_id):
        cid = c["cluster_id"]
        keywords = tuple(json.loads(c["keywords"] or "[]"))
        if matching is not None and cid not in matching:
            hay = " ".join([c["label"] or "", *keywords]).lower()
            if needle not in hay:
                continue
        n, deals, accounts = counts.get(cid, (0, 0, 0))
        if not n and (flt.kinds or flt.period or flt.rep):
            continue
        rows.append(
            ThemeRow(
                cluster_id=cid,
                label=c["label"],
                keywords=keywords,
                notes=n,
                deals=deals,
                accounts=accounts,
                amount=amounts.get(cid, 0.0),
                quarters=tuple(per_quarter.get(cid, {}).get(q, 0) for q in quarters),
                recent=recent.get(cid, (0, 0))[0],
                before=recent.get(cid, (0, 0))[1],
                coverage=c["coverage"],
                status=status_of(c["coverage"], bool(c["is_gap"])),
                score=c["score"],
                renamed=bool(c["renamed_at"]),
            )
        )
    if UNCLUSTERED in counts and (matching is None or UNCLUSTERED in matching):
        n, deals, accounts = counts[UNCLUSTERED]
        rows.append(
            ThemeRow(
                cluster_id=UNCLUSTERED,
                label="(unclustered notes)",
                keywords=(),
                notes=n,
                deals=deals,
                accounts=accounts,
                amount=amounts.get(UNCLUSTERED, 0.0),
                quarters=tuple(per_quarter.get(UNCLUSTERED, {}).get(q, 0) for q in quarters),
                recent=recent.get(UNCLUSTERED, (0, 0))[0],
                before=recent.get(UNCLUSTERED, (0, 0))[1],
                coverage=None,
                status="",
                score=None,
            )
        )
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0.0), r.cluster_id))
    return ThemeTable(
        run=run,
        rows=rows,
        quarters=tuple(quarters),
        total_notes=sum(v[0] for v in counts.values()),
    )


def _cid(value: int | None) -> int:
    return UNCLUSTERED if value is None else int(value)


def _split_quarter(q: str) -> tuple[int, int]:
    return int(q[:4]), int(q[5])


def _last_quarters(anchor: str | None, n: int) -> list[str]:
    if not anchor:
        return []
    year, q = int(anchor[:4]), (int(anchor[5:7]) + 2) // 3
    out = []
    for _ in range(n):
        out.append(f"{year}Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def _text_matches(store: Store, run_id: int, text: str) -> set[int]:
    return {
        _cid(r[0])
        for r in store.db.execute(
            "select distinct a.cluster_id from assignments a join notes n on n.note_id = a.note_id "
            "where a.run_id = ? and n.rowid in "
            "(select rowid from notes_fts where notes_fts match ?)",
            [run_id, fts_query(text)],
        ).fetchall()
    }


# -- one theme ---------------------------------------------------------------


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
    deal_rows = db.execute(
        "with dv as (select deal, max(amount) v, max(account) acc from notes "
        "where deal is not null group by deal) "
        f"select dv.deal, dv.acc, dv.v from dv where dv.deal in (select n.deal {join}) "
        "order by dv.v desc nulls last, dv.deal",
        margs,
    ).fetchall()
    loose = db.execute(f"select sum(n.amount) {join} and n.deal is null", margs).fetchone()[0]
    amount = sum(v or 0.0 for _, _, v in deal_rows) + (loose or 0.0)

    fields = "n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount"
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
        status=status_of(c["coverage"], bool(c["is_gap"])) if c["coverage"] is not None else "",
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
class NoteRow:
    note_id: str
    text: str
    kind: str
    date: str | None
    deal: str | None
    account: str | None
    rep: str | None
    amount: float | None
    cluster_id: int | None  # None: not in the current analysis yet; UNCLUSTERED: no theme took it
    cluster_label: str | None


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
    """Notes that pass the filter, newest first; ``cluster_id`` narrows to one theme
    (UNCLUSTERED for the notes no theme took)."""
    run = store.latest_run()
    run_id = run["id"] if run else -1
    where, params = flt.sql()
    if cluster_id == UNCLUSTERED:
        where += " and a.note_id is not null and a.cluster_id is null"
    elif cluster_id is not None:
        where += " and a.cluster_id = ?"
        params.append(cluster_id)
    base = (
        "from notes n left join assignments a on a.note_id = n.note_id and a.run_id = ? "
        "left join clusters c on c.run_id = a.run_id and c.cluster_id = a.cluster_id "
        f"where 1 = 1{where}"
    )
    args = [run_id, *params]
    total = store.db.execute(f"select count(*) {base}", args).fetchone()[0]
    rows = []
    for r in store.db.query(
        "select n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount, "
        f"a.note_id as analysed, a.cluster_id, c.label {base} "
        "order by n.date desc nulls last, n.rowid desc limit ?",
        [*args, limit],
    ):
        analysed = r.pop("analysed")
        cid = r.pop("cluster_id")
        label = r.pop("label")
        rows.append(
            NoteRow(
                **r,
                cluster_id=None if analysed is None else _cid(cid),
                cluster_label=label,
            )
        )
    return NotePage(rows=rows, total=total)


def note_vectors(store: Store, run_id: int) -> tuple[list[str], np.ndarray]:
    """The run's notes and the (unit) vectors they were clustered with."""
    run = store.db["runs"].get(run_id)
    ids, blobs = [], []
    for note_id, dim, blob in store.db.execute(
        "select a.note_id, e.dim, e.vector from assignments a join embeddings e "
        "on e.model = ? and e.text_hash = a.vector_hash where a.run_id = ? order by a.note_id",
        [run["model"], run_id],
    ).fetchall():
        ids.append(note_id)
        blobs.append(np.frombuffer(blob, dtype=np.float32, count=dim))
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    matrix = np.vstack(blobs)
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
    out = []
    for r in store.db.query(
        "select n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount, "
        "a.note_id as analysed, a.cluster_id, c.label from notes n "
        "left join assignments a on a.note_id = n.note_id and a.run_id = ? "
        "left join clusters c on c.run_id = a.run_id and c.cluster_id = a.cluster_id "
        f"where n.note_id in ({marks})",
        [run["id"] if run else -1, *note_ids],
    ):
        analysed = r.pop("analysed")
        cid = r.pop("cluster_id")
        label = r.pop("label")
        out.append(
            NoteRow(**r, cluster_id=None if analysed is None else _cid(cid), cluster_label=label)
        )
    return out


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
                status=status_of(c["coverage"], bool(c["is_gap"])),
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
    new_since_run: int  # notes that arrived after the current analysis
    notes: int
    assets: int
    rejects: int
    run: dict | None


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
    new = notes
    if run:
        analysed = db.execute(
            "select count(*) from assignments where run_id = ?", [run["id"]]
        ).fetchone()[0]
        new = max(0, notes - analysed)
    return Facets(
        kinds=kinds,
        quarters=quarters,
        reps=reps,
        new_since_run=new,
        notes=notes,
        assets=db["assets"].count,
        rejects=db["rejects"].count,
        run=run,
    )


__all__ = [
    "KIND_LABELS",
    "UNCLUSTERED",
    "AssetRow",
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
    "nearest_themes",
    "note_vectors",
    "parse_period",
    "quarter_of",
    "search_notes",
    "similar_notes",
    "theme_detail",
    "theme_table",
]
