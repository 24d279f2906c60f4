"""A table's starting values: initialization schemes and the geometry of random tables.

Before training, an embedding table is random. `init_table` draws a (V, D) table with the
usual schemes (PyTorch's N(0, 1), BERT's N(0, 0.02^2), Xavier, uniform) from a seeded
generator; `pair_cosines`, `random_cosines` and `cosine_spread` measure the geometry that
results (cosines of random pairs concentrate around 0 with spread about 1/sqrt(D)).
`symmetric_start` runs the experiment that says why the start must be random at all: rows
that start equal, with an output layer that treats them alike, stay equal under training.

What it deliberately does not do: look rows up or count costs (`embedlab.lookup`), or plot
(figures are drawn in the chapters and in `embedlab.initwidget`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

# The initialization schemes the book compares; see `init_table`.
INIT_SCHEMES = ("normal", "normal-0.02", "xavier-normal", "xavier-uniform", "uniform")


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
