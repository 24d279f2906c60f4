"""Auto-checks for the exercises on learning the table by prediction.

Covers the chapters on next-token prediction (bigram rows, which rows a batch updates, the
MLP language model's forward pass), on filling in blanks (skip-gram pairs, the CBOW input,
the negative-sampling loss) and on watching training (frame displacement, Procrustes).
Each check computes its own reference and, when an answer is wrong, raises `CheckError`
naming the typical slip: counting what comes before instead of after, forgetting to
normalize, including the targets, a missing tanh, probabilities instead of logits, a sum
instead of a mean, the sign of the noise term, the rotation the wrong way round.

What it deliberately does not do: print, or accept answers that are only roughly right
when the exercise asks for an exact value.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from ..transfer import fit_procrustes
from ..word2vec import sgns_loss, skipgram_pairs
from . import CheckError, as_array, check_close, guarded, passed, reject_slips


def _np(x, name: str = "answer") -> np.ndarray:
    return as_array(x, name)


# --- next-token prediction -------------------------------------------------------------


def bigram_row(sentences: Sequence[Sequence[str]], word: str, vocab_words: Sequence[str]):
    """P(next token | `word`) from counts, over `vocab_words` (the reference)."""
    counts = Counter(b for s in sentences for a, b in itertools.pairwise(s)
                     if a == word)
    row = np.array([counts[w] for w in vocab_words], dtype=np.float64)
    if row.sum() == 0:
        raise ValueError(f"{word!r} is never followed by a token in these sentences")
    return row / row.sum()


@guarded
def check_bigram_row(answer, sentences, word: str, vocab_words: Sequence[str]) -> str:
    """`answer[j]` must be P(vocab_words[j] follows `word`) counted within sentences."""
    a = _np(answer)
    want = bigram_row(sentences, word, vocab_words)
    if a.shape != want.shape:
        raise CheckError(f"answer has shape {a.shape}; expected one probability per "
                         f"vocabulary word, shape {want.shape}.")
    if np.allclose(a, want, atol=1e-6):
        return passed(f"After {word!r} the most likely token is "
                      f"{vocab_words[int(want.argmax())]!r}.")
    if a.sum() > 1.5 and np.allclose(a / a.sum(), want, atol=1e-6):
        raise CheckError("these are counts, not probabilities: divide the row by its total.")
    before = Counter(a_ for s in sentences for a_, b in itertools.pairwise(s)
                     if b == word)
    prev = np.array([before[w] for w in vocab_words], dtype=np.float64)
    if prev.sum() and (np.allclose(a, prev / prev.sum(), atol=1e-6)
                       or np.allclose(a, prev, atol=1e-6)):
        raise CheckError(f"you counted the tokens that come BEFORE {word!r} (its column); "
                         "the bigram row is what comes AFTER it.")
    if abs(a.sum() - 1.0) > 1e-4:
        raise CheckError(f"the answer sums to {a.sum():.4f}; a row of probabilities sums "
                         "to 1.")
    n_bad = int((~np.isclose(a, want, atol=1e-6)).sum())
    raise CheckError(f"{n_bad} of {len(want)} probabilities differ from the counted "
                     "distribution: count pairs within each sentence only, not across "
                     "sentence ends.")


@guarded
def check_gradient_rows(answer, inputs: torch.Tensor, targets: torch.Tensor,
                        vocab_size: int) -> str:
    """The sorted ids of the table rows that receive a gradient from one batch."""
    got = sorted(int(i) for i in as_array(answer).ravel())
    want = sorted({int(i) for i in inputs.flatten()})
    if got == want:
        return passed(f"{len(want)} of {vocab_size} rows change in this step; the other "
                      f"{vocab_size - len(want)} rows keep their values.")
    if len(set(got)) != len(got):
        raise CheckError("some ids appear twice: a row is updated once per step even when "
                         "several positions use it (its gradients are added). Use unique ids.")
    with_targets = sorted(set(want) | {int(i) for i in targets})
    if got == with_targets:
        raise CheckError("you included the target ids: targets are compared with the "
                         "output logits; they are not looked up in the input table.")
    if set(got) in (set(range(inputs.numel())), set(range(len(inputs)))):
        raise CheckError("these look like positions in the batch, not token ids: look up "
                         "which ids sit at those positions.")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    raise CheckError(f"{len(missing)} ids that the batch uses are missing and {len(extra)} "
                     "ids are extra: every id in `inputs` (any column) is looked up.")


@guarded
def check_mlp_logits(answer, model, ids: torch.Tensor) -> str:
    """Logits of `embedlab.models.MLPLanguageModel` computed by hand for `ids` (B, C)."""
    a = _np(answer)
    with torch.no_grad():
        want = model(ids).numpy().astype(np.float64)  # (B, V)
        e = model.embedding(ids)  # (B, C, D)
        no_tanh = model.out(model.hidden(e.flatten(1))).numpy()
        swapped = model.out(torch.tanh(model.hidden(e.transpose(1, 2).flatten(1)))).numpy()
    if a.shape == want.shape:
        if np.allclose(a, want, atol=1e-4):
            return passed("Your forward pass matches the model's.")
        reject_slips(a, [
            (F.softmax(torch.from_numpy(want), dim=1).numpy(),
             "these are probabilities (you applied softmax); the model "
             "returns logits, and cross_entropy applies the softmax itself."),
            (no_tanh, "you left out the tanh between the hidden and output layers."),
            (swapped, "the rows were concatenated in the wrong order: flatten "
                      "(B, C, D) to (B, C*D), one whole row after the other."),
        ], atol=1e-4)
    return check_close(a, want, "logits", rtol=1e-4, atol=1e-4)


# --- filling in blanks -----------------------------------------------------------------


@guarded
def check_skipgram_pairs(answer, tokens: Sequence[str], window: int) -> str:
    """All (centre, context) pairs of one sentence; order does not matter."""
    got = Counter(tuple(p) for p in answer)
    want = Counter(skipgram_pairs(tokens, window))
    if got == want:
        return passed(f"{sum(want.values())} pairs from {len(tokens)} tokens.")
    if any(a == b and n > want.get((a, b), 0) for (a, b), n in got.items()):
        raise CheckError("a word is paired with itself: skip the centre position.")
    one_sided = Counter((tokens[i], tokens[j]) for i in range(len(tokens))
                        for j in range(i + 1, min(len(tokens), i + window + 1)))
    if got == one_sided:
        raise CheckError("only the words AFTER the centre are there: the window reaches "
                         f"{window} positions to the left as well.")
    n_got, n_want = sum(got.values()), sum(want.values())
    if n_got > n_want:
        raise CheckError(f"{n_got} pairs, expected {n_want}: is the window too wide? "
                         f"Positions i-{window} .. i+{window}, the ends of the sentence "
                         "cut it short.")
    raise CheckError(f"{n_got} pairs, expected {n_want}: check the window near the ends "
                     "of the sentence (Python slices stop one before the end).")


@guarded
def check_cbow_input(answer, table, context_ids: Sequence[int]) -> str:
    """The CBOW input vector: the mean of the context words' rows."""
    t = _np(table, "table")
    ids = list(context_ids)
    a = _np(answer)
    want = t[ids].mean(axis=0)
    columns = (t[:, ids].mean(axis=1) if max(ids) < t.shape[1] else None)  # (V,)
    if columns is not None and a.shape == columns.shape and np.allclose(a, columns,
                                                                        atol=1e-5):
        raise CheckError("you averaged columns, not rows: a token's vector is its row.")
    if a.shape != want.shape:
        raise CheckError(f"answer has shape {a.shape}, expected one vector of size "
                         f"{want.shape[0]}: average the context rows over axis 0.")
    if np.allclose(a, want, atol=1e-5):
        return passed("The mean of the context rows.")
    if np.allclose(a, t[ids].sum(axis=0), atol=1e-5):
        raise CheckError("that is the sum of the rows; CBOW uses their mean (divide by "
                         f"the {len(ids)} context words).")
    if any(np.allclose(a, t[i], atol=1e-5) for i in ids):
        raise CheckError("that is one context word's row; CBOW averages the rows of all "
                         f"{len(ids)} context words.")
    return check_close(a, want, "CBOW input", atol=1e-5)


@guarded
def check_ns_loss(answer, v, u_pos, u_neg) -> str:
    """Negative-sampling loss of one (word, context) pair with K noise words."""
    a = float(_np(answer))
    want = sgns_loss(_np(v), _np(u_pos), _np(u_neg))
    if np.isclose(a, want, rtol=1e-5, atol=1e-7):
        return passed(f"Loss = {want:.4f}.")
    vv, up, un = (torch.as_tensor(_np(x), dtype=torch.float64) for x in (v, u_pos, u_neg))
    wrong_sign = float(-F.logsigmoid(up @ vv) - F.logsigmoid(un @ vv).sum())
    mean_neg = float(-F.logsigmoid(up @ vv) - F.logsigmoid(-(un @ vv)).mean())
    softmax = float(-F.log_softmax(torch.cat([(up @ vv).view(1), un @ vv]), 0)[0])
    reject_slips(a, [
        (wrong_sign, "the noise words need a minus sign inside the sigmoid: "
                     "log s(-u_k . v), so the loss pushes their scores DOWN."),
        (-want, "the sign of the whole loss is flipped: it is MINUS the log "
                "sigmoids, a positive number to minimize."),
        (mean_neg, "you averaged over the noise words; word2vec sums them."),
        (softmax, "that is a softmax over 1+K candidates; negative sampling uses an "
                  "independent sigmoid for each word."),
    ])
    raise CheckError(f"got {a:.5g}, not the negative-sampling loss; score = dot product "
                     "u . v, then -log sigmoid(score) for the true word and "
                     "-log sigmoid(-score) for each noise word.")


# --- watching training -----------------------------------------------------------------


@guarded
def check_displacement(answer, frames: Sequence) -> str:
    """Mean distance a point moves between consecutive frames (no normalization)."""
    fs = [_np(f, "frame") for f in frames]
    steps = [np.linalg.norm(fs[t + 1] - fs[t], axis=1) for t in range(len(fs) - 1)]
    want = float(np.mean(steps))
    a = float(_np(answer))
    if np.isclose(a, want, rtol=1e-6):
        return passed(f"Points move {want:.3g} per frame on average.")
    if np.isclose(a, float(np.mean([s**2 for s in steps])), rtol=1e-6):
        raise CheckError("you averaged squared distances: take the square root per point "
                         "(np.linalg.norm) before averaging.")
    if np.isclose(a, float(np.sum([s.sum() for s in steps])), rtol=1e-6):
        raise CheckError("that is the total; the exercise asks for the mean over points "
                         "and frame pairs.")
    if np.isclose(a, float(np.mean([np.abs(fs[t + 1] - fs[t]).mean()
                                    for t in range(len(fs) - 1)])), rtol=1e-6):
        raise CheckError("you averaged each coordinate's change separately; measure the "
                         "2-D distance per point (norm over axis 1).")
    raise CheckError(f"got {a:.5g}: compare frame t+1 with frame t (not with frame 0), "
                     "point by point.")


@guarded
def check_procrustes(answer, a, b) -> str:
    """The orthogonal R (D, D) minimizing ||a @ R - b|| (a, b centred, same shape)."""
    r = _np(answer)
    a_, b_ = _np(a, "a"), _np(b, "b")
    d = a_.shape[1]
    if r.shape != (d, d):
        raise CheckError(f"R should be {d} x {d} (it acts on the {d} coordinates), got "
                         f"{r.shape}.")
    if not np.allclose(r.T @ r, np.eye(d), atol=1e-6):
        raise CheckError("R is not orthogonal (R.T @ R != I): Procrustes only rotates or "
                         "reflects; use U @ Vt from the SVD of a.T @ b, not a least-squares "
                         "fit.")
    want = fit_procrustes(a_, b_)
    if np.allclose(r, want, atol=1e-6):
        err = np.linalg.norm(a_ @ r - b_) / np.linalg.norm(b_)
        return passed(f"The rotated frame is {err:.3f} (relative) away from its target.")
    if np.allclose(r, want.T, atol=1e-6):
        raise CheckError("that rotates b onto a (the transpose): the exercise moves a onto "
                         "b, so take the SVD of a.T @ b.")
    raise CheckError("R is orthogonal but not the best one: compute the SVD of a.T @ b "
                     "and return U @ Vt.")


@guarded
def check_first_step(answer, steps: Sequence[int], values: Sequence[float],
                     threshold: float) -> str:
    """The first training step whose snapshot's probe value is above `threshold`."""
    above = [i for i, v in enumerate(values) if v > threshold]
    if not above:
        raise ValueError(f"no value exceeds {threshold}: choose a lower threshold")
    want = int(steps[above[0]])
    try:
        a = int(answer)
    except (TypeError, ValueError):
        raise CheckError(f"answer should be one step number, got {answer!r}") from None
    if a == want:
        return passed(f"Step {want} (snapshot {above[0]}).")
    if a == above[0] and a != want:
        raise CheckError("that is the snapshot's index; give its training step "
                         "(history.snapshot_steps[index]).")
    if a in steps and values[list(steps).index(a)] > threshold:
        raise CheckError("that snapshot is above the threshold, but not the FIRST one.")
    if a in steps and values[list(steps).index(a)] == threshold:
        raise CheckError("that value equals the threshold: the question asks for above it.")
    raise CheckError(f"at step {a} the value is not above {threshold}: look for the "
                     "first snapshot whose value exceeds it.")
