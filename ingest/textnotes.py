"""Plain call-note files (.txt / .md) read as the notes they hold: one, or a log of many.

A rep's file is either one meeting note (the demo's ``rep_notes/*.md``) or a running log:
a ``calls-acme.md`` with a ``## 2026-03-14 — Discovery with Acme`` section per meeting,
a ``notes.txt`` of dated paragraphs (``3/14/26 - Acme: ...``, ``14 March 2026``,
``Mon 14 Mar``), a bullet list with one logged item per top-level bullet
(``- 2026-03-14 Acme (Jordan): asked whether ...``), entries between ``---`` / ``***``
lines. ``read_text_notes`` turns one file's text into plain ``TextEntry`` records and
``TextProblem`` records (the rejects); it reads no file and touches no workspace.

**When a file is split.** Only where the sections are separate entries: they carry
dates. The first shape that fits, in this order, decides (``TextNotes.shape``):

1. ``headings``: Markdown headings (or whole-line ``**bold**`` lines) with a date at the
   start (``## 2026-03-14 — Discovery``) or at the end after a dash, bar, comma or in
   brackets (``## Discovery with Acme (14 Mar)``). The entry level is the heading level
   with the most dated headings. Two or more make a log; one makes a log when it is not
   under an undated heading of its own level and has at most the file's title above it
   (so a log with one entry so far is already a log, and appending to it keeps ids).
   Each dated heading at that level (or shallower) starts an entry. An undated heading
   at the same level or deeper is part of the entry above it (reps write ``## Next
   steps`` at the meeting's level); an undated shallower heading (``# April``) ends it.
   A ``---`` inside a section is a divider within that entry.
2. ``bullets``: top-level list items, when more than half of them start with a date.
   Every top-level bullet is one entry (an undated one has no date of its own); nested
   bullets and indented lines belong to it.
3. ``paragraphs``: lines that start with a date, at the start of a paragraph, or on
   any line when the date has a year or is followed by a dash, colon or bar or ends the
   line (``3/14/26 - Acme: ...`` line after line; a wrapped line that starts ``3/20 to
   review`` is not an entry). Undated paragraphs and headings after one are part of it;
   a ``---`` line ends it.
4. ``sections``: ``---`` / ``***`` / ``___`` lines, when at least two of the parts they
   make start with a date (or a ``Date:`` line).
5. ``whole``: anything else is one note, exactly as before this module: a single
   meeting note with structural headings (``## Attendees``, ``## Discussion``, ``**Pain
   points:**``) stays one note, with its ``# heading`` as a title. So does a note whose
   only dated heading is its first-line ``# 2026-03-14 Acme discovery`` title (its id
   stays the file stem, as before; the title's date is used when the file name has
   none, and ignored when it cannot be read, as it always was).

Bullets and paragraphs are only a log when little prose comes before the first dated
one (two lines at most), or when there are three dated ones or more not right under a
label such as ``Next steps:``. So a meeting note whose next steps are dated bullets
stays one note.

**What is not an entry.** Text before the first entry is the file's own note, read as
a whole-file note is (a first-line ``# heading`` is its title; field lines at its top
apply to every note of the file), with the file's id, the stem: a single note that
later gets dated sections appended keeps its id and text. When that text is one short
line without a full stop (``Jordan's call notes - running file``), it is the file's
title, not a note. Text after a rule or under an undated shallower heading, outside any entry, is an
undated entry. A part that is truly empty, or holds only headings (titles), is skipped
silently. A dated entry with nothing under its heading (or nothing after its date) is
not a note: it is a problem naming its line. A whole file that is only a heading
remains a note made of that heading, as before.

**Dates** are read with ``ingest.values.parse_date``: ISO ``2026-03-14``, US
``3/14/26`` and ``3/14/2026`` (day first when the file's numeric dates say so, decided
once per file with ``is_dayfirst``), ``14.03.2026``, ``14 March 2026``, ``Mar 14th,
2026``, with an optional weekday (``Mon 14 Mar``, not checked against the date) and time
(``10:30``, ``2pm``, dropped). A date without a year (``3/14``, ``14 March``, ``Mon 14
Mar``) takes the year of the file: front matter ``year:`` or ``date:``, else a
``YYYY-MM-DD`` or a year in the file name; without one the entry is a problem saying so
(a log across New Year needs the year written). A date-shaped start that cannot be read
(``2026-02-30``, ``13/14/26``, ``Marhc 14``) makes its entry a problem; the other entries
still land. A year-less date is only a date when a dash, colon or bar, the end of the
line or a capital (``3/14 Acme``) follows it: ``3/4 of their agents`` and ``May 3 we
agreed`` are text, and ``24/7`` never is a date.

**Fields.** Front matter (``---`` then ``key: value`` lines then ``---``) gives account,
deal, rep, competitor, stage, kind and date to every note of the file (keys as the
column aliases of ``ingest.columns``: ``company``, ``owner``, ``opportunity`` ...).
``Account: ...`` / ``**Deal:** ...`` lines at the top of an entry set that entry's
fields (at the top of the file, the file's) and leave its text; a value that reads as
a sentence stays text. After an entry's date, a lead-in ``Acme:`` or ``Acme Motors
(Jordan, D-2041):`` gives the account, then a rep (a capitalised name) and a deal (an id
with digits); a lead-in word such as ``Pricing:`` or ``Next steps:`` is not an account.
A heading's words after its date are the entry's ``title`` (not stored with the note,
as a whole-file note's ``# heading`` is not); a bullet's or a line's words are its text.
An undated entry takes the front matter's date, else the date in the file name.

**Ids** (``note_key``): the file's own note is the file stem (unchanged from before);
an entry is ``stem:date:hash``, the hash of its *masked* text, account and deal (as
``ingest.notes.note_id``: never a fingerprint of an email, and the same with or without
``--keep-pii``). Nothing depends on where a section sits, so re-importing adds nothing
and appending (or prepending) a section adds only that section. Two sections with the
same date get different ids unless their text, account and deal are the same too; then
they are the same note, counted once. Editing an old section gives it a new id: the
edited text is added and the old one stays.

**Lines** are 1-based as an editor numbers them: an entry's ``line`` is its heading,
bullet or dated line; the file's own note is line 1.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import textwrap
from collections import Counter
from dataclasses import dataclass

from ingest.columns import ALIASES, header_key
from ingest.privacy import mask
from ingest.values import KINDS_TEXT, as_text, is_dayfirst, normalize_kind, parse_date


@dataclass(frozen=True)
class TextEntry:
    """One note found in a text file, before it becomes a ``Note``."""

    text: str
    line: int  # 1-based line where it starts (its heading, bullet or dated line)
    date: str | None = None  # ISO date: its own, else the file's
    title: str | None = None  # a heading's words after the date; not part of the text
    account: str | None = None
    deal: str | None = None
    rep: str | None = None
    competitor: str | None = None
    stage: str | None = None
    kind: str | None = None  # from front matter or a Kind: line; None: the caller decides
    raw: str = ""  # the section as written, heading included
    file_note: bool = False  # the whole file, or the text before its first entry


@dataclass(frozen=True)
class TextProblem:
    """A section that cannot become a note (or a file-level issue): kept as a reject."""

    line: int | None
    reason: str
    raw: str = ""


@dataclass(frozen=True)
class TextNotes:
    shape: str  # whole | headings | bullets | paragraphs | sections
    entries: tuple[TextEntry, ...] = ()
    problems: tuple[TextProblem, ...] = ()


def note_key(stem: str, entry: TextEntry) -> str:
    """The note id of an entry of the file named ``stem`` (see the module docstring)."""
    if entry.file_note:
        return stem
    key = "\0".join(v or "" for v in (mask(entry.text), entry.account, entry.deal))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{stem}:{entry.date or 'undated'}:{digest}"


# -- dates ----------------------------------------------------------------------------

_FULL_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = set(_FULL_MONTHS) | {m[:3] for m in _FULL_MONTHS} | {"sept"}
_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun"
)
_TIME = (
    r"(?:(?:T|\s+at\s+|\s*@\s*|\s+)"
    r"(?:\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?))"
)
_CORE = (
    rf"(?P<date>(?:(?:{_WEEKDAYS})\.?,?\s+)?"
    r"(?:(?P<iso>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"|(?P<num>\d{1,2}(?P<sep>[/.-])\d{1,2}(?P=sep)\d{2,4})"
    r"|(?P<short>(?P<sa>\d{1,2})/(?P<sb>\d{1,2}))"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>[A-Za-z]{3,10})\.?(?:,?\s+(?P<dmy>\d{4}))?"
    r"|(?P<md>[A-Za-z]{3,10})\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+(?P<mdy>\d{4}))?"
    r"))"
    rf"(?P<time>{_TIME})?"
)
_END = r"(?=$|\s|[,;:|)\]\u2013\u2014]|-(?!\d))"
_PREFIX = re.compile(rf"{_CORE}{_END}", re.I)
_SUFFIX = re.compile(
    rf"^(?P<title>.*?\S)(?:\s*[-\u2013\u2014|,:]\s*|\s*[(\[])\s*{_CORE}\s*[)\]]?\s*$", re.I
)
_AFTER = re.compile(r"^[\s\-\u2013\u2014:|,]*")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_LEADING_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?!\d)")


@dataclass(frozen=True)
class _Token:
    """A date-shaped start (or end) of a line, not yet read."""

    text: str  # as written, without a time
    value: str  # what parse_date reads: a numeric date without its weekday
    end: int  # where the rest of the line starts, in the searched string
    form: str  # iso | num | short | named
    has_year: bool
    typo: bool = False  # a misspelt month ("Marhc 14"): never readable
    parts: tuple[str, str] = ("", "")  # a short date's two numbers


def _month(word: str) -> str | None:
    """'ok' for a month name, 'typo' for a near miss of one, else None."""
    w = word.lower().rstrip(".")
    if w in _MONTHS:
        return "ok"
    if len(w) >= 5 and difflib.get_close_matches(w, _FULL_MONTHS, n=1, cutoff=0.8):
        return "typo"
    return None


def _token(m: re.Match | None) -> _Token | None:
    if m is None:
        return None
    stop = m.end()
    text = m.group("date").strip()
    if m.group("iso"):
        return _Token(text, m.group("iso"), stop, "iso", True)
    if m.group("num"):
        return _Token(text, m.group("num"), stop, "num", True)
    if m.group("short"):
        a, b = int(m.group("sa")), int(m.group("sb"))
        if text == "24/7" or a > 31 or b > 31 or min(a, b) > 12 or 0 in (a, b):
            return None  # '24/7 coverage', '50/50': not dates
        return _Token(text, text, stop, "short", False, parts=(m.group("sa"), m.group("sb")))
    word = m.group("dm") or m.group("md")
    state = _month(word)
    if state is None:
        return None
    has_year = bool(m.group("dmy") or m.group("mdy"))
    return _Token(text, text, stop, "named", has_year, typo=state == "typo")


def _prefix(text: str) -> _Token | None:
    """The date a line (a heading's, a bullet's words) starts with."""
    return _token(_PREFIX.match(text))


def _suffix(text: str) -> tuple[_Token, str] | None:
    """A date a heading ends with, and the heading's words before it."""
    m = _SUFFIX.match(text)
    token = _token(m)
    return (token, m.group("title").strip()) if token and m else None


def _numeric(token: _Token) -> str | None:
    """A numeric date written as a/b/2000, for is_dayfirst."""
    if token.form == "short":
        return f"{token.parts[0]}/{token.parts[1]}/2000"
    if token.form == "num" and "." not in token.value:
        a, b, _ = re.split(r"[/-]", token.value)
        return f"{a}/{b}/2000"
    return None


@dataclass(frozen=True)
class _Dates:
    year: str | None
    dayfirst: bool

    def read(self, token: _Token, where: str) -> tuple[str | None, str | None]:
        """(ISO date, None) or (None, the reason it cannot be read)."""
        if not token.has_year and self.year is None:
            return None, (
                f"the date '{token.text}' {where} has no year, and neither the file name nor "
                f"its front matter gives one; write the year ('{token.text} 2026'), or name "
                "the year in the file name or in front matter (year: 2026)"
            )
        if token.form == "short":
            value = f"{token.parts[0]}/{token.parts[1]}/{self.year}"
        elif token.form == "named" and not token.has_year:
            value = f"{token.value} {self.year}"
        else:
            value = token.value
        try:
            if token.typo:
                raise ValueError(value)
            return parse_date(value, self.dayfirst), None
        except ValueError:
            return None, (
                f"unparsable date '{token.text}' {where}; write it as YYYY-MM-DD "
                "(2026-03-14) or 14 Mar 2026"
            )


# -- fields -----------------------------------------------------------------------------

_FIELDS = ("account", "deal", "rep", "competitor", "stage", "kind", "date")
_FIELD_OF = {header_key(a): f for f in _FIELDS for a in ALIASES[f]}
_FIELD_OF.update({"opp": "deal", "year": "year", "title": "title"})
_FIELD_LINE = re.compile(
    r"^\s*(?:[-*+\u2022]\s+)?(?P<key>[A-Za-z][A-Za-z _/-]{0,24}?)\s*:\s*(?P<value>.*?)\s*$"
)
_NAMED = ("account", "rep", "competitor")  # values that are names: start with a capital


def _field(line: str, meta: bool = False) -> tuple[str, str] | None:
    """(field, value) for an 'Account: Acme' line; None for any other line."""
    m = _FIELD_LINE.match(re.sub(r"\*\*|__", "", line))
    if not m:
        return None
    field = _FIELD_OF.get(header_key(m.group("key")))
    value = m.group("value").strip().strip("'\"").strip()
    if field is None or not value or (field in ("year", "title") and not meta):
        return None
    if not meta:  # in a note, a value that reads as a sentence is the note's text
        if len(value) > 80 or value[-1] in ".?!" or len(value.split()) > 8:
            return None
        if field in _NAMED and not value[0].isupper() and not value[0].isdigit():
            return None
        if field == "kind" and normalize_kind(value) is None:
            return None
    return field, value


def _field_block(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Field lines at the top of a part: (fields, the lines after them)."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        found = _field(lines[i])
        if found is None or found[0] in fields:
            break
        fields[found[0]] = found[1]
        i += 1
    if not fields:
        return {}, lines
    return fields, lines[i:]


# -- lead-ins ---------------------------------------------------------------------------

_NAME = r"[A-Z0-9][\w&.'\u2019+-]*(?: [A-Z0-9&][\w&.'\u2019+-]*){0,3}"
_LEAD = re.compile(rf"^(?P<name>{_NAME})(?:\s*\((?P<paren>[^()]{{1,60}})\))?\s*:(?:\s+|$)")
_LEAD_HEADING = re.compile(rf"^(?P<name>{_NAME})\s*\((?P<paren>[^()]{{1,60}})\)\s*$")
_NOT_ACCOUNT = set(
    "next steps step todo to-do action actions items item notes note summary attendees "
    "agenda pain points point objection objections question questions update follow-up "
    "followup follow up call meeting demo discovery pricing price security re fyi q a ps "
    "decision risk risks blocker blockers outcome context background recap takeaways "
    "concern concerns feedback status owner deal rep account stage competitor date me we "
    "they i he she customer prospect also timeline budget".split()
)
_DEAL_ID = re.compile(r"[A-Z]{1,6}-?\d{2,}[A-Z0-9-]*")
_PERSON = re.compile(r"[A-Z][a-z]+(?:[ -][A-Z][a-z]*\.?)?")


def _lead_in(text: str, heading: bool = False) -> tuple[dict[str, str], str]:
    """'Acme (Jordan): asked ...' -> ({account, rep}, 'asked ...'); else ({}, text)."""
    m = _LEAD.match(text) or (_LEAD_HEADING.match(text) if heading else None)
    if not m:
        return {}, text
    name = m.group("name").strip()
    if any(w.lower().strip(".") in _NOT_ACCOUNT for w in name.split()):
        return {}, text
    fields = {"account": name}
    for part in re.split(r"[,/;]", m.group("paren") or ""):
        part = part.strip()
        if not part:
            continue
        if _DEAL_ID.fullmatch(part) and "deal" not in fields:
            fields["deal"] = part
        elif _PERSON.fullmatch(part) and "rep" not in fields:
            fields["rep"] = part
        else:
            return {}, text  # 'Acme (renewal):' is not a lead-in
    return fields, text[m.end() :].strip()


# -- lines ------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BOLD = re.compile(r"^ {0,3}(\*\*|__)(?P<t>[^*_\s].*?)\1\s*:?\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+(?P<t>.*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LABEL = re.compile(r":\s*$")
_BOLD_LEVEL = 7  # a whole-line **bold** line is a heading below ######


@dataclass
class _Line:
    no: int  # 1-based line number in the file
    raw: str
    kind: str  # blank | rule | heading | bullet | text
    level: int = 0  # heading level; a bullet's indentation
    words: str = ""  # a heading's or bullet's text; a text line stripped
    token: _Token | None = None
    rest: str = ""  # the words after the date (a heading's without it, if at its end)
    sep: bool = False  # the date is followed by a dash, colon or bar, or ends the line


def _classify(lines: list[str], first_no: int) -> list[_Line]:
    out: list[_Line] = []
    fence = None
    for offset, raw in enumerate(lines):
        no = first_no + offset
        m = _FENCE.match(raw)
        if fence is not None or m:
            if fence is None:
                fence = m.group(1)[0]
            elif m and m.group(1)[0] == fence:
                fence = None
            out.append(_Line(no, raw, "text" if raw.strip() else "blank", words=raw.strip()))
            continue
        if not raw.strip():
            out.append(_Line(no, raw, "blank"))
        elif _RULE.match(raw):
            out.append(_Line(no, raw, "rule"))
        elif m := _HEADING.match(raw):
            out.append(_heading(no, raw, len(m.group(1)), m.group(2)))
        elif m := _BOLD.match(raw):
            out.append(_heading(no, raw, _BOLD_LEVEL, m.group("t").rstrip(":").strip()))
        elif m := _BULLET.match(raw):
            line = _Line(no, raw, "bullet", len(m.group("indent").expandtabs(4)), m.group("t"))
            _dated(line, m.group("t"))
            out.append(line)
        else:
            line = _Line(no, raw, "text", len(raw) - len(raw.lstrip()), raw.strip())
            _dated(line, raw.strip())
            out.append(line)
    return out


def _heading(no: int, raw: str, level: int, words: str) -> _Line:
    line = _Line(no, raw, "heading", level, words)
    _dated(line, words, heading=True)
    if line.token is None and (found := _suffix(words)):
        line.token, line.rest, line.sep = found[0], found[1], True
    return line


def _dated(line: _Line, words: str, heading: bool = False) -> None:
    token = _prefix(words)
    if token is None:
        return
    after = words[token.end :]
    sep = not after.strip() or bool(re.match(r"\s*[-\u2013\u2014:|]", after))
    plain = not re.match(r"\s+[A-Z0-9(\"'\u201c]", after)
    if not heading and not token.has_year and not sep and plain:
        return  # '3/4 of their agents', 'May 3 we agreed': not a dated line
    line.token, line.sep = token, sep
    line.rest = after[_AFTER.match(after).end() :].strip()


# -- shapes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    shape: str
    starts: tuple[int, ...] = ()  # indexes of the lines that start entries
    level: int = 0  # headings: the entry level


def _plan(lines: list[_Line]) -> _Plan:
    return (
        _headings(lines)
        or _bullets(lines)
        or _paragraphs(lines)
        or _sections(lines)
        or _Plan("whole")
    )


def _headings(lines: list[_Line]) -> _Plan | None:
    dated = [i for i, ln in enumerate(lines) if ln.kind == "heading" and ln.token]
    if not dated:
        return None
    counts = Counter(lines[i].level for i in dated)
    level = max(counts, key=lambda lv: (counts[lv], -lv))
    if counts[level] == 1:
        first = next(i for i in dated if lines[i].level == level)
        heads = [i for i, ln in enumerate(lines) if ln.kind == "heading"]
        above = [i for i in heads if lines[i].level < level]
        sibling = any(lines[i].level == level and i < first for i in heads)
        content = [i for i, ln in enumerate(lines) if ln.kind != "blank"]
        if len(dated) == 1 and level == 1 and first == content[0]:
            return _Plan("whole", (first,))  # '# 2026-03-14 Acme discovery': a dated title
        if sibling or len(above) > 1 or (above and above[0] != content[0]):
            return None
    starts = tuple(i for i in dated if lines[i].level <= level)
    return _Plan("headings", starts, level)


def _bullets(lines: list[_Line]) -> _Plan | None:
    bullets = [i for i, ln in enumerate(lines) if ln.kind == "bullet"]
    if not bullets:
        return None
    top = min(lines[i].level for i in bullets)
    items = [i for i in bullets if lines[i].level == top]
    dated = [i for i in items if lines[i].token and not lines[i].token.typo]
    if not dated or 2 * len(dated) <= len(items) or not _log_like(lines, items[0], len(dated)):
        return None
    return _Plan("bullets", tuple(items))


def _paragraphs(lines: list[_Line]) -> _Plan | None:
    starts = []
    for i, ln in enumerate(lines):
        if ln.kind != "text" or ln.token is None or ln.token.typo or ln.level > 1:
            continue
        new_paragraph = i == 0 or lines[i - 1].kind in ("blank", "rule", "heading")
        if new_paragraph or ln.sep or ln.token.has_year:
            starts.append(i)
    if not starts or not _log_like(lines, starts[0], len(starts)):
        return None
    return _Plan("paragraphs", tuple(starts))


def _sections(lines: list[_Line]) -> _Plan | None:
    if not any(ln.kind == "rule" for ln in lines):
        return None
    starts, dated, first = [], 0, None
    for i, ln in enumerate(lines + [_Line(0, "", "rule")]):
        if ln.kind == "rule":
            if first is not None:
                starts.append(first)
                head = lines[first]
                has_date = head.token is not None and not head.token.typo
                if not has_date:
                    block, _ = _field_block([x.raw for x in lines[first:i]])
                    has_date = "date" in block
                dated += has_date
            first = None
        elif ln.kind != "blank" and first is None:
            first = i
    if dated < 2:
        return None
    return _Plan("sections", tuple(starts))


def _log_like(lines: list[_Line], first: int, dated: int) -> bool:
    """Little prose before the first entry, or many dated entries not under a label."""
    prose = [
        ln
        for ln in lines[:first]
        if ln.kind == "text" and _field(ln.raw) is None and not _LABEL.search(ln.raw)
    ]
    if len(prose) <= 2:
        return True
    before = next((ln for ln in reversed(lines[:first]) if ln.kind != "blank"), None)
    labelled = before is not None and (before.kind == "heading" or bool(_LABEL.search(before.raw)))
    return dated >= 3 and not labelled


# -- parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    lines: tuple[_Line, ...]
    entry: bool  # starts at an entry's line (else loose text)


def _parts(lines: list[_Line], plan: _Plan) -> list[_Part]:
    """The file cut into entries and the loose text between them."""
    starts = set(plan.starts)
    cuts: dict[int, bool] = {i: True for i in starts}  # index -> starts an entry
    n = len(lines)
    for i, ln in enumerate(lines):
        if i in starts or i < plan.starts[0]:
            continue  # the text before the first entry stays whole: the file's own note
        if plan.shape == "headings":
            if ln.kind == "heading" and ln.level < plan.level:
                cuts[i] = False
            elif ln.kind == "rule":
                j = next((k for k in range(i + 1, n) if lines[k].kind != "blank"), n)
                if (
                    j == n
                    or j in starts
                    or (lines[j].kind == "heading" and lines[j].level < plan.level)
                ):
                    cuts[i] = False
        elif plan.shape == "bullets":
            if ln.kind in ("heading", "rule"):
                cuts[i] = False
            elif ln.kind == "text" and ln.level == 0 and i and lines[i - 1].kind == "blank":
                cuts[i] = False  # a paragraph after the list
        elif ln.kind == "rule":
            cuts[i] = False
    parts: list[_Part] = []
    begin, entry = 0, False  # the text before the first cut: the file's own note
    for i in [*sorted(cuts), n]:
        if lines[begin:i]:
            parts.append(_Part(tuple(lines[begin:i]), entry))
        if i < n:
            begin, entry = (i + 1, False) if lines[i].kind == "rule" else (i, cuts[i])
    return parts


def _title_line(text: str) -> bool:
    """A short line with no full stop ('Jordan's call notes 2026'): a file's title."""
    return "\n" not in text and len(text.split()) <= 12 and text[-1] not in ".?!"


def _body(lines: list[str]) -> str:
    """Lines as a note's text: trailing rules and bare headings dropped."""
    kept = "\n".join(lines).split("\n")
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1]) or _HEADING.match(kept[-1])):
        kept.pop()
    return as_text("\n".join(kept)) or ""


# -- the file ---------------------------------------------------------------------------


def read_text_notes(text: str, filename: str) -> TextNotes:
    """The notes in one .txt / .md file's text; ``filename`` gives the stem's date or year.

    Never raises for its content: what cannot be read is a ``TextProblem``.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    all_lines = text.split("\n")
    meta, body_at, problems = _front_matter(all_lines)
    name_date = None
    name_problem = None
    if m := _LEADING_DATE.match(filename):
        try:
            name_date = parse_date(m.group(1))
        except ValueError:
            name_problem = TextProblem(1, f"unparsable date '{m.group(1)}' in the file name", "")
    year = meta.pop("year", None)
    if year is None and meta.get("date"):
        year = meta["date"][:4]
    if year is None and (y := _YEAR_IN_NAME.search(filename.rsplit(".", 1)[0])):
        year = y.group(1)
    lines = _classify(all_lines[body_at:], body_at + 1)
    numeric = [_numeric(ln.token) for ln in lines if ln.token]
    dates = _Dates(year, is_dayfirst([v for v in numeric if v]))
    plan = _plan(lines)
    default = meta.get("date") or name_date
    if plan.shape == "whole" and plan.starts and default is None:
        title = lines[plan.starts[0]]
        default = dates.read(title.token, "")[0]  # unreadable: no date, as before
    if plan.shape == "whole":
        if name_problem and not meta.get("date"):
            return TextNotes("whole", (), (*problems, name_problem))
        entry, problem = _whole(text, all_lines, body_at, meta, default, dates)
        found = (entry,) if entry else ()
        return TextNotes("whole", found, (*problems, *([problem] if problem else [])))
    if name_problem:
        problems.append(name_problem)
    reader = _Reader(meta, default, dates, plan)
    for k, part in enumerate(_parts(lines, plan)):
        reader.add(part, first=k == 0)
    return TextNotes(plan.shape, tuple(reader.entries), (*problems, *reader.problems))


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int, list[TextProblem]]:
    """Fields of a leading '---' block of 'key: value' lines, where the body starts, and
    the problems with its values."""
    if not lines or lines[0].strip() != "---":
        return {}, 0, []
    for j in range(1, min(len(lines), 80)):
        if lines[j].strip() not in ("---", "..."):
            continue
        found: dict[str, tuple[str, int]] = {}
        pairs = 0
        for k in range(1, j):
            line = lines[k]
            if not line.strip() or line[0] in " \t-#":
                continue  # YAML list items, nested values, comments
            if not re.match(r"^[A-Za-z][\w \-]{0,30}:", line):
                return {}, 0, []
            pairs += 1
            if (pair := _field(line, meta=True)) is not None:
                found.setdefault(pair[0], (pair[1], k + 1))
        if not pairs:
            return {}, 0, []
        meta, problems = _meta_values(found)
        return meta, j + 1, problems
    return {}, 0, []


def _meta_values(
    found: dict[str, tuple[str, int]],
) -> tuple[dict[str, str], list[TextProblem]]:
    meta: dict[str, str] = {}
    problems: list[TextProblem] = []
    for field, (value, no) in found.items():
        if field == "date":
            try:
                iso = parse_date(value)
            except ValueError:
                iso = None
            if iso is None:
                problems.append(
                    TextProblem(no, f"unparsable date '{value}' in the front matter", "")
                )
                continue
            value = iso
        elif field == "year":
            if not re.fullmatch(r"(?:19|20)\d{2}", value):
                problems.append(TextProblem(no, f"'{value}' is not a year (front matter)", ""))
                continue
        elif field == "kind":
            kind = normalize_kind(value)
            if kind is None:
                problems.append(
                    TextProblem(
                        no, f"unknown kind '{value}' in the front matter (kinds: {KINDS_TEXT})"
                    )
                )
                continue
            value = kind
        meta[field] = value
    return meta, problems


def _fields_of(meta: dict[str, str]) -> dict[str, str | None]:
    return {f: meta.get(f) for f in ("account", "deal", "rep", "competitor", "stage", "kind")}


def _whole(
    text: str,
    all_lines: list[str],
    body_at: int,
    meta: dict[str, str],
    default: str | None,
    dates: _Dates,
) -> tuple[TextEntry | None, TextProblem | None]:
    """The whole file as one note, read as it always was (a leading '# heading' is a
    title); front matter and field lines at the top set its fields."""
    body = as_text("\n".join(all_lines[body_at:])) or ""
    lines = body.split("\n")
    title = None
    if lines and re.match(r"#\s", lines[0]):
        rest = "\n".join(lines[1:]).strip()
        title = lines[0].lstrip("#").strip()
        body = rest or title  # the heading is a title, not the note (unless it is all)
    fields = _fields_of(meta)
    date = default
    found, after = _field_block(body.split("\n"))
    if found and "\n".join(after).strip():
        body = as_text("\n".join(after)) or ""
        date, problem = _entry_date(found, None, date, dates, 1, text)
        if problem:
            return None, problem
        fields.update({f: v for f, v in found.items() if f != "date"})
    if not body:
        return None, TextProblem(1, "empty note: the file has no text", "")
    if fields.get("kind"):
        fields["kind"] = normalize_kind(fields["kind"])
    return TextEntry(body, 1, date, title, raw=text, file_note=True, **fields), None


def _entry_date(
    found: dict[str, str],
    own: str | None,
    default: str | None,
    dates: _Dates,
    line: int,
    raw: str,
) -> tuple[str | None, TextProblem | None]:
    """An entry's date: its own, else a 'Date:' line's, else the file's."""
    if own is not None or "date" not in found:
        return own or default, None
    token = _prefix(found["date"])
    if token is None or token.end < len(found["date"].rstrip()):
        return None, TextProblem(
            line, f"unparsable date '{found['date']}' in the 'Date:' line", raw
        )
    date, reason = dates.read(token, "in the 'Date:' line")
    return (date, None) if date else (None, TextProblem(line, reason or "", raw))


class _Reader:
    """Turns the parts of a file into entries and problems."""

    def __init__(self, meta: dict[str, str], default: str | None, dates: _Dates, plan: _Plan):
        self.fields = _fields_of(meta)
        self.default, self.dates, self.plan = default, dates, plan
        self.entries: list[TextEntry] = []
        self.problems: list[TextProblem] = []

    def add(self, part: _Part, first: bool) -> None:
        raw = as_text("\n".join(ln.raw for ln in part.lines)) or ""
        if part.entry:
            self._entry(part, raw)
        else:
            self._loose(part, raw, first)

    def _loose(self, part: _Part, raw: str, first: bool) -> None:
        """Text outside any entry: the file's own note (first), or an undated entry."""
        lines = list(part.lines)
        title = None
        while lines and lines[0].kind in ("blank", "rule"):
            lines.pop(0)
        while lines and lines[0].kind in ("blank", "heading") and not (first and title):
            if lines[0].kind == "heading":  # the file's own note: only a '# heading' line
                if first and not re.match(r"#\s", lines[0].raw):
                    break
                title = title or lines[0].words
            lines.pop(0)
        if not lines:
            return  # empty, or only headings: titles, not notes
        found, after = _field_block([ln.raw for ln in lines])
        if first and found:  # field lines at the top of the file: every note's
            date, problem = _entry_date(found, None, self.default, self.dates, lines[0].no, raw)
            if problem:
                self.problems.append(problem)
            else:
                self.default = date
            self.fields.update({f: v for f, v in found.items() if f != "date"})
            found = {}
        text = _body(after)
        if not text or (first and _title_line(text)):
            return  # nothing, or a one-line title at the top of a .txt log
        date, problem = _entry_date(found, None, self.default, self.dates, part.lines[0].no, raw)
        if problem:
            self.problems.append(problem)
            return
        start = part.lines[0].no if not first else 1
        self._keep(text, start, date, title, found, raw, file_note=first)

    def _entry(self, part: _Part, raw: str) -> None:
        head, body = part.lines[0], [ln.raw for ln in part.lines[1:]]
        where = {
            "heading": "in the heading",
            "bullet": "at the start of the bullet",
            "text": "at the start of the line",
        }[head.kind]
        own, reason = (None, None)
        if head.token is not None:
            own, reason = self.dates.read(head.token, where)
        elif head.kind == "text":  # a part that starts with its 'Date:' line (sections)
            body = [head.raw, *body]
        if reason:
            self.problems.append(TextProblem(head.no, reason, raw))
            return
        title = None
        if head.kind == "heading":
            lead, title = _lead_in(head.rest if head.token else head.words, heading=True)
            title = title or None
            found, after = _field_block(body)
            text = _body(after)
        else:
            first_words = head.rest if head.token else ""
            if head.token is None and head.kind == "bullet":
                first_words = head.words
            lead, first_words = _lead_in(first_words)
            found, after = _field_block(body)
            rest = "\n".join(after)
            if head.kind == "bullet":
                rest = textwrap.dedent(rest)
            text = _body([first_words, *rest.split("\n")])
        if not text and head.token is None and "date" not in found:
            return  # an undated part with nothing in it (a heading alone): a title
        if not text and head.kind == "heading" and head.level < self.plan.level:
            return  # a dated heading over the entries (a week's, a month's): a title
        if not text:
            label = head.words if head.kind == "heading" else head.raw.strip()
            self.problems.append(
                TextProblem(
                    head.no,
                    f"nothing under '{label}': a dated entry needs some text (add the notes, "
                    "or remove the line)",
                    raw,
                )
            )
            return
        date, problem = _entry_date(found, own, self.default, self.dates, head.no, raw)
        if problem:
            self.problems.append(problem)
            return
        self._keep(text, head.no, date, title, {**lead, **found}, raw)

    def _keep(
        self,
        text: str,
        line: int,
        date: str | None,
        title: str | None,
        found: dict[str, str],
        raw: str,
        file_note: bool = False,
    ) -> None:
        fields = dict(self.fields)
        fields.update({f: v for f, v in found.items() if f in fields and v})
        if fields.get("kind"):
            fields["kind"] = normalize_kind(fields["kind"])
        self.entries.append(
            TextEntry(text, line, date, title, raw=raw, file_note=file_note, **fields)
        )


__all__ = ["TextEntry", "TextNotes", "TextProblem", "note_key", "read_text_notes"]
