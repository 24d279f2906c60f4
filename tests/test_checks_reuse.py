"""embedlab.checks.reuse: right answers pass; each typical wrong answer gets its hint."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.checks import CheckError
from embedlab.checks.reuse import (
    check_decayed_norm,
    check_heldout_precision,
    check_word_row,
)


def _hint(fn, *args, **kw) -> str:
    with pytest.raises(CheckError) as info:
        fn(*args, **kw)
    return str(info.value)


def test_word_row():
    from embedlab.pretrained import minilm_table, minilm_tokenizer

    table, tok = minilm_table(), minilm_tokenizer()
    ids = tok.encode("philosphy", add_special_tokens=False).ids
    assert len(ids) > 1
    right = table[ids].mean(0)
    assert check_word_row(right, "philosphy", table, tok).startswith("Correct")
    assert "sum" in _hint(check_word_row, table[ids].sum(0), "philosphy", table, tok)
    with_cls = table[tok.encode("philosphy").ids].mean(0)
    assert "[CLS]" in _hint(check_word_row, with_cls, "philosphy", table, tok)
    assert "first piece" in _hint(check_word_row, table[ids[0]], "philosphy", table, tok)
    assert "shape" in _hint(check_word_row, table[ids], "philosphy", table, tok)
    assert "differs" in _hint(check_word_row, right + 0.01, "philosphy", table, tok)


def test_decayed_norm():
    kw = dict(lr=0.02, weight_decay=0.1, steps=50)
    assert check_decayed_norm(3.0 * 0.998**50, 3.0, **kw).startswith("Correct")
    assert "did not shrink" in _hint(check_decayed_norm, 3.0, 3.0, **kw)
    assert "lr * weight_decay" in _hint(check_decayed_norm, 3.0 * 0.9**50, 3.0, **kw)
    assert "compounds" in _hint(check_decayed_norm, 3.0 * (1 - 0.002 * 50), 3.0, **kw)
    msg = _hint(check_decayed_norm, 2.0, 3.0, **kw)
    assert "too small" in msg and "2.7" not in msg  # never reveals the answer


def test_heldout_precision():
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(10, 5))
    mapped = targets.copy()
    mapped[[7, 8]] = targets[[0, 1]]  # two of the held-out rows translate wrongly
    held = np.arange(6, 10)
    assert check_heldout_precision(0.5, mapped, targets, held).startswith("Correct")
    bool_held = np.zeros(10, dtype=bool)
    bool_held[6:] = True
    assert check_heldout_precision(0.5, mapped, targets, bool_held).startswith("Correct")
    assert "all pairs" in _hint(check_heldout_precision, 0.8, mapped, targets, held)
    assert "fitted on" in _hint(check_heldout_precision, 1.0, mapped, targets, held)
    assert "between 0 and 1" in _hint(check_heldout_precision, 2.0, mapped, targets, held)
    assert "not the held-out" in _hint(check_heldout_precision, 0.25, mapped, targets,
                                       held)
