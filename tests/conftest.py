"""Shared fixtures: a real SQLite workspace in a temp dir and a small deterministic embedder."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

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
