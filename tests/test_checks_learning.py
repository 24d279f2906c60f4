"""The exercise checks of the learning chapters: right answers pass, and each typical
wrong answer raises CheckError with its specific hint."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from embedlab.checks import CheckError
from embedlab.checks.learning import (
    bigram_row,
    check_bigram_row,
    check_cbow_input,
    check_displacement,
    check_first_step,
    check_gradient_rows,
    check_mlp_logits,
    check_ns_loss,
    check_procrustes,
    check_skipgram_pairs,
)
from embedlab.models import MLPLanguageModel
from embedlab.word2vec import sgns_loss as ns_loss
from embedlab.word2vec import skipgram_pairs

SENTS = [["the", "cat", "eats"], ["the", "dog", "eats"], ["a", "cat", "sleeps"],
         ["the", "cat", "."]]
WORDS = ["the", "a", "cat", "dog", "eats", "sleeps", "."]


def test_bigram_row_hand_worked():
    row = bigram_row(SENTS, "the", WORDS)
    assert row.tolist() == [0, 0, 2 / 3, 1 / 3, 0, 0, 0]
    assert "Correct" in check_bigram_row(row, SENTS, "the", WORDS)


@pytest.mark.parametrize("wrong, hint", [
    ([0, 0, 2, 1, 0, 0, 0], "counts, not probabilities"),
    ([2 / 3, 1 / 3, 0, 0, 0, 0, 0], "BEFORE"),  # what precedes "cat"
    ([0, 0, 0.5, 0.2, 0, 0, 0], "sums to"),
    ([0, 0, 0.6, 0.4, 0, 0, 0], "sentence"),
    ([0.5, 0.5], "shape"),
])
def test_bigram_row_hints(wrong, hint):
    word = "cat" if "BEFORE" in hint else "the"
    with pytest.raises(CheckError, match=hint):
        check_bigram_row(np.array(wrong, dtype=float), SENTS, word, WORDS)


def test_gradient_rows():
    inputs = torch.tensor([[3, 5], [5, 9]])
    targets = torch.tensor([1, 2])
    assert "Correct" in check_gradient_rows([3, 5, 9], inputs, targets, 12)
    with pytest.raises(CheckError, match="twice"):
        check_gradient_rows([3, 5, 5, 9], inputs, targets, 12)
    with pytest.raises(CheckError, match="target"):
        check_gradient_rows([1, 2, 3, 5, 9], inputs, targets, 12)
    with pytest.raises(CheckError, match="positions"):
        check_gradient_rows([0, 1, 2, 3], inputs, targets, 12)
    with pytest.raises(CheckError, match="missing"):
        check_gradient_rows([3, 5], inputs, targets, 12)


def test_gradient_rows_reference_is_autograd():
    torch.manual_seed(0)
    m = MLPLanguageModel(20, dim=3, context=2, hidden=4)
    x, y = torch.randint(20, (6, 2)), torch.randint(20, (6,))
    m.loss(x, y).backward()
    rows = torch.nonzero(m.embedding.weight.grad.abs().sum(1)).flatten().tolist()
    assert "Correct" in check_gradient_rows(rows, x, y, 20)


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    return MLPLanguageModel(10, dim=3, context=2, hidden=5), torch.randint(10, (4, 2))


def test_mlp_logits(mlp):
    m, ids = mlp
    with torch.no_grad():
        e = m.embedding.weight[ids]  # (4, 2, 3)
        good = m.out(torch.tanh(m.hidden(e.flatten(1))))
        assert "Correct" in check_mlp_logits(good, m, ids)
        with pytest.raises(CheckError, match="softmax"):
            check_mlp_logits(F.softmax(good, 1), m, ids)
        with pytest.raises(CheckError, match="tanh"):
            check_mlp_logits(m.out(m.hidden(e.flatten(1))), m, ids)
        with pytest.raises(CheckError, match="wrong order"):
            check_mlp_logits(m.out(torch.tanh(m.hidden(e.transpose(1, 2).flatten(1)))),
                             m, ids)
        with pytest.raises(CheckError):
            check_mlp_logits(good + 1.0, m, ids)


def test_skipgram_pairs_reference_hand_worked():
    assert sorted(skipgram_pairs(["a", "b", "c"], 1)) == [("a", "b"), ("b", "a"),
                                                          ("b", "c"), ("c", "b")]


def test_skipgram_pairs_hints():
    toks = ["the", "cat", "is", "red", "."]
    good = skipgram_pairs(toks, 2)
    assert "Correct" in check_skipgram_pairs(list(reversed(good)), toks, 2)
    right_only = [(toks[i], toks[j]) for i in range(5) for j in range(i + 1, min(5, i + 3))]
    with pytest.raises(CheckError, match="AFTER"):
        check_skipgram_pairs(right_only, toks, 2)
    with pytest.raises(CheckError, match="itself"):
        check_skipgram_pairs(good + [("cat", "cat")], toks, 2)
    with pytest.raises(CheckError, match="too wide"):
        check_skipgram_pairs(skipgram_pairs(toks, 3), toks, 2)
    with pytest.raises(CheckError, match="ends"):
        check_skipgram_pairs(good[:-1], toks, 2)


def test_cbow_input():
    table = np.arange(24, dtype=float).reshape(6, 4)
    ctx = [1, 4, 5]
    assert "Correct" in check_cbow_input(table[ctx].mean(0), table, ctx)
    with pytest.raises(CheckError, match="sum"):
        check_cbow_input(table[ctx].sum(0), table, ctx)
    with pytest.raises(CheckError, match="shape"):
        check_cbow_input(table[ctx], table, ctx)
    with pytest.raises(CheckError):
        check_cbow_input(table[[1, 4]].mean(0), table, ctx)
    square = np.arange(36, dtype=float).reshape(6, 6)
    with pytest.raises(CheckError, match="columns"):
        check_cbow_input(square[:, ctx].mean(1), square, ctx)


def test_ns_loss_reference_hand_worked():
    # zero vectors: every sigmoid is 1/2, so the loss is (1 + K) log 2
    v, up, un = np.zeros(3), np.zeros(3), np.zeros((4, 3))
    assert ns_loss(v, up, un) == pytest.approx(5 * np.log(2))


def test_ns_loss_hints():
    g = torch.Generator().manual_seed(1)
    v, up, un = torch.randn(8, generator=g), torch.randn(8, generator=g), torch.randn(
        5, 8, generator=g)
    good = -F.logsigmoid(up @ v) - F.logsigmoid(-(un @ v)).sum()
    assert "Correct" in check_ns_loss(good, v, up, un)
    with pytest.raises(CheckError, match="minus sign"):
        check_ns_loss(-F.logsigmoid(up @ v) - F.logsigmoid(un @ v).sum(), v, up, un)
    with pytest.raises(CheckError, match="flipped"):
        check_ns_loss(-good, v, up, un)
    with pytest.raises(CheckError, match="averaged"):
        check_ns_loss(-F.logsigmoid(up @ v) - F.logsigmoid(-(un @ v)).mean(), v, up, un)
    with pytest.raises(CheckError, match="softmax"):
        scores = torch.cat([(up @ v).view(1), un @ v])
        check_ns_loss(-F.log_softmax(scores, 0)[0], v, up, un)


def test_displacement():
    frames = [np.zeros((2, 2)), np.array([[3.0, 4.0], [0.0, 0.0]]), np.zeros((2, 2))]
    # moves: 5 and 0, then 5 and 0 -> mean 2.5 (hand-worked)
    assert "Correct" in check_displacement(2.5, frames)
    with pytest.raises(CheckError, match="squared"):
        check_displacement(12.5, frames)
    with pytest.raises(CheckError, match="total"):
        check_displacement(10.0, frames)
    with pytest.raises(CheckError, match="coordinate"):
        check_displacement(1.75, frames)
    with pytest.raises(CheckError, match="frame t"):
        check_displacement(3.0, frames)


def test_procrustes():
    rng = np.random.default_rng(0)
    b = rng.normal(size=(10, 2))
    b -= b.mean(0)
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    a = b @ rot.T  # so that a @ rot == b
    assert "Correct" in check_procrustes(rot, a, b)
    with pytest.raises(CheckError, match="transpose"):
        check_procrustes(rot.T, a, b)
    with pytest.raises(CheckError, match="not orthogonal"):
        check_procrustes(np.linalg.lstsq(a, b + 0.1, rcond=None)[0] * 1.1, a, b)
    with pytest.raises(CheckError, match="2 x 2"):
        check_procrustes(np.eye(3), a, b)
    with pytest.raises(CheckError, match="not the best"):
        check_procrustes(np.array([[1.0, 0.0], [0.0, -1.0]]), a, b)


def test_first_step():
    steps, vals = [0, 10, 20, 30], [0.1, 0.5, 0.7, 0.9]
    assert "Correct" in check_first_step(20, steps, vals, 0.5)
    with pytest.raises(CheckError, match="index"):
        check_first_step(2, steps, vals, 0.5)
    with pytest.raises(CheckError, match="FIRST"):
        check_first_step(30, steps, vals, 0.5)
    with pytest.raises(CheckError, match="equals the threshold"):
        check_first_step(10, steps, vals, 0.5)
    with pytest.raises(CheckError, match="one step number"):
        check_first_step("twenty", steps, vals, 0.5)
