"""HTML pages to the Markdown-like text the passage splitter reads (stdlib html.parser).

Scripts, styles, navigation, page footers and forms are dropped; headings become
``#`` lines, list items ``- `` lines, and other blocks paragraphs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {
    "script",
    "style",
    "nav",
    "noscript",
    "template",
    "svg",
    "footer",
    "form",
    "iframe",
    "head",
    "button",
    "select",
}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "aside",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "details",
    "summary",
    "hr",
    "address",
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
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.skip: list[str] = []
        self.title_parts: list[str] | None = None
        self.title = ""
        self.h1 = ""
        self.in_h1 = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title" and not self.title:
            self.title_parts = []
        if tag in _SKIP and tag not in _VOID:
            self.skip.append(tag)
            return
        if self.skip:
            return
        if tag == "br":
            self.current.append("\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self.flush()
            self.prefix = "#" * int(tag[1]) + " "
            self.in_h1 = tag == "h1" and not self.h1
        elif tag == "li":
            self.flush()
            self.prefix = "- "
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag in _BLOCKS:
            self.flush()

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br" and not self.skip:
            self.current.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            elif tag in self.skip:
                del self.skip[self.skip.index(tag) :]
            return
        if re.fullmatch(r"h[1-6]", tag):
            if self.in_h1:
                self.h1 = " ".join("".join(self.current).split())
                self.in_h1 = False
            self.flush()
        elif tag == "li" or tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if not self.skip:
            self.current.append(data)

    def flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(self.prefix + text)
        self.prefix = ""


def html_to_text(html: str) -> tuple[str, str]:
    """(title, body): title from <title>, else the first <h1>; body as Markdown-ish text."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser.flush()
    title = parser.title or parser.h1
    return title, "\n\n".join(parser.blocks)
