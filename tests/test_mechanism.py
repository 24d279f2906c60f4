"""embedlab.mechanism against references: autograd for the occurrence gradients, a
hand-worked PMI example, NumPy's dense SVD, and the toyworld corpus it modifies."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from embedlab.mechanism import (
    category_cosines,
    cooccurrence_counts,
    move_word,
    neighbour_categories,
    neighbour_overlap,
    occurrence_gradients,
    sppmi,
    svd_embedding,
    within_across,
)
from embedlab.models import MLPLanguageModel
from embedlab.toyworld import make_toyworld
from embedlab.vocab import Vocab


@pytest.mark.parametrize("context", [1, 2, 3])
def test_occurrence_gradients_sum_to_autograd(context):
    torch.manual_seed(0)
    m = MLPLanguageModel(11, dim=4, context=context, hidden=7).double()
    ids = torch.randint(11, (40, context))
    ids[0, 0] = ids[3, -1] = 5  # token 5 occurs, in several positions
    y = torch.randint(11, (40,))
    m.loss(ids, y).backward()
    grads = m.embedding.weight.grad
    for token in range(11):
        per = occurrence_gradients(m, ids, y, token)
        assert per.shape == ((ids == token).sum().item(), 4)
        torch.testing.assert_close(per.sum(0), grads[token], rtol=0, atol=1e-14)


def test_occurrence_gradients_are_per_occurrence():
    # one example, token 3 at both positions: two different vectors (different W slices)
    torch.manual_seed(1)
    m = MLPLanguageModel(6, dim=3, context=2, hidden=5).double()
    ids, y = torch.tensor([[3, 3]]), torch.tensor([2])
    per = occurrence_gradients(m, ids, y, 3)
    assert per.shape == (2, 3) and not torch.allclose(per[0], per[1])
    # each is d loss / d input at its position (autograd on the looked-up rows)
    e = m.embedding(ids).detach().requires_grad_(True)  # (1, 2, 3)
    logits = m.out(torch.tanh(m.hidden(e.flatten(1))))
    torch.nn.functional.cross_entropy(logits, y).backward()
    torch.testing.assert_close(per, e.grad[0], rtol=0, atol=1e-14)


def test_sppmi_hand_worked():
    # counts: total 8; rows sums (4, 4); column sums (5, 3)
    counts = np.array([[4.0, 0.0], [1.0, 3.0]])
    # PMI(0,0) = log(4*8 / (4*5)) = log 1.6; PMI(1,0) = log(8/20) < 0;
    # PMI(1,1) = log(3*8 / (4*3)) = log 2; PMI(0,1): count 0 -> dropped
    want = np.array([[np.log(1.6), 0.0], [0.0, np.log(2.0)]])
    np.testing.assert_allclose(sppmi(counts).toarray(), want, atol=1e-15)
    # shift k = 1.5: log 1.6 - log 1.5 > 0 survives, log 2 - log 1.5 too
    np.testing.assert_allclose(sppmi(sp.csr_matrix(counts), shift=1.5).toarray(),
                               np.maximum(want - np.log(1.5), 0) * (want > 0),
                               atol=1e-15)
    # shift 2: log 1.6 - log 2 < 0 is cut, log 2 - log 2 = 0
    assert not sppmi(counts, shift=2.0).toarray().any()
    with pytest.raises(ValueError):
        sppmi(counts, shift=0)


def test_cooccurrence_counts_hand_worked():
    sents = [["a", "b", "c"], ["c", "a", "x"]]  # "x" is not in the vocabulary
    vocab = Vocab(["a", "b", "c"])
    c = cooccurrence_counts(sents, vocab, window=2).toarray()
    # window 2: distance 1 weighs 1, distance 2 weighs 1/2; no pairs across sentences;
    # "x" is removed first, so nothing pairs with it
    want = np.array([[0, 1, 0.5 + 1], [1, 0, 1], [1.5, 1, 0]])
    np.testing.assert_allclose(c, want)
    np.testing.assert_allclose(c, c.T)


def test_svd_embedding_matches_dense_svd():
    rng = np.random.default_rng(0)
    m = rng.random((30, 30))
    m = m + m.T  # symmetric, like a PPMI matrix
    e = svd_embedding(sp.csr_matrix(m), 4)
    u, s, _ = np.linalg.svd(m)
    want = u[:, :4] * np.sqrt(s[:4])
    # singular vectors are defined up to sign: compare |e . want| per column
    np.testing.assert_allclose(np.abs((e * want).sum(0)), (want**2).sum(0), rtol=1e-8)
    np.testing.assert_allclose(e @ e.T, want @ want.T, atol=1e-8)
    assert np.array_equal(e, svd_embedding(sp.csr_matrix(m), 4))  # deterministic
    with pytest.raises(ValueError):
        svd_embedding(m, 30)


def test_category_cosines_and_within_across():
    v = np.array([[1.0, 0], [1, 0.1], [0, 1], [0.1, 1]])
    labels = ["a", "a", "b", "b"]
    m = category_cosines(v, labels, ["a", "b"])
    c = 1 / np.sqrt(1.01)
    np.testing.assert_allclose(np.diag(m), [c, c])  # self-pairs left out
    np.testing.assert_allclose(m[0, 1], m[1, 0])
    w, a = within_across(m)
    assert w == pytest.approx(c) and a == pytest.approx(m[0, 1]) and w > a


def test_move_word_changes_only_its_contexts():
    world = make_toyworld(500, seed=0)
    moved = move_word(world, "cat", "food", seed=0)
    n = sum(s.count("cat") for s in world.sentences)
    assert n > 0 and n == sum(s.count("cat") for s in moved.sentences)
    assert [len(s) for s in world.sentences] == [len(s) for s in moved.sentences]
    foods = set(world.categories) & {w for w, c in world.categories.items()
                                     if c == "food"}
    for a, b in zip(world.sentences, moved.sentences, strict=True):
        for x, y in zip(a, b, strict=True):
            if x != y:  # a changed token: cat -> another animal, or a food -> cat
                assert (x == "cat" and world.category_of(y) == "animal") or \
                    (x in foods and y == "cat")
            if y == "cat":
                assert x in foods  # cat now only ever stands where a food stood
    assert moved.categories == world.categories  # labels unchanged
    with pytest.raises(ValueError):
        move_word(world, "cat", "animal")
    with pytest.raises(ValueError):
        move_word(world, "the", "food")


def test_neighbour_categories_and_overlap():
    t = np.array([[1.0, 0], [0.9, 0.1], [0.8, 0.3], [0, 1], [0.1, 1]])
    words = ["q", "a", "b", "c", "d"]
    labels = ["x", "x", "y", "y", "y"]
    assert neighbour_categories(t, words, labels, "q", k=2) == {"x": 0.5, "y": 0.5}
    assert neighbour_overlap(t, t, words, ["q", "c"], k=2) == {"q": 1.0, "c": 1.0}
    moved = t.copy()
    moved[0] = [0.05, 1.0]  # q now points where c and d do
    assert neighbour_overlap(t, moved, words, ["q"], k=2) == {"q": 0.0}
    # k=3: {a, b, d} before, {d, c, b} after
    assert neighbour_overlap(t, moved, words, ["q"], k=3) == {"q": 2 / 3}
