"""Writing rejected rows back out as they were written, to be fixed and imported again.

The export's file type says which rows it takes: ``.csv`` (``.tsv``, ``.tab``) the rows
of CSV files, under their file's header line; ``.jsonl`` (``.ndjson``) the rows of JSON
and JSONL files, one object a line; ``.txt`` / ``.md`` the text notes, each as it was.
Only the rows the latest import of each file still rejected are written (a row fixed
in its file and imported again is not). Rows rejected for the file itself (an empty
text note, a bad date in its name, a skipped file) have nothing to write.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gaplens.store import Store
from ingest.errors import IngestError

FAMILIES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
}
_NAMES = {"csv": "CSV", "json": "JSON / JSONL", "text": "text / Markdown"}
_SUFFIX = {"csv": ".csv", "json": ".jsonl", "text": ".txt"}


@dataclass(frozen=True)
class Written:
    path: Path
    rows: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RejectExport:
    """What an export wrote, and the rejected rows it left out, with why."""

    written: tuple[Written, ...] = ()
    left: dict[str, int] = field(default_factory=dict)  # why -> rows

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.written)


def current_rejects(store: Store, source: str | None = None) -> list[dict]:
    """The rejected rows of the latest import of each file (of ``source`` only, when given),
    each with its file's ``format``, in file and line order."""
    rows = list(
        store.db.query(
            "select r.file, r.line, r.reason, r.raw, r.header, s.format from rejects r "
            "join sources s on s.id = r.source_id "
            "where r.source_id = (select max(id) from sources where path = r.file) "
            "order by r.file, r.line"
        )
    )
    if source is None:
        return rows
    files = matching_files(source, sorted({r["file"] for r in rows}))
    return [r for r in rows if r["file"] in files]


def matching_files(source: str, files: list[str]) -> set[str]:
    """The stored file names ``source`` means: the same path, else the same file name."""
    want = os.path.normpath(source)
    same = {f for f in files if f == source or os.path.normpath(f) == want}
    if not same:
        target = Path(source).resolve()
        same = {f for f in files if Path(f).resolve() == target}
    if not same:
        same = {f for f in files if Path(f).name == Path(source).name}
    if not same:
        known = ", ".join(files) if files else "none"
        raise IngestError(f"no rejected rows from '{source}' (files with rejected rows: {known})")
    return same


def export_rejects(
    store: Store, path: str | os.PathLike, source: str | None = None
) -> RejectExport:
    """Write the rejected rows of one kind of source (chosen by ``path``'s extension).

    CSV rows from files with different header lines go to one file per source, next to
    ``path`` and named after it and the source (``rejects-crm_lost.csv``). Raises
    IngestError for an extension it does not write or an unknown ``source``.
    """
    path = Path(path)
    family = FAMILIES.get(path.suffix.lower())
    if family is None:
        raise IngestError(
            f"--export {path}: write rejected rows to a .csv, .jsonl, .txt or .md file"
        )
    rows = current_rejects(store, source)
    left: dict[str, int] = defaultdict(int)
    chosen: list[dict] = []
    for r in rows:
        fam = _family(r["format"])
        if not r["raw"]:
            left["nothing to write: fix the file itself (see the reason)"] += 1
        elif fam != family:
            what = _NAMES.get(fam, fam)
            left[f"from {what} files: export them to a {_SUFFIX.get(fam, '')} file"] += 1
        elif fam == "csv" and not r["header"]:
            left["header unknown (rejected by an older gaplens): import the file again"] += 1
        else:
            chosen.append(r)
    groups = _groups(chosen, family)
    written = []
    if len(groups) == 1:
        ((_, group),) = groups.items()
        written.append(_write(path, group, family))
    else:
        taken: set[str] = set()
        for file, group in groups.items():
            written.append(_write(_beside(path, file, taken), group, family))
    return RejectExport(tuple(written), dict(left))


def _family(fmt: str | None) -> str:
    first = (fmt or "").split(" ")[0]
    return {"jsonl": "json", "markdown": "text"}.get(first, first)


def _groups(rows: list[dict], family: str) -> dict[str, list[dict]]:
    """Rows that can share one file: CSV rows with one header, JSON rows, one text note."""
    if not rows:
        return {}
    if (
        family == "json"
        or (family == "csv" and len({r["header"] for r in rows}) == 1)
        or (family == "text" and len(rows) == 1)
    ):
        return {"": rows}
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    return dict(by_file)


def _beside(path: Path, source: str, taken: set[str]) -> Path:
    stem = re.sub(r"[^\w.-]+", "_", Path(source).stem).strip("_") or "source"
    name, n = f"{path.stem}-{stem}{path.suffix}", 2
    while name in taken:
        name, n = f"{path.stem}-{stem}-{n}{path.suffix}", n + 1
    taken.add(name)
    return path.with_name(name)


def _write(path: Path, rows: list[dict], family: str) -> Written:
    if family == "csv":
        text = "\n".join([rows[0]["header"], *(r["raw"] for r in rows)]) + "\n"
    elif family == "json":
        text = "\n".join(r["raw"] for r in rows) + "\n"
    else:
        text = "\n\n".join(r["raw"] for r in rows)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise IngestError(f"cannot write {path}: {exc.strerror or exc}") from None
    sources = tuple(dict.fromkeys(r["file"] for r in rows))
    return Written(path, len(rows), sources)
