"""Importing content assets: a CSV inventory, and Markdown / text / HTML files.

An inventory row that names a file beside the CSV takes its body from that file, and
that file is then not imported again on its own (inventory rows win).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaplens.models import Asset, ImportSummary, Reject
from gaplens.store import Store
from ingest.columns import header_key
from ingest.decode import decode_bytes, has_undecodable, readable
from ingest.errors import IngestError
from ingest.files import as_paths, missing, not_read, sha256, skipped, walk
from ingest.files import label as label_of
from ingest.html import html_to_text
from ingest.passages import clean_inline, split_passages
from ingest.tables import Table, read_csv
from ingest.values import as_text, parse_date

Progress = Callable[[str, int, "int | None"], None]

DOCUMENTS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
}
INVENTORIES = {".csv": "inventory", ".tsv": "inventory"}
FORMATS = {**DOCUMENTS, **INVENTORIES}

ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "asset id", "content id"),
    "title": ("title", "name", "asset title", "asset name", "content title"),
    "url": ("url", "link", "page url", "web url"),
    "type": ("type", "content type", "format", "asset type"),
    "stage": ("stage", "funnel stage", "buyer stage", "funnel"),
    "body": ("body", "content", "text", "full text"),
    "summary": ("summary", "description", "abstract"),
    "updated": ("updated", "last updated", "modified", "last modified", "updated at", "date"),
    "file": ("file", "path", "file path", "filename", "file name"),
}
_KEYS = {f: [header_key(a) for a in aliases] for f, aliases in ASSET_ALIASES.items()}


@dataclass(frozen=True)
class _Document:
    title: str
    body: str  # Markdown-ish text the passage splitter reads
    meta: dict[str, str]


def import_assets(
    store: Store, paths: Sequence[str | Path], on_progress: Progress | None = None
) -> list[ImportSummary]:
    """Import content inventories (CSV), documents (.md/.txt/.html) and folders of them.

    One ImportSummary per file. Inventories are read first: a document an inventory row
    names (or one an earlier inventory import stored) is not imported again on its own.
    A file in a folder that is not a known type gets a "skipped" summary with one reject
    saying why; a missing path or an unusable file gets a summary with ``error``.
    """
    inventories: list[tuple[Path, Path]] = []  # (csv, folder the asset ids are relative to)
    documents: list[tuple[Path, Path]] = []
    summaries: list[ImportSummary] = []
    for path in as_paths(paths):
        if path.is_dir():
            for file in walk(path, store.path):
                kind = FORMATS.get(file.suffix.lower())
                if kind == "inventory":
                    inventories.append((file, path))
                elif kind:
                    documents.append((file, path))
                else:
                    summaries.append(skipped(store, file, FORMATS))
        elif path.is_file():
            kind = FORMATS.get(path.suffix.lower())
            if kind is None:
                summaries.append(not_read(path, FORMATS))
            else:
                (inventories if kind == "inventory" else documents).append((path, path.parent))
        else:
            summaries.append(missing(path, FORMATS.get(path.suffix.lower(), "unknown")))
    named: set[Path] = set()
    for csv_path, _root in inventories:
        summaries.append(_import_inventory(store, csv_path, named, on_progress))
    named |= _stored_elsewhere(store, documents)
    todo = [(f, root) for f, root in documents if f.resolve() not in named]
    seen: set[Path] = set()
    for done, (file, root) in enumerate(todo, start=1):
        if file.resolve() in seen:
            continue
        seen.add(file.resolve())
        summaries.append(_import_document(store, file, root))
        if on_progress:
            on_progress(label_of(file), done, len(todo))
    return summaries


# -- documents --------------------------------------------------------------------


def read_document(path: Path, data: bytes | None = None) -> _Document:
    """Title, body and front-matter fields of a .md / .txt / .html file."""
    name = label_of(path)
    text = decode_bytes(path.read_bytes() if data is None else data, name).text
    if has_undecodable(text):
        text = readable(text)  # a few damaged bytes in a long page: keep the page
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kind = DOCUMENTS.get(path.suffix.lower(), "text")
    if kind == "html":
        title, body = html_to_text(text)
        return _Document(title or path.stem, body, {})
    meta, body = _front_matter(text) if kind == "markdown" else ({}, text)
    title = meta.get("title", "")
    if not title and kind == "markdown":
        if m := re.search(r"^#\s+(.+?)\s*#*\s*$", body, flags=re.M):
            title = clean_inline(m.group(1))
    return _Document(title or path.stem, body.strip(), meta)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple 'key: value' YAML front matter (--- ... ---), keys mapped to asset fields."""
    m = re.match(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", text, flags=re.S)
    if not m:
        return {}, text
    meta: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        key, sep, value = line.partition(":")
        field = _field_of(key)
        value = value.strip().strip("'\"").strip()
        if sep and field and value:
            meta.setdefault(field, value)
    return meta, text[m.end() :]


def _field_of(key: str) -> str | None:
    k = header_key(key)
    return next((f for f, keys in _KEYS.items() if k in keys), None)


def _document_id(path: Path, root: Path) -> str:
    return "a-" + path.relative_to(root).as_posix()


def _stored_elsewhere(store: Store, documents: list[tuple[Path, Path]]) -> set[Path]:
    """Documents an earlier inventory import already stored under another asset id."""
    by_path: dict[Path, set[str]] = {}
    for asset_id, path in store.db.execute(
        "select asset_id, path from assets where path is not null"
    ):
        by_path.setdefault(Path(path).resolve(), set()).add(asset_id)
    return {
        file.resolve()
        for file, root in documents
        if by_path.get(file.resolve(), set()) - {_document_id(file, root)}
    }


def _import_document(store: Store, path: Path, root: Path) -> ImportSummary:
    name = label_of(path)
    fmt = DOCUMENTS.get(path.suffix.lower(), "text")
    try:
        data = path.read_bytes()
        doc = read_document(path, data)
    except IngestError as exc:
        return ImportSummary(name, fmt, error=str(exc))
    except OSError as exc:
        return ImportSummary(name, fmt, error=f"{name}: cannot read: {exc.strerror or exc}")
    if not doc.body.strip() and not doc.meta.get("summary"):
        return ImportSummary(name, fmt, error=f"{name}: the file has no text")
    asset = Asset(
        asset_id=doc.meta.get("id") or _document_id(path, root),
        title=doc.title,
        body=doc.body or doc.meta.get("summary", ""),
        url=doc.meta.get("url"),
        type=doc.meta.get("type"),
        stage=doc.meta.get("stage"),
        updated=_date_or_text(doc.meta.get("updated")),
        path=name,
    )
    with store.db.atomic():
        source_id = store.add_source(name, "assets", fmt, sha256(data))
        added = store.upsert_asset(asset, split_passages(asset.title, asset.body), source_id)
        store.finish_source(source_id, int(added), int(not added), 0)
    return ImportSummary(name, fmt, added=int(added), present=int(not added))


# -- inventories --------------------------------------------------------------------


def _import_inventory(
    store: Store, path: Path, named: set[Path], on_progress: Progress | None
) -> ImportSummary:
    name = label_of(path)
    try:
        data = path.read_bytes()
        table = read_csv(decode_bytes(data, name).text, name)
        cols = _inventory_columns(table, name)
    except IngestError as exc:
        return ImportSummary(name, "inventory", error=str(exc))
    except OSError as exc:
        return ImportSummary(name, "inventory", error=f"{name}: cannot read: {exc.strerror or exc}")
    rows: list[tuple[Asset, list[str]]] = []
    rejects: list[Reject] = []
    ids: dict[str, int | None] = {}
    total = len(table.records)
    for done, rec in enumerate(table.records, start=1):
        if on_progress and done % 500 == 0:
            on_progress(name, done, total)
        if rec.problem is not None:
            rejects.append(Reject(name, rec.line, rec.problem, readable(rec.raw)))
            continue
        try:
            asset, file = _inventory_asset(rec.values or [], cols, path)
            if asset.asset_id in ids:
                raise ValueError(
                    f"asset id '{asset.asset_id}' is already used on line "
                    f"{ids[asset.asset_id]}; give each asset its own id"
                )
        except ValueError as exc:
            rejects.append(Reject(name, rec.line, str(exc), readable(rec.raw)))
            continue
        ids[asset.asset_id] = rec.line
        if file is not None:
            named.add(file.resolve())
        rows.append((asset, split_passages(asset.title, asset.body)))
    if on_progress:
        on_progress(name, total, total)
    added = present = 0
    with store.db.atomic():
        source_id = store.add_source(name, "assets", "inventory", sha256(data))
        for asset, passages in rows:
            if store.upsert_asset(asset, passages, source_id):
                added += 1
            else:
                present += 1
        store.add_rejects(rejects, source_id)
        store.finish_source(source_id, added, present, len(rejects))
    return ImportSummary(name, "inventory", added, present, len(rejects), tuple(rejects))


def _inventory_columns(table: Table, name: str) -> dict[str, int]:
    keys = [header_key(c) for c in table.columns]
    cols: dict[str, int] = {}
    for field, aliases in _KEYS.items():
        for alias in aliases:
            if alias in keys:
                cols[field] = keys.index(alias)
                break
    if "title" not in cols and "file" not in cols:
        found = ", ".join(repr(c) for c in table.columns)
        raise IngestError(
            f"{name}: not a content inventory: no title or file column "
            f"(looked for title, name, file, path); columns found: {found}"
        )
    return cols


def _inventory_asset(
    values: list[Any], cols: dict[str, int], csv_path: Path
) -> tuple[Asset, Path | None]:
    def cell(field: str) -> str | None:
        i = cols.get(field)
        return as_text(values[i]) if i is not None and i < len(values) else None

    file_name = cell("file")
    file = doc = None
    if file_name:
        candidate = csv_path.parent / file_name
        if candidate.is_file() and candidate.suffix.lower() in DOCUMENTS:
            file = candidate
            try:
                doc = read_document(candidate)
            except (IngestError, OSError) as exc:
                raise ValueError(f"cannot read {file_name}: {exc}") from None
    title = cell("title") or (doc.title if doc else None)
    body = (doc.body if doc else None) or cell("body") or cell("summary") or ""
    if not title:
        raise ValueError("no title: the row has neither a title nor a readable file")
    asset_id = cell("id")
    if not asset_id:
        asset_id = "a-" + (Path(file_name).as_posix() if file_name else _slug(title))
    return Asset(
        asset_id=asset_id,
        title=title,
        body=body,
        url=cell("url"),
        type=cell("type"),
        stage=cell("stage"),
        updated=_date_or_text(cell("updated")),
        path=label_of(file) if file else None,
    ), file


def _date_or_text(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"
