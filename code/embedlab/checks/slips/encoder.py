"""Slips for the encoder's input, pretrained tables and MiniLM (checks.encoder,
checks.minilm); see `embedlab.checks.slips`."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from .base import Slip, _a


# ------------------------------------------------------------------ encoder
def _layer1(model, ids, *, scale=None, pos=True, norm=True, scale_pos=False):
    cfg = model.cfg
    with torch.no_grad():
        rows = model.embedding(ids)  # (B, T, D)
        p = model.input.position[: ids.shape[1]] if pos else 0.0
        if model.input.token_type is not None and pos:
            p = p + model.input.token_type.weight[0]
        f = math.sqrt(cfg.dim) if (cfg.scale if scale is None else scale) else 1.0
        x = f * (rows + p) if scale_pos else f * rows + p
        return model.input.norm(x) if norm else x


def _sin(n, dim, swap=False, exp_i=False):
    p = np.arange(n)[:, None]
    i = np.arange(dim // 2)
    w = 1 / 10000 ** ((i if exp_i else 2 * i) / dim)
    out = np.zeros((n, dim))
    out[:, 0::2], out[:, 1::2] = (np.cos(p * w), np.sin(p * w)) if swap else (
        np.sin(p * w), np.cos(p * w))
    return out


def _rotation(k, dim):
    from ...encoder import offset_rotation

    return offset_rotation(k, dim).double().numpy()


ENCODER = {
    "encoder.check_layer1_input": [
        Slip("positions missing", lambda m, ids: _layer1(m, ids, pos=False),
             "positions are missing"),
        Slip("positions scaled too", lambda m, ids: _layer1(m, ids, scale=True,
                                                            scale_pos=True),
             "scaled the positions"),
        Slip("sqrt(D) where the recipe has none (or missing)", lambda m, ids: _layer1(
            m, ids, scale=not m.cfg.scale), "sqrt(D)"),
        Slip("LayerNorm missing", lambda m, ids: _layer1(m, ids, norm=False),
             "LayerNorm"),
    ],
    "encoder.check_sinusoidal": [
        Slip("transposed", lambda n, d: _sin(n, d).T, "transposed"),
        Slip("sin and cos swapped", lambda n, d: _sin(n, d, swap=True), "swapped"),
        Slip("exponent i/D", lambda n, d: _sin(n, d, exp_i=True), "exponent"),
    ],
    "encoder.check_offset_rotation": [
        Slip("transposed (moves back)", lambda k, d: _rotation(k, d).T, "transposed"),
        Slip("one step, not k", lambda k, d: _rotation(1, d), "one place"),
        Slip("sines on the diagonal", lambda k, d: _rotation(k, d)[:, ::-1].copy(),
             "PE[p] @ R is not PE[p + k]"),
    ],
    "encoder.check_temperature_probs": [
        Slip("multiplied by T", lambda z, t: torch.softmax(torch.as_tensor(
            _a(z)) * t, -1), "do not multiply"),
        Slip("temperature missing", lambda z, t: torch.softmax(torch.as_tensor(
            _a(z)), -1), "temperature is missing"),
        Slip("no softmax", lambda z, t: torch.as_tensor(_a(z)) / t, "sum to 1"),
    ],
    "encoder.check_tied_saving": [
        Slip("two tables", lambda v, d: 2 * v * d, "one table, not two"),
        Slip("the bias counted", lambda v, d: v * d + v, "bias"),
        Slip("V + D", lambda v, d: v + d, "not the saving"),
    ],
    "encoder.check_tied_gradient": [
        Slip("input side only", lambda gi, go: gi, "only the input side"),
        Slip("output side only", lambda gi, go: go, "only the output side"),
        Slip("the two averaged", lambda gi, go: (_a(gi) + _a(go)) / 2, "average"),
        Slip("output minus input", lambda gi, go: _a(go) - _a(gi), "do not subtract"),
    ],
    "encoder.check_neighbours": [
        Slip("ids, not tokens", lambda t, toks, q, k: _nn(t, toks, q, k, ids=True),
             "these are ids"),
        Slip("the query included", lambda t, toks, q, k: [q, *_nn(t, toks, q, k)[:-1]],
             "leave it out"),
        Slip("ranked by dot product", lambda t, toks, q, k: _nn(t, toks, q, k, dot=True),
             "dot product"),
        Slip("least similar first", lambda t, toks, q, k: _nn(t, toks, q, k)[::-1],
             "wrong order"),
        Slip("one too few", lambda t, toks, q, k: _nn(t, toks, q, k)[:-1],
             "give"),
        Slip("similarity values", lambda t, toks, q, k: torch.ones(k) * 0.5,
             "similarity values"),
        Slip("one string", lambda t, toks, q, k: " ".join(_nn(t, toks, q, k)),
             "not one str"),
    ],
    "encoder.check_procrustes": [
        Slip("transposed", lambda x, y: _procrustes(x, y).T, "transposed"),
        Slip("least squares", lambda x, y: np.linalg.lstsq(_a(x), _a(y), rcond=None)[0],
             "least-squares"),
        Slip("singular values kept", lambda x, y: (lambda u, s, vt: u * s @ vt)(
            *np.linalg.svd(_a(x).T @ _a(y))), "not orthogonal"),
    ],
    "encoder.check_drift": [
        Slip("per column", lambda b, a: np.linalg.norm(_a(a) - _a(b), axis=0),
             "per column"),
        Slip("squared distances", lambda b, a: (np.linalg.norm(_a(a) - _a(b), axis=1)
                                                ** 2), "squared"),
        Slip("change of length", lambda b, a: np.linalg.norm(_a(a), axis=1)
             - np.linalg.norm(_a(b), axis=1), "change of length"),
    ],
    "encoder.check_copied_rows": [
        Slip("fresh rows at std 1", lambda o, ot, nt: _copied(o, ot, nt, "randn"),
             "far more spread out"),
        Slip("fresh rows all the mean", lambda o, ot, nt: _copied(o, ot, nt, "mean"),
             "mean row"),
        Slip("fresh rows copy [UNK]", lambda o, ot, nt: _copied(o, ot, nt, "unk"),
             "copy of old row"),
        Slip("fresh rows of 1e6", lambda o, ot, nt: _copied(o, ot, nt, "1e6"),
             "same vector"),
        Slip("fresh rows at std 1e6", lambda o, ot, nt: _copied(o, ot, nt, "wide"),
             "far more spread out"),
        Slip("fresh rows zero", lambda o, ot, nt: _copied(o, ot, nt, "zeros"),
             "all zeros"),
        Slip("fresh rows barely spread", lambda o, ot, nt: _copied(o, ot, nt, "tiny"),
             "less spread out"),
        Slip("rows copied by position", lambda o, ot, nt: _copied(o, ot, nt, "position"),
             "by token, not by position"),
    ],
    "encoder.check_row_norms": [
        Slip("per column", lambda t: np.linalg.norm(_a(t), axis=0), "per column"),
        Slip("squared", lambda t: (_a(t) ** 2).sum(1), "squared"),
        Slip("L1", lambda t: np.abs(_a(t)).sum(1), "L1"),
    ],
}


def _nn(table, tokens, query, k, dot=False, ids=False):
    w = torch.as_tensor(_a(table))
    q = list(tokens).index(query)
    s = w @ w[q] if dot else F.cosine_similarity(w, w[q][None], dim=1)
    order = [int(i) for i in torch.argsort(s, descending=True) if int(i) != q][:k]
    return torch.tensor(order) if ids else [tokens[i] for i in order]


def _procrustes(x, y):
    u, _, vt = np.linalg.svd(_a(x).T @ _a(y))
    return u @ vt


def _copied(old, old_tokens, new_tokens, how):
    old = _a(old)
    g = np.random.default_rng(1)
    where = {t: i for i, t in enumerate(old_tokens)}
    mean, std = old.mean(0), old.std(0, ddof=1)
    if how == "position":
        out = old[: len(new_tokens)].copy()
        for i, t in enumerate(new_tokens):
            if t not in where:
                out[i] = mean + std * g.standard_normal(old.shape[1])
        return out
    fresh = {"randn": lambda: g.standard_normal(old.shape[1]),
             "mean": lambda: mean.copy(), "unk": lambda: old[where["[UNK]"]].copy(),
             "1e6": lambda: np.full(old.shape[1], 1e6),
             "wide": lambda: 1e6 * g.standard_normal(old.shape[1]),
             "zeros": lambda: np.zeros(old.shape[1]),
             "tiny": lambda: mean + 1e-3 * std * g.standard_normal(old.shape[1])}[how]
    return np.stack([old[where[t]] if t in where else fresh() for t in new_tokens])


# ------------------------------------------------------------------ minilm
def _mini_input(pair, how):
    from ...minilm import minilm_batch, minilm_config, minilm_weights

    b = minilm_batch([pair])
    ids, types = b["input_ids"][0], b["token_type_ids"][0]
    w = minilm_weights()
    word = w["embeddings.word_embeddings.weight"][ids]
    pos = w["embeddings.position_embeddings.weight"][: len(ids)]
    typ = w["embeddings.token_type_embeddings.weight"]
    parts = {"no norm": word + pos + typ[types], "no types": word + pos,
             "types 0": word + pos + typ[0], "no positions": word + typ[types],
             "sqrt": word * word.shape[1] ** 0.5 + pos + typ[types]}
    x = parts[how]
    if how == "no norm":
        return x
    return F.layer_norm(x, x.shape[-1:], w["embeddings.LayerNorm.weight"],
                        w["embeddings.LayerNorm.bias"], minilm_config()["layer_norm_eps"])


def _mini_pool(texts, how):
    from ...minilm import minilm_forward

    out = minilm_forward(texts)
    last, m = out["hidden_states"][-1], out["attention_mask"][..., None].float()
    return {"cls": F.normalize(last[:, 0], dim=-1),
            "padding": F.normalize(last.mean(1), dim=-1),
            "input": F.normalize((out["input_embeddings"] * m).sum(1) / m.sum(1), dim=-1),
            "unnormalized": (last * m).sum(1) / m.sum(1)}[how]


def _mini_cos(s1, s2, word, how):
    from ...minilm import minilm_forward
    from ..minilm import _position

    out = minilm_forward([s1, s2])
    p1, p2 = _position(s1, word), _position(s2, word)
    h = out["hidden_states"][0 if how == "input" else -1]
    if how == "sentences":
        s = out["sentence_embeddings"]
        return float(s[0] @ s[1])
    if how == "dot":
        return float(h[0, p1] @ h[1, p2])
    if how == "table":
        return 1.0
    return float(F.cosine_similarity(h[0, p1], h[1, p2], dim=0))


MINILM = {
    "minilm.check_input_embeddings": [
        Slip("LayerNorm missing", lambda p: _mini_input(p, "no norm"), "LayerNorm"),
        Slip("token types missing", lambda p: _mini_input(p, "no types"),
             "token-type rows are missing"),
        Slip("all token types 0", lambda p: _mini_input(p, "types 0"), "type 1"),
        Slip("positions missing", lambda p: _mini_input(p, "no positions"),
             "position rows are missing"),
        Slip("sqrt(D) factor", lambda p: _mini_input(p, "sqrt"), "sqrt(D)"),
    ],
    "minilm.check_mean_pool": [
        Slip("[CLS] vector", lambda t: _mini_pool(t, "cls"), "[CLS]"),
        Slip("padding in the mean", lambda t: _mini_pool(t, "padding"), "padding"),
        Slip("the input layer pooled", lambda t: _mini_pool(t, "input"), "input layer"),
        Slip("not normalized", lambda t: _mini_pool(t, "unnormalized"), "normalized"),
    ],
    "minilm.check_word_cosine": [
        Slip("the table rows", lambda a, b, w: _mini_cos(a, b, w, "table"),
             "table rows"),
        Slip("the input vectors", lambda a, b, w: _mini_cos(a, b, w, "input"),
             "input vectors"),
        Slip("the sentence vectors", lambda a, b, w: _mini_cos(a, b, w, "sentences"),
             "sentence vectors"),
        Slip("the dot product", lambda a, b, w: _mini_cos(a, b, w, "dot"),
             "dot product"),
    ],
}
