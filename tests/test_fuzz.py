"""Hypothesis fuzzing of every function that takes text or ids from a reader.

The contract: arbitrary text never crashes; it either works or raises one of the
documented error types with a message that names the problem. An out-of-range id names
the vocabulary size. A damaged file raises the module's own error, never a stray
exception from deep inside a library.

Already covered elsewhere (not repeated here): BPE round trips and hand-picked bad files
(tests/test_bpe.py), hand-made truncation/tampering of snapshots (tests/test_snapshots.py),
CLI arguments (tests/test_cli.py). Here: random inputs for the same functions and the rest.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from embedlab.bpe import BPETokenizer, TokenIdError
from embedlab.corpora import lee_raw
from embedlab.evaluation import most_similar, similarity_spearman
from embedlab.probes import nearest_neighbours
from embedlab.snapshots import SnapshotError, load_snapshots, save_snapshots
from embedlab.tokenviz import bpe_pieces, compare_html, tokens_html, visible
from embedlab.training import History
from embedlab.vocab import UNK, Vocab, split_words
from embedlab.word2vec import Word2VecConfig, train_word2vec

# Any code point, lone surrogates included (a Python str can hold them).
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                 blacklist_categories=()), max_size=80)
WORDS = st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=8)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer.train(lee_raw()[:20_000], 256 + 100)


@pytest.fixture(scope="module")
def vocab():
    return Vocab.build([["the", "cat", "sat"], ["the", "dog"]])


def _names_size(err: Exception, size: int) -> bool:
    return re.search(rf"\b{size}\b", str(err)) is not None and "size" in str(err)


def _decode_or_size_error(decode, ids, size: int, error: type[Exception]):
    """decode(ids) when every id is in [0, size); else the `error` it raises must name
    the size (a TokenIdError is both an IndexError and a ValueError). None on error."""
    try:
        out = decode(ids)
    except error as e:
        assert any(not 0 <= i < size for i in ids)
        assert _names_size(e, size), str(e)
        assert isinstance(e, IndexError)
        return None
    assert all(0 <= i < size for i in ids)
    return out


# ---------------------------------------------------------------- BPE
@FAST
@given(st.lists(st.integers(-(2**40), 2**40), max_size=20))
def test_bpe_decode_any_ids(tok, ids):
    assert issubclass(TokenIdError, ValueError)  # and IndexError (the helper checks)
    text = _decode_or_size_error(tok.decode, ids, len(tok), TokenIdError)
    if text is not None:
        assert isinstance(text, str)


@FAST
@given(ANY_TEXT)
def test_bpe_encode_gives_valid_ids_and_pieces(tok, text):
    ids = tok.encode(text)
    assert all(0 <= i < len(tok) for i in ids)
    assert tok.decode(ids) == text
    pieces = tok.pieces(ids)
    assert len(pieces) == len(ids) and all(isinstance(p, str) for p in pieces)


@FAST
@given(st.binary(max_size=200))
def test_bpe_load_any_bytes_is_a_value_error(tmp_path, data):
    p = tmp_path / "tok.json"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=re.escape(str(p))):
        BPETokenizer.load(p)


@FAST
@given(st.data())
def test_bpe_load_damaged_file(tmp_path, tok, data):
    """A saved tokenizer with random bytes cut off or changed: it loads (if still a valid
    file) or raises ValueError naming the file; nothing else."""
    good = tmp_path / "good.json"
    tok.save(good)
    raw = bytearray(good.read_bytes())
    cut = data.draw(st.integers(0, len(raw) - 1))
    if data.draw(st.booleans()):
        raw = raw[:cut]
    else:
        raw[cut] = data.draw(st.integers(0, 255))
    bad = tmp_path / "bad.json"
    bad.write_bytes(bytes(raw))
    try:
        loaded = BPETokenizer.load(bad)
    except ValueError as e:
        assert str(bad) in str(e)
    else:
        assert loaded.decode(loaded.encode("the cat")) == "the cat"


# ---------------------------------------------------------------- Vocab
@FAST
@given(WORDS)
def test_vocab_encode_any_tokens(vocab, tokens):
    ids = vocab.encode(tokens)
    assert len(ids) == len(tokens)
    for t, i in zip(tokens, ids, strict=True):
        assert vocab.itos[i] == (t if t in vocab else UNK)


@FAST
@given(st.lists(st.integers(-(2**40), 2**40), max_size=10))
def test_vocab_decode_any_ids(vocab, ids):
    out = _decode_or_size_error(vocab.decode, ids, len(vocab), IndexError)
    if out is not None:
        assert out == [vocab.itos[i] for i in ids]


@FAST
@given(ANY_TEXT)
def test_vocab_encode_rejects_a_plain_str(vocab, text):
    with pytest.raises(TypeError, match="split it first"):
        vocab.encode(text)


@FAST
@given(st.lists(WORDS, max_size=5), st.integers(1, 3))
def test_vocab_build_any_sentences(sentences, min_count):
    v = Vocab.build(sentences, min_count=min_count)
    assert len(set(v.itos)) == len(v)
    assert v.decode(v.encode(v.itos)) == v.itos
    assert 0.0 <= v.coverage(sentences) <= 1.0


@FAST
@given(ANY_TEXT)
def test_split_words_keeps_only_non_space(text):
    pieces = split_words(text)
    assert all(p and not p.isspace() for p in pieces)
    assert sum(map(len, pieces)) <= len(text)


# ---------------------------------------------------------------- tokenviz
@FAST
@given(ANY_TEXT)
def test_visible_has_no_invisible_characters(text):
    import unicodedata

    shown = visible(text)
    assert all(unicodedata.category(c)[0] not in "CZ" for c in shown)


@FAST
@given(st.lists(ANY_TEXT, max_size=6), st.data())
def test_tokens_html_escapes_everything(pieces, data):
    ids = data.draw(st.lists(st.integers(0, 10**6), min_size=len(pieces),
                             max_size=len(pieces)))
    page = tokens_html(pieces, ids, label="<b>x</b>")
    # one label span, then three spans per token: no piece can open a tag of its own
    assert "<b>x</b>" not in page and page.count("<span") == 3 * len(pieces) + 1
    assert page.count("<") == page.count(">")
    for p, i in zip(pieces, ids, strict=True):
        assert f">{html.escape(visible(p))}</span>" in page and f">{i}</span>" in page


@FAST
@given(ANY_TEXT)
def test_compare_html_any_text(tok, text):
    page = compare_html(text, {"ours": bpe_pieces(tok)})
    assert page.startswith("<div>") and f"({len(tok.encode(text))})" in page


@FAST
@given(st.lists(ANY_TEXT, min_size=1, max_size=4), st.lists(st.integers(0, 9),
                                                            max_size=3))
def test_tokens_html_rejects_mismatched_lengths(pieces, ids):
    assume(len(pieces) != len(ids))
    with pytest.raises(ValueError, match=f"{len(pieces)} pieces but {len(ids)} ids"):
        tokens_html(pieces, ids)


# ---------------------------------------------------------------- lookups by word
TABLE_WORDS = ["king", "queen", "man", "woman", "car", "tree"]
TABLE = np.random.default_rng(0).normal(size=(len(TABLE_WORDS), 4))


@FAST
@given(ANY_TEXT)
def test_word_lookups_any_query(query):
    for fn in (most_similar, nearest_neighbours):
        try:
            out = fn(TABLE, TABLE_WORDS, query, k=3)
        except KeyError as e:
            assert query not in TABLE_WORDS
            assert str(len(TABLE_WORDS)) in str(e)
        else:
            assert query in TABLE_WORDS and len(out) == 3
            assert query not in [w for w, _ in out]


@FAST
@given(st.lists(ANY_TEXT, min_size=1, max_size=6, unique=True))
def test_similarity_spearman_any_words(words):
    vectors = np.random.default_rng(1).normal(size=(len(words), 3))
    rho, used, total = similarity_spearman(vectors, words, "wordsim353")
    assert used <= total and (np.isnan(rho) or -1 <= rho <= 1)
    with pytest.raises(ValueError, match="words for"):
        similarity_spearman(vectors[:-1], words)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "ü", "\ud800", " "]),
                         max_size=6), max_size=4))
def test_word2vec_any_small_corpus(sentences):
    cfg = Word2VecConfig(dim=4, epochs=1, min_count=1, batch_size=8, share_negatives=2,
                         progress=False)
    try:
        r = train_word2vec(sentences, cfg)
    except ValueError as e:
        assert "fewer than 2 words" in str(e)
        assert len({t for s in sentences for t in s}) < 2
    else:
        assert r.vectors.shape == (len(r.words), 4) and np.isfinite(r.vectors).all()


def test_word2vec_corpus_without_pairs():
    """A two-word corpus, where subsampling may leave no training pair in a pass:
    training returns finite vectors for both words instead of failing. (Which words
    survive subsampling is not asserted here: tests/test_word2vec.py checks the keep
    probabilities by hand.)"""
    cfg = Word2VecConfig(dim=4, epochs=1, min_count=1, batch_size=8,
                         share_negatives=2, progress=False)
    r = train_word2vec([["a", "b"]], cfg)
    assert r.words == ["a", "b"] and np.isfinite(r.vectors).all()


# ---------------------------------------------------------------- snapshot files
def test_snapshot_json_without_meta_is_snapshot_error(tmp_path, saved):
    (tmp_path / "snapshots.safetensors").write_bytes(saved["snapshots.safetensors"])
    (tmp_path / "snapshots.json").write_bytes(
        saved["snapshots.json"].replace(b'"meta"', b'"mEta"'))
    with pytest.raises(SnapshotError, match="snapshots.json"):
        load_snapshots(tmp_path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("snap")
    h = History(losses=[1.0, 0.5], snapshot_steps=[0, 1],
                snapshots=[np.zeros((3, 2)), np.ones((3, 2))], probe_values=[])
    save_snapshots(d, h, ["a", "b", "c"], {"seed": 0})
    return {p.name: p.read_bytes() for p in d.iterdir()}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["snapshots.safetensors", "snapshots.json"]), st.data())
def test_damaged_snapshot_gives_snapshot_error(tmp_path, saved, name, data):
    raw = bytearray(saved[name])
    cut = data.draw(st.integers(0, len(raw) - 1))
    if data.draw(st.booleans()):
        raw = raw[:cut]
    else:
        new = data.draw(st.integers(0, 255))
        assume(new != raw[cut])
        raw[cut] = new
    d = tmp_path / "run"
    d.mkdir(exist_ok=True)
    for n, b in saved.items():
        (d / n).write_bytes(bytes(raw) if n == name else b)
    try:
        snaps = load_snapshots(d)
    except SnapshotError as e:
        assert str(d) in str(e)
    else:  # only a change that leaves the JSON meaning intact may load (e.g. spacing)
        assert name == "snapshots.json" and snaps.words == ["a", "b", "c"]
