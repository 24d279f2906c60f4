"""2-D pictures of a table over time that do not jump between frames.

Projecting each snapshot separately makes a time-lapse flicker: PCA axes can flip sign or
swap, t-SNE lands in a different arrangement each time. Three remedies, each a function:

- `AlignedPCA`: fit one PCA on all snapshots stacked, then apply the same axes to every frame.
- `procrustes_align`: rotate/reflect each frame onto the previous one (orthogonal Procrustes,
  `fit_procrustes`, which `embedlab.transfer` uses to map one language onto another).
- `tsne_frames`: t-SNE with a fixed seed, each frame initialized from the previous frame's map
  and refined for a few iterations (openTSNE, whose optimizer can be stopped at any count).

What it deliberately does not do: choose colours or draw (see `embedlab.plots`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import orthogonal_procrustes


def _stack(frames: Sequence) -> list[np.ndarray]:
    out = [
        np.asarray(f.detach().numpy() if hasattr(f, "detach") else f, dtype=np.float64)
        for f in frames
    ]
    if not out:
        raise ValueError("need at least one frame")
    shapes = {f.shape for f in out}
    if len(shapes) != 1:
        raise ValueError(f"all frames must have the same shape, got {sorted(shapes)}")
    return out


class AlignedPCA:
    """One PCA for a whole time-lapse: axes fitted on every frame at once."""

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    def fit(self, frames: Sequence) -> AlignedPCA:
        x = np.concatenate(_stack(frames))  # (T * N, D)
        self.mean_ = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
        comps = vt[: self.n_components]
        # Fix each axis's sign (largest coefficient positive) so a refit gives the same picture.
        signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
        self.components_ = comps * signs[:, None]  # (k, D)
        var = s**2
        self.explained_variance_ratio_ = var[: self.n_components] / var.sum()
        return self

    def transform(self, frame) -> np.ndarray:
        (f,) = _stack([frame])
        return (f - self.mean_) @ self.components_.T  # (N, k)

    def fit_transform(self, frames: Sequence) -> list[np.ndarray]:
        self.fit(frames)
        return [self.transform(f) for f in frames]


def fit_procrustes(x, y) -> np.ndarray:
    """The orthogonal W (D, D) minimizing ||x W - y||_F for x, y (N, D): W = U V^T from the
    SVD of x^T y, which the chapters derive; computed by scipy's `orthogonal_procrustes`.
    The one Procrustes of the package: frames here, languages in `embedlab.transfer`."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return orthogonal_procrustes(x, y)[0]  # (D, D)


def procrustes_align(frames: Sequence) -> list[np.ndarray]:
    """Rotate (or reflect) each centred frame onto the previous aligned one.

    Distances within a frame are unchanged; only the frame's orientation is chosen to move
    as little as possible from its predecessor.
    """
    frames = _stack(frames)
    out = [frames[0] - frames[0].mean(axis=0)]
    for f in frames[1:]:
        f = f - f.mean(axis=0)
        out.append(f @ fit_procrustes(f, out[-1]))
    return out


def tsne_frames(
    frames: Sequence,
    perplexity: float = 15.0,
    seed: int = 0,
    progress: bool = False,
    warm_start: bool = True,
    warm_iter: int = 50,
) -> list[np.ndarray]:
    """t-SNE of every frame with a fixed seed (openTSNE's Barnes-Hut, one thread).

    A cold frame is a full t-SNE: PCA start, 250 iterations of early exaggeration (12),
    250 more without (scikit-learn's `TSNE(max_iter=500)` schedule). With `warm_start`,
    frame t starts from frame t-1's map and only refines it: `warm_iter` iterations, no
    exaggeration. Consecutive snapshots differ little, so a few dozen iterations keep up
    with the change; `bench/projection_cost.py` measures the saving and
    `tests/test_projection.py` checks the neighbourhoods against scikit-learn's t-SNE.
    Without `warm_start` every frame is cold (the flickering baseline).
    """
    from openTSNE import TSNEEmbedding, affinity, initialization
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    frames = _stack(frames)
    n = len(frames[0])
    perplexity = min(perplexity, (n - 1) / 3)
    out: list[np.ndarray] = []

    def embed(f, init):
        aff = affinity.PerplexityBasedNN(f, perplexity=perplexity, method="exact",
                                         random_state=seed, n_jobs=1)
        return TSNEEmbedding(init, aff, negative_gradient_method="bh", n_jobs=1,
                             random_state=seed)

    # One BLAS/OpenMP thread: for a few hundred points a second thread only adds
    # overhead, and after torch has run it made t-SNE ~10x slower here.
    with threadpool_limits(1):
        for f in tqdm(frames, desc="t-SNE frames", disable=not progress):
            if warm_start and out:
                emb = embed(f, out[-1]).optimize(warm_iter, momentum=0.8)
            else:
                emb = embed(f, initialization.pca(f, random_state=seed))
                emb = emb.optimize(250, exaggeration=12, momentum=0.5)
                emb = emb.optimize(250, momentum=0.8)
            out.append(np.array(emb, dtype=np.float64))  # (N, 2)
    return out


def frame_displacement(frames: Sequence) -> float:
    """How much a time-lapse jumps: the mean distance a point moves between consecutive
    frames, divided by the frames' mean spread (root-mean-square distance to the centre),
    so pictures on different scales (PCA, t-SNE) compare. 0 = nothing moves."""
    frames = _stack(frames)
    if len(frames) < 2:
        raise ValueError("need at least two frames to measure movement")
    moves = [np.linalg.norm(frames[t + 1] - frames[t], axis=1).mean()
             for t in range(len(frames) - 1)]
    spread = np.mean([np.sqrt(((f - f.mean(axis=0)) ** 2).sum(axis=1).mean())
                      for f in frames])
    return float(np.mean(moves) / spread) if spread > 0 else 0.0


def kept_neighbours(table, xy, k: int = 10) -> float:
    """How faithful a map is: the share of each point's k nearest neighbours in `table`
    (N, D) that are also among its k nearest in the map `xy` (N, 2). 1 = all kept; a random
    map keeps about k / (N - 1)."""
    from sklearn.neighbors import NearestNeighbors

    def knn(z):
        z = np.asarray(z, dtype=np.float64)
        return NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(
            z, return_distance=False)[:, 1:]  # (N, k), without the point itself

    return float(np.mean([len(set(a) & set(b)) / k
                          for a, b in zip(knn(table), knn(xy), strict=True)]))


def per_frame_pca(frames: Sequence, n_components: int = 2) -> list[np.ndarray]:
    """The naive time-lapse: a separate PCA for every frame (axes may flip or swap)."""
    return [AlignedPCA(n_components).fit_transform([f])[0] for f in _stack(frames)]
