"""The speed machinery of `embedlab.word2vec`: how one batch of examples updates the tables.

word2vec.c walks the corpus one (centre, context) pair at a time and updates the rows that
pair touched before it looks at the next. That is exact but slow in Python, so
`embedlab.word2vec` trains on batches of thousands of examples at once. Three engineering
choices make that fast, and one safeguard keeps it stable; none of them is part of the
objective the chapter teaches (the loss and its gradient are in `embedlab.word2vec`).

- Shared negatives (`shared_negatives`): the examples of a batch form groups of S that
  share one draw of K noise words. Every example still meets K words from the unigram^0.75
  distribution, but the batch reads K rows per group instead of K per example, which cuts
  the memory traffic (S = 1 is word2vec's own fresh draw per example).
- Sparse row updates (`sgd_rows`): only the rows a batch used change, applied with
  `scatter_add_`, which sums repeated ids and on CPU beats `index_add_` several times over
  for this shape; rows are read with `index_select` (`rows`), faster than `table[ids]`.
- CBOW inputs (`cbow_inputs`): the mean of each example's context rows, built for the whole
  batch with one `index_add_`.
- Curvature-bounded row steps (`sgns_curvatures`, `row_scale`): a batch sums the gradients
  of every example that touches a row, all computed from the same (stale) vectors, where
  word2vec.c would take those steps one after another, each seeing the last. Summed at once
  they overshoot when many examples push one row the same way (a tiny vocabulary, or a
  noise word shared by a whole group), and training diverges. So each row's rate becomes
  min(lr, step_bound / h), h a bound on the curvature of its batch loss: 1 / h is the Newton
  step of the quadratic model, and the default step_bound 0.5 gives each of the two tables
  half of it, since a score u . v changes through both at once. On a real vocabulary
  lr * h is small for almost every row, and training is plain SGD.

What it deliberately does not do: decide anything about the objective, the data or the
schedule (`embedlab.word2vec` does), or run on several threads.
"""

from __future__ import annotations

import numpy as np
import torch


def rows(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """table[ids] for 1-D ids; `index_select` is several times faster on CPU than table[ids]."""
    return table.index_select(0, ids)


def shared_negatives(noise_cdf: torch.Tensor, pos: torch.Tensor, share: int, negative: int,
                     gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """K noise ids for each group of `share` consecutive examples, drawn by inverting the
    cumulative noise distribution `noise_cdf` (V,). `pos` (B,) are the true words, B a
    multiple of `share`. Returns noise (G, K) and valid (G, S, K): False where a noise word
    equals the example's true word (word2vec skips it)."""
    noise = torch.searchsorted(noise_cdf, torch.rand(
        len(pos) // share, negative, generator=gen)).clamp_(max=len(noise_cdf) - 1)  # (G, K)
    valid = noise.unsqueeze(1) != pos.view(-1, share, 1)  # (G, S, K)
    return noise, valid


def sgns_curvatures(v, u_pos, u_neg, valid=None):
    """Trace bounds of the per-example curvature of the loss of `word2vec.sgns_grads`.

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


def row_scale(ids, curv, V: int, lr: float) -> torch.Tensor:
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


def sgd_rows(table, ids, grads, lr: float, scale=None):
    """table[ids] -= lr * scale[ids] * grads, summing repeated ids (`scatter_add_` beats
    `index_add_` several times over on CPU for this shape)."""
    step = -lr if scale is None else scale.index_select(0, ids).unsqueeze(1) * -lr
    table.scatter_add_(0, ids.unsqueeze(1).expand_as(grads), grads * step)


def cbow_inputs(inputs, start: int, stop: int, w_in: torch.Tensor):
    """Mean context vector of each CBOW example in [start, stop): (ctx ids, owner, (B, D))."""
    starts, all_lengths, ctx = inputs
    s, lengths = starts[start:stop], all_lengths[start:stop]  # (B,) (B,)
    owner = np.repeat(np.arange(len(s)), lengths)  # (C,) example of each context word
    offs = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ctx_ids = torch.from_numpy(ctx[np.repeat(s, lengths) + offs])  # (C,)
    owner_t = torch.from_numpy(owner)
    v = torch.zeros(len(s), w_in.shape[1]).index_add_(0, owner_t, rows(w_in, ctx_ids))
    v /= torch.from_numpy(lengths).unsqueeze(1).float()  # (B, D) mean of the context
    return ctx_ids, owner_t, v


def bounded_step(w_in, w_out, in_ids, owner, pos, noise, v, u_pos, u_neg, valid, grads,
                 lr: float, step_bound: float) -> None:
    """Apply one batch's gradients to both tables, in place, each row's step bounded.

    in_ids: the input rows (B,) for skip-gram, or the context rows (C,) for CBOW, with
    owner (C,) the example each belongs to (None for skip-gram); every context word of a
    CBOW example receives the whole gradient of the mean (gensim's cbow_mean=1).
    grads = (dL/dv (B, D), dL/du_pos (B, D), dL/du_neg (G, K, D)) from `sgns_grads`.
    """
    grad_v, grad_pos, grad_neg = grads
    V, D = w_in.shape
    h_v, h_pos, h_neg = sgns_curvatures(v, u_pos, u_neg, valid)
    if owner is not None:
        h_v, grad_v = h_v.index_select(0, owner), grad_v.index_select(0, owner)
    scale_in = row_scale(in_ids, h_v, V, lr / step_bound)
    flat_noise = noise.view(-1)
    scale_out = row_scale(torch.cat([pos, flat_noise]), torch.cat([h_pos, h_neg.view(-1)]),
                          V, lr / step_bound)
    sgd_rows(w_out, pos, grad_pos, lr, scale_out)
    sgd_rows(w_out, flat_noise, grad_neg.view(-1, D), lr, scale_out)
    sgd_rows(w_in, in_ids, grad_v, lr, scale_in)
