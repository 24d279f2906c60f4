"""The Performance page's exercise checks: right answers pass, each slip gets its hint."""

from __future__ import annotations

import re

import pytest

from embedlab.checks import CheckError
from embedlab.checks.performance import (
    check_ratio,
    check_timing_mask,
    check_words_per_second,
)


def test_ratio_hints():
    assert check_ratio(0.5, 180_000, 360_000).startswith("Correct.")
    with pytest.raises(CheckError, match="upside down"):
        check_ratio(2.0, 180_000, 360_000)
    with pytest.raises(CheckError, match="percentage"):
        check_ratio(50.0, 180_000, 360_000)
    with pytest.raises(CheckError, match="difference"):
        check_ratio(-180_000, 180_000, 360_000)
    with pytest.raises(CheckError, match="divide the 'ours'"):
        check_ratio(0.7, 180_000, 360_000)
    with pytest.raises(CheckError, match="one number"):
        check_ratio([0.5, 0.5], 180_000, 360_000)


def test_words_per_second_hints():
    kw = dict(corpus_tokens=452_944, epochs=5, seconds=12.5, vocab_size=12_000)
    assert "181,178" in check_words_per_second(452_944 * 5 / 12.5, **kw)
    with pytest.raises(CheckError, match="once per epoch"):
        check_words_per_second(452_944 / 12.5, **kw)
    with pytest.raises(CheckError, match="seconds per word"):
        check_words_per_second(12.5 / (452_944 * 5), **kw)
    with pytest.raises(CheckError, match="vocabulary size"):
        check_words_per_second(12_000 * 5 / 12.5, **kw)
    with pytest.raises(CheckError, match="running words"):
        check_words_per_second(1.0, **kw)


NUM = re.compile(r"\d+(?:[.,]\d+)*")
M = "\u202f"
# the rule tests/test_reproducible.py used before timings were marked: numbers on any
# line with a unit after a digit, a rate, or a word about time
OLD_RULE = re.compile(r"\d\s*(?:ms|s|secs?|seconds?)\b|\b\w+/s\b"
                      r"|\b(?:time|timing|took|elapsed|wall|second|speed)", re.I)


def test_timing_mask_accepts_the_reference_rule_and_the_chapter_solution():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from embedlab.timing import mask_timings
    from test_reproducible import normalise

    assert check_timing_mask(mask_timings).startswith("Correct.")
    assert check_timing_mask(normalise).startswith("Correct.")
    marked = re.compile(r"\d[\d,]*(?:\.\d+)?(?=\u202f)")  # the page's solution
    assert check_timing_mask(lambda line: marked.sub("#", line)).startswith("Correct.")


# wrong answers learners plausibly give, and the words the hint must contain
WRONG_MASKS = [
    (lambda line: NUM.sub("#", line) if OLD_RULE.search(line) else line,
     "word about time"),  # guessing from words: the rule this book dropped
    (lambda line: NUM.sub("#", line) if M in line else line,
     "result on the same line was masked"),  # every number on a line with a timing
    (lambda line: re.sub(r"\d+(?:\.\d+)?(?=\u202f)", "#", line),
     "thousands separators"),  # 370,977 -> 370,#
    (lambda line: re.sub(r"[\d.,]+(?=\u202f)", "#", line, count=1),
     "not only the first"),  # re.sub(..., count=1) or re.search
    (lambda line: re.sub(r"[\d.,]+\u202f\S+", "#", line),
     "Keep the mark and the unit"),  # the whole "12.5 s" replaced
    (lambda line: re.sub(r"\d+(?=\u202f)", "#", line),
     "decimal part"),  # "12.#" left
    (lambda line: NUM.sub("#", line) if re.search(r"\d[ \u202f]s\b", line) else line,
     "Nothing was masked"),  # seconds only: "ms" missed
    (lambda line: re.sub(r"[\d.,]+(?=[ \u202f](?:s|ms|x|\w+/s)\b)", "#", line),
     "ordinary space"),
    (lambda line: line, "Nothing was masked"),  # masks nothing
    (lambda line: None, "should return a str"),
    (lambda line: 1 / 0, "raised ZeroDivisionError"),
    ("not a function", "should be a function"),
]


@pytest.mark.parametrize(("fn", "hint"), WRONG_MASKS)
def test_timing_mask_rejects_each_slip_with_its_hint(fn, hint):
    from embedlab.checks.performance import _MASK_CASES
    from embedlab.timing import mask_timings

    with pytest.raises(CheckError, match=re.escape(hint)) as err:
        check_timing_mask(fn)
    # the hint never shows a correctly masked line
    for line in _MASK_CASES:
        if mask_timings(line) != line:
            assert repr(mask_timings(line)) not in str(err.value)
