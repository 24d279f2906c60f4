"""Byte-level byte-pair encoding (BPE), trained from scratch.

Text -> UTF-8 bytes -> ids 0..255 -> repeatedly merge the most frequent adjacent pair
into a new id. Training pre-tokenizes with a GPT-2-like regex (merges never cross a
chunk such as " word"), counts each unique chunk once, and updates the pair counts
incrementally: after a merge only the chunks that contain the merged pair are touched,
and a heap with lazily refreshed entries gives the most frequent pair. Ties are broken
as Hugging Face `tokenizers` breaks them (smallest pair in its byte-level id order), so
the two learn the same merges.

Every Python str round-trips: lone surrogates are encoded with UTF-8 "surrogatepass".

What it deliberately does not do: normalise text, add special tokens, or run in
parallel. The comparison with Hugging Face's trainer lives in `embedlab.bpe_hf`.
"""

from __future__ import annotations

import codecs
import heapq
import json
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

FORMAT, VERSION = "embedlab-bpe", 1
# GPT-2's split with the standard library's `re`: letters are [^\W\d_] (\p{L} in GPT-2),
# numbers \d (\p{N}), and the rest is "not space, not letter, not number".
GPT2_LIKE_PATTERN = (
    r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"
)


def _lenient(exc: UnicodeDecodeError):
    """Decode errors: keep encoded lone surrogates, replace truly broken bytes."""
    try:
        return codecs.lookup_error("surrogatepass")(exc)
    except UnicodeDecodeError:
        return "\ufffd", exc.start + 1


codecs.register_error("embedlab-bpe", _lenient)


def to_bytes(text: str) -> bytes:
    """UTF-8, with lone surrogates kept (so that every str has bytes)."""
    return text.encode("utf-8", "surrogatepass")


def _byte_level_chars() -> list[str]:
    """GPT-2's printable stand-in for each byte (space -> 'Ġ'), as `tokenizers` uses."""
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in keep else chr(next(extra)) for b in range(256)]


BYTE_CHARS = _byte_level_chars()
# Hugging Face numbers the 256 byte symbols in code-point order of these stand-ins;
# we use that order to break ties between equally frequent pairs, exactly as it does.
_HF_BYTE_RANK = {
    b: r for r, b in enumerate(sorted(range(256), key=lambda b: BYTE_CHARS[b]))
}


def tie_rank(token_id: int) -> int:
    """Where a token sorts when pair counts tie: Hugging Face's id of the token."""
    return _HF_BYTE_RANK[token_id] if token_id < 256 else token_id


def merge_pair(ids: Iterable[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """`ids` with every occurrence of `pair` replaced by `new_id`, left to right (so
    (a, a) in a, a, a merges once: [new, a])."""
    ids, out, i = list(ids), [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def byte_level(token: bytes) -> str:
    """A token's bytes spelled with GPT-2's stand-ins, e.g. b" the" -> "Ġthe"."""
    return "".join(BYTE_CHARS[b] for b in token)


class BPETokenizer:
    """A merge list and the vocabulary it builds: id -> bytes (0..255: the bytes)."""

    def __init__(
        self,
        merges: Iterable[tuple[int, int]] = (),
        pattern: str = GPT2_LIKE_PATTERN,
        merge_counts: Iterable[int] = (),
    ):
        self.pattern = pattern
        self._split_re = re.compile(pattern)
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]
        index = {v: i for i, v in enumerate(self.vocab)}
        self.merges: list[tuple[int, int]] = []
        self._rank: dict[tuple[int, int], int] = {}  # pair -> merge priority (0 first)
        self._result: list[int] = []  # merge rank -> id of the merged token
        for a, b in merges:
            if not (0 <= a < len(self.vocab) and 0 <= b < len(self.vocab)):
                raise ValueError(
                    f"merge {len(self.merges)} uses ids ({a}, {b}) but only "
                    f"{len(self.vocab)} tokens exist at that point"
                )
            new = index.setdefault(self.vocab[a] + self.vocab[b], len(self.vocab))
            if new == len(
                self.vocab
            ):  # a pair can rebuild bytes that exist: reuse the id
                self.vocab.append(self.vocab[a] + self.vocab[b])
            self._rank.setdefault((a, b), len(self.merges))
            self.merges.append((a, b))
            self._result.append(new)
        self.merge_counts: list[int] = list(merge_counts)  # pair count when merged
        self._cache: dict[str, list[int]] = {}

    # ---------------------------------------------------------------- training
    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        min_frequency: int = 2,
        pattern: str = GPT2_LIKE_PATTERN,
    ) -> BPETokenizer:
        """Learn merges until the vocabulary has `vocab_size` tokens (or no pair occurs
        `min_frequency` times). Counts pairs once, then updates them per merge."""
        if not isinstance(text, str):
            raise TypeError(f"train takes a str, not {type(text).__name__}")
        if operator.index(vocab_size) < 256:
            raise ValueError(
                f"vocab_size must be at least 256 (the bytes), got {vocab_size}"
            )
        chunks = Counter(re.findall(pattern, text))
        words = [list(to_bytes(w)) for w in chunks]  # each unique chunk once, as ids
        freq = list(chunks.values())
        pair_count: dict[tuple[int, int], int] = defaultdict(int)
        where: dict[tuple[int, int], set[int]] = defaultdict(set)  # pair -> chunk indices
        for w, (ids, f) in enumerate(zip(words, freq, strict=True)):
            for pair in pairwise(ids):
                pair_count[pair] += f
                where[pair].add(w)
        rank = tie_rank
        heap = [(-c, rank(a), rank(b), a, b) for (a, b), c in pair_count.items()]
        heapq.heapify(heap)
        vocab = [bytes([b]) for b in range(256)]
        index = {v: i for i, v in enumerate(vocab)}
        merges, counts = [], []
        while len(vocab) < vocab_size and heap:
            neg, _, _, a, b = heapq.heappop(heap)
            count = pair_count[(a, b)]
            if count != -neg:  # stale entry: re-file it under its current count
                if count > 0:
                    heapq.heappush(heap, (-count, rank(a), rank(b), a, b))
                continue
            if count < max(1, min_frequency):
                break
            new = index.setdefault(vocab[a] + vocab[b], len(vocab))
            if new == len(vocab):
                vocab.append(vocab[a] + vocab[b])
            merges.append((a, b))
            counts.append(count)
            grown = set()
            for w in where.pop((a, b), ()):
                for pair, change in _merge_word(words[w], a, b, new):
                    pair_count[pair] += change * freq[w]
                    if change > 0:
                        where[pair].add(w)
                        grown.add(pair)
            pair_count[(a, b)] = 0
            for pair in grown:
                heapq.heappush(
                    heap, (-pair_count[pair], rank(pair[0]), rank(pair[1]), *pair)
                )
        return cls(merges, pattern=pattern, merge_counts=counts)

    # ---------------------------------------------------------------- encode / decode
    def __len__(self) -> int:
        return len(self.vocab)

    def split(self, text: str) -> list[str]:
        """Pre-tokenize into the chunks merges stay inside; joined, they are `text`."""
        out, end = [], 0
        for m in self._split_re.finditer(text):
            if m.start() > end:  # a custom pattern may skip characters: keep them
                out.append(text[end : m.start()])
            if m.end() > m.start():
                out.append(m.group())
            end = m.end()
        if end < len(text):
            out.append(text[end:])
        return out

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"encode takes a str, not {type(text).__name__}")
        ids: list[int] = []
        for chunk in self.split(text):
            cached = self._cache.get(chunk)
            if cached is None:
                cached = self._merge_chunk(list(to_bytes(chunk)))
                if len(chunk) <= 64:
                    if len(self._cache) > 200_000:
                        self._cache.clear()
                    self._cache[chunk] = cached
            ids.extend(cached)
        return ids

    def _merge_chunk(self, sym: list[int]) -> list[int]:
        """Apply merges by priority (lowest rank, then leftmost first), O(n log n)."""
        n = len(sym)
        nxt, prv, alive = list(range(1, n + 1)), list(range(-1, n - 1)), [True] * n
        heap = [
            (self._rank[p], i) for i, p in enumerate(pairwise(sym)) if p in self._rank
        ]
        heapq.heapify(heap)
        while heap:
            r, i = heapq.heappop(heap)
            j = nxt[i]
            if not alive[i] or j >= n or self._rank.get((sym[i], sym[j])) != r:
                continue  # stale: this pair changed since it was queued
            sym[i], alive[j], nxt[i] = self._result[r], False, nxt[j]
            if nxt[i] < n:
                prv[nxt[i]] = i
                if (q := self._rank.get((sym[i], sym[nxt[i]]))) is not None:
                    heapq.heappush(heap, (q, i))
            if (p := prv[i]) >= 0 and (
                q := self._rank.get((sym[p], sym[i]))
            ) is not None:
                heapq.heappush(heap, (q, p))
        return [s for s, keep in zip(sym, alive, strict=True) if keep]

    def _check_ids(self, ids: Iterable[int]) -> list[int]:
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"decode takes a list of int ids, not {type(ids).__name__}")
        out = []
        for i in ids:
            try:
                i = operator.index(i)
            except TypeError:
                raise TypeError(
                    f"token ids must be int, not {type(i).__name__}"
                ) from None
            if not 0 <= i < len(self.vocab):
                raise TokenIdError(
                    f"token id {i} is out of range for a vocabulary of size "
                    f"{len(self.vocab)} (valid ids: 0..{len(self.vocab) - 1})"
                )
            out.append(i)
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """Join the tokens' bytes and read them as UTF-8 (broken bytes -> U+FFFD)."""
        ids = self._check_ids(ids)
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", "embedlab-bpe")

    def pieces(self, ids: Iterable[int]) -> list[str]:
        """Each token on its own, for display; a token that holds part of a character
        shows its bytes as escapes such as '\\xe2'."""
        return [
            self.vocab[i].decode("utf-8", "backslashreplace")
            for i in self._check_ids(ids)
        ]

    def truncated(self, vocab_size: int) -> BPETokenizer:
        """The tokenizer after fewer merges: BPE training is a prefix, so this is
        exactly what training with the smaller `vocab_size` would have learnt."""
        k = 0
        while k < len(self.merges) and self._result[k] < vocab_size:
            k += 1
        return BPETokenizer(self.merges[:k], self.pattern, self.merge_counts[:k])

    # ---------------------------------------------------------------- files
    def save(self, path: str | Path) -> None:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "pattern": self.pattern,
            "merges": [list(m) for m in self.merges],
            "merge_counts": self.merge_counts,
        }
        Path(path).write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(
                f"{path} is not a BPE tokenizer file (not valid JSON: {e})"
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(
                f"{path} is not an {FORMAT} file (no 'format': {FORMAT!r})"
            )
        if data.get("version") != VERSION:
            raise ValueError(
                f"{path} has {FORMAT} version {data.get('version')!r}; "
                f"this code reads version {VERSION}"
            )
        merges, pattern = data.get("merges"), data.get("pattern")
        counts = data.get("merge_counts", [])
        try:
            if not (
                isinstance(merges, list)
                and isinstance(counts, list)
                and all(
                    isinstance(m, list)
                    and len(m) == 2
                    and all(type(t) is int for t in m)
                    for m in merges
                )
            ):
                raise TypeError("merges must be a list of [int, int]")
            return cls([tuple(m) for m in merges], pattern=pattern, merge_counts=counts)
        except (TypeError, ValueError, re.error) as e:
            raise ValueError(f"{path} is a corrupt {FORMAT} file: {e}") from None


class TokenIdError(IndexError, ValueError):
    """A token id outside the vocabulary."""


def _merge_word(
    ids: list[int], a: int, b: int, new: int
) -> list[tuple[tuple[int, int], int]]:
    """Merge (a, b) -> new in place, left to right; return the pair-count changes."""
    changes = []
    i = 0
    while i < len(ids) - 1:
        if ids[i] == a and ids[i + 1] == b:
            if i > 0:
                changes += [((ids[i - 1], a), -1), ((ids[i - 1], new), 1)]
            if i + 2 < len(ids):
                changes += [((b, ids[i + 2]), -1), ((new, ids[i + 2]), 1)]
            ids[i : i + 2] = [new]
        i += 1
    return changes
