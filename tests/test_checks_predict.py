import pytest

from embedlab.checks import CheckError
from embedlab.checks.predict import reveal


def test_numbers():
    assert reveal(0.5, 0.52).startswith("Close")
    msg = reveal(0.5, 0.05, name="share")
    assert "too high" in msg and "factor of about 10.0" in msg
    assert "too low" in reveal(0.01, 0.5)
    assert "wrong sign" in reveal(-0.4, 0.4)
    assert reveal(0.0, 0.01).startswith("Close")  # absolute floor near zero
    assert "too high" in reveal(0.01, 0.0, atol=0)  # ... unless exactness matters


def test_sets():
    assert reveal({1, 5}, [5, 1], name="changed rows").startswith("Your prediction")
    msg = reveal({1, 2}, [1, 5], name="changed rows")
    assert "missed [5]" in msg and "[2] did not change" in msg
    assert "missed [1, 5]" in reveal(set(), [1, 5])


def test_missing_or_wrong_kind():
    with pytest.raises(CheckError, match="prediction first"):
        reveal(None, 1.0)
    with pytest.raises(CheckError, match="collection"):
        reveal(3, [1, 2])
    with pytest.raises(CheckError, match="one number"):
        reveal("about half", 0.5)
