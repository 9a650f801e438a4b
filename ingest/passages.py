"""Long assets into passages a note can be matched against.

A passage is one or more whole sentences, about MIN_WORDS to MAX_WORDS words, that
never crosses a ``##`` heading unless the section it would close is still short.
Paragraph breaks are preferred to sentence breaks; a sentence is never cut (only a
"sentence" longer than 3 x MAX_WORDS, which is a table or a text dump rather than
prose, is cut by words). Every passage starts with the asset title (and its section
heading), so it still says what it is about when read alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MIN_WORDS = 60
MAX_WORDS = 180

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[*_]?[A-Z0-9])")
_ABBREVIATIONS = {
    "e.g.",
    "i.e.",
    "etc.",
    "vs.",
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "inc.",
    "ltd.",
    "co.",
    "approx.",
    "incl.",
    "no.",
    "st.",
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "sept.",
    "oct.",
    "nov.",
    "dec.",
    "u.s.",
    "u.k.",
}


def clean_inline(text: str) -> str:
    """Markdown inline markup to plain words: links, images, emphasis, code, tags."""
    text = re.sub(r"<!--.*?-->", " ", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>\s][^>]*>", " ", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Section:
    heading: str | None
    paragraphs: list[list[str]] = field(default_factory=list)  # each: its sentences/items


def sections(markdown: str, drop_title: bool = True) -> list[_Section]:
    """The body as sections (split at headings) of paragraphs of sentences."""
    out = [_Section(None)]
    block: list[str] = []
    fenced = False
    table_header: list[str] | None = None

    def close() -> None:
        nonlocal table_header
        units = _units(block)
        if units:
            out[-1].paragraphs.append(units)
        block.clear()
        table_header = None

    seen_text = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            close()
            fenced = not fenced
            continue
        if fenced:
            if line.strip():
                out[-1].paragraphs.append([line.strip()])
            continue
        heading = _HEADING.match(line)
        if heading:
            close()
            title = clean_inline(heading.group(2))
            if drop_title and not seen_text and len(heading.group(1)) == 1:
                seen_text = True
                continue  # the document title: every passage carries it anyway
            out.append(_Section(title))
            seen_text = True
            continue
        if not line.strip():
            close()
            continue
        seen_text = True
        if line.lstrip().startswith("|"):
            if _TABLE_RULE.match(line):
                continue
            cells = [clean_inline(c) for c in line.strip().strip("|").split("|")]
            if table_header is None:
                close()
                table_header = cells
                continue
            row = "; ".join(
                f"{h}: {c}" if h else c for h, c in zip(table_header, cells, strict=False) if c
            )
            out[-1].paragraphs.append([row + "."])
            continue
        block.append(line)
    close()
    return [s for s in out if s.paragraphs or s.heading]


def _units(lines: list[str]) -> list[str]:
    """A paragraph's sentences; list items stay whole, one unit each."""
    items: list[str] = []
    for line in lines:
        if _LIST_ITEM.match(line) or not items:
            items.append(_LIST_ITEM.sub("", line, count=1))
        else:
            items[-1] += " " + line.strip()
    units: list[str] = []
    for item in items:
        text = clean_inline(item)
        if text:
            units.extend(split_sentences(text))
    return units


def split_sentences(text: str) -> list[str]:
    pieces = _SENTENCE_END.split(text)
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        last = out[-1].rsplit(" ", 1)[-1].lower() if out else ""
        if out and (last in _ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last)):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def split_passages(
    title: str, body: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[str]:
    """Passages of ~min_words..max_words whole sentences, each prefixed with the title."""
    packed: list[_Passage] = []
    cur: _Passage | None = None
    for s_index, section in enumerate(sections(body)):
        lead = _lead_in(section.heading)
        for paragraph in section.paragraphs:
            crossing = cur is not None and cur.section != s_index
            size = sum(_count(u) for u in paragraph) + (_count(lead) if crossing else 0)
            if cur and cur.words >= min_words and (crossing or cur.words + size > max_words):
                packed.append(cur)
                cur = None
            for unit in _long(paragraph, max_words):
                n = _count(unit)
                extra = _count(lead) if cur and cur.section != s_index else 0
                if cur and cur.words and cur.words + extra + n > max_words:
                    packed.append(cur)
                    cur = None
                if cur is None:
                    cur = _Passage(s_index, section.heading)
                elif cur.section != s_index:
                    cur.run_into(s_index, lead)  # a short section runs on into this one
                cur.add(unit, n, paragraph)
    if cur and cur.words:
        packed.append(cur)
    if len(packed) > 1 and packed[-1].words < min_words:
        last = packed[-1]
        lead = _lead_in(last.heading) if last.heading != packed[-2].heading else ""
        if packed[-2].words + last.words + _count(lead) <= max_words:
            packed[-2].merge(packed.pop(), lead)
    if not packed:
        return [title.strip()] if title.strip() else []
    return [p.render(title) for p in packed]


@dataclass
class _Passage:
    section: int
    heading: str | None
    paragraphs: list[list[str]] = field(default_factory=list)
    words: int = 0
    _source: object = None

    def add(self, unit: str, n: int, paragraph: list[str]) -> None:
        if self._source is paragraph and self.paragraphs:
            self.paragraphs[-1].append(unit)
        else:
            self.paragraphs.append([unit])
            self._source = paragraph
        self.words += n

    def run_into(self, section: int, lead: str) -> None:
        self.section = section
        if lead:
            self.paragraphs.append([lead])
            self.words += _count(lead)
        self._source = None

    def merge(self, other: _Passage, lead: str) -> None:
        if lead:
            self.paragraphs.append([lead])
        self.paragraphs.extend(other.paragraphs)
        self.words += other.words + _count(lead)

    def render(self, title: str) -> str:
        head = " — ".join(t for t in (title.strip(), self.heading) if t)
        text = "\n\n".join(" ".join(p) for p in self.paragraphs)
        return f"{head}\n\n{text}" if head else text


def _lead_in(heading: str | None) -> str:
    """A section heading written inline where a passage runs on into that section."""
    if not heading:
        return ""
    return heading if heading[-1] in ".:?!" else heading + ":"


def _count(text: str) -> int:
    return len(text.split())


def _long(units: list[str], max_words: int) -> list[str]:
    """Units, with any over 3 x max_words (no sentence is that long) cut by words."""
    out: list[str] = []
    for unit in units:
        words = unit.split()
        if len(words) <= 3 * max_words:
            out.append(unit)
        else:
            out.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words))
    return out
