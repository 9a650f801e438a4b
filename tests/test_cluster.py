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
    assert clu.default_params(10_000).min_cluster_size == 30
    assert clu.default_params(40_000).min_cluster_size == 60
    assert clu.default_params(40_000).min_samples == 10
    assert clu.default_params(100).min_samples == 5
    assert clu.default_params(500).to_dict()["reassign_percentile"] == 5.0


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


def _themes_384(sizes, spread=0.35, seed=0):
    """Unit vectors in 384-d around random unit centres: (vectors, truth, centres)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 384))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows, truth = [], []
    for t, size in enumerate(sizes):
        noise = rng.normal(size=(size, 384)) * spread / np.sqrt(384)
        rows.append(centres[t] + noise)
        truth += [t] * size
    X = np.vstack(rows)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), np.array(truth), centres


def _unit(v):
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_reassign_takes_a_confident_outlier_and_leaves_a_far_one():
    X, truth, centres = _themes_384([40, 30])
    rng = np.random.default_rng(1)
    near = _unit(centres[1] + 0.2 * rng.normal(size=384) / np.sqrt(384))  # inside theme 1
    far = _unit(rng.normal(size=384))  # about orthogonal to both themes
    vectors = np.vstack([X, near, far])
    labels = np.concatenate([truth, [-1, -1]])
    # the most central member of each theme, as if HDBSCAN had dropped it
    central = [int(np.argmax(X[:40] @ centres[0])), 40 + int(np.argmax(X[40:] @ centres[1]))]
    labels[central] = -1

    new, confidence = clu.reassign_outliers(vectors, labels, percentile=5)

    assert new[-2] == 1 and new[-1] == -1
    assert new[central[0]] == 0 and new[central[1]] == 1
    np.testing.assert_array_equal(new[labels >= 0], labels[labels >= 0])  # members stay
    assert np.all(np.isnan(confidence[labels >= 0])) and np.isnan(confidence[-1])
    assert 0.05 <= confidence[-2] <= 1.0


def test_reassign_bar_follows_each_cluster_not_a_fixed_cosine():
    # a tight theme and a loose one; a note at the same moderate cosine from each
    # centre joins the loose theme (its own members are that far) but not the tight one
    tight, t_truth, t_centres = _themes_384([40], spread=0.2, seed=2)
    loose, l_truth, l_centres = _themes_384([40], spread=1.6, seed=3)
    X = np.vstack([tight, loose])
    labels = np.concatenate([t_truth, l_truth + 1])
    centres = clu.centroids(X, labels, 2)
    loose_sims = loose @ centres[1]
    tight_sims = tight @ centres[0]
    target = float(np.median(loose_sims))
    assert target < tight_sims.min()  # the loose theme's typical cosine is below every tight one

    rng = np.random.default_rng(4)

    def at_cosine(centre, cos):
        other = rng.normal(size=384)
        other -= (other @ centre) * centre
        other /= np.linalg.norm(other)
        return _unit(cos * centre + np.sqrt(1 - cos**2) * other)

    # each probe must be nearer its own centre than the other one (the centres are ~orthogonal)
    probes = np.vstack([at_cosine(centres[0], target), at_cosine(centres[1], target)])
    new, _ = clu.reassign_outliers(np.vstack([X, probes]), np.concatenate([labels, [-1, -1]]))
    assert new[-2] == -1  # too far for the tight theme
    assert new[-1] == 1  # ordinary for the loose theme


def test_cluster_coords_reassigns_with_vectors_and_numbers_by_size():
    X, truth, centres = _themes_384([60, 40, 25], seed=5)
    rng = np.random.default_rng(6)
    # coordinates: three tight 2-d blobs plus two isolated points HDBSCAN leaves as noise
    offsets = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    coords = offsets[truth] + rng.normal(size=(len(truth), 2))
    coords = np.vstack([coords, [[60.0, 60.0], [-60.0, 60.0]]])
    near = _unit(centres[2] + 0.2 * rng.normal(size=384) / np.sqrt(384))
    far = _unit(rng.normal(size=384))
    vectors = np.vstack([X, near, far])
    params = clu.default_params(len(vectors))

    plain, _ = clu.cluster_coords(coords, params)
    labels, probs = clu.cluster_coords(coords, params, vectors)
    again, probs_again = clu.cluster_coords(coords, params, vectors)

    assert plain[-2] == -1 and plain[-1] == -1
    assert labels[-1] == -1
    smallest = labels[np.flatnonzero(truth == 2)[0]]
    assert labels[-2] == smallest
    assert adjusted_rand_score(truth, labels[: len(truth)]) > 0.95
    sizes = [int(np.sum(labels == c)) for c in range(labels.max() + 1)]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == 3
    assert np.all((probs >= 0) & (probs <= 1)) and probs[-1] == 0
    assert 0 < probs[-2] <= 1
    np.testing.assert_array_equal(labels, again)
    np.testing.assert_array_equal(probs, probs_again)


def test_reassignment_can_be_switched_off():
    X, truth, _ = _themes_384([30, 30], seed=7)
    coords = np.vstack([np.array([[0.0, 0.0], [20.0, 0.0]])[truth], [[70.0, 70.0]]])
    coords[:-1] += np.random.default_rng(8).normal(size=(len(truth), 2))
    vectors = np.vstack([X, X[0]])  # the isolated point repeats a theme-0 note
    params = clu.default_params(len(vectors))
    off = clu.ClusterParams(**{**params.to_dict(), "reassign_percentile": None})
    assert clu.cluster_coords(coords, params, vectors)[0][-1] >= 0
    assert clu.cluster_coords(coords, off, vectors)[0][-1] == -1


def test_reassign_without_clusters_or_noise_changes_nothing():
    X, truth, _ = _themes_384([10, 10], seed=9)
    all_noise = np.full(len(X), -1)
    new, confidence = clu.reassign_outliers(X, all_noise)
    np.testing.assert_array_equal(new, all_noise)
    assert np.all(np.isnan(confidence))
    new, _ = clu.reassign_outliers(X, truth)
    np.testing.assert_array_equal(new, truth)
