"""Readable names for clusters, made of the phrases the notes themselves use.

Every note is cut into clauses (at punctuation) and each clause into candidate
terms: single words and phrases of up to three words (a hyphenated compound
counts as one) that neither start nor end with a stop word ("data residency",
"per-seat pricing", "price vs Zentrix"); plurals count with their singular. A
term scores high for a cluster when many of the cluster's notes use it and few
notes of other clusters do (class-based TF-IDF on note counts: share of the
cluster's notes x log(1 + average cluster size / notes using the term
anywhere)). A term needs at least two notes of its cluster.

A word gives way to a longer phrase containing it when that phrase accounts
for a good share of the word's uses ("residency" -> "EU data residency"), and
when the two best words recur together the phrase leads ("budget" + "frozen"
-> "budget frozen"). The label is the best term, followed by a second,
unrelated one when the first is short ("SSO / SAML"). Terms keep the spelling
the notes give them: acronyms upper-case, names capitalised as written
("CaseBloom"), a capital that only starts a sentence dropped. Labels are made
unique across the run by adding each clashing theme's next distinguishing term.

English stop words, the filler words sales notes are full of ("asked", "call",
"prospect") and the domain stop words the caller adds (company and product
names, one word or several, any case) never make a term; a domain stop word
never appears in a label or keyword at all. Everything is computed from note
counts and sorted with explicit tie-breaks, so the same notes in any order get
the same names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

SALES_FILLER = frozenset(
    """
    asked ask asking asks said says say told tell mentioned mention noted note notes call calls
    called meeting meet met prospect prospects customer customers client clients team teams
    guy guys person people wants want wanted need needs needed like just really also
    think thinks thought going get got gets know knows let lets make sure follow followup
    thing things stuff lot bit way yes yeah ok okay fyi pls re w wk tmrw tomorrow today
    week weeks month months day days time next last still again maybe would could should
    us we our ours they them their theirs he she his her him it its one two new
    abt approx basically actually honestly probably pretty vs versus via etc eg ie asap tbh
    yr yrs mo hr hrs wks min mins thx thanks hi hello
    """.split()
)

# Words of sklearn's English list that name things sales notes (and their
# prospects) talk about: "bill", "interest", "system", "part time", "full seat".
_CONTENT_WORDS = frozenset(
    """
    amount back bill bottom computer describe detail empty fill find fire front full
    interest mill move name part show side system thick thin top
    """.split()
)

STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - _CONTENT_WORDS) | SALES_FILLER

# Words that may sit inside a phrase ("loss of history", "price vs Zentrix");
# "per" may also start one ("per seat pricing").
_CONNECTORS = frozenset("of vs versus per for to and in on from".split())
_LEADERS = frozenset({"per"})

# Acronyms shown upper-case even when the notes write them in lower case.
# Words that are also ordinary English ("it", "us", "ad") are left out.
ACRONYMS = frozenset(
    """
    ai api apr atm baa bi bpo byod ccpa cfo cio ciso cmo coo cpa crm csat cso csv cto cx
    dpa dpo dpia erp eu faq fedramp gdpr hipaa hris ivr iso kb kpi llm mfa nda nps okr pci
    phi pii poc pto qa qbr rbac rfp rfi roi saml scim sdk seo sla sms smb soc sox sso tco ui
    uk url usd ux vpn
    """.split()
)

PHRASE_SHARE = 0.5  # a phrase replaces a word when it has at least this share of its notes
PAIR_SHARE = 0.2  # two top words become their phrase when it has this share of the first's notes
PAIR_SHARE_BOTH = 0.5  # ... and this share of the notes using both words
SECOND_SHARE = 0.35  # a second term joins the label when it scores this share of the first
CANDIDATES = 40  # best-scoring terms of a cluster considered for its keywords

# A word or hyphenated compound ("sub-processor", "Zentrix's"), a sentence break,
# or another clause break (no phrase runs across a break).
_TOKEN = re.compile(
    r"([^\W_]+(?:['’][^\W_]+)*(?:-[^\W_]+(?:['’][^\W_]+)*)*)"
    r"|([.!?;:\n\r•*#(\"“”–—]|(?<!\S)-+|-+(?!\S)|--+)"
    r"|([,)\[\]{}|/\\=+&<>…~^@$%\t'’‘`])"
)
_APOSTROPHE = re.compile(r"['’]")
_MISSING = object()


@dataclass(frozen=True)
class ThemeName:
    """A cluster's label and its keywords (best first).

    Keywords are spelled as the notes mostly spell them; the label too, with known
    acronyms upper-case even where the notes write them in lower case ("sso" -> "SSO").
    """

    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class _Term:
    key: str  # lower-case singular words joined by single spaces
    notes: int  # notes of the cluster that use it
    score: float


class _Analyzer:
    """Cuts a note into its candidate terms (lower-case keys) and the spellings of its words."""

    def __init__(self, stop_words: frozenset[str]):
        self.stop = stop_words
        self.cache: dict[str, tuple[str, bool] | None] = {}

    def unit(self, raw: str) -> tuple[str, bool] | None:
        """(key, is_stop) of a word or compound; None for a number."""
        info = self.cache.get(raw, _MISSING)
        if info is _MISSING:
            info = self.cache[raw] = self._unit(raw)
        return info

    def _unit(self, raw: str) -> tuple[str, bool] | None:
        parts = []
        for part in raw.lower().split("-"):
            pieces = _APOSTROPHE.split(part)
            if len(pieces) > 1:
                if pieces[1:] != ["s"]:  # a contraction: "don't", "we're"
                    return ("", True)
                part = pieces[0]  # a possessive: "Zentrix's"
            parts.append(part)
        if parts[0][0].isdigit():
            return None
        if len(parts) == 1:
            word = parts[0]
            stem = _singular(word)
            return stem, word in self.stop or stem in self.stop or len(word) < 2
        stop = all(p in self.stop for p in parts) or "".join(parts) in self.stop
        parts[-1] = _singular(parts[-1])
        return " ".join(parts), stop

    def __call__(self, text: str) -> tuple[list[str], list[str]]:
        """The note's terms, and how it spells each non-stop word ("\x01": starts a sentence)."""
        terms: list[str] = []
        spellings: list[str] = []
        run: list[tuple[str, bool]] = []
        initial = True
        cache = self.cache
        for word, sentence, _ in _TOKEN.findall(text):
            if word:
                info = cache.get(word, _MISSING)
                if info is _MISSING:
                    info = self.unit(word)
                if info is None:  # a number
                    self._phrases(run, terms)
                    run = []
                else:
                    if not info[1]:
                        spellings.append("\x01" + word if initial else word)
                    run.append(info)
                initial = False
            else:
                self._phrases(run, terms)
                run = []
                initial = bool(sentence)
        self._phrases(run, terms)
        return terms, spellings

    @staticmethod
    def _phrases(run: list[tuple[str, bool]], terms: list[str]) -> None:
        """Words and phrases of up to three units of a run (written out: this is the hot loop)."""
        n = len(run)
        for i in range(n):
            k0, stop0 = run[i]
            if stop0:
                if k0 not in _LEADERS:
                    continue
            else:
                terms.append(k0)
            if i + 1 == n:
                break
            k1, stop1 = run[i + 1]
            if not stop1:
                terms.append(f"{k0} {k1}")
            elif k1 not in _CONNECTORS:
                continue
            if i + 2 < n:
                k2, stop2 = run[i + 2]
                if not stop2:
                    terms.append(f"{k0} {k1} {k2}")


_KEEP_S = ("ss", "us", "is", "aas")


def _singular(word: str) -> str:
    """A plural's singular, the simple regular cases only ("seats", "policies", "APIs")."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _stop_pattern(extra_stop_words: Sequence[str]) -> re.Pattern | None:
    """Domain stop words (one word or several, any case) as one pattern, longest first."""
    entries = {" ".join(w.lower().split()) for w in extra_stop_words if w and w.strip()}
    if not entries:
        return None
    alternation = "|".join(
        r"[\s\-]+".join(re.escape(p) for p in e.split())
        for e in sorted(entries, key=lambda e: (-len(e), e))
    )
    return re.compile(r"(?<![^\W_])(?:" + alternation + r")(?![^\W_])", re.IGNORECASE)


def name_clusters(
    texts: Sequence[str],
    labels: np.ndarray,
    extra_stop_words: Sequence[str] = (),
    top_n: int = 8,
) -> dict[int, ThemeName]:
    """A unique label and up to ``top_n`` keywords for every cluster id >= 0.

    ``extra_stop_words`` (company and product names, one word or several, any
    case) never appear in a label or keyword.
    """
    labels = np.asarray(labels)
    clusters = sorted({int(c) for c in labels if c >= 0})
    if not clusters:
        return {}
    pattern = _stop_pattern(extra_stop_words)
    domain = frozenset(e.strip().lower() for e in extra_stop_words if len(e.split()) == 1)
    inside = np.flatnonzero(labels >= 0)
    docs = [texts[i] or "" for i in inside]
    if pattern is not None:  # a domain stop word becomes a clause break
        docs = [pattern.sub(" | ", d) for d in docs]
    rows = np.searchsorted(clusters, labels[inside])

    analyzer = _Analyzer(STOP_WORDS | domain)
    ranked, spellings, notes_with = _rank_terms(docs, rows, len(clusters), analyzer)
    terms: dict[int, list[_Term]] = {}
    surfaces: dict[int, _Surfaces] = {}
    for k, c in enumerate(clusters):
        if ranked[k]:
            terms[c] = ranked[k]
            surfaces[c] = _Surfaces(spellings[k], analyzer, partial(notes_with, k))
        else:  # no word recurs, or only stop words: the notes' most common words
            mine = [docs[i] for i in np.flatnonzero(rows == k)]
            for fallback in (analyzer, _Analyzer(domain)):
                terms[c], spelled = _fallback_terms(mine, fallback)
                if terms[c]:
                    break
            surfaces[c] = _Surfaces(spelled, fallback, lambda key, mine=mine: mine)
    keywords = {c: tuple(surfaces[c].form(t.key) for t in terms[c][:top_n]) for c in clusters}
    names = _unique_labels(terms, surfaces)
    return {c: ThemeName(names[c], keywords[c]) for c in clusters}


def _rank_terms(
    docs: list[str], rows: np.ndarray, n_clusters: int, analyzer: _Analyzer
) -> tuple[list[list[_Term]], list[Counter], Callable[[int, str], list[str]]]:
    """Per cluster: its terms best first (phrases standing in for the words they hold) and how
    its notes spell their words; and a function giving the notes of a cluster using a term."""
    vocab: dict[str, int] = {}
    indices: list[int] = []
    indptr = [0]
    spellings = [Counter() for _ in range(n_clusters)]
    for doc, row in zip(docs, rows, strict=True):
        found, spelled = analyzer(doc)
        indices.extend(vocab.setdefault(t, len(vocab)) for t in set(found))
        indptr.append(len(indices))
        spellings[row].update(spelled)
    out: list[list[_Term]] = [[] for _ in range(n_clusters)]
    if not vocab:
        return out, spellings, lambda k, key: []
    x = sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.int32), np.array(indices), np.array(indptr)),
        shape=(len(docs), len(vocab)),
    )
    keys = np.array(list(vocab), dtype=object)
    indicator = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, np.arange(len(rows)))),
        shape=(n_clusters, len(rows)),
    )
    counts = (indicator @ x).tocsr()  # notes of each cluster using each term
    total = np.asarray(counts.sum(axis=0)).ravel()
    sizes = np.bincount(rows, minlength=n_clusters)
    average = len(rows) / n_clusters
    by_term = x.tocsc()

    def notes_using(k: int, key: str) -> np.ndarray:
        j = vocab[key]
        found = by_term.indices[by_term.indptr[j] : by_term.indptr[j + 1]]
        return found[rows[found] == k]

    for k in range(n_clusters):
        start, end = counts.indptr[k], counts.indptr[k + 1]
        cols, n = counts.indices[start:end], counts.data[start:end]
        keep = n >= min(2, sizes[k])
        cols, n = cols[keep], n[keep]
        if len(cols) == 0:
            continue
        score = (n / sizes[k]) * np.log1p(average / total[cols])
        notes_of = dict(zip(keys[cols].tolist(), n.tolist(), strict=True))
        scores = dict(zip(keys[cols].tolist(), score.tolist(), strict=True))
        if len(cols) > CANDIDATES:  # every term tied with the last candidate stays in
            pick = score >= np.partition(score, -CANDIDATES)[-CANDIDATES]
            best = keys[cols[pick]].tolist()
        else:
            best = list(notes_of)
        # best score first; equal scores by more notes, then alphabetically
        best.sort(key=lambda t: (-scores[t], -notes_of[t], t))
        together = partial(_together, partial(notes_using, k))
        out[k] = _phrases_first(best[:CANDIDATES], notes_of, scores, together)

    def notes_with(k: int, key: str) -> list[str]:
        return [docs[i] for i in notes_using(k, key)] if key in vocab else []

    return out, spellings, notes_with


def _phrases_first(
    best: list[str],
    notes_of: dict[str, int],
    scores: dict[str, float],
    together: Callable[[str, str], int],
) -> list[_Term]:
    """Ranked terms with each word grown into the phrase that carries it, duplicates dropped."""
    containing: dict[str, list[str]] = {}
    for key in notes_of:
        if " " in key:
            words = key.split()
            for size in range(1, len(words)):
                for i in range(len(words) - size + 1):
                    containing.setdefault(" ".join(words[i : i + size]), []).append(key)

    def grow(key: str) -> str:
        while True:
            floor = PHRASE_SHARE * notes_of[key]
            longer = [p for p in containing.get(key, ()) if notes_of[p] >= floor]
            if not longer:
                return key
            # the phrase most notes use, then the better score, then alphabetically
            key = min(longer, key=lambda p: (-notes_of[p], -scores[p], p))

    out: list[_Term] = []
    for key in best:
        phrase = grow(key)
        words = phrase.split()
        taken = False
        for i, kept in enumerate(out):
            if _within(kept.key, phrase):
                taken = True  # already said by a better-ranked term
                break
            if _within(phrase, kept.key):
                # a phrase that adds to a better-ranked term replaces it when common enough
                if notes_of[phrase] >= PHRASE_SHARE * kept.notes:
                    out[i] = _Term(phrase, notes_of[phrase], kept.score)
                taken = True
                break
        if taken:
            continue
        covered = {w for t in out for w in t.key.split()}
        if len(words) > 1 and all(w in covered for w in words):
            continue  # a phrase made of words already listed
        out.append(_Term(phrase, notes_of[phrase], scores[key]))
    # a replacement may now contain a term listed after it
    final: list[_Term] = []
    for t in out:
        if not any(_within(f.key, t.key) for f in final):
            final.append(t)
    return _pair_first(final, containing, notes_of, together)


def _pair_first(
    ranked: list[_Term],
    containing: dict[str, list[str]],
    notes_of: dict[str, int],
    together: Callable[[str, str], int],
) -> list[_Term]:
    """When the best term is one word and a recurring phrase joins it to another top word, that
    phrase leads ("budget" + "frozen" -> "budget frozen"). The phrase must be how the notes
    that use both words mostly put them, not two words that happen to meet."""
    if len(ranked) < 2 or " " in ranked[0].key:
        return ranked
    head = ranked[0]
    floor = max(2, PAIR_SHARE * head.notes)
    for other in ranked[1:4]:
        if " " in other.key:
            continue
        pairs = [
            p
            for p in containing.get(head.key, ())
            if notes_of[p] >= floor and other.key in p.split() and len(p.split()) <= 3
        ]
        if pairs:
            both = together(head.key, other.key)
            pairs = [p for p in pairs if notes_of[p] >= PAIR_SHARE_BOTH * both]
        if pairs:
            phrase = min(pairs, key=lambda p: (-notes_of[p], len(p), p))
            rest = [t for t in ranked[1:] if t is not other]
            return [_Term(phrase, notes_of[phrase], head.score), *rest]
    return ranked


def _together(notes_using: Callable[[str], np.ndarray], a: str, b: str) -> int:
    """How many notes use both terms."""
    return len(np.intersect1d(notes_using(a), notes_using(b), assume_unique=True))


def _within(phrase: str, term: str) -> bool:
    """Whether a term's words appear, in order and together, in a phrase."""
    return f" {term} " in f" {phrase} "


def _fallback_terms(docs: list[str], analyzer: _Analyzer) -> tuple[list[_Term], Counter]:
    """A cluster's terms by how many of its notes use them (once is enough here)."""
    counts: Counter[str] = Counter()
    spelled: Counter[str] = Counter()
    for doc in docs:
        found, words = analyzer(doc)
        counts.update(set(found))
        spelled.update(words)
    ranked = sorted(counts, key=lambda k: (-counts[k], -len(k.split()), k))
    out: list[_Term] = []
    for key in ranked:
        if any(_within(t.key, key) or _within(key, t.key) for t in out):
            continue
        out.append(_Term(key, counts[key], counts[key] / max(len(docs), 1)))
        if len(out) == CANDIDATES:
            break
    return out, spelled


class _Surfaces:
    """How a cluster's notes spell a term: the casing of each word, hyphen or space between.

    A word on its own takes the spelling its cluster's notes mostly give it; a
    phrase, the spelling its words have inside that phrase ("Financial Services
    Cloud", "tire pressure" even where "tires" is the more common word).
    """

    SAMPLE = 12  # notes read for a phrase's spelling

    def __init__(
        self, spelled: Counter, analyzer: _Analyzer, notes_with: Callable[[str], list[str]]
    ):
        self.spelled = spelled
        self.analyzer = analyzer
        self.notes_with = notes_with
        self.words: dict[str, dict[str, int]] | None = None
        self.cache: dict[tuple[str, bool], str] = {}

    def form(self, key: str, acronyms: bool = False) -> str:
        """The term as the notes write it; with ``acronyms``, known acronyms upper-case too."""
        if (key, acronyms) not in self.cache:
            self.cache[key, acronyms] = self._form(key, acronyms)
        return self.cache[key, acronyms]

    def _form(self, key: str, acronyms: bool) -> str:
        if self.words is None:
            self.words = self._word_forms()
        words = key.split()
        if len(words) == 1:
            return _casing(key, self.words.get(key, {}), acronyms)
        forms: list[dict[str, int]] = [{} for _ in words]
        hyphens = [0] * (len(words) - 1)
        seen = 0
        notes = sorted(self.notes_with(key))[: self.SAMPLE]
        for note in notes:
            items = self._items(note)
            for i in range(len(items) - len(words) + 1):
                if any(items[i + j][0] != w for j, w in enumerate(words)):
                    continue
                seen += 1
                for j in range(len(words)):
                    _, part, initial, joiner = items[i + j]
                    if not (initial and part[:1].isupper() and part[1:].islower()):
                        forms[j][part] = forms[j].get(part, 0) + 1
                    if j < len(hyphens) and joiner == "-":
                        hyphens[j] += 1
        out = []
        for j, w in enumerate(words):
            out.append(_casing(w, forms[j] or self.words.get(w, {}), acronyms))
            if j < len(hyphens):
                out.append("-" if seen and hyphens[j] * 2 > seen else " ")
        return "".join(out)

    def _word_forms(self) -> dict[str, dict[str, int]]:
        """Spellings of each word key over the cluster, leaving out sentence-initial capitals."""
        forms: dict[str, dict[str, int]] = {}
        for raw, n in self.spelled.items():
            if raw.islower() and raw.isalpha():  # the common case: "seats"
                seen = forms.setdefault(self.analyzer.unit(raw)[0], {})
                seen[raw] = seen.get(raw, 0) + n
                continue
            initial = raw.startswith("\x01")
            raw = raw.lstrip("\x01")
            info = self.analyzer.unit(raw)
            if info is None:
                continue
            keys = info[0].split()
            parts = [_APOSTROPHE.split(p)[0] for p in raw.split("-")]
            if len(parts) != len(keys):
                continue
            for i, (key, part) in enumerate(zip(keys, parts, strict=True)):
                # a capital at the start of a sentence says nothing about the word
                if i == 0 and initial and part[:1].isupper() and part[1:].islower():
                    continue
                seen = forms.setdefault(key, {})
                seen[part] = seen.get(part, 0) + n
        return forms

    def _items(self, text: str) -> list[tuple[str | None, str, bool, str]]:
        """The note word by word: (key, as written, starts a sentence, "-" when hyphened to
        the next); a (None, ...) item stands for a break no phrase crosses."""
        items: list[tuple[str | None, str, bool, str]] = []
        initial = True
        for word, sentence, _ in _TOKEN.findall(text):
            if not word:
                items.append((None, "", False, " "))
                initial = bool(sentence)
                continue
            info = self.analyzer.unit(word)
            if info is None or not info[0]:
                items.append((None, "", False, " "))
            else:
                keys = info[0].split()
                parts = [_APOSTROPHE.split(p)[0] for p in word.split("-")]
                if len(parts) != len(keys):
                    parts = keys
                for j, (k, p) in enumerate(zip(keys, parts, strict=True)):
                    items.append((k, p, initial and j == 0, "-" if j < len(keys) - 1 else " "))
            initial = False
        return items


def _casing(key: str, forms: dict[str, int], acronyms: bool) -> str:
    """A word capitalised when the notes mostly write it so, otherwise its most used lower-case
    form ("seats" or "seat"); with ``acronyms``, a known acronym upper-case whatever they do."""
    if acronyms and key in ACRONYMS:
        return key.upper()
    lower = sorted((-n, f) for f, n in forms.items() if f.islower())
    cased = sorted((-n, f) for f, n in forms.items() if not f.islower())
    n_lower = -sum(n for n, _ in lower)
    if cased and -cased[0][0] * 2 >= n_lower:
        return cased[0][1]
    return lower[0][1] if lower else key


def _overlap(term: str, chosen: list[str]) -> bool:
    """Whether a term repeats a word of the chosen ones, or a form of it ("season", "seasonal")."""
    return any(_related(a, b) for a in term.split() for c in chosen for b in c.split())


def _related(a: str, b: str) -> bool:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a == b or n >= 5 or (n >= 4 and n == min(len(a), len(b)))


def _label_terms(terms: list[_Term], parts: int = 2) -> list[_Term]:
    """The best term, then a second one sharing no word with it while the label stays short."""
    if not terms:
        return []
    head = terms[0]
    chosen = [head]
    words = len(head.key.split())
    for t in terms[1:]:
        if len(chosen) >= parts or words >= 3:
            break
        n = len(t.key.split())
        if words + n > 4 or t.score < SECOND_SHARE * head.score:
            break
        if words == 2 and n > 1:
            continue
        if _overlap(t.key, [c.key for c in chosen]):
            continue
        chosen.append(t)
        words += n
    return chosen


def _unique_labels(terms: dict[int, list[_Term]], surfaces: dict[int, _Surfaces]) -> dict[int, str]:
    """Labels unique across clusters: clashing ones gain their next distinguishing term."""
    chosen = {c: _label_terms(terms[c]) for c in terms}

    def label(c: int) -> str:
        return _joined([surfaces[c].form(t.key, acronyms=True) for t in chosen[c]])

    for _ in range(4):
        groups: dict[str, list[int]] = {}
        for c in sorted(chosen):
            groups.setdefault(label(c).lower(), []).append(c)
        clashes = [g for g in groups.values() if len(g) > 1]
        if not clashes:
            break
        for group in clashes:
            for c in group:
                # a term of this cluster whose words the others' top terms do not have
                others = {w for o in group if o != c for t in terms[o][:4] for w in t.key.split()}
                said = {w for t in chosen[c] for w in t.key.split()}
                spare = [t for t in terms[c] if not set(t.key.split()) & said]
                pick = next((t for t in spare if not set(t.key.split()) & others), None)
                if pick or spare:
                    chosen[c] = chosen[c] + [pick or spare[0]]
    labels: dict[int, str] = {}
    seen: set[str] = set()
    for c in sorted(chosen):
        name = label(c) or f"Theme {c}"
        if name.lower() in seen:  # nothing left to tell them apart
            name = f"{name} ({c})"
        seen.add(name.lower())
        labels[c] = name
    return labels


def _capitalise(label: str) -> str:
    return label[:1].upper() + label[1:] if label[:1].islower() else label


def _joined(parts: list[str]) -> str:
    return _capitalise(" / ".join(parts))


def keywords_by_cluster(
    texts: Sequence[str],
    labels: np.ndarray,
    top_n: int = 8,
    extra_stop_words: Sequence[str] = (),
) -> dict[int, list[str]]:
    """Top terms (words and phrases, in the notes' spelling) for every cluster id >= 0."""
    named = name_clusters(texts, labels, extra_stop_words=extra_stop_words, top_n=top_n)
    return {c: list(t.keywords) for c, t in named.items()}


def make_labels(
    keywords: dict[int, list[str]],
    parts: int = 2,
    *,
    texts: Sequence[str] | None = None,
    labels: np.ndarray | None = None,
    extra_stop_words: Sequence[str] = (),
) -> dict[int, str]:
    """Short labels, unique across clusters.

    Given the notes (``texts`` and ``labels``) this is the label of
    ``name_clusters``; given only keyword lists, the first keyword and, when it
    is a single word, the next one that shares no word with it.
    """
    if texts is not None and labels is not None:
        named = name_clusters(texts, labels, extra_stop_words=extra_stop_words)
        return {c: named[c].label if c in named else f"Theme {c}" for c in sorted(keywords)}
    out: dict[int, str] = {}
    used: set[str] = set()
    for c in sorted(keywords):
        words = [
            " ".join(p.upper() if p in ACRONYMS else p for p in w.split()) for w in keywords[c]
        ]
        chosen: list[str] = []
        for w in words:
            if len(chosen) >= parts or (chosen and len(chosen[0].split()) > 1):
                break
            if _overlap(w.lower(), [k.lower() for k in chosen]):
                continue
            chosen.append(w)
        rest = [w for w in words if w not in chosen]
        label = _joined(chosen) if chosen else f"Theme {c}"
        while label.lower() in used and rest:
            chosen.append(rest.pop(0))
            label = _joined(chosen)
        if label.lower() in used:
            label = f"{label} ({c})"
        used.add(label.lower())
        out[c] = label
    return out


def scrub(texts: Sequence[str], phrases: Sequence[str]) -> list[str]:
    """Remove names (accounts, reps) from texts so they cannot decide or name a theme.

    Names of two words or more are matched in any case ("cedar logistics");
    one-word names only when capitalised, so a rep called Dev does not take
    "dev team" out of a note.
    """
    names = sorted({p.strip() for p in phrases if p and len(p.strip()) >= 3}, key=len, reverse=True)
    multi = [n for n in names if " " in n]
    single = [n for n in names if " " not in n]
    patterns = []
    if multi:
        alternation = "|".join(re.escape(n) for n in multi)
        patterns.append(re.compile(r"\b(?:" + alternation + r")\b", re.IGNORECASE))
    if single:
        alternation = "|".join(re.escape(n) for n in single)
        patterns.append(re.compile(r"\b(?:" + alternation + r")\b"))
    if not patterns:
        return list(texts)
    out = []
    for text in texts:
        for pattern in patterns:
            text = pattern.sub(" ", text)
        out.append(text)
    return out


def representative(
    vectors: np.ndarray, members: np.ndarray, texts: Sequence[str], n: int = 5
) -> list[int]:
    """Indices of the members closest to their centroid, skipping repeated texts."""
    if len(members) == 0:
        return []
    centroid = vectors[members].mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    sims = vectors[members] @ centroid
    order = members[np.argsort(-sims, kind="stable")]
    seen: set[str] = set()
    picked: list[int] = []
    for i in order:
        key = re.sub(r"\W+", " ", texts[i].lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        picked.append(int(i))
        if len(picked) == n:
            break
    return picked
