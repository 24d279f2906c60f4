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
