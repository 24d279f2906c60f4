"""Auto-checks for the exercises of "Training a bigger table" (several processes).

- `check_shard(fn)`: a learner's `shard(batch, rank, world)` must split a global batch into
  `world` disjoint pieces of equal size that together are the whole batch, with hints for
  every rank getting the same rows, rows dropped or repeated, and unequal pieces.
- `check_allreduce_bytes(answer, rows, dim, world, bytes_per_number)`: what a ring
  all-reduce sends per process per step, 2 (N-1)/N times the gradient's bytes, with hints
  for the forgotten factor 2, the forgotten (N-1)/N, bits instead of bytes.
- `check_amdahl(answer, parallel, world)`: Amdahl's bound 1 / ((1-p) + p/N), with hints for
  the linear N, p * N, and the serial part forgotten.

What it deliberately does not do: print, or reveal the expected value in a hint.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from . import CheckError, as_array, passed


def _number(answer) -> float:
    a = as_array(answer)
    if a.ndim != 0:
        raise CheckError(f"answer should be one number, got an array of shape {a.shape}")
    return float(a)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6)


def check_shard(fn: Callable) -> str:
    """`fn(batch, rank, world)` -> the rows of `batch` rank `rank` computes on."""
    for size, world in ((12, 2), (12, 3), (64, 4)):
        batch = torch.arange(100, 100 + size)  # distinct values: rows can be told apart
        pieces = []
        for rank in range(world):
            try:
                piece = torch.as_tensor(fn(batch, rank, world)).reshape(-1)
            except Exception as e:  # the learner's code failed: say where
                raise CheckError(f"shard(batch of {size}, rank {rank}, world {world}) "
                                 f"raised {type(e).__name__}: {e}") from None
            pieces.append(piece)
        if world > 1 and all(torch.equal(pieces[0], p) for p in pieces[1:]):
            raise CheckError("every rank gets the same rows: the ranks would compute the "
                             "same gradient, and the global batch would be one shard")
        if len({len(p) for p in pieces}) != 1:
            raise CheckError(f"with {world} ranks the pieces have sizes "
                             f"{[len(p) for p in pieces]}: the ranks' means are averaged "
                             "with equal weight, so pieces must be the same size")
        rows = torch.cat(pieces)
        if len(rows) != size or len(torch.unique(rows)) != size:
            lost = "repeated" if len(torch.unique(rows)) < len(rows) else "left out"
            raise CheckError(f"some rows of the batch are {lost}: together the pieces "
                             "must be the whole batch, each row once")
        if not set(rows.tolist()) <= set(batch.tolist()):
            raise CheckError("a piece holds values that are not rows of the batch: "
                             "return rows of `batch`, not positions or ranks")
    return passed("every row of the global batch goes to exactly one rank, in equal shares")


def check_allreduce_bytes(answer, rows: int, dim: int, world: int,
                          bytes_per_number: int = 4) -> str:
    """Bytes one process sends in a ring all-reduce of a (rows, dim) gradient."""
    a = _number(answer)
    grad = rows * dim * bytes_per_number
    want = 2 * (world - 1) / world * grad
    if _close(a, want):
        return passed(f"a ring all-reduce sends about twice the gradient, whatever the "
                      f"number of processes ({world} here)")
    if _close(a, want / 2):
        raise CheckError("that is one half of the ring: reduce-scatter sends (N-1)/N of "
                         "the gradient, and all-gather sends it again")
    if _close(a, 2 * grad) or _close(a, grad):
        raise CheckError("each process sends its piece to one neighbour per round: over "
                         "N-1 rounds that is (N-1)/N of the gradient per phase, not all of it")
    if _close(a, 8 * want):
        raise CheckError("that is in bits: the question asks for bytes")
    if _close(a, want / bytes_per_number):
        raise CheckError("that counts numbers: multiply by the bytes of one number")
    raise CheckError("not the bytes of a ring all-reduce: two phases (reduce-scatter, "
                     "all-gather), each sending (N-1)/N of the gradient")


def check_amdahl(answer, parallel: float, world: int) -> str:
    """Amdahl's bound on the speed-up with `world` workers when a share `parallel` of the
    one-worker time divides among them."""
    a = _number(answer)
    want = 1 / ((1 - parallel) + parallel / world)
    if _close(a, want):
        return passed("the serial share caps the speed-up, however many workers")
    if _close(a, world):
        raise CheckError("that is the ideal, linear speed-up: the serial share does not "
                         "get faster with more workers")
    if _close(a, parallel * world):
        raise CheckError("the serial share still costs time: the new time is the serial "
                         "share plus the parallel share divided by N")
    if _close(a, 1 / want):
        raise CheckError("that is the new time as a share of the old: the speed-up is "
                         "its reciprocal")
    if _close(a, 1 / (parallel / world)) or _close(a, 1 / (1 - parallel)):
        raise CheckError("the new time has two parts, the serial share and the parallel "
                         "share divided by N: add both")
    raise CheckError("not Amdahl's bound: divide the one-worker time by the new time, "
                     "serial share plus parallel share / N")
