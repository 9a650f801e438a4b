"""Importing content assets: a CSV inventory; Markdown, text, HTML, PDF and Word files;
and sitemaps.

An inventory row that names a file beside the CSV takes its body from that file, and
that file is then not imported again on its own (inventory rows win). A sitemap's pages
become assets with a URL, a date and a title made from the URL (nothing is fetched);
a page whose URL an inventory row or a document already holds is not added twice.

What a file is, its content decides (``sniff_format``): a ``.txt`` that is an HTML page
is read as HTML; a ``.pdf`` or ``.docx`` that is not one is an error naming the file.
``preview_assets`` reads everything as an import would and writes nothing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gaplens.models import ASSET_FORMATS, Asset, ImportSummary, Reject
from gaplens.store import Store
from ingest.columns import header_key
from ingest.decode import decode_bytes, has_undecodable, readable
from ingest.documents import (
    Document,
    read_docx,
    read_pdf,
    read_sitemap,
    url_key,
    url_title,
    url_type,
)
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
    unsupported,
    walk,
)
from ingest.files import label as label_of
from ingest.html import read_html
from ingest.passages import clean_inline, split_passages
from ingest.tables import Table, read_csv
from ingest.values import as_text, parse_amount, parse_date

Progress = Callable[[str, int, "int | None"], None]
_T = TypeVar("_T")

# every format, as --format names them
DOCUMENTS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SITEMAPS = {".xml": "sitemap"}
INVENTORIES = {".csv": "inventory", ".tsv": "inventory"}
FORMATS = {**DOCUMENTS, **SITEMAPS, **INVENTORIES}
_BINARY = {"pdf": "a PDF document", "docx": "a Word document (.docx)"}
_A_FILE = {
    "markdown": "a Markdown file",
    "text": "a text file",
    "html": "an HTML file",
    "inventory": "a CSV content inventory",
    "sitemap": "a sitemap",
}
STUB = "url:"  # the id prefix of an asset known only from a sitemap entry

ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "asset id", "content id"),
    "title": ("title", "name", "asset title", "asset name", "content title"),
    "url": ("url", "link", "page url", "web url", "canonical url", "canonical", "permalink"),
    "type": ("type", "content type", "format", "asset type"),
    "stage": ("stage", "funnel stage", "buyer stage", "funnel", "journey stage"),
    "body": ("body", "content", "text", "full text"),
    "summary": ("summary", "description", "abstract", "excerpt", "meta description"),
    "updated": (
        "updated",
        "last updated",
        "modified",
        "last modified",
        "updated at",
        "last modified at",
        "date modified",
        "modified date",
        "lastmod",
        "date",
    ),
    "file": ("file", "path", "file path", "filename", "file name"),
}
_KEYS = {f: [header_key(a) for a in aliases] for f, aliases in ASSET_ALIASES.items()}

# usage columns, best first: pageviews > views > sessions > downloads (header words)
_USAGE = (
    re.compile(r"(total )?(page views|pageviews|screen page views)( total)?"),
    re.compile(r"unique (page views|pageviews)"),
    re.compile(r"(total )?views( total)?"),
    re.compile(r"unique views"),
    re.compile(r"(total |engaged )?sessions( total)?"),
    re.compile(r"(total |pdf |file |asset )?downloads( total)?"),
)
_NOT_USAGE = re.compile(r"\b(per|avg|average|rate|change|prev|previous|percent|pct|share)\b")


@dataclass(frozen=True)
class AssetPreview:
    """What importing one file would do, for a dry run (nothing is written)."""

    file: str
    format: str  # what the content is: inventory, markdown, text, html, pdf, docx, sitemap
    named: str | None = None  # the format the file's extension claimed, when it differs
    columns: tuple[tuple[str, str], ...] = ()  # an inventory's (field, column) pairs
    assets: tuple[Asset, ...] = ()  # the first assets it gives (up to the limit asked)
    total: int = 0  # how many assets it gives
    present: int = 0  # sitemap pages whose URL another asset already holds
    rejects: tuple[Reject, ...] = ()
    note: str | None = None  # why it gives nothing although it is fine (named by an inventory)
    error: str | None = None


@dataclass
class _Item:
    """One file to read, and how."""

    path: Path
    root: Path  # the folder document ids are relative to
    named: str  # the format its extension (or --format) gives
    forced: bool  # --format: the named format is not second-guessed
    direct: bool  # named by the user, not found in a folder
    fmt: str = ""  # the format its content gives (set by _plan)


@dataclass
class _Parsed:
    """One file read: the assets it gives, its rejects, or why it cannot be used."""

    file: str
    format: str
    named: str | None = None
    sha: str | None = None
    assets: list[Asset] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    columns: tuple[tuple[str, str], ...] = ()
    present: int = 0
    error: str | None = None
    skip: str | None = None  # a file in a folder that is left alone, with the reason

    @property
    def label(self) -> str:
        return self.format + (f" (named {self.named})" if self.named else "")


def import_assets(
    store: Store,
    paths: Sequence[str | Path],
    on_progress: Progress | None = None,
    fmt: str | None = None,
) -> list[ImportSummary]:
    """Import content inventories (CSV), documents (.md/.txt/.html/.pdf/.docx), sitemaps
    (.xml) and folders of them; ``fmt`` reads every file given as that one format.

    One ImportSummary per file. Inventories are read first: a document an inventory row
    names (or one an earlier inventory import stored) is not imported again on its own.
    Sitemaps come last: a page whose URL is already stored for another asset is counted
    as present. A file in a folder that is not a known type gets a "skipped" summary with
    one reject saying why; a missing path or an unusable file gets a summary with ``error``.
    """
    summaries: list[ImportSummary] = []
    items = _plan(
        paths,
        fmt,
        store.path,
        summaries.append,
        lambda p: summaries.append(skipped(store, p, FORMATS)),
    )
    inventories = [i for i in items if i.fmt == "inventory"]
    documents = [i for i in items if i.fmt not in ("inventory", "sitemap")]
    sitemaps = [i for i in items if i.fmt == "sitemap"]
    named: set[Path] = set()
    for item in inventories:
        parsed = _parse_inventory(item, named, on_progress)
        summaries.append(_write(store, parsed))
    named |= _stored_elsewhere(store.db, documents)
    todo = [i for i in documents + sitemaps if i.path.resolve() not in named]
    seen: set[Path] = set()
    known: dict[str, str] | None = None
    for done, item in enumerate(todo, start=1):
        if item.path.resolve() in seen:
            continue
        seen.add(item.path.resolve())
        if item.fmt == "sitemap":
            if known is None:  # after the inventories and documents are in
                known = _stored_urls(store.db)
            parsed = _parse_sitemap(item, known)
        else:
            parsed = _parse_document(item)
        summaries.append(_write(store, parsed))
        if on_progress:
            on_progress(label_of(item.path), done, len(todo))
    return summaries


def preview_assets(
    paths: Sequence[str | Path],
    fmt: str | None = None,
    workspace: str | Path | None = None,
    limit: int = 5,
) -> list[AssetPreview]:
    """What ``import_assets`` would do with these paths, file by file, writing nothing.

    ``workspace``: a workspace file to compare with, as the import would (documents an
    inventory already stored, pages whose URL an asset already holds). It is opened
    read-only, and left out of folders; one that does not exist is taken as empty.
    """
    workspace = Path(workspace) if workspace is not None else None
    db = None
    if workspace is not None and workspace.is_file():
        try:
            db = sqlite3.connect(f"{workspace.resolve().as_uri()}?mode=ro", uri=True)
            db.execute("select asset_id, url, path from assets limit 1")
        except sqlite3.Error as exc:
            raise IngestError(f"cannot read workspace '{workspace}': {exc}") from None
    try:
        return _preview(paths, fmt, workspace, db, limit)
    finally:
        if db is not None:
            db.close()


def _preview(
    paths: Sequence[str | Path],
    fmt: str | None,
    workspace: Path | None,
    db: sqlite3.Connection | None,
    limit: int,
) -> list[AssetPreview]:
    previews: list[AssetPreview] = []

    def problem(summary: ImportSummary) -> None:
        previews.append(AssetPreview(summary.file, summary.format, error=summary.error))

    def skip(path: Path) -> None:
        note = "skipped: " + unsupported(path, FORMATS)
        previews.append(AssetPreview(label_of(path), "skipped", note=note))

    items = _plan(paths, fmt, workspace, problem, skip)
    named: set[Path] = set()
    results = [_parse_inventory(i, named) for i in items if i.fmt == "inventory"]
    if db is not None:
        named |= _stored_elsewhere(db, items)
    known = _stored_urls(db)
    for parsed in results:
        _remember(known, parsed.assets)
    rest = sorted((i for i in items if i.fmt != "inventory"), key=lambda i: i.fmt == "sitemap")
    seen: set[Path] = set()
    for item in rest:
        where = item.path.resolve()
        if where in seen:
            continue
        seen.add(where)
        if where in named:
            note = "an inventory row gives its asset; not imported on its own"
            results.append(_Parsed(label_of(item.path), item.fmt, _named(item), skip=note))
            continue
        parsed = _parse_sitemap(item, known) if item.fmt == "sitemap" else _parse_document(item)
        _remember(known, parsed.assets)
        results.append(parsed)
    for parsed in results:
        previews.append(
            AssetPreview(
                file=parsed.file,
                format=parsed.format,
                named=parsed.named,
                columns=parsed.columns,
                assets=tuple(parsed.assets[:limit]),
                total=len(parsed.assets),
                present=parsed.present,
                rejects=tuple(parsed.rejects),
                note=parsed.skip,
                error=parsed.error,
            )
        )
    return previews


# -- which files, in which format ------------------------------------------------------


def _plan(
    paths: Sequence[str | Path],
    fmt: str | None,
    workspace: Path | None,
    problem: Callable[[ImportSummary], Any],
    skip: Callable[[Path], Any],
) -> list[_Item]:
    """The files to read, each with the format its content gives; problems reported."""
    if fmt is not None and fmt not in ASSET_FORMATS:
        raise IngestError(f"unknown format '{fmt}' (formats: {', '.join(ASSET_FORMATS)})")
    items: list[_Item] = []
    for path in as_paths(paths):
        if path.is_dir():
            for file in walk(path, workspace):
                kind = fmt or FORMATS.get(file.suffix.lower())
                if kind:
                    items.append(_Item(file, path, kind, fmt is not None, False))
                else:
                    skip(file)
        elif path.is_file():
            kind = fmt or FORMATS.get(path.suffix.lower())
            if kind is None:
                problem(not_read(path, FORMATS))
            else:
                items.append(_Item(path, path.parent, kind, fmt is not None, True))
        else:
            problem(missing(path, fmt or FORMATS.get(path.suffix.lower(), "unknown")))
    planned = []
    for item in items:
        name = label_of(item.path)
        try:
            item.fmt = sniff_format(head(item.path), item.named, name, item.forced)
        except IngestError as exc:
            problem(ImportSummary(name, item.named, error=str(exc)))
            continue
        except OSError as exc:
            problem(ImportSummary(name, item.named, error=cannot_read(name, exc)))
            continue
        planned.append(item)
    return planned


def _content_of(data: bytes) -> tuple[str, str]:
    """(kind, in words) of a file by its first bytes: pdf, docx, binary, html, sitemap, xml
    (another XML document) or text."""
    if re.match(rb"(?:\xef\xbb\xbf)?\s*%PDF-", data):
        return "pdf", _BINARY["pdf"]
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"word/" in data:
            return "docx", _BINARY["docx"]
        return "binary", binary_kind(data) or "a ZIP archive"
    if what := binary_kind(data):
        return "binary", what
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="ignore")
    else:
        text = data.decode("utf-8", errors="ignore")
    start = re.sub(
        r"^(?:\s|<\?xml[^>]*>|<!--.*?-->|<!doctype\s+(?!html)[^[>]*(?:\[.*?\]\s*)?>)*",
        "",
        text.lstrip("\ufeff")[:4096].lower(),
        flags=re.S,
    )
    if re.match(r"<(?:[a-z0-9_-]+:)?(urlset|sitemapindex)\b", start):
        return "sitemap", "a sitemap (XML)"
    if re.match(r"<(!doctype\s+html|html|head|body)\b", start):
        return "html", "an HTML page"
    if m := re.match(r"<([a-z][\w:.-]*)", start):
        if text.lstrip("\ufeff \t\r\n").startswith("<?xml"):
            return "xml", f"an XML document (<{m.group(1)}>)"
    return "text", "text"


def sniff_format(data: bytes, named: str, name: str, forced: bool = False) -> str:
    """The format to read a file as, from its first bytes and the format its extension
    (``forced``: --format) names. Raises IngestError when the content cannot be that."""
    kind, what = _content_of(data)
    if named == "pdf" and kind != "pdf" and b"%PDF-" in data[:1024]:
        kind = "pdf"  # a few bytes of junk before the header, which PDF readers allow
    if named in _BINARY:
        if kind != named:
            raise IngestError(f"{name}: not {_BINARY[named]}: the content is {what}")
        return named
    if kind in _BINARY and not forced:
        return kind  # a PDF or Word file with a text extension: read it as what it is
    if kind in _BINARY or kind == "binary":
        raise IngestError(f"{name}: not {_A_FILE[named]}: the content is {what}")
    if named == "sitemap":
        if kind == "sitemap":
            return "sitemap"
        if kind == "html" and not forced:
            return "html"
        raise IngestError(
            f"{name}: not a sitemap: the content is {what}; a sitemap is XML with a <urlset> "
            "(or <sitemapindex>) root element"
        )
    if named == "inventory":
        if kind in ("html", "sitemap", "xml") and not forced:
            raise IngestError(f"{name}: not a CSV content inventory: the content is {what}")
        return "inventory"
    if forced:
        return named
    if kind == "sitemap":
        return "sitemap"
    if kind == "html" and named in ("text", "markdown"):
        return "html"
    return named


def _named(item: _Item) -> str | None:
    """The extension's format, when the content gave another."""
    return item.named if item.fmt != item.named else None


def _read(parsed: _Parsed, path: Path, parse: Callable[[bytes], _T]) -> _T | None:
    """``parse`` of the file's bytes, with ``parsed.sha`` set; None, with ``parsed.error``
    saying why, when the file cannot be read or used."""
    try:
        data = path.read_bytes()
        result = parse(data)
    except IngestError as exc:
        parsed.error = str(exc)
        return None
    except OSError as exc:
        parsed.error = cannot_read(parsed.file, exc)
        return None
    parsed.sha = sha256(data)
    return result


# -- documents ------------------------------------------------------------------------


def read_document(path: Path, data: bytes | None = None, fmt: str | None = None) -> Document:
    """Title, body and the asset fields a document states, by its format (default: its
    extension's): Markdown front matter, an HTML page's <head>, PDF or Word properties."""
    name = label_of(path)
    data = path.read_bytes() if data is None else data
    kind = fmt or DOCUMENTS.get(path.suffix.lower(), "text")
    if kind == "pdf":
        doc = read_pdf(data, name)
        return Document(doc.title or path.stem, doc.body, doc.meta)
    if kind == "docx":
        doc = read_docx(data, name)
        return Document(doc.title or path.stem, doc.body, doc.meta)
    text = decode_bytes(data, name).text
    if has_undecodable(text):
        text = readable(text)  # a few damaged bytes in a long page: keep the page
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "html":
        page = read_html(text)
        meta = {"url": page.url, "summary": page.description, "updated": page.updated}
        return Document(page.title or path.stem, page.body, {k: v for k, v in meta.items() if v})
    meta, body = _front_matter(text) if kind == "markdown" else ({}, text)
    title = meta.get("title", "")
    if not title and kind == "markdown":
        if m := re.search(r"^#\s+(.+?)\s*#*\s*$", body, flags=re.M):
            title = clean_inline(m.group(1))
    return Document(title or path.stem, body.strip(), meta)


def _parse_document(item: _Item) -> _Parsed:
    path, name = item.path, label_of(item.path)
    parsed = _Parsed(name, item.fmt, _named(item))
    doc = _read(parsed, path, lambda data: read_document(path, data, item.fmt))
    if doc is None:
        return parsed
    if not doc.body.strip() and not doc.meta.get("summary"):
        parsed.error = f"{name}: the file has no text"
        return parsed
    parsed.assets.append(
        Asset(
            asset_id=doc.meta.get("id") or _document_id(path, item.root),
            title=doc.title,
            body=doc.body or doc.meta.get("summary", ""),
            url=doc.meta.get("url"),
            type=doc.meta.get("type"),
            stage=doc.meta.get("stage"),
            updated=_date_or_text(doc.meta.get("updated")),
            path=name,
        )
    )
    return parsed


# -- Markdown front matter -----------------------------------------------------------

_FRONT = re.compile(r"\ufeff?---[ \t]*\n((?:.*?\n)??)(?:---|\.\.\.)[ \t]*(?:\n|$)", re.S)
_YAML_KEY = re.compile(r"""(?:"([^"]+)"|'([^']+)'|([^\s#'"][^:#]*?))\s*:(?:[ \t]+(.*))?$""")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML front matter (between --- lines at the top) as asset fields, and the body.

    A small reader for what front matter holds: ``key: value`` with plain, 'single' or
    "double" quoted values, [inline, lists] and block lists, ``|`` and ``>`` blocks,
    comments; nested keys are not the page's own and are left out. Where several keys
    name one field (updated, last_modified_at, date), the most specific wins. A block
    that is not ``key: value`` lines is not front matter (a horizontal rule, say).
    """
    m = _FRONT.match(text)
    if not m:
        return {}, text
    fields = _yaml_fields(m.group(1))
    if fields is None:
        return {}, text
    meta: dict[str, str] = {}
    ranks: dict[str, int] = {}
    for key, value in fields.items():
        asset_field = _field_of(key)
        if asset_field is None or not value:
            continue
        rank = _KEYS[asset_field].index(header_key(key))
        if rank < ranks.get(asset_field, len(_KEYS[asset_field])):
            meta[asset_field], ranks[asset_field] = value, rank
    return meta, text[m.end() :]


def _yaml_fields(block: str) -> dict[str, str] | None:
    """Top-level keys of a YAML mapping and their values as text (lists joined by ', ');
    None when the block is not a mapping."""
    lines = block.split("\n")
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" or line.startswith("- "):
            continue  # belongs to the key above (read there) or to a nested mapping
        m = _YAML_KEY.match(line)
        if not m:
            return None
        key = m.group(1) or m.group(2) or m.group(3)
        raw = (m.group(4) or "").strip()
        nested: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i][:1] in " \t-"):
            if lines[i].startswith("- ") or lines[i] == "-":
                if raw:
                    break  # "- " at column 0 after a value: not this key's
            nested.append(lines[i])
            i += 1
        if raw[:1] in ("|", ">"):
            text_lines = [n.strip() for n in nested]
            value = ("\n" if raw[0] == "|" else " ").join(t for t in text_lines if t)
        elif raw:
            value = _yaml_scalar(raw)
            more = [n.strip() for n in nested if n.strip() and not n.lstrip().startswith("#")]
            if more and raw[:1] not in "[{\"'" and not any(":" in x for x in more):
                value = " ".join([value, *more])  # a plain value folded over several lines
        else:
            items = [n.strip()[1:].strip() for n in nested if n.strip().startswith("-")]
            value = ", ".join(v for v in (_yaml_scalar(x) for x in items) if v)
        fields.setdefault(key.strip(), value)
    return fields


def _yaml_scalar(raw: str) -> str:
    """One YAML value as text: quotes and escapes undone, [a, b] as 'a, b', comments and
    null dropped."""
    raw = raw.strip()
    if raw.startswith('"'):
        m = re.match(r'"((?:[^"\\]|\\.)*)"', raw)
        if m:
            body = m.group(1)
            try:
                import json

                return json.loads(f'"{body}"').strip()
            except ValueError:
                return body.replace('\\"', '"').strip()
        return raw.strip('"').strip()
    if raw.startswith("'"):
        m = re.match(r"'((?:[^']|'')*)'", raw)
        return (m.group(1).replace("''", "'") if m else raw.strip("'")).strip()
    if raw.startswith("["):
        inner = raw[1 : raw.rfind("]")] if "]" in raw else raw[1:]
        parts = re.findall(r"""\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]+)\s*(?:,|$)""", inner)
        return ", ".join(v for v in (_yaml_scalar(p) for p in parts) if v)
    raw = re.sub(r"\s+#.*$", "", raw).strip()
    return "" if raw in ("~", "null", "Null", "NULL") else raw


def _field_of(key: str) -> str | None:
    k = header_key(key)
    return next((f for f, keys in _KEYS.items() if k in keys), None)


def _document_id(path: Path, root: Path) -> str:
    return "a-" + path.relative_to(root).as_posix()


def _stored_elsewhere(db: Any, documents: list[_Item]) -> set[Path]:
    """Documents an earlier inventory import already stored under another asset id
    (``db``: the workspace's sqlite-utils Database or a read-only sqlite3 connection)."""
    by_path: dict[Path, set[str]] = {}
    for asset_id, path in db.execute("select asset_id, path from assets where path is not null"):
        by_path.setdefault(Path(path).resolve(), set()).add(asset_id)
    return {
        item.path.resolve()
        for item in documents
        if by_path.get(item.path.resolve(), set()) - {_document_id(item.path, item.root)}
    }


# -- sitemaps -------------------------------------------------------------------------


def _stored_urls(db: Any) -> dict[str, str]:
    """url_key -> asset id of every stored asset with a URL (a sitemap page last)."""
    known: dict[str, str] = {}
    if db is None:
        return known
    for asset_id, url in db.execute(
        "select asset_id, url from assets where url is not null and url != '' "
        f"order by asset_id like '{STUB}%', asset_id"
    ):
        known.setdefault(url_key(url), asset_id)
    return known


def _remember(known: dict[str, str], assets: list[Asset]) -> None:
    for asset in assets:
        if asset.url:
            known.setdefault(url_key(asset.url), asset.asset_id)


def _parse_sitemap(item: _Item, known: dict[str, str]) -> _Parsed:
    """A sitemap's pages as assets; a page whose URL another asset holds is 'present'."""
    path, name = item.path, label_of(item.path)
    parsed = _Parsed(name, "sitemap", _named(item))
    sitemap = _read(parsed, path, lambda data: read_sitemap(data, name))
    if sitemap is None:
        return parsed
    if sitemap.kind == "sitemapindex":
        listed = "\n".join(f"  {loc}" for loc in sitemap.children) or "  (none)"
        n = len(sitemap.children)
        reason = (
            f"a sitemap index, not a sitemap: it lists {n} sitemap{'s' if n != 1 else ''} "
            "and gaplens fetches nothing from the web; save them and import those files:"
            f"\n{listed}"
        )
        parsed.format = "sitemap index"
        if item.direct:
            parsed.error = f"{name}: {reason}"
        else:
            parsed.skip = reason
        return parsed
    if not sitemap.urls:
        parsed.error = f"{name}: the sitemap lists no pages (no <url> with a <loc>)"
        return parsed
    seen: set[str] = set()
    for number, entry in enumerate(sitemap.urls, start=1):
        loc = entry.loc
        if not re.match(r"https?://[^/\s]+", loc, flags=re.I):
            parsed.rejects.append(
                Reject(name, None, f"<url> {number}: '{loc}' is not a web address", loc)
            )
            continue
        key = url_key(loc)
        asset_id = STUB + key
        if key in seen:
            continue  # listed twice in the same sitemap
        seen.add(key)
        if known.get(key, asset_id) != asset_id:
            parsed.present += 1  # an inventory row or a document already has this page
            continue
        parsed.assets.append(
            Asset(
                asset_id=asset_id,
                title=entry.title or url_title(loc),
                url=loc,
                type=url_type(loc),
                updated=_date_or_text(entry.lastmod),
            )
        )
    return parsed


# -- inventories ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    fields: dict[str, int]  # asset field -> column index
    usage: tuple[int, ...]  # usage columns, best first
    names: tuple[str, ...]  # the header

    def mapping(self) -> tuple[tuple[str, str], ...]:
        pairs = [(f, self.names[i]) for f, i in self.fields.items()]
        if self.usage:
            first, *rest = (self.names[i] for i in self.usage)
            pairs.append(("views", first + (f" (else {', '.join(rest)})" if rest else "")))
        return tuple(pairs)


def _parse_inventory(item: _Item, named: set[Path], on_progress: Progress | None = None) -> _Parsed:
    path, name = item.path, label_of(item.path)
    parsed = _Parsed(name, "inventory", _named(item))

    def parse(data: bytes) -> tuple[Table, _Columns]:
        table = read_csv(decode_bytes(data, name).text, name)
        return table, _inventory_columns(table, name)

    read = _read(parsed, path, parse)
    if read is None:
        return parsed
    table, cols = read
    parsed.columns = cols.mapping()
    ids: dict[str, int | None] = {}
    total = len(table.records)
    for done, rec in enumerate(table.records, start=1):
        if on_progress and done % 500 == 0:
            on_progress(name, done, total)
        if rec.problem is not None:
            parsed.rejects.append(Reject(name, rec.line, rec.problem, readable(rec.raw)))
            continue
        try:
            asset, file = _inventory_asset(rec.values or [], cols, path)
            if asset.asset_id in ids:
                raise ValueError(
                    f"asset id '{asset.asset_id}' is already used on line "
                    f"{ids[asset.asset_id]}; give each asset its own id"
                )
        except ValueError as exc:
            parsed.rejects.append(Reject(name, rec.line, str(exc), readable(rec.raw)))
            continue
        ids[asset.asset_id] = rec.line
        if file is not None:
            named.add(file.resolve())
        parsed.assets.append(asset)
    if on_progress:
        on_progress(name, total, total)
    return parsed


def _inventory_columns(table: Table, name: str) -> _Columns:
    keys = [header_key(c) for c in table.columns]
    cols: dict[str, int] = {}
    for asset_field, aliases in _KEYS.items():
        for alias in aliases:
            if alias in keys:
                cols[asset_field] = keys.index(alias)
                break
    if "title" not in cols and "file" not in cols:
        found = ", ".join(repr(c) for c in table.columns)
        raise IngestError(
            f"{name}: not a content inventory: no title or file column "
            f"(looked for title, name, file, path); columns found: {found}"
        )
    ranked = []
    for i, key in enumerate(keys):
        if _NOT_USAGE.search(key) or i in cols.values():
            continue
        rank = next((r for r, pattern in enumerate(_USAGE) if pattern.fullmatch(key)), None)
        if rank is not None:
            ranked.append((rank, i))
    return _Columns(cols, tuple(i for _, i in sorted(ranked)), tuple(table.columns))


def _inventory_asset(
    values: list[Any], cols: _Columns, csv_path: Path
) -> tuple[Asset, Path | None]:
    def cell(asset_field: str) -> str | None:
        i = cols.fields.get(asset_field)
        return as_text(values[i]) if i is not None and i < len(values) else None

    file_name = cell("file")
    file = doc = None
    if file_name:
        candidate = csv_path.parent / file_name
        if candidate.is_file() and candidate.suffix.lower() in DOCUMENTS:
            file = candidate
            try:
                fmt = sniff_format(head(candidate), DOCUMENTS[candidate.suffix.lower()], file_name)
                doc = read_document(candidate, fmt=fmt)
            except (IngestError, OSError) as exc:
                raise ValueError(f"cannot read {file_name}: {exc}") from None
    title = cell("title") or (doc.title if doc else None)
    body = (doc.body if doc else None) or cell("body") or cell("summary") or ""
    if not title:
        raise ValueError("no title: the row has neither a title nor a readable file")
    asset_id = cell("id")
    if not asset_id:
        asset_id = "a-" + (Path(file_name).as_posix() if file_name else _slug(title))
    views, views_column = _usage(values, cols)
    return Asset(
        asset_id=asset_id,
        title=title,
        body=body,
        url=cell("url") or (doc.meta.get("url") if doc else None),
        type=cell("type"),
        stage=cell("stage"),
        updated=_date_or_text(cell("updated") or (doc.meta.get("updated") if doc else None)),
        path=label_of(file) if file else None,
        views=views,
        views_column=views_column,
    ), file


def _usage(values: list[Any], cols: _Columns) -> tuple[int | None, str | None]:
    """The row's views from the best usage column that has a value ('12,480', '1.2k')."""
    for i in cols.usage:
        raw = as_text(values[i]) if i < len(values) else None
        if raw is None:
            continue
        try:
            number = parse_amount(raw)
        except ValueError:
            raise ValueError(f"unreadable number '{raw}' in column '{cols.names[i]}'") from None
        if number is None:
            continue
        if number < 0:
            raise ValueError(f"negative count '{raw}' in column '{cols.names[i]}'")
        return int(round(number)), cols.names[i]
    return None, None


# -- writing ----------------------------------------------------------------------------


def _write(store: Store, parsed: _Parsed) -> ImportSummary:
    """Store one file's assets (with their passages) and rejects in one transaction."""
    if parsed.error is not None:
        return ImportSummary(parsed.file, parsed.label, error=parsed.error)
    if parsed.skip is not None:
        reject = Reject(parsed.file, None, "skipped: " + parsed.skip)
        store.add_rejects([reject], None)
        return ImportSummary(parsed.file, parsed.label, rejected=1, rejects=(reject,))
    added, present = 0, parsed.present
    with store.db.atomic():
        source_id = store.add_source(parsed.file, "assets", parsed.label, parsed.sha)
        for asset in parsed.assets:
            _drop_stub(store, asset)
            if store.upsert_asset(asset, split_passages(asset.title, asset.body), source_id):
                added += 1
            else:
                present += 1
        store.add_rejects(parsed.rejects, source_id)
        store.finish_source(source_id, added, present, len(parsed.rejects))
    return ImportSummary(
        parsed.file, parsed.label, added, present, len(parsed.rejects), tuple(parsed.rejects)
    )


def _drop_stub(store: Store, asset: Asset) -> None:
    """A page known only from a sitemap gives way to an asset with its text and URL."""
    if not asset.url or asset.asset_id.startswith(STUB):
        return
    stub = STUB + url_key(asset.url)
    if store.db.execute("select 1 from assets where asset_id = ?", [stub]).fetchone():
        store.db.execute("delete from passages where asset_id = ?", [stub])
        store.db.execute("delete from assets where asset_id = ?", [stub])


def _date_or_text(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"
