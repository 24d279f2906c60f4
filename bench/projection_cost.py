"""The cost of a time-lapse picture: aligned PCA vs warm-started t-SNE.

A synthetic table of drifting clusters (points that start mixed and separate into
`clusters` groups over `frames` snapshots, in `dim` dimensions) stands in for embedding
snapshots. For 500, 1000 and 2000 points we time `embedlab.projection.AlignedPCA` (one fit on
all frames, then a projection per frame) and `embedlab.projection.tsne_frames` (t-SNE per
frame, warm-started from the previous map) over all frames, and report each picture's
`frame_displacement` (how much it jumps between frames). At `reference_size` points the
t-SNE time-lapse is also run the way it was before (scikit-learn, warm-started from the
previous map, 250 iterations per frame): time, jump and the share of each point's 10 nearest
neighbours (last frame) that the map keeps, ours vs scikit-learn.

Both run with native thread pools (OpenMP, BLAS) limited to one thread: on a shared
2-core machine, OpenMP's spinning workers made sklearn's t-SNE about 4x slower, not faster.

What it deliberately does not do: judge which picture is better (see the chapter
watching-evolve for that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Row, timed


@dataclass
class ProjectionBenchConfig:
    sizes: tuple[int, ...] = (500, 1000, 2000)  # points per frame
    frames: int = 20  # snapshots in the time-lapse
    dim: int = 32  # dimension of the synthetic table
    clusters: int = 5  # groups the points drift into
    seed: int = 0  # data and t-SNE seed
    native_threads: int = 1  # OpenMP/BLAS threads (see the module docstring)
    reference_size: int = 1000  # points at which scikit-learn's t-SNE is run too (0: never)


def drifting_clusters(n: int, frames: int, dim: int, clusters: int, seed: int = 0):
    """`frames` tables (n, dim): noise that drifts linearly towards cluster centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(clusters, dim))  # (C, D)
    label = rng.integers(0, clusters, size=n)  # (N,)
    start = rng.normal(0, 1, size=(n, dim))  # (N, D)
    out = []
    for t in range(frames):
        a = t / max(1, frames - 1)
        jitter = rng.normal(0, 0.05, size=(n, dim))
        out.append(((1 - a) * start + a * (centres[label] + start * 0.5) + jitter)
                   .astype(np.float32))
    return out


def sklearn_tsne_frames(frames, perplexity: float = 15.0, seed: int = 0):
    """The time-lapse as `tsne_frames` computed it before: scikit-learn's t-SNE, a cold
    first frame (500 iterations), then each frame from the previous map (250, no
    exaggeration, the fewest scikit-learn allows)."""
    from sklearn.manifold import TSNE

    out = []
    for f in frames:
        if out:
            tsne = TSNE(2, perplexity=perplexity, init=out[-1], early_exaggeration=1.0,
                        max_iter=250, random_state=seed)
        else:
            tsne = TSNE(2, perplexity=perplexity, init="pca", max_iter=500,
                        random_state=seed)
        out.append(tsne.fit_transform(f))
    return out


def run(cfg: ProjectionBenchConfig | None = None, progress=None) -> list[Row]:
    import openTSNE  # noqa: F401  imported before any timing: no row includes imports
    import sklearn.manifold  # noqa: F401
    from threadpoolctl import threadpool_limits

    from embedlab.projection import (
        AlignedPCA,
        frame_displacement,
        kept_neighbours,
        tsne_frames,
    )

    cfg = cfg or ProjectionBenchConfig()
    rows: list[Row] = []
    for n in cfg.sizes:
        frames = drifting_clusters(n, cfg.frames, cfg.dim, cfg.clusters, cfg.seed)
        with threadpool_limits(limits=cfg.native_threads):
            pca, pca_s = timed(AlignedPCA(2).fit_transform, frames)
            tsne, tsne_s = timed(tsne_frames, frames, seed=cfg.seed)
        rows.append(Row("projection", f"{cfg.frames} frames x {n} points", pca_s,
                        tsne_s, "s", "warm t-SNE", False))
        rows.append(Row("projection", f"frame-to-frame jump, {n} points",
                        frame_displacement(pca), frame_displacement(tsne), "rel.",
                        "warm t-SNE", False))
        if n == cfg.reference_size:
            with threadpool_limits(limits=cfg.native_threads):
                ref, ref_s = timed(sklearn_tsne_frames, frames, seed=cfg.seed)
            sk = "sklearn t-SNE, 250 it/frame"
            rows.append(Row("projection", f"t-SNE time-lapse, {cfg.frames} x {n}", tsne_s,
                            ref_s, "s", sk, False))
            rows.append(Row("projection", f"t-SNE frame-to-frame jump, {n} points",
                            frame_displacement(tsne), frame_displacement(ref), "rel.", sk,
                            False))
            rows.append(Row("projection", f"t-SNE kept 10-NN, last frame, {n} points",
                            kept_neighbours(frames[-1], tsne[-1]),
                            kept_neighbours(frames[-1], ref[-1]), "share", sk, True))
        if progress:
            progress(f"projection {n} points")
    return rows
