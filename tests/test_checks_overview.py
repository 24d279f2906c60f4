import numpy as np
import pytest

from embedlab.checks import CheckError
from embedlab.checks.overview import (
    check_chance_purity,
    check_row_of,
    check_structure_emerged,
)
from embedlab.probes import chance_purity
from embedlab.vocab import Vocab

V = Vocab.build([["cat", "dog", "fox"]])
LABELS = ["a"] * 3 + ["b"] * 5


def test_row_check_accepts_the_id_and_explains_wrong_answers():
    assert "Correct" in check_row_of(V["fox"], V, "fox")
    with pytest.raises(CheckError, match="off by one"):
        check_row_of(V["fox"] + 1, V, "fox")
    with pytest.raises(CheckError, match="not the token"):
        check_row_of("fox", V, "fox")
    with pytest.raises(CheckError, match="vector"):
        check_row_of(np.zeros(3), V, "fox")
    with pytest.raises(CheckError, match="'cat'"):
        check_row_of(V["cat"], V, "fox")


def test_chance_check_names_the_usual_mistakes():
    assert "Correct" in check_chance_purity(chance_purity(LABELS), LABELS)
    with pytest.raises(CheckError, match="own neighbour"):
        check_chance_purity((9 + 25) / 64, LABELS)
    with pytest.raises(CheckError, match="equal category sizes"):
        check_chance_purity(0.5, LABELS)
    with pytest.raises(CheckError, match="c\\(c-1\\)"):
        check_chance_purity(0.9, LABELS)


def test_structure_check():
    assert "Correct" in check_structure_emerged(0.7, LABELS, null_high=0.3)
    with pytest.raises(CheckError, match="step 0"):
        check_structure_emerged(0.2, LABELS, null_high=0.3)
