"""The shared exercise-check helpers: right answers pass, wrong ones get their hint."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedlab.checks import (
    CheckError,
    as_array,
    check_close,
    check_equal,
    check_shape,
    looks_transposed,
    passed,
)

E = np.arange(1.0, 7.0).reshape(2, 3)  # a non-square, non-symmetric reference


def _hint(fn, *args, **kw) -> str:
    with pytest.raises(CheckError) as info:
        fn(*args, **kw)
    return str(info.value)


def test_checkerror_is_a_valueerror():
    assert issubclass(CheckError, ValueError)
    with pytest.raises(ValueError):
        check_close([1.0], [2.0])


def test_passed_format():
    assert passed() == "Correct."
    assert passed("Well done.") == "Correct. Well done."


def test_as_array_accepts_tensors_lists_and_rejects_none():
    t = torch.tensor(E, requires_grad=True)
    np.testing.assert_array_equal(as_array(t), E)
    np.testing.assert_array_equal(as_array(E.tolist()), E)
    assert "forget to `return`" in _hint(as_array, None)
    assert "should be numbers" in _hint(as_array, {"a": 1})


def test_check_shape_passes_and_names_both_shapes():
    assert check_shape(np.zeros((2, 3)), (2, 3)).startswith("Correct.")
    msg = _hint(check_shape, np.zeros((4, 3)), (2, 3), name="table")
    assert "table has shape (4, 3), expected (2, 3)" in msg


@pytest.mark.parametrize(
    ("shape", "want", "phrase"),
    [
        ((3, 2), (2, 3), "transpose"),
        ((1, 2, 3), (2, 3), "extra axis"),
        ((3,), (1, 3), "missing"),
        ((3, 4, 2), (2, 3, 4), "order of the axes"),
        ((6,), (2, 3), "reshape"),
    ],
)
def test_check_shape_hints(shape, want, phrase):
    assert phrase in _hint(check_shape, np.zeros(shape), want)


def test_check_shape_meaning_is_shown():
    assert "= (V, D)" in _hint(check_shape, np.zeros((3, 2)), (2, 3), meaning="(V, D)")


def test_looks_transposed_against_numpy_transpose():
    assert looks_transposed(E.T, E)
    assert not looks_transposed(E, E)
    sym = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert not looks_transposed(sym, sym)  # its own transpose: nothing to detect
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert looks_transposed(square.T, square)


def test_check_close_passes_within_tolerance_and_with_tensors():
    assert check_close(torch.tensor(E) + 1e-9, E).startswith("Correct.")
    assert check_close(0.30000001, 0.3).startswith("Correct.")


def test_check_close_detects_square_transpose():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transpose" in _hint(check_close, square.T, square)


def test_check_close_detects_nonsquare_transpose():
    assert "transpose" in _hint(check_close, E.T, E)


def test_check_close_names_largest_error_and_where():
    bad = E.copy()
    bad[1, 2] += 0.5
    bad[0, 0] += 0.01
    msg = _hint(check_close, bad, E)
    assert "2 of 6 entries" in msg
    assert "index (1, 2)" in msg and "too large" in msg
    assert "you have 6.5" in msg and "expected 6" not in msg  # only the answer shown


@pytest.mark.parametrize(
    ("wrong", "phrase"),
    [
        (-E, "opposite sign"),
        (E / 3, "off by the same factor"),
        (E[::-1], "wrong order"),
    ],
)
def test_check_close_recognises_slips(wrong, phrase):
    assert phrase in _hint(check_close, wrong, E)


def test_check_close_scalar_says_direction_without_the_answer():
    msg = _hint(check_close, 1.1, 1.0)
    assert "too large" in msg and "factor of 2" in msg and "10.0%" not in msg
    assert "expected" not in msg and "1.0" not in msg.replace("1.1", "")
    assert "less than 1%" in _hint(check_close, 1.001, 1.0)
    assert "too small" in _hint(check_close, 0.5, 1.0)
    assert "opposite sign" in _hint(check_close, -1.0, 1.0)


def test_check_close_nan_and_wrong_shape():
    assert "NaN" in _hint(check_close, [np.nan, 1.0], [0.0, 1.0])
    assert "has shape (3,)" in _hint(check_close, [1.0, 2.0, 3.0], [1.0, 2.0])


def test_check_equal_sequences():
    assert check_equal([3, 1, 2], [3, 1, 2]).startswith("Correct.")
    assert check_equal(torch.tensor([3, 1]), [3, 1]).startswith("Correct.")
    assert "wrong order" in _hint(check_equal, [1, 2, 3], [3, 1, 2])
    assert "cut off" in _hint(check_equal, [3, 1], [3, 1, 2])
    msg = _hint(check_equal, [3, 9, 2], [3, 1, 2])
    assert "position 1" in msg and "got 9" in msg and "expected" not in msg
    assert "expected 1" in _hint(check_equal, [3, 9, 2], [3, 1, 2], reveal=True)
    assert "split" in _hint(check_equal, "the cat", ["the", "cat"])
    assert "sequence" in _hint(check_equal, 5, [5])


def test_check_equal_scalars():
    assert check_equal(7, 7) == "Correct. answer is 7."
    assert "Off by one" in _hint(check_equal, 8, 7)
    assert "too large" in _hint(check_equal, 10, 7)
    assert "too small" in _hint(check_equal, 2, 7)
    msg = _hint(check_equal, "dog", "cat", name="word")
    assert "word is 'dog'" in msg and "cat" not in msg


def _adam_step2(g1: torch.Tensor, lr=0.1, b1=0.9, b2=0.999, eps=1e-8, correct=True):
    """Adam's change at step 2 for a zero gradient after `g1` at step 1, by hand."""
    m2, v2 = b1 * (1 - b1) * g1, b2 * (1 - b2) * g1**2
    if correct:
        m2, v2 = m2 / (1 - b1**2), v2 / (1 - b2**2)
    return -lr * m2 / (v2.sqrt() + eps)


def test_adam_exercise_reference_and_missing_bias_correction_hint():
    """The questions chapter's Adam exercise: torch.optim.Adam is the reference."""
    g1 = torch.tensor([0.5, -2.0, 0.01])
    row = torch.zeros(3, requires_grad=True)
    adam = torch.optim.Adam([row], lr=0.1)
    for grad in (g1, torch.zeros(3)):
        row.grad = grad.clone()
        before = row.detach().clone()
        adam.step()
    expected = row.detach() - before
    assert check_close(_adam_step2(g1), expected, rtol=1e-4).startswith("Correct.")
    msg = _hint(check_close, _adam_step2(g1, correct=False), expected, rtol=1e-4)
    assert "off by the same factor" in msg


def test_one_hot_exercise_transposed_table_is_named():
    """A learner who multiplies by the transposed table (V == D) is told so."""
    g = torch.Generator().manual_seed(0)
    table = torch.randn(6, 6, generator=g)  # square: shapes cannot give it away
    ids = torch.tensor([5, 2, 5])
    wrong = torch.nn.functional.one_hot(ids, 6).float() @ table.T  # columns, not rows
    msg = _hint(check_close, wrong, table[ids])
    assert "differs" in msg
    assert "transpose" in _hint(check_close, table.T, table)


_FINITE = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2,
                                               max_side=6), elements=_FINITE))
def test_property_self_passes_and_transpose_is_named(x):
    assert check_close(x, x.copy()).startswith("Correct.")
    assert check_close(torch.tensor(x), x).startswith("Correct.")
    if x.shape[0] != x.shape[1] or not np.allclose(x, x.T, rtol=1e-5, atol=1e-6):
        assert "transpose" in _hint(check_close, x.T, x)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=_FINITE),
       st.integers(0, 7), st.floats(0.5, 100.0))
def test_property_one_wrong_entry_is_located(x, i, delta):
    i = i % len(x)
    bad = x.copy()
    bad[i] += delta  # an error far above the absolute tolerance used below
    msg = _hint(check_close, bad, x, rtol=0.0, atol=1e-3)
    assert f"index ({i},)" in msg and "1 of" in msg


def test_nan_in_both_is_not_an_error():
    assert check_close([np.nan, 1.0], [np.nan, 1.0]).startswith("Correct.")
