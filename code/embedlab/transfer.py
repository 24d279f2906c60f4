"""Reusing a trained table elsewhere: copying rows, measuring drift, mapping across languages.

- `copy_rows`: start a new model's table from an old one when the vocabularies differ: rows
  of shared tokens are copied, the others initialized at random with the old table's scale.
- `row_drift`: how far each row moved between two snapshots (fine-tuning vs freezing).
- Cross-lingual transfer: two separately trained tables (English, Italian) live in unrelated
  coordinates, yet a linear map learned from a small dictionary (`fit_procrustes` or
  `fit_least_squares`) lines them up well enough to translate held-out words by nearest
  neighbour (`leave_one_out_precision`). The data is the tiny EN/IT example in gensim's test
  folder (20 words each, 300 dimensions, and a 20-pair dictionary).

What it deliberately does not do: train anything (the chapters do, with `embedlab.training`),
or claim more than a 20-word example can show.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .projection import fit_procrustes  # noqa: F401  (the one Procrustes, re-exported)

EN_VECTORS = "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
IT_VECTORS = "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
EN_IT_DICTIONARY = "OPUS_en_it_europarl_train_one2ten.txt"


def copy_rows(
    old_table, old_tokens: Sequence[str], new_tokens: Sequence[str], seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A (len(new_tokens), D) table: shared tokens get their old row, the rest a random
    row with the old table's per-coordinate mean and std. Returns (table, copied mask)."""
    old = torch.as_tensor(np.asarray(old_table), dtype=torch.float32)  # (V_old, D)
    where = {t: i for i, t in enumerate(old_tokens)}
    if len(where) != len(old_tokens) or len(old_tokens) != len(old):
        raise ValueError("old_tokens must list each row of old_table once")
    gen = torch.Generator().manual_seed(seed)
    mean, std = old.mean(dim=0), old.std(dim=0)  # (D,)
    table = mean + std * torch.randn(len(new_tokens), old.shape[1], generator=gen)
    copied = torch.tensor([t in where for t in new_tokens])
    src = [where[t] for t in new_tokens if t in where]
    table[copied] = old[src]
    return table, copied


def row_drift(before, after) -> np.ndarray:
    """Euclidean distance each row moved, (V,)."""
    b, a = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    if b.shape != a.shape:
        raise ValueError(f"tables differ in shape: {b.shape} vs {a.shape}")
    return np.linalg.norm(a - b, axis=1)


# --- cross-lingual -----------------------------------------------------------------------


def load_vectors(name: str) -> tuple[list[str], np.ndarray]:
    """(words, vectors (N, D) float64) from a word2vec text file in gensim's test data,
    read by gensim's `KeyedVectors.load_word2vec_format`."""
    from gensim.models import KeyedVectors

    from .corpora import data_path

    kv = KeyedVectors.load_word2vec_format(str(data_path(name)), binary=False)
    return list(kv.index_to_key), kv.vectors.astype(np.float64)


def load_dictionary(name: str = EN_IT_DICTIONARY) -> list[tuple[str, str]]:
    """(source word, target word) pairs, one per line of the file."""
    from .corpora import data_path

    lines = data_path(name).read_text(encoding="utf-8").splitlines()
    return [tuple(line.split()[:2]) for line in lines if line.strip()]


def normalize_center(x) -> np.ndarray:
    """Unit rows, centred on the vocabulary's mean, unit rows again (uses no pairs)."""
    x = np.asarray(x, dtype=np.float64)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    x = x - x.mean(axis=0)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def fit_least_squares(x, y) -> np.ndarray:
    """Any linear W minimizing ||x W - y||_F (minimum-norm when underdetermined)."""
    return np.linalg.lstsq(np.asarray(x), np.asarray(y), rcond=None)[0]


def _one_blas_thread():
    """Small matrices: BLAS threads only add synchronisation (and on a busy machine, much
    waiting), so the cross-lingual code runs its linear algebra on one thread."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def random_orthogonal(dim: int, seed: int = 0) -> np.ndarray:
    """A uniformly random rotation/reflection: the map that knows nothing."""
    with _one_blas_thread():
        q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def translation_ranks(mapped, targets) -> np.ndarray:
    """For row i of `mapped`, the rank (0 = best) of target row i among all target rows by
    cosine similarity."""
    m = np.asarray(mapped, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    m = m / np.linalg.norm(m, axis=1, keepdims=True)
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    sims = m @ t.T  # (N, N)
    return (sims > np.diag(sims)[:, None]).sum(axis=1)


def leave_one_out_precision(
    x, y, method: str = "procrustes", ks: Sequence[int] = (1, 5)
) -> dict[int, float]:
    """Learn the map from all pairs but one, translate the held-out word, repeat for every
    pair. Returns precision@k: how often the right word is among the k nearest targets."""
    fit = {"procrustes": fit_procrustes, "least_squares": fit_least_squares}.get(method)
    if fit is None:
        raise ValueError(f"method must be procrustes or least_squares, got {method!r}")
    x, y = np.asarray(x), np.asarray(y)
    n = len(x)
    ranks = np.empty(n, dtype=int)
    with _one_blas_thread():
        for i in range(n):
            keep = np.arange(n) != i
            w = fit(x[keep], y[keep])
            ranks[i] = translation_ranks(x @ w, y)[i]
    return {k: float((ranks < k).mean()) for k in ks}
