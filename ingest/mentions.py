"""Splitting a long note into mentions: the parts that carry a prospect's question,
objection, concern or reason.

A call note or a transcript often raises several things ("they want SSO through Okta.
Also worried abt losing 6 yrs of Zentrix history. sent deck, next call Tue"). Embedded
whole it becomes one point between two themes and lands in neither, so a note like that
is stored as its mentions, each clustered on its own, each pointing back at the note
(``Note.parent_id``, ``part``/``parts``, and its character span in the original, which
the workspace keeps whole in ``note_originals``).

How a note is split, in three steps, all rules and word lists (no model, so importing
needs none and the split is the same on every machine):

1. **Units.** Lines that start with a bullet, blank-line paragraphs (a transcript's
   monologues) and sentences are units; a ``;`` also ends one. Full stops after common
   abbreviations (``e.g.``, ``vs.``, ``approx.``, ``Dr.``) and in numbers do not.
2. **What each unit carries.** Cue words score a unit as substance (a question mark,
   "asked whether", "wants to know", "worried", "pushback", "requires", "too
   expensive", "we don't support", "budget frozen", "went with"...) or as small talk and
   logistics ("sent the deck", "next call Tue", "looping in legal", "great call", a
   rep's own to-do such as "Need to build a side-by-side"). A short opening fragment
   with no cue ("Lumen Telecom proposal.") is a heading. A unit with more substance than
   logistics is kept.
3. **Grouping.** Consecutive kept units form one mention when the second one continues
   the first: it opens with a word that points back ("It", "That", "which", "so",
   "but", "because", "We don't", a bare "They"...), or it shares two content words with
   it. An opening that turns to something else ("Also", "Another", "Separately", "And
   the ...", "Their CFO asked ...", "X also wants ...") starts a new mention. A unit
   with no cue of either kind right before or after a mention joins it when it shares a
   content word with it (context: "They run a 40-seat call center"), and is dropped
   otherwise.

What is split: call notes (and transcripts, which are call notes) of two units or more,
and notes of any other kind when they are long (``LONG_WORDS``); short items (a loss
reason, an objection-log line, a question) stay whole, since their one topic is the
point. A note whose every sentence reads as small talk or logistics ("rescheduled to Thu,
sent invite") is kept in the workspace but not analysed; a note in which nothing reads
either way is analysed whole, so no substance is dropped for want of a cue word.

``bench/mentions.py`` measures the split against the labelled notes in
``data/labels/mentions_*.jsonl``; the README reports the figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gaplens.models import Note

LONG_WORDS = 60  # notes of other kinds are split from this many words on
MIN_WORDS = 12  # shorter notes are never split
HEADING_WORDS = 6  # an opening unit this short with at most one cue is a heading
LEAD_IN_WORDS = 3  # a unit this short ("Two sticking points.") is never a mention alone
UNREAD_WORDS = 5  # a note with a sentence this long that reads neither way is kept whole


@dataclass(frozen=True)
class Mention:
    """One part of a note: its text and where it sits in the note's text."""

    text: str
    start: int
    end: int
    carries: str  # question | objection | concern | reason


@dataclass(frozen=True)
class Split:
    mentions: tuple[Mention, ...]
    units: int  # units the note was cut into
    dropped: int  # units left out as small talk or logistics
    unread: int = 0  # units left out with no cue either way (not clearly small talk)


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    text: str
    bullet: bool
    paragraph_start: bool
    meta: bool = False  # under a metadata label ("Stage:", "Next steps:")


# -- units -------------------------------------------------------------------------

_ABBREVIATIONS = {
    "e.g", "i.e", "eg", "ie", "vs", "v", "etc", "approx", "incl", "esp", "min", "max",
    "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp", "st", "no", "nr", "dept",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "wk", "mo", "yr",
    "est", "fig", "cf", "al", "u.s", "a.m", "p.m", "am", "pm", "ca",
}  # fmt: skip
_BULLET = re.compile(r"[ \t]*(?:[-*•▪‣◦–]|\d{1,2}[.)])[ \t]+")
# "Pain: ...", "**Concerns:** ...": a generic field label heads the line and is not quoted;
# a metadata line ("Stage: Discovery", "Attendees: ...") is not a mention at all
_GENERIC_LABELS = (
    r"pain(?: points?)?|concerns?|questions?|objections?|blockers?|risks?|issues?|notes?|"
    r"summary|context|background|asks?|feedback|discussion|highlights?|key points?|"
    r"takeaways?|other"
)
_META_LABELS = (
    r"account|company|customer|stage|deal|opportunity|date|attendees|participants|"
    r"present|who|owner|rep|ae|se|next steps?|action items?|to ?do|follow[- ]?ups?|"
    r"subject|re|call type|meeting|duration|location|contacts?"
)
_LABEL = re.compile(
    rf"[ \t]*(?:\*\*)?(?P<label>{_GENERIC_LABELS}|{_META_LABELS})(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*",
    re.I,
)
_META = re.compile(rf"(?:{_META_LABELS})$", re.I)
_SENTENCE_END = re.compile(
    r"(?:[.!?]+|…)[\"'”’)\]]*(?=\s+\S)|;(?=\s)"
    # "..., and they asked whether ...": a second person or question in the same sentence
    r"|,(?=\s+(?:and|but|plus)\s+(?:they|he|she|their|the|his|her)\b(?:\s+[\w'-]+){0,3}?\s+"
    r"(?:also\s+)?(?:asked|asks|wants?|wanted|needs?|said|raised|mentioned|worried|pushed)\b)"
)


def units(text: str) -> list[_Unit]:
    """The text cut into bullets, paragraphs and sentences, with their spans."""
    out: list[_Unit] = []
    blocks: list[tuple[int, int, bool, bool, bool]] = []  # span, bullet, paragraph, meta
    pos = 0
    new_paragraph, under_meta = True, False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        start, end = pos, pos + len(body)
        pos += len(line)
        if not body.strip():
            new_paragraph = True
            continue
        bullet = _BULLET.match(body)
        label = _LABEL.match(body, bullet.end() if bullet else 0)
        if bullet or label or new_paragraph or not blocks:
            lead = bullet.end() if bullet else len(body) - len(body.lstrip())
            meta = False
            if label:
                lead = label.end()
                meta = bool(_META.match(label.group("label")))
                under_meta = meta and not body[lead:].strip()  # "Next steps:" alone
            elif bullet and under_meta and not new_paragraph:
                meta = True  # a bullet under "Next steps:"
            else:
                under_meta = False
            para = new_paragraph or bool(bullet) or bool(label)
            blocks.append((start + lead, end, bool(bullet), para, meta))
        else:  # a wrapped line continues its paragraph
            b = blocks[-1]
            blocks[-1] = (b[0], end, b[2], b[3], b[4])
        new_paragraph = False
    for b_start, b_end, bullet, para, meta in blocks:
        cut = b_start
        first = True
        for m in _SENTENCE_END.finditer(text, b_start, b_end):
            if m.group().startswith(".") and _abbreviation_before(text, b_start, m.start()):
                continue
            out.extend(_unit(text, cut, m.end(), bullet and first, para and first, meta))
            if out and out[-1].start >= cut:
                first = False
            cut = m.end()
        out.extend(_unit(text, cut, b_end, bullet and first, para and first, meta))
    return out


def _unit(text: str, start: int, end: int, bullet: bool, para: bool, meta: bool) -> list[_Unit]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not re.search(r"\w", text[start:end]):
        return []
    return [_Unit(start, end, text[start:end], bullet, para, meta)]


def _abbreviation_before(text: str, floor: int, dot: int) -> bool:
    m = re.search(r"([A-Za-z](?:\.?[A-Za-z])*)$", text[floor:dot])
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1:  # an initial ("J. Smith"), not the end of "f/u" or "w/o x"
        return word.isupper() and (m.start(1) == 0 or text[floor + m.start(1) - 1] == " ")
    return word.lower() in _ABBREVIATIONS


# -- cues ----------------------------------------------------------------------------


def _cues(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(patterns) + r")(?![\w-])", re.I)


_QUESTION = _cues(
    r"ask(?:ed|ing|s)?(?: \w+)? (?:if|whether|about|how|what|why|where|when|which|who)",
    r"asked for",
    r"want(?:s|ed)? to (?:know|understand|see|confirm|check)",
    r"wonder(?:ed|ing)?",
    r"question(?:s|ed)?",
    r"curious",
    r"whether",
    r"how (?:do|does|did|can|could|would|will|long|much|many|often|fast|quickly|is|are)",
    r"(?:can|could|does|do|will|would) (?:we|you|orbitly|it|they|the \w+)",
    r"is there",
    r"any way",
    r"clarif(?:y|ication)",
    r"confirm(?:ation)?",
)
_OBJECTION = _cues(
    r"push(?:ed|ing)? ?back",
    r"pushback",
    r"objection(?:s|ed)?",
    r"object(?:s|ed)?",
    r"block(?:er|ers|ing|ed)",
    r"sticking points?",
    r"deal[- ]?breakers?",
    r"non[- ]?negotiable",
    r"show[- ]?stoppers?",
    r"hate[sd]?",
    r"dislike[sd]?",
    r"too (?:expensive|pricey|much|long|slow|complex|complicated|heavy|risky|many|few|high|steep)",
    r"(?:expensive|pricey|overpriced|cheaper|costly|steep)",
    r"over (?:budget|their budget)",
    r"(?:above|over|more than|higher than|less than) (?:that|what|their|our|zentrix|the)",
    r"lost (?:to|because|on|the deal)",
    r"went with",
    r"(?:chose|picked|choosing|switch(?:ed|ing)? to|stay(?:ing)? (?:with|on))",
    r"no budget",
    r"budget",
    r"fr[eo]ze[ns]?",
    r"freezes?",
    r"paused?",
    r"on hold",
    r"(?:won't|can't|cannot|couldn't|doesn't|don't|didn't|isn't|aren't|wasn't|not|never|no) "
    r"(?:work|support|supported|have|has|offer|offered|do|fit|fits|approve|sign|move|justify"
    r"|integrate|allow|handle|include|included|available|possible|enough|able|happy|sure|"
    r"convinced|interested|ready|going to|get|see|want|need|like|trust|a fit)",
    r"only (?:approve|sign|buy|move|go ahead|proceed)",
    r"unless",
    r"lack(?:s|ing)?",
    r"missing",
    r"gaps?",
    r"limit(?:s|ed|ation|ations)?",
    r"compared? (?:to|with)",
    r"versus",
    r"vs\.?",
    r"competitor",
    r"downside",
    r"problem",
    r"issue",
    r"pain(?: point)?s?",
    r"struggl(?:e|es|ed|ing)",
    r"frustrat(?:ed|ing|ion)",
    r"complain(?:ed|ing|ts?)?",
    r"churn(?:ed|ing)?",
    r"(?:cost|price|pricing|licen[cs]es?|seats?|renewal|discount)",
)
_CONCERN = _cues(
    r"worr(?:y|ied|ies|ying)",
    r"concern(?:s|ed)?",
    r"nervous",
    r"afraid",
    r"fear(?:s|ed)?",
    r"risk(?:s|y)?",
    r"skeptic(?:al|ism)?",
    r"scepti(?:cal|cism)",
    r"doubts?",
    r"hesitant",
    r"unsure",
    r"not sure",
    r"uneasy",
    r"caution(?:s|ous)?",
    r"requires?",
    r"required",
    r"requirements?",
    r"mandatory",
    r"must(?: have| be| support| not)?",
    r"need(?:s|ed)?",
    r"has to",
    r"have to",
    r"insist(?:s|ed)?",
    r"critical",
    r"expect(?:s|ed)?",
    r"want(?:s|ed)?",
    r"would like",
    r"'d like",
    r"looking for",
    r"hoping",
    r"compliance",
    r"complian(?:t|ce)",
    r"legal",
    r"security",
    r"privacy",
    r"gdpr",
    r"hipaa",
    r"soc ?2",
    r"audit",
)
_REASON = _cues(r"because", r"reason", r"due to", r"since", r"as a result", r"which is why")
_LOGISTICS = _cues(
    r"sent",
    r"send(?:ing)?",
    r"emailed",
    r"forward(?:ed|ing)?",
    r"shared (?:the|a|our|my)",
    r"(?:re)?schedul(?:e|ed|ing)",
    r"book(?:ed|ing)",
    r"calendar",
    r"invites?",
    r"follow[- ]?ups?",
    r"following up",
    r"next (?:steps?|call|meeting|week|wk|time|mon|tue|wed|thu|fri|monday|tuesday|wednesday"
    r"|thursday|friday)",
    r"(?:monday|tuesday|wednesday|thursday|friday|tomorrow|tmrw|eod|eow|asap)",
    r"thanks?",
    r"thank you",
    r"(?:great|good|nice|quick|short|productive|friendly) (?:call|chat|meeting|convo)",
    r"intro(?:duced|duction|s)?",
    r"kick[- ]?off",
    r"recap",
    r"attendees?",
    r"agenda",
    r"loop(?:ed|ing)? in",
    r"cc(?:'d|ed)?",
    r"fyi",
    r"checking",
    r"will check",
    r"to check",
    r"keep(?:ing)? (?:it )?warm",
    r"revisit",
    r"touch(?:ing)? base",
    r"ping(?:ed)?",
    r"ooo",
    r"out of office",
    r"vacation",
    r"holidays?",
    r"weather",
    r"weekend",
    r"redlines?",
    r"docusign",
    r"signature",
    r"slides?",
    r"deck",
    r"one[- ]pager",
    r"(?:joined|dialed in|on the call|hopped on)",
    r"rapport",
    r"small talk",
    r"chatted",
    r"catch(?:ing)? up",
    r"demo(?:ed)? (?:went|scheduled|booked)",
    r"draft(?:ed|ing)?",
    r"prep(?:ping|ared)?",
)
_REP_ACTION = re.compile(
    r"^(?:need to|needs to|will|going to|gonna|to ?do|todo|action(?: item)?s?:|next steps?:|"
    r"i'll|we'll|i will|we will|let me|i'm|we're (?:sending|building|setting)|sending|"
    r"building|setting up|scheduling|booked|booking)\b",
    re.I,
)
_CONTINUES = re.compile(
    r"^(?:it|it's|its|that|that's|this|these|those|which|so|but|because|since|otherwise|"
    r"then|hence|thus|though|although|meaning|i\.e\.?|e\.g\.?|especially|even|plus they|"
    r"we (?:don't|can't|cannot|only|do not|won't|have no)|only|not|no|nope|yes|yeah|"
    r"they|they're|they'd|they've|he|she|he's|she's|(?:and|but) (?:it|that|this|they)|"
    r"(?:needs?|wants?|wanted|asked|asks|says|said|would|wouldn't|can't|won't|doesn't|isn't)"
    r"(?! also))\b",
    re.I,
)
_TURNS = re.compile(
    r"^(?:also|another|separately|additionally|other (?:thing|question|concern|topic)|"
    r"second(?:ly)?|third(?:ly)?|last(?:ly)?|finally|on top of that|beyond that|besides|"
    r"meanwhile|then there's|one more|and (?:the|their|also|another|a)|plus|as for|"
    r"(?:and|plus) (?:they|he|she) (?:also )?(?:asked|asks|wants?|wanted|needs?|raised|"
    r"mentioned)|"
    r"on (?:the )?(?:\w+ )?(?:side|front|topic)|re:|regarding|(?:their|the|his|her) "
    r"(?:\w+ ){0,3}(?:asked|wants|wanted|said|raised|mentioned|needs|requires|is worried|"
    r"was worried|pushed))\b|^\S+(?: \S+)? also\b",
    re.I,
)
_STOP = set(
    "a an the and or but if of to in on for with at by from as is are was were be been "
    "being it its this that these those they them their there we our us you your he she "
    "his her i me my so not no do does did have has had will would can could should may "
    "might must just also very too than then about into over out up down more most some "
    "any all what which who whom when where why how want wants wanted need needs asked "
    "ask said says get got make made one two like know".split()
)  # fmt: skip


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z][a-z0-9]+", text.lower()) if w not in _STOP}


def _classify(unit: _Unit, index: int) -> tuple[str | None, int]:
    """(what the unit carries or None, how strongly: substance minus logistics)."""
    text = unit.text
    question = len(_QUESTION.findall(text)) + (2 if "?" in text else 0)
    objection = len(_OBJECTION.findall(text))
    concern = len(_CONCERN.findall(text))
    reason = len(_REASON.findall(text))
    logistics = len(_LOGISTICS.findall(text))
    if _REP_ACTION.match(text):
        logistics += 2
    if unit.meta:
        logistics += 1
    substance = question + objection + concern + reason
    words = len(text.split())
    if index == 0 and words <= HEADING_WORDS and "?" not in text and substance <= 1:
        return None, -1  # a heading: "Lumen Telecom proposal.", "Acme security review."
    if words <= LEAD_IN_WORDS and "?" not in text:
        return None, 0  # a lead-in ("Two sticking points.", "Concerns:"): context at most
    if substance == 0:
        return None, -logistics
    if substance <= logistics:
        return None, substance - logistics
    scores = {"question": question, "objection": objection, "concern": concern, "reason": reason}
    carries = max(scores, key=lambda k: (scores[k], k == "question"))
    return carries, substance - logistics


def split_mentions(text: str) -> Split:
    """The mentions a note's text holds (none when no unit carries anything)."""
    cut = units(text)
    kinds = [_classify(u, i) for i, u in enumerate(cut)]
    # monologues: a text of several plain paragraphs (a transcript, an email) keeps to one
    # topic per paragraph unless a sentence turns to another
    paragraphs = sum(u.paragraph_start and not u.bullet for u in cut)
    monologues = paragraphs >= 2 and not any(u.bullet for u in cut)
    groups: list[list[int]] = []
    for i, (carries, _score) in enumerate(kinds):
        if carries is None:
            continue
        if groups and groups[-1][-1] == i - 1 and _continues(cut[i - 1], cut[i], monologues):
            groups[-1].append(i)
        else:
            groups.append([i])
    kept = {i for g in groups for i in g}
    # context: a unit with no cue at all next to a mention that shares a word with it
    for g in groups:
        for side, j in ((0, g[0] - 1), (1, g[-1] + 1)):
            if 0 <= j < len(cut) and j not in kept and kinds[j][1] == 0:
                if _context_of(cut[j], [cut[i] for i in g], side):
                    g.insert(0, j) if side == 0 else g.append(j)
                    kept.add(j)
    mentions = []
    for g in groups:
        start, end = cut[g[0]].start, cut[g[-1]].end
        carries = [kinds[i][0] for i in g if kinds[i][0]]
        top = max(set(carries), key=lambda c: (carries.count(c), c == "question"))
        mentions.append(Mention(text[start:end], start, end, top))
    unread = sum(
        1
        for i, (u, (_carries, score)) in enumerate(zip(cut, kinds, strict=True))
        if i not in kept and score == 0 and len(u.text.split()) >= UNREAD_WORDS
    )
    return Split(tuple(mentions), len(cut), len(cut) - len(kept), unread)


def _continues(before: _Unit, unit: _Unit, monologues: bool = False) -> bool:
    text = unit.text.lstrip("\"'“(")
    if re.match(r"[A-Z]{2,}\b", text):
        text = "X " + text  # "IT wants ...", "CFO said ...": a person, not a pronoun
    points_back = bool(_CONTINUES.match(text))
    if unit.bullet:  # each bullet is its own item unless it points back
        return points_back and not _TURNS.match(text)
    if _TURNS.match(text):
        return False
    if points_back or (monologues and not unit.paragraph_start):
        return True
    return len(_stems(before.text) & _stems(text)) >= 2


def _context_of(unit: _Unit, group: list[_Unit], side: int) -> bool:
    if side == 1 and _TURNS.match(unit.text):
        return False
    if side == 1 and not unit.paragraph_start and _CONTINUES.match(unit.text):
        return True  # "They won't enable the bot until that's answered."
    if side == 1 and unit.paragraph_start and not group[-1].paragraph_start:
        return False
    return bool(_stems(unit.text) & _stems(" ".join(u.text for u in group)))


# -- notes -----------------------------------------------------------------------------


def splits(note: Note) -> bool:
    """Whether a note is long enough, and of a kind, to be split into mentions."""
    words = len(note.text.split())
    if words < MIN_WORDS:
        return False
    return note.kind == "call-note" or words >= LONG_WORDS


def mention_notes(note: Note) -> tuple[list[Note], int] | None:
    """The note as its mentions (each a Note pointing back at it), and the number of
    units dropped; None when the note stays whole (short, one unit, or nothing found).

    A mention's id is the note's id and its place (``CN-0042#2``); it keeps all the
    note's fields (date, deal, account, amount, rep...), so every figure shown for a
    theme still counts the deal once.
    """
    if not splits(note):
        return None
    split = split_mentions(note.text)
    if len(split.mentions) == 1 and split.dropped == 0:
        return None
    if not split.mentions:
        if split.unread:  # nothing recognised, but not plainly small talk: analysed whole
            return None
        return [], split.dropped  # small talk and logistics only: kept, not analysed
    n = len(split.mentions)
    parts = [
        replace(
            note,
            note_id=f"{note.note_id}#{k}",
            text=m.text,
            parent_id=note.note_id,
            part=k,
            parts=n,
            span_start=m.start,
            span_end=m.end,
            masked=0,
        )
        for k, m in enumerate(split.mentions, start=1)
    ]
    return parts, split.dropped
