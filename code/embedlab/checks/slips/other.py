"""Slips for the opening chapter, performance and reuse (checks.overview,
checks.performance, checks.reuse); see `embedlab.checks.slips`."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .base import Slip, _a


# ------------------------------------------------------------------ overview, performance, reuse
def _purity_with_self(labels):
    c = np.array(list(Counter(labels).values()), dtype=float)
    return float((c**2).sum() / len(labels) ** 2)


def _mask_all_on_time_words(line: str) -> str:
    """The old rule: every number on a line that mentions time is a timing."""
    if re.search(r"\b(time|timing|took|elapsed|wall|second|speed)", line):
        return re.sub(r"\d[\d,]*(\.\d+)?", "#", line)
    return re.sub(r"\d[\d,]*(\.\d+)?(?=\u202f)", "#", line)


OTHER = {
    "overview.check_row_of": [
        Slip("counted from 1", lambda v, w: v[w] + 1, "off by one"),
        Slip("the token", lambda v, w: w, "not the token"),
        Slip("the row's vector", lambda v, w: np.zeros(4), "not the row's vector"),
    ],
    "overview.check_chance_purity": [
        Slip("a word its own neighbour", lambda labels: _purity_with_self(labels),
             "its own neighbour"),
        Slip("equal category sizes", lambda labels: 1 / len(set(labels)),
             "equal category sizes"),
        Slip("one half", lambda labels: 0.5, "c(c-1)"),
    ],
    "overview.check_structure_emerged": [
        Slip("the untrained table's purity", lambda labels, high: high - 0.01,
             "no-structure range"),
        Slip("exactly the top of the null range", lambda labels, high: high,
             "no-structure range"),
    ],
    "performance.check_ratio": [
        Slip("upside down", lambda o, r: r / o, "upside down"),
        Slip("a percentage", lambda o, r: 100 * o / r, "percentage"),
        Slip("a difference", lambda o, r: o - r, "difference"),
    ],
    "performance.check_words_per_second": [
        Slip("one epoch", lambda n, e, s, v: n / s, "once per epoch"),
        Slip("seconds per word", lambda n, e, s, v: s / (n * e), "seconds per word"),
        Slip("vocabulary size", lambda n, e, s, v: v * e / s, "vocabulary size"),
    ],
    "performance.check_timing_mask": [
        Slip("every number on a line about time", lambda: _mask_all_on_time_words,
             "does not make a number a timing"),
        Slip("only the first timing", lambda: lambda line: re.sub(
            r"\d[\d,]*(\.\d+)?(?=\u202f)", "#", line, count=1), "not only the first"),
        Slip("thousands separator kept", lambda: lambda line: re.sub(
            r"\d+(\.\d+)?(?=\u202f)", "#", line), "thousands separators"),
        Slip("an ordinary space taken for the mark", lambda: lambda line: re.sub(
            r"\d[\d,]*(\.\d+)?(?=[\u202f ](s|ms|words/s|x)\b)", "#", line),
            "ordinary space"),
    ],
    "reuse.check_word_row": [
        Slip("sum of the pieces", lambda w, t, tk: _a(t)[tk.encode(
            w, add_special_tokens=False).ids].sum(0), "sum"),
        Slip("[CLS] and [SEP] counted", lambda w, t, tk: _a(t)[tk.encode(w).ids].mean(0),
             "[CLS]"),
        Slip("first piece only", lambda w, t, tk: _a(t)[tk.encode(
            w, add_special_tokens=False).ids[0]], "first piece"),
    ],
    "reuse.check_decayed_norm": [
        Slip("no decay without gradient", lambda n0, lr, wd, s: n0, "did not shrink"),
        Slip("weight decay without lr", lambda n0, lr, wd, s: n0 * (1 - wd) ** s,
             "lr * weight_decay"),
        Slip("linear, not compounded", lambda n0, lr, wd, s: n0 * (1 - lr * wd * s),
             "straight line"),
    ],
    "reuse.check_heldout_precision": [
        Slip("all pairs", lambda m, t, h: _prec(m, t, h, "all"), "over all pairs"),
        Slip("fitted pairs", lambda m, t, h: _prec(m, t, h, "fitted"),
             "fitted on"),
        Slip("a percentage", lambda m, t, h: 100 * _prec(m, t, h, "held"),
             "between 0 and 1"),
    ],
}


def _prec(mapped, targets, held, which):
    from ...transfer import translation_ranks

    hit = translation_ranks(mapped, targets) == 0
    held = np.asarray(held)
    idx = np.flatnonzero(held) if held.dtype == bool else held
    if which == "all":
        return float(hit.mean())
    if which == "fitted":
        return float(hit[np.setdiff1d(np.arange(len(hit)), idx)].mean())
    return float(hit[idx].mean())
