"""The encoder's input, and a tiny Transformer trained by masked-token or next-token prediction.

What enters the first layer is not the table row alone, and there is no single formula for
it; `EncoderInput` builds the recipes in use from three switches of `EncoderConfig`:

- BERT (and MiniLM): `dropout(LayerNorm(word[ids] + position[:T] + token_type[types]))`,
  learned positions, no scaling (`scale=False, layer_norm=True, n_token_types=2`);
- the original Transformer (Vaswani et al., 2017): `dropout(sqrt(D) * word[ids] + PE[:T])`
  with fixed sinusoids `PE`, no input LayerNorm (`positions="sinusoidal", scale=True,
  layer_norm=False`).

The defaults are BERT's recipe without token types (the book's sentences come one at a time).
`EncoderInput.trace` returns every intermediate tensor by name, so a chapter can show it
shape by shape; `sinusoidal_positions` and `offset_rotation` give the fixed positions and the
linear map that moves every one of them k places on.

`TinyEncoder` stacks PyTorch's `nn.TransformerEncoderLayer` on that input. Bidirectional
(default), it predicts masked tokens (BERT's 15% and 80/10/10 rule, `mask_tokens`); with
`causal=True` every position attends only to itself and the positions before it, and the
model predicts token t+1 from tokens <= t (a GPT-style decoder-only model built from the same
parts). With `tie=True` its output layer reuses the input table (one Parameter, two uses), so
the table's gradient is the sum of a contribution from the input side and one from the output
side: `tied_gradient_parts` separates the two.

What it deliberately does not do: anything large or fast (no flash attention, no sequence
packing, no key-value cache, no [CLS] pooling). It is a model you train in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .vocab import MASK, PAD, Vocab

# target value for positions that are not predicted (F.cross_entropy's default)
IGNORE = -100


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


def offset_rotation(k: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """The (D, D) matrix R_k with PE[p + k] = PE[p] @ R_k for every position p.

    Each (sin, cos) column pair of PE turns by the angle k * w_i: block i of R_k is
    [[cos, -sin], [sin, cos]] of that angle. It depends on k, never on p.
    """
    if dim % 2:
        raise ValueError(f"sinusoidal positions need an even dim, got {dim}")
    freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (D/2,)
    c, s = torch.cos(k * freq), torch.sin(k * freq)
    r = torch.zeros(dim, dim, dtype=torch.float64)
    # row vector [sin a, cos a] @ [[c, -s], [s, c]] = [sin(a+b), cos(a+b)]
    r[0::2, 0::2] = torch.diag(c)
    r[0::2, 1::2] = torch.diag(-s)
    r[1::2, 0::2] = torch.diag(s)
    r[1::2, 1::2] = torch.diag(c)
    return r.float()


@dataclass
class EncoderConfig:
    vocab_size: int  # rows of the token table
    dim: int = 32  # width D of every token vector
    max_len: int = 16  # longest sequence (rows of the position table)
    n_layers: int = 1  # Transformer encoder layers
    n_heads: int = 2  # attention heads per layer
    ff_dim: int = 64  # hidden width of each layer's feed-forward block
    positions: str = "learned"  # "learned" (BERT), "sinusoidal" (Transformer) or "none"
    scale: bool = False  # multiply table rows by sqrt(D) (the Transformer; BERT does not)
    layer_norm: bool = True  # LayerNorm the sum (BERT; the Transformer does not)
    n_token_types: int = 0  # rows of the token-type (segment) table; BERT has 2, 0 = none
    causal: bool = False  # attend only to earlier positions and predict the next token
    dropout: float = 0.1  # on the input sum and inside the layers
    tie: bool = True  # the output layer reuses the input table
    init_std: float | None = None  # table init std; None: 1/sqrt(D) (rows of norm ~1)
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
        # Token types (segments): BERT adds row 0 to every token of sentence A and row 1 to
        # every token of sentence B, so a pair "A [SEP] B" tells its two halves apart.
        self.token_type = (
            nn.Embedding(cfg.n_token_types, cfg.dim) if cfg.n_token_types else None
        )
        if self.token_type is not None:
            nn.init.normal_(self.token_type.weight, std=0.1)
        self.norm = nn.LayerNorm(cfg.dim) if cfg.layer_norm else nn.Identity()
        self.drop = nn.Dropout(cfg.dropout)

    def trace(
        self, ids: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Every step by name, in order; the last entry is what layer 1 receives.
        `token_type_ids` (B, T) defaults to all zeros (one segment)."""
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
        if self.token_type is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(ids)
            out["token_types"] = self.token_type(token_type_ids)  # (B, T, D)
            out["sum"] = out["sum"] + out["token_types"]
        elif token_type_ids is not None:
            raise ValueError("this input has no token-type table (n_token_types=0)")
        out["normed"] = self.norm(out["sum"])  # (B, T, D)
        out["dropped"] = self.drop(out["normed"])  # (B, T, D)
        return out

    def forward(
        self, ids: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.trace(ids, token_type_ids)["dropped"]


class TinyEncoder(nn.Module):
    """Token table + positions -> Transformer layers -> logits at every position, (B, T, V).

    Bidirectional: the logits at a [MASK] predict the hidden token. Causal
    (`cfg.causal`): the logits at position t predict token t + 1."""

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
        # BERT's MLM transform
        self.head = nn.Sequential(nn.Linear(cfg.dim, cfg.dim), nn.GELU(), nn.LayerNorm(cfg.dim))
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
        pad = ids == self.cfg.pad_id  # (B, T): never attended to
        if not self.cfg.causal:
            return self.layers(x, src_key_padding_mask=pad)  # (B, T, D)
        t = ids.shape[1]
        # (T, T), True above the diagonal = "may not attend": position t sees only <= t.
        future = causal_mask(t)
        return self.layers(x, mask=future, src_key_padding_mask=pad, is_causal=True)

    def forward(self, ids: torch.Tensor, out_table: torch.Tensor | None = None):
        h = self.head(self.hidden(ids))  # (B, T, D)
        w = self.output_table() if out_table is None else out_table
        return h @ w.T + self.out_bias  # (B, T, V)

    def loss(
        self, ids: torch.Tensor, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Masked: cross-entropy on the masked positions. Given only `ids`, masks them first
        (fresh masks every call, drawn from torch's global RNG, which `train` seeds).
        Causal: cross-entropy of predicting ids[:, t + 1] at every position t whose next
        token is real (not [PAD])."""
        if self.cfg.causal:
            if targets is not None:
                raise ValueError("a causal model's targets are its next tokens")
            ids, targets = next_token_targets(ids, self.cfg.pad_id)
        elif targets is None:
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


def causal_mask(t: int) -> torch.Tensor:
    """(T, T) bool, True where attention is forbidden: query t may not see keys > t."""
    return torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)


def next_token_targets(ids: torch.Tensor, pad_id: int):
    """(inputs, targets) for next-token training on padded rows: targets[:, t] is
    ids[:, t + 1], IGNORE where that is [PAD] and at the last position."""
    targets = torch.full_like(ids, IGNORE)  # (B, T)
    nxt = ids[:, 1:]  # (B, T-1)
    targets[:, :-1] = torch.where(nxt != pad_id, nxt, torch.full_like(nxt, IGNORE))
    return ids, targets


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
