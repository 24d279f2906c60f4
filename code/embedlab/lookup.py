"""Ids become vectors: the lookup table and what it costs.

An embedding layer is a (V, D) matrix and a token id selects one of its rows. This module
shows that selecting a row is the same as multiplying a one-hot vector by the matrix
(`lookup_by_matmul` vs `lookup_by_index`), times both, and counts what a table costs
(reading the real MiniLM table's shape from its safetensors header, through
`safetensors.safe_open`, without loading the tensor).

What it deliberately does not do: draw the table's starting values (`embedlab.initialization`),
train anything, or plot (figures are drawn in the chapters).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

# Bytes per element of the safetensors dtype names we may meet.
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1}


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
    """Shape, dtype and byte size of one tensor, read from the file's header only.

    A safetensors file starts with a small JSON header that maps each tensor's name to its
    dtype, shape and byte offsets; `safe_open` reads it and touches no tensor data.
    """
    from safetensors import safe_open

    path = Path(path)
    with safe_open(str(path), framework="pt") as f:
        if key not in f.keys():  # safe_open is not a dict: `in f` does not work
            raise KeyError(f"{path.name} has no tensor {key!r}")
        sl = f.get_slice(key)
        shape, dtype = tuple(sl.get_shape()), sl.get_dtype()
    return {"shape": shape, "dtype": dtype,
            "nbytes": math.prod(shape) * _DTYPE_BYTES[dtype],
            "file_bytes": path.stat().st_size, "bytes_per_value": _DTYPE_BYTES[dtype]}


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
