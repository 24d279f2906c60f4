"""The checks of the mechanism chapter: right answers pass, and each plausible wrong
answer raises CheckError with its hint (which never prints the expected value)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab.checks import CheckError
from embedlab.checks.mechanism import (
    check_softmax_row_gradient,
    check_sppmi,
    check_update_cosine,
    softmax_row_gradient,
)

RNG = np.random.default_rng(0)
BEFORE = RNG.normal(size=(4, 3))
AFTER = BEFORE + RNG.normal(size=(4, 3))
WORDS = ["cat", "dog", "bread", "red"]


def _cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_update_cosine():
    da, db = AFTER[0] - BEFORE[0], AFTER[1] - BEFORE[1]
    want = _cos(da, db)
    assert "Correct" in check_update_cosine(want, BEFORE, AFTER, WORDS, "cat", "dog")
    wrong = {
        "after training": _cos(AFTER[0], AFTER[1]),
        "before training": _cos(BEFORE[0], BEFORE[1]),
        "dot product": float(da @ db) if abs(da @ db) > 1 else 5.0,
        "mixed up": _cos(AFTER[0] - BEFORE[1], AFTER[1] - BEFORE[0]),
        "not the cosine": want + 0.05 if want < 0.9 else want - 0.05,
    }
    for hint, answer in wrong.items():
        with pytest.raises(CheckError, match=hint) as e:
            check_update_cosine(answer, BEFORE, AFTER, WORDS, "cat", "dog")
        assert f"{want:.3f}" not in str(e.value)


def test_update_cosine_distance():
    da, db = AFTER[0] - BEFORE[0], AFTER[1] - BEFORE[1]
    d = float(np.linalg.norm(da - db))
    assert d > 1
    with pytest.raises(CheckError, match="distance"):
        check_update_cosine(d, BEFORE, AFTER, WORDS, "cat", "dog")


GEN = torch.Generator().manual_seed(0)
U = torch.randn(8, 3, generator=GEN, dtype=torch.float64)
V = torch.randn(3, generator=GEN, dtype=torch.float64)
CTX = [2, 5, 2, 7]


def test_softmax_row_gradient_reference_by_formula():
    p = torch.softmax(U @ V, 0)
    by_hand = sum(p @ U - U[c] for c in CTX)
    np.testing.assert_allclose(softmax_row_gradient(U, V, CTX), by_hand.numpy(),
                               atol=1e-14)
    assert "Correct" in check_softmax_row_gradient(by_hand, U, V, CTX)


@pytest.mark.parametrize("make, hint", [
    (lambda p: -sum(p @ U - U[c] for c in CTX), "sign"),
    (lambda p: sum(p @ U - U[c] for c in CTX) / len(CTX), "averaged"),
    (lambda p: -sum(U[c] for c in CTX), "only the true"),
    (lambda p: len(CTX) * (p @ U), "only the predicted"),
    (lambda p: sum(p @ U - U[c] for c in CTX[:1]), "not the gradient"),
    (lambda p: sum(p @ U - U[c] for c in CTX)[:2], "shape"),
])
def test_softmax_row_gradient_wrong(make, hint):
    p = torch.softmax(U @ V, 0)
    with pytest.raises(CheckError, match=hint):
        check_softmax_row_gradient(make(p), U, V, CTX)


COUNTS = np.array([[10.0, 0.0, 1.0], [1.0, 8.0, 1.0], [0.0, 2.0, 9.0]])


def _pmi(c):
    with np.errstate(divide="ignore"):
        return np.log(c * c.sum() / np.outer(c.sum(1), c.sum(0)))


def test_sppmi_shift_k_itself():
    counts = np.array([[50.0, 1.0], [1.0, 1.0]])  # PMI(1, 1) = log(53/4) > 2
    with pytest.raises(CheckError, match="k itself"):
        check_sppmi(np.maximum(_pmi(counts) - 2, 0), counts, 2)


def test_sppmi_right():
    want = np.maximum(_pmi(COUNTS) - np.log(2), 0)
    # hand-worked: total 32, row and column sums (11, 10, 11)
    assert want[0, 0] == pytest.approx(np.log(10 * 32 / 121) - np.log(2))
    assert "Correct" in check_sppmi(want, COUNTS, 2)


@pytest.mark.parametrize("answer, hint", [
    (_pmi(COUNTS) - np.log(2), "infinite"),
    (np.where(np.isinf(_pmi(COUNTS)), 0, _pmi(COUNTS) - np.log(2)), "negative"),
    (np.maximum(_pmi(COUNTS), 0), "without the shift"),
    (np.maximum(_pmi(COUNTS) / np.log(2) - 1, 0), "base-2"),
    (np.maximum(_pmi(COUNTS) - 2, 0), "log k"),  # all 0 here: the combined hint
    (np.zeros((3, 3)), "divide the counts by their total"),
    (np.maximum(_pmi(COUNTS) - np.log(2), 0).T + np.eye(3) * 0.01, "not the SPPMI"),
    (np.zeros((2, 3)), "shape"),
])
def test_sppmi_wrong(answer, hint):
    with pytest.raises(CheckError, match=hint) as e:
        check_sppmi(answer, COUNTS, 2)
    assert "0.28" not in str(e.value)
