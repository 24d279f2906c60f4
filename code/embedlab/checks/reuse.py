"""Checks for the exercises on reusing a table: word rows from WordPiece pieces, weight
decay on rows a task never uses, and precision@1 measured on held-out pairs.

Each check computes the reference itself and, when the answer is wrong, names the usual
slip (a sum instead of a mean, [CLS]/[SEP] counted as pieces, the learning rate left out of
the decay, precision measured on the pairs the map was fitted on) without revealing the
expected value.

What it deliberately does not do: train models (the exercises pass in what they built).
"""

from __future__ import annotations

import numpy as np

from ..transfer import translation_ranks
from . import CheckError, as_array, check_close, guarded, passed


def _close(a, b, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    a, b = as_array(a), as_array(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


@guarded
def check_word_row(answer, word: str, table, tokenizer) -> str:
    """The row of a whole word: the mean of the table rows of its WordPiece pieces."""
    t = as_array(table)
    ids = tokenizer.encode(word, add_special_tokens=False).ids
    expected = t[ids].mean(axis=0)  # (D,)
    a = as_array(answer)
    if a.shape != expected.shape:
        raise CheckError(f"shape {a.shape}, expected {expected.shape}: one vector of "
                         "the table's width (average over the pieces, axis 0)")
    if len(ids) > 1 and _close(a, t[ids].sum(axis=0)):
        raise CheckError("that is the sum of the piece rows; divide by the number of "
                         "pieces (a mean)")
    with_specials = tokenizer.encode(word).ids
    if _close(a, t[with_specials].mean(axis=0)):
        raise CheckError("[CLS] and [SEP] were counted as pieces: encode with "
                         "add_special_tokens=False")
    if len(ids) > 1 and _close(a, t[ids[0]]):
        raise CheckError("that is only the first piece; average all of them")
    check_close(a, expected, "word row", atol=1e-5)
    return passed(f"{word!r} = mean of {len(ids)} WordPiece rows.")


@guarded
def check_decayed_norm(answer, norm0: float, lr: float, weight_decay: float,
                       steps: int) -> str:
    """Length of a row with zero gradient after `steps` AdamW steps: each step multiplies
    it by (1 - lr * weight_decay)."""
    expected = norm0 * (1 - lr * weight_decay) ** steps
    a = float(as_array(answer))
    if np.isclose(a, norm0, rtol=1e-9):
        raise CheckError("the row did not shrink: AdamW's decay acts on every row, "
                         "gradient or not")
    if np.isclose(a, norm0 * (1 - weight_decay) ** steps, rtol=1e-6):
        raise CheckError("the decay per step is lr * weight_decay, not weight_decay "
                         "alone (AdamW multiplies them)")
    if np.isclose(a, norm0 * (1 - lr * weight_decay * steps), rtol=1e-6):
        raise CheckError("that is a straight line; the shrink compounds: one factor "
                         "per step, multiplied `steps` times")
    check_close(a, expected, "row length", rtol=1e-6)
    return passed("The row shrinks geometrically, with no gradient at all.")


@guarded
def check_heldout_precision(answer, mapped, targets, held) -> str:
    """Precision@1 over the held-out rows only: mapped row i's nearest target (cosine)
    is target row i."""
    held = np.asarray(held)
    hit = translation_ranks(mapped, targets) == 0  # (N,)
    idx = np.flatnonzero(held) if held.dtype == bool else held
    expected = float(hit[idx].mean())
    a = float(as_array(answer))
    fitted = np.setdiff1d(np.arange(len(hit)), idx)
    if not np.isclose(a, expected) and np.isclose(a, hit.mean()):
        raise CheckError("that is precision over all pairs; score only the held-out "
                         "ones (the map has seen the others)")
    if not np.isclose(a, expected) and len(fitted) and np.isclose(a, hit[fitted].mean()):
        raise CheckError("that is precision on the pairs the map was fitted on; use "
                         "the held-out pairs")
    if not 0 <= a <= 1:
        raise CheckError("precision is a fraction between 0 and 1")
    if not np.isclose(a, expected):
        raise CheckError("not the held-out precision@1: for each held-out row, is the "
                         "most cosine-similar target its own translation?")
    return passed(f"{len(idx)} held-out pairs scored.")
