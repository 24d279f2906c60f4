"""Scores of word vectors on real-text benchmarks: word similarity and analogies.

- `similarity_spearman`: rank correlation between the cosine similarity of word pairs and
  human judgements (WordSim353 rewards relatedness, SimLex-999 strict similarity), by
  gensim's `KeyedVectors.evaluate_word_pairs` (on `embedlab.export.keyed_vectors`).
  Pairs with a word outside the vocabulary are skipped and counted.
- `spearman_interval`: a bootstrap interval of that correlation over the benchmark's pairs
  (how noisy the score is with a few hundred pairs).
- `analogy_accuracy`: "a is to b as c is to ?" by 3CosAdd (nearest unit vector to
  b - a + c, the three question words excluded) on Mikolov's questions-words.txt, with the
  candidates and questions restricted to the `restrict_vocab` most frequent words, as
  gensim's `evaluate_word_analogies` does; coverage says how many questions could be asked.
- `most_similar`: the nearest words of one query, without a V x V matrix.

The files come from gensim's test data (`embedlab.corpora.data_path`). Words are compared
in lower case, which suits vocabularies built from gensim's lower-casing tokenizers.

What it deliberately does not do: train anything, or download other benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.stats import rankdata

from .corpora import data_path
from .export import keyed_vectors
from .probes import nearest_neighbours, unit_rows
from .vocab import Vocab

SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGY_FILE = "questions-words.txt"


@cache
def similarity_pairs(dataset: str = "wordsim353") -> tuple[tuple[str, str, float], ...]:
    """The (word, word, human score) rows of a similarity set, lower-cased."""
    if dataset not in SIMILARITY_FILES:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {sorted(SIMILARITY_FILES)}")
    rows = []
    for line in data_path(SIMILARITY_FILES[dataset]).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        try:
            rows.append((parts[0].lower(), parts[1].lower(), float(parts[2])))
        except ValueError:
            continue
    return tuple(rows)


@cache
def analogy_questions() -> tuple[tuple[str, str, str, str, str], ...]:
    """(section, a, b, c, expected) for every question, lower-cased."""
    out, section = [], None
    for line in data_path(ANALOGY_FILE).read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            section = line[2:].strip()
        elif len(line.split()) == 4 and section:
            a, b, c, d = line.lower().split()
            out.append((section, a, b, c, d))
    return tuple(out)


def _words(vocab_or_words) -> list[str]:
    return list(vocab_or_words.itos if isinstance(vocab_or_words, Vocab) else vocab_or_words)


def _index(words: Sequence[str], restrict_vocab: int | None) -> dict[str, int]:
    """Lower-cased word -> row among the first `restrict_vocab` rows (first one wins)."""
    index: dict[str, int] = {}
    for i, w in enumerate(words[:restrict_vocab]):
        index.setdefault(w.lower(), i)
    return index


def _pair_scores(vectors, vocab_or_words, dataset: str, restrict_vocab: int):
    """(row of word a, row of word b, human score) arrays of the pairs whose words both
    have rows, and the number of pairs in the file. No cosine here: the gensim path and
    the bootstrap each compute theirs once."""
    words = _words(vocab_or_words)
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words for {len(vectors)} vectors")
    index = _index(words, restrict_vocab)
    rows = similarity_pairs(dataset)
    used = [(index[a], index[b], s) for a, b, s in rows if a in index and b in index]
    if not used:
        empty = np.zeros(0, dtype=int)
        return empty, empty, np.zeros(0), len(rows)
    ia, ib, gold = (np.array(x) for x in zip(*used, strict=True))  # (P,) each
    return ia, ib, gold, len(rows)


def similarity_spearman(
    vectors, vocab_or_words, dataset: str = "wordsim353", restrict_vocab: int = 300_000
) -> tuple[float, int, int]:
    """(Spearman rho, pairs used, pairs in the file) of cosine similarity vs human scores,
    computed by gensim's `KeyedVectors.evaluate_word_pairs` (case-insensitive)."""
    _, _, gold, n_rows = _pair_scores(vectors, vocab_or_words, dataset, restrict_vocab)
    used = len(gold)
    if used < 3:  # gensim would warn and return nan: no correlation to speak of
        return float("nan"), used, n_rows
    words = _words(vocab_or_words)
    # unit rows first (float64): gensim's own normalising of raw rows can move a cosine
    # by one unit in the last place, enough to reorder near-ties (a word with itself)
    _, rho, oov_percent = keyed_vectors(words, unit_rows(vectors)).evaluate_word_pairs(
        str(data_path(SIMILARITY_FILES[dataset])), restrict_vocab=restrict_vocab,
        case_insensitive=True)
    if round(n_rows * (1 - oov_percent / 100)) != used:  # gensim read what we read
        raise RuntimeError(f"gensim used another set of {dataset} pairs than ours")
    return float(rho.statistic), used, n_rows


def _rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of (B, P) arrays, all at once: Pearson's r of the
    average ranks (ties share a rank), as `scipy.stats.spearmanr` computes it; nan for a
    row whose ranks are all equal."""
    rx, ry = rankdata(x, axis=1), rankdata(y, axis=1)  # (B, P) each
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))  # (B,)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=1) / den


def spearman_interval(vectors, vocab_or_words, dataset: str = "wordsim353",
                      level: float = 0.95, n_boot: int = 1000, seed: int = 0,
                      restrict_vocab: int = 300_000) -> tuple[float, float]:
    """A bootstrap interval of `similarity_spearman` over the benchmark's pairs: how much
    the score would move with another sample of word pairs (the benchmark's own noise,
    not the training's: one table, pairs resampled with replacement)."""
    ia, ib, gold, _ = _pair_scores(vectors, vocab_or_words, dataset, restrict_vocab)
    if len(gold) < 3:
        return float("nan"), float("nan")
    u = unit_rows(vectors)
    model = (u[ia] * u[ib]).sum(axis=1)  # (P,) cosine of each pair
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(gold), size=(n_boot, len(gold)))  # (B, P)
    rhos = _rowwise_spearman(gold[idx], model[idx])  # (B,)
    lo, hi = np.nanquantile(rhos, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


@dataclass
class AnalogyResult:
    accuracy: float  # correct / asked (nan when nothing could be asked)
    correct: int  # questions answered with the expected word
    asked: int  # questions whose four words are all in the restricted vocabulary
    total: int  # questions in the file
    per_section: dict[str, tuple[int, int]]  # section -> (correct, asked)

    @property
    def coverage(self) -> float:
        """Fraction of the file's questions that could be asked."""
        return self.asked / self.total


def analogy_accuracy(
    vectors, vocab_or_words, restrict_vocab: int = 30_000, chunk: int = 1024
) -> AnalogyResult:
    """3CosAdd accuracy on questions-words.txt over the `restrict_vocab` most frequent words.

    `vocab_or_words` must list the rows most frequent first (as `Vocab.build` does).
    """
    words = _words(vocab_or_words)
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words for {len(vectors)} vectors")
    index = _index(words, restrict_vocab)
    questions = analogy_questions()
    asked = [(sec, *(index[w] for w in q)) for sec, *q in questions
             if all(w in index for w in q)]
    per_section: dict[str, list[int]] = {}
    correct = 0
    u = unit_rows(vectors)[: min(restrict_vocab, len(words))]  # (N, D) candidates
    for start in range(0, len(asked), chunk):
        part = asked[start : start + chunk]
        abcd = np.array([q[1:] for q in part])  # (Q, 4)
        query = u[abcd[:, 1]] - u[abcd[:, 0]] + u[abcd[:, 2]]  # (Q, D)
        sims = query @ u.T  # (Q, N)
        rows = np.arange(len(part))[:, None]
        sims[rows, abcd[:, :3]] = -np.inf  # never answer with a question word
        hit = sims.argmax(axis=1) == abcd[:, 3]  # (Q,)
        correct += int(hit.sum())
        for (sec, *_), h in zip(part, hit, strict=True):
            per_section.setdefault(sec, [0, 0])
            per_section[sec][0] += int(h)
            per_section[sec][1] += 1
    acc = correct / len(asked) if asked else float("nan")
    return AnalogyResult(acc, correct, len(asked), len(questions),
                         {k: (c, n) for k, (c, n) in per_section.items()})


def most_similar(vectors, vocab_or_words, query: str, k: int = 5):
    """The k words of highest cosine similarity to `query` (itself excluded), with scores:
    `probes.nearest_neighbours` for a vocabulary or a word list."""
    return nearest_neighbours(vectors, _words(vocab_or_words), query, k)
