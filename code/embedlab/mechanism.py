"""Why prediction gives interchangeable words similar rows: the measurements.

- `occurrence_gradients`: the gradient of one table row of `MLPLanguageModel`, written as
  one vector per occurrence of the row's token in the batch (the output error of that
  example, pulled back through the network). Their sum is what autograd computes.
- `category_cosines`: the category-by-category mean cosine of per-row vectors (for
  example each row's accumulated update over training), and `within_across` to read it.
- `move_word`: a modified toyworld in which one word swaps its contexts for those of
  another category (an intervention on the data, nothing else changed).
- `neighbour_categories`: the categories among one word's nearest rows.
- `cooccurrence_counts`, `sppmi` and `svd_embedding`: counting instead of predicting, the
  factorization Levy & Goldberg (2014) showed skip-gram with negative sampling performs
  implicitly: word-context counts -> shifted positive PMI -> truncated SVD.
- `neighbour_overlap`: how many nearest neighbours two tables share.

What it deliberately does not do: train (that is `embedlab.training` and
`embedlab.word2vec`), plot, or weight the PMI matrix in any of the other ways the
literature tried (context-distribution smoothing, eigenvalue weighting).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch.nn import functional as F

from .probes import cosine_matrix, nearest_neighbours
from .toyworld import CATEGORIES, ToyWorld
from .vocab import Vocab


def occurrence_gradients(model, ids: torch.Tensor, targets: torch.Tensor,
                         token: int) -> torch.Tensor:
    """One gradient vector per occurrence of `token` in the batch `ids` (B, C), by hand.

    Example n with logits z_n has output error d_n = (softmax(z_n) - onehot(y_n)) / B
    (the gradient of the mean cross-entropy). The network pulls it back to its input:
    a_n = (1 - h_n^2) * (W_out^T d_n) through the tanh layer, then the slice of the hidden
    weights that reads position j: g = W_hid[:, jD:(j+1)D]^T a_n. Returns (n_occ, D) in
    the order (example, position); their sum is d loss / d table[token].
    """
    with torch.no_grad():
        e = model.embedding.weight[ids]  # (B, C, D)
        h = torch.tanh(model.hidden(e.flatten(1)))  # (B, H)
        p = F.softmax(model.out(h), dim=1)  # (B, V)
        d = p - F.one_hot(targets, p.shape[1]).to(p.dtype)  # (B, V) output errors
        d = d / len(targets)  # the loss is a mean over the batch
        a = (1 - h**2) * (d @ model.out.weight)  # (B, H) error at the hidden layer
        D = e.shape[2]
        w = model.hidden.weight.view(-1, ids.shape[1], D)  # (H, C, D)
        n, j = torch.nonzero(ids == token, as_tuple=True)  # occurrences
        return torch.einsum("oh,ohd->od", a[n], w[:, j].transpose(0, 1))  # (n_occ, D)


def category_cosines(vectors, labels: Sequence[str],
                     categories: Sequence[str]) -> np.ndarray:
    """(C, C) mean cosine between the rows of category a and those of category b.

    The diagonal averages over pairs of *different* words of one category (a row's cosine
    with itself, 1, is left out)."""
    sims = cosine_matrix(vectors)  # (N, N)
    labels = np.asarray(labels)
    out = np.empty((len(categories), len(categories)))
    for i, a in enumerate(categories):
        for j, b in enumerate(categories):
            block = sims[np.ix_(labels == a, labels == b)]
            if i == j:
                m = len(block)
                out[i, j] = (block.sum() - np.trace(block)) / (m * (m - 1))
            else:
                out[i, j] = block.mean()
    return out


def within_across(matrix: np.ndarray) -> tuple[float, float]:
    """(mean of the diagonal, mean of the off-diagonal entries) of a category matrix."""
    m = np.asarray(matrix)
    off = ~np.eye(len(m), dtype=bool)
    return float(np.diag(m).mean()), float(m[off].mean())


def move_word(world: ToyWorld, word: str, to_category: str, seed: int = 0) -> ToyWorld:
    """The same corpus, except that `word` now lives in the slots of `to_category`.

    Every occurrence of `word` is replaced by another word of its own category (drawn
    uniformly), and as many tokens of `to_category`, chosen at random, become `word`. The
    word's frequency, every template and every other word's contexts stay as they were
    (up to the few substitutions). The category labels are not changed: `word` keeps its
    planted label, so a probe can ask whether its row left that category.
    """
    home = world.category_of(word)
    if home not in CATEGORIES or to_category not in CATEGORIES or home == to_category:
        raise ValueError(f"cannot move {word!r} ({home}) to {to_category!r}")
    rng = np.random.default_rng(seed)
    mates = [w for w in CATEGORIES[home] if w != word]
    sents = [list(s) for s in world.sentences]
    where = [(i, j) for i, s in enumerate(sents) for j, t in enumerate(s) if t == word]
    target = set(CATEGORIES[to_category])
    slots = [(i, j) for i, s in enumerate(sents) for j, t in enumerate(s) if t in target]
    for i, j in where:
        sents[i][j] = mates[rng.integers(len(mates))]
    for k in rng.choice(len(slots), size=min(len(where), len(slots)), replace=False):
        i, j = slots[k]
        sents[i][j] = word
    return ToyWorld(sentences=sents, categories=dict(world.categories))


def neighbour_categories(table, words: Sequence[str], labels: Sequence[str],
                         query: str, k: int = 5) -> dict[str, float]:
    """Share of each category among the k cosine-nearest rows of `query` (itself out)."""
    label_of = dict(zip(words, labels, strict=True))
    out: dict[str, float] = {}
    for w, _ in nearest_neighbours(table, words, query, k):
        out[label_of[w]] = out.get(label_of[w], 0.0) + 1.0 / k
    return out


# ------------------------------------------------------------------- counting


def cooccurrence_counts(sentences: Sequence[Sequence[str]], vocab: Vocab,
                        window: int = 5) -> sp.csr_matrix:
    """Symmetric (V, V) word-context counts within `window` positions, in one sentence.

    A pair at distance d counts (window - d + 1) / window: the chance that word2vec's
    dynamic window (each centre draws b in 1..window) reaches it, so these are the counts
    skip-gram sees on average. Words outside `vocab` are removed first, as word2vec does.
    """
    get = vocab.stoi.get
    ids = np.array([get(t, -1) for s in sentences for t in s], dtype=np.int64)
    sent = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    keep = ids >= 0
    ids, sent = ids[keep], sent[keep]  # (N,)
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):
        same = sent[d:] == sent[:-d]  # (N-d,) both ends in one sentence
        a, b = ids[:-d][same], ids[d:][same]
        w = np.full(len(a), (window - d + 1) / window)
        rows += [a, b]
        cols += [b, a]
        vals += [w, w]
    V = len(vocab)
    if not rows:
        return sp.csr_matrix((V, V))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                 np.concatenate(cols))), shape=(V, V))


def sppmi(counts, shift: float = 1.0) -> sp.csr_matrix:
    """Shifted positive PMI: max(PMI(w, c) - log(shift), 0), sparse.

    PMI(w, c) = log( #(w,c) * |D| / (#(w) * #(c)) ), with #(w) and #(c) the row and column
    sums of the counts and |D| their total (natural logarithms). `shift` = k, the number
    of negative samples: Levy & Goldberg (2014) show that skip-gram with k negatives is
    at its optimum when u_c . v_w = PMI(w, c) - log k. Zero counts give PMI = -inf -> 0.
    """
    c = sp.coo_matrix(counts, dtype=np.float64)
    if shift <= 0:
        raise ValueError(f"shift must be positive, got {shift}")
    total = c.sum()
    row_sums = np.asarray(c.sum(axis=1)).ravel()  # (V,) #(w)
    col_sums = np.asarray(c.sum(axis=0)).ravel()  # (V,) #(c)
    nz = c.data > 0
    r, k, x = c.row[nz], c.col[nz], c.data[nz]
    pmi = np.log(x * total / (row_sums[r] * col_sums[k])) - np.log(shift)
    pos = pmi > 0
    return sp.csr_matrix((pmi[pos], (r[pos], k[pos])), shape=c.shape)


def svd_embedding(matrix, dim: int) -> np.ndarray:
    """Rows U_d sqrt(S_d) of the truncated SVD of `matrix` (Levy & Goldberg's symmetric
    split of M = U S V^T between words and contexts), (V, dim).

    ARPACK's `svds` from a fixed start vector: exact top-`dim` singular triplets, the same
    on every run. BLAS is held to one thread: on a shared 2-core machine a second thread
    makes this several times slower, not faster.
    """
    from scipy.sparse.linalg import svds
    from threadpoolctl import threadpool_limits

    m = sp.csr_matrix(matrix, dtype=np.float64)
    if not 1 <= dim < min(m.shape):
        raise ValueError(f"dim must be between 1 and {min(m.shape) - 1}, got {dim}")
    with threadpool_limits(1):
        u, s, _ = svds(m, k=dim, v0=np.ones(m.shape[0]) / np.sqrt(m.shape[0]))
    order = np.argsort(-s)  # svds returns ascending singular values
    return u[:, order] * np.sqrt(s[order])


def neighbour_overlap(table_a, table_b, words: Sequence[str], queries: Sequence[str],
                      k: int = 10) -> dict[str, float]:
    """For each query, the fraction of its k nearest words (cosine) the two tables share.

    Both tables have one row per word of `words`, in the same order."""
    out = {}
    for q in queries:
        a, b = ({w for w, _ in nearest_neighbours(t, words, q, k)} for t in (table_a, table_b))
        out[q] = len(a & b) / k
    return out
