"""Reveals for predict-then-run exercises: the learner writes a prediction, then runs.

`reveal` compares a written prediction with what the run measured and says how far off it
was (a number: within a tolerance, or too high / too low and by roughly what factor; a set
of ids: which ones were missed or extra). A wrong prediction is not an error, it is the
point of the exercise, so `reveal` returns a message instead of raising; it raises
`CheckError` only when there is no prediction at all, or one of the wrong kind.

What it does not do: compute the measured value (the exercise's cell does, in the open).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from . import CheckError


def _as_set(x) -> set[int]:
    return {int(v) for v in x}


def reveal(prediction, measured, name: str = "value", rtol: float = 0.25,
           atol: float = 0.02) -> str:
    """Compare a prediction with the measurement. Numbers count as close within `rtol`
    (relative) or `atol` (absolute), whichever is larger; collections compare as sets."""
    if prediction is None:
        raise CheckError("write your prediction first (e.g. `prediction = ...`), then "
                         "run the cell: a prediction made after seeing the answer "
                         "teaches nothing")
    if isinstance(measured, Iterable) and not isinstance(measured, str):
        if not isinstance(prediction, Iterable) or isinstance(prediction, str):
            raise CheckError(f"predict a collection of ids for the {name}, e.g. {{1, 2}}")
        p, m = _as_set(prediction), _as_set(measured)
        if p == m:
            return f"Your prediction was right: the {name} are {sorted(m)}."
        parts = [f"measured {name}: {sorted(m)}"]
        if m - p:
            parts.append(f"you missed {sorted(m - p)}")
        if p - m:
            parts.append(f"{sorted(p - m)} did not change")
        return "Not quite: " + "; ".join(parts) + "."
    try:
        p, m = float(prediction), float(measured)
    except (TypeError, ValueError):
        raise CheckError(f"predict one number for the {name}") from None
    if math.isnan(p):
        raise CheckError("the prediction is NaN: write a number")
    if abs(p - m) <= max(rtol * abs(m), atol):
        return f"Close: you predicted {p:.3g}, the run measured {m:.3g}."
    way = "too high" if p > m else "too low"
    factor = ""
    if p != 0 and m != 0 and p * m > 0:
        factor = f", by a factor of about {max(p / m, m / p):.1f}"
    elif p * m < 0:
        factor = ", with the wrong sign"
    return f"You predicted {p:.3g}, the run measured {m:.3g}: {way}{factor}."
