"""Shared fixtures: a real SQLite workspace in a temp dir and a small deterministic embedder."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from gaplens.models import Asset, Note
from gaplens.store import Store


class FakeEmbedder:
    """Bag-of-words embedder: each word is a fixed random vector, a text their normalised sum.

    Texts that share words are close, texts that don't are near-orthogonal, which
    is all clustering and coverage need to be tested without loading a model.
    """

    name = "fake-bow-64"

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.calls = 0
        self.texts_encoded = 0

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).normal(size=self.dim)

    def encode(self, texts):
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower()) or ["empty"]
            v = sum(self._word(w) for w in words)
            out[i] = v / (np.linalg.norm(v) or 1.0)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "workspace.db")
    yield s
    s.close()


TOPICS = {
    "sso": "saml sso okta login single sign azure identity provider enforce",
    "price": "price expensive cheaper zentrix discount cost budget quote",
    "hipaa": "hipaa baa patient phi healthcare clinic compliance signed",
    "voice": "phone voice calls ivr call center recording telephony dial",
}


def topic_texts(topic: str, n: int, seed: int = 0) -> list[str]:
    """n distinct short texts drawn from one topic's vocabulary plus common filler."""
    rng = np.random.default_rng(seed + sum(map(ord, topic)))
    vocab = TOPICS[topic].split()
    filler = "the they we our about and with for asked said".split()
    texts = []
    for i in range(n):
        words = list(rng.choice(vocab, size=6, replace=True)) + list(rng.choice(filler, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words) + f" n{i}")
    return texts


KINDS = ("objection", "question", "loss-reason", "call-note")
REPS = ("Ana Diaz", "Ben Osei", "Cleo Park")


def seed_notes(
    store, per_topic=40, topics=("sso", "price", "hipaa", "voice"), seed=0, varied=False
):
    """Notes on each topic: one deal per 7, one account per 5, dated across 2026.

    ``varied`` spreads kinds and reps over the notes (the screens filter on them).
    """
    notes = []
    for t in topics:
        for i, text in enumerate(topic_texts(t, per_topic, seed=seed)):
            notes.append(
                Note(
                    f"{t}-{seed}-{i}",
                    text,
                    kind=KINDS[i % 4] if varied else "objection",
                    rep=REPS[i % 3] if varied else None,
                    deal=f"D-{t}-{i % 7}",
                    account=f"acct {i % 5}",
                    amount=1000.0 * (i % 7 + 1),
                    date=f"2026-0{1 + i % 9}-15",
                )
            )
    store.insert_notes(notes, None)
    return notes


def seed_assets(store):
    store.upsert_asset(
        Asset("A1", "SSO guide", "saml sso okta login single sign azure identity provider enforce"),
        ["SSO guide: saml sso okta login single sign azure identity provider enforce"],
        None,
    )
    store.upsert_asset(
        Asset("A2", "Pricing", "price expensive cheaper zentrix discount cost budget quote"),
        ["Pricing: price cost budget quote", "Pricing: zentrix cheaper discount expensive"],
        None,
    )
    store.upsert_asset(
        Asset("A3", "Offsite recap", "lisbon offsite team dinner photos"),
        ["Offsite recap: lisbon offsite team dinner photos"],
        None,
    )


@pytest.fixture
def analysed_db(tmp_path):
    """A workspace analysed end to end with the fake embedder: four topics, two answered."""
    from analysis.pipeline import run_analysis

    path = tmp_path / "workspace.db"
    with Store(path) as s:
        seed_notes(s, per_topic=30, varied=True)
        seed_assets(s)
        run_analysis(s, embedder=FakeEmbedder())
        # a fixed finish time keeps screenshots of the workspace identical between runs
        s.db.execute(
            "update runs set started_at = '2026-10-01T09:00:00+00:00', "
            "finished_at = '2026-10-01T09:00:05+00:00'"
        )
    return path
