"""Skip-gram and CBOW with negative sampling (word2vec), the recipe the chapter teaches.

The recipe of Mikolov et al. (2013), as word2vec.c and gensim implement it:

1. Frequent-word subsampling (`keep_probabilities`): each epoch, drop every occurrence of
   word w with probability 1 - (sqrt(f/t) + 1) * t/f, where f is its count and
   t = sample * corpus size.
2. Pairs with word2vec's dynamic window: each centre word draws a window b in 1..window
   and pairs with the words at offsets 1..b either side. `skipgram_pairs` is the rule
   written plainly for one sentence; `window_pairs` the same rule on a whole pass at once.
3. The negative-sampling loss of one example (`negative_sampling_loss`, `sgns_loss`)
       -log s(u_o . v) - sum_k log s(-u_k . v)     (s = sigmoid)
   with K noise words drawn from the unigram^0.75 distribution (`noise_distribution`),
   and its gradient derived by hand (`sgns_grads`; the tests compare it with autograd).
4. Plain SGD on the rows an example used, with a learning rate that decays linearly to
   `min_lr` (`train_word2vec`).

The input table `vectors` (the one word2vec keeps) starts uniform in +-0.5/dim, the output
table at zero, as in word2vec.c. CBOW averages the context vectors and sends the whole
gradient back to each context word (gensim's cbow_mean=1).

To race gensim, `train_word2vec` updates the tables from batches of thousands of examples
instead of one pair at a time. How a batch is drawn and applied (noise words shared by
groups of examples, sparse scatter updates, and a per-row step bound that keeps summed
stale gradients from overshooting) is engineering, not the objective: it lives in
`embedlab.word2vec_speed`, which explains each piece. `engine="pairwise"` trains instead
the way word2vec.c does, one pair at a time with every update seeing the last, in a loop
compiled with numba (`embedlab.word2vec_pairwise`), on `threads` threads sharing the
tables; the CLI uses it. Both engines share the vocabulary, subsampling, windows, noise
distribution and learning-rate schedule above.

What it deliberately does not do: hierarchical softmax, phrases, worker threads of
its own, or resuming a run. It trains on one torch thread by default: the batches are too
small to gain from two, and one thread does not stall when other programs share the CPU.
torch is imported by the functions that use it, so the pairwise engine (and the CLI that
runs it) starts without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from .snapshots import History
from .vocab import Vocab

if TYPE_CHECKING:
    import torch

ENGINES = ("batched", "pairwise")


@dataclass
class Word2VecConfig:
    sg: bool = True  # True: skip-gram (centre predicts each context word); False: CBOW
    dim: int = 100  # vector size
    window: int = 5  # maximum distance to a context word (each centre draws 1..window)
    negative: int = 5  # noise words per positive pair
    epochs: int = 5  # passes over the corpus
    min_count: int = 5  # drop words seen fewer times than this
    sample: float = 1e-3  # subsampling threshold (0 = keep every word)
    lr: float = 0.025  # starting learning rate of plain SGD (word2vec's alpha)
    min_lr: float = 1e-4  # learning rate reached at the end (linear decay)
    batch_size: int = 2048  # pairs (skip-gram) or centre words (CBOW) per update
    share_negatives: int = 256  # examples that share one draw of noise words (1: word2vec.c)
    step_bound: float = 0.5  # max lr * (row's batch-loss curvature): half a Newton step
    threads: int = 1  # torch threads while training (0: leave torch's setting alone);
    # with engine="pairwise", the threads that share the tables (Hogwild)
    engine: str = "batched"  # "batched": torch batches (word2vec_speed); "pairwise":
    # word2vec.c's one-pair-at-a-time loop, compiled with numba (word2vec_pairwise)
    seed: int = 0  # seeds initialization, subsampling, windows, shuffling and negatives
    snapshot_every: int = 0  # copy the table every this many steps (0: only start and end)
    progress: bool = True  # show a tqdm bar


@dataclass
class Word2VecResult:
    vocab: Vocab  # the words, most frequent first, no special tokens
    vectors: np.ndarray  # (V, D) input table: the word vectors
    history: History  # losses per step, snapshots, probe values
    seconds: float  # wall time of the whole call (vocabulary, pairs and training)
    words_per_second: float  # raw corpus tokens x epochs / seconds (gensim's measure)
    output_vectors: np.ndarray = field(repr=False, default=None)  # (V, D) context table
    pairs: int = 0  # positive examples trained on, over all epochs

    @property
    def words(self) -> list[str]:
        return self.vocab.itos


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: the chance each occurrence of a word survives, (V,)."""
    if sample <= 0:
        return np.ones(len(counts))
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The distribution negatives are drawn from: unigram counts ** 0.75, normalized."""
    p = counts.astype(np.float64) ** power
    return p / p.sum()


def skipgram_pairs(tokens: Sequence[str], window: int | Sequence[int]) -> list[tuple[str, str]]:
    """(centre, context) pairs of one sentence, in order, the plain way a chapter writes
    them: each centre i with every word within `window` positions of it (an int, or one
    window per position: word2vec's dynamic window b[i]). `window_pairs` below is the
    vectorised version of the same rule, on positions of a whole corpus."""
    b = [window] * len(tokens) if isinstance(window, int) else list(window)
    out = []
    for i, c in enumerate(tokens):
        for j in range(max(0, i - b[i]), min(len(tokens), i + b[i] + 1)):
            if j != i:
                out.append((c, tokens[j]))
    return out


def negative_sampling_loss(v, u_pos, u_neg) -> torch.Tensor:
    """The negative-sampling loss -log s(u_pos . v) - sum_k log s(-u_neg[k] . v) of each
    example, differentiable: v, u_pos (..., D) and u_neg (..., K, D) -> (...). The models
    of `embedlab.models` train with it through autograd; `sgns_grads` is its gradient by
    hand."""
    import torch
    from torch.nn import functional as F

    u = torch.cat([u_pos.unsqueeze(-2), u_neg], dim=-2)  # (..., 1+K, D)
    s = (u @ v.unsqueeze(-1)).squeeze(-1)  # (..., 1+K) scores
    sign = torch.ones_like(s)
    sign[..., 1:] = -1.0
    return -F.logsigmoid(sign * s).sum(dim=-1)


def sgns_loss(v, u_pos, u_neg) -> float:
    """`negative_sampling_loss` of one pair in float64, as a number: v, u_pos (D,) and
    u_neg (K, D), arrays, lists or tensors (the exercise checks' reference)."""
    import torch

    v, u_pos, u_neg = (torch.as_tensor(np.asarray(x, dtype=np.float64))
                       for x in (v, u_pos, u_neg))
    return float(negative_sampling_loss(v, u_pos, u_neg))


def window_pairs(ids: np.ndarray, sent: np.ndarray, window: int, rng: np.random.Generator):
    """All (centre, context) position pairs of one pass, with word2vec's dynamic window.

    `ids` (N,) are the kept tokens of the corpus laid end to end; `sent` (N,) the sentence
    each came from, so windows never cross a sentence boundary. Returns two int64 arrays
    of positions (P,), (P,) in an order grouped by offset (the caller shuffles).
    """
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)  # (N,) each centre's reduced window
    centres, contexts = [], []
    pos = np.arange(n)
    for o in range(1, window + 1):
        if o >= n:
            break
        same = sent[o:] == sent[:-o]  # (N-o,) positions i and i+o in one sentence
        right = same & (b[:-o] >= o)  # centre i sees context i+o
        left = same & (b[o:] >= o)  # centre i+o sees context i
        centres += [pos[:-o][right], pos[o:][left]]
        contexts += [pos[o:][right], pos[:-o][left]]
    if not centres:  # fewer than two kept tokens this pass: no pairs at all
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(centres), np.concatenate(contexts)


def sgns_grads(v, u_pos, u_neg, valid=None):
    """Loss and gradients of negative sampling for a batch, derived by hand.

    v (B, D): input vectors; u_pos (B, D): output vectors of the true words;
    u_neg (G, K, D): output vectors of K noise words per group, where the B pairs form G
    equal groups (B = G * S) and the S pairs of a group share their noise words;
    valid (G, S, K): 0 where a noise word equals the pair's true word (word2vec skips it).
    The loss of one pair is -log s(u_pos . v) - sum_k log s(-u_k . v).
    Returns (loss summed over the batch, dL/dv (B, D), dL/du_pos (B, D), dL/du_neg (G, K, D)).
    """
    import torch
    from torch.nn import functional as F

    G, _, D = u_neg.shape
    vg = v.view(G, -1, D)  # (G, S, D)
    s_pos = (v * u_pos).sum(1)  # (B,) scores of the true words
    s_neg = torch.bmm(vg, u_neg.transpose(1, 2))  # (G, S, K) scores of the noise words
    g_pos = torch.sigmoid(s_pos) - 1.0  # (B,) dL/ds_pos
    g_neg = torch.sigmoid(s_neg)  # (G, S, K) dL/ds_neg
    loss_neg = F.logsigmoid(-s_neg)
    if valid is not None:
        g_neg = g_neg * valid
        loss_neg = loss_neg * valid
    loss = -F.logsigmoid(s_pos).sum() - loss_neg.sum()
    grad_v = g_pos.unsqueeze(1) * u_pos + torch.bmm(g_neg, u_neg).view(-1, D)  # (B, D)
    grad_pos = g_pos.unsqueeze(1) * v  # (B, D)
    grad_neg = torch.bmm(g_neg.transpose(1, 2), vg)  # (G, K, D)
    return loss, grad_v, grad_pos, grad_neg


def _subsample(corpus, sent, keep_p, rng):
    """One pass's kept tokens: each occurrence survives with its word's keep probability.
    Returns ids (n,) and their sentence numbers (n,)."""
    kept = rng.random(len(corpus)) < keep_p[corpus]  # (N,)
    return corpus[kept], sent[kept]


def _lr(cfg: Word2VecConfig, epochs_done: float) -> float:
    """The learning rate after `epochs_done` passes: linear from lr to min_lr."""
    return cfg.lr - (cfg.lr - cfg.min_lr) * epochs_done / cfg.epochs


def _epoch_examples(corpus, sent, keep_p, cfg, rng):
    """Subsample, build pairs, shuffle. Returns (inputs, target ids): inputs are input
    word ids (P,) for skip-gram, or (starts, lengths, context ids) for CBOW."""
    ids, s = _subsample(corpus, sent, keep_p, rng)
    c_pos, x_pos = window_pairs(ids, s, cfg.window, rng)
    if cfg.sg:
        # gensim trains the context word's input vector to predict the centre word
        order = rng.permutation(len(c_pos))
        return ids[x_pos[order]], ids[c_pos[order]]
    # CBOW: one example per centre word; its inputs are all its context words
    order = np.argsort(c_pos, kind="stable")
    c_pos, x_pos = c_pos[order], x_pos[order]
    centres, starts = np.unique(c_pos, return_index=True)  # (E,) (E,)
    lengths = np.diff(np.append(starts, len(c_pos)))  # (E,) context words per centre
    perm = rng.permutation(len(centres))
    return (starts[perm], lengths[perm], ids[x_pos]), ids[centres[perm]]


def train_word2vec(
    sentences: Sequence[Sequence[str]],
    config: Word2VecConfig | None = None,
    probe: Callable[[np.ndarray], float] | None = None,
) -> Word2VecResult:
    """Train word vectors on tokenized `sentences`; see the module docstring for the recipe."""
    cfg = config or Word2VecConfig()
    for name in ("dim", "window", "negative", "epochs", "min_count", "batch_size"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.snapshot_every < 0:
        raise ValueError(f"snapshot_every must be >= 0, got {cfg.snapshot_every}")
    if not cfg.step_bound > 0:
        raise ValueError(f"step_bound must be > 0, got {cfg.step_bound}")
    if cfg.share_negatives < 1 or cfg.threads < 0:
        raise ValueError("share_negatives must be >= 1 and threads >= 0")
    if cfg.engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {cfg.engine!r}")
    if cfg.engine == "pairwise":
        return _train_pairwise(sentences, cfg, probe)
    from .training import torch_threads

    with torch_threads(cfg.threads):
        return _train(sentences, cfg, probe)


def estimate_steps(sentences: Sequence[Sequence[str]], config: Word2VecConfig) -> int:
    """About how many updates `train_word2vec` will make (to space snapshots evenly).

    A sentence keeps n words on average after subsampling; offset o then gives about
    2 (n - o) pairs, each used when the centre's window reaches o (chance (W - o + 1) / W).
    Skip-gram makes one example per pair, CBOW one per centre word.
    """
    vocab = Vocab.build(sentences, min_count=config.min_count, specials=())
    counts = np.array([vocab.counts[w] for w in vocab.itos], dtype=np.float64)
    keep = keep_probabilities(counts, config.sample)
    n = np.array([sum(keep[vocab.stoi[t]] for t in s if t in vocab.stoi)
                  for s in sentences])  # (S,) expected kept words per sentence
    W = config.window
    if config.sg:
        per_epoch = sum(2 * np.maximum(n - o, 0).sum() * (W - o + 1) / W
                        for o in range(1, W + 1))
    else:
        per_epoch = n.sum()
    return max(1, int(config.epochs * per_epoch / config.batch_size))


def _corpus(sentences, cfg: Word2VecConfig):
    """The vocabulary, its counts (V,), the corpus as ids (N,) with the sentence of each
    (N,) (words below min_count removed before windows are drawn), and the raw token count."""
    vocab = Vocab.build(sentences, min_count=cfg.min_count, specials=())
    if len(vocab) < 2:
        raise ValueError("fewer than 2 words reach min_count: lower it or add text")
    raw_tokens = sum(len(s) for s in sentences)
    counts = np.array([vocab.counts[w] for w in vocab.itos], dtype=np.float64)
    get = vocab.stoi.get
    all_ids = np.array([get(t, -1) for s in sentences for t in s], dtype=np.int64)
    all_sent = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    known = all_ids >= 0
    return vocab, counts, all_ids[known], all_sent[known], raw_tokens


def _train(sentences, cfg: Word2VecConfig, probe) -> Word2VecResult:
    import torch

    from .word2vec_speed import bounded_step, cbow_inputs, rows, shared_negatives

    t0 = time.perf_counter()
    vocab, counts, corpus, sent, raw_tokens = _corpus(sentences, cfg)
    keep_p = keep_probabilities(counts, cfg.sample)
    noise_cdf = torch.from_numpy(np.cumsum(noise_distribution(counts))).float()

    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    V, D, K = len(vocab), cfg.dim, cfg.negative
    w_in = (torch.rand(V, D, generator=gen) - 0.5) / D  # (V, D) the word vectors
    w_out = torch.zeros(V, D)  # (V, D) the context ("output") vectors
    hist = History()

    def snap(step: int) -> None:
        w = w_in.numpy().copy()
        hist.snapshot_steps.append(step)
        hist.snapshots.append(w)
        if probe is not None:
            hist.probe_values.append(float(probe(w)))

    snap(0)
    step = pairs = 0
    bar = tqdm(total=cfg.epochs, desc="word2vec", unit="epoch", disable=not cfg.progress,
               mininterval=0.5)
    for epoch in range(cfg.epochs):
        inputs, targets = _epoch_examples(corpus, sent, keep_p, cfg, rng)
        # groups of `share` examples share noise words; drop the (< share) examples left over
        share = max(1, min(cfg.share_negatives, len(targets)))
        n = len(targets) - len(targets) % share
        batch = max(share, cfg.batch_size // share * share)
        targets = torch.from_numpy(targets)
        pairs += n
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            lr = _lr(cfg, epoch + start / n)
            pos = targets[start:stop]  # (B,)
            noise, valid = shared_negatives(noise_cdf, pos, share, K, gen)  # (G, K)
            if cfg.sg:
                in_ids, owner = torch.from_numpy(inputs[start:stop]), None  # (B,)
                v = rows(w_in, in_ids)  # (B, D)
            else:  # v: the mean of each example's context rows
                in_ids, owner, v = cbow_inputs(inputs, start, stop, w_in)
            u_pos = rows(w_out, pos)  # (B, D)
            u_neg = rows(w_out, noise.view(-1)).view(*noise.shape, D)  # (G, K, D)
            loss, *grads = sgns_grads(v, u_pos, u_neg, valid)
            # SGD on the rows the batch used, each row's step bounded (word2vec_speed)
            bounded_step(w_in, w_out, in_ids, owner, pos, noise, v, u_pos, u_neg, valid,
                         grads, lr, cfg.step_bound)
            step += 1
            hist.losses.append(loss.item() / len(pos))
            if cfg.snapshot_every and step % cfg.snapshot_every == 0:
                snap(step)
        bar.update(1)
        bar.set_postfix(loss=f"{hist.losses[-1]:.3f}" if hist.losses else "-")
    bar.close()
    return _finish(snap, step, t0, vocab, w_in.numpy(), w_out.numpy(), hist, raw_tokens,
                   cfg, pairs)


def _finish(snap, step, t0, vocab, w_in, w_out, hist, raw_tokens, cfg, pairs):
    """The last snapshot (unless step already took it) and the result, for both engines."""
    if not hist.snapshot_steps or hist.snapshot_steps[-1] != step:
        snap(step)
    seconds = time.perf_counter() - t0
    return Word2VecResult(
        vocab=vocab, vectors=w_in.copy(), history=hist, seconds=seconds,
        words_per_second=raw_tokens * cfg.epochs / seconds,
        output_vectors=w_out.copy(), pairs=pairs,
    )


def _train_pairwise(sentences, cfg: Word2VecConfig, probe) -> Word2VecResult:
    """The same recipe, one pair at a time (`embedlab.word2vec_pairwise`). A step is a block
    of centre positions (a 16th of the epoch, between 1,000 and `PAIRWISE_BLOCK`; it depends
    on the corpus only, never on the threads), the unit of losses, snapshots and threads."""
    from concurrent.futures import ThreadPoolExecutor

    from .word2vec_pairwise import noise_cdf, train_block

    t0 = time.perf_counter()
    vocab, counts, corpus, sent, raw_tokens = _corpus(sentences, cfg)
    keep_p = keep_probabilities(counts, cfg.sample)
    table = noise_cdf(noise_distribution(counts))
    rng = np.random.default_rng(cfg.seed)
    V, D = len(vocab), cfg.dim
    w_in = ((rng.random((V, D), dtype=np.float32) - 0.5) / D)  # (V, D) as word2vec.c
    w_out = np.zeros((V, D), dtype=np.float32)  # (V, D)
    hist = History()

    def snap(step: int) -> None:
        hist.snapshot_steps.append(step)
        hist.snapshots.append(w_in.copy())
        if probe is not None:
            hist.probe_values.append(float(probe(w_in)))

    snap(0)
    step = pairs = 0
    threads = max(1, cfg.threads)
    bar = tqdm(total=cfg.epochs, desc="word2vec", unit="epoch", disable=not cfg.progress,
               mininterval=0.5)
    with ThreadPoolExecutor(threads) as pool:
        for epoch in range(cfg.epochs):
            ids, s = _subsample(corpus, sent, keep_p, rng)
            n = len(ids)
            win = rng.integers(1, cfg.window + 1, size=n)  # (n,) reduced windows
            lr0, lr1 = _lr(cfg, epoch), _lr(cfg, epoch + 1)
            size = int(np.clip(n // 16, 1000, PAIRWISE_BLOCK))  # >= 16 blocks if n allows
            starts = range(0, n, size)

            def block(start, epoch=epoch, ids=ids, s=s, win=win, n=n, lr0=lr0, lr1=lr1,
                      size=size):
                seed = (cfg.seed * 1_000_003 + epoch * 10_007 + start // size) + 1
                return train_block(w_in, w_out, ids, s, win, cfg.window, start,
                                   min(start + size, n), table, cfg.negative,
                                   cfg.sg, lr0, lr1, seed)

            for wave in range(0, len(starts), threads):  # `threads` blocks at a time, then
                # wait: a snapshot never copies a table that a thread is still writing
                for loss, examples in list(pool.map(block, starts[wave:wave + threads])):
                    step += 1
                    pairs += examples
                    hist.losses.append(loss / max(examples, 1))
                    if cfg.snapshot_every and step % cfg.snapshot_every == 0:
                        snap(step)
            bar.update(1)
            bar.set_postfix(loss=f"{hist.losses[-1]:.3f}" if hist.losses else "-")
    bar.close()
    return _finish(snap, step, t0, vocab, w_in, w_out, hist, raw_tokens, cfg, pairs)


PAIRWISE_BLOCK = 20_000  # the most centre positions in a block (a pairwise step)
