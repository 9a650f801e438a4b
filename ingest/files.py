"""Expanding the paths a user gives into the files to read."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from gaplens.models import ImportSummary, Reject
from gaplens.store import Store
from ingest.decode import readable

SPREADSHEETS = {".xlsx", ".xls", ".xlsm", ".ods", ".numbers"}


def label(path: Path) -> str:
    """How a file is named in summaries, rejects and the sources table."""
    return readable(os.path.normpath(str(path)))  # file names need not be valid UTF-8


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_hidden(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return any(p.startswith((".", "~$")) for p in parts)


def walk(folder: Path, store_path: Path | None = None) -> Iterator[Path]:
    """Every file under folder, recursively, in sorted order.

    Hidden files and folders are left out, and so is the workspace database itself
    (with its -wal and -shm files) when it sits in the folder being imported.
    """
    own = set()
    if store_path is not None and str(store_path) != ":memory:":
        base = Path(store_path).resolve()
        own = {base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")}
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        if path.is_file() and not is_hidden(path, folder) and path.resolve() not in own:
            yield path


def as_paths(paths: Sequence[str | os.PathLike] | str | os.PathLike) -> list[Path]:
    """The paths argument as a list, also when a single path was passed."""
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def unsupported(path: Path, supported: dict[str, str]) -> str:
    """Why a file is not read, in words."""
    ext = path.suffix.lower()
    if ext in SPREADSHEETS:
        return "spreadsheets are not read directly; save it as CSV"
    what = f"'{ext}' files" if ext else "files without an extension"
    return f"{what} are not read (reads {', '.join(sorted(supported))})"


def skipped(store: Store, path: Path, supported: dict[str, str]) -> ImportSummary:
    """The summary of a file met in a folder and left alone: one reject, no error.

    Not an error (the rest of the folder imported fine), but the person should know,
    so the reason is kept with the other rejects.
    """
    reject = Reject(label(path), None, "skipped: " + unsupported(path, supported))
    store.add_rejects([reject], None)
    return ImportSummary(label(path), "skipped", rejected=1, rejects=(reject,))


def not_read(path: Path, supported: dict[str, str]) -> ImportSummary:
    """The summary of a file named on its own that cannot be read: an error."""
    return ImportSummary(
        label(path), "unknown", error=f"{label(path)}: {unsupported(path, supported)}"
    )


def missing(path: Path, fmt: str) -> ImportSummary:
    return ImportSummary(label(path), fmt, error=f"{label(path)}: no such file or folder")
