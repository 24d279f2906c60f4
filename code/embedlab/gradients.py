"""How gradients reach an embedding table: by hand, by autograd, row by row.

The tiny model is embedding -> linear -> softmax cross-entropy, averaged over every position
of a (B, T) batch of ids. `manual_grads` computes its gradients with no autograd, from the
chain rule written out (and checked against `torch.autograd` in the tests):

    x_n = E[i_n]            z_n = W x_n + b          p_n = softmax(z_n)
    L = -(1/N) sum_n log p_n[y_n]
    dL/dz_n = (p_n - onehot(y_n)) / N
    dL/dx_n = W^T dL/dz_n
    dL/dE[v] = sum of dL/dx_n over the positions n where i_n = v   (zero if v is absent)

The rest measures the consequences: which rows a step changes (`changed_rows`), how often
each row receives a gradient during training (`record_row_grad_norms`), how optimizers with
state or weight decay move rows that were *not* in the batch (`drift_experiment`, PyTorch
issue 18404), and how to freeze some rows (`freeze_rows`).

What it deliberately does not do: plot, or train anything bigger than toyworld.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# Optimizer names understood by `drift_experiment`.
DRIFT_OPTIMIZERS = ("sgd", "sgd_momentum", "sgd_weight_decay", "adam", "adamw",
                    "sparse_sgd", "sparse_adam")


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy, logsumexp(z) - z[y]; equal to `F.cross_entropy` (tested).

    Written out because `F.cross_entropy` runs three multi-threaded kernels per step,
    whose thread start-up dominates the tiny models here on a busy 2-core machine.
    """
    picked = logits.gather(-1, targets[..., None]).squeeze(-1)  # (B,)
    return (torch.logsumexp(logits, dim=-1) - picked).mean()


def tiny_params(vocab_size: int = 10, dim: int = 4, seed: int = 0,
                dtype=torch.float64) -> dict[str, torch.Tensor]:
    """Table E (V, D), output weight W (V, D) and bias b (V,), drawn with a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    return {"table": torch.randn(vocab_size, dim, generator=g, dtype=dtype),
            "weight": torch.randn(vocab_size, dim, generator=g, dtype=dtype) / dim**0.5,
            "bias": torch.zeros(vocab_size, dtype=dtype)}


def tiny_loss(params: dict[str, torch.Tensor], ids: torch.Tensor,
              targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of predicting `targets` (B, T) from `ids` (B, T)."""
    x = params["table"][ids]  # (B, T, D)
    z = x @ params["weight"].T + params["bias"]  # (B, T, V)
    return F.cross_entropy(z.flatten(0, -2), targets.flatten())


def manual_grads(params: dict[str, torch.Tensor], ids: torch.Tensor,
                 targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """The gradients of `tiny_loss` with respect to every parameter, without autograd."""
    with torch.no_grad():
        table, weight, bias = params["table"], params["weight"], params["bias"]
        flat_ids, flat_y = ids.flatten(), targets.flatten()  # (N,)
        n = flat_ids.numel()
        x = table[flat_ids]  # (N, D)
        p = torch.softmax(x @ weight.T + bias, dim=-1)  # (N, V)
        dz = p.clone()
        dz[torch.arange(n), flat_y] -= 1.0
        dz /= n  # (N, V): the mean over positions
        dx = dz @ weight  # (N, D): one upstream gradient per position
        # Scatter-add: a token used twice receives both positions' gradients.
        dtable = torch.zeros_like(table).index_add_(0, flat_ids, dx)  # (V, D)
        return {"table": dtable, "weight": dz.T @ x, "bias": dz.sum(0), "upstream": dx}


def autograd_grads(params: dict[str, torch.Tensor], ids: torch.Tensor,
                   targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """The same gradients from `torch.autograd`, the reference."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    tiny_loss(leaves, ids, targets).backward()
    return {k: v.grad for k, v in leaves.items()}


def changed_rows(before: torch.Tensor, after: torch.Tensor) -> list[int]:
    """Ids of the rows whose values differ at all between two copies of a table."""
    return torch.nonzero((before != after).any(dim=1)).flatten().tolist()


def record_row_grad_norms(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                          steps: int = 200, batch_size: int = 16, lr: float = 0.1,
                          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train with plain SGD; return the gradient norm of every row at every step, (S, V),
    and how many times each id occurred in the inputs of each step's batch, (S, V)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    weight = model.embedding.weight
    vocab_size = weight.shape[0]
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    norms = np.zeros((steps, vocab_size))
    counts = np.zeros((steps, vocab_size), dtype=np.int64)
    for s in range(steps):
        idx = torch.randint(len(inputs), (batch_size,), generator=gen)
        loss = model.loss(inputs[idx], targets[idx])
        opt.zero_grad()
        loss.backward()
        norms[s] = weight.grad.norm(dim=1).numpy()
        counts[s] = torch.bincount(inputs[idx].flatten(), minlength=vocab_size).numpy()
        opt.step()
    return norms, counts


class TinyModel(nn.Module):
    """Embedding -> concatenate the C context rows -> one linear layer -> logits over V.

    ids (B, C) -> rows (B, C, D) -> (B, C*D) -> logits (B, V). The linear layer is written
    as a broadcast product rather than a matrix product: for matrices this small the
    result is the same, and it avoids the start-up cost of a multi-threaded BLAS call in
    every backward pass, which dominates on a busy 2-core machine.
    """

    def __init__(self, vocab_size: int, dim: int = 8, context: int = 1, seed: int = 0,
                 sparse: bool = False, padding_idx: int | None = None):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.embedding = nn.Embedding(vocab_size, dim, sparse=sparse, padding_idx=padding_idx)
        with torch.no_grad():
            self.embedding.weight.normal_(0.0, 1.0, generator=g)
            if padding_idx is not None:
                self.embedding.weight[padding_idx] = 0.0
        fan_in = context * dim
        self.weight = nn.Parameter(torch.randn(vocab_size, fan_in, generator=g) / fan_in**0.5)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embedding(ids.reshape(len(ids), -1)).flatten(1)  # (B, C*D)
        return (h[:, None, :] * self.weight).sum(-1) + self.bias  # (B, V)

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return cross_entropy(self(ids), targets)


def _optimizers(name: str, model: TinyModel, lr: float) -> list[torch.optim.Optimizer]:
    emb, rest = [model.embedding.weight], [model.weight, model.bias]
    if name == "sgd":
        return [torch.optim.SGD(emb + rest, lr=lr)]
    if name == "sgd_momentum":
        return [torch.optim.SGD(emb + rest, lr=lr, momentum=0.9)]
    if name == "sgd_weight_decay":
        return [torch.optim.SGD(emb + rest, lr=lr, weight_decay=0.01)]
    if name == "adam":
        return [torch.optim.Adam(emb + rest, lr=lr)]
    if name == "adamw":
        return [torch.optim.AdamW(emb + rest, lr=lr)]  # weight_decay 0.01 by default
    if name == "sparse_sgd":
        return [torch.optim.SGD(emb, lr=lr), torch.optim.SGD(rest, lr=lr)]
    if name == "sparse_adam":
        return [torch.optim.SparseAdam(emb, lr=lr), torch.optim.Adam(rest, lr=lr)]
    raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(DRIFT_OPTIMIZERS)}")


@dataclass
class DriftResult:
    optimizer: str  # the name passed in
    absent_rows: list[int]  # rows that were never in a batch during phase 2
    absent_grad_max: float  # largest |gradient| any absent row received in phase 2
    absent_moved: float  # largest distance an absent row moved during phase 2
    present_moved: float  # smallest distance a present row moved during phase 2


def drift_experiment(optimizer: str, vocab_size: int = 10, dim: int = 4,
                     warmup: int = 5, steps: int = 20, lr: float = 0.05,
                     seed: int = 0) -> DriftResult:
    """Phase 1 (`warmup` steps): batches use every id. Phase 2 (`steps` steps): batches use
    only the first half of the ids. How far do the absent rows move in phase 2?

    Their gradient is exactly zero throughout phase 2, so any movement comes from the
    optimizer's memory (momentum, Adam's moments) or from weight decay.
    """
    sparse = optimizer.startswith("sparse")
    model = TinyModel(vocab_size, dim, seed=seed, sparse=sparse)
    opts = _optimizers(optimizer, model, lr)
    gen = torch.Generator().manual_seed(seed)
    half = vocab_size // 2
    absent = list(range(half, vocab_size))

    def step(high: int) -> float:
        ids = torch.randint(high, (32,), generator=gen)
        targets = (ids + 1) % vocab_size
        loss = model.loss(ids, targets)
        for o in opts:
            o.zero_grad()
        loss.backward()
        g = model.embedding.weight.grad
        g = g.to_dense() if g.is_sparse else g
        for o in opts:
            o.step()
        return float(g[absent].abs().max())

    for _ in range(warmup):
        step(vocab_size)
    before = model.embedding.weight.detach().clone()
    grad_max = max(step(half) for _ in range(steps))
    moved = (model.embedding.weight.detach() - before).norm(dim=1)  # (V,)
    return DriftResult(optimizer, absent, grad_max, float(moved[absent].max()),
                       float(moved[:half].min()))


def freeze_rows(embedding: nn.Embedding, frozen_ids) -> torch.utils.hooks.RemovableHandle:
    """Zero the gradient of the rows `frozen_ids` on every backward pass (a gradient hook).

    The rows stay put under plain SGD and under Adam *started after* the hook (their moments
    stay zero), but not under weight decay, which shrinks them whatever the gradient says.
    Call `.remove()` on the returned handle to unfreeze.
    """
    mask = torch.ones(embedding.num_embeddings, 1)
    mask[torch.as_tensor(list(frozen_ids), dtype=torch.long)] = 0.0
    return embedding.weight.register_hook(lambda grad: grad * mask.to(grad.dtype))


def sgd_step(params: dict[str, torch.Tensor], ids: torch.Tensor, targets: torch.Tensor,
             lr: float) -> dict[str, torch.Tensor]:
    """New parameters after one plain SGD step on `tiny_loss` (hand-derived gradients)."""
    grads = manual_grads(params, ids, targets)
    return {k: v - lr * grads[k] for k, v in params.items()}
