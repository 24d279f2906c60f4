"""Probes: numbers that say whether an embedding table has structure.

A probe reads a table (rows = tokens) and known labels, never trains it. The main probe is
*neighbour purity*: for each labelled word, the fraction of its k nearest neighbours (by
cosine similarity) that share its label. A random table scores at chance, which we can compute
exactly from the label counts, and a permutation test says how far from chance a score must
be before it means anything.

What it deliberately does not do: evaluation on real-text benchmarks (WordSim353, SimLex,
analogies), which lives with the real-text code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


def _as_array(vectors) -> np.ndarray:
    if hasattr(vectors, "detach"):  # a torch tensor
        vectors = vectors.detach().cpu().numpy()
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"expected a 2-D table (rows, dim), got shape {v.shape}")
    return v


def unit_rows(vectors) -> np.ndarray:
    """Every row divided by its length (a zero row stays zero), float64 (N, D)."""
    v = _as_array(vectors)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1.0, norms)


def cosine_matrix(vectors) -> np.ndarray:
    """All pairwise cosine similarities, (N, N)."""
    u = unit_rows(vectors)
    return u @ u.T


def nearest_neighbours(vectors, words: Sequence[str], query: str, k: int = 5):
    """The k words most cosine-similar to `query` (itself excluded), with similarities.

    Compares the query's row with every row, (N,), never the (N, N) matrix, so it suits a
    large vocabulary as well as a toy table. Ties keep the table's order."""
    words = list(words)
    if query not in words:
        raise KeyError(f"{query!r} is not among the {len(words)} words")
    u = unit_rows(vectors)
    q = words.index(query)
    sims = u @ u[q]  # (N,)
    order = [i for i in np.argsort(-sims, kind="stable") if words[i] != query][:k]
    return [(words[i], float(sims[i])) for i in order]


def neighbour_purity(vectors, labels: Sequence[str], k: int = 5) -> float:
    """Mean fraction of each row's k cosine-nearest rows that carry the same label."""
    v = _as_array(vectors)
    labels = np.asarray(labels)
    if len(labels) != len(v):
        raise ValueError(f"{len(labels)} labels for {len(v)} rows")
    if not 1 <= k < len(v):
        raise ValueError(f"k must be between 1 and {len(v) - 1}, got {k}")
    sims = cosine_matrix(v)
    np.fill_diagonal(sims, -np.inf)
    nn = np.argsort(-sims, axis=1, kind="stable")[:, :k]  # (N, k)
    return float((labels[nn] == labels[:, None]).mean())


def chance_purity(labels: Sequence[str]) -> float:
    """Expected neighbour purity when neighbours are random: P(two other rows share a label)."""
    n = len(labels)
    counts = Counter(labels).values()
    return sum(c * (c - 1) for c in counts) / (n * (n - 1))


def purity_null(
    vectors, labels: Sequence[str], k: int = 5, n_perm: int = 200, seed: int = 0
) -> np.ndarray:
    """Purity of the same table with the labels shuffled `n_perm` times: the no-structure range."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    v = _as_array(vectors)
    sims = cosine_matrix(v)
    np.fill_diagonal(sims, -np.inf)
    nn = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    out = np.empty(n_perm)
    for i in range(n_perm):
        p = rng.permutation(labels)
        out[i] = (p[nn] == p[:, None]).mean()
    return out
