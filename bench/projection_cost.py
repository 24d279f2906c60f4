"""The cost of a time-lapse picture: aligned PCA vs warm-started t-SNE.

A synthetic table of drifting clusters (points that start mixed and separate into
`clusters` groups over `frames` snapshots, in `dim` dimensions) stands in for embedding
snapshots. For 500, 1000 and 2000 points we time `embedlab.projection.AlignedPCA` (one fit on
all frames, then a projection per frame) and `embedlab.projection.tsne_frames` (t-SNE per
frame, warm-started from the previous map) over all frames, and report each picture's
`frame_displacement` (how much it jumps between frames).

Both run with native thread pools (OpenMP, BLAS) limited to one thread: on a shared
2-core machine, OpenMP's spinning workers made sklearn's t-SNE about 4x slower, not faster.

What it deliberately does not do: compare with another t-SNE library (sklearn is both
the reference and the engine here), or judge which picture is better.
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


def run(cfg: ProjectionBenchConfig | None = None, progress=None) -> list[Row]:
    from threadpoolctl import threadpool_limits

    from embedlab.projection import AlignedPCA, frame_displacement, tsne_frames

    cfg = cfg or ProjectionBenchConfig()
    rows: list[Row] = []
    for n in cfg.sizes:
        frames = drifting_clusters(n, cfg.frames, cfg.dim, cfg.clusters, cfg.seed)
        with threadpool_limits(limits=cfg.native_threads):
            pca, pca_s = timed(AlignedPCA(2).fit_transform, frames)
            tsne, tsne_s = timed(tsne_frames, frames, seed=cfg.seed)
        rows.append(Row("projection", f"{cfg.frames} frames x {n} points", pca_s,
                        tsne_s, "s", "warm t-SNE (sklearn)", False))
        rows.append(Row("projection", f"frame-to-frame jump, {n} points",
                        frame_displacement(pca), frame_displacement(tsne), "rel.",
                        "warm t-SNE (sklearn)", False))
        if progress:
            progress(f"projection {n} points")
    return rows
