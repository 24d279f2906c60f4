"""A seeded synthetic corpus whose words have known categories.

Real text has structure we cannot score exactly; toyworld has structure we planted. Every
content word belongs to one category (animals, foods, colours, places, people, verbs), and
sentences follow a few templates with selectional preferences: animals and people eat foods,
people cook foods, animals and people go to places. Two words of the same category are
therefore interchangeable in context, which is exactly what a prediction objective can
discover. Because we know the categories, "has the table become meaningful?" becomes a number
(see `embedlab.probes`).

What it deliberately does not do: grammar beyond a handful of templates, or any randomness
that is not drawn from the seeded generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The planted categories. Within a category, earlier words are more frequent (Zipf-like).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "animal": ("cat", "dog", "fox", "horse", "cow", "sheep", "rabbit", "mouse"),
    "food": ("bread", "cheese", "apple", "rice", "soup", "cake", "carrot", "plum"),
    "colour": ("red", "blue", "green", "yellow", "white", "black", "brown", "grey"),
    "place": (
        "forest",
        "river",
        "city",
        "garden",
        "kitchen",
        "market",
        "field",
        "village",
    ),
    "person": (
        "farmer",
        "child",
        "teacher",
        "baker",
        "doctor",
        "sailor",
        "king",
        "nurse",
    ),
    "verb": ("eats", "likes", "finds", "wants", "buys", "sees", "smells", "takes"),
}
FUNCTION_WORDS = ("the", "a", "in", "to", "goes", "cooks", "and", "is", ".")

# Templates: a slot in braces is filled with a word of that category.
TEMPLATES: tuple[str, ...] = (
    "the {colour} {animal} {verb} the {food} .",
    "a {animal} goes to the {place} .",
    "the {person} {verb} a {food} in the {place} .",
    "the {person} cooks {food} and {food} .",
    "the {animal} is {colour} .",
    "a {person} goes to the {place} and {verb} the {food} .",
    "the {person} sees the {colour} {animal} in the {place} .",
)


@dataclass
class ToyWorld:
    """A corpus (list of tokenized sentences) and the category of every content word."""

    sentences: list[list[str]]
    categories: dict[str, str] = field(default_factory=dict)  # word -> category name

    @property
    def words(self) -> list[str]:
        """Every distinct token, in order of first appearance in the category table."""
        seen = list(self.categories)
        rest = sorted({t for s in self.sentences for t in s} - set(seen))
        return seen + rest

    def content_words(self, vocab_or_words) -> tuple[list[str], list[int], list[str]]:
        """(words, ids, labels) of the planted content words in a vocabulary, in its
        order: `ids` are their rows in the table (positions in `vocab.itos`, or in a
        plain word list such as a word2vec result's `words`), `labels` their categories.
        Function words are left out. The probes score exactly these rows."""
        itos = list(getattr(vocab_or_words, "itos", vocab_or_words))
        ids = [i for i, w in enumerate(itos) if w in self.categories]
        words = [itos[i] for i in ids]
        return words, ids, [self.categories[w] for w in words]

    def category_of(self, word: str) -> str:
        """The planted category, or "function" for the glue words."""
        return self.categories.get(word, "function")

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def make_toyworld(
    n_sentences: int = 4000, seed: int = 0, zipf_exponent: float = 0.7
) -> ToyWorld:
    """Generate `n_sentences` sentences with a seeded generator.

    `zipf_exponent` controls how unevenly the words of a category are used (0 = uniform);
    rare words are updated less often in training, which later chapters measure.
    """
    if n_sentences <= 0:
        raise ValueError(f"n_sentences must be positive, got {n_sentences}")
    rng = np.random.default_rng(seed)
    weights = {c: _zipf_weights(len(ws), zipf_exponent) for c, ws in CATEGORIES.items()}
    parsed = [t.split() for t in TEMPLATES]
    sentences = []
    for t in rng.integers(len(parsed), size=n_sentences):
        out = []
        for tok in parsed[t]:
            if tok.startswith("{"):
                cat = tok[1:-1]
                out.append(
                    CATEGORIES[cat][rng.choice(len(CATEGORIES[cat]), p=weights[cat])]
                )
            else:
                out.append(tok)
        sentences.append(out)
    categories = {w: c for c, ws in CATEGORIES.items() for w in ws}
    return ToyWorld(sentences=sentences, categories=categories)
