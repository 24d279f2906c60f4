import pytest

from embedlab.vocab import DEFAULT_SPECIALS, PAD, UNK, Vocab


def test_specials_first_then_by_frequency_then_alphabet():
    v = Vocab.build([["b", "a", "c", "a"], ["c", "d"]])
    assert v.itos[: len(DEFAULT_SPECIALS)] == list(DEFAULT_SPECIALS)
    assert v.itos[len(DEFAULT_SPECIALS) :] == ["a", "c", "b", "d"]
    assert v[PAD] == 0


def test_encode_decode_round_trip_and_unknowns():
    v = Vocab.build([["the", "cat"]])
    ids = v.encode(["the", "dog"])
    assert ids[1] == v[UNK]
    assert v.decode(ids) == ["the", UNK]


def test_min_count_max_size_and_coverage():
    sents = [["a"] * 5 + ["b"] * 2 + ["c"]]
    v = Vocab.build(sents, min_count=2)
    assert "c" not in v and "b" in v
    assert v.coverage(sents) == pytest.approx(7 / 8)
    assert (
        len(Vocab.build(sents, max_size=len(DEFAULT_SPECIALS) + 1))
        == len(DEFAULT_SPECIALS) + 1
    )


def test_errors_name_the_problem():
    v = Vocab.build([["x"]])
    with pytest.raises(IndexError, match=f"size {len(v)}"):
        v.decode([len(v)])
    with pytest.raises(TypeError, match="str"):
        v.encode("x y")
    with pytest.raises(ValueError, match="twice"):
        Vocab(["a", "a"])
    with pytest.raises(KeyError):
        Vocab(["a"]).id("b")
