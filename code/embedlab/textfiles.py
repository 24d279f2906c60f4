"""A learner's own text: a UTF-8 file or a folder of them, read as a stream of lines.

`text_files(path)` checks the path and lists the files to read (a file, or every `*.txt`
and `*.md` file under a folder, sorted, hidden ones skipped). `iter_lines(files)` reads
them in blocks of `BLOCK` bytes and yields one line at a time (a line longer than
`MAX_LINE` characters is cut at its last space before that), so a file is never held
whole in memory. Problems raise `TextInputError` with one line that names the file and,
for bytes that are not UTF-8 (or a NUL byte, the mark of a binary file), the byte offset.

`tokenized(lines, tokenizer)` turns the lines into sentences: "words" is gensim's
`simple_preprocess` (lower case, 2 to 15 letters, as `embedlab.corpora` tokenizes Lee),
"bpe" is the book's `BPETokenizer`, trained on the first `bpe_sample` characters of the
text and spelled with GPT-2's stand-ins ("Ġthe"), so that no token holds whitespace and the
word2vec text format can store it. Tokens are interned: a word seen a million times is one
string.

What it deliberately does not do: guess encodings other than UTF-8 (a UTF-8 byte-order mark
is skipped), read compressed files, or split sentences inside a line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md")
BLOCK = 1 << 20  # bytes read at a time
MAX_LINE = 100_000  # characters; longer lines are cut at a space
MAX_SENTENCE = 10_000  # tokens per sentence, as gensim's MAX_WORDS_IN_BATCH
BOM = b"\xef\xbb\xbf"


class TextInputError(ValueError):
    """The text cannot be used: a one-line message for the CLI."""


def text_files(path: Path) -> list[Path]:
    """The files to read for `path` (a file, or a folder's text files), checked."""
    path = Path(path)
    if not path.exists():
        raise TextInputError(f"--corpus {path}: no such file or folder")
    if path.is_file():
        if path.stat().st_size == 0:
            raise TextInputError(f"--corpus {path}: the file is empty")
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file()
                   and p.suffix.lower() in TEXT_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    files = [p for p in files if p.stat().st_size > 0]
    if not files:
        raise TextInputError(f"--corpus {path}: the folder holds no non-empty "
                             f"{' or '.join('*' + s for s in TEXT_SUFFIXES)} files")
    return files


def _decode(path: Path, data: bytes, offset: int, final: bool) -> tuple[str, bytes]:
    """Decode `data` (which starts at byte `offset` of `path`); return the text and the
    bytes of a character cut by the block's end, to prepend to the next block."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise TextInputError(f"--corpus {path}: a NUL byte at byte offset {offset + nul}: "
                             "this looks like a binary file, not text")
    try:
        return data.decode("utf-8"), b""
    except UnicodeDecodeError as e:
        if not final and e.reason == "unexpected end of data" and e.start >= len(data) - 3:
            return data[: e.start].decode("utf-8"), data[e.start :]
        raise TextInputError(f"--corpus {path}: byte 0x{data[e.start]:02x} at byte offset "
                             f"{offset + e.start} is not UTF-8") from None


def _blocks(path: Path) -> Iterator[str]:
    with path.open("rb") as f:
        offset, rest = 0, b""
        first = True
        while True:
            block = f.read(BLOCK)
            final = not block
            data = rest + block
            if first and data.startswith(BOM):
                data, offset = data[len(BOM) :], len(BOM)
            first = False
            text, rest = _decode(path, data, offset, final)
            offset += len(data) - len(rest)
            if text:
                yield text
            if final:
                return


def iter_lines(files: Iterable[Path]) -> Iterator[str]:
    """Every line of every file, in order, without its line break."""
    for path in files:
        pending = ""
        for text in _blocks(path):
            pending += text
            *lines, pending = pending.split("\n")
            yield from lines
            while len(pending) > MAX_LINE:  # one huge line: cut it at a space
                cut = pending.rfind(" ", 0, MAX_LINE)
                cut = MAX_LINE if cut <= 0 else cut
                yield pending[:cut]
                pending = pending[cut:]
        if pending:
            yield pending


def tokenized(lines: Callable[[], Iterable[str]], tokenizer: str = "words",
              bpe_vocab: int = 2000, bpe_sample: int = 2_000_000):
    """Sentences (tuples of interned tokens, at most MAX_SENTENCE each) and, for "bpe",
    the trained `BPETokenizer` (else None). `lines()` gives a fresh stream of the text's
    lines; "bpe" reads it twice (the training sample, then the whole text)."""
    intern = sys.intern
    bpe = None
    if tokenizer == "words":
        from gensim.utils import simple_preprocess

        def split(line: str) -> list[str]:
            return [intern(t) for t in simple_preprocess(line)]
    elif tokenizer == "bpe":
        from .bpe import byte_level

        bpe = train_bpe(lines(), bpe_vocab, bpe_sample)
        names = [intern(byte_level(t)) for t in bpe.vocab]  # id -> "Ġthe"

        def split(line: str) -> list[str]:
            return [names[i] for i in bpe.encode(line)]
    else:
        raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'words' or 'bpe'")
    sentences = []
    for line in lines():
        tokens = split(line)
        for i in range(0, len(tokens), MAX_SENTENCE):
            sentences.append(tuple(tokens[i : i + MAX_SENTENCE]))
    if not sentences:
        raise TextInputError("--corpus: the text holds no tokens "
                             "(the words tokenizer keeps words of 2 to 15 letters)")
    return tuple(sentences), bpe


def train_bpe(lines: Iterable[str], vocab_size: int, sample_chars: int):
    """A `BPETokenizer` trained on the first `sample_chars` characters of `lines`."""
    from .bpe import BPETokenizer

    parts, n = [], 0
    for line in lines:
        parts.append(line)
        n += len(line) + 1
        if n >= sample_chars:
            break
    return BPETokenizer.train("\n".join(parts), vocab_size)
