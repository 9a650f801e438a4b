import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from analysis import cluster as clu


def _unit_blobs(n=600, centers=6, seed=0):
    X, y = make_blobs(
        n_samples=n,
        centers=centers,
        n_features=32,
        cluster_std=1.0,
        center_box=(-10, 10),
        random_state=seed,
    )
    X = X.astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True), y


def test_default_params_follow_size():
    assert clu.default_params(100).min_cluster_size == 5
    assert clu.default_params(10_000).min_cluster_size == 50
    assert clu.default_params(40_000).min_cluster_size == 100


def test_finds_blobs_and_is_deterministic():
    X, y = _unit_blobs()
    first = clu.cluster(X)
    second = clu.cluster(X)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert adjusted_rand_score(y, first.labels) > 0.9
    assert len(set(first.labels) - {-1}) == 6
    # clusters are numbered by size, largest first
    sizes = [np.sum(first.labels == c) for c in range(6)]
    assert sizes == sorted(sizes, reverse=True)


def test_cosine_knn_matches_brute_force():
    X, _ = _unit_blobs(n=300)
    idx, dist = clu.cosine_knn(X, 5, block=64)
    sims = X @ X.T
    for i in (0, 17, 299):
        expected = np.argsort(-sims[i])[:5]
        assert idx[i, 0] == i and dist[i, 0] == 0
        assert set(idx[i]) == set(expected)
        np.testing.assert_allclose(dist[i, 1:], 1 - sims[i, idx[i, 1:]], atol=1e-5)


def test_place_puts_new_points_near_their_neighbours():
    X, y = _unit_blobs(n=400, centers=4)
    result = clu.cluster(X[:380])
    placed = clu.place(X[:380], result.coords, X[380:])
    labels, _ = clu.cluster_coords(np.vstack([result.coords, placed]), clu.default_params(400))
    agreement = adjusted_rand_score(y, labels)
    assert agreement > 0.9


def test_tiny_inputs_do_not_crash():
    X, _ = _unit_blobs(n=4, centers=2)
    result = clu.cluster(X)
    assert list(result.labels) == [-1, -1, -1, -1]
