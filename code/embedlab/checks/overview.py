"""Checks for the exercises of the opening chapter ("The question")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..probes import chance_purity
from ..vocab import Vocab
from . import CheckError, guarded, passed


@guarded
def check_row_of(answer, vocab: Vocab, word: str) -> str:
    """The row of the table that `word` looks up is its id in the vocabulary."""
    expected = vocab[word]
    if hasattr(answer, "shape") and getattr(answer, "ndim", 0) >= 1:
        raise CheckError("give the row's index (an int), not the row's vector")
    if isinstance(answer, str):
        raise CheckError(
            "give the integer id, not the token: look it up with vocab[word]"
        )
    if int(answer) == expected + 1:
        raise CheckError("off by one: ids start at 0, so the first token is row 0")
    if int(answer) != expected:
        raise CheckError(
            f"{answer} is the row of {vocab.itos[int(answer)]!r}, not of {word!r}"
            if 0 <= int(answer) < len(vocab)
            else f"{answer} is not a row of a table with {len(vocab)} rows"
        )
    return passed(f"{word!r} reads row {expected}.")


@guarded
def check_chance_purity(answer: float, labels: Sequence[str]) -> str:
    """Chance purity: the probability that another, randomly chosen word shares the label."""
    expected = chance_purity(labels)
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    n = len(labels)
    with_self = float((counts**2).sum() / n**2)
    if np.isclose(answer, with_self):
        raise CheckError(
            "you let a word be its own neighbour: draw the other word from the "
            "remaining n - 1 words, c(c-1) / (n(n-1)) per category"
        )
    if np.isclose(answer, 1 / len(counts)):
        raise CheckError(
            "1 / (number of categories) assumes equal category sizes; weight "
            "each category by its size"
        )
    if not np.isclose(answer, expected, atol=1e-9):
        raise CheckError(
            f"{answer:.4f} is not the chance level; sum c(c-1) over categories "
            "and divide by n(n-1)"
        )
    return passed(f"chance purity is {expected:.4f}.")


@guarded
def check_structure_emerged(
    trained_purity: float, labels: Sequence[str], null_high: float
) -> str:
    """A trained table's purity should sit above the top of the shuffled-label range."""
    if trained_purity <= null_high:
        raise CheckError(
            f"purity {trained_purity:.3f} is inside the no-structure range (up to "
            f"{null_high:.3f}): train longer, or check that you probe the trained table, "
            "not the snapshot at step 0"
        )
    return passed(
        f"{trained_purity:.3f} is above chance ({chance_purity(labels):.3f})."
    )
