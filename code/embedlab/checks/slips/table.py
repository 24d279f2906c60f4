"""Slips for the lookup table, initialization and gradients (checks.table); see
`embedlab.checks.slips`."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from .base import Slip


# ------------------------------------------------------------------ table
def _table_grad(how: str):
    def fn(params, ids, targets):
        from ...gradients import manual_grads

        g = manual_grads(params, ids, targets)
        n = ids.numel()
        if how == "overwrite":  # the last occurrence of a token wins
            out = torch.zeros_like(params["table"])
            out[ids.flatten()] = g["upstream"]
            return out
        if how == "sum":  # the upstream of a summed, not averaged, loss
            return g["table"] * n
        if how == "all rows":  # every row gets the batch's mean upstream
            return g["table"] + g["upstream"].mean(0)
        return -g["table"]
    return fn


def _pairs(kind: str):
    def fn(t):
        t = torch.as_tensor(t, dtype=torch.float64)
        u = F.normalize(t, dim=1) if kind != "dots" else t
        full = u @ u.T
        n = len(t)
        if kind == "full":
            return full.flatten()
        if kind == "diag":
            i = torch.triu_indices(n, n)
            return full[i[0], i[1]]
        if kind == "both":
            return full[~torch.eye(n, dtype=bool)]
        i = torch.triu_indices(n, n, offset=1)
        return full[i[0], i[1]]
    return fn


TABLE = {
    "table.check_batch_shape": [
        Slip("the table's shape", lambda ids, tab: tuple(tab), "table's shape"),
        Slip("the one-hot shape", lambda ids, tab: (*ids, tab[0]), "one-hot shape"),
        Slip("T and D swapped", lambda ids, tab: (ids[0], tab[1], ids[1]), "swapped"),
        Slip("the batch axis dropped", lambda ids, tab: (ids[1], tab[1]), "went missing"),
        Slip("B and T flattened", lambda ids, tab: (ids[0] * ids[1], tab[1]),
             "flattened"),
    ],
    "table.check_table_bytes": [
        Slip("parameters, not bytes", lambda v, d, b: v * d, "number of parameters"),
        Slip("bits, not bytes", lambda v, d, b: v * d * b * 8, "bits"),
        Slip("float32's 4 bytes for 2-byte values", lambda v, d, b: v * d * (4 if b != 4
                                                                            else 2),
             "bytes per value"),
        Slip("MiB, not bytes", lambda v, d, b: v * d * b / 2**20, "MiB"),
    ],
    "table.check_lookup_fn": [
        Slip("indexing the table", lambda: lambda ids, t: t[ids], "looked the rows up"),
        Slip("F.embedding", lambda: lambda ids, t: F.embedding(ids, t),
             "looked the rows up"),
        Slip("index_select", lambda: lambda ids, t: t.index_select(
            0, ids.flatten()).view(*ids.shape, -1), "looked the rows up"),
        Slip("an integer one-hot", lambda: lambda ids, t: F.one_hot(ids, t.shape[0]) @ t,
             "different dtypes"),
        Slip("a float64 one-hot", lambda: lambda ids, t: F.one_hot(
            ids, t.shape[0]).double() @ t, "different dtypes"),
        Slip("the one-hot vectors, not multiplied", lambda: lambda ids, t: F.one_hot(
            ids, t.shape[0]).to(t.dtype), "one-hot vectors"),
        Slip("columns, not rows", lambda: lambda ids, t: F.one_hot(
            ids, t.shape[1]).to(t.dtype) @ t.T, "columns"),
        Slip("detached table", lambda: lambda ids, t: F.one_hot(
            ids, t.shape[0]).to(t.dtype) @ t.detach(), "detach"),
        Slip("a list, not a tensor", lambda: lambda ids, t: (F.one_hot(
            ids, t.shape[0]).to(t.dtype) @ t).tolist(), "tensor"),
    ],
    "table.check_cosine_spread": [
        Slip("the variance 1/d", lambda d: 1 / d, "variance"),
        Slip("sqrt(d)", lambda d: math.sqrt(d), "shrinks"),
        Slip("the mean, 0", lambda d: 0.0, "mean of the cosines"),
        Slip("a percentage", lambda d: 100 / math.sqrt(d), "percentage"),
        Slip("negative", lambda d: -1 / math.sqrt(d), "never negative"),
        Slip("twice the spread", lambda d: 2 / math.sqrt(d), "too large"),
        Slip("all the cosines, not their spread", lambda d: np.random.default_rng(
            0).normal(0, d**-0.5, 100), "one number"),
    ],
    "table.check_init_std": [
        Slip("nn.Embedding's default std 1", lambda std, shape: torch.randn(
            *shape, generator=torch.Generator().manual_seed(0)), "default"),
        Slip("the variance passed as std", lambda std, shape: std**2 * torch.randn(
            *shape, generator=torch.Generator().manual_seed(0)), "variance"),
        Slip("sqrt of the std", lambda std, shape: std**0.5 * torch.randn(
            *shape, generator=torch.Generator().manual_seed(0)), "variance"),
        Slip("uniform(-std, std)", lambda std, shape: std * (2 * torch.rand(
            *shape, generator=torch.Generator().manual_seed(0)) - 1), "uniform"),
        Slip("transposed (D, V)", lambda std, shape: std * torch.randn(
            *shape[::-1], generator=torch.Generator().manual_seed(0)), "shape"),
        Slip("centred on std", lambda std, shape: std + std * torch.randn(
            *shape, generator=torch.Generator().manual_seed(0)), "centred on 0"),
    ],
    "table.check_pair_cosines": [
        Slip("the whole matrix", lambda: _pairs("full"), "whole matrix"),
        Slip("the diagonal kept", lambda: _pairs("diag"), "diagonal"),
        Slip("both triangles", lambda: _pairs("both"), "twice"),
        Slip("dot products", lambda: _pairs("dots"), "dot products"),
    ],
    "table.check_row_grad": [
        Slip("one position's gradient", lambda ids, up, row: torch.as_tensor(up)[
            int((torch.as_tensor(ids).flatten() == row).nonzero()[0])], "one position"),
        Slip("the mean over positions", lambda ids, up, row: torch.as_tensor(up)[
            torch.as_tensor(ids).flatten() == row].mean(0), "mean"),
        Slip("the update direction", lambda ids, up, row: -torch.as_tensor(up)[
            torch.as_tensor(ids).flatten() == row].sum(0), "sign is flipped"),
        Slip("every position's gradient", lambda ids, up, row: torch.as_tensor(up),
             "shape"),
    ],
    "table.check_changed_rows": [
        Slip("positions, not ids", lambda ids, v: list(range(torch.as_tensor(
            ids).numel())), "positions"),
        Slip("every row", lambda ids, v: list(range(v)), "not in the batch"),
        Slip("only the first row of the batch", lambda ids, v: sorted(set(
            torch.as_tensor(ids)[0].tolist())), "rows in the batch are missing"),
    ],
    "table.check_table_grad": [
        Slip("the sign flipped", lambda: _table_grad("sign"), "sign is flipped"),
        Slip("a sum, not a mean", lambda: _table_grad("sum"), "factor N"),
        Slip("overwritten, not accumulated", lambda: _table_grad("overwrite"),
             "accumulate"),
        Slip("rows outside the batch changed", lambda: _table_grad("all rows"),
             "not in the batch"),
    ],
}
