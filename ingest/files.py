"""Expanding the paths a user gives into the files to read."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from gaplens.models import ImportSummary, Reject
from gaplens.store import Store
from ingest.decode import readable

SPREADSHEETS = {".xlsx", ".xls", ".xlsm", ".ods", ".numbers"}


def label(path: Path) -> str:
    """How a file is named in summaries, rejects and the sources table."""
    return readable(os.path.normpath(str(path)))  # file names need not be valid UTF-8


def cannot_read(name: str, exc: OSError) -> str:
    """The message for a file the system would not let us read."""
    return f"{name}: cannot read: {exc.strerror or exc}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def head(path: Path, size: int = 1 << 16) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


# What a file really is, by its first bytes, for files whose extension says text.
_MAGIC = (
    (b"%PDF-", "a PDF document", "copy its text out, or export the notes as CSV"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"GIF87a", "a GIF image", None),
    (b"GIF89a", "a GIF image", None),
    (b"\x1f\x8b", "a gzip archive", "unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it first"),
    (b"SQLite format 3\x00", "an SQLite database", None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls/.doc)", "save it as CSV"),
)


def binary_kind(data: bytes) -> str | None:
    """'a PDF document (...)' when the first bytes are a known binary format, else None."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"xl/" in data[:4096]:
            return "an Excel workbook (.xlsx, a ZIP archive); save it as CSV"
        if b"word/" in data[:4096]:
            return "a Word document (.docx, a ZIP archive); save it as text"
        return "a ZIP archive; unpack it first"
    for magic, what, hint in _MAGIC:
        if data.startswith(magic):
            return f"{what}; {hint}" if hint else what
    return None


def sniff_text_format(data: bytes, fmt: str) -> str:
    """What a table file really holds, by its first bytes: json (an array or objects) or csv.

    ``fmt`` (from the extension) stands unless the content clearly says otherwise.
    """
    text = data.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if re.match(r"\[\s*[{\]]|\{\s*(\"|})", text):
        return "jsonl" if fmt == "jsonl" else "json"
    if fmt in ("json", "jsonl") and text and text[0] not in "[{":
        first = text.split("\n", 1)[0]
        if any(d in first for d in ",;\t|"):
            return "csv"
    return fmt


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
