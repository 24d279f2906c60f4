"""Auto-checks for the exercises of the chapter on skip-gram checked against gensim.

Each check computes its own reference (by the formulas of word2vec, written out plainly)
and raises `CheckError` naming the typical slip: the drop probability instead of the keep
probability, a missing cap at 1, t/f upside down; a fixed window instead of each centre's
own, the centre paired with itself; the sign of the noise term, a mean instead of a sum,
probabilities instead of logs; the gradient's direction or its missing positive term.

What it deliberately does not do: print, or reveal the expected value in a hint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..word2vec import sgns_loss, skipgram_pairs
from . import CheckError, as_array, check_close, guarded, passed


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- subsampling ---------------------------------------------------------------------


def keep_probability(count: float, total: float, sample: float) -> float:
    """word2vec's chance that one occurrence of a word with `count` survives subsampling."""
    t = sample * total
    return min(1.0, (math.sqrt(count / t) + 1.0) * t / count)


@guarded
def check_keep_probability(answer, count: float, total: float, sample: float) -> str:
    """`answer` must be the keep probability of a word seen `count` times in `total`."""
    a = float(as_array(answer))
    want = keep_probability(count, total, sample)
    if math.isclose(a, want, rel_tol=1e-6, abs_tol=1e-12):
        return passed(f"a word seen {count:g} times survives {want:.1%} of the time.")
    t = sample * total
    raw = (math.sqrt(count / t) + 1.0) * t / count
    if math.isclose(a, 1.0 - want, rel_tol=1e-6) and want != 0.5:
        raise CheckError("that is the chance the word is DROPPED; the keep probability "
                         "is 1 minus it.")
    if raw > 1 and math.isclose(a, raw, rel_tol=1e-6):
        raise CheckError("more than 1 is not a probability: cap it with min(1, ...) "
                         "(rare words are always kept).")
    if math.isclose(a, min(1.0, (math.sqrt(t / count) + 1.0) * count / t), rel_tol=1e-6):
        raise CheckError("the ratio is upside down: use t / f with f the word's count and "
                         "t = sample * total.")
    if math.isclose(a, min(1.0, math.sqrt(t / count)), rel_tol=1e-6):
        raise CheckError("sqrt(t/f) is the formula of the 2013 paper's drop rule; word2vec's "
                         "code keeps a word with (sqrt(f/t) + 1) * t/f.")
    raise CheckError(f"{a:.6g} is not the keep probability; t = sample * total = {t:g}, "
                     "f = count, and the answer is min(1, (sqrt(f/t) + 1) * t/f).")


# --- pairs with a dynamic window -----------------------------------------------------


@guarded
def check_skipgram_pairs(answer, tokens: Sequence[str], b: Sequence[int]) -> str:
    """`answer` must hold the (centre, context) pairs of `tokens` with windows `b`."""
    try:
        got = [tuple(p) for p in answer]
    except TypeError:
        raise CheckError("answer should be a list of (centre, context) pairs") from None
    if any(len(p) != 2 for p in got):
        raise CheckError("every pair should have two words: (centre, context)")
    want = skipgram_pairs(tokens, b)
    if sorted(got) == sorted(want):
        return passed(f"{len(want)} pairs.")
    if sorted(got) == sorted(want + [(t, t) for t in tokens]):
        raise CheckError("a word is paired with itself: skip the centre position.")
    fixed = skipgram_pairs(tokens, [max(b)] * len(tokens))
    if sorted(got) == sorted(fixed):
        raise CheckError("you used the largest window for every centre: each centre i "
                         "only reaches b[i] words either side.")
    swapped = [(x, c) for c, x in want]
    if sorted(got) == sorted(swapped) and sorted(swapped) != sorted(want):
        raise CheckError("the pairs are (context, centre): put the centre first, and use "
                         "the CENTRE's window b[i].")
    right_only = [(tokens[i], tokens[j]) for i in range(len(tokens))
                  for j in range(i + 1, min(len(tokens), i + b[i] + 1))]
    if sorted(got) == sorted(right_only):
        raise CheckError("only the words after the centre: the window reaches both sides.")
    raise CheckError(f"{len(got)} pairs, expected {len(want)}; some pairs are "
                     f"{'missing' if len(got) < len(want) else 'extra or wrong'}.")


# --- the negative-sampling loss and its gradient -------------------------------------


@guarded
def check_sgns_loss(answer, v, u_pos, u_neg) -> str:
    """`answer` must be the negative-sampling loss of one pair."""
    a = float(as_array(answer))
    want = sgns_loss(v, u_pos, u_neg)
    if math.isclose(a, want, rel_tol=1e-5, abs_tol=1e-8):
        return passed(f"loss = {want:.4f}.")
    v, u_pos, u_neg = (as_array(x) for x in (v, u_pos, u_neg))
    pos, negs = np.log(_sigmoid(u_pos @ v)), np.log(_sigmoid(-(u_neg @ v)))
    slips = {
        "the noise term has the wrong sign inside: noise words should score LOW, so use "
        "log s(-u_k . v)": -pos - np.log(_sigmoid(u_neg @ v)).sum(),
        "the whole thing has the wrong sign: the loss is MINUS the log-likelihood, "
        "a positive number": pos + negs.sum(),
        "you averaged the noise terms: word2vec sums them over the K noise words":
        -pos - negs.mean(),
        "the noise terms are missing: add - sum_k log s(-u_k . v)": -pos,
        "you used probabilities, not log-probabilities": -_sigmoid(u_pos @ v)
        - _sigmoid(-(u_neg @ v)).sum(),
    }
    for hint, value in slips.items():
        if math.isclose(a, float(value), rel_tol=1e-5, abs_tol=1e-8):
            raise CheckError(hint + ".")
    raise CheckError(f"loss = {a:.6g} is {'too large' if a > want else 'too small'}.")


def sgns_grad_v(v, u_pos, u_neg) -> np.ndarray:
    """dL/dv = (s(u_pos . v) - 1) u_pos + sum_k s(u_k . v) u_k."""
    v, u_pos, u_neg = (as_array(x) for x in (v, u_pos, u_neg))
    return (_sigmoid(u_pos @ v) - 1.0) * u_pos + (_sigmoid(u_neg @ v)[:, None] * u_neg).sum(0)


@guarded
def check_sgns_grad_v(answer, v, u_pos, u_neg) -> str:
    """`answer` must be the gradient of the one-pair loss with respect to v, shape (D,)."""
    a = as_array(answer)
    want = sgns_grad_v(v, u_pos, u_neg)
    v_, up, un = (as_array(x) for x in (v, u_pos, u_neg))
    if a.shape == want.shape:
        if np.allclose(a, (_sigmoid(un @ v_)[:, None] * un).sum(0), rtol=1e-5, atol=1e-8):
            raise CheckError("only the noise part: the true word adds (s(u_pos . v) - 1) "
                             "u_pos.")
        if np.allclose(a, (_sigmoid(up @ v_) - 1.0) * up, rtol=1e-5, atol=1e-8):
            raise CheckError("only the true word's part: each noise word adds "
                             "s(u_k . v) u_k.")
        if np.allclose(a, _sigmoid(up @ v_) * up + (_sigmoid(un @ v_)[:, None] * un).sum(0),
                       rtol=1e-5, atol=1e-8):
            raise CheckError("the true word's factor is s(u_pos . v) - 1, not s(u_pos . v): "
                             "its label is 1.")
    return check_close(a, want, name="dL/dv", rtol=1e-5, atol=1e-8)
