"""Reusing a table on a real task: starts, regimes, data sizes, a new language.

- `article_passages`: a downstream task from data on disk: which of the longest Wikipedia
  articles (gensim's 106-article extract, `embedlab.corpora`) a 20-word passage comes from.
  Test passages come from the last part of each article, training passages from the rest.
- `BagClassifier`: the smallest model whose first layer is an `nn.Embedding`: the mean of
  the passage's rows, then one linear layer (the "body").
- Starting tables for the task's vocabulary: `random_table`, `keyed_vectors_table` (any
  gensim `KeyedVectors`, e.g. the CLI's vectors.txt; missing words get random rows through
  `transfer.copy_rows`) and `minilm_word_table` (a whole word = the mean of its WordPiece
  rows in MiniLM's input table). All are centred and rescaled to entries of standard
  deviation 1 (`standard_scale`), so one learning rate means the same for all of them.
- Regimes (`regime_optimizer`): frozen table; fine-tuned; fine-tuned with a smaller table
  learning rate; AdamW with weight decay on the table. `run_one` trains one model with
  `training.train`; `sweep` runs every (start, regime, size, seed) and `summarize` gives
  mean and spread over seeds; `plot_sweep` draws them with bands.
- A new language (`new_language`): an English body on the 20 EN/IT words of gensim's test
  data, given (a) a random Italian table learned with the body frozen, (b) the Italian
  vectors mapped into the English space by Procrustes fitted on part of the dictionary,
  (c) everything re-learned; scored on held-out Italian words.

What it deliberately does not do: tune hyperparameters per start (one setting for all,
stated in the chapter), or claim anything beyond these small data sets.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .training import TrainConfig, make_optimizer, train
from .transfer import (
    _one_blas_thread,
    copy_rows,
    fit_procrustes,
    normalize_center,
    translation_ranks,
)
from .vocab import UNK, Vocab

# --- the task ------------------------------------------------------------------------


@dataclass
class PassageTask:
    vocab: Vocab  # [UNK], then the most frequent words of the chosen articles
    passages: torch.Tensor  # (N, length) word ids
    labels: torch.Tensor  # (N,) which article (0 .. n_articles - 1)
    is_test: np.ndarray  # (N,) True for passages from the last part of their article
    names: list[str]  # the first words of each article, as its name
    counts: np.ndarray = field(repr=False, default=None)  # (V,) training-pool counts


def article_passages(
    n_articles: int = 8, length: int = 20, test_fraction: float = 0.25,
    max_words: int = 1500,
) -> PassageTask:
    """Cut the `n_articles` longest articles into non-overlapping `length`-word passages.

    WikiCorpus keeps no sentence boundaries, so a "sentence" here is a fixed-length
    passage. The last `test_fraction` of each article is the test part: test passages
    are never neighbours of training passages. The vocabulary keeps the `max_words` most
    frequent words of the chosen articles; the others become [UNK].
    """
    from .corpora import wiki_articles

    arts = wiki_articles()
    order = sorted(range(len(arts)), key=lambda i: -len(arts[i]))[:n_articles]
    chunks, labels, is_test = [], [], []
    for label, i in enumerate(order):
        words = arts[i]
        n = len(words) // length
        cut = int(n * (1 - test_fraction))
        for j in range(n):
            chunks.append(words[j * length : (j + 1) * length])
            labels.append(label)
            is_test.append(j >= cut)
    vocab = Vocab.build(chunks, specials=(UNK,), max_size=max_words + 1)
    ids = torch.tensor([vocab.encode(c) for c in chunks])  # (N, length)
    is_test = np.array(is_test)
    counts = np.bincount(ids[torch.from_numpy(~is_test)].ravel().numpy(),
                         minlength=len(vocab))
    names = [" ".join(arts[i][:4]) for i in order]
    return PassageTask(vocab, ids, torch.tensor(labels), is_test, names, counts)


def split(task: PassageTask, per_class: int, seed: int, test_per_class: int = 60):
    """(train ids, test ids): `per_class` random training passages of every article
    (drawn by `seed`) and a fixed, evenly spaced test set of `test_per_class` each."""
    rng = np.random.default_rng(seed)
    labels = task.labels.numpy()
    train_idx, test_idx = [], []
    for c in range(int(labels.max()) + 1):
        pool = np.flatnonzero((labels == c) & ~task.is_test)
        test = np.flatnonzero((labels == c) & task.is_test)
        if per_class > len(pool) or test_per_class > len(test):
            raise ValueError(f"article {c} has too few passages for this split")
        train_idx.append(rng.choice(pool, per_class, replace=False))
        test_idx.append(test[np.linspace(0, len(test) - 1, test_per_class).astype(int)])
    return np.concatenate(train_idx), np.concatenate(test_idx)


# --- starting tables -----------------------------------------------------------------


def standard_scale(table) -> torch.Tensor:
    """The table minus its mean row, divided by the standard deviation of its entries.

    Trained tables share a large common direction (every row leans the same way), which
    a mean of rows only amplifies; centring removes it. One global factor then gives
    every start the scale of nn.Embedding's own N(0, 1) initialization, without changing
    a direction, so one learning rate means the same for every start.
    """
    t = torch.as_tensor(np.asarray(table), dtype=torch.float32)
    t = t - t.mean(dim=0)
    return t / t.std()


def random_table(n_rows: int, dim: int, seed: int) -> torch.Tensor:
    """Gaussian rows, nn.Embedding's own N(0, 1) initialization (centred and rescaled
    like the other starts)."""
    gen = torch.Generator().manual_seed(seed)
    return standard_scale(torch.randn(n_rows, dim, generator=gen))


def keyed_vectors_table(kv, itos, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of gensim KeyedVectors for the words `itos`; words it lacks get random rows
    on its scale (`transfer.copy_rows`). Returns (table (V, D), copied mask (V,))."""
    table, copied = copy_rows(kv.vectors, kv.index_to_key, itos, seed=seed)
    return standard_scale(table), copied


def minilm_word_table(itos, table=None, tokenizer=None) -> torch.Tensor:
    """Row of each word = mean of the MiniLM input rows of its WordPiece pieces, (V, 384)."""
    from .pretrained import minilm_table, minilm_tokenizer

    table = minilm_table() if table is None else table  # (30522, 384)
    tok = tokenizer or minilm_tokenizer()
    encs = tok.encode_batch(list(itos), add_special_tokens=False)
    pieces = torch.cat([torch.tensor(e.ids) for e in encs])  # (P,)
    owner = torch.repeat_interleave(torch.tensor([len(e.ids) for e in encs]))  # (P,)
    sums = torch.zeros(len(encs), table.shape[1]).index_add_(0, owner, table[pieces])
    return standard_scale(sums / torch.bincount(owner, minlength=len(encs)).unsqueeze(1))


# --- the model and the regimes --------------------------------------------------------


class BagClassifier(nn.Module):
    """ids (B, L) -> mean of their table rows (B, D) -> linear layer -> logits (B, C)."""

    def __init__(self, table: torch.Tensor, n_classes: int):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(table.clone(), freeze=False)
        self.head = nn.Linear(table.shape[1], n_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(ids).mean(dim=1))  # (B, L, D) -> (B, C)

    def loss(self, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(ids), labels)


REGIMES = ("frozen", "fine-tuned", "small table lr", "AdamW decay")


@dataclass
class RunConfig:
    steps: int = 40  # optimizer steps per run
    batch_size: int = 64  # passages per step (drawn with replacement)
    lr: float = 0.02  # Adam learning rate of the body (and of the table when fine-tuned)
    table_lr_factor: float = 0.1  # "small table lr": the table's lr is lr * this
    weight_decay: float = 0.1  # "AdamW decay": decoupled weight decay on the table
    optimizer: str = "adam"  # the base optimizer of the fine-tuning regimes ("sgd" too)
    test_per_class: int = 60  # test passages per article (the same for every seed)


def regime_optimizer(model: BagClassifier, regime: str, cfg: RunConfig):
    """The optimizer of one regime; "frozen" also switches the table's gradient off."""
    table, body = model.embedding.weight, list(model.head.parameters())
    fused = cfg.optimizer == "adam"  # one CPU kernel per step: same maths, twice as fast

    def make(name, params, lr):
        return make_optimizer(name, params, lr, fused=fused or name == "adamw")

    if regime == "frozen":
        table.requires_grad_(False)
        return make(cfg.optimizer, body, cfg.lr)
    if regime == "fine-tuned":
        return make(cfg.optimizer, [table, *body], cfg.lr)
    if regime == "small table lr":
        groups = [{"params": [table], "lr": cfg.lr * cfg.table_lr_factor},
                  {"params": body}]
        return make(cfg.optimizer, groups, cfg.lr)
    if regime == "AdamW decay":
        groups = [{"params": [table], "weight_decay": cfg.weight_decay},
                  {"params": body, "weight_decay": 0.0}]
        return make("adamw", groups, cfg.lr)
    raise ValueError(f"unknown regime {regime!r}: use one of {REGIMES}")


def accuracy(model: nn.Module, ids: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(ids).argmax(dim=1) == labels).float().mean())


def run_one(task: PassageTask, table, regime: str, per_class: int, seed: int,
            cfg: RunConfig | None = None):
    """Train one bag classifier; returns (test accuracy, row drift (V,), model)."""
    cfg = cfg or RunConfig()
    tr, te = split(task, per_class, seed, cfg.test_per_class)
    torch.manual_seed(seed)  # the head's initialization
    model = BagClassifier(table, int(task.labels.max()) + 1)
    opt = regime_optimizer(model, regime, cfg)
    data = [task.passages[tr], task.labels[tr]]
    train(model, data, TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size,
                                   snapshot_every=max(1, cfg.steps), seed=seed,
                                   progress=False), optimizer=opt)
    drift = (model.embedding.weight.detach() - table).norm(dim=1).numpy()  # (V,)
    return accuracy(model, task.passages[te], task.labels[te]), drift, model


def sweep(task, tables: dict, regimes, sizes, seeds, cfg: RunConfig | None = None,
          progress: bool = True) -> list[dict]:
    """Every (start, regime, size, seed): one row with its test accuracy and seconds."""
    from tqdm.auto import tqdm

    combos = [(s, r, n, seed) for s in tables for r in regimes for n in sizes
              for seed in seeds]
    rows = []
    for start, regime, n, seed in tqdm(combos, desc="sweep", disable=not progress,
                                       mininterval=0.5):
        t0 = time.perf_counter()
        acc, _, _ = run_one(task, tables[start], regime, n, seed, cfg)
        rows.append(dict(start=start, regime=regime, size=n, seed=seed, accuracy=acc,
                         seconds=time.perf_counter() - t0))
    return rows


def summarize(rows: list[dict]) -> dict[tuple, tuple[float, float, float]]:
    """(start, regime, size) -> (mean, min, max) of accuracy over seeds."""
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        groups.setdefault((r["start"], r["regime"], r["size"]), []).append(r["accuracy"])
    return {k: (float(np.mean(v)), float(np.min(v)), float(np.max(v)))
            for k, v in groups.items()}


def plot_sweep(axes, summary, starts, regimes, sizes, colours, chance=None):
    """One panel per start: accuracy vs training-set size, a line per regime, the band
    spanning the seeds' min..max."""
    for ax, start in zip(axes, starts, strict=True):
        for regime, colour in zip(regimes, colours, strict=False):
            if (start, regime, sizes[0]) not in summary:  # a combination not run
                continue
            m, lo, hi = (np.array([summary[(start, regime, n)][i] for n in sizes])
                         for i in range(3))
            ax.plot(sizes, m, marker="o", color=colour, label=regime)
            ax.fill_between(sizes, lo, hi, color=colour, alpha=0.2)
        if chance is not None:
            ax.axhline(chance, color="grey", lw=1, ls=":", label="chance")
        ax.set_xscale("log")
        ax.minorticks_off()  # only the sizes themselves are labelled
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.set_title(start, fontsize=10)
        ax.set_xlabel("training passages per article")
    axes[0].set_ylabel("test accuracy")


# --- a new language --------------------------------------------------------------------

EN_IT_CATEGORIES = {  # the three groups of the 20 EN/IT words
    "number": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten"],
    "animal": ["dog", "pig", "cat", "fish", "birds"],
    "fruit": ["apple", "orange", "grape", "banana", "mango"],
}


def _fit_table(model, table_only: bool, ids, labels, steps: int, lr: float, seed: int):
    params = [model.embedding.weight] if table_only else list(model.parameters())
    if table_only:
        model.head.requires_grad_(False)
    opt = make_optimizer("adam", params, lr)
    train(model, [ids, labels], TrainConfig(steps=steps, batch_size=len(ids),
                                            snapshot_every=max(1, steps), seed=seed,
                                            progress=False), optimizer=opt)


@functools.lru_cache(maxsize=1)
def _en_it_data():
    """The 20 dictionary pairs, their EN and IT vectors (20, 300) and group labels (20,),
    read once per process (every split of the EN/IT experiment uses the same files)."""
    from .transfer import EN_VECTORS, IT_VECTORS, load_dictionary, load_vectors

    pairs = load_dictionary()
    en_words, en_vecs = load_vectors(EN_VECTORS)
    it_words, it_vecs = load_vectors(IT_VECTORS)
    cat_of = {w: c for c, (_, ws) in enumerate(EN_IT_CATEGORIES.items()) for w in ws}
    x_en = normalize_center([en_vecs[en_words.index(e)] for e, _ in pairs])  # (20, 300)
    x_it = normalize_center([it_vecs[it_words.index(i)] for _, i in pairs])  # (20, 300)
    labels = torch.tensor([cat_of[e] for e, _ in pairs])  # (20,)
    return pairs, x_en, x_it, labels


def new_language(fit_pairs: np.ndarray, seed: int = 0, steps: int = 20,
                 lr: float = 0.2) -> dict:
    """One split of the EN/IT experiment. `fit_pairs` (bool, 20): dictionary pairs whose
    Italian word is "known" (used for the map and as labelled Italian data); the others
    are held out. Returns accuracy on held-out Italian words for (a) random table, body
    frozen, (b) Procrustes-mapped table, (c) all re-learned, plus held-out P@1 of the map,
    trained-parameter counts and seconds."""
    pairs, x_en, x_it, labels = _en_it_data()
    x_en, x_it = x_en.copy(), x_it.copy()  # the cache stays untouched
    ids = torch.arange(len(pairs)).unsqueeze(1)  # (20, 1): one-word "passages"
    fit, held = np.flatnonzero(fit_pairs), np.flatnonzero(~fit_pairs)
    out: dict = {}

    # the English model: the EN table, frozen, and a body trained on all 20 words
    torch.manual_seed(seed)
    english = BagClassifier(standard_scale(x_en), 3)
    english.embedding.weight.requires_grad_(False)
    _fit_table(english, False, ids, labels, steps, lr, seed)
    out["english accuracy"] = accuracy(english, ids, labels)
    body = english.head.state_dict()

    def with_body(table):
        m = BagClassifier(table, 3)
        m.head.load_state_dict(body)
        return m

    # (a) a random Italian table; body frozen; only the table learns (known words)
    t0 = time.perf_counter()
    a = with_body(random_table(len(pairs), 300, seed))
    _fit_table(a, True, ids[fit], labels[fit], steps, lr, seed)
    out["a"] = (accuracy(a, ids[held], labels[held]), accuracy(a, ids[fit], labels[fit]),
                len(pairs) * 300, time.perf_counter() - t0)
    # (b) Italian vectors mapped into the English space by Procrustes on the known pairs
    t0 = time.perf_counter()
    with _one_blas_thread():  # a 300 x 300 SVD: threads only add waiting
        w = fit_procrustes(x_it[fit], x_en[fit])  # (300, 300), applied as x_it @ w
    mapped = x_it @ w
    b = with_body(standard_scale(mapped))
    out["b"] = (accuracy(b, ids[held], labels[held]), accuracy(b, ids[fit], labels[fit]),
                0, time.perf_counter() - t0)
    out["p@1 held-out"] = float((translation_ranks(mapped, x_en)[held] == 0).mean())
    out["p@1 fitted"] = float((translation_ranks(mapped, x_en)[fit] == 0).mean())
    # (c) everything re-learned from the known Italian words
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    c = BagClassifier(random_table(len(pairs), 300, seed), 3)
    _fit_table(c, False, ids[fit], labels[fit], steps, lr, seed)
    out["c"] = (accuracy(c, ids[held], labels[held]), accuracy(c, ids[fit], labels[fit]),
                sum(p.numel() for p in c.parameters()), time.perf_counter() - t0)
    return out


def token_counts(task: PassageTask, train_ids) -> np.ndarray:
    """How often each word id occurs in the given training passages, (V,)."""
    c = Counter(task.passages[train_ids].ravel().tolist())
    return np.array([c.get(i, 0) for i in range(len(task.vocab))])


# --- words never seen --------------------------------------------------------------------


def drop_middle_letter(word: str) -> str:
    """A deterministic misspelling: the word without its middle letter."""
    m = len(word) // 2
    return word[:m] + word[m + 1 :]


def ranks_among(queries, candidates, correct, centre: bool = False) -> np.ndarray:
    """Rank (0 = nearest) of candidate `correct[i]` for query i by cosine similarity,
    optionally after centring both on the candidates' mean row. (Q,)"""
    q = np.asarray(queries, dtype=np.float64)  # (Q, D)
    c = np.asarray(candidates, dtype=np.float64)  # (N, D)
    if centre:
        q, c = q - c.mean(axis=0), c - c.mean(axis=0)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    sims = q @ c.T  # (Q, N)
    right = sims[np.arange(len(q)), np.asarray(list(correct))]  # (Q,)
    return (sims > right[:, None]).sum(axis=1)
