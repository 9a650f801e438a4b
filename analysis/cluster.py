"""Group note embeddings into themes: exact cosine kNN -> UMAP -> HDBSCAN.

Why these steps:
- HDBSCAN finds clusters of varying density and leaves what fits nowhere as
  noise ("unclustered"), but density is meaningless in 384 dimensions, so the
  embeddings are first reduced with UMAP (cosine, ``min_dist=0``), which keeps
  local neighbourhoods. PCA was measured as a cheaper reducer and lost most of
  the structure (see README, "How the analysis works").
- The nearest neighbours UMAP needs are computed exactly with blocked matrix
  products and a top-k on the unit vectors (torch): 3-4 s for 22,500 notes.
  UMAP's own approximate search is faster once compiled (under 1 s there), but
  its numba compilation costs far more than that in every new process, which
  every CLI run would pay.
- ``min_cluster_size`` follows the data's size (about half the square root of
  the number of notes, at least 5): a theme has to recur to count, and what
  "recur" means grows with the workspace.
- Everything is seeded; the caller sorts its input canonically, so the same
  notes give the same clusters whatever the import order.

Incremental placement: when only a few notes are new since the last run, the
new ones are placed in the previous UMAP space at the similarity-weighted mean
of their nearest old neighbours' coordinates and HDBSCAN is re-run on all
points. That avoids refitting UMAP, which dominates the clustering time.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from analysis.embed import cache_dir


@dataclass(frozen=True)
class ClusterParams:
    min_cluster_size: int
    min_samples: int
    n_neighbors: int
    n_components: int
    seed: int = 42

    def to_dict(self) -> dict:
        return asdict(self)


def default_params(n: int, seed: int = 42) -> ClusterParams:
    """Parameters that follow the number of notes, not one dataset."""
    mcs = max(5, round(0.5 * math.sqrt(max(n, 1))))
    return ClusterParams(
        min_cluster_size=mcs,
        min_samples=min(mcs, 5),
        n_neighbors=15,
        n_components=5,
        seed=seed,
    )


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # -1 = unclustered; clusters numbered 0.. by size, largest first
    probabilities: np.ndarray
    coords: np.ndarray  # the reduced space the clusters were found in


def cosine_knn(vectors: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (self first) of unit rows: (indices, cosine distances).

    Blocked matrix products and a top-k per row, in torch (already loaded for
    the embeddings; its top-k is several times faster than numpy's argpartition).
    """
    import torch

    n = len(vectors)
    k = min(k, n)
    data = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        sims = data[start : start + block] @ data.T
        rows = torch.arange(sims.shape[0])
        sims[rows, start + rows] = 2.0  # each point is its own nearest neighbour
        values, found = torch.topk(sims, k, dim=1, largest=True, sorted=True)
        indices[start : start + block] = found.numpy()
        distances[start : start + block] = np.clip(1.0 - values.numpy(), 0.0, 2.0)
    distances[:, 0] = 0.0
    return indices, distances


def reduce(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """UMAP to a few dimensions; tiny inputs are returned as they are."""
    n = len(vectors)
    if n <= params.n_neighbors + 1 or n <= params.n_components + 2:
        return vectors.astype(np.float64)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import umap

        knn_idx, knn_dist = cosine_knn(vectors, params.n_neighbors)
        reducer = umap.UMAP(
            n_neighbors=params.n_neighbors,
            n_components=params.n_components,
            min_dist=0.0,
            metric="cosine",
            random_state=params.seed,
            precomputed_knn=(knn_idx, knn_dist, None),
            low_memory=True,
        )
        return reducer.fit_transform(vectors).astype(np.float64)


def place(
    old_vectors: np.ndarray, old_coords: np.ndarray, new_vectors: np.ndarray, k: int = 15
) -> np.ndarray:
    """Coordinates for new points in an existing reduced space (similarity-weighted kNN mean)."""
    if len(new_vectors) == 0:
        return np.zeros((0, old_coords.shape[1]))
    k = min(k, len(old_vectors))
    sims = new_vectors @ old_vectors.T
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.clip(np.take_along_axis(sims, idx, axis=1), 1e-6, None) ** 4
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", weights, old_coords[idx])


def cluster_coords(coords: np.ndarray, params: ClusterParams) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN on reduced coordinates, with clusters renumbered by size (largest first)."""
    n = len(coords)
    if n < max(3, params.min_cluster_size):
        return np.full(n, -1, dtype=np.int64), np.zeros(n)
    import hdbscan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hdbscan.HDBSCAN(
            min_cluster_size=params.min_cluster_size,
            min_samples=params.min_samples,
            cluster_selection_method="eom",
        ).fit(coords)
    return _renumber(model.labels_), np.asarray(model.probabilities_, dtype=np.float64)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Number clusters by size, ties broken by first member position: stable for sorted input."""
    found = [c for c in np.unique(labels) if c >= 0]
    keyed = sorted(found, key=lambda c: (-int(np.sum(labels == c)), int(np.argmax(labels == c))))
    mapping = {c: i for i, c in enumerate(keyed)}
    return np.array([mapping.get(c, -1) for c in labels], dtype=np.int64)


def cluster(vectors: np.ndarray, params: ClusterParams | None = None) -> Clustering:
    params = params or default_params(len(vectors))
    coords = reduce(vectors, params)
    labels, probs = cluster_coords(coords, params)
    return Clustering(labels=labels, probabilities=probs, coords=coords)
