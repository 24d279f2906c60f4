"""The word2vec exercise checks: right answers pass, typical slips get their own hint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab.checks import CheckError
from embedlab.checks import word2vec as cw
from embedlab.word2vec import keep_probabilities, sgns_grads, window_pairs


def test_keep_probability_matches_the_trainer_and_hints():
    counts = np.array([5000.0, 300.0, 20.0])
    total = counts.sum()
    for i, c in enumerate(counts):  # reference: the vectorized version the trainer uses
        want = keep_probabilities(counts, 1e-3)[i]
        assert cw.keep_probability(c, total, 1e-3) == pytest.approx(want)
        assert cw.check_keep_probability(want, c, total, 1e-3).startswith("Correct")
    p = cw.keep_probability(5000, total, 1e-3)
    with pytest.raises(CheckError, match="DROPPED"):
        cw.check_keep_probability(1 - p, 5000, total, 1e-3)
    t = 1e-3 * total
    raw = (np.sqrt(3 / t) + 1) * t / 3  # a rare word: about 3.1
    assert raw > 1
    with pytest.raises(CheckError, match="cap it"):
        cw.check_keep_probability(raw, 3, total, 1e-3)
    with pytest.raises(CheckError, match="upside down"):
        cw.check_keep_probability(min(1, (np.sqrt(t / 300) + 1) * 300 / t), 300, total,
                                  1e-3)
    with pytest.raises(CheckError, match="2013 paper"):
        cw.check_keep_probability(np.sqrt(t / 5000), 5000, total, 1e-3)
    with pytest.raises(CheckError, match="not the keep probability"):
        cw.check_keep_probability(0.123456, 5000, total, 1e-3)


TOKENS = ["the", "cat", "eats", "the", "bread"]
B = [1, 2, 1, 2, 1]


def test_pairs_reference_matches_the_trainer():
    ids = np.arange(len(TOKENS))
    c, x = window_pairs(ids, np.zeros(len(TOKENS), dtype=int), 2, np.random.default_rng(3))
    b = np.random.default_rng(3).integers(1, 3, size=len(TOKENS))
    want = sorted(cw.skipgram_pairs(TOKENS, b.tolist()))
    assert sorted((TOKENS[i], TOKENS[j]) for i, j in zip(c, x, strict=True)) == want
    # hand-worked: 'cat' (b=2) reaches the, eats, the; 'eats' (b=1) reaches cat, the
    assert ("cat", "the") in cw.skipgram_pairs(TOKENS, B)
    assert len(cw.skipgram_pairs(TOKENS, B)) == 1 + 3 + 2 + 3 + 1


def test_pairs_hints():
    want = cw.skipgram_pairs(TOKENS, B)
    assert cw.check_skipgram_pairs(list(reversed(want)), TOKENS, B).startswith("Correct")
    with pytest.raises(CheckError, match="largest window"):
        cw.check_skipgram_pairs(cw.skipgram_pairs(TOKENS, [2] * 5), TOKENS, B)
    with pytest.raises(CheckError, match="paired with itself"):
        cw.check_skipgram_pairs(want + [(t, t) for t in TOKENS], TOKENS, B)
    distinct, b2 = ["a", "cat", "eats", "fresh", "bread"], [2, 1, 1, 1, 1]
    swapped = [(x, c) for c, x in cw.skipgram_pairs(distinct, b2)]
    with pytest.raises(CheckError, match="context, centre"):
        cw.check_skipgram_pairs(swapped, distinct, b2)
    right = [(TOKENS[i], TOKENS[j]) for i in range(5)
             for j in range(i + 1, min(5, i + B[i] + 1))]
    with pytest.raises(CheckError, match="both sides"):
        cw.check_skipgram_pairs(right, TOKENS, B)
    with pytest.raises(CheckError, match="missing"):
        cw.check_skipgram_pairs(want[:-1], TOKENS, B)
    with pytest.raises(CheckError, match="list of"):
        cw.check_skipgram_pairs(3, TOKENS, B)


@pytest.fixture
def vecs():
    rng = np.random.default_rng(0)
    return rng.normal(size=4), rng.normal(size=4), rng.normal(size=(3, 4))


def test_loss_reference_matches_the_trainer(vecs):
    v, up, un = vecs
    t = [torch.tensor(a, dtype=torch.float64) for a in vecs]
    loss, gv, _, _ = sgns_grads(t[0][None], t[1][None], t[2][None])
    assert cw.sgns_loss(v, up, un) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(cw.sgns_grad_v(v, up, un), gv[0].numpy(), rtol=1e-12)


def test_loss_hints(vecs):
    v, up, un = vecs
    sig = cw._sigmoid
    assert cw.check_sgns_loss(cw.sgns_loss(v, up, un), v, up, un).startswith("Correct")
    pos, negs = np.log(sig(up @ v)), np.log(sig(-(un @ v)))
    cases = {
        "wrong sign inside": -pos - np.log(sig(un @ v)).sum(),
        "MINUS the log-likelihood": pos + negs.sum(),
        "averaged": -pos - negs.mean(),
        "missing": -pos,
        "probabilities": -sig(up @ v) - sig(-(un @ v)).sum(),
    }
    for hint, value in cases.items():
        with pytest.raises(CheckError, match=hint):
            cw.check_sgns_loss(value, v, up, un)
    with pytest.raises(CheckError, match="too"):
        cw.check_sgns_loss(123.0, v, up, un)


def test_grad_hints(vecs):
    v, up, un = vecs
    sig = cw._sigmoid
    g = cw.sgns_grad_v(v, up, un)
    assert cw.check_sgns_grad_v(torch.tensor(g), v, up, un).startswith("Correct")
    with pytest.raises(CheckError, match="only the noise part"):
        cw.check_sgns_grad_v((sig(un @ v)[:, None] * un).sum(0), v, up, un)
    with pytest.raises(CheckError, match="only the true word"):
        cw.check_sgns_grad_v((sig(up @ v) - 1) * up, v, up, un)
    with pytest.raises(CheckError, match="not s\\(u_pos"):
        cw.check_sgns_grad_v(sig(up @ v) * up + (sig(un @ v)[:, None] * un).sum(0),
                             v, up, un)
    with pytest.raises(CheckError, match="opposite sign"):
        cw.check_sgns_grad_v(-g, v, up, un)
    with pytest.raises(CheckError, match="shape"):
        cw.check_sgns_grad_v(g[:3], v, up, un)
