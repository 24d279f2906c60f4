"""The pairwise engine (word2vec.c's loop, compiled with numba): one update checked against
autograd on the same loss, the cumulative noise table and the draws against their
distribution, and training against gensim on the toy world (test_word2vec.py runs its
gensim comparison on both engines)."""

import numpy as np
import pytest
import torch

import test_word2vec as _w2v  # tests/ is on sys.path (no package): shared fixtures
from embedlab.word2vec import Word2VecConfig, negative_sampling_loss, train_word2vec
from embedlab.word2vec_pairwise import (
    DOMAIN,
    MAX_EXP,
    SIG_SIZE,
    _pair,
    _tables,
    noise_cdf,
)


@pytest.mark.parametrize("count", [1, 3])  # skip-gram: one input row; CBOW: a mean of 3
def test_one_update_is_an_sgd_step_on_the_negative_sampling_loss(count):
    rng = np.random.default_rng(0)
    # K = 1: word2vec.c takes the K noise words one after another, so a second draw of
    # the same word would see its row already moved (a difference of order lr^2)
    V, D, K, lr = 10, 8, 1, 0.05
    w_in = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    w_out = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    rows = np.array([1, 2, 3][:count], dtype=np.int64)
    target, noise = 4, 7
    table = noise_cdf(np.eye(V)[noise])  # every draw is word 7
    # autograd on the same loss: input = mean of the rows; K noise draws of word 7
    t_in, t_out = torch.tensor(w_in, requires_grad=True), torch.tensor(w_out, requires_grad=True)
    v = t_in[rows].mean(0)
    loss = negative_sampling_loss(v, t_out[target], t_out[[noise] * K])
    loss.backward()
    a_in, a_out = w_in.copy(), w_out.copy()
    got, _ = _pair(a_in, a_out, rows, count, target, table, K, lr, np.uint64(1),
                   np.empty(D, np.float32), np.empty(D, np.float32), *_tables())
    # the output rows: plain SGD. The input rows: each gets the whole gradient of the
    # mean (gensim's cbow_mean=1), i.e. count x autograd's share of it
    want_out = w_out - lr * t_out.grad.numpy()
    want_in = w_in.copy()
    want_in[rows] -= lr * count * t_in.grad.numpy()[rows]
    # the sigmoid comes from a table of cells 12/1000 wide: (label - sigmoid) is off by at
    # most 0.006 * max sigmoid' = 0.0015 per score; times |entries| < 2 and 2 scores (and
    # count for CBOW's input rows) that is < 0.006 * count * lr; a wrong sign, a missing
    # noise update or a mean taken twice is off by more than lr * 0.1
    np.testing.assert_allclose(a_out, want_out, atol=lr * 0.006, rtol=0)
    np.testing.assert_allclose(a_in, want_in, atol=lr * 0.006 * count, rtol=0)
    assert abs(got - loss.item()) < 0.01 * (K + 1)
    assert not np.allclose(a_out[noise], w_out[noise])  # the noise row did move


def test_tables_are_the_sigmoid_and_its_log_losses():
    sig, lpos, lneg = _tables()
    x = (np.arange(SIG_SIZE) + 0.5) / SIG_SIZE * 2 * MAX_EXP - MAX_EXP
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(lpos, np.log1p(np.exp(-x)))
    np.testing.assert_allclose(lneg, np.log1p(np.exp(x)))


def test_noise_cdf_draws_the_distribution():
    p = np.array([0.5, 0.25, 0.125, 0.0, 0.125])
    cdf = noise_cdf(p, domain=1000)
    np.testing.assert_array_equal(cdf, [500, 750, 875, 875, 1000])
    assert cdf.dtype == np.int32  # 4 bytes a word, as gensim's uint32 table
    # every x in the domain, looked up as _pair does: each word's share is its probability
    draws = np.searchsorted(cdf, np.arange(1000), side="right")
    np.testing.assert_array_equal(np.bincount(draws, minlength=5) / 1000, p)
    assert noise_cdf(np.full(7, 1 / 7))[-1] == DOMAIN  # gensim's domain, the end exact


def test_noise_words_follow_the_distribution_in_training_draws():
    """_pair's own draws, one noise word per call (K = 1) over N calls: the row that moved
    says which word was drawn. Shares match p within 4 standard errors; a draw of the true
    word (3) is skipped, as in word2vec.c."""
    V, D, N = 4, 2, 20_000
    p = np.array([0.1, 0.2, 0.3, 0.4])
    cdf = noise_cdf(p)
    w_in = np.zeros((V, D), np.float32)
    w_in[0, 0] = 1.0  # the input row: a moved output row changes in column 0
    rows, state, counts = np.array([0], dtype=np.int64), np.uint64(5), np.zeros(V)
    buffers = np.empty(D, np.float32), np.empty(D, np.float32), *_tables()
    for _ in range(N):
        w_out = np.zeros((V, D), np.float32)
        _, state = _pair(w_in, w_out, rows, 1, 3, cdf, 1, 0.1, state, *buffers)
        counts[:3] += w_out[:3, 0] != 0  # the true word 3 always moves: not counted
    share, want = counts[:3] / N, p[:3]
    assert np.all(np.abs(share - want) < 4 * np.sqrt(want * (1 - want) / N)), share


world = _w2v.world  # the toy-world fixture and its purity probe, shared
_purity = _w2v._purity


def test_one_thread_is_deterministic_and_two_threads_learn_as_well(world):
    cfg = Word2VecConfig(dim=16, window=3, epochs=3, min_count=1, sample=0, progress=False,
                         engine="pairwise", snapshot_every=2)
    a = train_word2vec(world.sentences, cfg)
    b = train_word2vec(world.sentences, cfg)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    c = train_word2vec(world.sentences, Word2VecConfig(**{**cfg.__dict__, "seed": 1}))
    assert not np.allclose(a.vectors, c.vectors)
    h = a.history
    assert h.snapshot_steps[0] == 0 and h.snapshot_steps[-1] == len(h.losses)
    np.testing.assert_array_equal(h.snapshots[-1], a.vectors)
    two = train_word2vec(world.sentences, Word2VecConfig(**{**cfg.__dict__, "threads": 2}))
    p1, chance = _purity(a.words, a.vectors, world)
    p2, _ = _purity(two.words, two.vectors, world)
    assert len(h.losses) >= 3 * 16  # >= 16 blocks an epoch: two threads both work
    # over seeds 0-4 the purity was 1.000 with one thread and with two; 0.1 leaves room
    # for the Hogwild write order and rejects a thread that loses its updates (~chance)
    assert p2 > chance + 0.4 and abs(p2 - p1) < 0.1, (p1, p2)
    assert a.pairs == two.pairs  # the same examples, only the write order differs


def test_unknown_engine_is_refused(world):
    with pytest.raises(ValueError, match="engine must be one of"):
        train_word2vec(world.sentences, Word2VecConfig(engine="fast", progress=False))
