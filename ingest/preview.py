"""What an import would do, without doing it: ``gaplens ingest notes --dry-run``.

The files are read and converted exactly as ``import_notes`` reads them (the same
``read_files``), and nothing is written: no workspace is opened at all. Each file
gives a ``NotesPreview``: the format it was read as, where each field comes from, the
first notes, and the rows that would be rejected. Id clashes with notes already in a
workspace are found only when writing, so a preview does not count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gaplens.models import Note, Reject
from ingest import crm
from ingest.errors import IngestError
from ingest.notes import (
    FileRead,
    Progress,
    ReadOptions,
    csv_batches,
    read_error,
    read_files,
    read_options,
)


@dataclass(frozen=True)
class NotesPreview:
    """One file as an import would read it.

    ``mapping``: (field, the column or part of the file it comes from), in field order;
    ``unused``: the columns no field reads; ``notes``: the first notes (``total`` in
    all); ``rejects``: the first rows that would be rejected (``rejected`` in all);
    ``about``: what else the import would say (a report footer skipped, won deals
    skipped ...); ``error``: why the file would not be imported at all.
    """

    file: str
    format: str
    mapping: tuple[tuple[str, str], ...] = ()
    unused: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    total: int = 0
    rejects: tuple[Reject, ...] = ()
    rejected: int = 0
    about: tuple[str, ...] = ()
    error: str | None = None


def preview_notes(
    paths: Sequence[str | Path] | str | Path,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    stages: dict[str, str] | Sequence[str] | None = None,
    fmt: str | None = None,
    keep_pii: bool = False,
    limit: int = 5,
    store_path: str | Path | None = None,
    on_progress: Progress | None = None,
) -> list[NotesPreview]:
    """Read the files as ``import_notes`` would, with the same options; write nothing.

    ``limit``: how many notes and rejects each preview keeps. ``store_path``: the
    workspace file, left out when a folder holding it is read (it is not opened).
    Raises IngestError only for a bad option, as import_notes does.
    """
    opts = read_options(kind, mapping, stages, fmt, keep_pii)
    where = Path(store_path) if store_path is not None else None
    reads = read_files(paths, opts, where, on_progress)
    return [_preview(read, opts, limit, on_progress) for read in reads]


def _preview(
    read: FileRead, opts: ReadOptions, limit: int, on_progress: Progress | None
) -> NotesPreview:
    if read.state == "skipped":
        reject = Reject(read.name, None, read.error or "skipped")
        return NotesPreview(read.name, "skipped", rejects=(reject,), rejected=1)
    if read.state == "error":
        return NotesPreview(read.name, read.format, error=read.error)
    if read.state == "stream":
        return _preview_stream(read, opts, limit, on_progress)
    return NotesPreview(
        read.name,
        read.format,
        read.mapping,
        read.unused,
        tuple(note for note, _ in read.notes[:limit]),
        len(read.notes),
        tuple(read.rejects[:limit]),
        len(read.rejects),
        tuple(read.about),
    )


def _preview_stream(
    read: FileRead, opts: ReadOptions, limit: int, on_progress: Progress | None
) -> NotesPreview:
    """A large CSV previewed batch by batch: the counts are whole, the memory bounded."""
    try:
        stream = csv_batches(read, opts, on_progress)
        notes: list[Note] = []
        rejects: list[Reject] = []
        total = rejected = 0
        for batch_notes, batch_rejects, _ in stream.batches:
            notes.extend(n for n, _ in batch_notes[: max(0, limit - len(notes))])
            rejects.extend(batch_rejects[: max(0, limit - len(rejects))])
            total += len(batch_notes)
            rejected += len(batch_rejects)
    except (IngestError, OSError) as exc:
        return NotesPreview(read.name, read.format, error=read_error(read.name, exc, opts))
    return NotesPreview(
        read.name,
        stream.format,
        stream.mapping,
        stream.unused,
        tuple(notes),
        total,
        tuple(rejects),
        rejected,
        tuple(crm.skipped_text(stream.skipped)),
    )
