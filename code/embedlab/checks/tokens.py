"""Exercise checks for the chapters on tokens: vocabularies, ids, [UNK], and BPE.

Each check returns `passed(...)` or raises `CheckError` whose message names the usual
slip (a percentage instead of a fraction, distinct words instead of running words,
pairs counted across chunks, merges applied in the wrong order, ...) without printing
the answer.

What it deliberately does not do: grade prose, or accept answers that are only close
when the exact value is computable.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise

from . import CheckError, guarded, passed, reject_slips, require_close

# ---------------------------------------------------------------- ids and vocabularies


@guarded
def check_special_id(answer, token: str, tokenizer, other_vocab=None) -> str:
    """`answer` must be the id of `token` in a Hugging Face `tokenizer`."""
    expected = tokenizer.token_to_id(token)
    if isinstance(answer, str):
        raise CheckError(
            f"{answer!r} is a str: give the id, an int, not the token itself."
        )
    if getattr(answer, "ndim", None) == 0 and "int" in str(answer.dtype):
        answer = int(answer)  # a NumPy or torch integer scalar is an id too
    if not isinstance(answer, int) or isinstance(answer, bool):
        raise CheckError(f"the id should be an int, got {type(answer).__name__}")
    if answer == expected:
        return passed(f"{token} is entry {expected} of the list.")
    if (
        other_vocab is not None
        and token in other_vocab
        and answer == other_vocab[token]
    ):
        raise CheckError(
            "that is the id in our own small Vocab; each tokenizer has its own "
            "list. Ask the MiniLM tokenizer (token_to_id)."
        )
    if abs(answer - expected) == 1:
        raise CheckError(
            "off by one: ids count from 0, so line n of vocab.txt is id n - 1."
        )
    raise CheckError(
        f"{answer} is the id of {tokenizer.id_to_token(answer)!r}, not of {token!r}."
        if 0 <= answer < tokenizer.get_vocab_size()
        else f"{answer} is not an id of this tokenizer at all."
    )


@guarded
def check_coverage(
    answer,
    vocab,
    held_out: Sequence[Sequence[str]],
    train: Sequence[Sequence[str]] = (),
) -> str:
    """`answer`: the fraction of held-out running tokens the vocabulary knows."""
    try:
        a = float(answer)
    except (TypeError, ValueError):
        raise CheckError(
            f"give a number between 0 and 1, got {type(answer).__name__}"
        ) from None
    want = vocab.coverage(held_out)
    if math.isclose(a, want, abs_tol=1e-4):
        return passed(
            f"{want:.1%} of held-out tokens are known; the rest become [UNK]."
        )
    if math.isclose(a, 100 * want, abs_tol=1e-2):
        raise CheckError("that is a percentage: give a fraction between 0 and 1.")
    if math.isclose(a, 1 - want, abs_tol=1e-4):
        raise CheckError(
            "that is the share of unknown tokens (the [UNK] rate); coverage is "
            "the share of known ones."
        )
    types = {t for s in held_out for t in s}
    if types and math.isclose(
        a, sum(t in vocab for t in types) / len(types), abs_tol=1e-4
    ):
        raise CheckError(
            "you counted distinct words (types); coverage counts every running "
            "token, so frequent words count many times."
        )
    if train and math.isclose(a, vocab.coverage(train), abs_tol=1e-4):
        raise CheckError(
            "that is the coverage of the training text; measure the held-out "
            "text, which the vocabulary was not built from."
        )
    if train:
        # rebuild the vocabulary the two usual wrong ways and compare
        specials = [t for t in vocab.itos if t not in vocab.counts]
        n_words = len(vocab) - len(specials)
        no_room = type(vocab).build(train, max_size=n_words, specials=specials)
        if math.isclose(a, no_room.coverage(held_out), abs_tol=1e-4):
            raise CheckError(
                "your vocabulary has too few words: max_size counts the special "
                "tokens too, so ask for the words plus the specials."
            )
        leaky = type(vocab).build([*train, *held_out], max_size=len(vocab),
                                  specials=specials)
        if math.isclose(a, leaky.coverage(held_out), abs_tol=1e-4):
            raise CheckError(
                "your vocabulary was built from the training and the held-out text; "
                "build it from the training text only, or held-out words leak in "
                "and the coverage looks better than it is on new text."
            )
    raise CheckError(
        f"{a:.4f} is {'too high' if a > want else 'too low'}: count, over all "
        "held-out tokens, those that are in the vocabulary."
    )


def _encode_ref(tokens: Sequence[str], itos: Sequence[str], unk: str) -> list[int]:
    stoi = {t: i for i, t in enumerate(itos)}
    return [stoi.get(t, stoi[unk]) for t in tokens]


class _WatchedList(list):
    """A list that notes the linear scans the exercise asks to avoid."""

    scans: list[str]

    def index(self, *args):
        self.scans.append("list.index")
        return super().index(*args)

    def __contains__(self, item):
        self.scans.append("`in` on the list")
        return super().__contains__(item)


@guarded
def check_encode_with_unk(fn: Callable, unk: str = "[UNK]") -> str:
    """`fn(tokens, itos)` must map each token to its position in `itos`, or [UNK]'s,
    without scanning the list for every token (no `list.index`)."""
    vocabularies = [
        ["[PAD]", "[UNK]", "the", "cat", "sat", "on", "mat"],
        ["the", "cat", "[UNK]", "sat", "on", "mat", "[PAD]"],  # [UNK] elsewhere
    ]
    cases = [
        ["the", "cat", "sat"],
        ["the", "dog", "sat", "on", "the", "rug"],
        [],
        ["dog"],
    ]
    for itos in vocabularies:
        for tokens in cases:
            want = _encode_ref(tokens, itos, unk)
            watched = _WatchedList(itos)
            watched.scans = []
            try:
                got = fn(list(tokens), watched)
            except KeyError as e:
                raise CheckError(
                    f"KeyError {e} on {tokens}: an unknown token must become the "
                    f"id of {unk}, not an error."
                ) from None
            except ValueError as e:
                raise CheckError(
                    f"ValueError on {tokens} ({e}): list.index fails on an unknown "
                    f"token; look tokens up in a dict built once."
                ) from None
            if len(tokens) > 1 and len(watched.scans) >= len(tokens):
                raise CheckError(
                    f"{watched.scans[0]} scans the whole vocabulary for every token; "
                    "build a dict token -> id once and look tokens up in it."
                )
            got = list(got) if got is not None else None
            if got == want:
                continue
            if got is None:
                raise CheckError("your function returned None: did it forget to "
                                 "`return`?")
            if len(got) < len(want):
                raise CheckError(
                    f"for {tokens} you returned {len(got)} ids for {len(tokens)} "
                    f"tokens: unknown tokens must not be skipped but map to {unk}."
                )
            if any(isinstance(g, str) for g in got):
                raise CheckError("return ids (ints), not tokens.")
            if got == [i + 1 for i in want]:
                raise CheckError(
                    "every id is one too large: ids are positions counted from 0."
                )
            known = [g for g, t in zip(got, tokens, strict=False) if t in itos]
            if known == [itos.index(t) for t in tokens if t in itos]:
                raise CheckError(
                    f"known tokens are right, unknown ones are not: {unk} is not "
                    f"always at the same position; look its id up in itos (here it "
                    f"is not where you assumed)."
                )
            raise CheckError(
                f"for {tokens} the ids are wrong: an id is the token's position in "
                f"itos, and unknown tokens take the position of {unk}."
            )
    return passed("unknown tokens share the [UNK] id: their identity is lost.")


# ---------------------------------------------------------------- BPE


def _split(text: str) -> list[str]:
    from ..bpe import BPETokenizer

    return BPETokenizer().split(text)


@guarded
def check_first_merge(answer, text: str) -> str:
    """`answer` = (left, right, count) of the first BPE merge on `text`."""
    from ..bpe import BPETokenizer

    tok = BPETokenizer.train(text, 257)
    if not tok.merges:
        raise CheckError("no pair occurs twice in this text: there is no merge.")
    (a, b), count = tok.merges[0], tok.merge_counts[0]
    left, right = tok.vocab[a].decode(), tok.vocab[b].decode()
    if not (isinstance(answer, tuple | list) and len(answer) == 3):
        raise CheckError(
            "answer with a tuple (left, right, count), e.g. ('x', 'y', 5)."
        )
    l_, r_, c_ = answer
    if isinstance(l_, bytes):
        l_, r_ = l_.decode(), r_.decode()
    if (l_, r_) == (right, left):
        raise CheckError(
            "the right pair in the wrong order: a pair is (left, right) as the "
            "characters appear in the text."
        )
    if (l_, r_) != (left, right):
        inside = {p for c in _split(text) for p in pairwise(c)}
        if (l_, r_) in set(pairwise(text)) - inside:
            raise CheckError(
                "that pair crosses a chunk boundary; merges stay inside a chunk "
                "such as ' hug' (a word with its leading space)."
            )
        raise CheckError(
            f"({l_!r}, {r_!r}) is not the most frequent pair: count every "
            "adjacent pair inside every chunk."
        )
    if c_ != count:
        distinct = sum(1 for c in set(_split(text)) if (left, right) in pairwise(c))
        if c_ == distinct and distinct != count:
            raise CheckError("count every occurrence, not each distinct chunk once.")
        raise CheckError(
            f"right pair, but it occurs a different number of times than "
            f"{c_}: count it in every chunk."
        )
    return passed(f"{left!r} + {right!r} occurs {count} times.")


@guarded
def check_count_pairs(fn: Callable) -> str:
    """`fn(chunks: Counter[str]) -> Counter[(str, str)]`, weighted, within chunks."""
    cases = [
        Counter({" low": 5, " lower": 2, " newest": 6}),
        Counter({"aaa": 1, " a": 2}),
        Counter({"x": 3}),
        Counter(),
    ]
    for chunks in cases:
        want = Counter()
        for c, n in chunks.items():
            for p in pairwise(c):
                want[p] += n
        got = fn(Counter(chunks))
        if got is None:
            raise CheckError("your function returned None: did it forget to `return`?")
        got = Counter({k: v for k, v in dict(got).items() if v})
        if got == want:
            continue
        unweighted = Counter(p for c in chunks for p in pairwise(c))
        if got == unweighted and unweighted != want:
            raise CheckError(
                "each chunk was counted once: weight its pairs by how often "
                "the chunk occurs (its value in the Counter)."
            )
        joined = "".join(c for c, n in chunks.items() for _ in range(n))
        if got == Counter(pairwise(joined)):
            raise CheckError(
                "you counted pairs across chunk boundaries: count inside each "
                "chunk only."
            )
        if "aaa" in chunks and got.get(("a", "a")) == 1:
            raise CheckError(
                "in 'aaa' the pair ('a', 'a') occurs twice (overlapping); "
                "counting does not skip, only merging does."
            )
        raise CheckError(
            f"wrong counts for {dict(chunks)}: every adjacent pair inside a "
            "chunk, times that chunk's count."
        )
    return passed("pairs counted within chunks and weighted by chunk frequency.")


@guarded
def check_encoder(fn: Callable, tok) -> str:
    """`fn(text, tok) -> list[int]` must agree with `tok.encode` on tricky text."""
    from ..bpe import BPETokenizer

    # b+c was learned before a+b, so "abc" is a|bc, although a+b is further left
    crafted = BPETokenizer([(ord("b"), ord("c")), (ord("a"), ord("b"))])
    cases = [
        (crafted, "abc abcd"),
        *(
            (tok, t)
            for t in [
                "the encoder reads embeddings",
                " unbelievably",
                "aaaa bbbb",
                "",
                "naïve café 日本 👍",
                "the the the",
                # runs of spaces and newlines: chunks of their own in tok.split
                "two  spaces and   three",
                "  leading, trailing  ",
                "lines\n\n  indented\tand tabbed",
            ]
        ),
    ]
    for which, text in cases:
        want = which.encode(text)
        got = fn(text, which)
        if got is None:
            raise CheckError("your function returned None: did it forget to `return`?")
        got = list(got)
        if got == want:
            continue
        if which.decode(got) != text:
            raise CheckError(
                f"decoding your ids does not give back {text!r}: some bytes "
                "were lost or changed."
            )
        if len(got) > len(want):
            raise CheckError(
                f"{text!r}: {len(got)} tokens, more than the tokenizer's "
                f"{len(want)}: keep merging until no learned pair is left."
            )
        if re.search(r"\s\s", text):
            raise CheckError(
                f"{text!r}: same text, different pieces where spaces or newlines "
                "run together: chunk the text with tok.split, which keeps a run of "
                "whitespace apart from the word after it; do not split on spaces "
                "yourself."
            )
        raise CheckError(
            f"{text!r}: same text, different pieces; apply the earliest learned "
            "merge first (lowest index in tok.merges), not the most frequent "
            "or the first pair from the left."
        )
    return passed("your encoder matches BPETokenizer.encode.")


@guarded
def check_tradeoff(
    answer, sizes: Sequence[int], per_word: Sequence[float], dim: int
) -> str:
    """`answer` = (extra table parameters from V=1000 to 4096, shrink factor)."""
    extra_want = (4096 - 1000) * dim
    shrink_want = per_word[list(sizes).index(1000)] / per_word[list(sizes).index(4096)]
    try:
        extra, shrink = answer
        extra, shrink = float(extra), float(shrink)
    except (TypeError, ValueError):
        raise CheckError(
            "answer with a pair (extra_parameters, shrink_factor)."
        ) from None
    if extra in (4096 * dim, 1000 * dim):
        raise CheckError(
            "that is the size of one table; the question asks for the growth "
            "from V=1000 to V=4096."
        )
    if extra == 4096 - 1000:
        raise CheckError("that counts rows only; each row has `dim` parameters.")
    if extra != extra_want:
        raise CheckError("the extra parameters are (new V - old V) x dim.")
    reject_slips(shrink, [(1 / shrink_want,
                           "the factor is upside down: tokens per word at 1000 divided "
                           "by tokens per word at 4096 (it is larger than 1).")], rtol=1e-6)
    require_close(shrink, shrink_want, rtol=1e-6, hint=(
        "the shrink factor should come from `per_word` at V=1000 and V=4096."))
    return passed(
        f"{extra_want:,} more parameters buy {shrink_want:.2f}x shorter inputs."
    )


__all__ = [
    "check_count_pairs",
    "check_coverage",
    "check_encode_with_unk",
    "check_encoder",
    "check_first_merge",
    "check_special_id",
    "check_tradeoff",
]
