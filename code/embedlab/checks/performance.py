"""Auto-checks for the exercises of the Performance page (reading benchmark numbers).

- `check_ratio`: ours / reference, with hints for the ratio upside down or a percentage.
- `check_words_per_second`: gensim's throughput measure, with hints for the forgotten
  epochs, seconds per word, or counting the vocabulary instead of the running words.
- `check_timing_mask`: a learner's function that masks the numbers printed through
  `embedlab.timing`'s formatters (marked by U+202F before the unit), as
  tests/test_reproducible.py does, tried on lines where a slip shows: a word about time
  taken for a timing, a result next to a timing masked, a thousands separator or a
  second timing missed.

What it deliberately does not do: print, or reveal the expected value in a hint.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..timing import MARK, TIMING, mask_timings
from . import CheckError, as_array, guarded, passed


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _number(answer, name: str = "answer") -> float:
    a = as_array(answer, name)
    if a.ndim != 0:
        raise CheckError(f"{name} should be one number, got an array of shape "
                         f"{a.shape}")
    return float(a)


@guarded
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


@guarded
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


# Lines chosen so that each usual slip fails on one of them: the expected output is
# `embedlab.timing.mask_timings(line)`. M is the mark the timing formatters write.
M = MARK
_MASK_CASES = (
    f"trained in 12.5{M}s",
    f"took 3.14{M}ms",
    "loss 0.25 after 3 epochs",
    "purity 0.61 after 200 timesteps",
    "the seconds column: 5 rows",
    f"370,977{M}words/s",
    f"speed relative to gensim: 0.82{M}x",
    f"gensim: 6.1{M}s; ours: 9.3{M}s",
    f"final purity 0.93 in 3.2{M}s",
    "trained in 12.5 s (an ordinary space: typed by hand)",
)


def _mask_slip(line: str, out: str) -> str:
    """Name the slip that turns `line` into `out` (instead of the masked line)."""
    marked = bool(TIMING.search(line))
    if not marked:
        if "time" in line or "second" in line:
            return (" A word about time ('timesteps', 'seconds') does not make a number "
                    "a timing: only the mark U+202F does.")
        if " s " in line:
            return (" An ordinary space before 's' is not the mark: only numbers "
                    "followed by U+202F are timings.")
        return " Only numbers followed by the mark U+202F are timings."
    n_marked = len(TIMING.findall(line))
    if out == line:
        return (" Nothing was masked: every unit counts (s, ms, words/s, x), as long as "
                "the mark U+202F stands between it and the number.")
    if "," in line.split(M)[0] and "#" in out and out.count(",") == line.count(","):
        return (" Part of the number survived: thousands separators (',') belong "
                "to the number.")
    if n_marked > 1 and out.count("#") < n_marked:
        return " Every timing on the line must be masked, not only the first."
    if M not in out:
        return " Keep the mark and the unit: replace only the number in front of them."
    if out.count("#") > n_marked:
        return (" A result on the same line was masked too: replace only the number "
                "right before the mark, not every number on the line.")
    if "#" in out and "." in out.split(M)[0].split()[-1]:
        return " The decimal part belongs to the number: mask it all."
    return " Replace the number right before the mark U+202F with '#'."


@guarded
def check_timing_mask(fn: Callable[[str], str]) -> str:
    """`fn(line)` must replace every marked timing's number with `#`, nothing else."""
    if not callable(fn):
        raise CheckError(f"answer should be a function line -> line, got "
                         f"{type(fn).__name__}")
    for line in _MASK_CASES:
        try:
            out = fn(line)
        except Exception as e:  # the learner's code: report, do not crash the page
            raise CheckError(f"your function raised {type(e).__name__} on {line!r}: "
                             f"{e}") from None
        if not isinstance(out, str):
            raise CheckError(f"your function should return a str, got "
                             f"{type(out).__name__} for {line!r}")
        if out != mask_timings(line):
            what = "has a timing" if TIMING.search(line) else "has no timing"
            raise CheckError(f"{line!r} {what}, but your function returned {out!r}."
                             + _mask_slip(line, out))
    return passed(f"all {len(_MASK_CASES)} lines handled: timings masked, results kept.")
