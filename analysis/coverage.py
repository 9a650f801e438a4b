"""How well existing content answers each theme.

For a cluster and an asset, the *similarity* is the mean, over the cluster's
most central notes, of the best cosine similarity between the note and any of
the asset's passages: an asset answers a theme when it has a passage close to
what most of its notes ask, not when one passage happens to echo one note.

The asset with the highest similarity is the theme's best asset; its best
passage is the one closest to the theme's centroid. Its coverage score in
[0, 1] is the smaller of two readings, each mapped linearly over
``SIM_SPAN`` (0.35) of cosine similarity:

- *absolute*: (similarity - ``SIM_FLOOR``) / ``SIM_SPAN``. With
  all-MiniLM-L6-v2 a question and the paragraph that answers it typically
  score 0.5-0.7 and unrelated business text 0.1-0.25 (floor 0.25, full at 0.60);
- *relative*: (similarity - the median asset's similarity) / ``SIM_SPAN``:
  how far the best asset stands out from the rest of the library. In a library
  that is all about one subject every asset looks close in absolute terms;
  only an asset that is much closer than the typical one answers the theme.
  Used when the library has at least ``MIN_ASSETS_RELATIVE`` assets.

A theme is a gap when its coverage is below ``DEFAULT_GAP_THRESHOLD``. On the
demo data the relative reading separated themes with no content from covered
ones better than the absolute one alone (AUC 0.98 against 0.92); see the
README for the figures on the public covidfaq set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIM_FLOOR = 0.25
SIM_SPAN = 0.35
MIN_ASSETS_RELATIVE = 5
DEFAULT_GAP_THRESHOLD = 0.5
MAX_MEMBERS = 200
TOP_ASSETS = 5


@dataclass(frozen=True)
class AssetMatch:
    asset_index: int  # index into the caller's asset list
    similarity: float
    score: float  # coverage in [0, 1]
    passage_index: int  # index into the caller's passage list


def coverage_score(similarity: float, baseline: float | None = None) -> float:
    """Coverage from the best asset's similarity and, if given, the library's median one."""
    absolute = (similarity - SIM_FLOOR) / SIM_SPAN
    if baseline is not None:
        absolute = min(absolute, (similarity - baseline) / SIM_SPAN)
    return float(np.clip(absolute, 0.0, 1.0))


def match_cluster(
    member_vectors: np.ndarray,
    passage_vectors: np.ndarray,
    passage_asset: np.ndarray,
    n_assets: int,
    top: int = TOP_ASSETS,
) -> list[AssetMatch]:
    """Rank assets for one cluster, best first."""
    if len(member_vectors) == 0 or len(passage_vectors) == 0 or n_assets == 0:
        return []
    centroid = member_vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    if len(member_vectors) > MAX_MEMBERS:
        central = np.argsort(-(member_vectors @ centroid), kind="stable")[:MAX_MEMBERS]
        member_vectors = member_vectors[central]
    sims = member_vectors @ passage_vectors.T  # members x passages
    per_asset = np.full((len(member_vectors), n_assets), -1.0)
    for a in range(n_assets):
        cols = np.flatnonzero(passage_asset == a)
        if len(cols):
            per_asset[:, a] = sims[:, cols].max(axis=1)
    asset_sim = per_asset.mean(axis=0)
    present = asset_sim[asset_sim > -1.0]
    baseline = float(np.median(present)) if len(present) >= MIN_ASSETS_RELATIVE else None
    centroid_sims = passage_vectors @ centroid
    matches = []
    for a in np.argsort(-asset_sim, kind="stable")[:top]:
        cols = np.flatnonzero(passage_asset == a)
        if not len(cols) or asset_sim[a] <= -1.0:
            continue
        best_passage = int(cols[np.argmax(centroid_sims[cols])])
        matches.append(
            AssetMatch(
                asset_index=int(a),
                similarity=float(asset_sim[a]),
                score=coverage_score(float(asset_sim[a]), baseline),
                passage_index=best_passage,
            )
        )
    return matches
