"""Exercise checks for the token chapters: right answers pass, slips get their hint."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from embedlab.bpe import BPETokenizer, merge_pair, to_bytes
from embedlab.checks import CheckError
from embedlab.checks.tokens import (
    check_count_pairs,
    check_coverage,
    check_encode_with_unk,
    check_encoder,
    check_first_merge,
    check_special_id,
    check_tradeoff,
)
from embedlab.pretrained import minilm_tokenizer
from embedlab.vocab import Vocab


def _hint(fn, *args) -> str:
    with pytest.raises(CheckError) as info:
        fn(*args)
    return str(info.value)


# ---------------------------------------------------------------- special ids
def test_special_id():
    wp = minilm_tokenizer()
    mine = Vocab(["[PAD]", "[UNK]", "[MASK]", "x"])
    assert check_special_id(103, "[MASK]", wp).startswith("Correct")
    assert "not the token" in _hint(check_special_id, "[MASK]", "[MASK]", wp)
    assert "own small Vocab" in _hint(check_special_id, 2, "[MASK]", wp, mine)
    assert "off by one" in _hint(check_special_id, 104, "[MASK]", wp)
    assert "'[CLS]'" in _hint(check_special_id, 101, "[MASK]", wp)


# ---------------------------------------------------------------- coverage
TRAIN = [["the", "cat", "sat"], ["the", "cat", "ran"]]
HELD = [["the", "dog", "sat"], ["the", "the", "cat", "flew"]]


@pytest.fixture()
def vocab():
    return Vocab.build(TRAIN)


def test_coverage_right(vocab):
    # held-out: 7 running tokens, known: the, sat, the, the, cat = 5
    assert check_coverage(5 / 7, vocab, HELD, TRAIN).startswith("Correct")


@pytest.mark.parametrize(
    "answer, words",
    [
        (100 * 5 / 7, "percentage"),
        (2 / 7, "unknown tokens"),
        (3 / 5, "distinct words"),  # types: the, dog, sat, cat, flew -> 3 known
        (1.0, "training text"),
        (0.5, "too low"),
        ("abc", "number"),
    ],
)
def test_coverage_hints(vocab, answer, words):
    assert words in _hint(check_coverage, answer, vocab, HELD, TRAIN)


# ---------------------------------------------------------------- [UNK]
def test_encode_with_unk():
    def right(tokens, itos):
        stoi = {t: i for i, t in enumerate(itos)}
        return [stoi.get(t, stoi["[UNK]"]) for t in tokens]

    def skips(tokens, itos):
        stoi = {t: i for i, t in enumerate(itos)}
        return [stoi[t] for t in tokens if t in stoi]

    def raises(tokens, itos):
        return [{t: i for i, t in enumerate(itos)}[t] for t in tokens]

    def one_based(tokens, itos):
        return [i + 1 for i in right(tokens, itos)]

    def no_return(tokens, itos):
        right(tokens, itos)

    assert check_encode_with_unk(right).startswith("Correct")
    assert "must not be skipped" in _hint(check_encode_with_unk, skips)
    assert "not an error" in _hint(check_encode_with_unk, raises)
    assert "one too large" in _hint(check_encode_with_unk, one_based)
    assert "return" in _hint(check_encode_with_unk, no_return)


# ---------------------------------------------------------------- BPE
TEXT = " hug pug pun bun hugs"


def test_first_merge():
    assert check_first_merge(("u", "g", 3), TEXT).startswith("Correct")
    assert check_first_merge((b"u", b"g", 3), TEXT).startswith("Correct")
    assert "wrong order" in _hint(check_first_merge, ("g", "u", 3), TEXT)
    assert "crosses a chunk" in _hint(check_first_merge, ("g", " ", 3), TEXT)
    assert "not the most frequent" in _hint(check_first_merge, ("u", "n", 2), TEXT)
    assert "tuple" in _hint(check_first_merge, "ug", TEXT)
    # " hug hug hug pug": u+g occurs 4 times but in only 2 distinct chunks
    assert "every occurrence" in _hint(
        check_first_merge, ("u", "g", 2), " hug hug hug pug"
    )


def test_count_pairs():
    def right(chunks):
        out = Counter()
        for c, n in chunks.items():
            for p in pairwise(c):
                out[p] += n
        return out

    def unweighted(chunks):
        return Counter(p for c in chunks for p in pairwise(c))

    def across(chunks):
        return Counter(pairwise("".join(c * n for c, n in chunks.items())))

    def skip_overlap(chunks):
        out = right(chunks)
        if out.get(("a", "a")) == 2:
            out[("a", "a")] = 1
        return out

    assert check_count_pairs(right).startswith("Correct")
    assert "weight" in _hint(check_count_pairs, unweighted)
    assert "across chunk" in _hint(check_count_pairs, across)
    assert "overlapping" in _hint(check_count_pairs, skip_overlap)


@pytest.fixture(scope="module")
def tok():
    text = "the encoder reads embeddings. " * 30 + "aaaa bbbb unbelievably " * 10
    return BPETokenizer.train(text, 256 + 60)


def _encoder(order):
    def encode(text, tok):
        rank = {p: k for k, p in enumerate(tok.merges)}
        index = {v: i for i, v in enumerate(tok.vocab)}
        out = []
        for chunk in tok.split(text):
            ids = list(to_bytes(chunk))
            while len(ids) > 1:
                present = [p for p in pairwise(ids) if p in rank]
                if not present:
                    break
                pair = order(present, rank)
                ids = merge_pair(
                    ids, pair, index[tok.vocab[pair[0]] + tok.vocab[pair[1]]]
                )
            out.extend(ids)
        return out

    return encode


def test_encoder(tok):
    right = _encoder(lambda present, rank: min(present, key=rank.get))
    leftmost = _encoder(lambda present, rank: present[0])
    assert check_encoder(right, tok).startswith("Correct")
    assert "earliest learned" in _hint(check_encoder, leftmost, tok)
    assert "keep merging" in _hint(check_encoder, lambda t, k: list(to_bytes(t)), tok)
    assert "does not give back" in _hint(check_encoder, lambda t, k: [1, 2], tok)


def test_tradeoff():
    sizes, per_word, d = [256, 1000, 4096], [6.0, 2.4, 1.6], 384
    right = ((4096 - 1000) * d, 2.4 / 1.6)
    assert check_tradeoff(right, sizes, per_word, d).startswith("Correct")
    assert "one table" in _hint(check_tradeoff, (4096 * d, 1.5), sizes, per_word, d)
    assert "rows only" in _hint(check_tradeoff, (3096, 1.5), sizes, per_word, d)
    assert "upside down" in _hint(
        check_tradeoff, (right[0], 1.6 / 2.4), sizes, per_word, d
    )
    assert "pair" in _hint(check_tradeoff, 5, sizes, per_word, d)


# ------------------------------------------ helpers added to vocab.py for the chapters
def test_split_words_keeps_marks_and_case():
    from embedlab.vocab import split_words

    assert split_words("It's 4:00pm. Naïve!") == [
        "It",
        "'",
        "s",
        "4",
        ":",
        "00pm",
        ".",
        "Naïve",
        "!",
    ]
    assert split_words("  \n ") == []


def test_coverage_curve_matches_hand_count():
    from embedlab.vocab import coverage_curve

    # training counts: the 2, cat 2, sat 1, ran 1; held-out has 7 running words
    # ties go alphabetically, so top-1 is {cat}: 1/7; top-2 {cat, the}: 4/7;
    # all four: the x3, cat, sat = 5/7
    assert coverage_curve(TRAIN, HELD, [1, 2, 4]) == [1 / 7, 4 / 7, 5 / 7]


def test_pad_batch():
    from embedlab.vocab import pad_batch

    ids, mask = pad_batch([[5, 6, 7], [8], []], pad_id=0)
    assert ids == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert mask == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert pad_batch([], pad_id=0) == ([], [])
