"""embedlab.sampling: temperature against the softmax formula, draws against their
probabilities, contexts cut and padded as the models were trained, seeds reproducible."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from embedlab.models import BigramModel, MLPLanguageModel
from embedlab.sampling import next_token_probs, sample


def _chain_bigram(v: int = 6) -> BigramModel:
    """Row i puts a large logit on (i + 1) % v: greedy decoding counts upwards."""
    m = BigramModel(v)
    with torch.no_grad():
        for i in range(v):
            m.embedding.weight[i, (i + 1) % v] = 10.0
    return m


class _Spy(nn.Module):
    """Records the contexts it is given; returns per-position logits (1, C, V) whose
    last position always prefers id 3, and whose other positions prefer id 1."""

    def __init__(self, v: int = 5):
        super().__init__()
        self.v, self.seen = v, []

    def forward(self, ids):
        self.seen.append(ids[0].tolist())
        out = torch.zeros(ids.shape[0], ids.shape[1], self.v)
        out[:, :, 1] = 50.0
        out[:, -1, 1] = 0.0
        out[:, -1, 3] = 50.0
        return out


def test_probs_match_the_formula_by_hand():
    logits = torch.tensor([1.0, 2.0, 0.0])
    for t in (0.5, 1.0, 2.0):
        e = [math.exp(x / t) for x in (1.0, 2.0, 0.0)]
        expected = torch.tensor([x / sum(e) for x in e])
        assert torch.allclose(next_token_probs(logits, t), expected, atol=1e-6)
    assert next_token_probs(logits, 0).tolist() == [0.0, 1.0, 0.0]


def test_lower_temperature_sharpens():
    logits = torch.tensor([1.0, 2.0, 0.0])
    top = [next_token_probs(logits, t)[1].item() for t in (2.0, 1.0, 0.5, 0.1)]
    assert top == sorted(top) and top[-1] > 0.99


def test_negative_temperature_and_counts_are_rejected():
    with pytest.raises(ValueError, match="temperature"):
        next_token_probs(torch.zeros(3), -1.0)
    with pytest.raises(ValueError, match="n_tokens"):
        sample(_chain_bigram(), [0], -1)


def test_greedy_follows_the_chain():
    assert sample(_chain_bigram(), [2], 5, temperature=0) == [3, 4, 5, 0, 1]


def test_draw_frequencies_match_the_probabilities():
    m = BigramModel(3)
    with torch.no_grad():
        m.embedding.weight[0] = torch.tensor([0.0, 1.0, 2.0])
    t, n = 1.5, 3000
    p = next_token_probs(m.embedding.weight[0].detach(), t)
    counts = torch.zeros(3)
    for s in range(n):
        counts[sample(m, [0], 1, temperature=t, seed=s)[0]] += 1
    sd = torch.sqrt(n * p * (1 - p))  # binomial standard deviation of each count
    assert ((counts - n * p).abs() < 4 * sd).all(), (counts / n, p)


def test_same_seed_same_text_other_seed_other_text():
    m = BigramModel(20)  # zero table: uniform draws
    a = sample(m, [0], 30, seed=1)
    assert a == sample(m, [0], 30, seed=1)
    assert a != sample(m, [0], 30, seed=2)


def test_stops_after_a_stop_id():
    assert sample(_chain_bigram(), [0], 10, temperature=0, stop_ids=[3]) == [1, 2, 3]


def test_fixed_context_is_left_padded_then_cut():
    torch.manual_seed(0)
    m = MLPLanguageModel(7, dim=4, context=3, hidden=8)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(args[0][0].tolist()))
    new = sample(m, [5], 3, fill_id=2, seed=0)
    assert seen[0] == [2, 2, 5]  # padded with fill_id to the model's context
    assert seen[1] == [2, 5, new[0]]
    assert seen[2] == [5, new[0], new[1]]  # the last `context` ids only


def test_per_position_logits_use_the_last_position_and_restore_mode():
    spy = _Spy().train()
    assert sample(spy, [0, 4], 2, temperature=0, context=3) == [3, 3]
    assert spy.seen == [[0, 4], [0, 4, 3]]
    assert spy.training  # train mode restored


def test_empty_prompt_needs_a_fill_id():
    with pytest.raises(ValueError, match="empty prompt"):
        sample(_chain_bigram(), [], 1)
