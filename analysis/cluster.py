"""Group note embeddings into themes: exact cosine kNN -> UMAP -> HDBSCAN -> outlier reassignment.

Why these steps:
- HDBSCAN finds clusters of varying density and leaves what fits nowhere as
  noise ("unclustered"), but density is meaningless in 384 dimensions, so the
  embeddings are first reduced with UMAP (cosine, ``min_dist=0``, 15
  neighbours, 5 dimensions), which keeps local neighbourhoods. PCA was
  measured as a cheaper reducer and lost most of the structure (see README,
  "How the analysis works").
- The nearest neighbours UMAP needs are computed exactly with blocked matrix
  products and a top-k on the unit vectors (torch): 3-4 s for 22,500 notes.
  UMAP's own approximate search is faster once compiled (under 1 s there), but
  its numba compilation costs far more than that in every new process, which
  every CLI run would pay.
- ``min_cluster_size`` = max(5, round(0.3 * sqrt(n))), ``min_samples`` =
  min(min_cluster_size, 10), "eom" selection. A theme has to recur to count,
  and what "recur" means grows with the workspace; but the factor must stay
  small enough that a workspace of many small themes still shows them. Measured
  on clinc150 shapes (bench/shapes.py; ARI after reassignment): the old 0.5 x
  sqrt(n) gave 0.64 on 22,500 notes / 150 intents but 0.30 on 2,250 notes /
  150 intents of 15 (themes smaller than min_cluster_size cannot be found);
  0.25 gave 0.61 / 0.52; 0.3 gave 0.65 / 0.49. "leaf" selection lost 0.1-0.6
  ARI on few large themes (it cuts them into fragments); min_samples equal to
  min_cluster_size left more noise and lost on every shape but one.
- Reassignment of confident outliers (in the 384-d embedding space, not the
  UMAP map): HDBSCAN on UMAP leaves 7-15% of clear notes as noise, and the
  evaluation counts those as one shared wrong label. A noise note joins the
  cluster whose centroid (normalised mean of the members' unit vectors) is
  most similar to it, if that cosine is at least the 5th percentile of that
  cluster's own members' cosines to it: the bar is data-relative (loose,
  paraphrase-rich clusters admit more; tight ones less), never a fixed cosine.
  On clinc150 (22,500 notes) this takes the unclustered share from 9.6% to
  2.2% and ARI from 0.35 to 0.65; it helps on every shape measured (+0.01 to
  +0.3 ARI). The 5th percentile beat the 10th and 20th everywhere on in-scope
  data; its cost is that more out-of-scope notes join a theme (clinc150 with
  its 1,200 "oos" rows: 58% of them end in an intent cluster, against 51%
  without reassignment and 55% with the 10th percentile). A reassigned note's
  probability is the share of the cluster's members that are no closer to the
  centroid than it is (at least about 0.05). It costs about 0.1 s on 22,500
  notes (blocked products against ~150 centroids, no n x n matrix).
- Merging near-duplicate clusters (mutual nearest centroids whose cosine
  reaches the members' median) was measured and left out: +0.01-0.03 ARI on
  some shapes, -0.03 on many small themes, and iterated versions chained
  whole domains together.
- Everything is seeded and the post-processing is deterministic; the caller
  sorts its input canonically, so the same notes give the same clusters
  whatever the import order.

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
    selection: str = "eom"  # HDBSCAN cluster_selection_method
    # noise notes join their nearest cluster when at least this percentile of its
    # members' similarity to the centroid; None = leave HDBSCAN's noise as it is
    reassign_percentile: float | None = 5.0

    def to_dict(self) -> dict:
        return asdict(self)


def default_params(n: int, seed: int = 42) -> ClusterParams:
    """Parameters that follow the number of notes, not one dataset."""
    mcs = max(5, round(0.3 * math.sqrt(max(n, 1))))
    return ClusterParams(
        min_cluster_size=mcs,
        min_samples=min(mcs, 10),
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


def cluster_coords(
    coords: np.ndarray, params: ClusterParams, vectors: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN on reduced coordinates, then (given the unit ``vectors``) outlier reassignment.

    Returns (labels, probabilities): -1 = unclustered, clusters numbered by size
    (largest first); probabilities are HDBSCAN's, or for a reassigned note the
    confidence described in ``reassign_outliers``.
    """
    n = len(coords)
    if n < max(3, params.min_cluster_size):
        return np.full(n, -1, dtype=np.int64), np.zeros(n)
    import hdbscan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hdbscan.HDBSCAN(
            min_cluster_size=params.min_cluster_size,
            min_samples=params.min_samples,
            cluster_selection_method=params.selection,
        ).fit(coords)
    labels = np.asarray(model.labels_, dtype=np.int64)
    probs = np.asarray(model.probabilities_, dtype=np.float64).copy()
    if vectors is not None and params.reassign_percentile is not None:
        if len(vectors) != n:
            raise ValueError(f"{len(vectors)} vectors for {n} coordinates")
        labels, confidence = reassign_outliers(vectors, labels, params.reassign_percentile)
        moved = ~np.isnan(confidence)
        probs[moved] = confidence[moved]
    return _renumber(labels), np.clip(probs, 0.0, 1.0)


def centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Normalised mean of each cluster's unit vectors (k x d); -1 rows are ignored."""
    members = np.flatnonzero(labels >= 0)
    order = members[np.argsort(labels[members], kind="stable")]
    starts = np.searchsorted(labels[order], np.arange(k))
    sums = np.add.reduceat(vectors[order], starts, axis=0).astype(np.float64)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


_BLOCK = 4096


def reassign_outliers(
    vectors: np.ndarray, labels: np.ndarray, percentile: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Give confident noise notes to their nearest cluster, in the embedding space.

    For each cluster: its centroid and the cosines of its own members to it.
    A noise note joins the cluster with the most similar centroid when that
    cosine is at least the cluster's ``percentile``-th percentile of its
    members' cosines (data-relative: a loose cluster admits more than a tight
    one). Returns (new labels, confidence): confidence is NaN for notes that
    were not moved and, for a moved note, the share of the cluster's members
    that are no closer to the centroid than it is. Cluster ids are unchanged.
    Cost: O(n x k x d) in blocks; no n x n matrix.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    confidence = np.full(len(labels), np.nan)
    noise = np.flatnonzero(labels < 0)
    k = int(labels.max()) + 1 if len(labels) else 0
    if k == 0 or len(noise) == 0:
        return labels, confidence
    vectors = np.asarray(vectors, dtype=np.float32)
    centres = centroids(vectors, labels, k)
    members = np.flatnonzero(labels >= 0)
    own = np.empty(len(members))
    for start in range(0, len(members), _BLOCK):
        rows = members[start : start + _BLOCK]
        own[start : start + _BLOCK] = np.einsum("nd,nd->n", vectors[rows], centres[labels[rows]])
    # each cluster's members' similarities, sorted, as slices of one array
    order = np.lexsort((own, labels[members]))
    sorted_sims = own[order]
    bounds = np.searchsorted(labels[members][order], np.arange(k + 1))
    thresholds = np.array(
        [np.percentile(sorted_sims[bounds[c] : bounds[c + 1]], percentile) for c in range(k)]
    )
    best = np.empty(len(noise), dtype=np.int64)
    best_sim = np.empty(len(noise))
    for start in range(0, len(noise), _BLOCK):
        sims = vectors[noise[start : start + _BLOCK]] @ centres.T
        best[start : start + _BLOCK] = np.argmax(sims, axis=1)
        best_sim[start : start + _BLOCK] = sims[np.arange(len(sims)), best[start : start + _BLOCK]]
    join = best_sim >= thresholds[best]
    for c in np.unique(best[join]):
        chosen = join & (best == c)
        group = sorted_sims[bounds[c] : bounds[c + 1]]
        rank = np.searchsorted(group, best_sim[chosen], side="right")
        confidence[noise[chosen]] = rank / len(group)
    labels[noise[join]] = best[join]
    return labels, confidence


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Number clusters by size, ties broken by first member position: stable for sorted input."""
    found = [c for c in np.unique(labels) if c >= 0]
    keyed = sorted(found, key=lambda c: (-int(np.sum(labels == c)), int(np.argmax(labels == c))))
    mapping = {c: i for i, c in enumerate(keyed)}
    return np.array([mapping.get(c, -1) for c in labels], dtype=np.int64)


def cluster(vectors: np.ndarray, params: ClusterParams | None = None) -> Clustering:
    params = params or default_params(len(vectors))
    coords = reduce(vectors, params)
    labels, probs = cluster_coords(coords, params, vectors)
    return Clustering(labels=labels, probabilities=probs, coords=coords)
