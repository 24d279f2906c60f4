"""Checks for the exercises of the primer (the refreshers appendix).

Each check recomputes the expected value with the trusted library (autograd,
`torch.optim`, `scipy.stats`) and names the usual slip when the answer is wrong:
a missing one-hot term, a missing bias correction, Pearson instead of Spearman,
an uncentred PCA. Hints never print the expected value.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

from . import CheckError, as_array, check_close, check_shape, passed, reject_slips


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def check_ce_grad(answer, logits, target: int) -> str:
    """Gradient of cross-entropy(softmax(logits), target) w.r.t. the logits (one row)."""
    z = torch.tensor(as_array(logits, "logits"), dtype=torch.float64,
                     requires_grad=True)  # (V,)
    torch.nn.functional.cross_entropy(z[None], torch.tensor([target])).backward()
    expected = z.grad.numpy()
    a = as_array(answer)
    check_shape(a, expected.shape, meaning="(number of classes,)")
    p = _softmax(z.detach().numpy())
    reject_slips(a, [
        (p, "that is softmax(logits) itself: the target class also "
            "contributes a term (its one-hot vector)"),
        (-expected, "the sign is flipped: the gradient of a loss points uphill, "
                    "so the target's entry must be negative"),
        (p - 1, "you subtracted 1 from every entry: subtract it only at the "
                "target class"),
    ], atol=1e-6)
    check_close(a, expected, "gradient", atol=1e-6)
    return passed("the gradient is softmax minus one-hot.")


def check_adam_step(answer, param, grad, lr: float = 1e-3,
                    betas: tuple[float, float] = (0.9, 0.999),
                    eps: float = 1e-8) -> str:
    """The parameter after ONE Adam step from zero moments, compared with torch.optim."""
    p = torch.tensor(as_array(param, "param"), dtype=torch.float64, requires_grad=True)
    g = torch.tensor(as_array(grad, "grad"), dtype=torch.float64)
    opt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps)
    p.grad = g.clone()
    opt.step()
    expected = p.detach().numpy()
    a = as_array(answer)
    check_shape(a, expected.shape)
    p0, g0 = as_array(param), as_array(grad)
    if np.allclose(a, p0 - lr * g0, rtol=1e-6, atol=1e-12):
        raise CheckError("that is a plain SGD step: Adam divides the first moment by "
                         "the square root of the second")
    m, v = (1 - betas[0]) * g0, (1 - betas[1]) * g0**2
    if np.allclose(a, p0 - lr * m / (np.sqrt(v) + eps), rtol=1e-6, atol=1e-12):
        raise CheckError("you forgot the bias correction: divide m by 1 - beta1**t and "
                         "v by 1 - beta2**t (t = 1 on the first step)")
    if np.allclose(a, p0 + (p0 - expected), rtol=1e-6, atol=1e-12):
        raise CheckError("the step goes uphill: subtract the update from the parameter")
    check_close(a, expected, "parameter after one step", rtol=1e-6, atol=1e-9)
    return passed("one Adam step moves each entry by about lr, whatever the "
                  "gradient's size.")


def check_spearman(answer: float, x, y) -> str:
    """Spearman's rank correlation of two samples, compared with scipy."""
    x, y = as_array(x, "x"), as_array(y, "y")
    expected = float(spearmanr(x, y).statistic)
    a = float(as_array(answer))
    pearson = float(pearsonr(x, y).statistic)
    if not np.isclose(expected, pearson, atol=1e-6) and np.isclose(a, pearson, atol=1e-6):
        raise CheckError("that is Pearson's correlation of the values: Spearman's is "
                         "Pearson's correlation of their ranks")
    if abs(a) > 1 + 1e-9:
        raise CheckError("a correlation lies between -1 and 1: did you forget to "
                         "divide by the standard deviations?")
    check_close(a, expected, "Spearman correlation", atol=1e-9)
    return passed("Spearman's rho is Pearson's r of the ranks.")


def check_first_component(answer, X) -> str:
    """Scores of the rows of X on the first principal component (either sign)."""
    X = as_array(X, "X")  # (n, d)
    Xc = X - X.mean(0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    expected = Xc @ vt[0]  # (n,)
    a = as_array(answer)
    check_shape(a, expected.shape, meaning="(number of rows,)")
    if np.allclose(a, -expected, atol=1e-8):
        return passed("(with the opposite sign, which is just as right: a principal "
                      "axis has no preferred direction).")
    _, _, vt_raw = np.linalg.svd(X, full_matrices=False)
    raw = X @ vt_raw[0]
    if np.allclose(np.abs(a), np.abs(raw), atol=1e-8) or np.allclose(
            np.abs(a), np.abs(Xc @ vt_raw[0]), atol=1e-8):
        raise CheckError("centre the data first (subtract the column means): without "
                         "centring, the first axis points at the mean, not along the "
                         "largest spread")
    check_close(a, expected, "scores", atol=1e-8)
    return passed("the first principal component is the first right-singular vector "
                  "of the centred data.")
