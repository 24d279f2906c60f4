"""Word vocabularies: a token is an id because it sits at that position in a list.

`Vocab` maps tokens to integer ids and back, with special tokens first and unknown tokens
mapped to [UNK]. It deliberately does not split text (callers pass tokens: words from
`str.split`, characters from `list`, or pieces from `embedlab.bpe`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

PAD, UNK, BOS, EOS, CLS, SEP, MASK = (
    "[PAD]",
    "[UNK]",
    "[BOS]",
    "[EOS]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
)
DEFAULT_SPECIALS = (PAD, UNK, BOS, EOS, MASK)


class Vocab:
    """An ordered list of tokens; the id of a token is its index."""

    def __init__(self, tokens: Sequence[str], counts: dict[str, int] | None = None):
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary cannot list the same token twice")
        self.itos: list[str] = list(tokens)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts: dict[str, int] = dict(counts or {})

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> Vocab:
        """Count tokens; keep those seen `min_count` times, most frequent first.

        Ties are broken alphabetically so that the same corpus always gives the same ids.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counts = Counter(t for s in sentences for t in s)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_count and t not in specials),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        return cls(list(specials) + kept, {t: counts[t] for t in kept})

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi[token]

    def id(self, token: str) -> int:
        """The id of `token`, or the id of [UNK] when it is not in the vocabulary."""
        if token in self.stoi:
            return self.stoi[token]
        if UNK not in self.stoi:
            raise KeyError(f"{token!r} is not in the vocabulary and it has no {UNK}")
        return self.stoi[UNK]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        if isinstance(tokens, str):
            raise TypeError(
                "encode takes a sequence of tokens, not a str: split it first"
            )
        return [self.id(t) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise IndexError(
                    f"id {i} is out of range for a vocabulary of size {len(self.itos)}"
                )
            out.append(self.itos[i])
        return out

    def coverage(self, sentences: Iterable[Sequence[str]]) -> float:
        """Fraction of running tokens that are in the vocabulary (not mapped to [UNK])."""
        total = known = 0
        for s in sentences:
            total += len(s)
            known += sum(t in self.stoi for t in s)
        return known / total if total else 1.0


# ------------------------------------------------------- helpers for the chapters
# (added for "Text to tokens"; the class above is unchanged)

_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")


def split_words(text: str) -> list[str]:
    """Words and single punctuation marks, as written (no lower-casing): "It's 4:00pm."
    -> ['It', "'", 's', '4', ':', '00pm', '.']. Whitespace is dropped."""
    return _WORD_OR_MARK.findall(text)


def coverage_curve(
    train: Sequence[Sequence[str]],
    held_out: Sequence[Sequence[str]],
    sizes: Sequence[int],
    specials: Sequence[str] = DEFAULT_SPECIALS,
) -> list[float]:
    """Held-out coverage of the vocabulary of the `n` most frequent training tokens,
    for each `n` in `sizes` (special tokens not counted in `n`)."""
    return [
        Vocab.build(train, max_size=n + len(specials), specials=specials).coverage(
            held_out
        )
        for n in sizes
    ]


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int
) -> tuple[list[list[int]], list[list[int]]]:
    """Right-pad id sequences to the longest one. Returns (ids, mask): mask is 1 for a
    real token and 0 for padding, so a model can ignore the [PAD] positions."""
    width = max((len(s) for s in sequences), default=0)
    ids = [list(s) + [pad_id] * (width - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (width - len(s)) for s in sequences]
    return ids, mask
