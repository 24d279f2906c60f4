"""word2vec from scratch: hand gradients vs autograd, pairs vs a plain loop, and quality
vs gensim on the same corpus and settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gensim.models import Word2Vec

from embedlab.probes import chance_purity, neighbour_purity
from embedlab.toyworld import make_toyworld
from embedlab.word2vec import (
    Word2VecConfig,
    estimate_steps,
    keep_probabilities,
    negative_sampling_loss,
    noise_distribution,
    sgns_grads,
    sgns_loss,
    train_word2vec,
    window_pairs,
)
from embedlab.word2vec_speed import cbow_inputs, row_scale, sgns_curvatures


def test_one_loss_serves_autograd_the_hand_gradients_and_the_checks():
    # negative_sampling_loss (the models' loss, through autograd), sgns_grads (the
    # trainer's hand gradients) and sgns_loss (the checks' float) are one formula
    g = torch.Generator().manual_seed(1)
    B, K, D = 5, 3, 4
    v, u_pos = (torch.randn(B, D, generator=g, dtype=torch.float64, requires_grad=True)
                for _ in range(2))
    u_neg = torch.randn(B, K, D, generator=g, dtype=torch.float64, requires_grad=True)
    per_example = negative_sampling_loss(v, u_pos, u_neg)  # (B,)
    per_example.sum().backward()
    loss, grad_v, grad_pos, grad_neg = sgns_grads(v.detach(), u_pos.detach(), u_neg.detach())
    assert per_example.shape == (B,)
    assert loss.item() == pytest.approx(per_example.sum().item(), rel=1e-12)
    for hand, auto in [(grad_v, v.grad), (grad_pos, u_pos.grad), (grad_neg, u_neg.grad)]:
        torch.testing.assert_close(hand, auto, rtol=1e-12, atol=1e-12)
    one = sgns_loss(v[0].tolist(), u_pos[0].detach().numpy(), u_neg[0].detach())
    assert one == pytest.approx(per_example[0].item(), rel=1e-12)


@pytest.mark.parametrize("share", [1, 4])
def test_hand_gradients_match_autograd(share):
    g = torch.Generator().manual_seed(0)
    B, K, D = 8, 3, 5
    v = torch.randn(B, D, generator=g, dtype=torch.float64, requires_grad=True)
    u_pos = torch.randn(B, D, generator=g, dtype=torch.float64, requires_grad=True)
    u_neg = torch.randn(B // share, K, D, generator=g, dtype=torch.float64,
                        requires_grad=True)
    valid = torch.rand(B // share, share, K, generator=g) > 0.2
    # the loss written the slow, obvious way: one pair at a time
    total = 0.0
    for i in range(B):
        gi, si = divmod(i, share)
        total = total - torch.log(torch.sigmoid(u_pos[i] @ v[i]))
        for k in range(K):
            if valid[gi, si, k]:
                total = total - torch.log(torch.sigmoid(-(u_neg[gi, k] @ v[i])))
    total.backward()
    loss, gv, gp, gn = sgns_grads(v.detach(), u_pos.detach(), u_neg.detach(), valid)
    assert loss.item() == pytest.approx(total.item(), rel=1e-12)
    torch.testing.assert_close(gv, v.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(gp, u_pos.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(gn, u_neg.grad, rtol=1e-10, atol=1e-12)


def test_window_pairs_match_a_plain_loop():
    ids = np.arange(12)
    sent = np.array([0] * 5 + [1] * 2 + [2] * 5)
    window = 3
    c, x = window_pairs(ids, sent, window, np.random.default_rng(7))
    b = np.random.default_rng(7).integers(1, window + 1, size=len(ids))  # same draws
    want = {(i, j) for i in range(12) for j in range(12)
            if i != j and sent[i] == sent[j] and abs(i - j) <= b[i]}
    got = list(zip(c.tolist(), x.tolist(), strict=True))
    assert len(got) == len(set(got))  # no pair twice
    assert set(got) == want


def test_keep_probabilities_hand_worked():
    counts = np.array([1000.0, 100.0, 10.0])  # total 1110, t = 1e-2 * 1110 = 11.1
    p = keep_probabilities(counts, 1e-2)
    t = 11.1
    assert p[0] == pytest.approx((np.sqrt(1000 / t) + 1) * t / 1000)  # about 0.116
    assert p[2] == 1.0  # rarer than the threshold: always kept
    assert np.all(keep_probabilities(counts, 0) == 1)
    q = noise_distribution(np.array([16.0, 1.0]))
    assert q[0] / q[1] == pytest.approx(8.0)  # 16 ** 0.75


def test_cbow_inputs_are_context_means():
    w_in = torch.arange(20, dtype=torch.float32).view(10, 2)
    starts = np.array([3, 0, 5])
    lengths = np.array([2, 3, 1])
    ctx = np.array([9, 8, 7, 1, 2, 4])  # centre 0: 9 8 7; centre 1: 1 2; centre 2: 4
    ids, owner, v = cbow_inputs((starts, lengths, ctx), 0, 3, w_in)
    assert ids.tolist() == [1, 2, 9, 8, 7, 4] and owner.tolist() == [0, 0, 1, 1, 1, 2]
    torch.testing.assert_close(v[0], w_in[[1, 2]].mean(0))
    torch.testing.assert_close(v[1], w_in[[9, 8, 7]].mean(0))
    torch.testing.assert_close(v[2], w_in[4])


@pytest.fixture(scope="module")
def world():
    return make_toyworld(n_sentences=3000, seed=0)


def _purity(words, vectors, world):
    keep = [i for i, w in enumerate(words) if w in world.categories]
    labels = [world.categories[words[i]] for i in keep]
    return neighbour_purity(np.asarray(vectors)[keep], labels, k=5), chance_purity(labels)


@pytest.mark.parametrize("engine", ["batched", "pairwise"])
@pytest.mark.parametrize("sg", [True, False])
def test_toyworld_structure_as_good_as_gensim(world, sg, engine):
    cfg = Word2VecConfig(sg=sg, dim=16, window=3, epochs=5, min_count=1, sample=0,
                         progress=False, batch_size=256, share_negatives=16,
                         engine=engine)  # pairwise ignores the batch settings
    ours = train_word2vec(world.sentences, cfg)
    model = Word2Vec(world.sentences, sg=int(sg), vector_size=16, window=3, negative=5,
                     epochs=5, min_count=1, sample=0, workers=1, seed=0)
    p_ours, chance = _purity(ours.words, ours.vectors, world)
    p_gensim, _ = _purity(model.wv.index_to_key, model.wv.vectors, world)
    assert p_ours > chance + 0.4
    assert p_ours >= p_gensim - 0.05, (p_ours, p_gensim)
    assert ours.history.losses[-1] < ours.history.losses[0]


def test_same_seed_same_vectors_and_snapshots(world):
    cfg = Word2VecConfig(dim=8, window=2, epochs=2, min_count=1, progress=False,
                         snapshot_every=10, batch_size=256)
    purity = []
    a = train_word2vec(world.sentences, cfg, probe=lambda t: purity.append(1) or t.std())
    b = train_word2vec(world.sentences, cfg)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    c = train_word2vec(world.sentences, Word2VecConfig(**{**cfg.__dict__, "seed": 1}))
    assert not np.allclose(a.vectors, c.vectors)
    h = a.history
    steps = len(h.losses)
    assert h.snapshot_steps == [0, *range(10, steps + 1, 10)] + \
        ([steps] if steps % 10 else [])
    assert len(h.probe_values) == len(h.snapshots) == len(purity)
    np.testing.assert_array_equal(h.snapshots[-1], a.vectors)
    assert a.vocab.itos[0] == "the" and "[UNK]" not in a.vocab
    assert a.words_per_second > 0 and a.pairs > 0
    assert 0.5 < estimate_steps(world.sentences, cfg) / steps < 2


def test_threads_restored_and_bad_config(world):
    before = torch.get_num_threads()  # tests/conftest.py sets 1: ask for another count
    train_word2vec(world.sentences[:50], Word2VecConfig(dim=4, epochs=1, min_count=1,
                                                        threads=before + 1, progress=False))
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="min_count"):
        train_word2vec(world.sentences, Word2VecConfig(min_count=10**9, progress=False))
    with pytest.raises(ValueError, match="window"):
        train_word2vec(world.sentences, Word2VecConfig(window=0, progress=False))


def test_curvatures_are_traces_of_the_autograd_hessian():
    # h is the trace of the Hessian of the batch loss in one table row: a bound on its
    # largest eigenvalue, equal to it when the row meets a single score (rank one)
    g = torch.Generator().manual_seed(3)
    G, S, K, D = 2, 3, 4, 5
    v = torch.randn(G * S, D, generator=g, dtype=torch.float64)
    u_pos = torch.randn(G * S, D, generator=g, dtype=torch.float64)
    u_neg = torch.randn(G, K, D, generator=g, dtype=torch.float64)
    valid = torch.rand(G, S, K, generator=g) > 0.2
    h_v, h_pos, h_neg = sgns_curvatures(v, u_pos, u_neg, valid)
    first = (torch.tensor([0]),)
    first2 = (torch.tensor([0]), torch.tensor([1]))

    def hessian(fn, x):
        hess = torch.autograd.functional.hessian(fn, x)
        return torch.trace(hess).item(), torch.linalg.eigvalsh(hess)[-1].item()

    def f_v(x):  # input vector of example 0
        return sgns_grads(v.index_put(first, x[None]), u_pos, u_neg, valid)[0]

    def f_pos(x):  # output vector of example 0's true word
        return sgns_grads(v, u_pos.index_put(first, x[None]), u_neg, valid)[0]

    def f_neg(x):  # output vector of noise word 1 of group 0 (shared by S pairs)
        return sgns_grads(v, u_pos, u_neg.index_put(first2, x[None]), valid)[0]

    for h, fn, x in [(h_v[0], f_v, v[0]), (h_pos[0], f_pos, u_pos[0]),
                     (h_neg[0, 1], f_neg, u_neg[0, 1])]:
        trace, top = hessian(fn, x)
        assert h.item() == pytest.approx(trace, rel=1e-9)
        assert h.item() >= top - 1e-12
    assert hessian(f_pos, u_pos[0])[1] == pytest.approx(h_pos[0].item(), rel=1e-9)


def test_row_scale_is_the_newton_step():
    ids = torch.tensor([0, 0, 2, 3])
    curv = torch.tensor([30.0, 10.0, 5.0, 0.5])
    # lr 0.1: row 0 has h = 40 -> lr * h = 4 -> factor 1/4; row 2: lr * h = 0.5 -> 1
    want = torch.tensor([0.25, 1.0, 1.0, 1.0])
    torch.testing.assert_close(row_scale(ids, curv, 4, 0.1), want)


@pytest.mark.parametrize("sg,window", [(True, 2), (True, 3), (False, 2)])
def test_defaults_do_not_diverge_on_a_tiny_vocabulary(world, sg, window):
    # regression: batch_size=2048 and share_negatives=256 on ~60 words used to sum
    # hundreds of stale gradients into the same row and blow up (loss ~1e12, then nan)
    cfg = Word2VecConfig(sg=sg, dim=16, window=window, min_count=1, sample=0,
                         progress=False)
    assert (cfg.batch_size, cfg.share_negatives) == (2048, 256)  # the defaults
    res = train_word2vec(world.sentences, cfg)
    losses = np.array(res.history.losses)
    assert len(res.words) < 100 and np.isfinite(losses).all()
    assert losses.max() < 1.5 * losses[0], losses.max()
    assert np.abs(res.vectors).max() < 10
    p, chance = _purity(res.words, res.vectors, world)
    assert p > chance + 0.4, (p, chance)
