"""Checks for the exercises on the real encoder (all-MiniLM-L6-v2 run in plain torch).

Each check computes the reference with `embedlab.minilm` and recognises the usual slips:
the embedding LayerNorm left out, a sqrt(D) factor the model does not have, the token types
or positions forgotten, [CLS] instead of the mean, padding counted in the mean, the input
row where the contextual output was asked for. Hints never print the expected values.

What it deliberately does not do: accept answers from another model or tokenizer.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from ..minilm import (
    minilm_batch,
    minilm_config,
    minilm_embed,
    minilm_forward,
    minilm_weights,
)
from ..pretrained import minilm_tokenizer
from . import CheckError, as_array, guarded, passed


def _close(a, b, atol: float = 1e-4) -> bool:
    a, b = as_array(a), as_array(b)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol))


def _layer_norm(x: torch.Tensor) -> torch.Tensor:
    w = minilm_weights()
    return F.layer_norm(x, x.shape[-1:], w["embeddings.LayerNorm.weight"],
                        w["embeddings.LayerNorm.bias"],
                        minilm_config()["layer_norm_eps"])


def _close_or_hint(a, expected, name: str) -> None:
    """Like check_close, but the hint says where, never what the value should be."""
    if _close(a, expected):
        return
    e = as_array(expected)
    bad = ~np.isclose(a, e, atol=1e-4)
    rows = sorted({int(i) for i in np.argwhere(bad)[:, 0]})
    raise CheckError(f"{name} differs in {int(bad.sum())} of {e.size} numbers, in "
                     f"rows {rows[:5]}{' ...' if len(rows) > 5 else ''}: compare "
                     "those rows with the recipe step by step")


@guarded
def check_input_embeddings(answer, pair: tuple[str, str]) -> str:
    """LayerNorm(word + position + token type) for one sentence pair, (T, D)."""
    b = minilm_batch([pair])
    ids, types = b["input_ids"][0], b["token_type_ids"][0]  # (T,)
    w = minilm_weights()
    word = w["embeddings.word_embeddings.weight"][ids]  # (T, D)
    pos = w["embeddings.position_embeddings.weight"][: len(ids)]
    typ = w["embeddings.token_type_embeddings.weight"]
    expected = minilm_embed(ids[None], types[None])[0]
    a = as_array(answer, "input embeddings")
    if a.shape != tuple(expected.shape):
        raise CheckError(f"shape {a.shape}, expected {tuple(expected.shape)} = "
                         "(tokens of [CLS] a [SEP] b [SEP], dim): one vector per token")
    slips = {
        "the LayerNorm is missing: normalize the sum with embeddings.LayerNorm "
        "(its weight, bias and the config's eps)": word + pos + typ[types],
        "the word rows are multiplied by sqrt(D): BERT-style inputs have no such "
        "factor": _layer_norm(word * word.shape[1] ** 0.5 + pos + typ[types]),
        "every token got token type 0: the second sentence (after the first [SEP]) "
        "has type 1": _layer_norm(word + pos + typ[0]),
        "the token-type rows are missing: add token_type_embeddings[type_ids]":
            _layer_norm(word + pos),
        "the position rows are missing: add position_embeddings[:T]":
            _layer_norm(word + typ[types]),
    }
    for hint, wrong in slips.items():
        if _close(a, wrong) and not _close(a, expected):
            raise CheckError(hint)
    _close_or_hint(a, expected, "input embeddings")
    return passed("That is what MiniLM's first layer receives (dropout is off).")


@guarded
def check_mean_pool(answer, texts: list[str]) -> str:
    """The sentence vectors: masked mean of the last layer, L2-normalized, (B, D)."""
    out = minilm_forward(texts)
    last, mask = out["hidden_states"][-1], out["attention_mask"]
    expected = out["sentence_embeddings"]
    a = as_array(answer, "sentence vectors")
    if a.shape != tuple(expected.shape):
        raise CheckError(f"shape {a.shape}, expected {tuple(expected.shape)} = "
                         "(sentences, dim): average over the tokens axis (dim=1)")
    m = mask[..., None].float()
    slips = {
        "that is the [CLS] vector; this model's pooling config says mean over "
        "tokens": F.normalize(last[:, 0], dim=-1),
        "the padding positions are in the mean: weight by the attention mask and "
        "divide by the number of real tokens": F.normalize(last.mean(1), dim=-1),
        "that is the input layer: pool the last of the hidden states":
            F.normalize((out["input_embeddings"] * m).sum(1) / m.sum(1), dim=-1),
    }
    for hint, wrong in slips.items():
        if _close(a, wrong) and not _close(a, expected):
            raise CheckError(hint)
    if not _close(a, expected) and _close(F.normalize(torch.as_tensor(a), dim=-1),
                                          expected.double()):
        raise CheckError("the right directions, not normalized: divide each vector by "
                         "its L2 norm")
    _close_or_hint(a, expected, "sentence vectors")
    return passed("The same vectors sentence-transformers gives for this model.")


def _position(text: str, word: str) -> int:
    """Index of the first token `word` in the encoding of `text` ([CLS] is 0)."""
    tokens = minilm_batch([text])["input_ids"][0].tolist()
    wid = minilm_tokenizer().token_to_id(word)
    if wid is None or wid not in tokens:
        raise ValueError(f"{word!r} is not a whole token of {text!r}")
    return tokens.index(wid)


@guarded
def check_word_cosine(answer, s1: str, s2: str, word: str) -> str:
    """Cosine between the last-layer vectors of `word` in two sentences."""
    out = minilm_forward([s1, s2])
    p1, p2 = _position(s1, word), _position(s2, word)

    def cos(h):
        return float(F.cosine_similarity(h[0, p1], h[1, p2], dim=0))

    expected = cos(out["hidden_states"][-1])
    try:
        a = float(answer)
    except (TypeError, ValueError):
        raise CheckError("the answer is one number (a cosine), e.g. float(...)") from None
    if abs(a - expected) <= 1e-4:
        return passed("The same token, two contexts, two different output vectors.")
    if abs(a - 1.0) <= 1e-4:
        raise CheckError("a cosine of 1 means you compared the table rows (the same row "
                         "twice): use the last of the hidden states")
    if abs(a - cos(out["hidden_states"][0])) <= 1e-4:
        raise CheckError("that compares the input vectors (hidden_states[0]); the "
                         "contextual ones are the last layer's")
    s = out["sentence_embeddings"]
    if abs(a - float(s[0] @ s[1])) <= 1e-4:
        raise CheckError("that is the cosine of the two sentence vectors; take the "
                         f"vectors at the position of {word!r} in each sentence")
    if abs(a - float(out["hidden_states"][-1][0, p1] @ out["hidden_states"][-1][1, p2])) \
            <= 1e-4:
        raise CheckError("that is the dot product: divide by both vectors' norms")
    raise CheckError("not the cosine of the two last-layer vectors at the word's "
                     "positions: check the positions ([CLS] is position 0)")
