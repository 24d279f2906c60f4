"""embedlab.transfer: row copying, drift, and the cross-lingual maps against references
(scipy's orthogonal Procrustes, a planted rotation, the EN/IT data in gensim's tests)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import orthogonal_procrustes

from embedlab.transfer import (
    EN_VECTORS,
    IT_VECTORS,
    copy_rows,
    fit_least_squares,
    fit_procrustes,
    leave_one_out_precision,
    load_dictionary,
    load_vectors,
    normalize_center,
    random_orthogonal,
    row_drift,
    translation_ranks,
)


def test_copy_rows_copies_shared_and_draws_the_rest_at_old_scale():
    g = torch.Generator().manual_seed(0)
    old = torch.randn(500, 4, generator=g) * 3 + 1
    old_tokens = [f"w{i}" for i in range(500)]
    new_tokens = ["w3", "new1", "w0"] + [f"n{i}" for i in range(2000)]
    table, copied = copy_rows(old, old_tokens, new_tokens, seed=1)
    assert table.shape == (2003, 4)
    assert copied.tolist()[:3] == [True, False, True] and copied.sum() == 2
    assert torch.equal(table[0], old[3]) and torch.equal(table[2], old[0])
    fresh = table[~copied]
    assert torch.allclose(fresh.mean(0), old.mean(0), atol=0.25)
    assert torch.allclose(fresh.std(0), old.std(0), rtol=0.1)
    again, _ = copy_rows(old, old_tokens, new_tokens, seed=1)
    assert torch.equal(table, again)  # seeded


def test_copy_rows_rejects_mismatched_tokens():
    with pytest.raises(ValueError):
        copy_rows(np.zeros((3, 2)), ["a", "b"], ["a"])


def test_row_drift_against_hand_example():
    before = np.array([[0.0, 0.0], [1.0, 1.0]])
    after = np.array([[3.0, 4.0], [1.0, 1.0]])
    assert row_drift(before, after).tolist() == [5.0, 0.0]
    with pytest.raises(ValueError):
        row_drift(before, after[:1])


def test_procrustes_matches_scipy_and_recovers_a_planted_rotation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6))
    q = random_orthogonal(6, seed=3)
    w = fit_procrustes(x, x @ q)
    assert np.allclose(w, q, atol=1e-8)
    y = rng.normal(size=(50, 6))
    assert np.allclose(fit_procrustes(x, y), orthogonal_procrustes(x, y)[0], atol=1e-10)
    assert np.allclose(q.T @ q, np.eye(6), atol=1e-10)


def test_least_squares_matches_numpy_normal_equations():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 3))
    ref = np.linalg.solve(x.T @ x, x.T @ y)
    assert np.allclose(fit_least_squares(x, y), ref, atol=1e-10)


def test_translation_ranks_hand_example():
    mapped = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    targets = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    # row 0 -> target 0 best (rank 0); row 1 -> target 1 is third; row 2 -> target 2 second
    assert translation_ranks(mapped, targets).tolist() == [0, 2, 1]


def test_normalize_center_gives_unit_rows():
    x = normalize_center(np.random.default_rng(0).normal(size=(10, 4)) + 5)
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0)


def test_leave_one_out_on_planted_rotation_is_perfect_and_random_map_is_not():
    rng = np.random.default_rng(0)
    x = normalize_center(rng.normal(size=(30, 8)))
    y = x @ random_orthogonal(8, seed=1)
    assert leave_one_out_precision(x, y, "procrustes") == {1: 1.0, 5: 1.0}
    r = translation_ranks(x @ random_orthogonal(8, seed=2), y)
    assert (r < 1).mean() < 0.5
    with pytest.raises(ValueError, match="method"):
        leave_one_out_precision(x, y, "magic")


def test_load_vectors_matches_gensim():
    from gensim.models import KeyedVectors

    from embedlab.corpora import data_path

    words, vecs = load_vectors(IT_VECTORS)
    kv = KeyedVectors.load_word2vec_format(str(data_path(IT_VECTORS)))
    assert words == list(kv.index_to_key)
    assert np.allclose(vecs, kv.vectors, atol=1e-6)


def test_en_it_data_and_translation_beat_random_maps():
    pairs = load_dictionary()
    assert len(pairs) == 20 and ("dog", "cane") in pairs
    (en_words, en), (it_words, it) = load_vectors(EN_VECTORS), load_vectors(IT_VECTORS)
    x = normalize_center([en[en_words.index(a)] for a, _ in pairs])
    y = normalize_center([it[it_words.index(b)] for _, b in pairs])
    p = leave_one_out_precision(x, y, "procrustes")
    rand = [
        (translation_ranks(x @ random_orthogonal(300, s), y) < 1).mean()
        for s in range(20)
    ]
    assert p[1] >= 0.8 and p[5] >= 0.9
    assert p[1] > np.mean(rand) + 0.5
