"""Exercise checks of the chapter on why prediction gives similar words similar rows.

- `check_update_cosine`: the cosine of two words' accumulated updates.
- `check_softmax_row_gradient`: the gradient of one row of a softmax skip-gram, summed
  over the row's occurrences (checked against `torch.autograd`).
- `check_sppmi`: a shifted positive PMI matrix computed from counts.

Each recognises the usual wrong answers and says what went wrong without printing the
expected value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from . import CheckError, as_array, check_shape, guarded, passed


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@guarded
def check_update_cosine(answer, before, after, words: Sequence[str], a: str,
                        b: str) -> str:
    """cos(after[a] - before[a], after[b] - before[b]) for two words of `words`."""
    try:
        x = float(as_array(answer))
    except TypeError:
        raise CheckError("the answer should be one number (a cosine)") from None
    t0, t1 = as_array(before, "before"), as_array(after, "after")
    i, j = list(words).index(a), list(words).index(b)
    da, db = t1[i] - t0[i], t1[j] - t0[j]
    want = _cos(da, db)
    if np.isclose(x, want, atol=1e-6):
        return passed(f"The updates of {a!r} and {b!r} have cosine {want:.3f}.")
    if np.isclose(x, float(da @ db), rtol=1e-6):
        raise CheckError("that is the dot product of the updates: divide by both "
                         "lengths to get a cosine.")
    if np.isclose(x, float(np.linalg.norm(da - db)), rtol=1e-6):
        raise CheckError("that is a distance between the updates; the question asks "
                         "for the cosine of their angle.")
    if not -1 - 1e-9 <= x <= 1 + 1e-9:
        raise CheckError("a cosine lies between -1 and 1.")
    if np.isclose(x, _cos(t1[i], t1[j]), atol=1e-6):
        raise CheckError("that is the cosine of the rows after training; the update is "
                         "the change: after - before.")
    if np.isclose(x, _cos(t0[i], t0[j]), atol=1e-6):
        raise CheckError("that is the cosine of the random rows before training; the "
                         "update is after - before.")
    if np.isclose(x, _cos(t1[i] - t0[j], t1[j] - t0[i]), atol=1e-6):
        raise CheckError("the rows got mixed up: subtract each word's own starting row.")
    raise CheckError("not the cosine of the two updates: take each word's row after "
                     "minus its row before, then their cosine.")


def softmax_row_gradient(out_table, row, contexts: Sequence[int]) -> np.ndarray:
    """d/d row of sum_n -log softmax(out_table @ row)[contexts[n]], by autograd (float64)."""
    u = torch.as_tensor(as_array(out_table, "out_table"))  # (V, D)
    v = torch.as_tensor(as_array(row, "row")).clone().requires_grad_(True)  # (D,)
    logp = F.log_softmax(u @ v, dim=0)  # (V,)
    (-logp[torch.as_tensor(list(contexts))].sum()).backward()
    return v.grad.numpy()


@guarded
def check_softmax_row_gradient(answer, out_table, row, contexts: Sequence[int]) -> str:
    """The gradient of one row of a full-softmax skip-gram over all its occurrences."""
    a = as_array(answer)
    want = softmax_row_gradient(out_table, row, contexts)
    check_shape(a, want.shape, "gradient", "(D,): one number per coordinate of the row")
    if np.allclose(a, want, rtol=1e-6, atol=1e-9):
        return passed(f"The sum of {len(contexts)} output-side error vectors.")
    u = as_array(out_table)
    targets = u[list(contexts)].sum(axis=0)  # (D,)
    p = np.exp(u @ as_array(row) - (u @ as_array(row)).max())
    p /= p.sum()
    expected = len(contexts) * (p @ u)  # (D,)
    if np.allclose(a, -want, rtol=1e-6, atol=1e-9):
        raise CheckError("the sign is flipped: that is the direction the row MOVES "
                         "(minus the gradient), not the gradient.")
    if np.allclose(a, want / len(contexts), rtol=1e-6, atol=1e-9):
        raise CheckError("you averaged over the occurrences; the loss adds them, so "
                         "the gradient is their sum.")
    if np.allclose(a, -targets, rtol=1e-6, atol=1e-9) or np.allclose(
            a, targets, rtol=1e-6, atol=1e-9):
        raise CheckError("only the true contexts' output rows are there: the softmax "
                         "also pulls on every other word, by its predicted probability.")
    if np.allclose(a, expected, rtol=1e-6, atol=1e-9):
        raise CheckError("only the predicted (expected) output row is there: subtract "
                         "the true contexts' output rows.")
    raise CheckError("not the gradient: for each occurrence n take "
                     "softmax(U v) @ U - U[c_n], then add them up.")


@guarded
def check_sppmi(answer, counts, shift: float) -> str:
    """max(PMI - log(shift), 0) of a dense count matrix, natural logarithms."""
    c = as_array(counts, "counts")
    a = as_array(answer)
    check_shape(a, c.shape, "SPPMI matrix", "(words, contexts), like the counts")
    total = c.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(c * total / np.outer(c.sum(1), c.sum(0)))  # -inf at zero counts
        want = np.maximum(pmi - np.log(shift), 0.0)
        if np.allclose(a, want, atol=1e-9):
            return passed("Shifted positive PMI.")
        if np.isinf(a).any() or np.isnan(a).any():
            raise CheckError("there are infinite or NaN entries: a zero count has "
                             "PMI = -inf, which the 'positive' part turns into 0.")
        if (a < -1e-12).any():
            raise CheckError("there are negative entries: keep only the positive part, "
                             "max(PMI - log k, 0).")
        if np.allclose(a, np.maximum(pmi, 0.0), atol=1e-9):
            raise CheckError("this is PPMI without the shift: subtract log k (the number "
                             "of negative samples) before taking the positive part.")
        if np.allclose(a, np.maximum(pmi / np.log(2) - np.log2(shift), 0.0), atol=1e-9):
            raise CheckError("base-2 logarithms: use natural logarithms (np.log), as "
                             "skip-gram's sigmoid does.")
        if not a.any():
            raise CheckError("every entry is 0: PMI compares probabilities (divide the "
                             "counts by their total before taking the ratio), and the "
                             "shift is log k, not k.")
        if np.allclose(a, np.maximum(pmi - shift, 0.0), atol=1e-9):
            raise CheckError("you subtracted k itself: the shift is log k.")
    raise CheckError("not the SPPMI matrix: P(w, c) = count / total, P(w) and P(c) "
                     "from the row and column sums.")
