"""Small models whose first layer is an embedding table.

Every model here has an `embedding` attribute (an `nn.Embedding`, the table the book watches)
and a `loss(inputs, targets)` method, so one training loop (`embedlab.training.train`) serves
them all. The table is an ordinary parameter, trained jointly with the rest of the model.

What it deliberately does not do: anything large. These are models you can train in seconds
on a laptop CPU, not competitive language models.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .vocab import BOS, EOS, Vocab


def next_token_examples(
    sentences: Sequence[Sequence[str]], vocab: Vocab, context: int = 2
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (previous `context` ids -> next id) pair, sentences padded with [BOS]/[EOS].

    Returns inputs (N, context) and targets (N,) as int64 tensors.
    """
    if context < 1:
        raise ValueError(f"context must be at least 1, got {context}")
    xs, ys = [], []
    bos = vocab.id(BOS)
    for s in sentences:
        ids = [bos] * context + vocab.encode(s) + [vocab.id(EOS)]
        for i in range(context, len(ids)):
            xs.append(ids[i - context : i])
            ys.append(ids[i])
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


class MLPLanguageModel(nn.Module):
    """Bengio et al. (2003): look up the previous tokens, concatenate, hidden layer, softmax.

    ids (B, C) -> table rows (B, C, D) -> concat (B, C*D) -> tanh (B, H) -> logits (B, V)
    """

    def __init__(self, vocab_size: int, dim: int = 16, context: int = 2, hidden: int = 64,
                 init_std: float = 1.0):
        super().__init__()
        self.context = context
        self.embedding = nn.Embedding(vocab_size, dim)
        nn.init.normal_(self.embedding.weight, std=init_std)
        self.hidden = nn.Linear(context * dim, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = self.embedding(ids)  # (B, C, D)
        h = torch.tanh(self.hidden(e.flatten(1)))  # (B, H)
        return self.out(h)  # (B, V)

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(ids), targets)
