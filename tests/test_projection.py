import numpy as np
import pytest
from sklearn.decomposition import PCA

from embedlab.projection import (
    AlignedPCA,
    kept_neighbours,
    procrustes_align,
    tsne_frames,
)


def test_aligned_pca_matches_sklearn_on_the_stacked_frames():
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(20, 6)) * (1 + t) for t in range(3)]
    ours = AlignedPCA(2).fit(frames)
    ref = PCA(2).fit(np.concatenate(frames))
    for a, b in zip(ours.components_, ref.components_, strict=True):
        assert abs(abs(a @ b) - 1) < 1e-8  # same axis up to sign
    assert np.allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_)


def test_aligned_pca_uses_the_same_axes_for_every_frame():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(15, 4))
    out = AlignedPCA(2).fit_transform([f, f])
    assert np.allclose(out[0], out[1])


def test_procrustes_undoes_a_rotation():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(30, 2))
    theta = 1.1
    r = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    aligned = procrustes_align([a, a @ r + 5.0])
    assert np.allclose(aligned[0], aligned[1], atol=1e-9)


def test_tsne_frames_are_deterministic_and_warm_started():
    rng = np.random.default_rng(3)
    clusters = np.repeat(np.eye(4) * 4, 10, axis=0)  # 4 clusters of 10 points
    base = np.hstack([clusters + rng.normal(size=(40, 4)), rng.normal(size=(40, 2))])
    frames = [base, base + 0.01 * rng.normal(size=base.shape)]
    a = tsne_frames(frames, perplexity=5, seed=0)
    b = tsne_frames(frames, perplexity=5, seed=0)
    assert np.allclose(a[1], b[1])
    # A warm start keeps the layout; a cold start of a slightly different frame does not.
    cold = tsne_frames(frames, perplexity=5, seed=0, warm_start=False)

    def moved(pair):
        x, y = procrustes_align(pair)
        return np.linalg.norm(x - y) / np.linalg.norm(x)

    assert moved(a) < 0.2
    assert moved(a) < moved(cold)


def test_frames_must_agree_in_shape():
    with pytest.raises(ValueError, match="same shape"):
        AlignedPCA().fit([np.zeros((3, 2)), np.zeros((4, 2))])


def test_kept_neighbours_by_hand():
    # two far pairs on a line: each point's nearest neighbour is its partner
    table = np.array([[0.0], [1.0], [10.0], [11.0]])
    assert kept_neighbours(table, np.hstack([table, table]), k=1) == 1.0
    swapped = np.array([[0.0, 0], [10.0, 0], [1.0, 0], [11.0, 0]])  # partners apart
    assert kept_neighbours(table, swapped, k=1) == 0.0


def _separating_clusters(n=300, frames=6, dim=16, seed=0):
    """Noise that drifts into 4 clusters, a little more each frame."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(4, dim))
    label = rng.integers(0, 4, size=n)
    start = rng.normal(size=(n, dim))
    return [start + (t / (frames - 1)) * centres[label] for t in range(frames)]


def test_few_warm_iterations_keep_up_with_sklearn_tsne():
    """50 refining iterations per frame keep the neighbourhoods a full scikit-learn t-SNE
    finds on the last frame (within 0.1 of its share), and move less between frames
    than cold maps; refining nothing (0 iterations) falls behind."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    from embedlab.projection import frame_displacement

    frames = _separating_clusters()
    with threadpool_limits(1):
        ref = TSNE(2, perplexity=15, init="pca", max_iter=500,
                   random_state=0).fit_transform(frames[-1])
    warm = tsne_frames(frames, seed=0)
    stale = tsne_frames(frames, seed=0, warm_iter=0)
    kept = {name: kept_neighbours(frames[-1], last)  # measured: 0.45, 0.39, 0.12
            for name, last in {"sklearn": ref, "warm": warm[-1], "stale": stale[-1]}.items()}
    assert kept["warm"] >= kept["sklearn"] - 0.1, kept
    assert kept["stale"] < kept["warm"] - 0.1, kept
    cold = tsne_frames(frames, seed=0, warm_start=False)
    assert frame_displacement(warm) < frame_displacement(cold)
