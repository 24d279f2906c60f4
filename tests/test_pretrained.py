"""embedlab.pretrained: the MiniLM table and tokenizer, loaded offline, checked against
independent readings of the same files (raw safetensors header, tokenizer.json vocab)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from embedlab.pretrained import (
    MINILM_TABLE_KEY,
    minilm_dir,
    minilm_itos,
    minilm_table,
    minilm_tensor_shapes,
    minilm_tokenizer,
    wordpiece_counts,
)


@pytest.fixture(scope="module")
def table():
    return minilm_table()


def _raw_header() -> dict:
    """The safetensors header read by hand: 8-byte little-endian length, then JSON."""
    with open(minilm_dir() / "model.safetensors", "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def test_table_shape_and_header_agree(table):
    header = _raw_header()
    assert (
        tuple(header[MINILM_TABLE_KEY]["shape"]) == (30522, 384) == tuple(table.shape)
    )
    assert table.dtype == torch.float32
    shapes = minilm_tensor_shapes()
    assert set(shapes) == set(header) - {"__metadata__"}
    assert all(tuple(header[k]["shape"]) == v for k, v in shapes.items())


def test_first_row_matches_raw_bytes(table):
    header = _raw_header()
    entry = header[MINILM_TABLE_KEY]
    assert entry["dtype"] == "F32"
    start, _ = entry["data_offsets"]
    with open(minilm_dir() / "model.safetensors", "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        f.seek(8 + n + start + 5 * 384 * 4)  # row 5
        row5 = np.frombuffer(f.read(384 * 4), dtype="<f4")
    assert np.array_equal(row5, table[5].numpy())


def test_itos_matches_tokenizer_json():
    raw = json.loads((minilm_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = raw["model"]["vocab"]
    itos = minilm_itos()
    assert len(itos) == len(vocab) == 30522
    assert all(itos[i] == t for t, i in vocab.items())
    assert itos[101] == "[CLS]" and itos[102] == "[SEP]" and itos[0] == "[PAD]"


def test_tokenizer_no_padding_or_truncation():
    tok = minilm_tokenizer()
    short = tok.encode("hi")
    assert short.tokens == ["[CLS]", "hi", "[SEP]"]  # not padded to a fixed length
    long = tok.encode("word " * 1000)
    assert len(long.ids) == 1002  # not truncated at 128 or 512
    assert tok.encode("tokenization", add_special_tokens=False).tokens == [
        "token",
        "##ization",
    ]


def test_nearest_neighbours_of_the_minilm_table_against_brute_force(table):
    # the toy tables' neighbour search serves the 30522-row table too
    from embedlab.probes import nearest_neighbours

    itos = minilm_itos()
    got = nearest_neighbours(table, itos, "dog", k=5)
    t = table.double()
    i = itos.index("dog")
    cos = (t @ t[i]) / (t.norm(dim=1) * t[i].norm())  # (V,), float64 reference
    cos[i] = -2.0
    order = torch.argsort(cos, descending=True)[:5].tolist()
    assert [w for w, _ in got] == [itos[j] for j in order]
    assert [s for _, s in got] == pytest.approx(cos[order].tolist(), abs=1e-5)
    with pytest.raises(KeyError):
        nearest_neighbours(table, itos, "notatoken-xyz")


def test_wordpiece_counts_against_manual_count():
    tok = minilm_tokenizer()
    texts = ["the cat sat", "the tokenization", "cat cat"]
    counts = wordpiece_counts(texts, tok)
    assert counts.shape == (30522,)
    v = tok.get_vocab()
    assert counts[v["the"]] == 2 and counts[v["cat"]] == 3
    assert counts[v["##ization"]] == 1
    assert counts[v["[CLS]"]] == 0 and counts.sum() == 8
