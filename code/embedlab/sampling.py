"""Writing text with a trained model: draw the next token, append it, repeat.

`sample(model, prompt, n_tokens, temperature=..., seed=...)` works for any model whose
forward pass turns a batch of contexts (1, C) into next-token logits, either (1, V) (the
bigram and MLP language models of `embedlab.models`) or one row per position (1, C, V)
(a causal transformer: `embedlab.encoder.TinyEncoder` with `causal=True` in its
config), of which the last position is the prediction. The model reads at most
`context` previous ids; a model trained on a fixed number of [BOS]-padded ids gets its
history left-padded with `fill_id`.

Temperature divides the logits before the softmax: 1 samples the model's own distribution,
below 1 sharpens it towards the most likely token, 0 is greedy (always the argmax).

What it deliberately does not do: beam search, top-k / nucleus filtering, batching of many
samples, or key-value caching (each step reruns the model on the whole context: fine for the
book's models, which read a handful of ids).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """softmax(logits / temperature) over the last axis; temperature 0 puts all the
    mass on the argmax (the first one, if several tie)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        out = torch.zeros_like(logits, dtype=torch.float32)
        return out.scatter_(-1, logits.argmax(-1, keepdim=True), 1.0)
    return torch.softmax(logits.float() / temperature, dim=-1)


def _default_context(model: torch.nn.Module) -> int | None:
    """How many previous ids the model reads: its `context` (MLP language model), its
    config's `max_len` (transformer), or None (any number: the bigram model)."""
    if isinstance(getattr(model, "context", None), int):
        return model.context
    cfg = getattr(model, "cfg", None)
    return getattr(cfg, "max_len", None)


def sample(
    model: torch.nn.Module,
    prompt: Sequence[int],
    n_tokens: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    context: int | None = None,
    fill_id: int | None = None,
    stop_ids: Sequence[int] = (),
) -> list[int]:
    """Extend `prompt` (a list of ids) by up to `n_tokens` drawn ids; return the new ids.

    temperature: see the module docstring (0 = greedy).
    seed: the draws come from a private generator seeded with it (same seed, same text).
    context: ids the model reads per step (default: `model.context`, `model.cfg.max_len`
        or everything); the history is cut to its last `context` ids.
    fill_id: if given and the history is shorter than `context`, it is left-padded with
        this id (use [BOS] for models trained on [BOS]-padded contexts).
    stop_ids: stop right after drawing one of these (e.g. [EOS]); it is included.
    """
    if n_tokens < 0:
        raise ValueError(f"n_tokens must be >= 0, got {n_tokens}")
    context = _default_context(model) if context is None else context
    if context is not None and context < 1:
        raise ValueError(f"context must be at least 1, got {context}")
    gen = torch.Generator().manual_seed(seed)
    history = [int(i) for i in prompt]
    new: list[int] = []
    was_training = model.training
    model.eval()  # no dropout while writing
    try:
        with torch.no_grad():
            for _ in range(n_tokens):
                window = history if context is None else history[-context:]
                if fill_id is not None and context is not None:
                    window = [fill_id] * (context - len(window)) + window
                if not window:
                    raise ValueError("empty prompt: give a first id or a fill_id")
                logits = model(torch.tensor([window]))  # (1, V) or (1, C, V)
                if logits.dim() == 3:
                    logits = logits[:, -1]  # the prediction after the last id, (1, V)
                probs = next_token_probs(logits[0], temperature)  # (V,)
                nxt = int(torch.multinomial(probs, 1, generator=gen))
                history.append(nxt)
                new.append(nxt)
                if nxt in stop_ids:
                    break
    finally:
        model.train(was_training)
    return new
