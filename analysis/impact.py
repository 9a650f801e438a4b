"""Revenue impact per theme: the deals whose notes raise it, each deal counted once.

A theme's deals are the deals with at least one note in the theme (a note stored as
several mentions counts once). What a deal is worth, how it ended and where it sits
come from the CRM's deals table where it has a row, and from the deal's notes where it
has none (``deal_facts``). For each theme that gives:

- the open pipeline still at stake and what was already lost;
- the win rate among the closed deals where it came up, with its sample size and a
  95% Wilson interval (a theme raised in five closed deals says little);
- the stage where lost deals died and where open ones sit;
- the competitors its notes name, in the competitor field or as a word of the text;
- the open deals that have not changed stage for more than ``stuck_days``.

Everything can be read as it stood on a past day (``as_of``, an ISO date or a quarter,
which means its last day): notes dated after it are left out, and a deal that closed
after it counts as open, in the last stage its notes showed by then. Days are counted
to that day, or to the newest note's date, never to the clock, so a report reads the
same tomorrow as today.

``reason_checks`` puts the loss reason a rep entered in the CRM beside what the notes
of each lost deal say: "the notes of 14 lost deals raise SSO; the CRM reason names it
for 3" (``reason_summary``).

Aggregation happens in SQLite and in one pass over the deals' notes; nothing here
loads the embedding model.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from itertools import groupby

from analysis.browse import parse_period
from analysis.results import NoAnalysis, current_run
from gaplens.store import Store

STUCK_DAYS = 60  # an open deal longer than this in one stage is stuck (setting "stuck_days")
Z95 = 1.96  # the normal quantile of a two-sided 95% interval
OUTCOMES = ("won", "lost", "open")


# -- deals -------------------------------------------------------------------


@dataclass(frozen=True)
class DealFacts:
    """One deal as it stood (on ``as_of`` when given): the CRM's row where there is one,
    filled in from the deal's notes, else its notes alone."""

    deal: str
    account: str | None
    amount: float  # the CRM's amount, else the largest a note gives; 0 when none does
    outcome: str  # won | lost | open
    stage: str | None  # open: where it sits; closed: the last stage before it closed
    stage_since: str | None  # ISO date it entered that stage
    close_date: str | None  # when it closed (an open deal in the CRM: when it is expected to)
    loss_reason: str | None  # lost deals: the CRM's reason, else its loss-reason notes' text
    competitors: tuple[str, ...] = ()
    crm: bool = False  # the deals table has a row for it


def deal_facts(store: Store, as_of: str | None = None) -> dict[str, DealFacts]:
    """Every deal the workspace knows: the deals table's rows and the deals notes name.

    From the notes: the outcome of the latest note that says won or lost (in its outcome,
    a closed stage, or by being a loss-reason note), else open; the largest amount; the
    last stage that is not a closed one, since the first note of the latest run of notes
    at it. The deals table wins where it has a value. With ``as_of`` (ISO date or quarter),
    notes dated after it are ignored, a deal the CRM closed after it is open, and a deal
    the CRM opened after it, with no note by then, is left out.
    """
    as_of = as_of_day(as_of)
    by_notes = {
        deal: _from_notes(deal, [row[1:] for row in rows])
        for deal, rows in groupby(_deal_notes(store, as_of), key=lambda row: row[0])
    }
    out: dict[str, DealFacts] = {}
    for row in store.db.query(
        "select deal, account, amount, stage, outcome, created, close_date, stage_since, "
        "loss_reason, competitor from deals where deal is not null and deal != ''"
    ):
        notes = by_notes.pop(row["deal"], None)
        if as_of and notes is None and (row["created"] or "")[:10] > as_of:
            continue  # not opened yet
        out[row["deal"]] = _with_crm(row, notes, as_of)
    out.update(by_notes)
    return {
        deal: f if f.outcome == "lost" else replace(f, loss_reason=None)
        for deal, f in sorted(out.items())
    }


def as_of_day(as_of: str | None) -> str | None:
    """'2026-09-30' as it is, '2026Q3' as its last day, '' or None as None."""
    if as_of is None or not str(as_of).strip():
        return None
    return parse_period(str(as_of)).end


_NOTE_FIELDS = "deal, kind, date, account, amount, stage, outcome, competitor, text"


def _deal_notes(store: Store, as_of: str | None) -> list[tuple]:
    """Each note naming a deal once (a split note whole), by deal, oldest first."""
    where = "deal is not null and deal != ''"
    params: list = []
    if as_of:
        where += " and (date is null or substr(date, 1, 10) <= ?)"
        params = [as_of]
    return store.db.execute(
        f"select {_NOTE_FIELDS}, note_id from notes where parent_id is null and {where} "
        f"union all select {_NOTE_FIELDS}, note_id from note_originals where {where} "
        "order by deal, date, note_id",
        params * 2,
    ).fetchall()


def _from_notes(deal: str, rows: Iterable[tuple]) -> DealFacts:
    """A deal from its notes: (kind, date, account, amount, stage, outcome, competitor,
    text, note_id) rows, oldest first. The loss reason is kept whatever the outcome."""
    account, amount, outcome, closed = None, 0.0, "open", None
    stage = stage_key = since = None
    reasons: list[str] = []
    competitors: dict[str, str] = {}
    for kind, day, acct, amt, st, said, comp, text, _ in rows:
        account = acct or account
        if amt:
            amount = max(amount, float(amt))
        ended = _note_outcome(kind, said, st)
        if ended and ended != outcome:
            outcome, closed = ended, day
        elif ended and closed is None:
            closed = day
        if st and not _stage_outcome(st):
            key = _stage_key(st)
            if key != stage_key:
                stage, stage_key, since = st, key, day
            elif since is None:
                since = day
        if kind == "loss-reason" and text and text.strip():
            reasons.append(" ".join(text.split()))
        if comp and comp.strip():
            competitors.setdefault(comp.strip().casefold(), comp.strip())
    return DealFacts(
        deal=deal,
        account=account,
        amount=amount,
        outcome=outcome,
        stage=stage,
        stage_since=_iso(since),
        close_date=_iso(closed) if outcome != "open" else None,
        loss_reason=" / ".join(dict.fromkeys(reasons)) or None,
        competitors=tuple(competitors.values()),
    )


def _with_crm(row: dict, notes: DealFacts | None, as_of: str | None) -> DealFacts:
    """The CRM's row for a deal, with what only its notes know filled in."""
    notes = notes or DealFacts(row["deal"], None, 0.0, "open", None, None, None, None)
    said = (row["outcome"] or "").strip().lower()
    by_stage = _stage_outcome(row["stage"])
    if said in OUTCOMES:
        outcome = said
    elif by_stage in ("won", "lost"):
        outcome = by_stage
    elif row["stage"] and not by_stage:
        outcome = "open"
    else:
        outcome = notes.outcome
    close = _iso(row["close_date"]) or (notes.close_date if notes.outcome == outcome else None)
    if as_of and outcome != "open" and close and close > as_of:
        outcome, close = "open", None  # closed after the day asked about
    crm_stage = row["stage"] if row["stage"] and not by_stage else None
    entered = _iso(row["stage_since"])
    if crm_stage and not (as_of and entered and entered > as_of):
        stage = crm_stage
        if entered is None and _stage_key(crm_stage) == _stage_key(notes.stage):
            entered = notes.stage_since
    else:  # the CRM shows a closed stage, or a stage the deal reached after as_of
        stage, entered = notes.stage, notes.stage_since
    competitors: dict[str, str] = {}
    for name in (row["competitor"], *notes.competitors):  # the CRM's first
        if name and name.strip():
            competitors.setdefault(name.strip().casefold(), name.strip())
    return DealFacts(
        deal=row["deal"],
        account=row["account"] or notes.account,
        amount=float(row["amount"]) if row["amount"] is not None else notes.amount,
        outcome=outcome,
        stage=stage,
        stage_since=entered,
        close_date=close,
        loss_reason=row["loss_reason"] or notes.loss_reason,
        competitors=tuple(competitors.values()),
        crm=True,
    )


def _note_outcome(kind: str | None, outcome: str | None, stage: str | None) -> str | None:
    """won or lost when a note says so: its outcome, a closed stage, or being a loss reason."""
    said = (outcome or "").strip().lower()
    if said in ("won", "lost"):
        return said
    by_stage = _stage_outcome(stage)
    if by_stage in ("won", "lost"):
        return by_stage
    if kind == "loss-reason" and said != "open":
        return "lost"
    return None


@lru_cache(maxsize=1024)
def _stage_key(stage: str | None) -> str:
    """How stages are compared: 'Security Review', 'security_review' -> 'security review'."""
    return " ".join(re.findall(r"[^\W_]+", (stage or "").casefold()))


@lru_cache(maxsize=1024)
def _stage_outcome(stage: str | None) -> str | None:
    """'Closed Lost' -> lost, 'Closed Won' / 'closedwon' -> won, 'Closed' -> closed;
    a stage a deal can sit in -> None."""
    words = _stage_key(stage).split()
    closed = words[:1] == ["closed"]
    if closed:
        words = words[1:]
    elif words[:1] in (["closedwon"], ["closedlost"]):
        closed, words = True, [words[0][6:]]
    if words[:1] in (["won"], ["win"]):
        return "won"
    if words[:1] in (["lost"], ["loss"], ["dead"]):
        return "lost"
    return "closed" if closed else None


def _iso(value: str | None) -> str | None:
    return value[:10] if value else None


# -- impact per theme ----------------------------------------------------------


@dataclass(frozen=True)
class StuckDeal:
    """An open deal that has sat in one stage longer than the stuck threshold."""

    deal: str
    account: str | None
    amount: float
    stage: str
    stage_since: str
    days: int  # from stage_since to the report's day


@dataclass(frozen=True)
class ThemeImpact:
    theme_id: int
    label: str
    notes: int  # distinct notes (a note's mentions count once)
    deals: int
    accounts: int  # distinct, case-insensitive (a note without one: its deal's)
    open_deals: int
    open_pipeline: float
    lost_deals: int
    lost_amount: float
    won_deals: int
    won_amount: float
    win_rate: float | None  # won / (won + lost) among the theme's deals; None when none closed
    closed: int  # the sample the win rate stands on
    win_rate_low: float | None  # 95% Wilson interval
    win_rate_high: float | None
    lost_stages: tuple[tuple[str, int], ...]  # where lost deals died -> deals, most first
    open_stages: tuple[tuple[str, int], ...]  # where open deals sit -> deals, most first
    competitors: tuple[tuple[str, int], ...]  # competitor -> notes of the theme naming it
    stuck: tuple[StuckDeal, ...]  # longest in their stage first

    @property
    def at_stake(self) -> float:
        """What orders the themes: the open pipeline and what was lost."""
        return self.open_pipeline + self.lost_amount


@dataclass(frozen=True)
class ImpactReport:
    as_of: str | None  # the day asked about; None: everything the workspace holds
    stuck_days: int
    measured_on: str | None  # the day days are counted to: as_of, else the newest note's
    win_rate: float | None  # over every deal the workspace knows, the baseline
    closed: int
    won: int
    lost: int
    open_deals: int
    open_pipeline: float
    lost_amount: float
    won_amount: float
    themes: list[ThemeImpact] = field(default_factory=list)  # most at stake first


def theme_impacts(
    store: Store,
    run_id: int | None = None,
    *,
    as_of: str | None = None,
    stuck_days: int | None = None,
    facts: dict[str, DealFacts] | None = None,
) -> ImpactReport:
    """Every theme of the run with the revenue its deals carry, most at stake first.

    ``facts``: ``deal_facts(store, as_of)`` when the caller has it already.
    """
    run_id = run_id or current_run(store)["id"]
    return _report(store, run_id, as_of_day(as_of), _stuck_days(store, stuck_days), facts=facts)


def theme_impact(
    store: Store,
    theme_id: int,
    run_id: int | None = None,
    *,
    as_of: str | None = None,
    stuck_days: int | None = None,
) -> ThemeImpact:
    """One theme's impact; NoAnalysis when the run has no such theme."""
    run_id = run_id or current_run(store)["id"]
    _labels(store, run_id, theme_id)
    report = _report(store, run_id, as_of_day(as_of), _stuck_days(store, stuck_days), only=theme_id)
    return report.themes[0]


def _stuck_days(store: Store, stuck_days: int | None) -> int:
    if stuck_days is not None:
        return int(stuck_days)
    value = store.setting("stuck_days", str(STUCK_DAYS))
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"the stuck_days setting must be a whole number of days, not {value!r}"
        ) from None


def _labels(store: Store, run_id: int, theme_id: int | None = None) -> dict[int, str]:
    """theme id -> name for the run's themes (one theme: NoAnalysis when it has none)."""
    where, params = "run_id = ?", [run_id]
    if theme_id is not None:
        where, params = where + " and cluster_id = ?", [run_id, theme_id]
    labels = {
        int(cid): label or str(cid)
        for cid, label in store.db.execute(
            f"select cluster_id, label from clusters where {where} order by cluster_id", params
        ).fetchall()
    }
    if theme_id is not None and not labels:
        raise NoAnalysis(f"the current analysis has no theme {theme_id}")
    return labels


@dataclass
class _Tally:
    """What one theme's notes name: how many, their deals, accounts and competitors."""

    notes: int = 0
    deals: set = field(default_factory=set)
    accounts: set = field(default_factory=set)
    competitors: dict[str, set] = field(default_factory=dict)


def _report(
    store: Store,
    run_id: int,
    as_of: str | None,
    stuck_days: int,
    only: int | None = None,
    facts: dict[str, DealFacts] | None = None,
) -> ImpactReport:
    facts = deal_facts(store, as_of) if facts is None else facts
    labels = _labels(store, run_id, only)
    tallies = _tally(store, run_id, as_of, facts, only)
    measured = as_of or _newest_note(store)
    themes = [
        _theme(cid, label, tallies.get(cid, _Tally()), facts, measured, stuck_days)
        for cid, label in labels.items()
    ]
    themes.sort(key=lambda t: (-t.at_stake, -t.notes, t.theme_id))
    totals = _outcomes(facts.values())
    return ImpactReport(
        as_of=as_of,
        stuck_days=stuck_days,
        measured_on=measured,
        win_rate=totals["won"] / totals["closed"] if totals["closed"] else None,
        closed=totals["closed"],
        won=totals["won"],
        lost=totals["lost"],
        open_deals=totals["open"],
        open_pipeline=totals["open_pipeline"],
        lost_amount=totals["lost_amount"],
        won_amount=totals["won_amount"],
        themes=themes,
    )


def _tally(
    store: Store,
    run_id: int,
    as_of: str | None,
    facts: dict[str, DealFacts],
    only: int | None,
) -> dict[int, _Tally]:
    """Per theme: its notes, deals, accounts and the competitors each note names."""
    rows = "from assignments a join notes n on n.note_id = a.note_id where a.run_id = ? "
    rows += "and a.cluster_id is not null"
    params: list = [run_id]
    if as_of:
        rows += " and (n.date is null or substr(n.date, 1, 10) <= ?)"
        params.append(as_of)
    if only is not None:
        rows += " and a.cluster_id = ?"
        params.append(only)
    db = store.db
    tallies: dict[int, _Tally] = {}
    for cid, notes in db.execute(
        # whole notes, and each split note once (quicker than distinct over every id)
        f"select a.cluster_id, sum(n.parent_id is null) + count(distinct n.parent_id) {rows} "
        "group by a.cluster_id",
        params,
    ).fetchall():
        tallies[cid] = _Tally(notes=notes)
    for cid, deal, account in db.execute(
        f"select distinct a.cluster_id, n.deal, n.account {rows} "
        "and (n.deal is not null or n.account is not null)",
        params,
    ).fetchall():
        t = tallies[cid]
        if deal:
            t.deals.add(deal)
        if not account and deal in facts:
            account = facts[deal].account  # a note that names no account: its deal's
        if account and account.strip():
            t.accounts.add(account.strip().casefold())
    names = _competitor_names(store)
    if not names:
        return tallies
    spelled = sorted(names.values(), key=len, reverse=True)
    finder = re.compile(
        r"(?<!\w)(?:" + "|".join(map(re.escape, spelled)) + r")(?!\w)", re.IGNORECASE
    )
    # only the notes with a competitor field, or whose text the full-text index says
    # names one (stems match too: the pattern then keeps whole words only), are read
    naming = "n.competitor is not null and n.competitor != ''"
    phrases = [f'"{n.replace(chr(34), chr(34) * 2)}"' for n in spelled if re.search(r"\w", n)]
    if phrases:
        naming += " or n.rowid in (select rowid from notes_fts where notes_fts match ?)"
    for cid, note, competitor, text in db.execute(
        f"select a.cluster_id, coalesce(n.parent_id, n.note_id), n.competitor, n.text {rows} "
        f"and ({naming})",
        [*params, " OR ".join(phrases)] if phrases else params,
    ):
        named = set(m.casefold() for m in finder.findall(text or ""))
        if competitor and competitor.strip():
            named.add(" ".join(competitor.split()).casefold())
        for key in named:
            tallies[cid].competitors.setdefault(names.get(key, key), set()).add(note)
    return tallies


def _competitor_names(store: Store) -> dict[str, str]:
    """casefolded name -> its most common spelling, for every competitor the notes or the
    deals table name."""
    counts: Counter[str] = Counter()
    for value, n in store.db.execute(
        "select competitor, count(*) from (select competitor from notes where parent_id is null "
        "union all select competitor from note_originals union all select competitor "
        "from deals) where competitor is not null group by competitor"
    ).fetchall():
        name = " ".join(value.split())
        if name:
            counts[name] += n
    names: dict[str, str] = {}
    for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        names.setdefault(name.casefold(), name)
    return names


def _newest_note(store: Store) -> str | None:
    return store.db.execute(
        "select max(d) from (select max(substr(date, 1, 10)) d from notes "
        "union all select max(substr(date, 1, 10)) from note_originals)"
    ).fetchone()[0]


def _theme(
    cid: int,
    label: str,
    tally: _Tally,
    facts: dict[str, DealFacts],
    measured: str | None,
    stuck_days: int,
) -> ThemeImpact:
    deals = [facts[d] for d in sorted(tally.deals) if d in facts]
    totals = _outcomes(deals)
    low, high = wilson(totals["won"], totals["closed"])
    stuck = []
    for d in deals:
        days = _days(d.stage_since, measured) if d.outcome == "open" else None
        if days is not None and days > stuck_days:
            stuck.append(StuckDeal(d.deal, d.account, d.amount, d.stage, d.stage_since, days))
    stuck.sort(key=lambda s: (-s.days, -s.amount, s.deal))
    return ThemeImpact(
        theme_id=cid,
        label=label,
        notes=tally.notes,
        deals=len(deals),
        accounts=len(tally.accounts),
        open_deals=totals["open"],
        open_pipeline=totals["open_pipeline"],
        lost_deals=totals["lost"],
        lost_amount=totals["lost_amount"],
        won_deals=totals["won"],
        won_amount=totals["won_amount"],
        win_rate=totals["won"] / totals["closed"] if totals["closed"] else None,
        closed=totals["closed"],
        win_rate_low=low,
        win_rate_high=high,
        lost_stages=_ranked(Counter(d.stage for d in deals if d.outcome == "lost" and d.stage)),
        open_stages=_ranked(Counter(d.stage for d in deals if d.outcome == "open" and d.stage)),
        competitors=_ranked(Counter({k: len(v) for k, v in tally.competitors.items()})),
        stuck=tuple(stuck),
    )


def _outcomes(deals: Iterable[DealFacts]) -> dict[str, float]:
    out = dict.fromkeys(("won", "lost", "open", "closed"), 0)
    out.update(dict.fromkeys(("won_amount", "lost_amount", "open_pipeline"), 0.0))
    amount_key = {"won": "won_amount", "lost": "lost_amount", "open": "open_pipeline"}
    for d in deals:
        out[d.outcome] += 1
        out[amount_key[d.outcome]] += d.amount
    out["closed"] = out["won"] + out["lost"]
    return out


def _ranked(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _days(since: str | None, until: str | None) -> int | None:
    if not since or not until:
        return None
    try:
        return (date.fromisoformat(until[:10]) - date.fromisoformat(since[:10])).days
    except ValueError:
        return None  # a date the CRM export wrote oddly: not measurable


def wilson(won: int, closed: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of won / closed: (low, high), (None, None) with no sample."""
    if closed <= 0:
        return None, None
    p = won / closed
    spread = z * z / closed
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / closed + spread / (4 * closed)) / (1 + spread)
    # exact at the ends: none won cannot be above 0 at its low end, all won is 1 at its top
    low = 0.0 if won == 0 else max(0.0, centre - half)
    high = 1.0 if won == closed else min(1.0, centre + half)
    return low, high


# -- the CRM's reason beside the notes --------------------------------------------


@dataclass(frozen=True)
class ReasonCheck:
    """A lost deal whose notes raise a theme, with the reason the CRM gives for the loss."""

    deal: str
    account: str | None
    amount: float
    crm_reason: str | None  # the deals table's reason, else its loss-reason notes' text
    crm_theme: str | None  # the theme its loss-reason note landed in (this one when any did)
    crm_theme_id: int | None
    notes_say: tuple[str, ...]  # up to 3 of this theme's notes of the deal (not loss reasons)
    agrees: bool  # the CRM reason's theme is this theme


def reason_checks(
    store: Store,
    theme_id: int,
    run_id: int | None = None,
    *,
    limit: int = 10,
    facts: dict[str, DealFacts] | None = None,
) -> list[ReasonCheck]:
    """The lost deals whose notes raise the theme, largest first, each with its CRM reason.

    ``facts``: ``deal_facts(store)`` (or as of a day) when the caller has it already.
    """
    run_id = run_id or current_run(store)["id"]
    _labels(store, run_id, theme_id)
    facts = deal_facts(store) if facts is None else facts
    raised = _lost_deals(store, run_id, facts, theme_id).get(theme_id, {})
    picked = sorted(raised, key=lambda d: (-facts[d].amount, d))[:limit]
    if not picked:
        return []
    marks = ",".join("?" * len(picked))
    # where each deal's loss-reason notes landed, the theme holding most of them first
    landed: dict[str, int] = {}
    for deal, cid in store.db.execute(
        "select n.deal, a.cluster_id from assignments a join notes n on n.note_id = a.note_id "
        f"where a.run_id = ? and a.cluster_id is not null and n.kind = 'loss-reason' "
        f"and n.deal in ({marks}) group by n.deal, a.cluster_id "
        "order by count(*) desc, a.cluster_id",
        [run_id, *picked],
    ).fetchall():
        landed.setdefault(deal, cid)
    says: dict[str, list[str]] = {}
    for deal, text in store.db.execute(
        "select n.deal, n.text from assignments a join notes n on n.note_id = a.note_id "
        f"where a.run_id = ? and a.cluster_id = ? and n.kind != 'loss-reason' "
        f"and n.deal in ({marks}) order by n.date desc, n.note_id",
        [run_id, theme_id, *picked],
    ).fetchall():
        if len(says.setdefault(deal, [])) < 3:
            says[deal].append(" ".join(text.split()))
    names = _labels(store, run_id)
    out = []
    for deal in picked:
        f = facts[deal]
        crm_id = theme_id if raised[deal] else landed.get(deal)
        out.append(
            ReasonCheck(
                deal=deal,
                account=f.account,
                amount=f.amount,
                crm_reason=f.loss_reason,
                crm_theme=names.get(crm_id),
                crm_theme_id=crm_id,
                notes_say=tuple(says.get(deal, ())),
                agrees=raised[deal],
            )
        )
    return out


def reason_summary(
    store: Store, run_id: int | None = None, facts: dict[str, DealFacts] | None = None
) -> dict[int, tuple[int, int]]:
    """theme -> (lost deals whose notes raise it, of which the CRM reason names it)."""
    run_id = run_id or current_run(store)["id"]
    lost = _lost_deals(store, run_id, deal_facts(store) if facts is None else facts)
    return {
        cid: (len(lost.get(cid, {})), sum(lost.get(cid, {}).values()))
        for cid in _labels(store, run_id)
    }


def _lost_deals(
    store: Store, run_id: int, facts: dict[str, DealFacts], only: int | None = None
) -> dict[int, dict[str, bool]]:
    """theme -> {lost deal with a note in it: whether one of those notes is its loss reason}."""
    where, params = "", [run_id]
    if only is not None:
        where, params = " and a.cluster_id = ?", [run_id, only]
    out: dict[int, dict[str, bool]] = {}
    for cid, deal, named in store.db.execute(
        "select a.cluster_id, n.deal, max(n.kind = 'loss-reason') from assignments a "
        "join notes n on n.note_id = a.note_id where a.run_id = ? "
        f"and a.cluster_id is not null and n.deal is not null and n.deal != ''{where} "
        "group by a.cluster_id, n.deal",
        params,
    ).fetchall():
        if deal in facts and facts[deal].outcome == "lost":
            out.setdefault(cid, {})[deal] = bool(named)
    return out


__all__ = [
    "STUCK_DAYS",
    "DealFacts",
    "ImpactReport",
    "ReasonCheck",
    "StuckDeal",
    "ThemeImpact",
    "as_of_day",
    "deal_facts",
    "reason_checks",
    "reason_summary",
    "theme_impact",
    "theme_impacts",
    "wilson",
]
