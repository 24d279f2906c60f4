"""Slips for learning by prediction, the mechanism and word2vec (checks.learning,
checks.mechanism, checks.word2vec); see `embedlab.checks.slips`."""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

import numpy as np
import torch
from torch.nn import functional as F

from .base import Slip, _a, _sig
from .encoder import _procrustes


# ------------------------------------------------------------------ learning
def _bigram(sentences, word, vocab_words, before=False, counts=False, joined=False):
    seqs = [[w for s in sentences for w in s]] if joined else sentences
    c = Counter((a if before else b) for s in seqs for a, b in pairwise(s)
                if (b if before else a) == word)
    row = np.array([c[w] for w in vocab_words], dtype=float)
    return row if counts else row / row.sum()


def _mlp(model, ids, how):
    with torch.no_grad():
        e = model.embedding(ids)  # (B, C, D)
        if how == "swap":
            e = e.transpose(1, 2)
        h = model.hidden(e.flatten(1))
        z = model.out(h if how == "no tanh" else torch.tanh(h))
        return torch.softmax(z, 1) if how == "softmax" else z


LEARNING = {
    "learning.check_bigram_row": [
        Slip("counts, not probabilities", lambda s, w, v: _bigram(s, w, v, counts=True),
             "counts, not probabilities"),
        Slip("the tokens before the word", lambda s, w, v: _bigram(s, w, v, before=True),
             "BEFORE"),
        Slip("pairs across sentence ends", lambda s, w, v: _bigram(s, w, v, joined=True),
             "across sentence ends"),
    ],
    "learning.check_gradient_rows": [
        Slip("the targets included", lambda i, t, v: sorted(set(i.flatten().tolist())
                                                           | set(t.flatten().tolist())),
             "target ids"),
        Slip("positions, not ids", lambda i, t, v: list(range(i.numel())), "positions"),
        Slip("ids repeated", lambda i, t, v: sorted(i.flatten().tolist()),
             "appear twice"),
        Slip("only the last context column", lambda i, t, v: sorted(set(
            i[:, -1].tolist())), "any column"),
    ],
    "learning.check_mlp_logits": [
        Slip("probabilities", lambda m, ids: _mlp(m, ids, "softmax"), "probabilities"),
        Slip("tanh missing", lambda m, ids: _mlp(m, ids, "no tanh"), "tanh"),
        Slip("rows concatenated in the wrong order", lambda m, ids: _mlp(m, ids, "swap"),
             "wrong order"),
    ],
    "learning.check_skipgram_pairs": [
        Slip("the centre paired with itself", lambda toks, w: [
            (c, toks[j]) for i, c in enumerate(toks)
            for j in range(max(0, i - w), min(len(toks), i + w + 1))], "with itself"),
        Slip("right side only", lambda toks, w: [
            (toks[i], toks[j]) for i in range(len(toks))
            for j in range(i + 1, min(len(toks), i + w + 1))], "AFTER the centre"),
        Slip("window one too wide", lambda toks, w: _sg(toks, w + 1), "too wide"),
        Slip("slice stops one short", lambda toks, w: [
            (c, toks[j]) for i, c in enumerate(toks)
            for j in range(max(0, i - w), min(len(toks), i + w)) if j != i],
            "near the ends"),
    ],
    "learning.check_cbow_input": [
        Slip("columns, not rows", lambda t, ids: _a(t)[:, list(ids)].mean(1), "columns"),
        Slip("sum, not mean", lambda t, ids: _a(t)[list(ids)].sum(0), "sum of the rows"),
        Slip("first context row only", lambda t, ids: _a(t)[list(ids)[0]],
             "one context word's row"),
    ],
    "learning.check_ns_loss": [
        Slip("noise sign inside the sigmoid", lambda v, up, un: _ns(v, up, un,
                                                                    "noise sign"),
             "minus sign inside"),
        Slip("whole loss sign", lambda v, up, un: _ns(v, up, un, "flip"),
             "sign of the whole loss"),
        Slip("noise averaged", lambda v, up, un: _ns(v, up, un, "mean"), "averaged"),
        Slip("softmax over 1+K", lambda v, up, un: float(-F.log_softmax(torch.cat([
            (torch.as_tensor(_a(up)) @ torch.as_tensor(_a(v))).view(1),
            torch.as_tensor(_a(un)) @ torch.as_tensor(_a(v))]), 0)[0]), "softmax"),
    ],
    "learning.check_displacement": [
        Slip("squared distances", lambda fr: float(np.mean([np.sum((_a(b) - _a(a))**2, 1)
                                                            for a, b in pairwise(fr)])),
             "squared"),
        Slip("total, not mean", lambda fr: float(np.sum([np.linalg.norm(
            _a(b) - _a(a), axis=1).sum() for a, b in pairwise(fr)])), "total"),
        Slip("per coordinate", lambda fr: float(np.mean([np.abs(_a(b) - _a(a)).mean()
                                                        for a, b in pairwise(fr)])),
             "each coordinate"),
        Slip("compared with frame 0", lambda fr: float(np.mean([np.linalg.norm(
            _a(f) - _a(fr[0]), axis=1) for f in fr[1:]])), "not with frame 0"),
    ],
    "learning.check_procrustes": [
        Slip("least squares", lambda a, b: np.linalg.lstsq(_a(a), _a(b), rcond=None)[0],
             "not orthogonal"),
        Slip("transposed", lambda a, b: _procrustes(a, b).T, "transpose"),
        Slip("singular values kept", lambda a, b: (lambda u, s, vt: u * s @ vt)(
            *np.linalg.svd(_a(a).T @ _a(b))), "not orthogonal"),
        Slip("a reflection of the best rotation", lambda a, b: _procrustes(a, b) @ np.diag(
            [-1.0] + [1.0] * (_a(a).shape[1] - 1)), "not the best"),
    ],
    "learning.check_first_step": [
        Slip("snapshot index", lambda s, v, th: next(
            i for i, x in enumerate(v) if x > th), "snapshot's index"),
        Slip("the last snapshot above", lambda s, v, th: s[max(
            i for i, x in enumerate(v) if x > th)], "not the FIRST"),
        Slip("the step before", lambda s, v, th: s[next(
            i for i, x in enumerate(v) if x > th) - 1], "not above"),
    ],
}


def _sg(tokens, w):
    from ...word2vec import skipgram_pairs

    return skipgram_pairs(tokens, w)


def _ns(v, up, un, how):
    v, up, un = _a(v), _a(up), _a(un)
    pos, neg = np.log(_sig(up @ v)), np.log(_sig(-(un @ v)))
    if how == "noise sign":
        return float(-pos - np.log(_sig(un @ v)).sum())
    if how == "mean":
        return float(-pos - neg.mean())
    return float(pos + neg.sum())


# ------------------------------------------------------------------ mechanism
def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _upd(before, after, words, a, b, how):
    t0, t1 = _a(before), _a(after)
    i, j = list(words).index(a), list(words).index(b)
    da, db = t1[i] - t0[i], t1[j] - t0[j]
    return {"dot": float(da @ db), "after": _cos(t1[i], t1[j]),
            "before": _cos(t0[i], t0[j]), "distance": float(np.linalg.norm(da - db)),
            "mixed": _cos(t1[i] - t0[j], t1[j] - t0[i])}[how]


def _softmax_grad(u, row, contexts, how):
    from ..mechanism import softmax_row_gradient

    g = softmax_row_gradient(u, row, contexts)
    u_, r = _a(u), _a(row)
    p = np.exp(u_ @ r - (u_ @ r).max())
    p /= p.sum()
    return {"sign": -g, "mean": g / len(contexts), "targets": -u_[list(contexts)].sum(0),
            "expected": len(contexts) * (p @ u_)}[how]


def _sppmi(counts, shift, how):
    c = _a(counts)
    with np.errstate(divide="ignore"):
        pmi = np.log(c * c.sum() / np.outer(c.sum(1), c.sum(0)))
        log = {"base 2": np.log2(c * c.sum() / np.outer(c.sum(1), c.sum(0)))}.get(how, pmi)
    if how == "no max":
        return np.where(np.isinf(pmi), 0.0, pmi - np.log(shift))
    if how == "no shift":
        return np.maximum(pmi, 0)
    if how == "k":
        return np.maximum(pmi - shift, 0)
    if how == "counts":  # PMI of raw counts, no probabilities
        with np.errstate(divide="ignore"):
            raw = np.log(c / np.outer(c.sum(1), c.sum(0)))
        return np.maximum(raw - np.log(shift), 0)
    return np.maximum(log - np.log2(shift), 0)


MECHANISM = {
    "mechanism.check_update_cosine": [
        Slip(desc, lambda bf, af, w, a, b, how=how: _upd(bf, af, w, a, b, how), hint)
        for desc, how, hint in [
            ("the dot product of the updates", "dot", "dot product"),
            ("the cosine of the rows after training", "after", "after training"),
            ("the cosine of the rows before training", "before", "before training"),
            ("the distance between the updates", "distance", "distance"),
            ("each row minus the other word's start", "mixed", "mixed up")]
    ],
    "mechanism.check_softmax_row_gradient": [
        Slip("sign flipped", lambda u, r, c: _softmax_grad(u, r, c, "sign"),
             "sign is flipped"),
        Slip("averaged over occurrences", lambda u, r, c: _softmax_grad(u, r, c, "mean"),
             "averaged"),
        Slip("true contexts only", lambda u, r, c: _softmax_grad(u, r, c, "targets"),
             "only the true contexts"),
        Slip("expected row only", lambda u, r, c: _softmax_grad(u, r, c, "expected"),
             "only the predicted"),
    ],
    "mechanism.check_sppmi": [
        Slip("negative PMI kept", lambda c, k: _sppmi(c, k, "no max"), "negative"),
        Slip("no shift", lambda c, k: _sppmi(c, k, "no shift"), "without the shift"),
        Slip("base-2 logarithms", lambda c, k: _sppmi(c, k, "base 2"), "base-2"),
        Slip("subtracted k, not log k", lambda c, k: _sppmi(c, k, "k"), "log k"),
        Slip("-inf at zero counts", lambda c, k: (lambda p: np.where(
            p > -np.inf, np.maximum(p, 0), p))(_sppmi_raw(c, k)), "infinite"),
    ],
}


def _sppmi_raw(counts, shift):
    c = _a(counts)
    with np.errstate(divide="ignore"):
        return np.log(c * c.sum() / np.outer(c.sum(1), c.sum(0))) - np.log(shift)


# ------------------------------------------------------------------ word2vec
def _keep(c, n, s, how):
    t = s * n
    raw = (math.sqrt(c / t) + 1) * t / c
    return {"drop": 1 - min(1.0, raw), "uncapped": raw,
            "upside down": min(1.0, (math.sqrt(t / c) + 1) * c / t),
            "2013": min(1.0, math.sqrt(t / c))}[how]


def _sg_grad(v, up, un, how):
    v, up, un = _a(v), _a(up), _a(un)
    noise = (_sig(un @ v)[:, None] * un).sum(0)
    pos = (_sig(up @ v) - 1) * up
    return {"noise": noise, "pos": pos, "label": _sig(up @ v) * up + noise,
            "sign": -(pos + noise)}[how]


WORD2VEC = {
    "word2vec.check_keep_probability": [
        Slip(desc, lambda c, n, s, how=how: _keep(c, n, s, how), hint)
        for desc, how, hint in [
            ("the drop probability", "drop", "DROPPED"),
            ("not capped at 1", "uncapped", "cap it"),
            ("t/f upside down", "upside down", "upside down"),
            ("the 2013 paper's sqrt(t/f)", "2013", "2013")]
    ],
    "word2vec.check_skipgram_pairs": [
        Slip("centre paired with itself", lambda toks, b: _sg(toks, b) + [
            (t, t) for t in toks], "with itself"),
        Slip("largest window everywhere", lambda toks, b: _sg(toks, [max(b)] * len(toks)),
             "largest window"),
        Slip("(context, centre)", lambda toks, b: [(x, c) for c, x in _sg(toks, b)],
             "(context, centre)"),
        Slip("right side only", lambda toks, b: [
            (toks[i], toks[j]) for i in range(len(toks))
            for j in range(i + 1, min(len(toks), i + b[i] + 1))], "both sides"),
    ],
    "word2vec.check_sgns_loss": [
        Slip("noise sign", lambda v, up, un: _ns(v, up, un, "noise sign"), "wrong sign"),
        Slip("whole sign", lambda v, up, un: _ns(v, up, un, "flip"), "MINUS"),
        Slip("noise averaged", lambda v, up, un: _ns(v, up, un, "mean"), "averaged"),
        Slip("noise missing", lambda v, up, un: float(-np.log(_sig(_a(up) @ _a(v)))),
             "missing"),
        Slip("probabilities", lambda v, up, un: float(-_sig(_a(up) @ _a(v)) - _sig(
            -(_a(un) @ _a(v))).sum()), "probabilities"),
    ],
    "word2vec.check_sgns_grad_v": [
        Slip("noise part only", lambda v, up, un: _sg_grad(v, up, un, "noise"),
             "only the noise"),
        Slip("true word only", lambda v, up, un: _sg_grad(v, up, un, "pos"),
             "only the true word"),
        Slip("label 0 for the true word", lambda v, up, un: _sg_grad(v, up, un, "label"),
             "s(u_pos . v) - 1"),
        Slip("sign flipped", lambda v, up, un: _sg_grad(v, up, un, "sign"),
             "opposite sign"),
    ],
}
