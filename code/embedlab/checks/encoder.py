"""Checks for the exercises on the encoder's input, pretrained tables and transfer.

Each check compares an answer with a reference computed here and, when it is wrong,
recognises the usual slips: a missing sqrt(D), sine and cosine swapped, the query counted as
its own neighbour, a least-squares map where an orthogonal one was asked for, ...

What it deliberately does not do: train models (the exercises pass in what they built).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from ..encoder import TinyEncoder, offset_rotation, sinusoidal_positions
from ..transfer import fit_least_squares, fit_procrustes
from . import CheckError, as_array, check_close, guarded, passed, require_close


def _close(a, b, atol: float = 1e-4) -> bool:
    a, b = as_array(a), as_array(b)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol))


@guarded
def check_layer1_input(answer, model: TinyEncoder, ids: torch.Tensor) -> str:
    """The tensor layer 1 receives in eval mode, for the model's own recipe:
    LayerNorm(E[ids] + P[:T]) (BERT, the default) or sqrt(D) * E[ids] + P[:T] (the
    original Transformer), whichever `model.cfg` says (one segment: no token types)."""
    cfg = model.cfg
    root = math.sqrt(cfg.dim)
    factor = root if cfg.scale else 1.0
    with torch.no_grad():
        rows = model.embedding(ids)  # (B, T, D)
        pos = model.input.position[: ids.shape[1]]  # (T, D)
        if model.input.token_type is not None:  # segment A everywhere: row 0
            pos = pos + model.input.token_type.weight[0]
        norm = model.input.norm
        expected = norm(factor * rows + pos)
        slips = {
            "the positions are missing: add model.input.position[:T]": norm(
                factor * rows
            ),
            "you scaled the positions too: only the token rows may be scaled": norm(
                root * (rows + pos)
            ),
        }
        if cfg.scale:
            slips[
                "you forgot to multiply the table rows by sqrt(D) (this model "
                "follows the original Transformer)"
            ] = norm(rows + pos)
        else:
            slips["this model follows BERT: the rows are not multiplied by sqrt(D)"] = (
                norm(root * rows + pos)
            )
        if cfg.layer_norm:
            slips["the LayerNorm is missing: apply model.input.norm to the sum"] = (
                factor * rows + pos
            )
        else:
            slips["this recipe has no input LayerNorm: layer 1 gets the sum itself"] = (
                torch.nn.functional.layer_norm(factor * rows + pos, (cfg.dim,))
            )
    a = as_array(answer)
    if a.shape != tuple(expected.shape):
        raise CheckError(
            f"shape {a.shape}, expected {tuple(expected.shape)} = (batch, "
            "positions, dim): one D-vector per token of every sentence"
        )
    for hint, wrong in slips.items():
        if _close(a, wrong) and not _close(a, expected):
            raise CheckError(hint)
    check_close(a, expected, "layer-1 input", atol=1e-4)
    return passed("That is exactly what the first encoder layer receives.")


@guarded
def check_sinusoidal(answer, n_positions: int, dim: int) -> str:
    """The (T, D) sinusoidal table: sin in even columns, cos in odd ones."""
    expected = sinusoidal_positions(n_positions, dim).numpy()
    a = as_array(answer)
    if a.shape == expected.T.shape and a.shape != expected.shape:
        raise CheckError("transposed: one row per position, one column per dimension")
    swapped = expected.copy()
    swapped[:, 0::2], swapped[:, 1::2] = expected[:, 1::2], expected[:, 0::2]
    if _close(a, swapped):
        raise CheckError(
            "sine and cosine are swapped: even columns 2i get sin, odd 2i+1 cos"
        )
    p = np.arange(n_positions)[:, None]
    i = np.arange(dim // 2)
    wrong_exp = np.zeros_like(expected)
    wrong_exp[:, 0::2] = np.sin(p / 10000 ** (i / dim))
    wrong_exp[:, 1::2] = np.cos(p / 10000 ** (i / dim))
    if _close(a, wrong_exp):
        raise CheckError(
            "the exponent is 2i/D, where 2i is the even column index; you used "
            "i/D, so the wavelengths grow too slowly"
        )
    check_close(a, expected, "positions", atol=1e-5)
    return passed("Positions match the formula of Vaswani et al. (2017).")


@guarded
def check_offset_rotation(answer, k: int, dim: int) -> str:
    """The (D, D) matrix R with PE[p + k] = PE[p] @ R for every position p."""
    expected = offset_rotation(k, dim).double().numpy()
    a = as_array(answer)
    if a.shape != expected.shape:
        raise CheckError(
            f"shape {a.shape}, expected {expected.shape}: one (D, D) matrix that "
            "multiplies a position row from the right"
        )
    if _close(a, expected.T) and not _close(a, expected):
        raise CheckError(
            "transposed: that matrix moves positions k places back; with rows as "
            "positions the map is applied as PE[p] @ R"
        )
    if k != 1 and _close(a, offset_rotation(1, dim).double().numpy()):
        raise CheckError(f"that moves one place on; the offset is k = {k}")
    pe = sinusoidal_positions(4 * k + 8, dim).double().numpy()
    p = np.arange(len(pe) - k)
    require_close(pe[p] @ a, pe[p + k], atol=1e-5, hint=(
        "PE[p] @ R is not PE[p + k]: each (sin, cos) pair must turn by the "
        "angle k * w_i of its own frequency, with cosines on the block diagonal"))
    require_close(a, expected, atol=1e-5, hint=(
        "it moves these positions correctly but is not the rotation: keep the "
        "2x2 blocks [[cos, -sin], [sin, cos]] and zeros elsewhere"))
    return passed(f"One fixed matrix moves every position {k} places on.")


@guarded
def check_temperature_probs(answer, logits, temperature: float) -> str:
    """softmax(logits / temperature) over the last axis."""
    z = torch.as_tensor(as_array(logits))
    expected = torch.softmax(z / temperature, dim=-1).numpy()
    a = as_array(answer)
    if a.shape != expected.shape:
        raise CheckError(f"shape {a.shape}, expected {expected.shape}: one per token")
    if _close(a, torch.softmax(z * temperature, dim=-1).numpy()) and not _close(
        a, expected
    ):
        raise CheckError("divide the logits by the temperature, do not multiply")
    if _close(a, torch.softmax(z, dim=-1).numpy()) and not _close(a, expected):
        raise CheckError("the temperature is missing: softmax(logits / T)")
    if not np.allclose(a.sum(-1), 1.0, atol=1e-4):
        raise CheckError("these do not sum to 1: take the softmax after dividing")
    check_close(a, expected, "probabilities", atol=1e-5)
    return passed("Lower temperature, sharper distribution; T = 1 is the model's own.")


@guarded
def check_tied_saving(answer: int, vocab_size: int, dim: int) -> str:
    """Tying removes one V x D matrix of parameters, nothing else."""
    expected = vocab_size * dim
    if answer == 2 * expected:
        raise CheckError(
            "tying removes one table, not two: the input table is still there"
        )
    if answer in (expected + vocab_size, expected - vocab_size):
        raise CheckError(
            "the output bias (V numbers) is kept in both models; do not count it"
        )
    if answer != expected:
        raise CheckError(
            f"{answer} is not the saving; it is the size of one (V, D) matrix"
        )
    return passed(f"Tying saves V x D = {expected} parameters.")


@guarded
def check_tied_gradient(total, g_in, g_out) -> str:
    """A shared table's gradient is the sum of what its two uses send back."""
    t = as_array(total, "total")
    if _close(t, as_array(g_in)) and not _close(t, as_array(g_in) + as_array(g_out)):
        raise CheckError(
            "that is only the input side (the lookup); add the output layer's"
        )
    if _close(t, as_array(g_out)) and not _close(t, as_array(g_in) + as_array(g_out)):
        raise CheckError("that is only the output side; add the lookup's contribution")
    right = as_array(g_in) + as_array(g_out)
    if not _close(t, right) and (_close(t, as_array(g_out) - as_array(g_in)) or _close(
            t, as_array(g_in) - as_array(g_out))):
        raise CheckError("the two uses' gradients add up; do not subtract one from the "
                         "other")
    if not _close(t, right) and _close(t, right / 2):
        raise CheckError("gradients of the two uses add up; do not average them")
    check_close(t, as_array(g_in) + as_array(g_out), "gradient", atol=1e-6)
    return passed(
        "Input side + output side = the gradient autograd gives the shared table."
    )


@guarded
def check_neighbours(answer, table, tokens, query: str, k: int = 5) -> str:
    """The k tokens with the highest cosine similarity to `query`, query excluded."""
    w = torch.as_tensor(as_array(table), dtype=torch.float32)
    q = list(tokens).index(query)
    cos = F.cosine_similarity(w, w[q][None], dim=1)
    order = [int(i) for i in torch.argsort(cos, descending=True) if int(i) != q][:k]
    expected = [tokens[i] for i in order]
    if isinstance(answer, str):
        raise CheckError("give a list of tokens, not one str")
    answer = answer.tolist() if hasattr(answer, "tolist") else list(answer)
    answer = [a.item() if hasattr(a, "item") else a for a in answer]  # 0-d tensors
    if answer and all(isinstance(a, (int, np.integer)) for a in answer):
        raise CheckError("these are ids; map them back to tokens (the tokens list "
                         "holds the token of each id)")
    if answer and not all(isinstance(a, str) for a in answer):
        raise CheckError(f"give the tokens (str), got {type(answer[0]).__name__}: "
                         "similarity values instead of tokens?")
    if len(answer) != k:
        raise CheckError(f"give {k} tokens, got {len(answer)}")
    if query in answer:
        raise CheckError("the query itself is its own nearest neighbour; leave it out")
    dots = w @ w[q]
    by_dot = [
        tokens[int(i)] for i in torch.argsort(dots, descending=True) if int(i) != q
    ][:k]
    if answer == by_dot and by_dot != expected:
        raise CheckError(
            "you ranked by dot product: long rows win; divide by the norms "
            "(cosine similarity)"
        )
    if sorted(answer) == sorted(expected) and answer != expected:
        raise CheckError("the right tokens in the wrong order: most similar first")
    if answer != expected:
        raise CheckError(
            f"{len(set(answer) & set(expected))} of your {len(answer)} tokens "
            "are among the nearest; rank all rows by cosine similarity"
        )
    return passed(f"The {k} nearest neighbours of {query!r}.")


@guarded
def check_procrustes(answer, x, y) -> str:
    """The orthogonal map W minimizing ||x W - y||."""
    w = as_array(answer)
    expected = fit_procrustes(x, y)
    if w.shape != expected.shape:
        raise CheckError(
            f"shape {w.shape}, expected {expected.shape} = (source dim, target dim)"
        )
    if _close(w, expected.T) and not _close(w, expected):
        raise CheckError(
            "transposed: with rows as words the map is applied as x @ W, "
            "W = U V^T from the SVD of x^T y"
        )
    if not np.allclose(w.T @ w, np.eye(len(w)), atol=1e-6):
        if _close(w, fit_least_squares(x, y)):
            raise CheckError(
                "that is the least-squares map, which is not orthogonal; take "
                "the SVD of x^T y and keep U V^T"
            )
        raise CheckError("W is not orthogonal (W^T W != I): drop the singular values")
    # With fewer pairs than dimensions many orthogonal maps fit equally well (the SVD's
    # null space can be completed in any way), so compare the fit, not the matrix: the
    # residual must be the smallest one, up to float64 rounding of the products.
    x_, y_ = as_array(x), as_array(y)
    res = np.linalg.norm(x_ @ w - y_)
    best = np.linalg.norm(x_ @ expected - y_)
    # The answer's own rounding: float32 (eps 6e-8) moves x W by about eps ||x|| per
    # entry, so allow 1e-6 relative (float32 eps x 16); a wrong orthogonal map misses by
    # far more than that (a fraction of ||y||).
    if res > best + 1e-6 * max(1.0, np.linalg.norm(x_), np.linalg.norm(y_)):
        raise CheckError("W is orthogonal but does not fit the pairs best: use U V^T "
                         "from the SVD of x^T y (not of y^T x, and not V U^T)")
    return passed("An orthogonal map: it rotates the source space, lengths unchanged.")


@guarded
def check_drift(answer, before, after) -> str:
    """Per-row Euclidean distance between two snapshots of a table."""
    b, a = as_array(before), as_array(after)
    expected = np.linalg.norm(a - b, axis=1)
    ans = as_array(answer)
    if ans.shape == (b.shape[1],):
        raise CheckError("one number per column: take the norm along axis=1 (per row)")
    if _close(ans, expected**2):
        raise CheckError("squared distances: take the square root")
    if _close(ans, np.linalg.norm(a, axis=1) - np.linalg.norm(b, axis=1)):
        raise CheckError(
            "a change of length is not a distance: subtract rows, then norm"
        )
    check_close(ans, expected, "drift", atol=1e-6)
    return passed("One distance per row.")


# A fresh row must look like a draw from the pretrained rows' distribution. Standardized
# by the pretrained per-column mean and std, its n * D entries are then about N(0, 1),
# so their mean square follows chi2(n D) / (n D). The bounds are that distribution's
# 1e-6 and 1 - 1e-6 quantiles: a right answer fails once in a million; a table drawn
# at std 1 around 0 from pretrained rows of std 0.1 lands near 100, far outside.
_FRESH_QUANTILE = 1e-6


@guarded
def check_copied_rows(table, old_table, old_tokens, new_tokens) -> str:
    """Shared tokens carry their old row (matched by token, not by position); the other
    rows are fresh draws that look like the old rows (their per-column mean and std),
    each different from the others and from every old row."""
    from scipy.stats import chi2

    t, old = as_array(table), as_array(old_table)
    if t.shape != (len(new_tokens), old.shape[1]):
        raise CheckError(
            f"shape {t.shape}, expected {(len(new_tokens), old.shape[1])} = "
            "(new vocabulary size, dim)"
        )
    where = {tok: i for i, tok in enumerate(old_tokens)}
    shared = [(i, where[tok]) for i, tok in enumerate(new_tokens) if tok in where]
    bad = [(i, j) for i, j in shared if not np.allclose(t[i], old[j], atol=1e-6)]
    if bad:
        i, _ = bad[0]
        if i < len(old) and np.allclose(t[i], old[i]):
            raise CheckError(
                f"row {i} ({new_tokens[i]!r}) holds old row {i}: match rows by "
                "token, not by position; the ids differ between vocabularies"
            )
        raise CheckError(
            f"{len(bad)} shared tokens do not carry their old row, e.g. "
            f"{new_tokens[i]!r}"
        )
    new = [i for i, tok in enumerate(new_tokens) if tok not in where]
    if not new:
        return passed(f"{len(shared)} rows copied.")
    fresh = t[new]
    if np.allclose(fresh, 0):
        raise CheckError(
            "the new rows are all zeros: every new token starts as the same "
            "vector; draw them at random with the old rows' mean and std"
        )
    copies = [j for j in range(len(old)) if np.allclose(fresh, old[j][None], atol=1e-6)]
    if copies:
        raise CheckError(
            f"every new row is a copy of old row {copies[0]} "
            f"({old_tokens[copies[0]]!r}): new tokens would be indistinguishable; "
            "draw a fresh random row for each"
        )
    if np.allclose(fresh, old.mean(0)[None], atol=1e-6):
        raise CheckError(
            "every new row is the mean row: the mean is right, but each new token "
            "needs its own random draw around it (add noise with the old std)"
        )
    if len(new) > 1 and np.allclose(fresh, fresh[0][None]):
        raise CheckError("the new rows are all the same vector: draw each one "
                         "separately at random")
    mean, std = old.mean(0), old.std(0, ddof=1)
    z2 = float((((fresh - mean) / std) ** 2).mean())
    dof = fresh.size
    low = chi2.ppf(_FRESH_QUANTILE, dof) / dof
    high = chi2.ppf(1 - _FRESH_QUANTILE, dof) / dof
    if z2 > high:
        raise CheckError(
            "the new rows are far more spread out than the pretrained rows (or "
            "centred elsewhere): draw them with the pretrained per-column mean and "
            "std, not a standard normal"
        )
    if z2 < low:
        raise CheckError(
            "the new rows are far less spread out than the pretrained rows: scale "
            "the random draw by the pretrained per-column std"
        )
    return passed(f"{len(shared)} rows copied, {len(new)} initialized afresh.")


@guarded
def check_row_norms(answer, table) -> str:
    """The Euclidean length of every row, (V,)."""
    t = as_array(table)
    expected = np.linalg.norm(t, axis=1)
    a = as_array(answer)
    if a.shape == (t.shape[1],):
        raise CheckError(
            "one number per column: the norm of a row is taken along axis 1 (dim=1)"
        )
    if _close(a, expected**2):
        raise CheckError("squared lengths: take the square root")
    if _close(a, np.abs(t).sum(axis=1)):
        raise CheckError(
            "that is the L1 norm (sum of absolute values); use the Euclidean"
        )
    check_close(a, expected, "row norms", atol=1e-4)
    return passed("One Euclidean length per row.")
