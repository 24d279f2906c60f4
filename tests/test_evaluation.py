"""Our similarity and analogy scores against gensim's KeyedVectors on the same vectors."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec

from embedlab.corpora import data_path, lee_sentences
from embedlab.evaluation import (
    analogy_accuracy,
    analogy_questions,
    most_similar,
    similarity_pairs,
    similarity_spearman,
    spearman_interval,
)


@pytest.fixture(scope="module")
def kv() -> KeyedVectors:
    model = Word2Vec([list(s) for s in lee_sentences()], vector_size=32, window=5,
                     min_count=2, epochs=3, workers=1, seed=0)
    return model.wv


@pytest.mark.parametrize("dataset,file", [("wordsim353", "wordsim353.tsv"),
                                          ("simlex999", "simlex999.txt")])
def test_spearman_matches_gensim(kv, dataset, file):
    rho, used, total = similarity_spearman(kv.vectors, kv.index_to_key, dataset)
    _, g_rho, oov_pct = kv.evaluate_word_pairs(str(data_path(file)))
    assert rho == pytest.approx(g_rho.statistic, abs=1e-6)
    assert 100 * (total - used) / total == pytest.approx(oov_pct, abs=1e-9)


@pytest.mark.parametrize("dataset", ["wordsim353", "simlex999"])
@pytest.mark.parametrize("restrict_vocab", [300_000, 2000])
def test_spearman_equals_the_plain_computation_on_our_pairs(kv, dataset, restrict_vocab):
    # gensim's evaluate_word_pairs (which similarity_spearman calls) against the
    # computation written out: our loader's pairs, OOV skipped, float64 cosines, scipy
    from scipy.stats import spearmanr

    words = [w.lower() for w in kv.index_to_key[:restrict_vocab]]
    index = {}
    for i, w in enumerate(words):
        index.setdefault(w, i)
    used = [(index[a], index[b], s) for a, b, s in similarity_pairs(dataset)
            if a in index and b in index]
    u = kv.vectors.astype(np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    ia, ib, gold = (np.array(x) for x in zip(*used, strict=True))
    want = spearmanr(gold, (u[ia] * u[ib]).sum(1)).statistic
    rho, n_used, _ = similarity_spearman(kv.vectors, kv.index_to_key, dataset,
                                         restrict_vocab=restrict_vocab)
    assert n_used == len(used)
    assert rho == pytest.approx(want, abs=1e-12)


def test_spearman_restrict_vocab_matches_gensim(kv):
    rho, used, _ = similarity_spearman(kv.vectors, kv.index_to_key, restrict_vocab=2000)
    _, g_rho, _ = kv.evaluate_word_pairs(str(data_path("wordsim353.tsv")),
                                         restrict_vocab=2000)
    assert rho == pytest.approx(g_rho.statistic, abs=1e-6)
    assert used < similarity_spearman(kv.vectors, kv.index_to_key)[1]


def test_analogy_matches_gensim(kv):
    ours = analogy_accuracy(kv.vectors, kv.index_to_key, restrict_vocab=3000)
    score, sections = kv.evaluate_word_analogies(str(data_path("questions-words.txt")),
                                                 restrict_vocab=3000)
    total = sections[-1]
    assert ours.asked == len(total["correct"]) + len(total["incorrect"])
    assert ours.correct == len(total["correct"])
    assert ours.accuracy == pytest.approx(score)
    assert 0 < ours.coverage < 1


def test_file_sizes_hand_counted():
    # wordsim353.tsv has 353 pairs, simlex999.txt 999, questions-words.txt 19544 questions
    assert len(similarity_pairs("wordsim353")) == 353
    assert len(similarity_pairs("simlex999")) == 999
    assert len(analogy_questions()) == 19544


def test_hand_built_vectors():
    # 'tiger' and 'cat' identical, everything else orthogonal: a perfect analogy and a
    # similarity computed by hand
    words = ["king", "man", "woman", "queen", "tiger", "cat"]
    v = np.eye(6)
    v[3] = v[0] - v[1] + v[2]  # queen = king - man + woman
    v[5] = v[4]
    pairs = {(a, b) for a, b, _ in similarity_pairs("wordsim353")}
    expected_used = sum((a, b) in pairs for a in words for b in words)
    assert expected_used >= 1  # at least "tiger cat"
    assert similarity_spearman(v, words)[1] == expected_used
    res = analogy_accuracy(v, words)
    # questions-words has 'man woman king queen' in family: asked and correct
    assert res.per_section["family"][1] >= 1 and res.correct >= 1


def test_errors(kv):
    with pytest.raises(ValueError, match="unknown dataset"):
        similarity_spearman(kv.vectors, kv.index_to_key, "men3000")
    with pytest.raises(ValueError, match="words for"):
        similarity_spearman(kv.vectors[:5], kv.index_to_key)


def test_most_similar_matches_gensim(kv):
    ours = most_similar(kv.vectors, kv.index_to_key, "australia", k=5)
    theirs = kv.most_similar("australia", topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)
    with pytest.raises(KeyError, match="not among"):
        most_similar(kv.vectors, kv.index_to_key, "zzzz-not-a-word")


def test_spearman_interval_matches_scipy_bootstrap(kv):
    from scipy.stats import bootstrap, spearmanr

    rho, used, _ = similarity_spearman(kv.vectors, kv.index_to_key)
    lo, hi = spearman_interval(kv.vectors, kv.index_to_key, n_boot=2000, seed=1)
    assert lo < rho < hi
    # the reference: scipy's paired percentile bootstrap of the same pairs
    index = {w.lower(): i for i, w in reversed(list(enumerate(kv.index_to_key)))}
    pairs = [(index[a], index[b], g) for a, b, g in similarity_pairs("wordsim353")
             if a in index and b in index]
    assert len(pairs) == used
    u = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    ia, ib, gold = (np.array(x) for x in zip(*pairs, strict=True))
    cos = (u[ia] * u[ib]).sum(axis=1)
    ref = bootstrap((gold, cos), lambda g, c: spearmanr(g, c).statistic, paired=True,
                    vectorized=False, n_resamples=2000, method="percentile",
                    random_state=1).confidence_interval
    # two Monte Carlo estimates of the same quantiles: they agree to a few hundredths
    assert lo == pytest.approx(ref.low, abs=0.03) and hi == pytest.approx(ref.high, abs=0.03)


def test_rowwise_spearman_equals_scipy_row_by_row():
    """The vectorized bootstrap statistic is scipy's spearmanr, row by row (ties too)."""
    from scipy.stats import spearmanr

    from embedlab.evaluation import _rowwise_spearman

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(50, 30)).astype(float)  # many ties, as in gold scores
    y = rng.normal(size=(50, 30))
    y[:, :10] = y[:, :1]  # ties on the model side too
    ref = [spearmanr(a, b).statistic for a, b in zip(x, y, strict=True)]
    np.testing.assert_allclose(_rowwise_spearman(x, y), ref, rtol=1e-12, atol=1e-12)
    assert np.isnan(_rowwise_spearman(np.ones((1, 5)), y[:1, :5])[0])  # constant row
