"""Real English text that ships inside installed packages (no downloads).

gensim's wheel carries test data: the Lee news corpus (`lee_background.cor`, ~60k words) and a
shortened Wikipedia dump (106 articles, ~453k tokens), plus word-similarity and analogy sets.
This module finds those files and returns tokenized text; results are cached per process.

What it deliberately does not do: fetch anything, or tokenize beyond gensim's own simple
lower-casing tokenizers (subword tokenization is `embedlab.bpe`).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
LEE_FILE = "lee_background.cor"


def data_path(name: str) -> Path:
    """Path of a file in gensim's test data, with a clear error if it is missing."""
    from gensim.test.utils import datapath

    p = Path(datapath(name))
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
    from gensim.corpora.wikicorpus import WikiCorpus

    logging.getLogger("gensim").setLevel(logging.WARNING)
    wc = WikiCorpus(str(data_path(WIKI_FILE)), dictionary={}, processes=1)
    return tuple(tuple(t) for t in wc.get_texts())


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
