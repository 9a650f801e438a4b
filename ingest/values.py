"""Cell values to Note fields: dates, amounts, kinds and outcomes.

Each parser returns None for an empty cell and raises ValueError for a value it
cannot read; the caller turns that into a reject naming the column.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from dateutil import parser as dateparser

from gaplens.models import NOTE_KINDS

# -- plain text ---------------------------------------------------------------


def as_text(value: Any) -> str | None:
    """A cell as stripped text; None when empty. JSON numbers, lists and objects included."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, list):
        text = ", ".join(t for t in (as_text(v) for v in value) if t)
    elif isinstance(value, dict):
        import json

        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def words(text: str) -> list[str]:
    """Lower-case words of a header or label: 'Closed_Lost-Reason' -> closed, lost, reason."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return re.findall(r"[a-z0-9]+", text.lower())


# -- dates --------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:$|[T\s,])")
_EXCEL_EPOCH = date(1899, 12, 30)
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def is_dayfirst(values: list[Any]) -> bool:
    """Whether a column writes slash dates day first (some first part > 12, no second part > 12).

    Decided once per file so that '03/04/2026' means the same thing on every row.
    """
    first = second = False
    for value in values:
        if not isinstance(value, str):
            continue
        m = _NUMERIC.match(value.strip())
        if m and m.group(2) != ".":
            first = first or int(m.group(1)) > 12
            second = second or int(m.group(3)) > 12
    return first and not second


def parse_date(value: Any, dayfirst: bool = False) -> str | None:
    """An ISO date (YYYY-MM-DD) from the ways exports write one.

    ISO dates and datetimes (with Z or an offset: the date as written, not moved to UTC),
    US m/d/Y (d/m/Y when ``dayfirst``), d.m.Y, 'Mar 14, 2026', '14 March 2026',
    Excel serial numbers and Unix timestamps.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return _from_number(value).isoformat()
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
        return _from_number(text).isoformat()
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text):
        return _ymd(m.group(1), m.group(2), m.group(3))
    if m := _ISO.match(text):
        return _ymd(m.group(1), m.group(2), m.group(3))
    if m := _NUMERIC.match(text):
        a, sep, b, year = m.groups()
        if len(year) == 2:
            year = str(2000 + int(year) if int(year) < 70 else 1900 + int(year))
        day_first = sep == "." or dayfirst
        return _ymd(year, b, a) if day_first else _ymd(year, a, b)
    if not re.search(r"[A-Za-z]{3}", text) or not re.search(r"\d", text):
        raise ValueError(text)
    try:
        one, two = (dateparser.parse(text, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError) as exc:
        raise ValueError(text) from exc
    if one.date() != two.date() or not 1900 <= one.year <= 2100:
        raise ValueError(text)  # a part of the date was missing (e.g. no year)
    return one.date().isoformat()


def _ymd(year: str, month: str, day: str) -> str:
    d = date(int(year), int(month), int(day))
    if not 1900 <= d.year <= 2100:
        raise ValueError(f"{year}-{month}-{day}")
    return d.isoformat()


def _from_number(value: float) -> date:
    try:
        n = float(value)
    except OverflowError:
        raise ValueError(value) from None
    if math.isnan(n):
        raise ValueError(n)
    if 20000 <= n < 80000:  # an Excel serial day number
        return _EXCEL_EPOCH + timedelta(days=int(n))
    if 1e12 <= n < 1e13:
        n /= 1000  # Unix milliseconds
    if 1e8 <= n < 1e10:  # Unix seconds
        return datetime.fromtimestamp(n, tz=timezone.utc).date()
    raise ValueError(n)


def today() -> str:
    return date.today().isoformat()


# -- amounts ------------------------------------------------------------------

_MISSING = {"-", "--", "\u2013", "\u2014", "n/a", "na", "none", "null", "nan"}
_CURRENCY = re.compile(r"^(?:[$€£¥₹₩]|[a-z]{3}|[a-z]{1,2}\$)?$")
_AMOUNT = re.compile(
    r"^(?P<pre>\D*?)\s*(?P<num>\d[\d.,'\s\u00a0\u202f]*?)\s*"
    r"(?P<suf>thousand|million|billion|mm|bn|k|m|b)?\s*(?P<post>\D*)$"
)
_SYMBOL = re.compile(r"^(?:[$€£¥₹₩]|[a-z]{1,2}\$)$")
_CODE = re.compile(r"^[a-z]{3}$")
# a Salesforce multi-currency amount followed by its conversion in brackets
_CONVERTED = re.compile(r"^([^()]*\d[^()]*?)\s*\((?=[^()]*\d)(?=[^()]*[a-z$€£¥₹₩])[^()]*\)$")
_SUFFIX = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}


def parse_amount(value: Any) -> float | None:
    """A number from '$48,000.00', '48.000,00 €', 'EUR 12,500', '12.5k', '(1,200)' ...

    Also '$48,000.00 USD' (a symbol and a code) and Salesforce's multi-currency
    'EUR 12.500,00 (USD 13,600.00)' (the amount; the conversion in brackets is dropped).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if (
            isinstance(value, int)
            and abs(value) > 10**300
            or isinstance(value, float)
            and (math.isnan(value) or math.isinf(value))
        ):
            raise ValueError(value)
        return float(value)
    text = str(value).strip().lower()
    if not text or text in _MISSING:
        return None
    if m := _CONVERTED.match(text):
        text = m.group(1)  # 'EUR 12.500,00 (USD 13,600.00)': the amount, not its conversion
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-") or text.startswith("\u2212"):
        negative, text = True, text[1:].strip()
    m = _AMOUNT.match(text)
    if not m:
        raise ValueError(value)
    pre, post = m.group("pre").strip(), m.group("post").strip()
    if pre.endswith("-"):
        negative, pre = True, pre[:-1].strip()
    if not _CURRENCY.match(pre) or not _CURRENCY.match(post) or (pre and post):
        if not (_SYMBOL.match(pre) and _CODE.match(post)):  # '$48,000.00 USD' only
            raise ValueError(value)
    suffix = m.group("suf")
    number = _number(re.sub(r"[\s\u00a0\u202f']", "", m.group("num")), bool(suffix))
    number *= _SUFFIX.get(suffix or "", 1.0)
    if not math.isfinite(number):
        raise ValueError(value)
    return -number if negative else number


def _number(digits: str, has_suffix: bool) -> float:
    """Digits with thousands and decimal separators in either convention."""
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
    elif dots + commas == 1:
        sep = "." if dots else ","
        tail = digits.rsplit(sep, 1)[1]
        # '12,500' and '48.000' group thousands; '12.5k', '99.90' and '1234,5' are decimals
        whole = digits.rsplit(sep, 1)[0]
        decimal = sep if has_suffix or len(tail) != 3 or len(whole) > 3 or whole == "0" else None
    else:
        decimal = None  # '1,234,567' or '1.234.567' or plain digits
    if decimal is None:
        grouping = digits.replace(".", ",").split(",")
        if any(len(g) != 3 for g in grouping[1:]):
            raise ValueError(digits)
        return float("".join(grouping))
    whole, _, frac = digits.rpartition(decimal)
    groups = whole.replace(".", ",").split(",")
    if len(groups) > 1 and any(len(g) != 3 for g in groups[1:]) or not frac.isdigit():
        raise ValueError(digits)
    return float("".join(groups) + "." + frac)


# -- kinds and outcomes ---------------------------------------------------------

_KINDS = {
    "call-note": (
        "call note",
        "call notes",
        "call",
        "calls",
        "note",
        "notes",
        "meeting note",
        "meeting notes",
        "call log",
        "callnote",
    ),
    "objection": ("objection", "objections", "concern", "concerns", "pushback"),
    "loss-reason": (
        "loss reason",
        "loss reasons",
        "lost reason",
        "closed lost reason",
        "loss",
        "lost",
        "lossreason",
    ),
    "question": ("question", "questions", "prospect question", "customer question", "faq"),
}
_KIND_NAMES = {alias: kind for kind, aliases in _KINDS.items() for alias in aliases}
KINDS_TEXT = ", ".join(NOTE_KINDS)


def normalize_kind(value: Any) -> str | None:
    """'Call Note', 'call_note', 'Objections', 'loss-reason' ... -> a NOTE_KINDS kind or None."""
    text = as_text(value)
    if text is None:
        return None
    if text in NOTE_KINDS:
        return text
    return _KIND_NAMES.get(" ".join(words(text)))


# Stage values that name no outcome in words: HubSpot's default pipeline, by internal id.
STAGE_OUTCOMES = {
    "appointmentscheduled": "open",
    "qualifiedtobuy": "open",
    "presentationscheduled": "open",
    "decisionmakerboughtin": "open",
    "contractsent": "open",
    "closedwon": "won",
    "closedlost": "lost",
}
OUTCOMES = ("won", "lost", "open")


def stage_key(stage: str) -> str:
    """How stage values are compared: 'Closed Lost', 'closed_lost' -> 'closed lost'."""
    return " ".join(words(stage)) or stage.strip().casefold()


def normalize_outcome(
    outcome: str | None, stage: str | None, stages: dict[str, str] | None = None
) -> str | None:
    """won / lost / open where the outcome or the stage says so, else the outcome as given.

    ``stages`` maps stage values to outcomes (``--stage 158829339=lost``, keys compared
    as ``stage_key``); it is consulted before the built-in ``STAGE_OUTCOMES`` and before
    the stage's own words. A stage that is only an id (no letters) and is not mapped
    says nothing: the outcome stays None.
    """
    if outcome:
        said = _outcome_of(outcome)
        return said or outcome
    if stage:
        key = stage_key(stage)
        mapped = (stages or {}).get(key) or (stages or {}).get(stage.strip())
        if mapped or key in STAGE_OUTCOMES:
            return mapped or STAGE_OUTCOMES[key]
        said = _outcome_of(stage)
        if said:
            return said
        if not re.search(r"[^\W\d_]", stage):
            return None  # '158829339': a custom pipeline's stage id, not a name
        if "closed" not in words(stage):
            return "open"  # a deal sitting in Discovery, Demo, Negotiation ... is open
    return None


def _outcome_of(value: str) -> str | None:
    w = words(value)
    if w[:1] == ["closed"]:
        w = w[1:]
    if not w:
        return None
    if w[0] in ("won", "win", "cw"):
        return "won"
    if w[0] in ("lost", "loss", "cl", "dead"):
        return "lost"
    if " ".join(w) in ("open", "in progress", "active", "pipeline", "ongoing", "pending"):
        return "open"
    return None
