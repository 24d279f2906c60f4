"""Wrong answers learners plausibly give to each exercise check, as data.

`WRONG_ANSWERS[name]` lists, for the check `name` (its function name in
`embedlab.checks.<area>`, e.g. "table.check_lookup_fn"), one `Slip` per typical mistake:

- `description`: the mistake in a few words;
- `make(*inputs)`: builds the wrong answer from the same inputs the check takes after
  the answer (for a check of a function, such as `check_lookup_fn(fn)`, it returns the
  wrong function);
- `hint`: a phrase the check's message must contain (case-insensitive), so the learner
  is told what went wrong.

tests/test_checks_slips.py runs every slip through its check on example inputs (rejected,
hint named, expected value not shown) and the right answer in each accepted form (float32
and float64, ndarray, list, tensor); the grading tool builds wrong submissions from it.

What it deliberately does not do: hold example inputs (those are the tests'), or cover
the shared helpers `check_close`/`check_equal` (tests/test_checks_base.py does).
"""

from __future__ import annotations

from .base import Slip
from .encoder import ENCODER, MINILM
from .learning import LEARNING, MECHANISM, WORD2VEC
from .other import OTHER
from .table import TABLE
from .tokens import TOKENS

WRONG_ANSWERS: dict[str, list[Slip]] = {
    **TABLE, **TOKENS, **ENCODER, **LEARNING, **MECHANISM, **MINILM, **OTHER, **WORD2VEC}

__all__ = ["WRONG_ANSWERS", "Slip"]
