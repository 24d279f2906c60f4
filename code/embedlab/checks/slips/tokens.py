"""Slips for tokens, vocabularies and BPE (checks.tokens); see `embedlab.checks.slips`."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from .base import Slip


# ------------------------------------------------------------------ tokens
def _stoi(itos):
    return {t: i for i, t in enumerate(itos)}


def _merge_chunk(chunk: str, tok, leftmost: bool = False) -> list[int]:
    from ...bpe import merge_pair, to_bytes

    rank = {pair: k for k, pair in enumerate(tok.merges)}
    index = {piece: i for i, piece in enumerate(tok.vocab)}
    ids = list(to_bytes(chunk))
    while len(ids) > 1:
        known = [p for p in pairwise(ids) if p in rank]
        if not known:
            break
        pair = known[0] if leftmost else min(known, key=rank.get)
        ids = merge_pair(ids, pair, index[tok.vocab[pair[0]] + tok.vocab[pair[1]]])
    return ids


def _first_merge(text: str):
    from ...bpe import BPETokenizer

    tok = BPETokenizer.train(text, 257)
    (a, b), count = tok.merges[0], tok.merge_counts[0]
    return tok.vocab[a].decode(), tok.vocab[b].decode(), count


def _crossing_pair(text: str):
    from ...bpe import BPETokenizer

    inside = {p for c in BPETokenizer().split(text) for p in pairwise(c)}
    across = Counter(p for p in pairwise(text) if p not in inside)
    (left, right), n = across.most_common(1)[0]
    return left, right, n


def _coverage_of(build_from: str, size: str):
    def make(vocab, held_out, train):
        specials = [t for t in vocab.itos if t not in vocab.counts]
        docs = [*train, *held_out] if build_from == "both" else list(train)
        n = len(vocab) - len(specials) if size == "words" else len(vocab)
        return type(vocab).build(docs, max_size=n, specials=specials).coverage(held_out)
    return make


TOKENS = {
    "tokens.check_special_id": [
        Slip("the line number of vocab.txt", lambda tok, tk, other: tk.token_to_id(
            tok) + 1, "off by one"),
        Slip("the token itself", lambda tok, tk, other: tok, "a str"),
        Slip("our own Vocab's id", lambda tok, tk, other: other[tok], "own small Vocab"),
    ],
    "tokens.check_coverage": [
        Slip("max_size without room for the specials", _coverage_of("train", "words"),
             "max_size counts the special"),
        Slip("vocabulary from training plus held-out text", _coverage_of("both", "all"),
             "training and the held-out"),
        Slip("a percentage", lambda v, h, t: 100 * v.coverage(h), "percentage"),
        Slip("the [UNK] rate", lambda v, h, t: 1 - v.coverage(h), "[UNK] rate"),
        Slip("distinct words", lambda v, h, t: (lambda ty: sum(w in v for w in ty) / len(
            ty))({w for d in h for w in d}), "distinct words"),
        Slip("coverage of the training text", lambda v, h, t: v.coverage(t),
             "coverage of the training text"),
    ],
    "tokens.check_encode_with_unk": [
        Slip("[UNK] hard-coded as id 1", lambda: lambda tokens, itos: [
            _stoi(itos).get(t, 1) for t in tokens], "not always at the same position"),
        Slip("list.index with a membership test", lambda: lambda tokens, itos: [
            itos.index(t) if t in itos else itos.index("[UNK]") for t in tokens],
            "scans the whole vocabulary"),
        Slip("list.index", lambda: lambda tokens, itos: [itos.index(t) for t in tokens],
             "scans the whole vocabulary"),
        Slip("ids counted from 1", lambda: lambda tokens, itos: [
            _stoi(itos).get(t, _stoi(itos)["[UNK]"]) + 1 for t in tokens],
            "one too large"),
        Slip("unknown tokens raise", lambda: lambda tokens, itos: [
            _stoi(itos)[t] for t in tokens], "not an error"),
        Slip("unknown tokens skipped", lambda: lambda tokens, itos: [
            _stoi(itos)[t] for t in tokens if t in _stoi(itos)], "must not be skipped"),
        Slip("tokens, not ids", lambda: lambda tokens, itos: [
            t if t in set(itos) else "[UNK]" for t in tokens], "ids (ints)"),
    ],
    "tokens.check_first_merge": [
        Slip("pair in the wrong order", lambda text: (lambda a, b, n: (b, a, n))(
            *_first_merge(text)), "wrong order"),
        Slip("distinct chunks counted", lambda text: (lambda a, b, n: (a, b, sum(
            1 for c in set(_split(text)) if (a, b) in pairwise(c))))(
            *_first_merge(text)), "not each distinct chunk"),
        Slip("a pair across chunks", _crossing_pair, "crosses a chunk boundary"),
        Slip("count off by one", lambda text: (lambda a, b, n: (a, b, n + 1))(
            *_first_merge(text)), "different number of times"),
    ],
    "tokens.check_count_pairs": [
        Slip("chunks counted once", lambda: lambda chunks: Counter(
            p for c in chunks for p in pairwise(c)), "counted once"),
        Slip("pairs across chunks", lambda: lambda chunks: Counter(pairwise("".join(
            c for c, n in chunks.items() for _ in range(n)))), "across chunk"),
        Slip("overlapping pairs skipped", lambda: _count_non_overlapping, "overlapping"),
    ],
    "tokens.check_encoder": [
        Slip("own whitespace split, runs glued to the word", lambda tok: lambda text, t: [
            i for c in re.findall(r"\s*\S+|\s+", text) for i in _merge_chunk(c, t)],
            "chunk the text with tok.split"),
        Slip("runs of spaces squeezed", lambda tok: lambda text, t: t.encode(
            re.sub(r" +", " ", text)), "bytes were lost"),
        Slip("leftmost learned pair first", lambda tok: lambda text, t: [
            i for c in t.split(text) for i in _merge_chunk(c, t, leftmost=True)],
            "earliest learned merge"),
        Slip("no merges at all", lambda tok: lambda text, t: list(text.encode()),
             "keep merging"),
    ],
    "tokens.check_tradeoff": [
        Slip("one table's size", lambda s, pw, d: (4096 * d, pw[list(s).index(1000)]
                                                   / pw[list(s).index(4096)]),
             "size of one table"),
        Slip("rows only", lambda s, pw, d: (4096 - 1000, pw[list(s).index(1000)]
                                            / pw[list(s).index(4096)]), "rows only"),
        Slip("factor upside down", lambda s, pw, d: ((4096 - 1000) * d, pw[list(s).index(
            4096)] / pw[list(s).index(1000)]), "upside down"),
    ],
}


def _split(text: str) -> list[str]:
    from ...bpe import BPETokenizer

    return BPETokenizer().split(text)


def _count_non_overlapping(chunks):
    """Pairs counted with str.count, which skips overlaps ('aaa' has one 'aa')."""
    out = Counter()
    for c, n in chunks.items():
        for p in set(pairwise(c)):
            out[p] += n * c.count("".join(p))
    return out
