"""Ids become vectors: the lookup table, its cost, its initializers, its random geometry.

An embedding layer is a (V, D) matrix and a token id selects one of its rows. This module
shows that selecting a row is the same as multiplying a one-hot vector by the matrix
(`lookup_by_matmul` vs `lookup_by_index`), times both, counts what a table costs (reading the
real MiniLM table's shape from its safetensors header without loading the tensor), draws
tables with the usual initialization schemes, and measures the geometry of random tables
(cosines of random pairs concentrate around 0 with spread about 1/sqrt(D)). It also runs the
"symmetric start" experiment: rows that start equal stay equal under training.

What it deliberately does not do: train anything large, or plot (figures are drawn in the
chapters and in `embedlab.initwidget`).
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

# Bytes per element of the safetensors dtype names we may meet.
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1}

# The initialization schemes the book compares; see `init_table`.
INIT_SCHEMES = ("normal", "normal-0.02", "xavier-normal", "xavier-uniform", "uniform")


def one_hot(ids: torch.Tensor, vocab_size: int, dtype=torch.float32) -> torch.Tensor:
    """One-hot rows for integer ids of any shape: (...,) -> (..., V)."""
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"ids must be an integer tensor, got {ids.dtype}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise IndexError(f"ids must lie in [0, {vocab_size}), got {ids.min()}..{ids.max()}")
    return torch.nn.functional.one_hot(ids.long(), vocab_size).to(dtype)


def lookup_by_matmul(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """one_hot(ids) @ table: (..., V) @ (V, D) -> (..., D). The textbook definition."""
    return one_hot(ids, table.shape[0], table.dtype) @ table


def lookup_by_index(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """table[ids]: pick rows, (...,) -> (..., D). What frameworks actually do."""
    return table[ids]


@dataclass
class TableCost:
    vocab_size: int  # rows V
    dim: int  # columns D
    bytes_per_value: int = 4  # float32

    @property
    def params(self) -> int:
        return self.vocab_size * self.dim

    @property
    def bytes(self) -> int:
        return self.params * self.bytes_per_value

    @property
    def mib(self) -> float:
        return self.bytes / 2**20


def safetensors_info(path: str | Path, key: str) -> dict:
    """Shape, dtype and byte size of one tensor, read from the file's JSON header only.

    A safetensors file starts with 8 bytes (little-endian u64: header length) and a JSON
    header mapping names to dtype, shape and byte offsets; the data is never touched.
    """
    path = Path(path)
    with path.open("rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    if key not in header:
        raise KeyError(f"{path.name} has no tensor {key!r}")
    entry = header[key]
    start, end = entry["data_offsets"]
    return {"shape": tuple(entry["shape"]), "dtype": entry["dtype"],
            "nbytes": end - start, "file_bytes": path.stat().st_size,
            "bytes_per_value": _DTYPE_BYTES[entry["dtype"]]}


def minilm_table_info() -> dict:
    """`safetensors_info` of the real MiniLM input embedding table."""
    from .pretrained import MINILM_TABLE_KEY, minilm_dir

    return safetensors_info(minilm_dir() / "model.safetensors", MINILM_TABLE_KEY)


def minilm_rows(ids) -> torch.Tensor:
    """Only the requested rows of the MiniLM table, (len(ids), 384), via a lazy slice."""
    from safetensors import safe_open

    from .pretrained import MINILM_TABLE_KEY, minilm_dir

    with safe_open(str(minilm_dir() / "model.safetensors"), framework="pt") as f:
        sl = f.get_slice(MINILM_TABLE_KEY)
        return torch.cat([sl[int(i) : int(i) + 1] for i in ids]).float()


def time_lookups(vocab_size: int, dim: int, n_ids: int = 4096, repeats: int = 5,
                 seed: int = 0) -> dict[str, float]:
    """Best-of-`repeats` seconds for indexing vs one-hot matmul on the same ids and table."""
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(vocab_size, dim, generator=g)
    ids = torch.randint(vocab_size, (n_ids,), generator=g)
    out = {}
    for name, fn in (("index", lookup_by_index), ("matmul", lookup_by_matmul)):
        fn(ids[:8], table)  # warm-up: the first call pays one-off dispatch costs
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(ids, table)
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    return out


def _fans(vocab_size: int, dim: int) -> tuple[int, int]:
    # torch treats a (V, D) weight as (fan_out=V, fan_in=D).
    return dim, vocab_size


def init_table(vocab_size: int, dim: int, scheme: str = "normal", seed: int = 0,
               std: float = 0.02, bound: float = 0.1) -> torch.Tensor:
    """A (V, D) table drawn with a named scheme and a seeded generator.

    normal         N(0, 1), `nn.Embedding`'s default
    normal-0.02    N(0, std^2), BERT- and GPT-2-style (std = 0.02)
    xavier-normal  N(0, 2 / (V + D))
    xavier-uniform U(-a, a) with a = sqrt(6 / (V + D))
    uniform        U(-bound, bound)
    """
    g = torch.Generator().manual_seed(seed)
    w = torch.empty(vocab_size, dim)
    fan_in, fan_out = _fans(vocab_size, dim)
    if scheme == "normal":
        return w.normal_(0.0, 1.0, generator=g)
    if scheme == "normal-0.02":
        return w.normal_(0.0, std, generator=g)
    if scheme == "xavier-normal":
        return w.normal_(0.0, (2.0 / (fan_in + fan_out)) ** 0.5, generator=g)
    if scheme == "xavier-uniform":
        a = (6.0 / (fan_in + fan_out)) ** 0.5
        return w.uniform_(-a, a, generator=g)
    if scheme == "uniform":
        return w.uniform_(-bound, bound, generator=g)
    raise ValueError(f"unknown scheme {scheme!r}: use one of {', '.join(INIT_SCHEMES)}")


def pair_cosines(table) -> np.ndarray:
    """Cosine similarity of every distinct pair of rows (upper triangle), flattened."""
    t = torch.as_tensor(table, dtype=torch.float64)
    u = t / t.norm(dim=1, keepdim=True).clamp_min(1e-300)
    c = (u @ u.T).numpy()  # (V, V)
    return c[np.triu_indices(len(c), k=1)]


def random_cosines(dim: int, n_rows: int = 200, scheme: str = "normal",
                   seed: int = 0) -> np.ndarray:
    """Pair cosines of a freshly drawn (n_rows, dim) table."""
    return pair_cosines(init_table(n_rows, dim, scheme, seed))


def cosine_spread(dims, n_rows: int = 200, scheme: str = "normal",
                  seed: int = 0) -> dict[int, tuple[float, float]]:
    """For each dimension: (mean, std) of random pair cosines."""
    out = {}
    for d in dims:
        c = random_cosines(int(d), n_rows, scheme, seed)
        out[int(d)] = (float(c.mean()), float(c.std()))
    return out


@dataclass
class SymmetryResult:
    losses: list[float]  # training loss per step
    distinct_rows_before: int  # distinct rows among the tracked ids, before training
    distinct_rows_after: int  # the same, after training
    max_row_gap: float  # largest distance between two tracked rows after training


def symmetric_start(vocab_size: int = 12, dim: int = 8, steps: int = 100,
                    table: str = "constant", output: str = "constant", seed: int = 0,
                    lr: float = 0.5, constant: float = 0.1) -> SymmetryResult:
    """Train embedding -> linear -> softmax to predict (i + 1) % V from the id i.

    Every row *should* become different. `table` and `output` are "constant" (every value
    equal to `constant`) or "random". With both constant, every row gets the same gradient
    (here: none at all) and the rows never separate; a random output layer sends different
    gradients to different rows, which breaks the tie.
    """
    from .gradients import TinyModel

    for name, v in (("table", table), ("output", output)):
        if v not in ("constant", "random"):
            raise ValueError(f"{name} must be 'constant' or 'random', got {v!r}")
    model = TinyModel(vocab_size, dim, seed=seed)  # random table and output layer
    with torch.no_grad():
        if table == "constant":
            model.embedding.weight.fill_(constant)
        if output == "constant":
            model.weight.fill_(constant)
    ids = torch.arange(vocab_size)
    targets = (ids + 1) % vocab_size
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    before = torch.unique(model.embedding.weight.detach(), dim=0).shape[0]
    losses = []
    for _ in range(steps):
        loss = model.loss(ids, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    w = model.embedding.weight.detach()
    return SymmetryResult(losses, before, torch.unique(w, dim=0).shape[0],
                          float(torch.cdist(w, w).max()))
