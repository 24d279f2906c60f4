"""Our BPE next to Hugging Face's: the reference trainer and both merge lists in one spelling.

- `hf_byte_level_bpe`: a Hugging Face `tokenizers` byte-level BPE configured like
  `embedlab.bpe.BPETokenizer.train` (same pre-tokenizer, the 256 byte symbols up front,
  the same minimum pair frequency), the reference the chapter, tests and bench race.
- `hf_merges`, `our_merges`: each trainer's merges as (left, right) strings in the
  byte-level spelling (`embedlab.bpe.byte_level`), so the two lists compare with `==`.

What it deliberately does not do: train or encode anything of its own (`embedlab.bpe`
does), or compare other tokenizer models (WordPiece, Unigram).
"""

from __future__ import annotations

import json

from .bpe import BPETokenizer, byte_level


def hf_byte_level_bpe(text: str, vocab_size: int, min_frequency: int = 2):
    """The reference: Hugging Face `tokenizers` configured like `BPETokenizer.train`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([text], trainer)
    return tok


def hf_merges(tok) -> list[tuple[str, str]]:
    """A `tokenizers` BPE's merges as (left, right) in byte-level spelling."""
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


def our_merges(tok: BPETokenizer) -> list[tuple[str, str]]:
    """Our merges in the same byte-level spelling, to compare with `hf_merges`."""
    return [(byte_level(tok.vocab[a]), byte_level(tok.vocab[b])) for a, b in tok.merges]
