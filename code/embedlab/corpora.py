"""Real English text that ships inside installed packages (no downloads).

gensim's wheel carries test data: the Lee news corpus (`lee_background.cor`, ~60k words) and a
shortened Wikipedia dump (106 articles, ~453k tokens), plus word-similarity and analogy sets.
This module finds those files and returns tokenized text; results are cached per process,
and the parsed Wikipedia articles also on disk (parsing the dump takes seconds, and several
chapters read it): gzip-compressed JSON in `$EMBEDLAB_CACHE` (default
`~/.cache/embedlab`), keyed by the dump's checksum and gensim's version, never a pickle.

What it deliberately does not do: fetch anything, or tokenize beyond gensim's own simple
lower-casing tokenizers (subword tokenization is `embedlab.bpe`).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import logging
import os
from functools import cache
from importlib.metadata import version
from pathlib import Path

WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
LEE_FILE = "lee_background.cor"


def data_path(name: str) -> Path:
    """Path of a file in gensim's test data (where `gensim.test.utils.datapath` looks),
    found without importing gensim, with a clear error if it is missing."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{name}: gensim, whose test data holds it, is not installed")
    p = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / name
    if not p.exists():
        raise FileNotFoundError(f"{name} is not in gensim's test data ({p.parent})")
    return p


@cache
def lee_raw() -> str:
    """The Lee background corpus as raw text, one document per line."""
    return data_path(LEE_FILE).read_text(encoding="utf-8")


@cache
def lee_sentences() -> tuple[tuple[str, ...], ...]:
    """Lee corpus documents, lower-cased and tokenized by gensim's `simple_preprocess`."""
    from gensim.utils import simple_preprocess

    return tuple(
        tuple(simple_preprocess(line))
        for line in lee_raw().splitlines()
        if line.strip()
    )


@cache
def wiki_articles() -> tuple[tuple[str, ...], ...]:
    """The 106 Wikipedia articles, tokenized by gensim's `WikiCorpus` (markup removed)."""
    return tuple(tuple(a) for a in _cached_wiki(cache_dir()))


def cache_dir() -> Path:
    """Where parsed corpora are kept: `$EMBEDLAB_CACHE`, else `~/.cache/embedlab`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("EMBEDLAB_CACHE") or Path(base) / "embedlab")


def _parse_wiki() -> list[list[str]]:
    from gensim.corpora.wikicorpus import WikiCorpus

    logging.getLogger("gensim").setLevel(logging.WARNING)
    wc = WikiCorpus(str(data_path(WIKI_FILE)), dictionary={}, processes=1)
    return [list(t) for t in wc.get_texts()]


def _cached_wiki(folder: Path) -> list[list[str]]:
    """The parsed articles from `folder` if a valid copy is there, else parsed and saved.

    The file name holds the dump's SHA-256 and gensim's version, so a changed dump or
    tokenizer never reads a stale copy; an unreadable file is parsed again and replaced.
    """
    digest = hashlib.sha256(data_path(WIKI_FILE).read_bytes()).hexdigest()[:16]
    path = folder / f"wiki-{digest}-gensim{version('gensim')}.json.gz"
    try:
        articles = json.loads(gzip.decompress(path.read_bytes()))
        if isinstance(articles, list) and all(isinstance(a, list) for a in articles):
            return articles
    except (OSError, ValueError, EOFError):
        pass  # missing or damaged: parse again
    articles = _parse_wiki()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(json.dumps(articles).encode(), mtime=0))
        tmp.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only home is fine: the parse is only slower
    return articles


def wiki_text() -> str:
    """The articles as one string (tokens joined by spaces, articles by newlines)."""
    return "\n".join(" ".join(a) for a in wiki_articles())


def corpus_sentences(name: str) -> tuple[tuple[str, ...], ...]:
    """Sentences of a named corpus: "lee" or "wiki" (toyworld lives in `embedlab.toyworld`)."""
    if name == "lee":
        return lee_sentences()
    if name == "wiki":
        return wiki_articles()
    raise ValueError(f"unknown corpus {name!r}: use 'lee' or 'wiki'")
