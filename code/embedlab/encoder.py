"""The encoder's input, and a tiny Transformer encoder trained by masked-token prediction.

What enters the first encoder layer is not the table row alone: it is
`dropout(LayerNorm(sqrt(D) * table[ids] + positions))`. `EncoderInput` builds exactly that
and `EncoderInput.trace` returns every intermediate tensor by name, so a chapter can show it
shape by shape. Positions are either a learned table (BERT) or fixed sinusoids (Vaswani et
al., 2017), see `sinusoidal_positions`.

`TinyEncoder` stacks PyTorch's `nn.TransformerEncoderLayer` on that input and predicts
masked tokens (BERT's 80/10/10 rule, `mask_tokens`). With `tie=True` its output layer reuses
the input table (one Parameter, two uses), so the table's gradient is the sum of a
contribution from the input side and one from the output side: `tied_gradient_parts`
separates the two.

What it deliberately does not do: anything large or fast (no flash attention, no sequence
packing, no segment embeddings, no [CLS] pooling). It is a model you train in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .vocab import MASK, PAD, Vocab

IGNORE = (
    -100
)  # target value for positions that are not predicted (F.cross_entropy default)


def sinusoidal_positions(
    n_positions: int, dim: int, base: float = 10000.0
) -> torch.Tensor:
    """PE[p, 2i] = sin(p / base^(2i/D)), PE[p, 2i+1] = cos(p / base^(2i/D)); (T, D)."""
    if dim % 2:
        raise ValueError(f"sinusoidal positions need an even dim, got {dim}")
    p = torch.arange(n_positions, dtype=torch.float64)[:, None]  # (T, 1)
    freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (D/2,)
    pe = torch.zeros(n_positions, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(p * freq)
    pe[:, 1::2] = torch.cos(p * freq)
    return pe.float()


@dataclass
class EncoderConfig:
    vocab_size: int  # rows of the token table
    dim: int = 32  # width D of every token vector
    max_len: int = 16  # longest sequence (rows of the position table)
    n_layers: int = 1  # Transformer encoder layers
    n_heads: int = 2  # attention heads per layer
    ff_dim: int = 64  # hidden width of each layer's feed-forward block
    positions: str = "learned"  # "learned", "sinusoidal" or "none"
    scale: bool = True  # multiply table rows by sqrt(D) before adding positions
    layer_norm: bool = True  # LayerNorm the sum, as BERT does
    dropout: float = 0.1  # on the input sum and inside the layers
    tie: bool = True  # the output layer reuses the input table
    init_std: float | None = (
        None  # table init std; None means 1/sqrt(D) (rows of norm ~1)
    )
    pad_id: int = 0  # id of [PAD]: never attended to, never predicted
    mask_id: int = 4  # id of [MASK]
    n_special: int = 5  # ids below this are special; random replacements avoid them
    mask_prob: float = 0.15  # fraction of real tokens chosen for prediction


def config_for(vocab: Vocab, **kwargs) -> EncoderConfig:
    """An `EncoderConfig` whose special ids come from `vocab` (specials first)."""
    n_special = sum(1 for t in vocab.itos if t.startswith("[") and t.endswith("]"))
    return EncoderConfig(
        vocab_size=len(vocab),
        pad_id=vocab[PAD],
        mask_id=vocab[MASK],
        n_special=n_special,
        **kwargs,
    )


class EncoderInput(nn.Module):
    """ids (B, T) -> the tensor that enters the first encoder layer (B, T, D)."""

    def __init__(self, cfg: EncoderConfig, embedding: nn.Embedding):
        super().__init__()
        self.cfg = cfg
        self.embedding = embedding
        if cfg.positions == "learned":
            self.position = nn.Parameter(torch.randn(cfg.max_len, cfg.dim) * 0.1)
        elif cfg.positions == "sinusoidal":
            self.register_buffer("position", sinusoidal_positions(cfg.max_len, cfg.dim))
        elif cfg.positions == "none":
            self.register_buffer("position", torch.zeros(cfg.max_len, cfg.dim))
        else:
            raise ValueError(
                f"positions must be learned, sinusoidal or none, got {cfg.positions!r}"
            )
        self.norm = nn.LayerNorm(cfg.dim) if cfg.layer_norm else nn.Identity()
        self.drop = nn.Dropout(cfg.dropout)

    def trace(self, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every step by name, in order; the last entry is what layer 1 receives."""
        t = ids.shape[1]
        if t > self.cfg.max_len:
            raise ValueError(
                f"sequence of length {t} but max_len is {self.cfg.max_len}"
            )
        out = {"ids": ids}  # (B, T)
        out["rows"] = self.embedding(ids)  # (B, T, D)
        factor = math.sqrt(self.cfg.dim) if self.cfg.scale else 1.0
        out["scaled"] = out["rows"] * factor  # (B, T, D)
        out["positions"] = self.position[:t]  # (T, D), broadcast over the batch
        out["sum"] = out["scaled"] + out["positions"]  # (B, T, D)
        out["normed"] = self.norm(out["sum"])  # (B, T, D)
        out["dropped"] = self.drop(out["normed"])  # (B, T, D)
        return out

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.trace(ids)["dropped"]


class TinyEncoder(nn.Module):
    """Token table + positions -> Transformer encoder layers -> masked-token logits."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.dim)
        std = cfg.init_std if cfg.init_std is not None else cfg.dim**-0.5
        nn.init.normal_(self.embedding.weight, std=std)
        self.input = EncoderInput(cfg, self.embedding)
        layer = nn.TransformerEncoderLayer(
            cfg.dim,
            cfg.n_heads,
            cfg.ff_dim,
            cfg.dropout,
            activation="gelu",
            batch_first=True,
        )
        self.layers = nn.TransformerEncoder(
            layer, cfg.n_layers, enable_nested_tensor=False
        )
        self.head = nn.Sequential(
            nn.Linear(cfg.dim, cfg.dim), nn.GELU(), nn.LayerNorm(cfg.dim)
        )  # BERT's MLM transform
        self.out_bias = nn.Parameter(torch.zeros(cfg.vocab_size))
        # Untied: a separate output table of the same shape as the input table.
        self.out_weight = (
            None
            if cfg.tie
            else nn.Parameter(torch.randn(cfg.vocab_size, cfg.dim) * std)
        )

    def output_table(self) -> torch.Tensor:
        return self.embedding.weight if self.cfg.tie else self.out_weight  # (V, D)

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.input(ids)  # (B, T, D)
        return self.layers(x, src_key_padding_mask=ids == self.cfg.pad_id)  # (B, T, D)

    def forward(self, ids: torch.Tensor, out_table: torch.Tensor | None = None):
        h = self.head(self.hidden(ids))  # (B, T, D)
        w = self.output_table() if out_table is None else out_table
        return h @ w.T + self.out_bias  # (B, T, V)

    def loss(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Cross-entropy on the masked positions. Given only `ids`, masks them first
        (fresh masks every call, drawn from torch's global RNG, which `train` seeds)."""
        if targets is None:
            ids, targets = mask_tokens(ids, self.cfg)
        # Score only the predicted positions (~15%): the (B, T, V) logits of every
        # position would be mostly thrown away, and they are the costliest part.
        picked = targets != IGNORE  # (B, T)
        h = self.head(self.hidden(ids)[picked])  # (M, D)
        logits = h @ self.output_table().T + self.out_bias  # (M, V)
        return F.cross_entropy(logits, targets[picked])


def mask_tokens(
    ids: torch.Tensor, cfg: EncoderConfig, generator: torch.Generator | None = None
):
    """BERT's rule: pick `mask_prob` of the real tokens (at least one per batch); of those,
    80% become [MASK], 10% a random ordinary token, 10% stay. Returns (inputs, targets),
    targets = IGNORE where nothing is predicted."""
    real = ids != cfg.pad_id  # (B, T)
    u = torch.rand(ids.shape, generator=generator)
    chosen = real & (u < cfg.mask_prob)
    if not chosen.any():  # guarantee a loss: choose the first real token
        chosen.view(-1)[real.view(-1).nonzero()[0]] = True
    targets = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    r = torch.rand(ids.shape, generator=generator)
    rand_ids = torch.randint(
        cfg.n_special, cfg.vocab_size, ids.shape, generator=generator
    )
    inputs = torch.where(chosen & (r < 0.8), torch.full_like(ids, cfg.mask_id), ids)
    inputs = torch.where(chosen & (r >= 0.8) & (r < 0.9), rand_ids, inputs)
    return inputs, targets


def sentence_ids(sentences: Sequence[Sequence[str]], vocab: Vocab, max_len: int):
    """Encode and right-pad with [PAD]; longer sentences are cut into max_len pieces.

    Returns (N, max_len) int64.
    """
    pad = vocab[PAD]
    rows = []
    for s in sentences:
        ids = vocab.encode(s)
        for i in range(0, len(ids), max_len):
            piece = ids[i : i + max_len]
            if len(piece) >= 2:  # a single token has no context to predict from
                rows.append(piece + [pad] * (max_len - len(piece)))
    return torch.tensor(rows, dtype=torch.long)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Trainable numbers per top-level part, counting a shared Parameter once."""
    seen: set[int] = set()
    counts: dict[str, int] = {}
    for name, p in model.named_parameters():  # named_parameters already deduplicates
        if id(p) in seen:
            continue
        seen.add(id(p))
        part = name.split(".")[0]
        counts[part] = counts.get(part, 0) + p.numel()
    counts["total"] = sum(counts.values())
    return counts


def tied_gradient_parts(model: TinyEncoder, ids: torch.Tensor, targets: torch.Tensor):
    """The table's gradient split into (input side, output side) for a tied model.

    Each part is computed with the other use of the table detached; their sum is what
    autograd gives when both uses are live. Dropout should be off (`model.eval()`).
    """
    if not model.cfg.tie:
        raise ValueError(
            "the model is untied: its input and output tables are different"
        )
    w = model.embedding.weight

    def grad(out_table):
        logits = model(ids, out_table=out_table)
        loss = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE
        )
        (g,) = torch.autograd.grad(loss, w, allow_unused=True)
        return torch.zeros_like(w) if g is None else g

    g_in = grad(w.detach())  # only the lookup carries gradient
    # Only the output layer carries gradient: the lookup must not reach w.
    emb = model.input.embedding
    model.input.embedding = nn.Embedding.from_pretrained(w.detach(), freeze=True)
    try:
        g_out = grad(w)
    finally:
        model.input.embedding = emb
    return g_in, g_out
