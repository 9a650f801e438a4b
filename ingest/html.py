"""HTML pages to the Markdown-like text the passage splitter reads (stdlib html.parser).

A page saved from a CMS is mostly chrome: a header with a mega-menu, a cookie banner,
a sidebar, related posts, a newsletter form, a footer full of link lists. Only the
page's own text is kept:

1. The page is parsed into a small element tree (browsers' rules for the end tags
   people leave out: ``<p>``, ``<li>``, ``<td>`` ...).
2. The main content is ``<main>`` (or ``role="main"``) when the page has one, else the
   longest ``<article>``, else the whole ``<body>``.
3. Inside it, chrome is dropped: scripts and styles, ``nav``/``aside``/``footer``/
   ``form``/``dialog``, elements hidden from readers, ARIA roles such as navigation or
   banner, elements whose class or id says menu, cookie, newsletter, related, share,
   sidebar ..., a ``<header>`` without a heading, and lists or boxes that are nearly all
   links. A heading keeps a box its class or id would drop (an article's header).
4. The rest becomes text: headings ``#`` lines, list items ``- `` lines, a table with
   a header row a Markdown table, other blocks paragraphs.

The page's canonical URL, description and modification date come from its ``<head>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_DROP = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "nav",
    "footer",
    "aside",
    "form",
    "dialog",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "map",
    "head",
    "button",
    "select",
    "textarea",
    "input",
    "label",
}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "ul",
    "ol",
    "menu",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "details",
    "summary",
    "hr",
    "address",
    "caption",
    "center",
}
_VOID = {
    "br",
    "hr",
    "img",
    "input",
    "meta",
    "link",
    "source",
    "wbr",
    "col",
    "area",
    "base",
    "embed",
    "param",
    "track",
    "keygen",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# start tags that end an open <p> (the HTML parsing rules, shortened)
_CLOSES_P = (_BLOCKS - {"p"} - {"thead", "tbody", "tfoot", "tr", "caption"}) | _HEADINGS | {"p"}
# an implied end tag: tag -> (the open tags it ends, the tags that stop the search)
_IMPLIED = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "option": ({"option"}, {"select", "datalist"}),
}
_MAX_DEPTH = 200  # deeper nesting is flattened (no recursion limit on hostile pages)

# ARIA roles of page chrome
_CHROME_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
    "tablist",
}
# words in a class or id that name page chrome ("site-header", "mega-menu", "cookieBanner")
_CHROME_WORDS = {
    "nav",
    "navbar",
    "navigation",
    "menu",
    "megamenu",
    "submenu",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "cookie",
    "cookies",
    "consent",
    "cookiebot",
    "onetrust",
    "gdpr",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "related",
    "recommended",
    "share",
    "sharing",
    "social",
    "comments",
    "comment",
    "promo",
    "cta",
    "popup",
    "modal",
    "overlay",
    "advert",
    "advertisement",
    "ads",
    "sponsor",
    "sponsored",
    "announcement",
    "skip",
    "pagination",
    "pager",
    "toc",
    "search",
    "login",
    "byline",
    "author",
    "category",
    "categories",
    "tags",
    "feedback",
    "sr",  # "sr-only": text for screen readers (skip links)
}
# words for a page's top and bottom bars: a box named so goes unless it holds an h1 or h2
# (a page's header, or a section's: the column headings of a site footer are smaller)
_EDGE_WORDS = {"header", "masthead", "topbar", "footer"}
_TOP_HEADINGS = {"h1", "h2"}
_SPLIT_WORDS = re.compile(r"[^a-z0-9]+")


class _Node:
    __slots__ = ("tag", "attrs", "children", "parent", "chrome", "size", "linked", "links", "heads")

    def __init__(self, tag: str, attrs: dict[str, str], parent: _Node | None):
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node | str] = []
        self.parent = parent
        self.chrome: bool | None = None  # _is_chrome's answer, once asked
        # measured once for the whole tree (_measure): characters of text below, how many
        # of them are link text, how many links, which headings
        self.size = self.linked = self.links = 0
        self.heads: frozenset[str] = frozenset()

    def get(self, name: str) -> str:
        return self.attrs.get(name) or ""

    def elements(self):
        """Every element below this one, in document order (iterative: deep pages are fine)."""
        stack = [c for c in reversed(self.children) if isinstance(c, _Node)]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, _Node))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#document", {}, None)
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs) -> None:
        self._implied_ends(tag)
        node = _Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in _VOID and len(self.stack) < _MAX_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self._implied_ends(tag)
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
            if self.stack[i].tag in ("table", "body", "html"):
                return  # a stray end tag does not close what encloses its table or body

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def _implied_ends(self, tag: str) -> None:
        if tag in _CLOSES_P:
            self._end_open({"p"}, _BLOCKS | _HEADINGS | {"li", "td", "th", "body", "button"})
        if tag in _IMPLIED:
            ends, stops = _IMPLIED[tag]
            self._end_open(ends, stops)

    def _end_open(self, ends: set[str], stops: set[str]) -> None:
        """End the outermost open element of ``ends`` above the nearest of ``stops``."""
        cut = None
        for i in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[i].tag
            if open_tag in ends:
                cut = i
            elif open_tag in stops:
                break
        if cut is not None:
            del self.stack[cut:]


@dataclass(frozen=True)
class HtmlPage:
    title: str
    body: str  # Markdown-ish main text
    url: str | None = None  # <link rel="canonical"> or og:url
    description: str | None = None
    updated: str | None = None  # as the page writes it (article:modified_time ...)


def read_html(html: str) -> HtmlPage:
    """The page's title, main text and the facts its <head> states."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    doc = builder.root
    _measure(doc)
    meta = _meta(doc)
    body = next((n for n in doc.elements() if n.tag == "body"), doc)
    root = _main_of(body)
    blocks = _Renderer().render(root)
    h1 = next((_inline_text(n) for n in root.elements() if n.tag == "h1" and _kept(n, root)), "")
    if not h1:
        h1 = next((_inline_text(n) for n in doc.elements() if n.tag == "h1"), "")
    title = _page_title(meta.get("title", ""), h1)
    return HtmlPage(
        title=title,
        body="\n\n".join(blocks),
        url=meta.get("url"),
        description=meta.get("description"),
        updated=meta.get("updated"),
    )


def html_to_text(html: str) -> tuple[str, str]:
    """(title, body): title from <title>, else the first <h1>; body as Markdown-ish text."""
    page = read_html(html)
    return page.title, page.body


# -- the page's facts -------------------------------------------------------------


def _meta(doc: _Node) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in doc.elements():
        if node.tag == "title" and "title" not in found:
            if not any(a.tag == "svg" for a in _ancestors(node)):
                found["title"] = _squash(_all_text(node))
        elif node.tag == "link" and "canonical" in node.get("rel").lower().split():
            found.setdefault("url", node.get("href").strip())
        elif node.tag == "meta":
            key = (node.get("property") or node.get("name") or node.get("itemprop")).lower()
            value = node.get("content").strip()
            if not value:
                continue
            if key == "og:url":
                found.setdefault("og_url", value)
            elif key in ("description", "og:description"):
                found.setdefault("description", value)
            elif key in ("article:modified_time", "og:updated_time", "datemodified"):
                found.setdefault("updated", value)
            elif key in ("article:published_time", "datepublished"):
                found.setdefault("published", value)
        elif node.tag == "time" and node.get("itemprop").lower() == "datemodified":
            found.setdefault("updated", node.get("datetime").strip())
    if "url" not in found and "og_url" in found:
        found["url"] = found["og_url"]
    if "updated" not in found and "published" in found:
        found["updated"] = found["published"]
    return {k: v for k, v in found.items() if v}


def _page_title(title: str, h1: str) -> str:
    """The <title>, or the page's <h1> when the title is that heading plus the site's name."""
    if not title:
        return h1
    if h1:
        first = re.split(r"\s+[|\-\u2013\u2014\u00b7:]\s+", title, maxsplit=1)[0]
        if first.casefold() == h1.casefold() and first != title:
            return h1
    return title


# -- finding the main content ------------------------------------------------------


def _main_of(body: _Node) -> _Node:
    mains = [n for n in body.elements() if n.tag == "main" or n.get("role").lower() == "main"]
    articles = [n for n in body.elements() if n.tag == "article" and not _inside_chrome(n, body)]
    for candidates in (mains, articles):
        sized = [(_text_size(n), i, n) for i, n in enumerate(candidates)]
        sized = [s for s in sized if s[0] > 0]
        if sized:
            return max(sized, key=lambda s: (s[0], -s[1]))[2]
    return body


def _inside_chrome(node: _Node, top: _Node) -> bool:
    return any(_is_chrome(a) for a in _ancestors(node, top))


def _ancestors(node: _Node, top: _Node | None = None):
    parent = node.parent
    while parent is not None and parent is not top:
        yield parent
        parent = parent.parent


def _text_size(node: _Node) -> int:
    """Characters of kept text below node."""
    return len(_squash(" ".join(_Renderer().render(node))))


def _kept(node: _Node, root: _Node) -> bool:
    """Whether node's text is part of root's text (neither it nor a box around it is chrome)."""
    if node is root:
        return True
    return not _is_chrome(node) and not _inside_chrome(node, root)


def _words_of(value: str) -> set[str]:
    value = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", value)  # cookieBanner -> cookie Banner
    return {w for w in _SPLIT_WORDS.split(value.lower()) if w}


def _is_chrome(node: _Node) -> bool:
    if node.chrome is None:
        node.chrome = _chrome(node)
    return node.chrome


def _chrome(node: _Node) -> bool:
    tag = node.tag
    if tag in _DROP:
        return True
    attrs = node.attrs
    if "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", attrs.get("style", ""), re.I):
        return True
    if attrs.get("role", "").lower() in _CHROME_ROLES:
        return True
    if tag == "header":
        return not _has_heading(node, _TOP_HEADINGS)
    if tag not in ("body", "html", "main", "article"):
        named = _words_of(attrs.get("class", "")) | _words_of(attrs.get("id", ""))
        if named & _EDGE_WORDS and not _has_heading(node, _TOP_HEADINGS):
            return True
        if named & _CHROME_WORDS and not _has_heading(node, {"h1"}):
            return True
    if tag in ("ul", "ol", "menu", "dl", "div", "section"):
        return _mostly_links(node)
    return False


def _has_heading(node: _Node, wanted: set[str]) -> bool:
    return not node.heads.isdisjoint(wanted)


def _mostly_links(node: _Node) -> bool:
    """A list or box of three or more links whose text is nearly all link text."""
    return node.links >= 3 and node.size > 0 and node.linked >= 0.8 * node.size


def _measure(root: _Node) -> None:
    """Text size, link text, links and headings of every element, children first (one pass
    over the tree, so no check walks a subtree again)."""
    for node in reversed([root, *root.elements()]):
        size = linked = links = 0
        heads: set[str] = set()
        if node.tag not in ("script", "style", "template", "head"):
            for child in node.children:
                if isinstance(child, str):
                    size += len("".join(child.split()))
                else:
                    size += child.size
                    linked += child.linked
                    links += child.links
                    heads |= child.heads
        if node.tag == "a":
            linked, links = size, links + 1
        if node.tag in _HEADINGS:
            heads.add(node.tag)
        node.size, node.linked, node.links = size, linked, links
        node.heads = frozenset(heads)


def _all_text(node: _Node) -> str:
    parts: list[str] = []
    stack: list[_Node | str] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.tag not in ("script", "style", "template"):
            stack.extend(reversed(item.children))
    return " ".join(parts)


def _inline_text(node: _Node) -> str:
    return _squash(_all_text(node))


def _squash(text: str) -> str:
    return " ".join(text.split())


# -- text out ------------------------------------------------------------------------


class _Renderer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""

    def render(self, root: _Node) -> list[str]:
        self._children(root)
        self.flush()
        return self.blocks

    def _children(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.current.append(child)
            elif not _is_chrome(child):
                self._element(child)

    def _element(self, node: _Node) -> None:
        tag = node.tag
        if tag == "br":
            self.current.append("\n")
        elif tag in _HEADINGS:
            self.flush()
            self.prefix = "#" * int(tag[1]) + " "
            self._children(node)
            self.flush()
        elif tag == "li":
            self.flush()
            self.prefix = "- "
            self._children(node)
            self.flush()
        elif tag == "table":
            self.flush()
            self._table(node)
        elif tag in ("td", "th"):
            self.current.append(" ")
            self._children(node)
            self.current.append(" ")
        elif tag in _BLOCKS:
            self.flush()
            self._children(node)
            self.flush()
        else:
            self._children(node)

    def _table(self, table: _Node) -> None:
        rows = [r for r in table.elements() if r.tag == "tr" and _kept(r, table)]
        first = [c for c in rows[0].children if isinstance(c, _Node)] if rows else []
        headed = bool(first) and all(c.tag == "th" for c in first if c.tag in ("td", "th"))
        nested = any(n.tag == "table" for n in table.elements())
        if not headed or nested or len(rows) < 2:
            self._children(table)  # rows as lines of cells
            self.flush()
            return
        lines = []
        for i, row in enumerate(rows):
            cells = [
                _squash(" ".join(_Renderer().render(c))).replace("|", "/")
                for c in row.children
                if isinstance(c, _Node) and c.tag in ("td", "th")
            ]
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                lines.append("|" + "---|" * len(cells))
        self.blocks.append("\n".join(lines))

    def flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(self.prefix + text)
        self.prefix = ""
