"""MiniLM (all-MiniLM-L6-v2) run end to end in plain torch, from its safetensors file.

A BERT encoder, written out so that it can be read:

    input  = LayerNorm(word row + position row + token-type row)      (B, T, D)
    layer  = x -> LayerNorm(x + SelfAttention(x, padding mask))
               -> LayerNorm(x + W2 GELU(W1 x))                         x 6
    output = mean of the last layer's vectors over the real tokens, L2-normalized

Sizes, the LayerNorm epsilon and the activation are read from the folder's config.json, the
weights with `safetensors.safe_open` (never torch.load / pickle). Dropout is not written: it
is inactive at inference. The tests check every layer against `transformers`' BertModel and
the sentence vector against `sentence-transformers`, both loaded from the same folder.

What it deliberately does not do: train, truncate long inputs (more than the 512 positions
raises), use the unused `pooler.*` tensors, or run fast (no fused kernels, no caching of
keys and values).
"""

from __future__ import annotations

import json
from functools import cache

import torch
from torch.nn import functional as F

from .training import torch_threads

Text = str | tuple[str, str]  # one sentence, or a sentence pair (a, b)


@cache
def minilm_config() -> dict:
    """The model's config.json as a dict (hidden_size, num_attention_heads, ...)."""
    from .pretrained import minilm_dir

    return json.loads((minilm_dir() / "config.json").read_text(encoding="utf-8"))


@cache
def minilm_weights() -> dict[str, torch.Tensor]:
    """Every tensor of model.safetensors by name (read once, then cached)."""
    from safetensors import safe_open

    from .pretrained import minilm_dir

    with safe_open(str(minilm_dir() / "model.safetensors"), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)


def minilm_batch(texts: list[Text]) -> dict[str, torch.Tensor]:
    """Tokenize sentences or (a, b) pairs and pad them into (B, T) id tensors.

    A pair is encoded as [CLS] a [SEP] b [SEP], with token type 0 up to and including the
    first [SEP] and 1 after it. Padding uses id 0 ([PAD]), type 0 and mask 0.
    """
    from .pretrained import minilm_tokenizer

    if isinstance(texts, (str, tuple)):
        raise TypeError("pass a list of sentences (or of (a, b) pairs), not one")
    tok = minilm_tokenizer()
    encs = [tok.encode(*t) if isinstance(t, tuple) else tok.encode(t) for t in texts]
    T = max(len(e.ids) for e in encs)
    if T > minilm_config()["max_position_embeddings"]:
        raise ValueError(f"an input has {T} tokens; the model has 512 positions")
    out = {k: torch.zeros(len(encs), T, dtype=torch.long)
           for k in ("input_ids", "token_type_ids", "attention_mask")}
    for i, e in enumerate(encs):
        n = len(e.ids)
        out["input_ids"][i, :n] = torch.tensor(e.ids)
        out["token_type_ids"][i, :n] = torch.tensor(e.type_ids)
        out["attention_mask"][i, :n] = 1
    return out


def _layer_norm(x, w, name):
    eps = minilm_config()["layer_norm_eps"]
    return F.layer_norm(x, x.shape[-1:], w[f"{name}.weight"], w[f"{name}.bias"], eps)


def _linear(x, w, name):
    return F.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])


def minilm_embed(input_ids, token_type_ids, w=None) -> torch.Tensor:
    """The encoder's input: LayerNorm(word + position + token type), (B, T, D).

    No sqrt(D) factor (unlike the original Transformer); dropout would follow in training.
    """
    w = w or minilm_weights()
    T = input_ids.shape[1]
    x = (w["embeddings.word_embeddings.weight"][input_ids]  # (B, T, D)
         + w["embeddings.position_embeddings.weight"][:T]  # (T, D), broadcast over B
         + w["embeddings.token_type_embeddings.weight"][token_type_ids])  # (B, T, D)
    return _layer_norm(x, w, "embeddings.LayerNorm")


def _self_attention(x, mask, w, p):
    """Multi-head self-attention; padded positions are never attended to."""
    B, T, D = x.shape
    H = minilm_config()["num_attention_heads"]

    def heads(name):  # (B, T, D) -> (B, H, T, D/H)
        return _linear(x, w, f"{p}.attention.self.{name}").view(B, T, H, D // H) \
            .transpose(1, 2)

    q, k, v = heads("query"), heads("key"), heads("value")
    scores = q @ k.transpose(-1, -2) / (D // H) ** 0.5  # (B, H, T, T)
    scores = scores.masked_fill(~mask[:, None, None, :].bool(), float("-inf"))
    ctx = scores.softmax(dim=-1) @ v  # (B, H, T, D/H)
    ctx = ctx.transpose(1, 2).reshape(B, T, D)
    return _linear(ctx, w, f"{p}.attention.output.dense")


def minilm_layer(x, mask, i: int, w=None) -> torch.Tensor:
    """Encoder layer i (0-based): attention and feed-forward, each residual + LayerNorm."""
    w = w or minilm_weights()
    act = minilm_config()["hidden_act"]
    if act != "gelu":  # BERT's "gelu" is the exact (erf) GELU
        raise ValueError(f"this implementation knows GELU only, config says {act!r}")
    p = f"encoder.layer.{i}"
    x = _layer_norm(x + _self_attention(x, mask, w, p), w,
                    f"{p}.attention.output.LayerNorm")
    h = F.gelu(_linear(x, w, f"{p}.intermediate.dense"))  # (B, T, 4D)
    return _layer_norm(x + _linear(h, w, f"{p}.output.dense"), w,
                       f"{p}.output.LayerNorm")


def mean_pool(hidden, mask) -> torch.Tensor:
    """Mean of the vectors of the real tokens (mask 1), L2-normalized, (B, D)."""
    m = mask[..., None].to(hidden.dtype)  # (B, T, 1)
    mean = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
    return F.normalize(mean, dim=-1)


@torch.no_grad()
def minilm_forward(texts: list[Text]) -> dict:
    """Run all-MiniLM-L6-v2 on sentences (or (a, b) pairs) in plain torch.

    Returns `input_ids`, `token_type_ids`, `attention_mask` (B, T); `input_embeddings`
    (B, T, 384), after the embedding LayerNorm; `hidden_states`, 7 tensors (B, T, 384):
    the input and the output of each of the 6 layers; `sentence_embeddings` (B, 384), the
    masked mean of the last layer, L2-normalized (the model's pooling config says mean).

    Runs on one torch thread: for a few short sentences the matrices are small and more
    threads only add synchronisation (on a busy 2-core machine, 2 threads were 10x slower).
    """
    w = minilm_weights()
    batch = minilm_batch(texts)
    with torch_threads(1):
        x = minilm_embed(batch["input_ids"], batch["token_type_ids"], w)
        hidden = [x]
        for i in range(minilm_config()["num_hidden_layers"]):
            hidden.append(minilm_layer(hidden[-1], batch["attention_mask"], i, w))
    return {
        **batch,
        "input_embeddings": x,
        "hidden_states": hidden,
        "sentence_embeddings": mean_pool(hidden[-1], batch["attention_mask"]),
    }
