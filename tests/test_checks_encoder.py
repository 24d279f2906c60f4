"""embedlab.checks.encoder: right answers pass; each typical wrong answer gets its hint."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from embedlab.checks import CheckError
from embedlab.checks.encoder import (
    check_copied_rows,
    check_drift,
    check_layer1_input,
    check_neighbours,
    check_offset_rotation,
    check_procrustes,
    check_row_norms,
    check_sinusoidal,
    check_temperature_probs,
    check_tied_gradient,
    check_tied_saving,
)
from embedlab.encoder import (
    EncoderConfig,
    TinyEncoder,
    offset_rotation,
    sinusoidal_positions,
)
from embedlab.transfer import fit_least_squares, fit_procrustes


def _hint(fn, *args) -> str:
    with pytest.raises(CheckError) as info:
        fn(*args)
    return str(info.value)


@pytest.fixture(scope="module")
def model_and_ids():
    torch.manual_seed(0)
    cfg = EncoderConfig(vocab_size=20, dim=8, max_len=6, n_heads=2, ff_dim=16)
    m = TinyEncoder(cfg).eval()
    with torch.no_grad():  # non-trivial LayerNorm parameters
        m.input.norm.weight.uniform_(0.5, 1.5)
    ids = torch.randint(5, 20, (3, 6), generator=torch.Generator().manual_seed(1))
    return m, ids


def test_layer1_input_right_and_slips(model_and_ids):
    m, ids = model_and_ids  # BERT's recipe: LayerNorm(rows + positions)
    rows, pos, norm = m.embedding(ids), m.input.position[:6], m.input.norm
    with torch.no_grad():
        right = norm(rows + pos)
        assert check_layer1_input(right, m, ids).startswith("Correct")
        assert "not multiplied by sqrt(D)" in _hint(
            check_layer1_input, norm(math.sqrt(8) * rows + pos), m, ids
        )
        assert "positions are missing" in _hint(check_layer1_input, norm(rows), m, ids)
        assert "LayerNorm" in _hint(check_layer1_input, rows + pos, m, ids)
        assert "scaled the positions" in _hint(
            check_layer1_input, norm(math.sqrt(8) * (rows + pos)), m, ids
        )
        assert "shape" in _hint(check_layer1_input, right[0], m, ids)


def test_layer1_input_transformer_recipe():
    torch.manual_seed(0)
    cfg = EncoderConfig(
        vocab_size=20,
        dim=8,
        max_len=6,
        n_heads=2,
        ff_dim=16,
        positions="sinusoidal",
        scale=True,
        layer_norm=False,
    )
    m = TinyEncoder(cfg).eval()
    ids = torch.randint(5, 20, (3, 6), generator=torch.Generator().manual_seed(1))
    rows, pos = m.embedding(ids).detach(), sinusoidal_positions(6, 8)
    right = math.sqrt(8) * rows + pos
    assert check_layer1_input(right, m, ids).startswith("Correct")
    assert "forgot to multiply" in _hint(check_layer1_input, rows + pos, m, ids)
    assert "no input LayerNorm" in _hint(
        check_layer1_input, torch.nn.functional.layer_norm(right, (8,)), m, ids
    )


def test_offset_rotation_right_and_slips():
    r = offset_rotation(3, 8)
    assert check_offset_rotation(r, 3, 8).startswith("Correct")
    assert "transposed" in _hint(check_offset_rotation, r.T, 3, 8)
    assert "one place on" in _hint(check_offset_rotation, offset_rotation(1, 8), 3, 8)
    assert "shape" in _hint(check_offset_rotation, r[:4], 3, 8)
    wrong = r.clone()
    wrong[0::2, 0::2], wrong[0::2, 1::2] = r[0::2, 1::2], r[0::2, 0::2]  # cos<->sin
    assert "turn by the angle" in _hint(check_offset_rotation, wrong, 3, 8)


def test_temperature_probs_right_and_slips():
    z = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    right = torch.softmax(z / 0.5, -1)
    assert check_temperature_probs(right, z, 0.5).startswith("Correct")
    assert "do not multiply" in _hint(
        check_temperature_probs, torch.softmax(z * 0.5, -1), z, 0.5
    )
    assert "temperature is missing" in _hint(
        check_temperature_probs, torch.softmax(z, -1), z, 0.5
    )
    assert "sum to 1" in _hint(check_temperature_probs, torch.exp(z / 0.5), z, 0.5)


def test_sinusoidal_right_and_slips():
    right = sinusoidal_positions(10, 6).numpy()
    assert check_sinusoidal(right, 10, 6).startswith("Correct")
    assert "transposed" in _hint(check_sinusoidal, right.T, 10, 6)
    swapped = right.copy()
    swapped[:, 0::2], swapped[:, 1::2] = right[:, 1::2], right[:, 0::2]
    assert "swapped" in _hint(check_sinusoidal, swapped, 10, 6)
    p, i = np.arange(10)[:, None], np.arange(3)
    wrong = np.zeros((10, 6))
    wrong[:, 0::2], wrong[:, 1::2] = (
        np.sin(p / 10000 ** (i / 6)),
        np.cos(p / 10000 ** (i / 6)),
    )
    assert "2i/D" in _hint(check_sinusoidal, wrong, 10, 6)


def test_tied_saving():
    assert check_tied_saving(30522 * 384, 30522, 384).startswith("Correct")
    assert "not two" in _hint(check_tied_saving, 2 * 30522 * 384, 30522, 384)
    assert "bias" in _hint(check_tied_saving, 30522 * 385, 30522, 384)


def test_tied_gradient():
    g = np.random.default_rng(0)
    g_in, g_out = g.normal(size=(5, 3)), g.normal(size=(5, 3))
    assert check_tied_gradient(g_in + g_out, g_in, g_out).startswith("Correct")
    assert "only the input side" in _hint(check_tied_gradient, g_in, g_in, g_out)
    assert "only the output side" in _hint(check_tied_gradient, g_out, g_in, g_out)
    assert "do not average" in _hint(
        check_tied_gradient, (g_in + g_out) / 2, g_in, g_out
    )


def test_neighbours():
    # Hand-built table: "b" is the closest direction to "a"; "long" has the largest dot
    # product with "a" but a worse angle.
    tokens = ["a", "b", "c", "long"]
    table = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [5.0, 5.0]])
    assert check_neighbours(["b", "long"], table, tokens, "a", k=2).startswith(
        "Correct"
    )
    assert "itself" in _hint(check_neighbours, ["a", "b"], table, tokens, "a", 2)
    assert "dot product" in _hint(
        check_neighbours, ["long", "b"], table, tokens, "a", 2
    )
    assert "ids" in _hint(check_neighbours, [1, 3], table, tokens, "a", 2)
    assert "1 of your" in _hint(check_neighbours, ["b", "c"], table, tokens, "a", 2)


def test_neighbours_order_hint():
    tokens = ["q", "x", "y"]
    table = np.array([[1.0, 0.0], [1.0, 0.2], [1.0, 0.5]])
    assert "wrong order" in _hint(check_neighbours, ["y", "x"], table, tokens, "q", 2)


def test_procrustes():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    w = fit_procrustes(x, y)
    assert check_procrustes(w, x, y).startswith("Correct")
    assert "transposed" in _hint(check_procrustes, w.T, x, y)
    assert "least-squares" in _hint(check_procrustes, fit_least_squares(x, y), x, y)
    assert "not orthogonal" in _hint(check_procrustes, 2 * w, x, y)
    assert "shape" in _hint(check_procrustes, w[:3], x, y)


def test_drift():
    rng = np.random.default_rng(0)
    b, a = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    right = np.linalg.norm(a - b, axis=1)
    assert check_drift(right, b, a).startswith("Correct")
    assert "square root" in _hint(check_drift, right**2, b, a)
    assert "per row" in _hint(check_drift, np.linalg.norm(a - b, axis=0), b, a)
    change = np.linalg.norm(a, axis=1) - np.linalg.norm(b, axis=1)
    assert "change of length" in _hint(check_drift, change, b, a)


def test_copied_rows():
    old = np.arange(12.0).reshape(4, 3)
    old_tokens = ["[PAD]", "cat", "dog", "the"]
    new_tokens = ["[PAD]", "the", "unicorn", "cat"]
    right = np.stack([old[0], old[3], [0.3, -0.2, 0.1], old[1]])
    assert check_copied_rows(right, old, old_tokens, new_tokens).startswith("Correct")
    by_position = np.stack([old[0], old[1], [0.3, -0.2, 0.1], old[3]])
    assert "by token" in _hint(
        check_copied_rows, by_position, old, old_tokens, new_tokens
    )
    zeros = right.copy()
    zeros[2] = 0
    assert "zeros" in _hint(check_copied_rows, zeros, old, old_tokens, new_tokens)
    assert "shape" in _hint(check_copied_rows, right[:3], old, old_tokens, new_tokens)


def test_row_norms():
    t = np.random.default_rng(0).normal(size=(7, 3))
    right = np.linalg.norm(t, axis=1)
    assert check_row_norms(right, t).startswith("Correct")
    assert "axis 1" in _hint(check_row_norms, np.linalg.norm(t, axis=0), t)
    assert "square root" in _hint(check_row_norms, right**2, t)
    assert "L1" in _hint(check_row_norms, np.abs(t).sum(axis=1), t)
