"""Readable names for clusters: class-based TF-IDF over each cluster's notes.

A term scores high for a cluster when it is frequent in that cluster's notes and
rare in the others (tf within the cluster x log(1 + average cluster length /
the term's total count)). The label joins the top two or three terms and
phrases, dropping words a chosen phrase already contains. English stop words
and the filler words sales notes are full of ("asked", "call", "prospect") are
left out, and so are any domain words the caller adds (company and product
names).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

SALES_FILLER = frozenset(
    """
    asked ask asking asks said says say told tell mentioned mention noted note notes call calls
    called meeting meet met prospect prospects customer customers client clients team teams
    guy guys person people wants want wanted need needs needed like just really also
    think thinks thought going get got gets know knows let lets make sure follow followup
    thing things stuff lot bit way yes yeah ok okay fyi pls re w wk tmrw tomorrow today
    week weeks month months day days time next last still again maybe would could should
    us we our ours they them their theirs he she his her him it its one two new
    """.split()
)

_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-\+/]*[a-zA-Z0-9]\b|\b[a-zA-Z]{2,}\b"


def keywords_by_cluster(
    texts: Sequence[str],
    labels: np.ndarray,
    top_n: int = 8,
    extra_stop_words: Sequence[str] = (),
) -> dict[int, list[str]]:
    """Top c-TF-IDF terms (unigrams and bigrams) for every cluster id >= 0."""
    clusters = sorted({int(c) for c in labels if c >= 0})
    if not clusters:
        return {}
    stop = set(ENGLISH_STOP_WORDS) | SALES_FILLER | {w.lower() for w in extra_stop_words}
    docs = [" ".join(texts[i] for i in np.flatnonzero(labels == c)) for c in clusters]
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(stop),
        token_pattern=_TOKEN,
        lowercase=True,
        min_df=1,
    )
    try:
        counts = vectorizer.fit_transform(docs).astype(np.float64)
    except ValueError:  # every word was a stop word
        return {c: [] for c in clusters}
    terms = vectorizer.get_feature_names_out()
    tf = counts.toarray()
    # a phrase must recur inside its cluster to name it
    cluster_sizes = np.array([np.sum(labels == c) for c in clusters], dtype=np.float64)
    tf[tf < np.minimum(2, cluster_sizes)[:, None]] = 0
    total = tf.sum(axis=0)
    avg_words = tf.sum() / len(clusters)
    idf = np.log1p(avg_words / np.maximum(total, 1e-9))
    row_sums = np.maximum(tf.sum(axis=1, keepdims=True), 1e-9)
    weights = (tf / row_sums) * idf
    out: dict[int, list[str]] = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-weights[row], kind="stable")
        picked = [str(terms[j]) for j in order[: top_n * 3] if weights[row, j] > 0]
        out[c] = _dedupe(picked)[:top_n]
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


def _dedupe(terms: list[str]) -> list[str]:
    """Drop a word when a better-ranked phrase contains it, and a phrase made of two kept words."""
    kept: list[str] = []
    for term in terms:
        words = term.split()
        if any(term in k.split() or term == k for k in kept):
            continue
        if len(words) > 1 and all(any(w == k for k in kept) for w in words):
            continue
        if len(words) == 1 and any(term in k.split() for k in kept):
            continue
        kept.append(term)
    # a unigram ranked above a phrase containing it is redundant once the phrase is kept
    final = [
        t for t in kept if not (len(t.split()) == 1 and any(t in k.split() for k in kept if k != t))
    ]
    return final


def make_labels(keywords: dict[int, list[str]], parts: int = 3) -> dict[int, str]:
    """Short labels from keywords, unique across clusters."""
    labels: dict[int, str] = {}
    used: set[str] = set()
    for c in sorted(keywords):
        words = keywords[c]
        if not words:
            label = f"theme {c}"
        else:
            take = min(parts, len(words))
            label = " / ".join(words[:take])
            while label.lower() in used and take < len(words):
                take += 1
                label = " / ".join(words[:take])
        if label.lower() in used:
            label = f"{label} ({c})"
        used.add(label.lower())
        labels[c] = label
    return labels


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
