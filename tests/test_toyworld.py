from collections import Counter

import pytest

from embedlab.toyworld import CATEGORIES, FUNCTION_WORDS, make_toyworld


def test_same_seed_same_corpus_other_seed_differs():
    a, b, c = (
        make_toyworld(300, seed=1),
        make_toyworld(300, seed=1),
        make_toyworld(300, seed=2),
    )
    assert a.sentences == b.sentences
    assert a.sentences != c.sentences


def test_every_token_is_a_category_word_or_a_function_word():
    w = make_toyworld(500, seed=0)
    known = {x for ws in CATEGORIES.values() for x in ws} | set(FUNCTION_WORDS)
    assert {t for s in w.sentences for t in s} <= known
    assert w.category_of("cat") == "animal" and w.category_of("the") == "function"
    assert len(w.sentences) == 500 and w.n_tokens == sum(map(len, w.sentences))


def test_zipf_makes_first_words_of_a_category_more_frequent():
    w = make_toyworld(3000, seed=0, zipf_exponent=1.0)
    counts = Counter(t for s in w.sentences for t in s)
    animals = CATEGORIES["animal"]
    assert counts[animals[0]] > 3 * counts[animals[-1]]
    flat = make_toyworld(3000, seed=0, zipf_exponent=0.0)
    c2 = Counter(t for s in flat.sentences for t in s)
    assert c2[animals[0]] < 1.5 * c2[animals[-1]]


def test_categories_are_interchangeable_in_context():
    # Every category word appears right after "the" somewhere: the slots are shared.
    w = make_toyworld(3000, seed=0)
    after_the = {
        s[i + 1] for s in w.sentences for i, t in enumerate(s[:-1]) if t == "the"
    }
    for cat in ("animal", "food", "place"):
        assert set(CATEGORIES[cat]) <= after_the


def test_rejects_non_positive_size():
    with pytest.raises(ValueError, match="positive"):
        make_toyworld(0)


CATEGORIES_FLAT = {word: c for c, ws in CATEGORIES.items() for word in ws}


def test_content_words_are_the_planted_words_in_the_vocabulary_order():
    from embedlab.vocab import Vocab

    w = make_toyworld(300, seed=0)
    v = Vocab.build(w.sentences)
    words, ids, labels = w.content_words(v)
    # by hand: every itos entry that has a planted category, nothing else
    assert words == [t for t in v.itos if t in CATEGORIES_FLAT]
    assert [v.itos[i] for i in ids] == words and ids == sorted(ids)
    assert labels == [CATEGORIES_FLAT[t] for t in words]
    assert "the" not in words and "[PAD]" not in words
    # a plain word list (a word2vec result's words) gives positions in that list
    plain = ["the", "cat", "red", "."]
    assert w.content_words(plain) == (["cat", "red"], [1, 2], ["animal", "colour"])

