"""embedlab.export: our word2vec text writer gives gensim's bytes; the TSV files."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab.export import keyed_vectors, write_projector_tsv, write_word2vec_text

WORDS = ["the", "caf\u00e9", "[UNK]", "x", "na\u00efve", "z9"]


def _table(seed=0):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(len(WORDS), 7)) * np.logspace(-9, 4, 7)  # tiny to large
    v[0, 0], v[1, 1], v[2, 2] = -0.0, 0.1, 1 / 3  # values with long float64 expansions
    return v


def _gensim_file(path, words, vectors):
    """The file as gensim writes it: its own `save_word2vec_format` in the table's order."""
    kv = keyed_vectors(words, vectors, dtype=np.float32)
    for rank, w in enumerate(words):
        kv.set_vecattr(w, "count", len(words) - rank)
    kv.save_word2vec_format(str(path), binary=False)
    return path


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_word2vec_text_is_gensims_bytes(tmp_path, seed):
    v = _table(seed)
    ours = write_word2vec_text(tmp_path / "ours.txt", WORDS, v)
    theirs = _gensim_file(tmp_path / "gensim.txt", WORDS, v)
    assert ours.read_bytes() == theirs.read_bytes()


def test_word2vec_text_reads_back_in_gensim_as_float32(tmp_path):
    v = _table()
    kv = KeyedVectors.load_word2vec_format(str(write_word2vec_text(tmp_path / "v.txt", WORDS, v)))
    assert kv.index_to_key == WORDS
    np.testing.assert_array_equal(kv.vectors, v.astype(np.float32))


def test_a_repeated_word_keeps_its_first_row(tmp_path):
    v = _table()[:3]
    lines = write_word2vec_text(tmp_path / "v.txt", ["a", "b", "a"], v).read_text().splitlines()
    assert lines[0] == "2 7" and [ln.split()[0] for ln in lines[1:]] == ["a", "b"]
    assert np.array(lines[1].split()[1:], dtype=np.float32).tolist() == \
        v[0].astype(np.float32).tolist()


@pytest.mark.parametrize("words, shape, match", [
    (["a", "b c"], (2, 3), "whitespace"),
    (["a", ""], (2, 3), "empty"),
    (["a", "b"], (3, 3), "2 words for a table of shape"),
    (["a", "b"], (2,), "2 words for a table of shape"),
])
def test_bad_tables_are_refused_and_nothing_is_written(tmp_path, words, shape, match):
    path = tmp_path / "v.txt"
    with pytest.raises(ValueError, match=match):
        write_word2vec_text(path, words, np.zeros(shape))
    assert not path.exists()


def test_projector_tsv_rows_and_labels(tmp_path):
    v = _table()[:2, :3]
    vec, meta = write_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv", ["a", "b"], v,
                                    {"category": ["x", "y"]})
    rows = [r.split("\t") for r in vec.read_text().splitlines()]
    np.testing.assert_allclose(np.array(rows, dtype=float), v, rtol=1e-5)
    assert meta.read_text().splitlines() == ["word\tcategory", "a\tx", "b\ty"]
    _, meta = write_projector_tsv(tmp_path / "v.tsv", tmp_path / "m2.tsv", ["a", "b"], v)
    assert meta.read_text().splitlines() == ["a", "b"]  # one column: no header
