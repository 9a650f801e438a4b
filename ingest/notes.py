"""Importing notes: CSV / JSON / JSONL exports, text and Markdown files, typed notes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gaplens.models import ImportSummary, Note, Reject
from gaplens.store import Store, text_hash
from ingest.columns import ColumnMap, check_mapping, resolve_columns
from ingest.decode import decode_bytes, has_undecodable, readable
from ingest.errors import IngestError
from ingest.files import as_paths, missing, not_read, sha256, skipped, walk
from ingest.files import label as label_of
from ingest.tables import UNDECODABLE, Table, read_csv, read_json, read_jsonl
from ingest.values import (
    KINDS_TEXT,
    as_text,
    is_dayfirst,
    normalize_kind,
    normalize_outcome,
    parse_amount,
    parse_date,
    today,
)

Progress = Callable[[str, int, "int | None"], None]

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
}
PROGRESS_EVERY = 500
_LEADING_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?!\d)")


class RowError(ValueError):
    """A row that cannot become a note; the message is the reject reason."""


def import_notes(
    store: Store,
    paths: Sequence[str | Path],
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    on_progress: Progress | None = None,
) -> list[ImportSummary]:
    """Import note files and folders of them (recursively, sorted); one ImportSummary per file.

    ``kind`` forces every note's kind; ``mapping`` ({field: column}) overrides the column
    guesses. Raises IngestError only for a bad ``kind`` or ``mapping`` field name. A file
    that cannot be used (missing, no text column, a mapped column it lacks, invalid JSON)
    is reported in its summary's ``error``; a row that cannot be used, in its ``rejects``.
    A file in a folder that is not a known type gets a "skipped" summary with one reject
    saying why; hidden files are passed over. Each file is written in one transaction.
    """
    forced = None
    if kind is not None:
        forced = normalize_kind(kind)
        if forced is None:
            raise IngestError(f"--kind {kind!r}: unknown kind (kinds: {KINDS_TEXT})")
    columns = check_mapping(mapping)
    summaries: list[ImportSummary] = []
    for path in as_paths(paths):
        if path.is_dir():
            for file in walk(path, store.path):
                if file.suffix.lower() in FORMATS:
                    summaries.append(_import_file(store, file, forced, columns, on_progress))
                else:
                    summaries.append(skipped(store, file, FORMATS))
        elif path.is_file():
            summaries.append(_import_file(store, path, forced, columns, on_progress))
        else:
            summaries.append(missing(path, FORMATS.get(path.suffix.lower(), "unknown")))
    return summaries


def _import_file(
    store: Store,
    path: Path,
    kind: str | None,
    mapping: dict[str, str],
    on_progress: Progress | None,
) -> ImportSummary:
    name = label_of(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        return not_read(path, FORMATS)
    try:
        data = path.read_bytes()
        text = decode_bytes(data, name).text
        if fmt in ("text", "markdown"):
            notes, rejects = _text_note(path, name, text, kind)
            if on_progress:
                on_progress(name, 1, 1)
        else:
            reader = {"csv": read_csv, "json": read_json, "jsonl": read_jsonl}[fmt]
            table = reader(text, name)
            fmt = table.format
            notes, rejects = table_notes(table, name, kind, mapping, on_progress)
    except IngestError as exc:
        return ImportSummary(name, fmt, error=str(exc))
    except OSError as exc:
        return ImportSummary(name, fmt, error=f"{name}: cannot read: {exc.strerror or exc}")
    return write_notes(store, name, fmt, sha256(data), notes, rejects)


# -- rows to notes ----------------------------------------------------------------


def table_notes(
    table: Table,
    name: str,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    on_progress: Progress | None = None,
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """(note, raw row) for each usable row, and a Reject for each row that is not."""
    cols = resolve_columns(table.columns, mapping or {}, name, table.column_values)
    dayfirst = "date" in cols.index and is_dayfirst(table.column_values(cols.index["date"], 10**9))
    notes: list[tuple[Note, str]] = []
    rejects: list[Reject] = []
    total = len(table.records)
    if on_progress:
        on_progress(name, 0, total)
    for done, rec in enumerate(table.records, start=1):
        if rec.problem is not None:
            rejects.append(Reject(name, rec.line, rec.problem, readable(rec.raw)))
        else:
            try:
                notes.append((_row_note(rec.values, rec.line, cols, kind, dayfirst), rec.raw))
            except RowError as exc:
                rejects.append(Reject(name, rec.line, str(exc), readable(rec.raw)))
        if on_progress and done % PROGRESS_EVERY == 0 and done < total:
            on_progress(name, done, total)
    if on_progress:
        on_progress(name, total, total)
    return notes, rejects


def _row_note(
    values: list[Any], line: int | None, cols: ColumnMap, kind: str | None, dayfirst: bool
) -> Note:
    def cell(field: str) -> Any:
        i = cols.index.get(field)
        return values[i] if i is not None and i < len(values) else None

    def text(field: str) -> str | None:
        return as_text(cell(field))

    body = text("text")
    if body is None:
        raise RowError(f"empty text in column '{cols.name('text')}'")
    if has_undecodable(body):
        raise RowError(UNDECODABLE)
    if kind is None:
        kind = cols.inferred_kind
        given = text("kind")
        if given is not None:
            kind = normalize_kind(given)
            if kind is None:
                raise RowError(
                    f"unknown kind '{given}' in column '{cols.name('kind')}' "
                    f"(kinds: {KINDS_TEXT}; or set one for the file with --kind)"
                )
    try:
        date = parse_date(cell("date"), dayfirst)
    except ValueError:
        raise RowError(
            f"unparsable date '{text('date')}' in column '{cols.name('date')}'"
        ) from None
    try:
        amount = parse_amount(cell("amount"))
    except ValueError:
        raise RowError(
            f"unparsable amount '{text('amount')}' in column '{cols.name('amount')}'"
        ) from None
    deal, account = text("deal"), text("account")
    return Note(
        note_id=text("id") or note_id(kind, body, date, deal, account),
        text=body,
        kind=kind,
        date=date,
        deal=deal,
        account=account,
        amount=amount,
        stage=text("stage"),
        outcome=normalize_outcome(text("outcome"), text("stage")),
        rep=text("rep"),
        competitor=text("competitor"),
        line=line,
    )


def note_id(kind: str, text: str, date: str | None, deal: str | None, account: str | None) -> str:
    """The id of a note that came without one: the same note always gets the same id."""
    key = "|".join(v or "" for v in (kind, text, date, deal, account))
    return "n-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


# -- text and Markdown files --------------------------------------------------------


def _text_note(
    path: Path, name: str, text: str, kind: str | None
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """One file, one note: id = file stem, date from a leading YYYY-MM-DD in the name."""
    if has_undecodable(text):
        return [], [Reject(name, 1, UNDECODABLE, readable(text))]
    body = as_text(text) or ""
    lines = body.split("\n")
    if lines and re.match(r"#\s", lines[0]):
        rest = "\n".join(lines[1:]).strip()
        body = rest or lines[0].lstrip("#").strip()  # the heading is a title, not the note
    if not body:
        return [], [Reject(name, 1, "empty note: the file has no text", "")]
    date = None
    if m := _LEADING_DATE.match(path.name):
        try:
            date = parse_date(m.group(1))
        except ValueError:
            return [], [Reject(name, 1, f"unparsable date '{m.group(1)}' in the file name", "")]
    note = Note(note_id=path.stem, text=body, kind=kind or "call-note", date=date, line=1)
    return [(note, text)], []


# -- writing ------------------------------------------------------------------------


def write_notes(
    store: Store,
    name: str,
    fmt: str,
    digest: str | None,
    notes: list[tuple[Note, str]],
    rejects: list[Reject],
) -> ImportSummary:
    """Store one file's notes (with their raw rows) and rejects in one transaction.

    A note whose id is stored with the same text counts as present (so importing a
    file twice adds nothing); an id stored with a different text is rejected.
    """
    rejects = list(rejects)
    with store.db.atomic():
        source_id = store.add_source(name, "notes", fmt, digest)
        stored = store.existing_notes(n.note_id for n, _ in notes)
        seen: dict[str, tuple[str, int | None]] = {}
        new: list[Note] = []
        present = 0
        for note, raw in notes:
            digest_ = text_hash(note.text)
            if note.note_id in seen:
                first_hash, first_line = seen[note.note_id]
                if first_hash == digest_:
                    present += 1  # the same row twice in one file
                else:
                    reason = _clash(note.note_id, f"line {first_line} of this file")
                    rejects.append(Reject(name, note.line, reason, readable(raw)))
                continue
            seen[note.note_id] = (digest_, note.line)
            if note.note_id not in stored:
                new.append(note)
            elif stored[note.note_id] == digest_:
                present += 1
            else:
                reason = _clash(note.note_id, "the workspace")
                rejects.append(Reject(name, note.line, reason, readable(raw)))
        rejects.sort(key=lambda r: (r.line is None, r.line or 0))
        store.insert_notes(new, source_id)
        store.add_rejects(rejects, source_id)
        store.finish_source(source_id, len(new), present, len(rejects))
    return ImportSummary(name, fmt, len(new), present, len(rejects), tuple(rejects))


def _clash(note_id: str, where: str) -> str:
    return (
        f"note id '{note_id}' is already in {where} with a different text; give this note "
        "its own id (or pick another id column with --map id=COLUMN)"
    )


# -- typed notes ----------------------------------------------------------------------


def add_typed_note(
    store: Store,
    text: str,
    kind: str = "call-note",
    deal: str | None = None,
    account: str | None = None,
    rep: str | None = None,
    amount: str | float | None = None,
    date: str | None = None,
    competitor: str | None = None,
    stage: str | None = None,
) -> Note:
    """Store one note typed by a person; the date defaults to today.

    Raises IngestError naming the field when the input is unusable, or when the very
    same note is already in the workspace.
    """
    body = as_text(text) if isinstance(text, str) else None
    if not body:
        raise IngestError("the note text is empty")
    normal = normalize_kind(kind)
    if normal is None:
        raise IngestError(f"unknown kind {kind!r} (kinds: {KINDS_TEXT})")
    try:
        iso = parse_date(date) if date not in (None, "") else today()
    except ValueError:
        raise IngestError(f"unparsable date {date!r}; write it as YYYY-MM-DD") from None
    try:
        value = parse_amount(amount)
    except ValueError:
        raise IngestError(
            f"unparsable amount {amount!r}; write a number such as 48000 or 12.5k"
        ) from None
    deal, account, rep, competitor, stage = (
        as_text(v) for v in (deal, account, rep, competitor, stage)
    )
    note = Note(
        note_id=note_id(normal, body, iso, deal, account),
        text=body,
        kind=normal,
        date=iso,
        deal=deal,
        account=account,
        amount=value,
        stage=stage,
        outcome=normalize_outcome(None, stage),
        rep=rep,
        competitor=competitor,
    )
    with store.db.atomic():
        if store.existing_notes([note.note_id]):
            raise IngestError(f"this note is already in the workspace (id {note.note_id})")
        source_id = store.add_source("(typed)", "typed", "typed", None)
        store.insert_notes([note], source_id)
        store.finish_source(source_id, 1, 0, 0)
    return note
