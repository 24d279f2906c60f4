"""The primer's checks: right answers pass, the usual slips get their named hint."""

import numpy as np
import pytest
import torch
from scipy.stats import rankdata

from embedlab.checks import CheckError
from embedlab.checks.primer import (
    check_adam_step,
    check_ce_grad,
    check_first_component,
    check_spearman,
)

LOGITS = np.array([2.0, -1.0, 0.5, 0.0])
TARGET = 2


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_ce_grad_is_softmax_minus_one_hot():
    right = softmax(LOGITS) - np.eye(4)[TARGET]  # worked by hand, not by autograd
    assert "Correct" in check_ce_grad(right, LOGITS, TARGET)
    with pytest.raises(CheckError, match="softmax\\(logits\\) itself"):
        check_ce_grad(softmax(LOGITS), LOGITS, TARGET)
    with pytest.raises(CheckError, match="sign is flipped"):
        check_ce_grad(-right, LOGITS, TARGET)
    with pytest.raises(CheckError, match="only at the target"):
        check_ce_grad(softmax(LOGITS) - 1, LOGITS, TARGET)
    with pytest.raises(CheckError, match="shape"):
        check_ce_grad(right[:3], LOGITS, TARGET)
    with pytest.raises(CheckError):
        check_ce_grad(np.eye(4)[TARGET] * 0.5, LOGITS, TARGET)


P = np.array([0.5, -0.2, 1.0])
G = np.array([0.01, -3.0, 0.0])


def test_adam_step_against_hand_formula_and_slips():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m, v = (1 - b1) * G, (1 - b2) * G**2
    right = P - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    assert "Correct" in check_adam_step(right, P, G, lr=lr)
    # the textbook fact the check's message states: the first step is about lr * sign(g)
    assert np.allclose(np.abs(right - P)[:2], lr, rtol=1e-5)
    with pytest.raises(CheckError, match="plain SGD"):
        check_adam_step(P - lr * G, P, G, lr=lr)
    with pytest.raises(CheckError, match="bias correction"):
        check_adam_step(P - lr * m / (np.sqrt(v) + eps), P, G, lr=lr)
    with pytest.raises(CheckError, match="uphill"):
        check_adam_step(2 * P - right, P, G, lr=lr)


def test_spearman_is_pearson_of_ranks():
    x = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 5.0])
    rx, ry = rankdata(x), rankdata(y)
    right = np.corrcoef(rx, ry)[0, 1]
    assert "Correct" in check_spearman(right, x, y)
    with pytest.raises(CheckError, match="Pearson's correlation of the values"):
        check_spearman(np.corrcoef(x, y)[0, 1], x, y)
    with pytest.raises(CheckError, match="between -1 and 1"):
        check_spearman(np.cov(rx, ry)[0, 1], x, y)
    with pytest.raises(CheckError):
        check_spearman(0.1, x, y)


def test_first_component_accepts_either_sign_and_wants_centring():
    gen = torch.Generator().manual_seed(0)
    X = (torch.randn(30, 3, generator=gen) * torch.tensor([3.0, 1.0, 0.2])
         + torch.tensor([0.0, 20.0, 0.0])).numpy()
    Xc = X - X.mean(0)
    w = np.linalg.eigh(Xc.T @ Xc)[1][:, -1]  # top eigenvector of the scatter matrix
    assert "Correct" in check_first_component(Xc @ w, X)
    assert "opposite sign" in check_first_component(-(Xc @ w), X) or "Correct" in \
        check_first_component(-(Xc @ w), X)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    with pytest.raises(CheckError, match="centre the data"):
        check_first_component(X @ vt[0], X)
    with pytest.raises(CheckError):
        check_first_component(X[:, 0], X)
