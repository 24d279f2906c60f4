"""Every exercise check against the slips of `embedlab.checks.slips.WRONG_ANSWERS`.

For each check: example inputs (small, seeded) and a right answer. Every listed slip
must be rejected with a `CheckError` whose message names the mistake (the slip's `hint`)
and does not show the expected value; the right answer must pass as float32 and float64,
NumPy array, list and tensor (where the answer is numbers).
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from embedlab.checks import CheckError
from embedlab.checks.mechanism import softmax_row_gradient
from embedlab.checks.slips import WRONG_ANSWERS
from embedlab.checks.slips.encoder import _layer1, _mini_cos, _nn, _rotation, _sin
from embedlab.checks.slips.tokens import _first_merge
from embedlab.minilm import minilm_batch, minilm_embed, minilm_forward
from embedlab.timing import mask_timings
from embedlab.vocab import Vocab
from embedlab.word2vec import skipgram_pairs


def _check(name: str):
    area, fn = name.split(".")
    return getattr(importlib.import_module(f"embedlab.checks.{area}"), fn)


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------- example inputs
def _tok():
    from embedlab.bpe import BPETokenizer

    return BPETokenizer.train("the cat sat on the mat  and  the   dog\n\n  ran " * 20, 300)


def _encoder_model():
    from embedlab.encoder import EncoderConfig, TinyEncoder

    torch.manual_seed(0)
    m = TinyEncoder(EncoderConfig(vocab_size=20, dim=8, max_len=6, n_heads=2,
                                  ff_dim=16)).eval()
    return m, torch.tensor([[1, 2, 3, 4], [5, 6, 7, 0]])


def _mlp():
    from embedlab.models import MLPLanguageModel

    torch.manual_seed(0)
    return MLPLanguageModel(10, dim=3, context=2, hidden=5), torch.tensor(
        [[1, 2], [3, 3], [0, 9], [4, 1]])


def _neighbour_table():
    t = torch.randn(12, 6, generator=_g(3))
    t[5] *= 20  # a long row: ranking by dot product differs from cosine
    return t, [f"w{i}" for i in range(12)], "w0", 4


def _vocab_case():
    from embedlab.vocab import Vocab

    train = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"],
             ["a", "cat", "and", "a", "dog"], ["the", "mat", "was", "red"]] * 3
    held = [["the", "bird", "sat", "bird"], ["a", "bird", "on", "the", "bird", "bird"],
            ["the", "bird", "was", "here", "bird", "bird"]]
    return Vocab.build(train, max_size=6 + 5), held, train


def _copied_case():
    old = 0.3 + 0.1 * torch.randn(8, 16, generator=_g(0))
    return (old, ["[PAD]", "[UNK]", "the", "cat", "dog", "sat", "on", "mat"],
            ["[PAD]", "[UNK]", "dragon", "cat", "the", "unicorn"])


def _copied_right(old, old_tokens, new_tokens):
    where = {t: i for i, t in enumerate(old_tokens)}
    mean, std = old.mean(0), old.std(0)
    g = _g(100)
    return torch.stack([old[where[t]] if t in where else mean + std * torch.randn(
        16, generator=g) for t in new_tokens])


def _sentences():
    return [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "ran"],
            ["a", "cat", "ran", "the"], ["the", "cat", "ran"]]


def _frames():
    g = np.random.default_rng(0)
    f0 = g.normal(size=(6, 2))
    return [f0 + 0.3 * k + g.normal(scale=0.1 * (k + 1), size=(6, 2)) for k in range(4)]


def _procrustes_case():
    rng = np.random.default_rng(0)
    from embedlab.transfer import random_orthogonal

    x = rng.normal(size=(30, 5))
    return x, x @ random_orthogonal(5, seed=1) + 0.05 * rng.normal(size=(30, 5))


def _svd_map(x, y):
    u, _, vt = np.linalg.svd(np.asarray(x).T @ np.asarray(y))
    return u @ vt


def _mechanism_tables():
    g = np.random.default_rng(0)
    before = g.normal(size=(5, 4))
    return before, before + g.normal(size=(5, 4)), ["a", "b", "c", "d", "e"], "a", "c"


def _update_cos(before, after, words, a, b):
    i, j = words.index(a), words.index(b)
    da, db = after[i] - before[i], after[j] - before[j]
    return float(da @ db / np.linalg.norm(da) / np.linalg.norm(db))


def _sppmi_counts():
    c = np.random.default_rng(0).poisson(3.0, size=(6, 5)).astype(float)
    c[0, 0] = c[2, 3] = 0
    return c, 2.0


def _sppmi(c, k):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(c * c.sum() / np.outer(c.sum(1), c.sum(0))) - np.log(k),
                          0)


def _sg_vectors():
    g = np.random.default_rng(0)
    return g.normal(size=4), g.normal(size=4), g.normal(size=(3, 4))


def _sgns_loss(v, up, un):
    s = 1 / (1 + np.exp(-(up @ v))), 1 / (1 + np.exp(un @ v))
    return float(-np.log(s[0]) - np.log(s[1]).sum())


def _heldout_case():
    g = np.random.default_rng(0)
    targets = g.normal(size=(20, 6))
    mapped = targets + g.normal(scale=1.2, size=(20, 6))
    return mapped, targets, np.arange(20) >= 12


def _heldout_right(mapped, targets, held):
    from embedlab.transfer import translation_ranks

    return float((translation_ranks(mapped, targets) == 0)[held].mean())


def _minilm_tok():
    from embedlab.pretrained import minilm_tokenizer

    return minilm_tokenizer()


def _minilm_input(pair):
    b = minilm_batch([pair])
    return minilm_embed(b["input_ids"], b["token_type_ids"])[0]


def _table_grad_right(params, ids, targets):
    from embedlab.gradients import manual_grads

    return manual_grads(params, ids, targets)["table"]


def _merge_text():
    return "hug hug pug pun bun hugs hug"


def _bigram_right(s, w, v):
    c = Counter(b for x in s for a, b in pairwise(x) if a == w)
    row = np.array([c[t] for t in v], dtype=float)
    return row / row.sum()


# name -> (inputs factory, right answer from the inputs, numeric forms?)
EXAMPLES = {
    "table.check_batch_shape": (lambda: ((3, 5), (40, 8)), lambda i, t: (3, 5, 8), False),
    "table.check_table_bytes": (lambda: (1000, 64, 2), lambda v, d, b: v * d * b, "int"),
    "table.check_lookup_fn": (lambda: (), lambda: lambda ids, t: F.one_hot(
        ids, t.shape[0]).float() @ t, False),
    "table.check_cosine_spread": (lambda: (384,), lambda d: d**-0.5, True),
    "table.check_init_std": (lambda: (0.02, (500, 16)), lambda s, shape: s * torch.randn(
        *shape, generator=_g(1)), True),
    "table.check_pair_cosines": (lambda: (), lambda: lambda t: (lambda u: (u @ u.T)[
        torch.triu_indices(len(t), len(t), 1).unbind()])(F.normalize(t, dim=1)), False),
    "table.check_row_grad": (
        lambda: (torch.tensor([[1, 2, 1], [0, 1, 3]]), torch.randn(6, 4, generator=_g()),
                 1),
        lambda ids, up, r: up[ids.flatten() == r].sum(0), True),
    "table.check_changed_rows": (lambda: (torch.tensor([[4, 7, 4], [2, 9, 9]]), 12),
                                 lambda ids, v: sorted(set(ids.flatten().tolist())),
                                 "int"),
    "table.check_table_grad": (lambda: (), lambda: _table_grad_right, False),
    "tokens.check_special_id": (lambda: ("[CLS]", _minilm_tok(), {"[CLS]": 2}),
                                lambda t, tk, o: tk.token_to_id(t), "int"),
    "tokens.check_coverage": (_vocab_case, lambda v, h, t: v.coverage(h), True),
    "tokens.check_encode_with_unk": (lambda: (), lambda: lambda tokens, itos: (
        lambda stoi: [stoi.get(t, stoi["[UNK]"]) for t in tokens])(
        {t: i for i, t in enumerate(itos)}), False),
    "tokens.check_first_merge": (lambda: (_merge_text(),),
                                 lambda text: _first_merge(
                                     text), False),
    "tokens.check_count_pairs": (lambda: (), lambda: lambda chunks: Counter({
        p: n for c, n in chunks.items() for p in pairwise(c)}) if False else
        sum((Counter({p: n}) for c, n in chunks.items() for p in pairwise(c)),
            Counter()), False),
    "tokens.check_encoder": (lambda: (_tok(),), lambda tok: lambda text, t: t.encode(text),
                             False),
    "tokens.check_tradeoff": (lambda: ([500, 1000, 2000, 4096], [1.9, 1.6, 1.4, 1.25], 32),
                              lambda s, pw, d: ((4096 - 1000) * d, 1.6 / 1.25), False),
    "encoder.check_layer1_input": (_encoder_model, lambda m, ids: _layer1(m, ids), True),
    "encoder.check_sinusoidal": (lambda: (10, 8), lambda n, d: _sin(n, d), True),
    "encoder.check_offset_rotation": (lambda: (3, 8), lambda k, d: _rotation(k, d), True),
    "encoder.check_temperature_probs": (lambda: (torch.tensor([[2.0, 0.5, -1.0, 0.1]]),
                                                 0.5),
                                        lambda z, t: torch.softmax(z / t, -1), True),
    "encoder.check_tied_saving": (lambda: (1000, 64), lambda v, d: v * d, "int"),
    "encoder.check_tied_gradient": (lambda: (torch.randn(5, 3, generator=_g(1)),
                                             torch.randn(5, 3, generator=_g(2))),
                                    lambda gi, go: gi + go, True),
    "encoder.check_neighbours": (_neighbour_table, lambda t, toks, q, k: _nn(t, toks, q, k), False),
    "encoder.check_procrustes": (_procrustes_case, _svd_map, True),
    "encoder.check_drift": (lambda: (np.random.default_rng(0).normal(size=(6, 4)),
                                     np.random.default_rng(1).normal(size=(6, 4))),
                            lambda b, a: np.linalg.norm(a - b, axis=1), True),
    "encoder.check_copied_rows": (_copied_case, _copied_right, True),
    "encoder.check_row_norms": (lambda: (np.random.default_rng(0).normal(size=(6, 4)),),
                                lambda t: np.linalg.norm(t, axis=1), True),
    "learning.check_bigram_row": (lambda: (_sentences(), "the",
                                           ["the", "cat", "sat", "dog", "mat", "ran", "a"]),
                                  _bigram_right, True),
    "learning.check_gradient_rows": (lambda: (torch.tensor([[1, 2], [2, 5], [7, 1]]),
                                              torch.tensor([3, 0, 8]), 10),
                                     lambda i, t, v: sorted(set(i.flatten().tolist())),
                                     "int"),
    "learning.check_mlp_logits": (_mlp, lambda m, ids: m(ids).detach(), True),
    "learning.check_skipgram_pairs": (lambda: (["a", "b", "c", "d", "e", "f"], 2),
                                      lambda toks, w: skipgram_pairs(toks, w), False),
    "learning.check_cbow_input": (lambda: (np.random.default_rng(0).normal(size=(8, 5)),
                                           [1, 3, 4]),
                                  lambda t, ids: t[ids].mean(0), True),
    "learning.check_ns_loss": (_sg_vectors, _sgns_loss, True),
    "learning.check_displacement": (lambda: (_frames(),), lambda fr: float(np.mean(
        [np.linalg.norm(b - a, axis=1) for a, b in pairwise(fr)])), True),
    "learning.check_procrustes": (_procrustes_case, _svd_map, True),
    "learning.check_first_step": (lambda: ([0, 10, 20, 30, 40], [0.1, 0.2, 0.5, 0.6, 0.7],
                                           0.4), lambda s, v, th: 20, "int"),
    "mechanism.check_update_cosine": (_mechanism_tables, _update_cos, True),
    "mechanism.check_softmax_row_gradient": (
        lambda: (np.random.default_rng(0).normal(size=(6, 4)),
                 np.random.default_rng(1).normal(size=4), [1, 3, 3]),
        lambda u, r, c: softmax_row_gradient(u, r, c), True),
    "mechanism.check_sppmi": (_sppmi_counts, _sppmi, True),
    "minilm.check_input_embeddings": (lambda: (("Dogs bark.", "Cats meow."),),
                                      _minilm_input, True),
    "minilm.check_mean_pool": (lambda: (["Short one.", "A somewhat longer sentence."],),
                               lambda t: minilm_forward(t)["sentence_embeddings"], True),
    "minilm.check_word_cosine": (lambda: ("the bat flew out of the dark cave",
                                          "he swung the bat and hit the ball", "bat"),
                                 lambda a, b, w: _mini_cos(
                                     a, b, w, "right"), True),
    "overview.check_row_of": (lambda: (Vocab.build(_sentences()), "cat"),
                              lambda v, w: v[w], "int"),
    "overview.check_chance_purity": (lambda: (["a"] * 5 + ["b"] * 3 + ["c"] * 2,),
                                     lambda lab: 28 / 90, True),
    "overview.check_structure_emerged": (lambda: (["a"] * 5 + ["b"] * 5, 0.6),
                                         lambda lab, high: 0.8, True),
    "performance.check_ratio": (lambda: (370_000.0, 450_000.0), lambda o, r: o / r, True),
    "performance.check_words_per_second": (lambda: (60_000, 5, 2.5, 4000),
                                           lambda n, e, s, v: n * e / s, True),
    "performance.check_timing_mask": (lambda: (), lambda: mask_timings, False),
    "reuse.check_word_row": (lambda: ("philosphy", np.random.default_rng(0).normal(
        size=(_minilm_tok().get_vocab_size(), 4)), _minilm_tok()),
        lambda w, t, tk: t[tk.encode(w, add_special_tokens=False).ids].mean(0), True),
    "reuse.check_decayed_norm": (lambda: (3.0, 0.02, 0.1, 50),
                                 lambda n0, lr, wd, s: n0 * (1 - lr * wd) ** s, True),
    "reuse.check_heldout_precision": (_heldout_case, _heldout_right, True),
    "word2vec.check_keep_probability": (lambda: (5000.0, 1e6, 1e-3), lambda c, n, s: min(
        1.0, (math.sqrt(c / (s * n)) + 1) * s * n / c), True),
    "word2vec.check_skipgram_pairs": (lambda: (["a", "b", "c", "d", "e"], [1, 3, 2, 1, 2]),
                                      lambda toks, b: skipgram_pairs(toks, b), False),
    "word2vec.check_sgns_loss": (_sg_vectors, _sgns_loss, True),
    "word2vec.check_sgns_grad_v": (_sg_vectors, lambda v, up, un: (
        1 / (1 + np.exp(-(up @ v))) - 1) * up + (1 / (1 + np.exp(-(un @ v))))[:, None]
        .__mul__(un).sum(0), True),
}

# Slips that show only on other inputs than the example's
SLIP_INPUTS = {
    # a rare word: its raw keep value is above 1
    ("word2vec.check_keep_probability", "not capped at 1"): lambda: (800.0, 1e6, 1e-3),
}

MINILM = ("minilm.", "reuse.check_word_row", "tokens.check_special_id")


def _needs_minilm(name: str) -> bool:
    return name.startswith(MINILM)


def _forms(value):
    """The right answer as float32 and float64, ndarray, list and tensor."""
    a = np.asarray(value.detach() if hasattr(value, "detach") else value,
                   dtype=np.float64)
    return {"float64 ndarray": a, "float32 ndarray": a.astype(np.float32),
            "list": a.tolist(), "float32 tensor": torch.tensor(a, dtype=torch.float32),
            "float64 tensor": torch.tensor(a)}


def _secrets(value) -> list[str]:
    """How a message would print the expected value (scalars and big ints only)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        return []
    if isinstance(value, int):
        return [str(value), f"{value:,}"] if abs(value) >= 100 else []
    x = float(value)
    if x in (0.0, 1.0):
        return []
    return sorted({f"{x:.{d}f}" for d in (3, 4, 6)} | {f"{x:.4g}", f"{x:.6g}", repr(x),
                                                        f"{x:.1%}"})


def test_every_check_has_slips_and_an_example():
    import embedlab.checks as pkg

    names = set()
    for area in ("encoder", "learning", "mechanism", "minilm", "overview", "performance",
                 "reuse", "table", "tokens", "word2vec"):
        mod = importlib.import_module(f"embedlab.checks.{area}")
        names |= {f"{area}.{n}" for n in dir(mod) if n.startswith("check_")
                  and getattr(getattr(mod, n), "__module__", "") == mod.__name__}
    assert pkg  # the base module's own checks are covered by test_checks_base.py
    assert names == set(WRONG_ANSWERS) == set(EXAMPLES), (
        names ^ set(WRONG_ANSWERS), names ^ set(EXAMPLES))
    assert all(len(v) >= 2 for v in WRONG_ANSWERS.values())


CASES = [(name, i) for name, slips in WRONG_ANSWERS.items() for i in range(len(slips))]


@pytest.mark.parametrize(("name", "i"), CASES,
                         ids=[f"{n}-{WRONG_ANSWERS[n][i].description}" for n, i in CASES])
def test_slip_is_rejected_with_its_hint(name, i):
    if _needs_minilm(name):
        pytest.importorskip("tokenizers")
    slip = WRONG_ANSWERS[name][i]
    make_inputs, right, _ = EXAMPLES[name]
    inputs = SLIP_INPUTS.get((name, slip.description), make_inputs)()
    wrong = slip.make(*inputs)
    with pytest.raises(CheckError) as err:
        _check(name)(wrong, *inputs)
    msg = str(err.value)
    assert slip.hint.lower() in msg.lower(), f"{slip.description}: {msg}"
    for shown in _secrets(right(*inputs)):
        assert shown not in msg, f"{msg!r} reveals {shown!r}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_right_answer_passes_in_every_form(name):
    make_inputs, right, numeric = EXAMPLES[name]
    inputs = make_inputs()
    answer = right(*inputs)
    forms = {"as is": answer}
    if numeric == "int":  # ids and counts: a NumPy or torch integer is as good as an int
        forms |= {"numpy": np.asarray(answer), "tensor": torch.tensor(answer)}
    elif numeric:
        forms = _forms(answer)
    for form, value in forms.items():
        assert _check(name)(value, *inputs).startswith("Correct."), form


BAD_KINDS = {"None": None, "a str": "abc", "a vector": np.zeros(3),
             "a matrix": np.zeros((2, 3)), "an empty list": []}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_an_answer_of_the_wrong_kind_gets_a_check_error(name):
    """None, a str, an array where one number is asked, a value where a function is
    asked: a CheckError with a hint, never a raw TypeError or ValueError."""
    inputs = EXAMPLES[name][0]()
    for kind, answer in BAD_KINDS.items():
        with pytest.raises(CheckError) as err:
            _check(name)(answer, *inputs)
        if kind == "None":
            assert "forget to `return`" in str(err.value)
