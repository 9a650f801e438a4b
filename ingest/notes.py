"""Importing notes: CSV / JSON / JSONL exports, text and Markdown files, typed notes."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gaplens.models import NOTE_FORMATS, ImportSummary, Note, Reject
from gaplens.store import Store, text_hash
from ingest import crm, gong
from ingest.columns import FIELDS, ColumnMap, check_mapping, resolve_columns
from ingest.crm import check_stages
from ingest.decode import decode_bytes, has_undecodable, readable, stream_encoding, stream_lines
from ingest.errors import IngestError
from ingest.files import (
    as_paths,
    binary_kind,
    cannot_read,
    head,
    missing,
    not_read,
    sha256,
    sha256_file,
    skipped,
    sniff_text_format,
    unsupported,
    walk,
)
from ingest.files import label as label_of
from ingest.mentions import mention_notes
from ingest.privacy import mask_contacts
from ingest.tables import (
    DELIMITERS,
    UNDECODABLE,
    CsvStream,
    Table,
    read_csv,
    read_json,
    read_jsonl,
)
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


class RowError(ValueError):
    """A row that cannot become a note; the message is the reject reason."""


# Readers --format can force; salesforce and hubspot are CSV read with their profile.
READERS = NOTE_FORMATS
TABLE_READERS = {"csv": read_csv, "json": read_json, "jsonl": read_jsonl}
TEXT_MAPPING = (
    ("text", "the file's text: one note, or one per entry of a running log (ingest.textnotes)"),
    ("id", "the file name (with the entry's place in a log)"),
    ("date", "a leading YYYY-MM-DD in the file name, or the entry's dated heading"),
)


@dataclass(frozen=True)
class ReadOptions:
    """How every file of one import is read: checked once (``read_options``)."""

    kind: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    fmt: str | None = None
    keep_pii: bool = False


def read_options(
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    stages: dict[str, str] | Sequence[str] | None = None,
    fmt: str | None = None,
    keep_pii: bool = False,
) -> ReadOptions:
    """The options of import_notes / preview_notes, checked; raises IngestError naming the
    option that is wrong."""
    forced = None
    if kind is not None:
        forced = normalize_kind(kind)
        if forced is None:
            raise IngestError(f"--kind {kind!r}: unknown kind (kinds: {KINDS_TEXT})")
    if fmt is not None and fmt not in READERS:
        raise IngestError(f"--format {fmt!r}: unknown format (formats: {', '.join(READERS)})")
    return ReadOptions(forced, check_mapping(mapping), check_stages(stages), fmt, keep_pii)


@dataclass
class FileRead:
    """One file read and turned into notes and rejects; nothing written yet.

    ``state``: notes (ready to write), error (the file cannot be used: ``error`` says
    why), skipped (a file in a folder that is not a known type), details (Gong call
    details: no notes of its own) or stream (a large CSV, converted batch by batch as
    it is written).
    """

    path: Path
    name: str
    format: str
    state: str = "notes"
    digest: str | None = None
    notes: list[tuple[Note, str]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    header: str | None = None  # a CSV file's header line: its rejects keep it
    about: list[str] = field(default_factory=list)  # "report footer skipped" ...
    mapping: tuple[tuple[str, str], ...] = ()  # (field, where it comes from)
    unused: tuple[str, ...] = ()  # the columns no field reads
    error: str | None = None
    stream: tuple[str, str] | None = None  # (encoding, errors) of a streamed CSV

    @property
    def shown_format(self) -> str:
        """The format and what else the summary says, as summaries and sources show it."""
        return "; ".join([self.format, *self.about])


def import_notes(
    store: Store,
    paths: Sequence[str | Path],
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    on_progress: Progress | None = None,
    keep_pii: bool = False,
    stages: dict[str, str] | Sequence[str] | None = None,
    fmt: str | None = None,
) -> list[ImportSummary]:
    """Import note files and folders of them (recursively, sorted); one ImportSummary per file.

    Emails and phone numbers in the note text are masked unless ``keep_pii`` (see
    ingest.privacy); a summary's ``masked`` counts the notes that had some.

    ``kind`` forces every note's kind; ``mapping`` ({field: column}) overrides the column
    guesses; ``stages`` ({stage value: won/lost/open}, or ``--stage`` pairs) says what a
    stage value means (ingest.values.normalize_outcome); ``fmt`` (one of READERS) forces
    one reader for every file instead of telling each file's format from its content.
    Raises IngestError only for a bad ``kind``, ``mapping``, ``stages`` or ``fmt``. A file
    that cannot be used (missing, no text column, a mapped column it lacks, invalid JSON,
    a forced format that does not fit) is reported in its summary's ``error``; a row that
    cannot be used, in its ``rejects``. A file in a folder that is not a known type gets a
    "skipped" summary with one reject saying why; hidden files are passed over. Each file
    is written in one transaction.

    CRM exports (Salesforce reports, HubSpot deals) are recognised by their header
    (ingest.crm), Gong transcripts and call details by their content (ingest.gong); what
    a summary's format says after ';' is what was skipped and why.
    """
    opts = read_options(kind, mapping, stages, fmt, keep_pii)
    return [
        _write_read(store, f, opts, on_progress)
        for f in read_files(paths, opts, store.path, on_progress)
    ]


def _write_read(
    store: Store, read: FileRead, opts: ReadOptions, on_progress: Progress | None
) -> ImportSummary:
    if read.state == "skipped":
        return skipped(store, read.path, FORMATS)
    if read.state == "error":
        return ImportSummary(read.name, read.format, error=read.error)
    if read.state == "details":
        return ImportSummary(read.name, read.shown_format)
    if read.state == "stream":
        try:
            return _import_csv_stream(store, read, opts, on_progress)
        except (IngestError, OSError) as exc:
            return ImportSummary(read.name, read.format, error=read_error(read.name, exc, opts))
    return write_notes(
        store, read.name, read.shown_format, read.digest, read.notes, read.rejects, read.header
    )


def read_files(
    paths: Sequence[str | Path] | str | Path,
    opts: ReadOptions,
    store_path: Path | None = None,
    on_progress: Progress | None = None,
) -> Iterator[FileRead]:
    """Each file the paths name (folders walked, sorted, the workspace left out), read.

    Gong files are paired first: every call-details file given is read, so that each
    transcripts file can tell its prospects from its reps whichever order they come in.
    """
    plan: list[tuple[Path, bool | None]] = []  # (file, known type?), None: missing
    for path in as_paths(paths):
        if path.is_dir():
            plan.extend((f, f.suffix.lower() in FORMATS) for f in walk(path, store_path))
        elif path.is_file():
            plan.append((path, True))
        else:
            plan.append((path, None))
    docs = _gong_documents([p for p, known in plan if known], opts)
    calls: dict[str, gong.Call] = {}
    details_from: list[str] = []
    broken: dict[Path, str] = {}
    for path, doc in docs.items():
        if doc[0] == gong.CALLS:
            try:
                calls.update(gong.read_calls(doc[1], label_of(path)))
                details_from.append(label_of(path))
            except IngestError as exc:
                broken[path] = str(exc)
    transcripts = [label_of(p) for p, doc in docs.items() if doc[0] == gong.TRANSCRIPTS]
    for path, known in plan:
        name = label_of(path)
        if known is None:
            fmt = FORMATS.get(path.suffix.lower(), "unknown")
            yield FileRead(path, name, fmt, "error", error=missing(path, fmt).error)
        elif not known:
            yield FileRead(
                path, name, "skipped", "skipped", error="skipped: " + unsupported(path, FORMATS)
            )
        elif path in broken:
            yield FileRead(path, name, _gong_format(gong.CALLS, path), "error", error=broken[path])
        elif path in docs:
            yield _gong_read(path, docs[path], calls, details_from, transcripts, opts, on_progress)
        elif opts.fmt == "gong":
            yield FileRead(
                path,
                name,
                "gong",
                "error",
                error=f"{name}: --format gong does not fit: {gong.NOT_GONG}",
            )
        else:
            yield read_file(path, opts, on_progress)


def _gong_documents(files: list[Path], opts: ReadOptions) -> dict[Path, tuple[str, Any, str]]:
    """(kind, parsed JSON, sha256) of each file that is a Gong response, by its content.

    Without --format only JSON-looking .json/.jsonl/.csv files are opened; with
    ``--format gong`` every file is (and one that is not Gong gets an error later).
    """
    if opts.fmt not in (None, "gong"):
        return {}
    docs: dict[Path, tuple[str, Any, str]] = {}
    for path in files:
        try:
            first = head(path)
            if binary_kind(first) or (
                opts.fmt is None
                and (
                    FORMATS.get(path.suffix.lower()) not in TABLE_READERS or not gong.sniff(first)
                )
            ):
                continue
            data = path.read_bytes()
            kind, doc = gong.load(decode_bytes(data, label_of(path)).text)
        except (OSError, IngestError):
            continue  # read_file says what is wrong with it
        if kind is not None:
            docs[path] = (kind, doc, sha256(data))
    return docs


def _gong_format(kind: str, path: Path) -> str:
    """'gong transcripts (json)', and '(named csv)' after it when the extension lied."""
    named = _as_named("json", FORMATS.get(path.suffix.lower()) or "json")
    return f"{kind} (json)" + named.removeprefix("json")


def _gong_read(
    path: Path,
    doc: tuple[str, Any, str],
    calls: dict[str, gong.Call],
    details_from: list[str],
    transcripts: list[str],
    opts: ReadOptions,
    on_progress: Progress | None,
) -> FileRead:
    name, (kind, data, digest) = label_of(path), doc
    fmt = _gong_format(kind, path)
    if kind == gong.CALLS:
        if not transcripts:
            return FileRead(path, name, fmt, "error", error=gong.details_alone(name))
        used = f"call details for {', '.join(transcripts)}"
        return FileRead(path, name, fmt, "details", about=[used])
    if not details_from:
        return FileRead(path, name, fmt, "error", error=gong.missing_details(name))
    notes, rejects, about = gong.transcript_notes(
        data, name, calls, details_from, opts.keep_pii, opts.stages
    )
    if opts.kind:
        notes = [(replace(note, kind=opts.kind), raw) for note, raw in notes]
    if on_progress:
        on_progress(name, len(notes) + len(rejects), len(notes) + len(rejects))
    return FileRead(
        path,
        name,
        fmt,
        digest=digest,
        notes=notes,
        rejects=rejects,
        about=about,
        mapping=gong.MAPPING,
    )


def read_file(path: Path, opts: ReadOptions, on_progress: Progress | None = None) -> FileRead:
    """One file (not Gong) read and converted, nothing written: its notes, its rejects and
    how its columns were read. A CSV over STREAM_OVER comes back as state 'stream'."""
    name = label_of(path)
    named = FORMATS.get(path.suffix.lower())
    forced = opts.fmt
    if forced is None and named is None:
        return FileRead(path, name, "unknown", "error", error=not_read(path, FORMATS).error)
    fmt = "csv" if forced in crm.PROFILES else forced or named
    shown = fmt
    try:
        first = head(path)
        if what := binary_kind(first):
            raise IngestError(f"{name}: not a {fmt} file: the content is {what}")
        if forced is None:
            if fmt in TABLE_READERS:
                fmt = sniff_text_format(first, fmt)
        else:
            named = fmt  # a forced reader: the extension says nothing
            if forced in crm.PROFILES and sniff_text_format(first, "csv") != "csv":
                raise IngestError(f"{name}: the file is JSON, not a CSV export")
        shown = fmt
        if (
            fmt == "csv"
            and path.stat().st_size > STREAM_OVER
            and (how := stream_encoding(path)) is not None
        ):
            return FileRead(path, name, _as_named("csv", named), "stream", stream=how)
        data = path.read_bytes()
        text = decode_bytes(data, name).text
        if fmt in ("text", "markdown"):
            notes, rejects = _text_note(path, name, text, opts.kind, opts.keep_pii)
            if on_progress:
                on_progress(name, 1, 1)
            return FileRead(
                path,
                name,
                fmt,
                digest=sha256(data),
                notes=notes,
                rejects=rejects,
                mapping=TEXT_MAPPING,
            )
        table = TABLE_READERS[fmt](text, name)
        shown = _as_named(table.format, named)
        if not table.records:
            raise IngestError(_no_rows(name, table))
        profile = _profile(table.format, table.columns, forced, name)
        shown = _labelled(shown, profile)
        columns = _resolve(table, name, opts.mapping, profile)
        header = csv_header(table)
        skipped_rows: Counter[str] = Counter()
        notes, rejects = table_notes(table, name, columns, opts, header, skipped_rows, on_progress)
        mapping, unused = describe_columns(*columns, opts)
    except (IngestError, OSError) as exc:
        return FileRead(path, name, shown, "error", error=read_error(name, exc, opts))
    return FileRead(
        path,
        name,
        shown,
        digest=sha256(data),
        notes=notes,
        rejects=rejects,
        header=header,
        about=crm.skipped_text(skipped_rows),
        mapping=mapping,
        unused=unused,
    )


def read_error(name: str, exc: IngestError | OSError, opts: ReadOptions) -> str:
    """Why a file cannot be used; under --format, saying that the forced reader did not fit."""
    if isinstance(exc, OSError):
        return cannot_read(name, exc)
    message = str(exc)
    if opts.fmt is None or "--format" in message:
        return message
    return f"{name}: --format {opts.fmt} does not fit: {message.removeprefix(f'{name}: ')}"


def _profile(
    table_format: str, columns: Sequence[str], forced: str | None, name: str
) -> crm.Profile | None:
    """The CRM profile a table is read with: the forced one (if its header fits), else
    the one its header shows (CSV only), else none."""
    if forced in crm.PROFILES:
        profile = crm.PROFILES[forced]
        if why := crm.misfit(profile, columns):
            raise IngestError(f"{name}: {why}")
        return profile
    if forced is None and table_format == "csv":
        return crm.detect(columns)
    return None


def _labelled(fmt: str, profile: crm.Profile | None) -> str:
    """'csv' -> 'salesforce report (csv)'; 'csv (named json)' -> '... (csv) (named json)'."""
    if profile is None:
        return fmt
    base, _, rest = fmt.partition(" ")
    return f"{profile.label} ({base})" + (f" {rest}" if rest else "")


def _resolve(
    table: Table | CsvStream, name: str, mapping: dict[str, str], profile: crm.Profile | None
) -> tuple[ColumnMap, crm.CrmColumns | None]:
    if profile is None:
        return resolve_columns(table.columns, mapping, name, table.column_values), None
    return crm.resolve_table(table.columns, mapping, name, table.column_values, profile)


def describe_columns(
    cols: ColumnMap, crm_cols: crm.CrmColumns | None, opts: ReadOptions
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """((field, where it comes from) ..., columns no field reads), for a dry run."""
    lines: list[tuple[str, str]] = []
    chain = crm_cols is not None and crm_cols.chain
    for name in FIELDS:
        if name == "text" and chain:
            lines.append(("text", crm_cols.describe()))
        elif name in cols.index:
            lines.append((name, cols.name(name)))
        elif name == "kind":
            if opts.kind:
                lines.append(("kind", f"{opts.kind} (--kind)"))
            elif not chain:
                lines.append(("kind", f"{cols.inferred_kind} (from the text column's name)"))
        elif name == "outcome" and "stage" in cols.index:
            how = "; --stage values first" if opts.stages else ""
            lines.append(("outcome", f"from {cols.name('stage')}{how}"))
    used = set(cols.index.values()) | (crm_cols.used() if chain else set())
    unused = tuple(c for i, c in enumerate(cols.columns) if i not in used)
    return tuple(lines), unused


def _as_named(fmt: str, named: str) -> str:
    """The format read, saying so when the file's extension claimed another."""
    return fmt if fmt == named or {fmt, named} == {"json", "jsonl"} else f"{fmt} (named {named})"


def _no_rows(name: str, table: Table | CsvStream) -> str:
    if table.format == "csv":
        columns = ", ".join(table.columns)
        return f"{name}: no rows: the file has a header ({columns}) and nothing below it"
    return f"{name}: no rows: the {table.format.upper()} holds no notes"


@dataclass
class CsvBatches:
    """A large CSV read as a stream: how it is read, and its notes batch by batch."""

    format: str
    mapping: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    batches: Iterator[tuple[list[tuple[Note, str]], list[Reject], str | None]]
    skipped: Counter[str]


def csv_batches(read: FileRead, opts: ReadOptions, on_progress: Progress | None) -> CsvBatches:
    """The notes of a streamed CSV (``read.state == 'stream'``), a batch at a time, in
    bounded memory: the same notes, rejects and messages as the whole-file path.

    Passes: a leading sample finds the columns; a scan counts the rows (for progress) and
    finds how the date column writes its days; the last pass converts, batch by batch.
    """
    path, name = read.path, read.name
    table = CsvStream(lambda: stream_lines(path, *read.stream, name), name)
    if not table.sample:
        raise IngestError(_no_rows(name, table))
    profile = _profile("csv", table.columns, opts.fmt, name)
    columns = _resolve(table, name, opts.mapping, profile)
    total = table.scan(columns[0].index.get("date"), _day_order)
    skipped_rows: Counter[str] = Counter()

    def batches():
        done = 0
        for batch in table.batches(BATCH):
            n = len(batch.records)

            def progress(file: str, d: int, t: int | None, offset: int = done) -> None:
                if on_progress and (d or not offset):  # one (0, total) call for the file
                    on_progress(file, offset + d, total)

            header = csv_header(batch)
            notes, rejects = table_notes(batch, name, columns, opts, header, skipped_rows, progress)
            yield notes, rejects, header
            done += n

    mapping, unused = describe_columns(*columns, opts)
    return CsvBatches(_labelled(read.format, profile), mapping, unused, batches(), skipped_rows)


def _import_csv_stream(
    store: Store, read: FileRead, opts: ReadOptions, on_progress: Progress | None
) -> ImportSummary:
    """A large CSV written batch by batch as it is read (csv_batches), in one transaction.

    The summary's format says what was skipped; the sources row, written before the
    first batch, keeps the plain format."""
    stream = csv_batches(read, opts, on_progress)
    with store.db.atomic():
        writer = _FileWriter(store, read.name, stream.format, sha256_file(read.path))
        for notes, rejects, header in stream.batches:
            writer.add(notes, rejects, header)
        summary = writer.finish()
    about = crm.skipped_text(stream.skipped)
    return replace(summary, format="; ".join([summary.format, *about])) if about else summary


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
    columns: tuple[ColumnMap, crm.CrmColumns | None],
    opts: ReadOptions,
    header: str | None,
    skipped: Counter[str],
    on_progress: Progress | None = None,
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """(note, raw row) for each usable row, and a Reject for each row that is not.

    ``columns``: how the table's columns are read (``_resolve``), with the CRM export
    it is, if any (ingest.crm). Emails and phone numbers in the text are masked unless
    ``opts.keep_pii``; a rejected CSV row keeps ``header``, the table's header line
    (``csv_header``), so it can be written back.

    Rows a profile passes over (a report footer, won deals, open deals with nothing
    written) are neither notes nor rejects: they are counted in ``skipped`` (a footer
    that began in an earlier batch goes on in this one).
    """
    cols, crm_cols = columns
    profile = crm_cols.profile if crm_cols is not None else None
    if crm_cols is not None and not crm_cols.chain:
        crm_cols = None
    dayfirst = "date" in cols.index and is_dayfirst(table.column_values(cols.index["date"], 10**9))
    footer = profile is not None and profile.footer
    short = profile is crm.SALESFORCE
    notes: list[tuple[Note, str]] = []
    rejects: list[Reject] = []
    total = len(table.records)
    if on_progress:
        on_progress(name, 0, total)
    for done, rec in enumerate(table.records, start=1):
        if footer and crm.footer_line(rec.values, rec.raw, bool(skipped[crm.FOOTER])):
            skipped[crm.FOOTER] += 1
        elif rec.problem is not None:
            rejects.append(Reject(name, rec.line, rec.problem, readable(rec.raw), header))
        else:
            try:
                note = _row_note(
                    rec.values,
                    rec.line,
                    cols,
                    opts.kind,
                    dayfirst,
                    opts.keep_pii,
                    opts.stages,
                    crm_cols,
                    short,
                )
                notes.append((note, rec.raw))
            except RowError as exc:
                rejects.append(Reject(name, rec.line, str(exc), readable(rec.raw), header))
            except crm.SkipRow as exc:
                skipped[str(exc)] += 1
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
    stages: dict[str, str] | None = None,
    crm_cols: crm.CrmColumns | None = None,
    short_ids: bool = False,
) -> Note:
    """One row as a Note; raises RowError (a reject) or crm.SkipRow (not a note).

    ``crm_cols``: a CRM export whose profile chooses the row's text and kind;
    ``short_ids``: Salesforce ids in the deal column shortened to 15 characters."""

    def cell(field: str) -> Any:
        i = cols.index.get(field)
        return values[i] if i is not None and i < len(values) else None

    def text(field: str) -> str | None:
        return as_text(cell(field))

    stage = text("stage")
    outcome = normalize_outcome(text("outcome"), stage, stages)
    row_kind = None
    if crm_cols is not None:
        try:
            body, row_kind = crm_cols.row_text(values, outcome)
        except crm.NoText as exc:
            raise RowError(str(exc)) from None
    else:
        body = text("text")
        if body is None:
            raise RowError(f"empty text in column '{cols.name('text')}'")
    if has_undecodable(body):
        raise RowError(UNDECODABLE)
    if kind is None:
        kind = row_kind or cols.inferred_kind
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
    if short_ids:
        deal = crm.short_id(deal)
    masked, found = mask_contacts(body)
    return Note(
        note_id=text("id") or note_id(kind, masked, date, deal, account),
        text=body if keep_pii else masked,
        kind=kind,
        date=date,
        deal=deal,
        account=account,
        amount=amount,
        stage=stage,
        outcome=outcome,
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


def csv_header(table: Table) -> str | None:
    """A CSV table's header line, written with the delimiter its rows use; None otherwise.

    Kept with each rejected row so ``gaplens rejects --export`` can write the rows back
    as a CSV the importer reads again. The delimiter is the one that splits a good row
    into the fields the reader found (else the one most used by the rejected rows).
    """
    if table.format != "csv":
        return None
    records = table.records[:50]
    delimiter = next(
        (
            d
            for rec in records
            if rec.values is not None
            for d in DELIMITERS
            if next(csv.reader(io.StringIO(rec.raw, newline=""), delimiter=d), None) == rec.values
        ),
        None,
    )
    if delimiter is None:
        sample = "".join(rec.raw.split("\n", 1)[0] for rec in records)
        delimiter = max(DELIMITERS, key=lambda d: (sample.count(d), d == ","))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(table.columns)
    return out.getvalue()


# -- text and Markdown files --------------------------------------------------------


def _text_note(
    path: Path, name: str, text: str, kind: str | None, keep_pii: bool = False
) -> tuple[list[tuple[Note, str]], list[Reject]]:
    """A text or Markdown file's notes: the whole file as one note (id = file stem, date
    from a leading YYYY-MM-DD in the name), or, for a running log of dated sections,
    bullets or paragraphs, one note per entry (ingest.textnotes says how a file is read
    and how entries get their ids, dates and lines).

    Emails and phone numbers in the text are masked unless ``keep_pii``. A section that
    cannot be used (a date that cannot be read, nothing under a dated heading) is a
    reject at its line; the file's other notes land."""
    from ingest.textnotes import note_key, read_text_notes

    read = read_text_notes(text, path.name)
    rejects = [Reject(name, p.line, p.reason, readable(p.raw)) for p in read.problems]
    notes: list[tuple[Note, str]] = []
    for entry in read.entries:
        if has_undecodable(entry.raw):
            rejects.append(Reject(name, entry.line, UNDECODABLE, readable(entry.raw)))
            continue
        masked, found = mask_contacts(entry.text)
        note = Note(
            note_id=note_key(path.stem, entry),
            text=entry.text if keep_pii else masked,
            kind=kind or entry.kind or "call-note",
            date=entry.date,
            deal=entry.deal,
            account=entry.account,
            stage=entry.stage,
            outcome=normalize_outcome(None, entry.stage),
            rep=entry.rep,
            competitor=entry.competitor,
            line=entry.line,
            masked=0 if keep_pii else found,
        )
        notes.append((note, entry.raw))
    rejects.sort(key=lambda r: (r.line is None, r.line or 0))
    return notes, rejects


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
        """note_id -> (text_hash, source_id, line) for the ids already stored."""
        return self.store.stored_notes(ids)

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
