"""Several processes, one model: the glue between `torchrun` and `embedlab.training`.

`torchrun --nproc_per_node N -m embedlab train ...` starts N copies of the CLI with the
environment variables RANK, LOCAL_RANK and WORLD_SIZE set. `Group.from_env(device)` reads
them, joins the process group (gloo on the CPU, nccl on CUDA GPUs, one GPU per local rank)
and says which rank this process is. In `embedlab.training.train` every rank draws the same
seeded global batch of B examples and computes the loss on its shard, rows r, r+N, r+2N...
(B/N examples); `wrap(model)` makes the model a `DistributedDataParallel`, which averages the
gradients of the N shards during `backward()`. The mean of N shard means of B/N examples is
the mean over the whole batch, so N processes take the same steps as one process with the
same global batch, up to the order of floating-point additions (see tests/test_cli_ddp.py
for the tolerance). Only rank 0 shows a progress bar and writes files.

What it deliberately does not do: shard the data on disk (every rank builds the same
examples from the same seed), gradient accumulation, mixed precision, or several machines
(torchrun's --nnodes works, but nothing here was tested that way).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Group:
    rank: int = 0  # this process's number, 0..world-1
    world: int = 1  # how many processes train together
    local_rank: int = 0  # number on this machine (picks the GPU)

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "cpu") -> Group:
        """The group torchrun described in the environment (one process if none), joined."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        group = cls(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
        if not torch.distributed.is_initialized():
            backend = "nccl" if device.startswith("cuda") else "gloo"
            if device.startswith("cuda"):
                torch.cuda.set_device(group.local_rank)
            torch.distributed.init_process_group(backend)
        return group

    def device(self, name: str) -> str:
        """The device of this rank: cuda -> cuda:<local rank>; others unchanged."""
        return f"cuda:{self.local_rank}" if name == "cuda" and self.active else name

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch: r, r+N, r+2N, ..."""
        return batch[self.rank :: self.world] if self.active else batch

    def mean(self, value: torch.Tensor) -> float:
        """The mean of a scalar over the ranks (every rank gets it)."""
        if not self.active:
            return value.item()
        v = value.detach().clone().reshape(1)
        torch.distributed.all_reduce(v)
        return v.item() / self.world

    def close(self) -> None:
        if self.active and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


class LossModule(nn.Module):
    """`forward(*batch)` is `model.loss(*batch)`: DDP synchronizes gradients only for
    what runs through `forward`, and the book's models compute their loss in `loss`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *batch: torch.Tensor) -> torch.Tensor:
        return self.model.loss(*batch)


def wrap(model: nn.Module, group: Group, device: str) -> nn.Module:
    """Something to call with a batch that returns its loss: the model's own `loss`
    in one process; a `DistributedDataParallel` around it in several (which starts by
    copying rank 0's parameters to every rank)."""
    if not group.active:
        return model.loss
    from torch.nn.parallel import DistributedDataParallel

    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return DistributedDataParallel(LossModule(model), device_ids=ids)
