"""embedlab.checks.minilm: right answers pass; each plausible wrong answer gets its own
hint, and no hint prints the expected numbers."""

from __future__ import annotations

import re

import pytest
import torch
from torch.nn import functional as F

from embedlab.checks import CheckError
from embedlab.checks.minilm import (
    check_input_embeddings,
    check_mean_pool,
    check_word_cosine,
)
from embedlab.minilm import minilm_config, minilm_weights
from embedlab.pretrained import minilm_forward, minilm_tokenizer

PAIR = ("Dogs bark.", "Cats meow.")
TEXTS = ["Short one.", "A somewhat longer sentence than the first.", "Mid length."]
S1, S2 = "the bat flew out of the dark cave", "he swung the bat and hit the ball"


def _hint(fn, *args) -> str:
    with pytest.raises(CheckError) as info:
        fn(*args)
    return str(info.value)


def _no_numbers(hint: str, values) -> None:
    """The hint does not contain any of the expected values to 3 decimals."""
    for v in values:
        assert f"{v:.3f}" not in hint, hint


def test_input_embeddings_right_and_slips():
    w, eps = minilm_weights(), minilm_config()["layer_norm_eps"]
    e = minilm_tokenizer().encode(*PAIR)
    ids, types = torch.tensor(e.ids), torch.tensor(e.type_ids)
    word = w["embeddings.word_embeddings.weight"][ids]
    pos = w["embeddings.position_embeddings.weight"][: len(ids)]
    typ = w["embeddings.token_type_embeddings.weight"]
    ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)

    def norm(x):
        return F.layer_norm(x, (384,), *ln)

    right = norm(word + pos + typ[types])
    assert check_input_embeddings(right, PAIR).startswith("Correct")
    assert "LayerNorm is missing" in _hint(
        check_input_embeddings, word + pos + typ[types], PAIR)
    assert "sqrt(D)" in _hint(
        check_input_embeddings, norm(word * 384**0.5 + pos + typ[types]), PAIR)
    assert "type 1" in _hint(check_input_embeddings, norm(word + pos + typ[0]), PAIR)
    assert "token-type rows are missing" in _hint(
        check_input_embeddings, norm(word + pos), PAIR)
    assert "position rows are missing" in _hint(
        check_input_embeddings, norm(word + typ[types]), PAIR)
    assert "shape" in _hint(check_input_embeddings, right[1:], PAIR)
    other = _hint(check_input_embeddings, right + 0.01, PAIR)
    assert "differs" in other and not re.search(r"\d\.\d{3}", other), other


def test_mean_pool_right_and_slips():
    out = minilm_forward(TEXTS)
    last, mask = out["hidden_states"][-1], out["attention_mask"][..., None].float()
    mean = (last * mask).sum(1) / mask.sum(1)
    assert check_mean_pool(F.normalize(mean, dim=-1), TEXTS).startswith("Correct")
    assert check_mean_pool(out["sentence_embeddings"], TEXTS).startswith("Correct")
    assert "[CLS]" in _hint(check_mean_pool, F.normalize(last[:, 0], dim=-1), TEXTS)
    assert "padding" in _hint(check_mean_pool, F.normalize(last.mean(1), dim=-1), TEXTS)
    assert "not normalized" in _hint(check_mean_pool, mean, TEXTS)
    assert "not normalized" in _hint(check_mean_pool, (last * mask).sum(1), TEXTS)
    inp = out["input_embeddings"]
    assert "input layer" in _hint(
        check_mean_pool, F.normalize((inp * mask).sum(1) / mask.sum(1), dim=-1), TEXTS)
    assert "shape" in _hint(check_mean_pool, mean.T, TEXTS)


def test_word_cosine_right_and_slips():
    out = minilm_forward([S1, S2])
    bat = minilm_tokenizer().token_to_id("bat")
    p1, p2 = (out["input_ids"][i].tolist().index(bat) for i in range(2))

    def cos(h):
        return F.cosine_similarity(h[0, p1], h[1, p2], dim=0).item()

    right = cos(out["hidden_states"][-1])
    assert check_word_cosine(right, S1, S2, "bat").startswith("Correct")
    s = out["sentence_embeddings"]
    h = out["hidden_states"][-1]
    wrong = {
        "table rows": 1.0,
        "hidden_states[0]": cos(out["hidden_states"][0]),
        "sentence vectors": (s[0] @ s[1]).item(),
        "dot product": (h[0, p1] @ h[1, p2]).item(),
        "positions": cos(out["hidden_states"][-2]),  # any other wrong number
    }
    for expected_words, value in wrong.items():
        hint = _hint(check_word_cosine, value, S1, S2, "bat")
        assert expected_words in hint, (expected_words, hint)
        _no_numbers(hint, [right])
        assert not re.search(r"\d\.\d{3}", hint), hint
    assert "one number" in _hint(check_word_cosine, [right], S1, S2, "bat")
    with pytest.raises(ValueError):
        check_word_cosine(right, S1, S2, "cave-dweller")
