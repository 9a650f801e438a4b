"""The gap brief: what a writer needs to turn a theme into content.

For one theme: the prospect's question in their words, the five quotes that say
it best, the deals and money involved, the competitors named alongside it, the
closest existing content and what it misses, and a suggested format and funnel
stage, each with the reason it was suggested. Everything is read from the
workspace and the notes' own words; nothing is generated.

How each part is chosen:

- **The question.** Sentences of the theme's notes that ask something: ending
  in "?", or reported ("asked whether agents can reply in English") and turned
  into a direct question ("Can agents reply in English?"). The one sharing most
  of the theme's keywords wins, representative notes first. With none, the
  label is phrased as a question.
- **Quotes.** The theme's most representative notes (as the analysis ranked
  them), at most one per account while others remain, then by deal value.
- **What the closest content misses.** The theme's keywords its text never uses.
- **Format**, first rule that holds: one competitor named (in the note's text)
  in at least ``BATTLECARD_SHARE`` of the notes: a battlecard; two or more named in at least
  ``COMPARISON_SHARE`` each: a comparison page; loss reasons or lost deals at
  least ``PROOF_SHARE``: a case study (proof); how-to words ("set up",
  "configure", "integrate"...) in at least ``HOWTO_SHARE``: a how-to; else an
  FAQ entry.
- **Funnel stage**: where most of the theme's notes were said, by the deal
  stage they carry (discovery: TOFU; demo and evaluation: MOFU; security
  review, proposal, negotiation and closing: BOFU).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from analysis.browse import MENTION, Quote
from analysis.overrides import status_text
from analysis.results import NoAnalysis, current_run
from gaplens.store import Store

QUOTES = 5
BATTLECARD_SHARE = 0.30
COMPARISON_SHARE = 0.15
PROOF_SHARE = 0.40
HOWTO_SHARE = 0.30
MAX_NOTES = 400  # notes read for the question and the format (most representative first)

STAGE_WORDS = {
    "TOFU": ("discovery", "qualif", "prospect", "lead", "intro", "awareness", "first call"),
    "MOFU": ("demo", "evaluat", "trial", "poc", "pilot", "technical", "solution", "consider"),
    "BOFU": (
        "security", "proposal", "negotiat", "procure", "contract", "legal", "closed",
        "commit", "verbal", "decision", "quote",
    ),
}  # fmt: skip
STAGE_TEXT = {"TOFU": "top of funnel", "MOFU": "middle of funnel", "BOFU": "bottom of funnel"}
HOWTO = re.compile(
    r"\b(how (do|does|would|can|to)|set ?up|setting up|configur\w*|integrat\w*|connect\w*|"
    r"install\w*|migrat\w*|step[- ]by[- ]step|walk ?through|import\w*)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+[?]|[^.!?\n]+[.!\n]?")
_REPORTED = re.compile(
    r"\b(?:asked|asks|asking|wanted to know|wants to know|want to know|wondered|"
    r"wondering|question(?:ed)? (?:was|is|about)?)\s*(?:me|us|you|again)?\s*"
    r"(whether|if|how|why|what|when|where|who|which|about)\s+(.+)",
    re.I,
)
_AUX = {
    "can", "could", "will", "would", "is", "are", "was", "were", "does", "do", "did",
    "has", "have", "should", "must", "may",
}  # fmt: skip
_VERBS = {
    "need", "have", "want", "get", "use", "support", "offer", "allow", "integrate", "work",
    "handle", "provide", "sign", "store", "keep", "let", "require", "charge", "include",
    "learn", "send", "sync", "show", "train", "retain", "share", "log", "cover", "expose",
    "encrypt", "block", "enforce", "move", "migrate", "import", "export", "run", "host",
}  # fmt: skip
_PRONOUN = {"we": "you", "our": "your", "us": "you", "they": "we", "their": "our", "them": "us"}


@dataclass(frozen=True)
class Suggestion:
    value: str
    reason: str


@dataclass(frozen=True)
class Closest:
    asset_id: str
    title: str
    type: str | None
    url: str | None
    coverage: float
    status: str  # the theme's content status (no content | weak | covered)
    passage: str | None
    misses: tuple[str, ...]  # theme keywords the asset never uses
    outdated: bool
    linked: bool


@dataclass(frozen=True)
class GapBrief:
    theme_id: int
    label: str
    question: str  # the prospect's question, in their words where the notes have one
    question_source: str | None  # the note it came from (None: phrased from the label)
    asked: int  # notes that ask something with the theme's words
    notes: int
    keywords: tuple[str, ...]
    quotes: list[Quote]
    status: str
    is_gap: bool
    score: float | None
    closest: Closest | None
    format: Suggestion
    stage: Suggestion
    impact: object | None  # analysis.impact.ThemeImpact


# -- the question --------------------------------------------------------------


def sentences(text: str) -> list[str]:
    return [s.strip(" -•*\t") for s in _SENTENCE.findall(text) if len(s.split()) >= 3]


def as_question(sentence: str) -> str | None:
    """A sentence that asks something, as a direct question; None when it asks nothing."""
    s = " ".join(sentence.split()).strip(" -–—:;,")
    if s.endswith("?"):
        # "Oskar asked: can we drop the footer?" -> the part after the colon
        head, _, tail = s.rpartition(":")
        s = tail.strip() if head and len(tail.split()) >= 3 else s
        return s[0].upper() + s[1:]
    m = _REPORTED.search(s)
    if not m:
        return None
    word, rest = m.group(1).lower(), m.group(2).rstrip(" .!;,")
    rest = re.split(r"\s+(?:-|–|—)\s+|;\s+|\.\s+", rest)[0]
    words = [_PRONOUN.get(w.lower(), w) for w in rest.split()]
    if len(words) < 2:
        return None
    if word in ("whether", "if"):
        # "whether agents can reply in English" -> "Can agents reply in English?"
        for i, w in enumerate(words[:5]):
            if w.lower() in _AUX and i > 0:
                subject, verb, tail = words[:i], w.lower(), words[i + 1 :]
                return f"{verb.capitalize()} {' '.join(subject)} {' '.join(tail)}?".replace(
                    " ?", "?"
                )
        # "if we need a PS package" -> "Do we need...", "if the bot learns" -> "Does the bot learn"
        for i, w in enumerate(words[1:4], 1):
            low = w.lower()
            if low in _VERBS:
                return f"Do {' '.join(words)}?"
            base = next((low[:-k] for k in (1, 2) if low[:-k] in _VERBS), None)
            if low.endswith("s") and base:
                return f"Does {' '.join([*words[:i], base, *words[i + 1 :]])}?"
        return f"Is it true that {' '.join(words)}?"
    if word == "about":
        return f"What about {' '.join(words)}?"
    # "how long setup takes" stays close to what was said
    return f"{word.capitalize()} {' '.join(words)}?"


def _overlap(text: str, keywords: tuple[str, ...]) -> int:
    low = text.lower()
    return sum(1 for k in keywords if k.lower() in low)


def pick_question(
    notes: list[tuple[str, str]], keywords: tuple[str, ...], label: str
) -> tuple[str, str | None, int]:
    """(question, note id it came from or None, notes asking with the theme's words)."""
    best: tuple[int, int, str, str] | None = None
    asked = 0
    for rank, (note_id, text) in enumerate(notes):
        found = False
        for s in sentences(text):
            q = as_question(s)
            if not q or len(q.split()) > 30:
                continue
            hits = _overlap(q, keywords)
            if hits:
                found = True
            key = (hits, -rank)
            if hits and (best is None or key > best[:2]):
                best = (hits, -rank, q, note_id)
        asked += found
    if best:
        return best[2], best[3], asked
    # nothing asked in so many words (objections, loss reasons): the statement that says
    # the theme best, as what a rep has to answer
    said = max(
        (
            (_overlap(s, keywords), -rank, s, note_id)
            for rank, (note_id, text) in enumerate(notes)
            for s in sentences(text)
            if 4 <= len(s.split()) <= 30
        ),
        default=None,
    )
    if said and said[0]:
        return f'How do we answer "{said[2].rstrip(" .")}"?', said[3], asked
    topic = " and ".join(p.strip() for p in label.split("/") if p.strip()) or label
    return f"What should we know about {topic}?", None, asked


# -- format and stage ------------------------------------------------------------


def suggest_format(
    *,
    notes: int,
    kinds: dict[str, int],
    competitors: list[tuple[str, int]],
    howto_notes: int,
    asked: int = 0,
) -> Suggestion:
    """The kind of content that would answer the theme, with why."""
    if notes == 0:
        return Suggestion("faq entry", "no notes to go on")
    named = [(c, n) for c, n in competitors if n]
    if (
        named
        and named[0][1] / notes >= BATTLECARD_SHARE
        and (len(named) == 1 or named[1][1] / notes < COMPARISON_SHARE)
    ):
        c, n = named[0]
        return Suggestion(
            "battlecard",
            f"{n} of {notes} notes name {c}: reps need the answer to hand in the call",
        )
    wide = [(c, n) for c, n in named if n / notes >= COMPARISON_SHARE]
    if len(wide) >= 2:
        names = ", ".join(f"{c} ({n})" for c, n in wide)
        return Suggestion(
            "comparison page", f"prospects compare us with several competitors here: {names}"
        )
    losses = kinds.get("loss-reason", 0)
    if losses / notes >= PROOF_SHARE:
        return Suggestion(
            "case study",
            f"{losses} of {notes} notes are loss reasons: a customer who had the same doubt "
            "is the proof",
        )
    if howto_notes / notes >= HOWTO_SHARE:
        return Suggestion(
            "how-to",
            f"{howto_notes} of {notes} notes ask how to set up, connect or move something",
        )
    top = named[0][1] if named else 0
    return Suggestion(
        "faq entry",
        f"{asked} of {notes} notes ask it outright, no competitor is named in more than "
        f"{top} and {losses} are loss reasons: a short answer prospects and reps can find fits",
    )


def funnel_of(stage: str | None) -> str | None:
    low = (stage or "").lower()
    for funnel, words in STAGE_WORDS.items():
        if any(w in low for w in words):
            return funnel
    return None


def suggest_stage(stages: dict[str, int]) -> Suggestion:
    """The funnel stage most of the theme's notes were said in, from their deal stage."""
    per: Counter = Counter()
    named: dict[str, Counter] = {}
    for stage, n in stages.items():
        if "closed" in stage.lower():  # a loss reason's stage says when it ended, not asked
            continue
        f = funnel_of(stage)
        if f:
            per[f] += n
            named.setdefault(f, Counter())[stage] += n
    total = sum(per.values())
    if not total:
        return Suggestion(
            "MOFU", "no deal stage on the notes; most questions come while evaluating"
        )
    funnel, n = max(per.items(), key=lambda kv: (kv[1], kv[0] == "BOFU"))
    where = ", ".join(f"{s} {c}" for s, c in named[funnel].most_common(3))
    return Suggestion(
        funnel, f"{n} of {total} notes with a stage were said in {where} ({STAGE_TEXT[funnel]})"
    )


def missing_words(keywords: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The keywords a text never uses (a keyword counts as used when each of its words is)."""
    low = text.lower()
    out = []
    for k in keywords:
        parts = re.findall(r"[a-z0-9]+", k.lower())
        if parts and not all(re.search(rf"\b{re.escape(p[:5])}", low) for p in parts):
            out.append(k)
    return tuple(out)


# -- the brief ------------------------------------------------------------------


def gap_brief(
    store: Store, theme_id: int, run_id: int | None = None, *, impact=None, as_of: str | None = None
) -> GapBrief:
    """Everything a writer needs for one theme (see the module docstring).

    With ``as_of`` (a day or a quarter), only notes heard by then count: a report on a
    past quarter quotes and reasons from what was known at the time.
    """
    from analysis.impact import as_of_day, theme_impact

    run_id = run_id or current_run(store)["id"]
    db = store.db
    rows = list(db["clusters"].rows_where("run_id = ? and cluster_id = ?", [run_id, theme_id]))
    if not rows:
        raise NoAnalysis(f"the current analysis has no theme {theme_id} (see 'gaplens gaps --all')")
    c = rows[0]
    keywords = tuple(json.loads(c["keywords"] or "[]"))
    examples = json.loads(c["examples"] or "[]")
    fields = f"n.note_id, n.text, n.kind, n.date, n.deal, n.account, n.rep, n.amount, {MENTION}"
    day = as_of_day(as_of)  # a report for a past quarter reads only what was heard by then
    members = list(
        db.query(
            f"select {fields}, n.stage from assignments a join notes n on n.note_id = a.note_id "
            "where a.run_id = ? and a.cluster_id = ? and (? is null or n.date is null "
            "or n.date <= ?) order by n.amount desc nulls last, n.note_id",
            [run_id, theme_id, day, day],
        )
    )
    order = {nid: i for i, nid in enumerate(examples)}
    members.sort(key=lambda r: order.get(r["note_id"], len(order)))
    impact = impact or theme_impact(store, theme_id, run_id, as_of=as_of)

    question, source, asked = pick_question(
        [(r["note_id"], r["text"]) for r in members[:MAX_NOTES]], keywords, c["label"]
    )
    whole = {r["parent_id"] or r["note_id"] for r in members}
    kinds = Counter()
    stages = Counter()
    # a competitor counts for the format where the note itself names it: the field on a
    # note only says the deal has a competitor, not that this note is about it
    names = {c: re.compile(rf"\b{re.escape(c)}\b", re.I) for c, _ in impact.competitors}
    named = Counter()
    seen = set()
    howto = 0
    for r in members:
        nid = r["parent_id"] or r["note_id"]
        if nid in seen:
            continue
        seen.add(nid)
        kinds[r["kind"]] += 1
        if r["stage"]:
            stages[r["stage"]] += 1
        howto += bool(HOWTO.search(r["text"]))
        named.update(c for c, pattern in names.items() if pattern.search(r["text"]))
    fmt = suggest_format(
        notes=len(whole),
        kinds=dict(kinds),
        competitors=named.most_common(),
        howto_notes=howto,
        asked=asked,
    )
    return GapBrief(
        theme_id=theme_id,
        label=c["label"],
        question=question,
        question_source=source,
        asked=asked,
        notes=len(whole),
        keywords=keywords,
        quotes=_quotes(members),
        status=status_text(c["content_status"]) if c["content_status"] else "",
        is_gap=bool(c["is_gap"]),
        score=c["score"],
        closest=_closest(store, c, keywords),
        format=fmt,
        stage=suggest_stage(dict(stages)),
        impact=impact,
    )


def _quotes(members: list[dict], n: int = QUOTES) -> list[Quote]:
    """Representative first, one per account (and per note) while others remain."""
    picked, accounts, notes = [], set(), set()
    for strict in (True, False):
        for r in members:
            if len(picked) == n:
                break
            nid = r["parent_id"] or r["note_id"]
            acct = (r["account"] or "").lower() or nid
            if r in picked or (strict and (acct in accounts or nid in notes)):
                continue
            picked.append(r)
            accounts.add(acct)
            notes.add(nid)
    fields = Quote.__dataclass_fields__
    return [Quote(**{k: r[k] for k in fields}) for r in picked]


def _closest(store: Store, c: dict, keywords: tuple[str, ...]) -> Closest | None:
    asset_id = c["best_asset_id"] or c["auto_asset_id"]
    if not asset_id:
        return None
    a = store.db.execute(
        "select title, type, url, body from assets where asset_id = ?", [asset_id]
    ).fetchone()
    if a is None:
        return None
    passage = None
    if c["best_passage_id"]:
        found = store.db.execute(
            "select text from passages where id = ?", [c["best_passage_id"]]
        ).fetchone()
        passage = found[0] if found else None
    marks = store.db.execute(
        "select outdated from asset_marks where asset_id = ?", [asset_id]
    ).fetchone()
    linked = store.db.execute(
        "select 1 from asset_links where theme_id = ? and asset_id = ? and action = 'link'",
        [c["cluster_id"], asset_id],
    ).fetchone()
    return Closest(
        asset_id=asset_id,
        title=a[0],
        type=a[1],
        url=a[2],
        coverage=c["coverage"] or 0.0,
        status=status_text(c["content_status"]),
        passage=passage,
        misses=missing_words(keywords, f"{a[0]} {a[3] or ''}"),
        outdated=bool(marks and marks[0]),
        linked=bool(linked),
    )
