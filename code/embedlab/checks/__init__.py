"""Auto-checks for the exercises: a wrong answer raises `CheckError` with a hint.

Each area of the book has its own module here (`checks.tokens`, `checks.table`, ...).
This file is the shared base they build on:

- `CheckError`: a wrong answer; its message says what is wrong and where to look.
- `guarded`: the decorator every exercise check wears, so that None, an answer of the
  wrong kind or an error in the learner's own function also gives a `CheckError`.
- `passed(msg)`: the one success message format every check returns.
- `as_array`: accept a torch tensor, a NumPy array, or nested lists alike.
- `check_shape`: a shape mismatch names the expected and the actual shape, and says
  so when the answer is the transpose (or has an extra / missing batch axis).
- `check_close`: values compared with tolerances; the hint says how many entries are
  wrong, where the largest error is and how far off (an order of magnitude), and recognises
  the usual slips (transposed, sign flipped, scaled, rows swapped). It never prints the
  expected value, nor a number from which it could be worked out (an exact error or
  factor).
- `check_equal`: exact comparison for ids, tokens and counts, naming the first
  difference.
- `reject_slips` / `require_close`: the one way an area check names a known slip (the
  answer is close to a wrong value) or a failed property (it is not close to what it
  must equal), each with its own hint.

The wrong answers learners plausibly give to each check are data in `checks.slips`
(tests/test_checks_slips.py runs them): a new check gets its slips there.

What it deliberately does not do: know about any particular exercise (that is the area
modules' job), or print anything (checks return a string or raise).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np


class CheckError(ValueError):
    """The answer is wrong; the message says what is wrong and how to look for it."""


def guarded(check: Callable[..., str]) -> Callable[..., str]:
    """Wrap an exercise check so that any answer gets a `CheckError`, never a raw
    exception: None (a cell that forgot to return), an answer of the wrong kind (a str, a
    vector where one number is asked, a value where a function is asked) or an error
    raised inside the learner's own function."""
    wants_fn = next(iter(inspect.signature(check).parameters)) == "fn"

    @functools.wraps(check)
    def wrapper(answer, *args, **kwargs):
        if answer is None:
            raise CheckError("the answer is None: did the cell forget to `return` (or "
                             "assign) it?")
        if wants_fn and not callable(answer):
            raise CheckError(f"your answer should be a function: pass the function "
                             f"itself (its name, not a call), got {type(answer).__name__}")
        try:
            return check(answer, *args, **kwargs)
        except CheckError:
            raise
        except Exception as e:  # the answer's kind, or the learner's code, failed
            why = f"{type(e).__name__}: {str(e)[:160]}"
            if wants_fn:
                raise CheckError(f"your function raised {why}") from None
            if "0-dimensional" in str(e) or "length-1" in str(e) or "ambiguous" in str(e):
                raise CheckError(f"give one number, not an array or list "
                                 f"({type(answer).__name__})") from None
            raise CheckError(f"this check cannot use a {type(answer).__name__} here "
                             f"({why}): is it the kind of answer the exercise asks for?"
                             ) from None
    return wrapper


def passed(msg: str = "") -> str:
    """The one success message format every check returns."""
    return "Correct." + (f" {msg}" if msg else "")


def as_array(x, name: str = "answer") -> np.ndarray:
    """`x` as a float64 NumPy array; a torch tensor is detached first.

    Raises `CheckError` (not a NumPy error) for things that are not numbers at all.
    """
    if x is None:
        raise CheckError(f"{name} is None: did the cell forget to `return` "
                         "(or assign) it?")
    if hasattr(x, "detach"):  # a torch tensor, possibly requiring grad
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise CheckError(f"{name} should be numbers (an array or tensor), got "
                         f"{type(x).__name__}: {e}") from None


def _shape_str(shape: Sequence[int]) -> str:
    inner = ", ".join(str(int(s)) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def looks_transposed(actual, expected, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when `actual` is (numerically) the transpose of a 2-D `expected` that is not
    square-and-symmetric, i.e. when the learner swapped rows and columns."""
    a, e = as_array(actual), as_array(expected)
    if a.ndim != 2 or e.ndim != 2 or a.shape != e.T.shape:
        return False
    if e.shape[0] == e.shape[1] and np.allclose(e, e.T, rtol=rtol, atol=atol):
        return False  # a symmetric matrix is its own transpose: nothing to detect
    return bool(np.allclose(a, e.T, rtol=rtol, atol=atol))


def check_shape(actual, expected_shape: Sequence[int], name: str = "answer",
                meaning: str = "") -> str:
    """Raise `CheckError` unless `actual` has `expected_shape`.

    `meaning` names the axes for the hint, e.g. "(vocabulary size, dim)".
    """
    shape = tuple(as_array(actual, name).shape)
    want = tuple(int(s) for s in expected_shape)
    if shape == want:
        return passed(f"{name} has shape {_shape_str(want)}.")
    axes = f" = {meaning}" if meaning else ""
    msg = f"{name} has shape {_shape_str(shape)}, expected {_shape_str(want)}{axes}."
    if len(shape) == len(want) == 2 and shape == want[::-1]:
        msg += " The axes are swapped: did you transpose (use rows, not columns)?"
    elif len(shape) == len(want) + 1 and 1 in shape and \
            tuple(s for i, s in enumerate(shape) if i != shape.index(1)) == want:
        msg += " There is an extra axis of length 1: squeeze it (or index [0])."
    elif len(shape) + 1 == len(want) and 1 in want and \
            tuple(s for i, s in enumerate(want) if i != want.index(1)) == shape:
        msg += " An axis of length 1 is missing: add it with [None] or unsqueeze."
    elif sorted(shape) == sorted(want):
        msg += " The same sizes in another order: check the order of the axes."
    elif np.prod(shape) == np.prod(want):
        msg += " Same number of entries: a reshape or view went the wrong way."
    raise CheckError(msg)


def _slip_hint(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str:
    """Name a recognisable slip when `a` is a simple transform of `e`, else ""."""
    def close(x, y):
        return x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol)

    if not np.any(e):
        return ""
    if close(a, -e):
        return (" Every value has the opposite sign: check a minus sign "
                "(or a - b vs b - a).")
    flat_e, flat_a = e.ravel(), a.ravel()
    j = int(np.argmax(np.abs(flat_e)))
    if flat_e[j] != 0:
        ratio = flat_a[j] / flat_e[j]
        if np.isfinite(ratio) and ratio not in (0.0, 1.0) and close(a, ratio * e):
            return (" Every value is off by the same factor: a missing or extra "
                    "factor (a mean instead of a sum, a learning rate, a 1/n?).")
    if e.ndim == 2 and len(e) > 1 and close(np.sort(a, axis=0), np.sort(e, axis=0)):
        rows_a = {tuple(np.round(r, 6)) for r in a}
        if rows_a == {tuple(np.round(r, 6)) for r in e}:
            return (" The right rows in the wrong order: check which id goes with "
                    "which row.")
    return ""


def check_close(actual, expected, name: str = "answer", rtol: float = 1e-5,
                atol: float = 1e-6) -> str:
    """Raise `CheckError` unless `actual` matches `expected` within tolerances.

    The hint names the largest absolute error and where it is, and recognises a
    transpose, a flipped sign, a constant factor, or rows in the wrong order.
    """
    a, e = as_array(actual, name), as_array(expected, "expected")
    if a.shape != e.shape:
        if looks_transposed(a, e, rtol, atol):
            raise CheckError(f"{name} is the transpose of the expected "
                             f"{_shape_str(e.shape)} array: you used columns where "
                             "rows were meant (or .T).")
        check_shape(a, e.shape, name)
    if np.isnan(a).any() and not np.isnan(e).any():
        raise CheckError(f"{name} contains NaN: a division by zero or log(0) "
                         "somewhere?")
    if np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        err = np.nanmax(np.abs(a - e), initial=0.0)
        return passed(f"{name} matches (largest error {err:.2g}).")
    if looks_transposed(a, e, rtol, atol):
        raise CheckError(f"{name} is the transpose of the expected array: you used "
                         "columns where rows were meant (or .T).")
    err = np.nan_to_num(np.abs(a - e), nan=np.inf)
    if a.ndim == 0:  # a single number: say which way it is off, not what it should be
        way = "too large" if a > e else "too small"
        sign = ""
        if np.isclose(a, -e):
            sign = " It has the opposite sign: check a minus sign."
        raise CheckError(f"{name} = {a:.6g} is {way}{_how_far(float(a), float(e))}."
                         f"{sign}")
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    at = tuple(int(i) for i in worst)
    msg = (f"{name} differs from the expected values in {int(bad.sum())} of {e.size} "
           f"entries; the largest error is at index {at} (you have {a[worst]:.6g}, "
           f"{'too large' if a[worst] > e[worst] else 'too small'}"
           f"{_how_far(float(a[worst]), float(e[worst]))}).")
    raise CheckError(msg + _slip_hint(a, e, rtol, atol))


def _how_far(a: float, e: float) -> str:
    """A coarse distance (a bucket, so the expected value cannot be worked back)."""
    if not np.isfinite(a) or e == 0 or a * e <= 0:
        return ""
    rel, r = abs(a - e) / abs(e), max(a / e, e / a)
    if rel < 0.01:
        return " by less than 1% (a rounding, or a small term left out?)"
    if rel < 0.1:
        return " by less than 10%"
    if r < 2:
        return " by less than a factor of 2"
    if r < 10:
        return " by less than a factor of 10"
    return " by more than a factor of 10"


def check_equal(actual, expected, name: str = "answer", reveal: bool = False) -> str:
    """Exact comparison of sequences (ids, tokens) or scalars, naming the first
    difference.

    With `reveal=False` (the default, for exercises) the hint says where and how the
    answer is wrong without printing the expected value itself.
    """
    def shown(v) -> str:
        return f", expected {v!r}" if reveal else ""

    if isinstance(expected, (list, tuple)) or hasattr(expected, "tolist"):
        exp = expected.tolist() if hasattr(expected, "tolist") else list(expected)
        if isinstance(actual, str) and not isinstance(exp, str):
            raise CheckError(f"{name} is a str; expected a sequence of {len(exp)} "
                             "items (a list): did you forget to split it?")
        try:
            act = actual.tolist() if hasattr(actual, "tolist") else list(actual)
        except TypeError:
            raise CheckError(f"{name} should be a sequence of {len(exp)} items, got "
                             f"{type(actual).__name__}") from None
        if act == exp:
            return passed(f"{name} is right.")
        if len(act) != len(exp):
            hint = ""
            if act[: len(exp)] == exp or exp[: len(act)] == act:
                hint = " The start matches: something was cut off or added at the end."
            raise CheckError(f"{name} has {len(act)} items, expected {len(exp)}.{hint}")
        if sorted(map(repr, act)) == sorted(map(repr, exp)):
            raise CheckError(f"{name} has the right items in the wrong order.")
        i = next(i for i, (x, y) in enumerate(zip(act, exp, strict=True)) if x != y)
        raise CheckError(f"{name} first differs at position {i}: got {act[i]!r}"
                         f"{shown(exp[i])}.")
    if actual == expected:
        return passed(f"{name} is {expected!r}.")
    hint = ""
    numbers = (int, float, np.integer, np.floating)
    if isinstance(expected, numbers) and isinstance(actual, numbers) \
            and not isinstance(actual, bool):
        hint = " It is too large." if actual > expected else " It is too small."
        if isinstance(expected, (int, np.integer)) and abs(actual - expected) == 1:
            hint = " Off by one: count from 0, and check whether the ends are included."
    raise CheckError(f"{name} is {actual!r}{shown(expected)}.{hint}")


def reject_slips(answer, slips, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Raise `CheckError(hint)` for the first (wrong value, hint) pair in `slips` that
    `answer` is close to; wrong values of another shape are skipped."""
    a = np.asarray(answer, dtype=float)
    for wrong, hint in slips:
        w = np.asarray(wrong, dtype=float)
        if w.shape == a.shape and np.allclose(a, w, rtol=rtol, atol=atol):
            raise CheckError(hint)


def require_close(answer, must_equal, hint: str, rtol: float = 1e-5,
                  atol: float = 1e-8) -> None:
    """Raise `CheckError(hint)` unless `answer` is close to `must_equal` (same shape)."""
    a, w = np.asarray(answer, dtype=float), np.asarray(must_equal, dtype=float)
    if a.shape != w.shape or not np.allclose(a, w, rtol=rtol, atol=atol):
        raise CheckError(hint)
