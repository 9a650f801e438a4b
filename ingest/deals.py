"""Importing what the CRM says of each deal: an opportunities export.

Notes carry a deal id, and often its amount and stage, but not the deals that were
won, nor when a deal entered the stage it sits in. An opportunities export (a
Salesforce opportunity report, HubSpot deals, any CSV / JSON / JSONL table with one
row per deal) does; ``import_deals`` keeps it in the workspace's ``deals`` table,
one row per deal id, for the revenue a theme touches.

- Columns are recognised by their header (``DEAL_ALIASES``, compared as
  ingest.columns.header_key compares them); the file needs a deal id column and a
  stage or outcome column, else it is refused, naming the columns it has.
- The outcome is the outcome column's (Outcome, Won/Lost, Status) when it says won,
  lost or open, else what the stage says (ingest.values.normalize_outcome, with the
  ``--stage VALUE=OUTCOME`` pairs first); a row whose outcome nothing tells is a reject.
- A report without an id column (Salesforce shows none unless asked) keys its deals by
  their name, as ingest.notes keys the notes of such a report.
- When the deal entered its current stage comes from a "last stage change" column, or,
  in a HubSpot export, from the "date entered" column of the row's stage
  (``hs_date_entered_<stage id>``, or ``Date entered "<Stage>"``).
- A row without a deal id, with an amount or a date that cannot be read, or whose
  outcome is unknown is a reject naming the column and the value; every good row is
  kept. A deal met twice in one file with other facts is a reject (one row per deal);
  when more than a tenth of the rows are such repeats the file is a log of notes, not
  an export, and it is refused whole.
- Re-importing an export adds nothing; a newer one updates the deals it changed
  (``Store.upsert_deals``), in the fields it has columns for: an export without a
  Created Date column leaves the dates another export gave. Each file is written in
  one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gaplens.models import ImportSummary, Reject
from gaplens.store import Store
from ingest import crm
from ingest.columns import header_key
from ingest.crm import check_stages
from ingest.decode import decode_bytes, readable
from ingest.errors import IngestError
from ingest.files import (
    as_paths,
    binary_kind,
    cannot_read,
    head,
    missing,
    not_read,
    sha256,
    skipped,
    sniff_text_format,
    walk,
)
from ingest.files import label as label_of
from ingest.notes import FORMATS as NOTE_FORMATS
from ingest.notes import TABLE_READERS, Progress, csv_header
from ingest.tables import Table
from ingest.values import (
    OUTCOMES,
    as_text,
    is_dayfirst,
    normalize_outcome,
    parse_amount,
    parse_date,
)

# an opportunities export is a table: the notes importer's table formats, by extension
FORMATS = {ext: fmt for ext, fmt in NOTE_FORMATS.items() if fmt in TABLE_READERS}
PROGRESS_EVERY = 500

# Most specific first; each column serves one field, fields are resolved in this order.
DEAL_ALIASES: dict[str, tuple[str, ...]] = {
    "deal": (
        "opportunity id",
        "deal id",
        "record id",
        "hs_object_id",
        "opp id",
        "opportunity",
        "deal",
        "id",
    ),
    "name": ("opportunity name", "deal name", "dealname", "name"),
    "account": (
        "account name",
        "account",
        "associated company",
        "company name",
        "company",
        "customer name",
        "customer",
    ),
    "amount": (
        "amount",
        "deal amount",
        "opportunity amount",
        "amount in company currency",
        "deal value",
        "arr",
        "acv",
        "annual contract value",
        "total contract value",
        "tcv",
    ),
    "stage": ("stage", "stage name", "deal stage", "dealstage", "opportunity stage", "sales stage"),
    "outcome": ("outcome", "won/lost", "win/loss", "result", "status"),
    "created": (
        "created date",
        "create date",
        "createdate",
        "opportunity created date",
        "date created",
        "created on",
        "created at",
        "created",
    ),
    "close_date": ("close date", "closedate", "closed date", "expected close date"),
    "stage_since": (
        "last stage change date",
        "last stage change",
        "stage change date",
        "stage since",
        "date entered current stage",
        "hs_v2_date_entered_current_stage",
        "stage entered",
    ),
    "loss_reason": (
        "loss reason",
        "closed lost reason",
        "lost reason",
        "reason lost",
        "reason for loss",
        "closed lost reason details",
        "loss reason details",
    ),
    "competitor": ("primary competitor", "competitor", "main competitor", "competitors"),
}
FIELDS = tuple(DEAL_ALIASES)
_KEYS = {f: [header_key(a) for a in aliases] for f, aliases in DEAL_ALIASES.items()}
_DATES = ("created", "close_date", "stage_since")
# HubSpot: one column per stage, hs_date_entered_<stage id> or 'Date entered "<Stage>"'
_ENTERED = ("hs date entered ", "hs v2 date entered ", "date entered ")


class RowError(ValueError):
    """A row that cannot be a deal; the message is the reject reason."""


@dataclass(frozen=True)
class Deal:
    """What an opportunities export says of one deal; a row of the ``deals`` table."""

    deal: str
    name: str | None = None
    account: str | None = None
    amount: float | None = None
    stage: str | None = None
    outcome: str = "open"  # won | lost | open
    created: str | None = None  # ISO dates
    close_date: str | None = None
    stage_since: str | None = None
    loss_reason: str | None = None
    competitor: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class DealColumns:
    """Field -> column position in one export, and the per-stage 'date entered' columns."""

    columns: tuple[str, ...]
    index: dict[str, int]
    entered: dict[str, int] = field(default_factory=dict)  # stage key -> column

    def name(self, field: str) -> str:
        return self.columns[self.index[field]]

    def describe(self, stages: bool = False) -> tuple[tuple[str, str], ...]:
        """(field, where it comes from) for each field the file fills, for a dry run
        (``stages``: --stage values were given)."""
        out = []
        for f in FIELDS:
            if f in self.index:
                out.append((f, self.name(f)))
            elif f == "outcome" and "stage" in self.index:
                how = "; --stage values first" if stages else ""
                out.append((f, f"from {self.name('stage')}{how}"))
            elif f == "stage_since" and self.entered:
                out.append((f, "the row's stage's hs_date_entered_<stage> column"))
        return tuple(out)


def resolve_deal_columns(columns: Sequence[str], label: str) -> DealColumns:
    """Which column fills which deal field. Raises IngestError, naming the file and the
    columns it found, when the table is not an opportunities export: no deal id column,
    or neither a stage nor an outcome column."""
    keys = [header_key(c) for c in columns]
    index: dict[str, int] = {}
    for f in FIELDS:
        taken = set(index.values())
        found = next(
            (keys.index(a) for a in _KEYS[f] if a in keys and keys.index(a) not in taken), None
        )
        if found is not None:
            index[f] = found
    entered: dict[str, int] = {}
    for i, key in enumerate(keys):
        prefix = next((p for p in _ENTERED if key.startswith(p)), None)
        if prefix and not key.endswith("current stage"):
            entered.setdefault(key.removeprefix(prefix).replace(" ", ""), i)
    if "deal" not in index and "name" in index:
        index["deal"] = index["name"]  # a report without ids: notes name the deal so too
    listed = ", ".join(repr(c) for c in columns) or "none"
    if "deal" not in index:
        raise IngestError(
            f"{label}: not an opportunities export: no deal id column (looked for "
            f"Opportunity ID, Deal ID, Record ID, hs_object_id, Id, Opportunity Name ...); "
            f"columns found: {listed}"
        )
    if "stage" not in index and "outcome" not in index:
        raise IngestError(
            f"{label}: not an opportunities export: no Stage or Outcome column (looked for "
            f"Stage, Deal Stage, dealstage, Outcome, Won/Lost, Status ...); columns found: "
            f"{listed}"
        )
    return DealColumns(tuple(columns), index, entered)


# -- reading -----------------------------------------------------------------------------


@dataclass
class DealsRead:
    """One file read into deals and rejects; nothing written yet."""

    path: Path
    file: str
    format: str
    digest: str | None = None
    columns: DealColumns | None = None
    deals: list[Deal] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    repeated: int = 0  # rows that repeat a deal of this file with the same facts
    clashes: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    footer: bool = False  # a Salesforce report footer was skipped
    error: str | None = None


def read_deals(
    path: str | Path,
    stages: dict[str, str] | Sequence[str] | None = None,
    on_progress: Progress | None = None,
) -> DealsRead:
    """One opportunities export read into deals and rejects, writing nothing. A file that
    cannot be used comes back with ``error`` saying why."""
    return _read(Path(path), check_stages(stages), on_progress)


def _read(path: Path, stages: dict[str, str], on_progress: Progress | None) -> DealsRead:
    name = label_of(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        return DealsRead(path, name, "unknown", error=not_read(path, FORMATS).error)
    read = DealsRead(path, name, fmt)
    try:
        first = head(path)
        if what := binary_kind(first):
            raise IngestError(f"{name}: not a {fmt} file: the content is {what}")
        read.format = fmt = sniff_text_format(first, fmt)
        data = path.read_bytes()
        table = TABLE_READERS[fmt](decode_bytes(data, name).text, name)
        if not table.records:
            raise IngestError(f"{name}: no rows: the file holds no deals")
        profile = crm.detect(table.columns) if table.format == "csv" else None
        if profile is not None:
            read.format = f"{profile.label} ({table.format})"
        read.columns = resolve_deal_columns(table.columns, name)
    except IngestError as exc:
        read.error = str(exc)
        return read
    except OSError as exc:
        read.error = cannot_read(name, exc)
        return read
    read.digest = sha256(data)
    _convert(read, table, stages, profile, on_progress)
    return read


def _convert(
    read: DealsRead,
    table: Table,
    stages: dict[str, str],
    profile: crm.Profile | None,
    on_progress: Progress | None,
) -> None:
    cols = read.columns
    header = csv_header(table)
    dates = [v for f in _DATES if f in cols.index for v in table.column_values(cols.index[f])]
    dayfirst = is_dayfirst(dates)
    seen: dict[str, tuple[Deal, int | None]] = {}
    total = len(table.records)
    if on_progress:
        on_progress(read.file, 0, total)
    for done, rec in enumerate(table.records, start=1):
        if profile is crm.SALESFORCE and crm.footer_line(rec.values, rec.raw, read.footer):
            read.footer = True
        elif rec.problem is not None:
            read.rejects.append(Reject(read.file, rec.line, rec.problem, readable(rec.raw), header))
        else:
            try:
                deal = row_deal(rec.values, rec.line, cols, stages, dayfirst, profile)
                _keep(read, seen, deal)
            except RowError as exc:
                read.rejects.append(
                    Reject(read.file, rec.line, str(exc), readable(rec.raw), header)
                )
        if on_progress and (done % PROGRESS_EVERY == 0 or done == total):
            on_progress(read.file, done, total)
    if len(read.clashes) >= 3 and len(read.clashes) * 10 > total:
        deal, first, again = read.clashes[0]
        read.error = (
            f"{read.file}: not an opportunities export: {len(read.clashes)} of its {total} "
            f"rows repeat a deal id with other facts (deal '{deal}' on lines {first} and "
            f"{again}), where an export has one row per deal. A file of notes is imported "
            "with: gaplens ingest notes"
        )
        read.deals, read.rejects = [], []


def _keep(read: DealsRead, seen: dict[str, tuple[Deal, int | None]], deal: Deal) -> None:
    """Keep a deal, unless this file already had it: the same facts again count once,
    other facts are a reject (an opportunities export has one row per deal)."""
    if deal.deal not in seen:
        seen[deal.deal] = (deal, deal.line)
        read.deals.append(deal)
        return
    first, line = seen[deal.deal]
    if _facts(first) == _facts(deal):
        read.repeated += 1
        return
    read.clashes.append((deal.deal, line, deal.line))
    where = f"line {line}" if line is not None else "an earlier row"
    raise RowError(
        f"deal '{deal.deal}' is already on {where} of this file with other facts "
        "(an opportunities export has one row per deal)"
    )


def _facts(deal: Deal) -> dict[str, Any]:
    return {k: v for k, v in asdict(deal).items() if k != "line"}


def row_deal(
    values: list[Any],
    line: int | None,
    cols: DealColumns,
    stages: dict[str, str] | None = None,
    dayfirst: bool = False,
    profile: crm.Profile | None = None,
) -> Deal:
    """One row as a Deal; raises RowError, whose message is the reject reason."""

    def cell(f: str) -> Any:
        i = cols.index.get(f)
        return values[i] if i is not None and i < len(values) else None

    def text(f: str) -> str | None:
        return as_text(cell(f))

    deal = text("deal")
    if deal is None:
        raise RowError(f"no deal id in column '{cols.name('deal')}'")
    if profile is crm.SALESFORCE:
        deal = crm.short_id(deal)  # the 15-character id the notes of a report carry
    stage = text("stage")
    try:
        amount = parse_amount(cell("amount"))
    except ValueError:
        raise RowError(
            f"unparsable amount '{text('amount')}' in column '{cols.name('amount')}'"
        ) from None
    dates = {f: _date(cell(f), cols.name(f), dayfirst) for f in _DATES if f in cols.index}
    if "stage_since" not in dates and stage and cols.entered:
        i = cols.entered.get("".join(header_key(stage).split()))
        if i is not None and i < len(values):
            dates["stage_since"] = _date(values[i], cols.columns[i], dayfirst)
    return Deal(
        deal=deal,
        name=text("name"),
        account=text("account"),
        amount=amount,
        stage=stage,
        outcome=_outcome(text("outcome"), stage, stages, cols),
        created=dates.get("created"),
        close_date=dates.get("close_date"),
        stage_since=dates.get("stage_since"),
        loss_reason=text("loss_reason"),
        competitor=text("competitor"),
        line=line,
    )


def _date(value: Any, column: str, dayfirst: bool) -> str | None:
    try:
        return parse_date(value, dayfirst)
    except ValueError:
        raise RowError(f"unparsable date '{as_text(value)}' in column '{column}'") from None


def _outcome(
    given: str | None, stage: str | None, stages: dict[str, str] | None, cols: DealColumns
) -> str:
    """won / lost / open: the outcome column's word when it is one of them, else the
    stage's (a stage that names none is an open deal only when it is not closed)."""
    said = normalize_outcome(given, stage, stages)
    if said in OUTCOMES:
        return said
    from_stage = normalize_outcome(None, stage, stages) if stage else None
    if from_stage in OUTCOMES:
        return from_stage
    if given is not None:
        raise RowError(
            f"unknown outcome '{given}' in column '{cols.name('outcome')}' "
            "(expected won, lost or open)"
        )
    if stage is None:
        where = " or ".join(f"'{cols.name(f)}'" for f in ("stage", "outcome") if f in cols.index)
        raise RowError(f"no stage or outcome: {where} empty")
    raise RowError(
        f"stage '{stage}' in column '{cols.name('stage')}' says no outcome; tell it with "
        f"--stage '{stage}=won' (or lost, open)"
    )


# -- importing -----------------------------------------------------------------------------


def _files(paths: Sequence[str | Path] | str | Path, workspace: Path | None) -> list[Path]:
    """The files the paths name: folders walked (sorted, the workspace left out)."""
    files: list[Path] = []
    for path in as_paths(paths):
        files.extend(walk(path, workspace) if path.is_dir() else [path])
    return files


def import_deals(
    store: Store,
    paths: Sequence[str | Path] | str | Path,
    stages: dict[str, str] | Sequence[str] | None = None,
    on_progress: Progress | None = None,
) -> list[ImportSummary]:
    """Import opportunities exports (CSV, JSON, JSONL, or folders of them) into the
    workspace's deals; one ImportSummary per file.

    ``added`` counts the deals new to the workspace, ``present`` the others: unchanged,
    or updated with this export's facts (the summary's format says how many were). Rows
    that cannot be used are the summary's ``rejects`` (kept for ``gaplens rejects``). A
    file that cannot be used, or is not an opportunities export, gets an ``error`` and
    writes nothing. Raises IngestError only for bad ``stages``.
    """
    checked = check_stages(stages)
    summaries = []
    for path in _files(paths, store.path):
        if not path.exists():
            summaries.append(missing(path, FORMATS.get(path.suffix.lower(), "unknown")))
        elif path.suffix.lower() not in FORMATS and not _named(path, paths):
            summaries.append(skipped(store, path, FORMATS))
        else:
            summaries.append(write_deals(store, _read(path, checked, on_progress)))
    return summaries


def _named(path: Path, paths: Sequence[str | Path] | str | Path) -> bool:
    """Whether the user named this file (not found in a folder)."""
    return any(Path(p) == path for p in as_paths(paths))


def write_deals(store: Store, read: DealsRead) -> ImportSummary:
    """Store one file's deals and rejects in one transaction; its summary."""
    if read.error:
        return ImportSummary(read.file, read.format, error=read.error)
    filled = {"deal", "line", "outcome", *read.columns.index}
    if read.columns.entered:
        filled.add("stage_since")
    rows = [{k: v for k, v in asdict(d).items() if k in filled} for d in read.deals]
    with store.db.atomic():
        source_id = store.add_source(read.file, "deals", read.format, read.digest)
        added, updated = store.upsert_deals(rows, source_id)
        store.add_rejects(read.rejects, source_id)
        present = len(rows) - added + read.repeated
        store.finish_source(source_id, added, present, len(read.rejects))
    about = [read.format]
    if updated:
        about.append(f"{updated} updated with this export's facts")
    if read.footer:
        about.append("report footer skipped")
    return ImportSummary(
        read.file,
        "; ".join(about),
        added,
        present,
        len(read.rejects),
        tuple(read.rejects),
    )


# -- dry run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealsPreview:
    """What importing one file would do (nothing is written): where each field comes
    from, the first deals (``total`` in all) and the rows that would be rejected."""

    file: str
    format: str
    mapping: tuple[tuple[str, str], ...] = ()
    unused: tuple[str, ...] = ()
    deals: tuple[Deal, ...] = ()
    total: int = 0
    rejects: tuple[Reject, ...] = ()
    error: str | None = None


def preview_deals(
    paths: Sequence[str | Path] | str | Path,
    stages: dict[str, str] | Sequence[str] | None = None,
    workspace: str | Path | None = None,
    limit: int = 5,
) -> list[DealsPreview]:
    """What ``import_deals`` would read from these paths, file by file, writing nothing
    (``workspace``: the workspace file, left out of folders)."""
    checked = check_stages(stages)
    previews = []
    for path in _files(paths, Path(workspace) if workspace else None):
        if not path.exists():
            error = missing(path, "unknown").error
            previews.append(DealsPreview(label_of(path), "unknown", error=error))
            continue
        if path.suffix.lower() not in FORMATS and not _named(path, paths):
            continue  # a folder's other files: an import leaves them alone too
        read = _read(path, checked, None)
        if read.error:
            previews.append(DealsPreview(read.file, read.format, error=read.error))
            continue
        used = set(read.columns.index.values())
        unused = tuple(c for i, c in enumerate(read.columns.columns) if i not in used)
        previews.append(
            DealsPreview(
                read.file,
                read.format,
                read.columns.describe(bool(checked)),
                unused,
                tuple(read.deals[:limit]),
                len(read.deals),
                tuple(read.rejects),
            )
        )
    return previews
