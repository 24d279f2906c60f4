"""Measure wall-clock time, and print timings so that a machine can tell them apart.

A timing is the one kind of number in the book that changes from run to run with the
same seed (the machine's load decides it). The rebuild comparison
(tests/test_reproducible.py) compares every printed number of a second run with the
first, except timings. To know which numbers are timings *by construction*, not by
guessing from words near them ("times", "seconds"), every timing the book prints goes
through one of the formatters below, which put a narrow no-break space (U+202F, the SI
style gap between a number and its unit: "12.5 s") between the number and the unit.
Nothing else in the book writes that character, so the test masks exactly those numbers.

- `timed(fn, *args, **kwargs) -> (result, seconds)`: one call, wall clock.
- `fmt_seconds(s)`, `fmt_ms(s)`, `fmt_rate(x, unit)`, `fmt_speedup(r)`: a timing as text.
- `TIMING`: the regular expression of a marked timing (used by the rebuild test and by
  the Performance page's exercise).

What it deliberately does not do: benchmark (repeat, warm up, take the median; see
bench/), or mark numbers that do not depend on the clock.
"""

from __future__ import annotations

import re
import time

MARK = "\u202f"  # narrow no-break space: between a timing's number and its unit only

# a number (with thousands separators, decimals, exponent), the mark, then the unit
TIMING = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?" + MARK + r"\S+")


def timed(fn, *args, **kwargs):
    """(result, wall seconds) of one call `fn(*args, **kwargs)`."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def fmt_seconds(seconds: float, digits: int = 1) -> str:
    """`12.5 s`, marked as a timing."""
    return f"{seconds:.{digits}f}{MARK}s"


def fmt_ms(seconds: float, digits: int = 2) -> str:
    """`seconds` shown in milliseconds, `3.14 ms`, marked as a timing."""
    return f"{1000 * seconds:.{digits}f}{MARK}ms"


def fmt_rate(per_second: float, unit: str = "words/s") -> str:
    """`370,977 words/s`, marked as a timing (a rate is a timing's reciprocal)."""
    return f"{per_second:,.0f}{MARK}{unit}"


def fmt_speedup(ratio: float, digits: int = 2) -> str:
    """`0.82 x` (a ratio of two timings), marked as a timing."""
    return f"{ratio:.{digits}f}{MARK}x"


def mask_timings(text: str) -> str:
    """`text` with every marked timing's number replaced by `#` (unit kept)."""
    return TIMING.sub(lambda m: "#" + m.group(0)[m.group(0).index(MARK):], text)
