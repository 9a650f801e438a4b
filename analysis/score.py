"""The gap score that ranks themes for content planning.

    score = 100 x demand x momentum x (1 - coverage)

    demand   = 0.35 N + 0.20 D + 0.15 A + 0.30 V
               N, D, A, V: the theme's notes, distinct deals, distinct accounts and
               deal value at stake, each as log(1 + x) / log(1 + the largest x
               among the themes), so each lies in [0, 1]. Deal value counts
               each deal once (its largest amount), plus the amounts of notes
               with no deal; a deal named without an amount takes the value
               other notes give it.
    momentum = 0.75 + 0.25 x clip((r - R) / R, -1, 1), in [0.5, 1]
               r: the share of the theme's dated notes from the last 90 days
               before the newest note in the workspace; R: the same share over
               all notes. A theme as recent as the average gets 0.75, one
               raised twice as often lately gets 1, one not raised lately 0.5.
    coverage in [0, 1] from analysis.coverage.

A theme everyone raises, in big deals, lately, with nothing that answers it
scores near 100; a fully covered theme scores 0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, timedelta

WEIGHTS = {"notes": 0.35, "deals": 0.20, "accounts": 0.15, "amount": 0.30}
RECENT_DAYS = 90


@dataclass(frozen=True)
class Demand:
    notes: int
    deals: int
    accounts: int
    amount: float
    recent_share: float  # share of dated notes in the recent window, 0 when undated


@dataclass(frozen=True)
class ScoreParts:
    notes: float
    deals: float
    accounts: float
    amount: float
    demand: float
    momentum: float
    coverage: float
    score: float

    def to_dict(self) -> dict:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def deal_values(notes: list[dict]) -> dict[str, float]:
    """Each deal's value: the largest amount any note of the workspace gives it."""
    values: dict[str, float] = {}
    for note in notes:
        if note.get("deal") and note.get("amount"):
            values[note["deal"]] = max(values.get(note["deal"], 0.0), float(note["amount"]))
    return values


def demand_of(
    notes: list[dict], cutoff: date | None, known_values: dict[str, float] | None = None
) -> Demand:
    """Counts for one theme from its notes (dicts with deal, account, amount, date).

    A note that names a deal but carries no amount (an objection-log row, say)
    takes the deal's value from ``known_values`` (see ``deal_values``).
    """
    known_values = known_values or {}
    deal_amounts: dict[str, float] = {}
    loose_amount = 0.0
    accounts = set()
    dated = recent = 0
    for note in notes:
        deal = note.get("deal")
        amount = note.get("amount")
        if deal:
            value = float(amount) if amount else known_values.get(deal, 0.0)
            deal_amounts[deal] = max(deal_amounts.get(deal, 0.0), value)
        elif amount:
            loose_amount += float(amount)
        if note.get("account"):
            accounts.add(note["account"].strip().lower())
        if note.get("date"):
            dated += 1
            if cutoff and note["date"] >= cutoff.isoformat():
                recent += 1
    return Demand(
        notes=len(notes),
        deals=len(deal_amounts),
        accounts=len(accounts),
        amount=sum(deal_amounts.values()) + loose_amount,
        recent_share=recent / dated if dated else 0.0,
    )


def recent_cutoff(dates: list[str]) -> date | None:
    """Start of the recent window: RECENT_DAYS before the newest note date."""
    valid = [d for d in dates if d]
    if not valid:
        return None
    newest = date.fromisoformat(max(valid)[:10])
    return newest - timedelta(days=RECENT_DAYS)


def _norm(x: float, top: float) -> float:
    return math.log1p(x) / math.log1p(top) if top > 0 else 0.0


def score_all(
    demands: list[Demand], coverages: list[float], base_recent: float
) -> list[ScoreParts]:
    if not demands:
        return []
    top = {
        "notes": max(d.notes for d in demands),
        "deals": max(d.deals for d in demands),
        "accounts": max(d.accounts for d in demands),
        "amount": max(d.amount for d in demands),
    }
    parts = []
    for d, cov in zip(demands, coverages, strict=True):
        n = _norm(d.notes, top["notes"])
        de = _norm(d.deals, top["deals"])
        a = _norm(d.accounts, top["accounts"])
        v = _norm(d.amount, top["amount"])
        demand = (
            WEIGHTS["notes"] * n
            + WEIGHTS["deals"] * de
            + WEIGHTS["accounts"] * a
            + WEIGHTS["amount"] * v
        )
        if base_recent > 0:
            momentum = 0.75 + 0.25 * max(
                -1.0, min(1.0, (d.recent_share - base_recent) / base_recent)
            )
        else:
            momentum = 0.75
        score = 100.0 * demand * momentum * (1.0 - cov)
        parts.append(ScoreParts(n, de, a, v, demand, momentum, cov, score))
    return parts
