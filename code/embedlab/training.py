"""One seeded training loop for every objective, recording snapshots of the table.

`train(model, data, config)` draws minibatches from tensors `data` (all with the same first
dimension) with its own seeded generator, calls `model.loss(*batch)`, steps the optimizer,
and every `snapshot_every` steps copies the embedding table. The result, `History`, holds the
loss of every step and the snapshots, which the projection and plotting code turn into a
time-lapse. A tqdm progress bar shows the work.

`TrainConfig.device` picks where the model and data live ("cpu", "cuda", "mps", or "auto":
`resolve_device` takes a GPU when there is one). With `group=` (an
`embedlab.distributed.Group`, set up by torchrun) several processes train one model with
DistributedDataParallel: every rank draws the same global batch and computes its shard.

What it deliberately does not do: evaluation (pass `probe=` to record one), early stopping,
or learning-rate schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from .snapshots import History  # noqa: F401  (lives with its files; imported from here too)


@dataclass
class TrainConfig:
    steps: int = 600  # optimizer steps (one minibatch each)
    batch_size: int = 256  # examples per step
    lr: float = 1e-2  # learning rate
    optimizer: str = "adam"  # "adam", "adamw", "sgd", "sparse_adam" or "sgd_momentum"
    snapshot_every: int = 20  # copy the table every this many steps (and at 0 and the end)
    seed: int = 0  # seeds batch order and anything the model draws from torch's RNG
    progress: bool = True  # show a tqdm bar
    threads: int | None = 1  # torch threads while training; small models run fastest on
    # one (a second thread mostly waits for work and, on a busy machine, spins); None = as is
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", "mps" or "auto" (see resolve_device)



def make_optimizer(name: str, params, lr: float, fused: bool = False) -> torch.optim.Optimizer:
    """`fused=True`: Adam/AdamW in one CPU kernel (about twice as fast on a large table)."""
    params = list(params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, fused=fused or None)
    if name == "adamw":  # decoupled weight decay (0.01 unless a param group sets its own)
        return torch.optim.AdamW(params, lr=lr, fused=fused or None)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "sgd_momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "sparse_adam":
        return torch.optim.SparseAdam(params, lr=lr)
    raise ValueError(
        f"unknown optimizer {name!r}: use adam, adamw, sgd, sgd_momentum or sparse_adam"
    )


def train(
    model: torch.nn.Module,
    data: Sequence[torch.Tensor],
    config: TrainConfig | None = None,
    probe: Callable[[np.ndarray], float] | None = None,
    table: Callable[[torch.nn.Module], torch.Tensor] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    group=None,
) -> History:
    """Train `model` in place; return the loss curve and the table's snapshots.

    `table(model)` picks the weights to snapshot (default: `model.embedding.weight`);
    `probe(table_copy)` is called on every snapshot when given. `optimizer` replaces the
    one built from `config` (e.g. parameter groups with their own learning rates).
    `group` (`embedlab.distributed.Group`): train together with the other ranks; only
    rank 0 records snapshots and shows the bar, every rank records the mean loss.
    """
    from .distributed import Group, wrap

    config = config or TrainConfig()
    group = group or Group()
    device = group.device(resolve_device(config.device))
    n = len(data[0])
    if any(len(d) != n for d in data):
        raise ValueError("all data tensors must have the same first dimension")
    if config.steps < 0 or config.batch_size < 1 or config.snapshot_every < 1:
        raise ValueError("steps must be >= 0, batch_size and snapshot_every >= 1")
    if config.batch_size % group.world:
        raise ValueError(f"batch size {config.batch_size} must be a multiple of the "
                         f"{group.world} processes")
    model.to(device)
    data = [d.to(device) for d in data]
    torch.manual_seed(config.seed + group.rank)  # what the model draws (negatives, masks)
    gen = torch.Generator().manual_seed(config.seed)  # batches: the same on every rank
    table = table or (lambda m: m.embedding.weight)
    opt = optimizer or make_optimizer(config.optimizer, model.parameters(), config.lr)
    loss_of = wrap(model, group, device)
    hist = History()

    def snap(step: int) -> None:
        if not group.is_main:
            return
        w = table(model).detach().cpu().numpy().copy()
        hist.snapshot_steps.append(step)
        hist.snapshots.append(w)
        if probe is not None:
            hist.probe_values.append(float(probe(w)))

    with torch_threads(config.threads):
        snap(0)
        model.train()
        bar = tqdm(
            range(1, config.steps + 1),
            desc="training",
            disable=not (config.progress and group.is_main),
            mininterval=0.5,
        )
        for step in bar:
            idx = group.shard(torch.randint(n, (config.batch_size,), generator=gen))
            idx = idx.to(device)
            loss = loss_of(*(d[idx] for d in data))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            hist.losses.append(group.mean(loss))
            if step % config.snapshot_every == 0 or step == config.steps:
                snap(step)
                bar.set_postfix(loss=f"{hist.losses[-1]:.3f}", refresh=False)
        model.eval()
    return hist


def resolve_device(name: str = "auto") -> str:
    """A device torch can use: "auto" is CUDA if present, else Apple's MPS, else the CPU;
    asking for a device this machine lacks raises ValueError with one line."""
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    kind = name.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: no CUDA GPU is available (try --device auto)")
    if kind == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise ValueError(f"device {name!r}: Apple's MPS is not available (try --device auto)")
    if kind not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda or mps")
    return name


@contextmanager
def torch_threads(n: int | None):
    """Run the block with `n` torch threads (None or 0: unchanged), then restore the
    previous setting."""
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
