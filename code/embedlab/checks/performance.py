"""Auto-checks for the exercises of the Performance page (reading benchmark numbers).

- `check_ratio`: ours / reference, with hints for the ratio upside down or a percentage.
- `check_words_per_second`: gensim's throughput measure, with hints for the forgotten
  epochs, seconds per word, or counting the vocabulary instead of the running words.
- `check_timing_mask`: a learner's function that masks the numbers of timing lines (as
  tests/test_reproducible.py does), tried on lines where a slip shows: a result line
  masked, a timing line left alone, "ms" or a rate not recognised.

What it deliberately does not do: print, or reveal the expected value in a hint.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from . import CheckError, as_array, passed


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _number(answer, name: str = "answer") -> float:
    a = as_array(answer, name)
    if a.ndim != 0:
        raise CheckError(f"{name} should be one number, got an array of shape "
                         f"{a.shape}")
    return float(a)


def check_ratio(answer, ours: float, reference: float) -> str:
    """`answer` must be ours / reference (a plain ratio, 1.0 = as fast)."""
    a, want = _number(answer), ours / reference
    if _close(a, want):
        verdict = "ours is faster" if want > 1 else "the reference is faster"
        return passed(f"the ratio is {want:.2f}: for a rate (higher is better), "
                      f"{verdict}.")
    if _close(a, reference / ours):
        raise CheckError("The ratio is upside down: the table divides ours by the "
                         "reference, not the reference by ours.")
    if _close(a, 100 * want):
        raise CheckError("That is a percentage: the table shows a plain ratio "
                         "(1.0 means equal), so do not multiply by 100.")
    if _close(a, ours - reference) or _close(a, reference - ours):
        raise CheckError("That is a difference; the table's last column is a ratio "
                         "(divide).")
    raise CheckError("Not the ratio: divide the 'ours' column by the 'reference' "
                     "column of the same row.")


def check_words_per_second(answer, corpus_tokens: int, epochs: int, seconds: float,
                           vocab_size: int | None = None) -> str:
    """`answer` must be corpus_tokens * epochs / seconds (gensim's words/s)."""
    a = _number(answer)
    want = corpus_tokens * epochs / seconds
    if _close(a, want):
        return passed(f"{want:,.0f} words/s: every running word, every epoch.")
    if _close(a, corpus_tokens / seconds):
        raise CheckError("You counted one pass only: the corpus is read once per "
                         "epoch, so multiply by the number of epochs.")
    if _close(a, seconds / (corpus_tokens * epochs)) or _close(a, 1 / want):
        raise CheckError("That is seconds per word: a throughput is words divided "
                         "by seconds.")
    if vocab_size and (_close(a, vocab_size * epochs / seconds)
                       or _close(a, vocab_size / seconds)):
        raise CheckError("You used the vocabulary size; throughput counts running "
                         "words (tokens of the corpus), repeats included.")
    raise CheckError("Not the throughput: running words of the corpus times epochs, "
                     "divided by the wall-clock seconds.")


# (line, should it be masked?) -- chosen so that each usual slip fails one of them
_MASK_CASES = (
    ("trained in 12.5 s", True),
    ("took 3ms", True),
    ("370,000 words/s", True),
    ("elapsed time: 4.2", True),
    ("loss 0.25 after 3 epochs", False),
    ("Spearman 0.21 on 353 pairs", False),
    ("it has 5 rows", False),
    ("vocabulary size 1500", False),
)
_NUMBER = re.compile(r"\d")


def check_timing_mask(fn: Callable[[str], str]) -> str:
    """`fn(line)` must replace every number on a timing line and leave other lines."""
    if not callable(fn):
        raise CheckError(f"answer should be a function line -> line, got "
                         f"{type(fn).__name__}")
    for line, timing in _MASK_CASES:
        try:
            out = fn(line)
        except Exception as e:  # the learner's code: report, do not crash the page
            raise CheckError(f"your function raised {type(e).__name__} on {line!r}: "
                             f"{e}") from None
        if not isinstance(out, str):
            raise CheckError(f"your function should return a str, got "
                             f"{type(out).__name__} for {line!r}")
        if timing and _NUMBER.search(out):
            hint = ""
            if "ms" in line:
                hint = " Is 'ms' (milliseconds, written right after the number) covered?"
            elif "/s" in line:
                hint = " Is a rate such as words/s covered?"
            elif "time" in line:
                hint = " A line that says 'time' is a timing line too."
            raise CheckError(f"{line!r} is a timing line but {out!r} still has a "
                             f"digit.{hint}")
        if not timing and out != line:
            hint = ""
            if "s " in line or line.endswith("s"):
                hint = (" A word that merely ends in 's' (pairs, epochs, rows) is not a "
                        "unit: require the 's' right after a number.")
            raise CheckError(f"{line!r} is a result, not a timing: it must stay as it "
                             f"is, but became {out!r}.{hint}")
    return passed(f"all {len(_MASK_CASES)} lines handled: timings masked, results kept.")
