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

from .vocab import BOS, EOS, MASK, PAD, Vocab
from .word2vec import negative_sampling_loss, noise_distribution


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


class BigramModel(nn.Module):
    """The simplest table that predicts: row `i` holds the logits of the token after `i`.

    ids (B,) or (B, C) -> the last id's row (B, V) = logits. The table *is* the model:
    `embedding` is a V x V `nn.Embedding` (rows = "what comes after me"), initialized at
    zero so every prediction starts uniform.
    """

    def __init__(self, vocab_size: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, vocab_size)
        nn.init.zeros_(self.embedding.weight)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dim() == 2:  # (B, C): only the last token matters to a bigram model
            ids = ids[:, -1]
        return self.embedding(ids)  # (B, V)

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(ids), targets)


def centre_fill_examples(
    sentences: Sequence[Sequence[str]], vocab: Vocab, window: int = 2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every token of every sentence becomes the blank centre of a window: its `window`
    neighbours on each side, with [MASK] where the token was and [PAD] past the ends.

    This is the data of CBOW and of `CentreFillModel` (one blank per example, always in the
    centre), not BERT's masked-token objective (15% of a whole sequence, 80/10/10), which
    lives in `embedlab.encoder.mask_tokens`.

    Returns inputs (N, 2*window+1) with the [MASK] id in the centre column, and targets (N,)
    (the hidden token ids). `seed` shuffles the order of the examples, reproducibly.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    for special in (MASK, PAD):
        if special not in vocab:
            raise ValueError(
                f"the vocabulary needs a {special} token for centre-fill examples"
            )
    pad, mask = vocab.id(PAD), vocab.id(MASK)
    xs, ys = [], []
    for s in sentences:
        ids = [pad] * window + vocab.encode(s) + [pad] * window
        for i in range(window, len(ids) - window):
            ctx = ids[i - window : i + window + 1]
            ys.append(ctx[window])
            ctx[window] = mask
            xs.append(ctx)
    x = torch.tensor(xs, dtype=torch.long).reshape(-1, 2 * window + 1)
    y = torch.tensor(ys, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    return x[order], y[order]


class CentreFillModel(MLPLanguageModel):
    """Fill the centre of a window (a CBOW-like task with a network instead of a mean):
    look up all 2*window+1 positions, [MASK] included, concatenate, one tanh hidden layer,
    softmax over the vocabulary for the hidden centre token.

    ids (B, T) -> rows (B, T, D) -> concat (B, T*D) -> tanh (B, H) -> logits (B, V)
    Unlike `MLPLanguageModel` it sees both sides of the blank. It is not BERT's
    masked-token objective (see `embedlab.encoder`): one blank, always in the centre.
    """

    def __init__(self, vocab_size: int, dim: int = 16, window: int = 2, hidden: int = 64,
                 init_std: float = 1.0):
        # The same network as the language model, fed 2*window+1 positions instead of the
        # previous `context` ones: only the data (what is hidden) differs.
        super().__init__(vocab_size, dim, 2 * window + 1, hidden, init_std)
        self.window = window

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[1] != 2 * self.window + 1:
            raise ValueError(
                f"expected {2 * self.window + 1} positions per example, got {ids.shape[1]}"
            )
        return super().forward(ids)  # (B, V)


def skipgram_examples(
    sentences: Sequence[Sequence[str]], vocab: Vocab, window: int = 2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (centre id, context id) pair within `window` positions, in a seeded order.

    The pairs come from the same windows as `centre_fill_examples`, so the objectives that use
    them see the same text. Returns centres (P,) and contexts (P,).
    """
    x, y = centre_fill_examples(sentences, vocab, window, seed)  # (N, 2w+1), (N,)
    ctx = torch.cat([x[:, :window], x[:, window + 1 :]], dim=1)  # (N, 2w)
    centres = y.unsqueeze(1).expand_as(ctx)  # (N, 2w)
    keep = ctx != vocab.id(PAD)
    return centres[keep], ctx[keep]


class _NegativeSampling(nn.Module):
    """Shared part of skip-gram and CBOW: an input table, an output table, and
    `embedlab.word2vec`'s negative-sampling loss, noise ~ unigram^0.75, through autograd."""

    def __init__(self, counts: Sequence[float], dim: int = 16, negative: int = 5,
                 init_std: float = 1.0):
        super().__init__()
        counts_t = torch.as_tensor(counts, dtype=torch.float64)
        if counts_t.ndim != 1 or (counts_t < 0).any() or counts_t.sum() <= 0:
            raise ValueError("counts must be one non-negative number per token, not all 0")
        self.negative = negative
        noise = noise_distribution(counts_t.numpy())  # unigram^0.75, as word2vec
        self.register_buffer("noise", torch.from_numpy(noise).float())
        self.embedding = nn.Embedding(len(counts_t), dim)  # the input table we watch
        nn.init.normal_(self.embedding.weight, std=init_std)
        self.output = nn.Embedding(len(counts_t), dim)  # context vectors, start at zero
        nn.init.zeros_(self.output.weight)

    def _ns_loss(self, v: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        # Negatives use torch's global RNG, which `embedlab.training.train` seeds.
        noise = torch.multinomial(
            self.noise, targets.numel() * self.negative, replacement=True
        ).view(-1, self.negative)  # (B, K)
        u = self.output(torch.cat([targets.unsqueeze(1), noise], dim=1))  # (B, 1+K, D)
        return negative_sampling_loss(v, u[:, 0], u[:, 1:]).mean()


class SkipGramModel(_NegativeSampling):
    """Skip-gram with negative sampling: a word's row must score its neighbours high and
    random words low. loss(centres (B,), contexts (B,))."""

    def loss(self, centres: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        return self._ns_loss(self.embedding(centres), contexts)  # v: (B, D)


class CBOWModel(_NegativeSampling):
    """CBOW with negative sampling: the mean of the context rows must score the hidden
    word high. Takes `centre_fill_examples` (the [MASK] centre and [PAD] positions are
    skipped), so it sees exactly what `CentreFillModel` sees. loss(inputs (B, T), targets (B,))."""

    def __init__(self, counts: Sequence[float], dim: int = 16, negative: int = 5,
                 init_std: float = 1.0, ignore: Sequence[int] = ()):
        super().__init__(counts, dim, negative, init_std)
        self.ignore = tuple(ignore)  # ids that are not context ([MASK], [PAD])

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        use = torch.ones_like(inputs, dtype=torch.bool)
        for i in self.ignore:
            use &= inputs != i
        w = use.float()  # (B, T)
        rows = self.embedding(inputs) * w.unsqueeze(2)  # (B, T, D)
        v = rows.sum(1) / w.sum(1, keepdim=True).clamp(min=1.0)  # (B, D) context mean
        return self._ns_loss(v, targets)


# The window objectives. BERT's masked-token objective ("mlm" in the CLI) needs a
# transformer over whole sequences: `embedlab.encoder`.
OBJECTIVES = ("next-token", "centre-fill", "cbow", "skipgram")


def objective_setup(
    name: str,
    sentences: Sequence[Sequence[str]],
    vocab: Vocab,
    dim: int = 16,
    window: int = 2,
    seed: int = 0,
    init_std: float = 1.0,
    hidden: int = 64,
) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """A fresh model and its training examples for objective `name` (one of OBJECTIVES),
    all with the same vocabulary, table size and initialization scale, so that a comparison
    changes only the objective. For "next-token", `window` is the context length."""
    torch.manual_seed(seed)  # the table's random initialization
    counts = [vocab.counts.get(t, 0) for t in vocab.itos]
    if name == "next-token":
        data = next_token_examples(sentences, vocab, context=window)
        return MLPLanguageModel(len(vocab), dim, window, hidden, init_std), data
    if name == "centre-fill":
        data = centre_fill_examples(sentences, vocab, window, seed)
        return CentreFillModel(len(vocab), dim, window, hidden, init_std), data
    if name == "cbow":
        data = centre_fill_examples(sentences, vocab, window, seed)
        ignore = (vocab.id(MASK), vocab.id(PAD))
        return CBOWModel(counts, dim, init_std=init_std, ignore=ignore), data
    if name == "skipgram":
        data = skipgram_examples(sentences, vocab, window, seed)
        return SkipGramModel(counts, dim, init_std=init_std), data
    raise ValueError(f"unknown objective {name!r}: use one of {', '.join(OBJECTIVES)}")
