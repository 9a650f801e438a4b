"""Which column holds which Note field: header aliases, --map overrides, kind inference."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.errors import IngestError
from ingest.values import as_text, normalize_kind, parse_amount, words

# Most specific first: the first alias present in the header wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "note text",
        "note body",
        "objection",
        "objection text",
        "question",
        "question text",
        "loss reason details",
        "loss reason detail",
        "lost reason details",
        "lost reason detail",
        "closed lost reason details",
        "closed lost reason detail",
        "loss details",
        "closed lost reason",
        "loss reason",
        "lost reason",
        "reason lost",
        "note",
        "notes",
        "call notes",
        "body",
        "reason",
        "comments",
        "comment",
        "details",
        "description",
        "summary",
    ),
    "id": (
        "id",
        "note id",
        "record id",
        "hs object id",  # HubSpot's property name for Record ID
        "objection id",
        "question id",
        "call id",
        "entry id",
        "opportunity id",  # last: a CRM export whose only id is the opportunity's
    ),
    "date": (
        "date",
        "created",
        "created at",
        "created date",
        "created on",
        "create date",
        "createdate",
        "logged on",
        "logged at",
        "date logged",
        "call date",
        "meeting date",
        "close date",
        "closedate",
        "closed date",
        "timestamp",
    ),
    "deal": (
        "deal id",
        "deal",
        "opportunity id",
        "opp id",
        "opportunity",
        "deal name",
        "dealname",
        "opportunity name",
    ),
    "account": (
        "account",
        "account name",
        "company",
        "company name",
        "customer",
        "customer name",
        "associated company",
    ),
    "amount": ("amount", "deal amount", "deal value", "opportunity amount", "arr", "acv", "value"),
    "stage": ("stage", "deal stage", "dealstage", "stage name", "opportunity stage", "sales stage"),
    "outcome": ("outcome", "won/lost", "win/loss", "result", "status"),
    "rep": (
        "rep",
        "sales rep",
        "owner",
        "opportunity owner",
        "deal owner",
        "author",
        "account executive",
        "ae",
        "hubspot owner id",
    ),
    "competitor": ("competitor", "primary competitor", "competitors", "main competitor"),
    "kind": ("kind", "note type", "note kind", "type"),
}
FIELDS = tuple(ALIASES)
_FIELD_NAMES = {"note id": "id", "note_id": "id", "body": "text"}
# Generic words used only when the column's values look like that field.
_WEAK = {("kind", "type"), ("amount", "value")}


def header_key(name: str) -> str:
    """'Closed_Lost Reason' / 'closedLostReason' / 'Amount (USD)' -> 'closed lost reason' ...

    Salesforce's custom-field suffix goes too: 'Closed_Lost_Reason__c' -> 'closed lost reason'.
    """
    name = re.sub(r"__c\s*$", "", name.strip().lstrip("\ufeff"))
    name = re.sub(r"\([^)]*\)", " ", name)
    return " ".join(words(name))


_KEYS = {field: [header_key(a) for a in aliases] for field, aliases in ALIASES.items()}


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """['text=Objection', 'date=Logged On'] -> {'text': 'Objection', 'date': 'Logged On'}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip().strip("'\"").strip()
        if not sep or not field or not column:
            raise IngestError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. --map text=Objection")
        name = check_field(field, f"--map {pair!r}")
        if name in mapping:
            raise IngestError(f"--map {pair!r}: field '{name}' is mapped twice")
        mapping[name] = column
    return mapping


def check_field(field: str, where: str) -> str:
    key = field.strip().lower()
    key = _FIELD_NAMES.get(key, key)
    if key not in ALIASES:
        raise IngestError(f"{where}: unknown field '{field}' (fields: {', '.join(FIELDS)})")
    return key


def check_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, column in (mapping or {}).items():
        name = check_field(field, f"--map {field}={column}")
        if not str(column).strip():
            raise IngestError(f"--map {field}=: name the column, e.g. --map {name}=Notes")
        out[name] = str(column).strip()
    return out


@dataclass(frozen=True)
class ColumnMap:
    """Field -> column position in one file, and the kind its text column implies."""

    columns: tuple[str, ...]
    index: dict[str, int]
    inferred_kind: str

    def name(self, field: str) -> str:
        return self.columns[self.index[field]]


def resolve_columns(
    columns: Sequence[str],
    mapping: dict[str, str],
    label: str,
    values: Callable[[int], list[Any]],
    prefer: dict[str, Sequence[str]] | None = None,
) -> ColumnMap:
    """Find each field's column. ``values(i)`` gives a sample of column i's cells.

    ``prefer`` (field -> header aliases) is tried before ``ALIASES``: how an export
    recognised by its header (ingest.crm) puts its own columns first.

    Raises IngestError when a mapped column is missing or no column holds the note text.
    """
    keys = [header_key(c) for c in columns]
    found = ", ".join(repr(c) for c in columns) or "none"
    index = {
        field: _mapped(columns, keys, field, column, label, found)
        for field, column in mapping.items()
    }
    taken = set(index.values())  # a column named in --map serves that field only
    for field in FIELDS:
        if field in index:
            continue
        aliases = [header_key(a) for a in (prefer or {}).get(field, ())] + _KEYS[field]
        candidates = list(dict.fromkeys(keys.index(a) for a in aliases if a in keys))
        candidates = [i for i in candidates if i not in taken]
        if field == "text":
            if candidates:
                index[field] = _substantive(candidates, values)
            continue
        for i in candidates:
            if (field, keys[i]) in _WEAK and not _looks_like(field, values(i)):
                continue
            index[field] = i
            break
    if "text" not in index:
        raise IngestError(
            f"{label}: no column holds the note text (looked for text, note, notes, body, "
            f"objection, question, loss reason, comments, description ...); columns found: "
            f"{found}. Name it with --map text=COLUMN"
        )
    others = [k for k in keys if k in _KEYS["text"]]
    return ColumnMap(tuple(columns), index, _kind_from(keys[index["text"]], others))


def _mapped(columns, keys, field, column, label, found) -> int:
    if column in columns:
        return list(columns).index(column)
    if header_key(column) in keys:
        return keys.index(header_key(column))
    raise IngestError(
        f"{label}: --map {field}={column}: no column '{column}'; columns found: {found}"
    )


def _looks_like(field: str, sample: list[Any]) -> bool:
    cells = [v for v in sample if as_text(v) is not None]
    if not cells:
        return True
    if field == "kind":
        ok = sum(normalize_kind(v) is not None for v in cells)
    else:
        ok = 0
        for v in cells:
            try:
                parse_amount(v)
                ok += 1
            except ValueError:
                pass
    return ok * 2 >= len(cells)


def _substantive(candidates: list[int], values: Callable[[int], list[Any]]) -> int:
    """The first text column that holds sentences rather than picklist labels ('Pricing')."""
    first_median = None
    for i in candidates:
        lengths = [len((as_text(v) or "").split()) for v in values(i)]
        lengths = [n for n in lengths if n] or [0]
        median = statistics.median(lengths)
        if first_median is None:
            first_median = median
            if median > 2:
                return i
        elif median >= 5:
            return i
    return candidates[0]


def _kind_from(chosen: str, others: list[str]) -> str:
    """The kind a file's text column implies: 'Loss Reason' -> loss-reason, and so on.

    The chosen text column decides; other text-like columns in the header count too
    (a picklist 'Closed Lost Reason' beside a free-text 'Description').
    """
    for key in [chosen, *others]:
        w = key.split()
        if "objection" in w or "objections" in w:
            return "objection"
        if "question" in w or "questions" in w:
            return "question"
        if "loss" in w or "lost" in w or (key == "reason" and key == chosen):
            return "loss-reason"
    return "call-note"
