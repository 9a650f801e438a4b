"""PDF, Word (.docx) and sitemap files as content: title, Markdown-ish body, fields.

- ``read_pdf`` (pypdf): the text of every page, with the running headers, footers and
  page numbers that repeat on every page left out. Lines set larger than the body text
  become headings, and a wider gap between lines starts a new paragraph. The title is
  the document's /Title, else its first heading-like line.
- ``read_docx`` (python-docx): paragraphs and tables in document order; Title and
  Heading styles become ``#`` headings, list paragraphs ``- `` items, tables Markdown
  tables. Page headers and footers are not part of the body. The title comes from the
  core properties, else the first Title or Heading paragraph.
- ``read_sitemap`` (defusedxml): the ``<url>`` entries of a sitemaps.org ``<urlset>``,
  or the child sitemaps a ``<sitemapindex>`` lists. Nothing is fetched.

Each raises IngestError, naming the file and saying why, for a file it cannot use.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

from ingest.errors import IngestError


@dataclass(frozen=True)
class Document:
    title: str
    body: str  # Markdown-ish text the passage splitter reads
    meta: dict[str, str] = field(default_factory=dict)  # asset fields the file states


# -- PDF ----------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"(?:page|p\.|seite|pagina|página)?\s*[-\u2013\u2014(]?\s*\d{1,4}\s*[-\u2013\u2014)]?"
    r"(?:\s*(?:of|/|von|de|sur)\s*\d{1,4})?"
    r"|(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})",  # xii
    re.I,
)
_EDGE_LINES = 3  # running headers and footers are among a page's first or last lines
_HEADING_RATIO = 1.15  # a line set this much larger than the body text is a heading


@dataclass
class _Line:
    text: str
    size: float = 0.0  # font size as drawn, 0 when unknown
    y: float | None = None  # height on the page (PDF units from the bottom)


def read_pdf(data: bytes, name: str) -> Document:
    """Title, body and dates of a PDF with a text layer."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    if b"%%EOF" not in data[-2048:]:
        raise IngestError(
            f"{name}: the PDF is incomplete (it has no end-of-file marker): the download "
            "or copy was probably cut short; get the whole file again"
        )
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)  # its notes on repaired damage are not the user's business
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(
                f"{name}: the PDF is password-protected; save a copy without a password "
                "(or print it to PDF) and import that"
            )
        pages = [_page_lines(page) for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise IngestError(
            f"{name}: the PDF is encrypted; save a copy without a password or "
            "restrictions and import that"
        ) from None
    except PdfReadError as exc:
        raise IngestError(f"{name}: not a readable PDF ({exc})") from None
    except Exception as exc:  # a damaged file can break the reader in many ways
        raise IngestError(
            f"{name}: not a readable PDF ({type(exc).__name__}: {exc}); the file is damaged"
        ) from None
    finally:
        log.setLevel(level)
    if not any(line.text.strip() for lines in pages for line in lines):
        n = len(pages)
        raise IngestError(
            f"{name}: the PDF has no text layer ({n} page{'s' if n != 1 else ''} of images, "
            "as a scanner makes); run it through OCR or export it with its text, then import it"
        )
    lines = _drop_running_lines(pages)
    body = _pdf_markdown(lines)
    meta: dict[str, str] = {}
    if info is not None:
        when = _pdf_date(info, "modification_date") or _pdf_date(info, "creation_date")
        if when:
            meta["updated"] = when
        if info.subject and str(info.subject).strip():
            meta["summary"] = str(info.subject).strip()
    title = _pdf_title(info.title if info is not None else None) or _first_heading(body)
    return Document(title, body, meta)


def _page_lines(page) -> list[_Line]:
    """The page's text lines with the size and height each was drawn at."""
    lines: list[_Line] = [_Line("")]

    def visit(text, cm, tm, font, size) -> None:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append(_Line(""))
            if part.strip():
                line = lines[-1]
                line.text += part
                try:
                    scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
                    drawn = float(size) * (scale or 1.0)
                    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                except (TypeError, IndexError, ValueError):
                    drawn, y = 0.0, None
                line.size = max(line.size, drawn)
                if line.y is None and y:
                    line.y = y
            elif i == 0 and part and lines[-1].text:
                lines[-1].text += part

    text = page.extract_text(visitor_text=visit)
    found = [_Line(" ".join(line.text.split()), line.size, line.y) for line in lines]
    found = [line for line in found if line.text]
    if not found and text.strip():  # a visitor that saw nothing: fall back to plain text
        found = [_Line(" ".join(t.split())) for t in text.split("\n") if t.strip()]
    return found


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Pages without their running headers/footers (the same line at the top or bottom of
    most pages, page numbers counted as the same) and without bare page numbers."""
    edges = [{id(line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]} for lines in pages]
    seen: Counter[str] = Counter()
    for lines, edge in zip(pages, edges, strict=True):
        seen.update({_key(line.text) for line in lines if id(line) in edge})
    need = max(2, -(-len(pages) * 6 // 10))  # on at least 60% of the pages, and two
    running = {k for k, n in seen.items() if n >= need and len(k) <= 150}
    kept = []
    for lines, edge in zip(pages, edges, strict=True):
        kept.append(
            [
                line
                for line in lines
                if id(line) not in edge
                or (_key(line.text) not in running and not _PAGE_NUMBER.fullmatch(line.text))
            ]
        )
    return kept


def _pdf_markdown(pages: list[list[_Line]]) -> str:
    """Lines to Markdown-ish text: headings by size, paragraphs by the gaps between lines."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.size:
                sizes[round(line.size, 1)] += len(line.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    heading_sizes = sorted(
        {s for s in sizes if body_size and s >= body_size * _HEADING_RATIO}, reverse=True
    )
    level = {s: min(i + 1, 6) for i, s in enumerate(heading_sizes)}
    gaps: Counter[float] = Counter()  # the usual distance from one body line to the next
    for lines in pages:
        for a, b in zip(lines, lines[1:], strict=False):
            if a.y is not None and b.y is not None and round(a.size, 1) == body_size:
                gaps[round(a.y - b.y, 1)] += 1
    usual = max((g for g, _ in gaps.most_common(3) if g > 0), default=0.0, key=gaps.get)
    out: list[str] = []
    for lines in pages:
        previous: _Line | None = None
        for line in lines:
            words = len(line.text.split())
            size = round(line.size, 1)
            if size in level and words <= 20 and not line.text.endswith((".", ",", ";")):
                out.extend(["", "#" * level[size] + " " + line.text, ""])
                previous = None
                continue
            if previous is not None and previous.y is not None and line.y is not None and usual:
                if previous.y - line.y > usual * 1.35 or line.y > previous.y:
                    out.append("")  # a wider gap (or a new column): a new paragraph
            if (
                out
                and out[-1].endswith("-")
                and re.search(r"[a-z]-$", out[-1])
                and (line.text[:1].islower())
            ):
                out[-1] = out[-1] + line.text  # a word hyphenated across lines
            else:
                out.append(line.text)
            previous = line
        out.append("")  # a page ends a paragraph
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _pdf_title(value) -> str:
    """The /Title, unless a tool wrote a placeholder ('Untitled', 'Microsoft Word - x.doc')."""
    if not value:
        return ""
    title = " ".join(str(value).split())
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    title = re.sub(r"\.(docx?|pptx?|pdf|indd|key|pages)$", "", title, flags=re.I)
    if title.lower() in ("untitled", "untitled document", "title", "document", "slide 1"):
        return ""
    return title


def _first_heading(body: str) -> str:
    """The first heading, else the first short line that does not read as a sentence."""
    for line in body.split("\n"):
        if m := re.match(r"#{1,6}\s+(.+)", line):
            return m.group(1).strip()
    for line in body.split("\n"):
        text = line.strip()
        if text and len(text.split()) <= 12 and not text.endswith((".", ",", ";", ":")):
            if re.search(r"[A-Za-z]{2}", text):
                return text
    return ""


def _pdf_date(info, attr: str) -> str | None:
    try:
        value = getattr(info, attr)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # a malformed date string
    return _iso(value)


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date) and 1990 <= value.year <= 2100:
        return value.isoformat()
    return None


# -- Word ---------------------------------------------------------------------------

_TEMPLATE_STAMP = datetime(2013, 12, 23, 23, 15)  # python-docx's own template's dates


def read_docx(data: bytes, name: str) -> Document:
    """Title, body and dates of a .docx file."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise IngestError(
            f"{name}: not a Word document: a .docx file is a ZIP archive and this one is "
            "damaged or incomplete"
        ) from None
    if "word/document.xml" not in names:
        raise IngestError(f"{name}: a ZIP archive without a Word document in it")
    try:
        return _docx_document(docx.Document(io.BytesIO(data)))
    except PackageNotFoundError as exc:
        raise IngestError(f"{name}: not a readable Word document ({exc})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a damaged document part
        raise IngestError(
            f"{name}: not a readable Word document ({type(exc).__name__}: {exc}); "
            "the file is damaged"
        ) from None


def _docx_document(document) -> Document:
    blocks: list[str] = []
    first_heading = ""
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            blocks.extend(_docx_table(item))
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        prefix = _docx_prefix(item, style)
        if prefix.startswith("#"):
            text = " ".join(text.split())
            first_heading = first_heading or text
        blocks.append(prefix + text)
    props = document.core_properties
    meta: dict[str, str] = {}
    template = props.author == "python-docx" and (
        props.modified is None or props.modified.replace(tzinfo=None) == _TEMPLATE_STAMP
    )
    when = None if template else _iso(props.modified) or _iso(props.created)
    if when:
        meta["updated"] = when
    if props.subject and props.subject.strip():
        meta["summary"] = props.subject.strip()
    title = " ".join((props.title or "").split()) or first_heading
    return Document(title, "\n\n".join(blocks), meta)


def _docx_prefix(paragraph, style: str) -> str:
    low = style.lower()
    if low == "title":
        return "# "
    if m := re.fullmatch(r"heading (\d)", low):
        return "#" * min(int(m.group(1)) + 1, 6) + " "
    if low.startswith("list number"):
        return "1. "
    if low.startswith("list"):
        return "- "
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return "- "  # a numbered or bulleted paragraph in any style
    return ""


def _docx_table(table) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if cell._tc is last:
                continue  # a merged cell is listed once per grid column it spans
            last = cell._tc
            cells.append(" ".join(cell.text.split()).replace("|", "/"))
        if any(cells):
            rows.append(cells)
    if not rows:
        return []
    if len(rows) == 1 or max(len(r) for r in rows) == 1:
        return [" ".join(c for c in r if c) for r in rows]  # a box around text, not a table
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return ["\n".join(lines)]


# -- sitemaps -----------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: str | None  # as written (a W3C datetime)
    title: str | None = None  # a news sitemap's <news:title>


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" or "sitemapindex"
    urls: tuple[SitemapUrl, ...] = ()
    children: tuple[str, ...] = ()  # a sitemap index's child sitemaps


def read_sitemap(data: bytes, name: str) -> Sitemap:
    """The entries of a sitemap, parsed with entity expansion and DTDs refused."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except DefusedXmlException:
        raise IngestError(
            f"{name}: the XML declares a DTD or entities, which a sitemap never needs; "
            "refused for safety"
        ) from None
    except ParseError as exc:
        raise IngestError(f"{name}: not well-formed XML ({exc})") from None
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = tuple(loc for child in root if (loc := _child_text(child, "loc")) is not None)
        return Sitemap("sitemapindex", children=children)
    if kind != "urlset":
        raise IngestError(
            f"{name}: not a sitemap: the XML's root element is <{kind}>, a sitemap's is "
            "<urlset> (or <sitemapindex>)"
        )
    urls = []
    for entry in root:
        if _local(entry.tag) != "url":
            continue
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        title = None
        for node in entry.iter():
            if _local(node.tag) == "title" and "news" in node.tag:
                title = " ".join((node.text or "").split()) or None
                break
        urls.append(SitemapUrl(loc, _child_text(entry, "lastmod"), title))
    return Sitemap("urlset", urls=tuple(urls))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element, local: str) -> str | None:
    for child in element:
        if _local(child.tag) == local:
            text = (child.text or "").strip()
            return text or None
    return None


# what a path segment says a page is, in the words the inventories use
_SEGMENT_TYPES = {
    "blog": "blog post",
    "posts": "blog post",
    "articles": "blog post",
    "news": "press release",
    "press": "press release",
    "customers": "case study",
    "customer-stories": "case study",
    "case-studies": "case study",
    "case-study": "case study",
    "success-stories": "case study",
    "guides": "guide",
    "guide": "guide",
    "docs": "guide",
    "documentation": "guide",
    "help": "guide",
    "how-to": "guide",
    "whitepapers": "whitepaper",
    "whitepaper": "whitepaper",
    "white-papers": "whitepaper",
    "ebooks": "ebook",
    "ebook": "ebook",
    "reports": "report",
    "webinars": "webinar",
    "webinar": "webinar",
    "videos": "video",
    "podcast": "podcast",
    "podcasts": "podcast",
    "compare": "comparison",
    "comparison": "comparison",
    "vs": "comparison",
    "alternatives": "comparison",
    "product": "product page",
    "products": "product page",
    "features": "product page",
    "solutions": "solution page",
    "integrations": "integration page",
    "templates": "template",
    "faq": "faq",
    "faqs": "faq",
    "glossary": "glossary",
    "pricing": "pricing page",
    "changelog": "release notes",
    "release-notes": "release notes",
}
_PAGE_SUFFIX = re.compile(r"\.(html?|php|aspx?|jsp|cfm)$", re.I)


def url_title(url: str) -> str:
    """A title made from a URL's last path segment: '/blog/scim-provisioning-guide' ->
    'Scim provisioning guide'; the site's home page -> 'Home page (orbitly.example)'."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").removeprefix("www.")
    if segments and segments[-1].lower() in ("index.html", "index.htm", "index.php"):
        segments = segments[:-1]
    if not segments:
        return f"Home page ({host})" if host else url
    words = _PAGE_SUFFIX.sub("", unquote(segments[-1]))
    words = " ".join(re.sub(r"[-_+.]+", " ", words).split())
    if not words:
        return url
    return words[0].upper() + words[1:]


def url_type(url: str) -> str | None:
    """The kind of page a URL's path names, where it obviously does ('/blog/...': blog
    post, '/customers/...': case study); the deepest folder that says so wins."""
    segments = [unquote(s).lower() for s in urlsplit(url).path.split("/") if s]
    for segment in reversed(segments[:-1]):
        if segment in _SEGMENT_TYPES:
            return _SEGMENT_TYPES[segment]
    if len(segments) == 1 and segments[0] in ("pricing", "faq", "faqs", "changelog"):
        return _SEGMENT_TYPES[segments[0]]
    return None


def url_key(url: str) -> str:
    """A URL as compared for duplicates: no scheme, 'www.', trailing slash, fragment or
    tracking parameters; host in lower case."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host += f":{parts.port}"
    path = re.sub(r"/+$", "", parts.path) or ""
    query = "&".join(
        sorted(
            q
            for q in parts.query.split("&")
            if q and not q.lower().startswith(("utm_", "gclid=", "fbclid=", "hsa_", "mc_"))
        )
    )
    return host + path + (f"?{query}" if query else "")
