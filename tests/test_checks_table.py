"""The exercise checks of the table chapters accept right answers and give the specific
hint for each typical wrong answer."""

import math

import pytest
import torch
from torch.nn import functional as F

from embedlab.checks import CheckError
from embedlab.checks import table as C
from embedlab.gradients import manual_grads, tiny_params


def _hint(fn, *args, **kw) -> str:
    with pytest.raises(CheckError) as e:
        fn(*args, **kw)
    return str(e.value)


def test_batch_shape():
    assert C.check_batch_shape((4, 7, 16), (4, 7), (62, 16)).startswith("Correct")
    assert "table's shape" in _hint(C.check_batch_shape, (62, 16), (4, 7), (62, 16))
    assert "one-hot" in _hint(C.check_batch_shape, (4, 7, 62), (4, 7), (62, 16))
    assert "swapped" in _hint(C.check_batch_shape, (4, 16, 7), (4, 7), (62, 16))
    assert "went missing" in _hint(C.check_batch_shape, (4, 16), (4, 7), (62, 16))


def test_table_bytes():
    assert C.check_table_bytes(50257 * 768 * 2, 50257, 768, 2).startswith("Correct")
    assert "number of parameters" in _hint(C.check_table_bytes, 50257 * 768, 50257, 768, 2)
    assert "bits" in _hint(C.check_table_bytes, 50257 * 768 * 16, 50257, 768, 2)
    assert "4 bytes" in _hint(C.check_table_bytes, 50257 * 768 * 4, 50257, 768, 2)
    assert "MiB" in _hint(C.check_table_bytes, 50257 * 768 * 2 / 2**20, 50257, 768, 2)


def test_lookup_fn():
    def right(ids, table):
        return F.one_hot(ids, table.shape[0]).to(table.dtype) @ table

    assert C.check_lookup_fn(right).startswith("Correct")
    assert C.check_lookup_fn(  # the natural float32 cast
        lambda i, t: F.one_hot(i, t.shape[0]).float() @ t).startswith("Correct")
    assert "directly" in _hint(C.check_lookup_fn, lambda i, t: t[i])  # forbidden
    assert "one-hot vectors" in _hint(
        C.check_lookup_fn, lambda i, t: F.one_hot(i, t.shape[0]).to(t.dtype))
    assert "columns" in _hint(C.check_lookup_fn, lambda i, t: t.T[i])
    assert "detach" in _hint(C.check_lookup_fn, lambda i, t: t.detach()[i])
    assert "tensor" in _hint(C.check_lookup_fn, lambda i, t: right(i, t).tolist())


def test_cosine_spread():
    assert C.check_cosine_spread(1 / math.sqrt(384), 384).startswith("Correct")
    assert "variance" in _hint(C.check_cosine_spread, 1 / 384, 384)
    assert "shrinks" in _hint(C.check_cosine_spread, math.sqrt(384), 384)
    assert "mean" in _hint(C.check_cosine_spread, 0.0, 384)


def test_init_std():
    g = torch.Generator().manual_seed(0)
    good = torch.randn(1000, 64, generator=g) * 0.02
    assert C.check_init_std(good, 0.02, shape=(1000, 64)).startswith("Correct")
    emb = torch.nn.Embedding(1000, 64)
    assert "default" in _hint(C.check_init_std, emb, 0.02)
    assert "variance" in _hint(C.check_init_std, good / 0.02 * math.sqrt(0.02), 0.02)
    assert "Shape" in _hint(C.check_init_std, good, 0.02, shape=(64, 1000))
    assert "mean" in _hint(C.check_init_std, good + 0.01, 0.02)


def test_pair_cosines():
    def right(t):
        u = t / t.norm(dim=1, keepdim=True)
        i, j = torch.triu_indices(len(t), len(t), offset=1)
        return (u @ u.T)[i, j]

    def dots(t):
        i, j = torch.triu_indices(len(t), len(t), offset=1)
        return (t @ t.T)[i, j]

    def full(t):
        u = t / t.norm(dim=1, keepdim=True)
        return u @ u.T

    def with_diag(t):
        u = t / t.norm(dim=1, keepdim=True)
        i, j = torch.triu_indices(len(t), len(t))
        return (u @ u.T)[i, j]

    assert C.check_pair_cosines(right).startswith("Correct")
    assert "dot products" in _hint(C.check_pair_cosines, dots)
    assert "whole matrix" in _hint(C.check_pair_cosines, full)
    assert "diagonal" in _hint(C.check_pair_cosines, with_diag)


def test_row_grad():
    ids = torch.tensor([[3, 1, 3]])
    up = torch.arange(9.0).reshape(3, 3)
    assert C.check_row_grad(up[0] + up[2], ids, up, row=3).startswith("Correct")
    assert "occurs 2 times" in _hint(C.check_row_grad, up[2], ids, up, row=3)
    assert "mean" in _hint(C.check_row_grad, (up[0] + up[2]) / 2, ids, up, row=3)
    assert "sign" in _hint(C.check_row_grad, -(up[0] + up[2]), ids, up, row=3)
    assert "not in the batch" in _hint(C.check_row_grad, up[0], ids, up, row=7)
    assert C.check_row_grad(torch.zeros(3), ids, up, row=7).startswith("Correct")


def test_changed_rows():
    batch = torch.tensor([[4, 4, 17], [0, 9, 4]])
    assert C.check_changed_rows([0, 4, 9, 17], batch, 20).startswith("Correct")
    assert "positions" in _hint(C.check_changed_rows, [0, 1, 2, 3, 4, 5], batch, 20)
    assert "not in the batch" in _hint(C.check_changed_rows, [0, 4, 9, 17, 3], batch, 20)
    hint = _hint(C.check_changed_rows, [0, 4, 9], batch, 20)
    assert "1 of the rows in the batch are missing" in hint and "17" not in hint


def test_table_grad():
    def right(p, ids, y):
        return manual_grads(p, ids, y)["table"]

    def overwrite(p, ids, y):
        g = manual_grads(p, ids, y)
        out = torch.zeros_like(p["table"])
        out[ids.flatten()] = g["upstream"]  # keeps one position per repeated id
        return out

    def no_mean(p, ids, y):
        return right(p, ids, y) * ids.numel()

    assert C.check_table_grad(right).startswith("Correct")
    assert "sign" in _hint(C.check_table_grad, lambda p, i, y: -right(p, i, y))
    assert "factor N" in _hint(C.check_table_grad, no_mean)
    assert "accumulate" in _hint(C.check_table_grad, overwrite)
    assert "shape" in _hint(C.check_table_grad, lambda p, i, y: right(p, i, y).T)
    assert tiny_params(6, 3)["table"].shape == (6, 3)
