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


def test_timing_mask_accepts_the_reference_rule():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_reproducible import normalise

    assert check_timing_mask(normalise).startswith("Correct.")


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda line: NUM.sub("#", line), "must stay as it is"),  # masks everything
        (lambda line: line, "still has a digit"),  # masks nothing
        # "s" anywhere after a space: "epochs" / "pairs" caught as units
        (lambda line: NUM.sub("#", line) if re.search(r"s\b|time", line) else line,
         "merely ends in 's'"),
        # seconds only: "ms" and rates missed
        (lambda line: NUM.sub("#", line) if re.search(r"\d\s*s\b", line) else line,
         "'ms'"),
        (lambda line: None, "should return a str"),
        (lambda line: 1 / 0, "raised ZeroDivisionError"),
        ("not a function", "should be a function"),
    ],
)
def test_timing_mask_hints(fn, hint):
    with pytest.raises(CheckError, match=re.escape(hint)):
        check_timing_mask(fn)
