"""Importing notes: CSV / JSON / JSONL exports, text and Markdown files, typed notes."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gaplens.models import ImportSummary, Note, Reject
from gaplens.store import Store, text_hash
from ingest.columns import ColumnMap, check_mapping, resolve_columns
from ingest.decode import decode_bytes, has_undecodable, readable, stream_encoding, stream_lines
from ingest.errors import IngestError
from ingest.files import (
    as_paths,
    binary_kind,
    head,
    missing,
    not_read,
    sha256,
    sha256_file,
    skipped,
    sniff_text_format,
    walk,
)
from ingest.files import label as label_of
from ingest.mentions import mention_notes
from ingest.privacy import mask_contacts
from ingest.tables import UNDECODABLE, CsvStream, Table, read_csv, read_json, read_jsonl
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
STREAM_OVER = 8 << 20  # a CSV larger than this is read as a stream, in batches
BATCH = 5000
_LEADING_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?!\d)")


class RowError(ValueError):
    """A row that cannot become a note; the message is the reject reason."""


def import_notes(
    store: Store,
    paths: Sequence[str | Path],
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    on_progress: Progress | None = None,
    keep_pii: bool = False,
) -> list[ImportSummary]:
    """Import note files and folders of them (recursively, sorted); one ImportSummary per file.

    Emails and phone numbers in the note text are masked unless ``keep_pii`` (see
    ingest.privacy); a summary's ``masked`` counts the notes that had some.

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
                    summaries.append(
                        _import_file(store, file, forced, columns, on_progress, keep_pii)
                    )
                else:
                    summaries.append(skipped(store, file, FORMATS))
        elif path.is_file():
            summaries.append(_import_file(store, path, forced, columns, on_progress, keep_pii))
        else:
            summaries.append(missing(path, FORMATS.get(path.suffix.lower(), "unknown")))
    return summaries


def _import_file(
    store: Store,
    path: Path,
    kind: str | None,
    mapping: dict[str, str],
    on_progress: Progress | None,
    keep_pii: bool = False,
) -> ImportSummary:
    name = label_of(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        return not_read(path, FORMATS)
    header = None  # a CSV file's header line: its rejects keep it (rejects --export)
    try:
        first = head(path)
        if what := binary_kind(first):
            raise IngestError(f"{name}: not a {fmt} file: the content is {what}")
        named = fmt
        if fmt in ("csv", "json", "jsonl"):
            fmt = sniff_text_format(first, fmt)
            if fmt == "csv" and path.stat().st_size > STREAM_OVER:
                streamed = _import_csv_stream(
                    store, path, name, named, kind, mapping, on_progress, keep_pii
                )
                if streamed is not None:
                    return streamed
        data = path.read_bytes()
        text = decode_bytes(data, name).text
        if fmt in ("text", "markdown"):
            notes, rejects = _text_note(path, name, text, kind, keep_pii)
            if on_progress:
                on_progress(name, 1, 1)
        else:
            reader = {"csv": read_csv, "json": read_json, "jsonl": read_jsonl}[fmt]
            table = reader(text, name)
            fmt = _as_named(table.format, named)
            if not table.records:
                raise IngestError(_no_rows(name, table))
            notes, rejects = table_notes(table, name, kind, mapping, on_progress, keep_pii)
            header = csv_header(table)
    except IngestError as exc:
        return ImportSummary(name, fmt, error=str(exc))
    except OSError as exc:
        return ImportSummary(name, fmt, error=f"{name}: cannot read: {exc.strerror or exc}")
    return write_notes(store, name, fmt, sha256(data), notes, rejects, header)


def _as_named(fmt: str, named: str) -> str:
    """The format read, saying so when the file's extension claimed another."""
    return fmt if fmt == named or {fmt, named} == {"json", "jsonl"} else f"{fmt} (named {named})"


def _no_rows(name: str, table: Table | CsvStream) -> str:
    if table.format == "csv":
        columns = ", ".join(table.columns)
        return f"{name}: no rows: the file has a header ({columns}) and nothing below it"
    return f"{name}: no rows: the {table.format.upper()} holds no notes"


def _import_csv_stream(
    store: Store,
    path: Path,
    name: str,
    named: str,
    kind: str | None,
    mapping: dict[str, str],
    on_progress: Progress | None,
    keep_pii: bool = False,
) -> ImportSummary | None:
    """A large CSV read as a stream, in batches, never whole: same notes, rejects and
    messages as the whole-file path, in bounded memory. Still one transaction.

    Passes: a leading sample finds the columns; a scan counts the rows (for progress) and
    finds how the date column writes its days; the last pass converts and writes. None
    when the encoding can only be told from the whole file (the caller reads it whole).
    """
    how = stream_encoding(path)
    if how is None:
        return None
    fmt = _as_named("csv", named)
    table = CsvStream(lambda: stream_lines(path, *how, name), name)
    if not table.sample:
        raise IngestError(_no_rows(name, table))
    cols = resolve_columns(table.columns, mapping, name, table.column_values)
    total = table.scan(cols.index.get("date"), _day_order)

    with store.db.atomic():
        writer = _FileWriter(store, name, fmt, sha256_file(path))
        done = 0
        for batch in table.batches(BATCH):
            n = len(batch.records)

            def progress(file: str, d: int, t: int | None, offset: int = done) -> None:
                if on_progress and (d or not offset):  # one (0, total) call for the file
                    on_progress(file, offset + d, total)

            notes, rejects = table_notes(batch, name, kind, mapping, progress, keep_pii)
            writer.add(notes, rejects, csv_header(batch))
            done += n
        return writer.finish()


def _day_order(value: Any) -> str | None:
    """Which way a date cell bears on is_dayfirst: its first part is over 12 (day first),
    its second part is (month first), or neither (None)."""
    if not is_dayfirst(["13/01/2000", value]):
        return "second"
    return "first" if is_dayfirst([value]) else None


# -- rows to notes ----------------------------------------------------------------


def table_notes(
    table: Table,
    name: str,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    on_progress: Progress | None = None,
    keep_pii: bool = False,
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """(note, raw row) for each usable row, and a Reject for each row that is not.

    Emails and phone numbers in the text are masked unless ``keep_pii``; a rejected CSV
    row keeps the table's header line (``Reject.header``) so it can be written back.
    """
    cols = resolve_columns(table.columns, mapping or {}, name, table.column_values)
    dayfirst = "date" in cols.index and is_dayfirst(table.column_values(cols.index["date"], 10**9))
    notes: list[tuple[Note, str]] = []
    rejects: list[Reject] = []
    total = len(table.records)
    if on_progress:
        on_progress(name, 0, total)
    header = csv_header(table)
    for done, rec in enumerate(table.records, start=1):
        if rec.problem is not None:
            rejects.append(Reject(name, rec.line, rec.problem, readable(rec.raw), header))
        else:
            try:
                note = _row_note(rec.values, rec.line, cols, kind, dayfirst, keep_pii)
                notes.append((note, rec.raw))
            except RowError as exc:
                rejects.append(Reject(name, rec.line, str(exc), readable(rec.raw), header))
        if on_progress and done % PROGRESS_EVERY == 0 and done < total:
            on_progress(name, done, total)
    if on_progress:
        on_progress(name, total, total)
    return notes, rejects


def _row_note(
    values: list[Any],
    line: int | None,
    cols: ColumnMap,
    kind: str | None,
    dayfirst: bool,
    keep_pii: bool = False,
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
    masked, found = mask_contacts(body)
    return Note(
        note_id=text("id") or note_id(kind, masked, date, deal, account),
        text=body if keep_pii else masked,
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
        masked=0 if keep_pii else found,
    )


def note_id(kind: str, text: str, date: str | None, deal: str | None, account: str | None) -> str:
    """The id of a note that came without one: the same note always gets the same id.

    Callers pass the *masked* text, with or without --keep-pii (see ingest.privacy).
    """
    key = "|".join(v or "" for v in (kind, text, date, deal, account))
    return "n-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def csv_header(table: Any) -> str | None:
    """A CSV table's header line, written with the delimiter its rows use; None otherwise.

    Kept with each rejected row so ``gaplens rejects --export`` can write the rows back
    as a CSV the importer reads again. The delimiter is the one that splits a good row
    into the fields the reader found (else the one most used by the rejected rows).
    """
    if getattr(table, "format", None) != "csv":
        return None
    records = getattr(table, "records", None) or getattr(table, "sample", None) or []
    delimiter = None
    for rec in records[:50]:
        if rec.values is not None:
            for d in ",;\t|":
                if next(csv.reader(io.StringIO(rec.raw, newline=""), delimiter=d), None) == list(
                    rec.values
                ):
                    delimiter = d
                    break
        if delimiter:
            break
    if delimiter is None:
        sample = "".join(rec.raw.split("\n", 1)[0] for rec in records[:50])
        delimiter = max(",;\t|", key=lambda d: (sample.count(d), d == ","))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(table.columns)
    return out.getvalue()


# -- text and Markdown files --------------------------------------------------------


def _text_note(
    path: Path, name: str, text: str, kind: str | None, keep_pii: bool = False
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """One file, one note: id = file stem, date from a leading YYYY-MM-DD in the name.

    Emails and phone numbers in the text are masked unless ``keep_pii``."""
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
    found = 0
    if not keep_pii:
        body, found = mask_contacts(body)
    note = Note(
        note_id=path.stem, text=body, kind=kind or "call-note", date=date, line=1, masked=found
    )
    return [(note, text)], []


# -- writing ------------------------------------------------------------------------


def write_notes(
    store: Store,
    name: str,
    fmt: str,
    digest: str | None,
    notes: list[tuple[Note, str]],
    rejects: list[Reject],
    header: str | None = None,
) -> ImportSummary:
    """Store one file's notes (with their raw rows) and rejects in one transaction.

    ``header``: a CSV file's header line, kept with the rows rejected here (id clashes).

    A note whose id is stored with the same text counts as present (so importing a
    file twice adds nothing); an id stored with a different text is rejected.
    """
    with store.db.atomic():
        writer = _FileWriter(store, name, fmt, digest)
        writer.add(notes, rejects, header)
        return writer.finish()


class _FileWriter:
    """One file's notes written batch by batch inside the caller's transaction.

    Its sources row is written first and its counts last, in the same transaction, so
    an interrupted import leaves no trace. A note id met earlier in this file (in the
    batch, or already written by an earlier batch) is told apart from one that was in
    the workspace before the file.
    """

    def __init__(self, store: Store, name: str, fmt: str, digest: str | None):
        self.store, self.name, self.fmt = store, name, fmt
        self.source_id = store.add_source(name, "notes", fmt, digest)
        self.added = self.present = self.masked = self.split = self.mentions = 0
        self.rejects: list[Reject] = []

    def add(
        self, notes: list[tuple[Note, str]], rejects: list[Reject], header: str | None = None
    ) -> None:
        rejects = list(rejects)
        self.masked += sum(1 for n, _ in notes if n.masked)
        stored = self._stored([n.note_id for n, _ in notes])
        seen: dict[str, tuple[str, int | None]] = {}
        new: list[Note] = []
        for note, raw in notes:
            digest_ = text_hash(note.text)
            if note.note_id in seen:
                first_hash, first_line = seen[note.note_id]
                if first_hash == digest_:
                    self.present += 1  # the same row twice in one file
                else:
                    reason = _clash(note.note_id, f"line {first_line} of this file")
                    rejects.append(Reject(self.name, note.line, reason, readable(raw), header))
                continue
            seen[note.note_id] = (digest_, note.line)
            if note.note_id not in stored:
                new.append(note)
                continue
            stored_hash, source_id, line = stored[note.note_id]
            if stored_hash == digest_:
                self.present += 1
            else:
                where = f"line {line} of this file" if source_id == self.source_id else None
                reason = _clash(note.note_id, where or "the workspace")
                rejects.append(Reject(self.name, note.line, reason, readable(raw), header))
        rejects.sort(key=lambda r: (r.line is None, r.line or 0))
        rows, originals = as_mentions(new)
        self.store.insert_notes(rows, self.source_id)
        self.store.add_originals(originals, self.source_id)
        self.store.add_rejects(rejects, self.source_id)
        self.added += len(new)
        self.split += len(originals)
        self.mentions += sum(parts for _, parts, _ in originals)
        self.rejects.extend(rejects)

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, int | None, int | None]]:
        """note_id -> (text_hash, source_id, line) for the ids already stored (as a whole
        note, or as the original of a note stored as its mentions)."""
        ids = list(dict.fromkeys(ids))
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.store.db.execute(
                f"select note_id, text_hash, source_id, line from notes where note_id in ({marks}) "
                "union all select note_id, text_hash, source_id, line from note_originals "
                f"where note_id in ({marks})",
                chunk + chunk,
            ).fetchall()
            found.update((r[0], tuple(r[1:])) for r in rows)
        return found

    def finish(self) -> ImportSummary:
        rejected = len(self.rejects)
        self.store.finish_source(self.source_id, self.added, self.present, rejected)
        return ImportSummary(
            self.name,
            self.fmt,
            self.added,
            self.present,
            rejected,
            tuple(self.rejects),
            masked=self.masked,
            split=self.split,
            mentions=self.mentions,
        )


def as_mentions(notes: list[Note]) -> tuple[list[Note], list[tuple[Note, int, int]]]:
    """The rows to store for new notes: a long note that raises several things becomes
    its mentions (ingest.mentions), the others stay whole. Also (original, mentions,
    units dropped) for each note that was split, for ``note_originals``."""
    rows: list[Note] = []
    originals: list[tuple[Note, int, int]] = []
    for note in notes:
        split = mention_notes(note)
        if split is None:
            rows.append(note)
            continue
        parts, dropped = split
        rows.extend(parts)
        originals.append((note, len(parts), dropped))
    return rows, originals


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
    keep_pii: bool = False,
) -> Note:
    """Store one note typed by a person; the date defaults to today.

    Emails and phone numbers in the text are masked unless ``keep_pii``; the returned
    Note's ``masked`` says how many were.

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
    masked, found = mask_contacts(body)
    note = Note(
        note_id=note_id(normal, masked, iso, deal, account),
        text=body if keep_pii else masked,
        kind=normal,
        date=iso,
        deal=deal,
        account=account,
        amount=value,
        stage=stage,
        outcome=normalize_outcome(None, stage),
        rep=rep,
        competitor=competitor,
        masked=0 if keep_pii else found,
    )
    with store.db.atomic():
        if store.existing_notes([note.note_id]):
            raise IngestError(f"this note is already in the workspace (id {note.note_id})")
        source_id = store.add_source("(typed)", "typed", "typed", None)
        rows, originals = as_mentions([note])
        store.insert_notes(rows, source_id)
        store.add_originals(originals, source_id)
        store.finish_source(source_id, 1, 0, 0)
    return note
