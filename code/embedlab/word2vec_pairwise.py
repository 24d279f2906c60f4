"""word2vec's own loop: one (input, target) pair at a time, compiled with numba.

`embedlab.word2vec` trains on batches of thousands of examples with torch, which is fast in
Python but needs the step bound of `embedlab.word2vec_speed` to stay stable. word2vec.c and
gensim instead walk the corpus one pair at a time: every update sees the one before it.
This module is that loop, compiled by numba (`@njit`), so the CLI can train a large table at
gensim's speed with the same recipe (`Word2VecConfig(engine="pairwise")`):

- for each kept centre position i with its reduced window b[i], and each context position
  j within b[i] in the same sentence (skip-gram: the context word's input row predicts the
  centre word, as gensim does; CBOW: the mean of the context rows predicts it);
- the true word and K noise words, each drawn from the unigram^0.75 distribution with
  word2vec.c's linear congruential generator and gensim's cumulative table (`noise_cdf`,
  one entry per word, searched by bisection); a noise word equal to the true word is
  skipped. word2vec.c's `UnigramTable` (a word in p_w * 1e8 cells, one cell read per draw)
  gives the same distribution, but each read of a table that size misses the CPU's cache:
  with a 1e7-cell table, skip-gram on the Wikipedia extract (5 epochs, 2 threads) trained
  in 11.9 s against 6.8 s with the cumulative table (one run each, idle 2-core machine);
- plain SGD: g = (label - sigmoid(score)) * lr; the output row of each word moves by
  g * input, and the input row(s) by the sum of g * output rows over the K + 1 words;
- the learning rate decays linearly with the position in the run, as in word2vec.c.

Threads: each epoch's centre positions are cut into blocks; with `threads` > 1 the blocks
run on that many threads that update the shared tables without locks (Hogwild, as
word2vec.c and gensim do). The kernels release the GIL (`nogil=True`). With one thread the
run is deterministic (each block's generator is seeded from the seed, the epoch and the
block); with more, the order in which threads write the same row varies between runs, so
the numbers do too (as gensim's with workers > 1).

What it does not do: choose the vocabulary, subsample or draw the windows (the caller does,
with `embedlab.word2vec`'s functions), hierarchical softmax, or run on a GPU.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

DOMAIN = 2**31 - 1  # gensim's cum_table domain


def noise_cdf(probabilities: np.ndarray, domain: int = DOMAIN) -> np.ndarray:
    """gensim's cum_table: cdf[w] = round((p_0 + ... + p_w) * domain), the last = domain.
    A uniform integer x in [0, domain) draws the first w with cdf[w] > x, so word w with
    probability (cdf[w] - cdf[w-1]) / domain = p_w to within 1 / domain. Returns (V,) int32
    (as gensim's uint32: 4 bytes a word keeps the table in the CPU's cache longer)."""
    cdf = np.round(np.cumsum(probabilities) * domain).astype(np.int64)  # (V,)
    cdf[-1] = domain
    return cdf.astype(np.int32)


MAX_EXP = 6.0  # word2vec.c: scores beyond +-6 saturate the sigmoid
SIG_SIZE = 1000  # cells of the sigmoid table


@njit(cache=True, nogil=True)
def _tables():
    """sigmoid, -log sigmoid and -log(1 - sigmoid) at the centres of SIG_SIZE cells of
    [-MAX_EXP, MAX_EXP] (word2vec.c's expTable; gensim's LOG_TABLE for the loss)."""
    x = (np.arange(SIG_SIZE) + 0.5) / SIG_SIZE * 2 * MAX_EXP - MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig, -np.log(sig), -np.log(1.0 - sig)


@njit(cache=True, nogil=True)
def _lcg(state):
    # word2vec.c: next_random = next_random * 25214903917 + 11 (mod 2^64)
    return (state * np.uint64(25214903917) + np.uint64(11)) & np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, nogil=True, fastmath=True)
def _pair(w_in, w_out, rows, count, target, cdf, negative, lr, state, neu1, neu1e,
          sig_table, loss_pos, loss_neg):
    """One example: input = mean of w_in[rows[:count]] (skip-gram: count = 1), the true
    word `target` and `negative` noise words. Updates w_out in place, adds the input's
    gradient step to every input row; returns (loss, state)."""
    D = w_in.shape[1]
    for d in range(D):
        neu1[d] = 0.0
        neu1e[d] = 0.0
    for r in range(count):
        x = rows[r]
        for d in range(D):
            neu1[d] += w_in[x, d]
    if count > 1:
        inv = np.float32(1.0 / count)
        for d in range(D):
            neu1[d] *= inv
    loss = 0.0
    top = np.uint64(cdf[-1])  # cdf: noise_cdf's table
    for k in range(negative + 1):
        if k == 0:
            t = target
            label = 1.0
        else:
            state = _lcg(state)
            t = np.searchsorted(cdf, np.int64((state >> np.uint64(16)) % top), side="right")
            if t == target:
                continue
            label = 0.0
        f = np.float32(0.0)  # float32 throughout the row loops: they vectorize
        for d in range(D):
            f += neu1[d] * w_out[t, d]
        # word2vec.c's sigmoid table on [-MAX_EXP, MAX_EXP], exact outside it (rare)
        if f >= MAX_EXP or f <= -MAX_EXP:
            sig = 1.0 / (1.0 + math.exp(-max(min(f, 30.0), -30.0)))
            z = f if label == 1.0 else -f  # loss = log(1 + exp(-z))
            loss += math.log1p(math.exp(-abs(z))) + max(-z, 0.0)
        else:
            i = int((f + MAX_EXP) * (SIG_SIZE / MAX_EXP / 2))
            sig = sig_table[i]
            loss += loss_pos[i] if label == 1.0 else loss_neg[i]
        g = np.float32((label - sig) * lr)
        for d in range(D):
            neu1e[d] += g * w_out[t, d]
            w_out[t, d] += g * neu1[d]
    for r in range(count):
        x = rows[r]
        for d in range(D):
            w_in[x, d] += neu1e[d]
    return loss, state


@njit(cache=True, nogil=True)
def train_block(w_in, w_out, ids, sent, win, window, start, stop, cdf, negative, sg,
                lr0, lr1, seed):
    """Train on the centre positions [start, stop) of one epoch's N kept tokens.

    ids, sent, win (N,): word id, sentence number and reduced window (<= window) of each
    kept token. The rate at centre i is lr0 - (lr0 - lr1) * i / N: lr0 at the start of the
    epoch, lr1 at its end. Returns (summed loss, examples trained)."""
    D = w_in.shape[1]
    sig_table, loss_pos, loss_neg = _tables()
    neu1 = np.empty(D, dtype=w_in.dtype)
    neu1e = np.empty(D, dtype=w_in.dtype)
    rows = np.empty(2 * window + 1, dtype=np.int64)  # one example's input rows
    state = np.uint64(seed)
    n = ids.shape[0]
    loss = 0.0
    examples = 0
    for i in range(start, stop):
        lr = lr0 - (lr0 - lr1) * i / n
        b = win[i]
        lo = max(0, i - b)
        hi = min(n, i + b + 1)
        if sg:
            for j in range(lo, hi):
                if j == i or sent[j] != sent[i]:
                    continue
                rows[0] = ids[j]  # gensim: the context word's row predicts the centre
                part, state = _pair(w_in, w_out, rows, 1, ids[i], cdf, negative, lr,
                                 state, neu1, neu1e, sig_table, loss_pos, loss_neg)
                loss += part
                examples += 1
        else:
            c = 0
            for j in range(lo, hi):
                if j != i and sent[j] == sent[i]:
                    rows[c] = ids[j]
                    c += 1
            if c:
                part, state = _pair(w_in, w_out, rows, c, ids[i], cdf, negative, lr,
                                 state, neu1, neu1e, sig_table, loss_pos, loss_neg)
                loss += part
                examples += 1
    return loss, examples
