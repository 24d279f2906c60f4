"""Skip-gram and CBOW with negative sampling (word2vec), fast enough to race gensim.

The recipe of Mikolov et al. (2013), as word2vec.c and gensim implement it, rewritten so that
PyTorch does the work in large batches instead of one word pair at a time:

1. Frequent-word subsampling: each epoch, drop every occurrence of word w with probability
   1 - (sqrt(f/t) + 1) * t/f, where f is its count and t = sample * corpus size.
2. Pairs for a whole epoch at once with numpy, with word2vec's dynamic window: each centre
   word draws a window b in 1..window and pairs with the words at offsets 1..b either side.
3. Each batch of pairs draws `negative` noise words from the unigram^0.75 distribution in one
   tensor op, scores them with dot products and updates only the rows it used. To save
   memory traffic, the pairs of a batch form groups of `share_negatives` that share their
   noise words (every pair still meets K words from the same distribution; set it to 1 for
   word2vec's own fresh draw per pair, which moves more memory and is slower).
4. The update is the hand-derived gradient of the loss
       -log s(u_o . v_c) - sum_k log s(-u_k . v_c)     (s = sigmoid)
   applied with `scatter_add_` and a learning rate that decays linearly to `min_lr`
   (plain SGD, as word2vec does). `sgns_grads` is the gradient on its own, so tests can
   compare it with `torch.autograd`.
5. A batch sums the gradients of every example that touches a row, all computed from the
   same (stale) vectors. word2vec.c takes those steps one after another, each seeing the
   last; summed at once they overshoot when many examples push one row the same way (a
   tiny vocabulary, or a noise word shared by a whole group), and training diverges. So
   each row's rate becomes min(lr, step_bound / h), with h a bound on the curvature of
   its batch loss (`sgns_curvatures`): 1 / h is the Newton step of the quadratic model,
   and the default 0.5 gives each of the two tables half of it, since a score u . v
   changes through both at once. On a real vocabulary lr * h is small for almost every
   row, and training is as before.

The input table `vectors` (the one word2vec keeps) starts uniform in +-0.5/dim, the output
table at zero, as in word2vec.c. CBOW averages the context vectors and sends the whole
gradient back to each context word (gensim's cbow_mean=1).

What it deliberately does not do: hierarchical softmax, phrases, worker threads of
its own, or resuming a run. It trains on one torch thread by default: the batches are too
small to gain from two, and one thread does not stall when other programs share the CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from .training import History, torch_threads
from .vocab import Vocab


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
    threads: int = 1  # torch threads while training (0: leave torch's setting alone)
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


def sgns_loss(v, u_pos, u_neg) -> float:
    """Negative-sampling loss of one pair, in float64: -log s(u_pos . v) -
    sum_k log s(-u_neg[k] . v), with v, u_pos (D,) and u_neg (K, D). `sgns_grads` is
    the batched version with its gradients."""
    v, u_pos, u_neg = (torch.as_tensor(np.asarray(x, dtype=np.float64))
                       for x in (v, u_pos, u_neg))
    return float(-F.logsigmoid(u_pos @ v) - F.logsigmoid(-(u_neg @ v)).sum())


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


def _epoch_examples(corpus, sent, keep_p, cfg, rng):
    """Subsample, build pairs, shuffle. Returns (inputs, target ids): inputs are input
    word ids (P,) for skip-gram, or (starts, lengths, context ids) for CBOW."""
    kept = rng.random(len(corpus)) < keep_p[corpus]  # (N,)
    ids, s = corpus[kept], sent[kept]
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


def _train(sentences, cfg: Word2VecConfig, probe) -> Word2VecResult:
    t0 = time.perf_counter()
    vocab = Vocab.build(sentences, min_count=cfg.min_count, specials=())
    if len(vocab) < 2:
        raise ValueError("fewer than 2 words reach min_count: lower it or add text")
    raw_tokens = sum(len(s) for s in sentences)
    counts = np.array([vocab.counts[w] for w in vocab.itos], dtype=np.float64)
    get = vocab.stoi.get
    all_ids = np.array([get(t, -1) for s in sentences for t in s], dtype=np.int64)
    all_sent = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    known = all_ids >= 0  # words below min_count are removed before windows are drawn
    corpus, sent = all_ids[known], all_sent[known]  # (N,) ids and sentence numbers
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
            lr = cfg.lr - (cfg.lr - cfg.min_lr) * (epoch + start / n) / cfg.epochs
            pos = targets[start:stop]  # (B,)
            noise = torch.searchsorted(noise_cdf, torch.rand(
                (stop - start) // share, K, generator=gen)).clamp_(max=V - 1)  # (G, K)
            valid = noise.unsqueeze(1) != pos.view(-1, share, 1)  # (G, S, K)
            if cfg.sg:
                in_ids = torch.from_numpy(inputs[start:stop])  # (B,)
                v = _rows(w_in, in_ids)  # (B, D)
            else:
                ctx_ids, owner, v = _cbow_inputs(inputs, start, stop, w_in)
            u_neg = _rows(w_out, noise.view(-1)).view(*noise.shape, D)  # (G, K, D)
            loss, grad_v, grad_pos, grad_neg = sgns_grads(v, _rows(w_out, pos), u_neg, valid)
            # a row met by many examples gets their summed, stale gradients at once:
            # limit its step to a Newton step of its own loss (see `_row_scale`)
            h_v, h_pos, h_neg = sgns_curvatures(v, _rows(w_out, pos), u_neg, valid)
            if cfg.sg:
                scale_in = _row_scale(in_ids, h_v, V, lr / cfg.step_bound)
            else:
                scale_in = _row_scale(ctx_ids, h_v.index_select(0, owner), V,
                                      lr / cfg.step_bound)
            flat_noise = noise.view(-1)
            scale_out = _row_scale(torch.cat([pos, flat_noise]),
                                   torch.cat([h_pos, h_neg.view(-1)]), V,
                                   lr / cfg.step_bound)
            _sgd_rows(w_out, pos, grad_pos, lr, scale_out)
            _sgd_rows(w_out, flat_noise, grad_neg.view(-1, D), lr, scale_out)
            if cfg.sg:
                _sgd_rows(w_in, in_ids, grad_v, lr, scale_in)
            else:  # every context word receives the whole gradient of the mean
                _sgd_rows(w_in, ctx_ids, grad_v.index_select(0, owner), lr, scale_in)
            step += 1
            hist.losses.append(loss.item() / len(pos))
            if cfg.snapshot_every and step % cfg.snapshot_every == 0:
                snap(step)
        bar.update(1)
        bar.set_postfix(loss=f"{hist.losses[-1]:.3f}" if hist.losses else "-")
    bar.close()
    if not hist.snapshot_steps or hist.snapshot_steps[-1] != step:
        snap(step)
    seconds = time.perf_counter() - t0
    return Word2VecResult(
        vocab=vocab, vectors=w_in.numpy().copy(), history=hist, seconds=seconds,
        words_per_second=raw_tokens * cfg.epochs / seconds,
        output_vectors=w_out.numpy().copy(), pairs=pairs,
    )


def _rows(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """table[ids] for 1-D ids; `index_select` is several times faster on CPU than table[ids]."""
    return table.index_select(0, ids)


def _row_scale(ids, curv, V: int, lr: float) -> torch.Tensor:
    """Per-row step factor (V,): min(1, 1 / (lr * h)), h = the row's summed curvature.

    `curv` (len(ids),) is each gradient row's bound on the curvature of its loss along
    that table row (`sgns_curvatures`); summed per row, h bounds the largest eigenvalue
    of the Hessian of the batch loss in that row. A plain step lr is stable while
    lr * h < 2; scaling it to at most 1 / h (the Newton step of the quadratic model)
    stops a row that many examples push the same way from overshooting. Rows met by
    few examples, or with small vectors, keep lr unchanged.
    """
    h = torch.bincount(ids, weights=curv, minlength=V)  # (V,)
    return 1.0 / (lr * h).clamp(min=1.0)


def sgns_curvatures(v, u_pos, u_neg, valid=None):
    """Trace bounds of the per-example curvature of the loss of `sgns_grads`.

    The loss of one score s = a . b is convex in a with Hessian s'(s) b b^T, whose
    largest eigenvalue is s'(s) |b|^2 (s' = sigmoid derivative). Returns
    h_v (B,): sum over the pair's K+1 scores of s'(s) |u|^2 (curvature along v);
    h_pos (B,): s'(s_pos) |v|^2; h_neg (G, K): sum over the group's S pairs of
    s'(s_k) |v|^2 (a shared noise word's row carries the whole group).
    """
    G, K, D = u_neg.shape
    vg = v.view(G, -1, D)  # (G, S, D)
    c_pos = _dsigmoid((v * u_pos).sum(1))  # (B,)
    c_neg = _dsigmoid(torch.bmm(vg, u_neg.transpose(1, 2)))  # (G, S, K)
    if valid is not None:
        c_neg = c_neg * valid
    v2 = (vg * vg).sum(2)  # (G, S) squared lengths of the input vectors
    h_v = c_pos * (u_pos * u_pos).sum(1) + torch.bmm(
        c_neg, (u_neg * u_neg).sum(2).unsqueeze(2)).view(-1)  # (B,)
    h_pos = c_pos * v2.view(-1)  # (B,)
    h_neg = (c_neg * v2.unsqueeze(2)).sum(1)  # (G, K)
    return h_v, h_pos, h_neg


def _dsigmoid(x: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(x)
    return s * (1.0 - s)


def _sgd_rows(table, ids, grads, lr: float, scale=None):
    """table[ids] -= lr * scale[ids] * grads, summing repeated ids (`scatter_add_` beats
    `index_add_` several times over on CPU for this shape)."""
    step = -lr if scale is None else scale.index_select(0, ids).unsqueeze(1) * -lr
    table.scatter_add_(0, ids.unsqueeze(1).expand_as(grads), grads * step)


def _cbow_inputs(inputs, start: int, stop: int, w_in: torch.Tensor):
    """Mean context vector of each CBOW example in [start, stop): (ctx ids, owner, (B, D))."""
    starts, all_lengths, ctx = inputs
    s, lengths = starts[start:stop], all_lengths[start:stop]  # (B,) (B,)
    owner = np.repeat(np.arange(len(s)), lengths)  # (C,) example of each context word
    offs = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ctx_ids = torch.from_numpy(ctx[np.repeat(s, lengths) + offs])  # (C,)
    owner_t = torch.from_numpy(owner)
    v = torch.zeros(len(s), w_in.shape[1]).index_add_(0, owner_t, _rows(w_in, ctx_ids))
    v /= torch.from_numpy(lengths).unsqueeze(1).float()  # (B, D) mean of the context
    return ctx_ids, owner_t, v
