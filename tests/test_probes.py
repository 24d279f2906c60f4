import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.neighbors import NearestNeighbors

from embedlab.probes import (
    chance_purity,
    cosine_matrix,
    nearest_neighbours,
    neighbour_purity,
    purity_null,
)


def test_cosine_matches_sklearn():
    x = np.random.default_rng(0).normal(size=(30, 7))
    assert np.allclose(cosine_matrix(x), cosine_similarity(x))


def test_purity_matches_a_sklearn_neighbour_search():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5))
    labels = rng.integers(0, 3, 40).astype(str)
    nn = NearestNeighbors(n_neighbors=4, metric="cosine").fit(x)
    idx = nn.kneighbors(x, return_distance=False)[:, 1:]  # drop self
    expected = (labels[idx] == labels[:, None]).mean()
    assert neighbour_purity(x, labels, k=3) == pytest.approx(expected)


def test_perfect_clusters_score_one_and_random_scores_near_chance():
    centres = np.eye(4) * 10
    labels = np.repeat(list("abcd"), 10)
    rng = np.random.default_rng(0)
    x = centres[np.repeat(np.arange(4), 10)] + rng.normal(scale=0.1, size=(40, 4))
    assert neighbour_purity(x, labels, k=5) == 1.0
    assert chance_purity(labels) == pytest.approx(9 / 39)
    scores = [
        neighbour_purity(rng.normal(size=(40, 16)), labels, k=5) for _ in range(50)
    ]
    assert np.mean(scores) == pytest.approx(chance_purity(labels), abs=0.03)


def test_null_distribution_is_centred_on_chance():
    rng = np.random.default_rng(2)
    labels = np.repeat(list("abc"), 12)
    null = purity_null(rng.normal(size=(36, 8)), labels, k=5, n_perm=300, seed=0)
    assert null.mean() == pytest.approx(chance_purity(labels), abs=0.02)


def test_nearest_neighbours_and_errors():
    x = np.array([[1.0, 0], [0.9, 0.1], [0, 1]])
    assert [w for w, _ in nearest_neighbours(x, ["a", "b", "c"], "a", k=2)] == [
        "b",
        "c",
    ]
    with pytest.raises(KeyError):
        nearest_neighbours(x, ["a", "b", "c"], "z")
    with pytest.raises(ValueError, match="k must be"):
        neighbour_purity(x, ["a", "b", "c"], k=3)
    with pytest.raises(ValueError, match="2-D"):
        neighbour_purity(np.zeros(3), ["a", "b", "c"])
