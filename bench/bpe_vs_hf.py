"""Our byte-level BPE (`embedlab.bpe`) against Hugging Face `tokenizers`.

Training: both learn 500, 2000 and 8000 merges on the Wikipedia extract of gensim's test
data (~2.8M characters), configured alike (`embedlab.bpe_hf.hf_byte_level_bpe`); each size is
trained from scratch and timed. Encoding: the 2000-merge tokenizers encode held-out text
(the Lee news corpus, which they never saw) as one string; throughput in characters per
second, ours starting with an empty chunk cache. The merge lists are compared too: the
count of leading merges that agree (they should all agree on this lower-case text).

What it deliberately does not do: time decoding, batching or Hugging Face's parallelism
(TOKENIZERS_PARALLELISM=false and one string, so both sides use one thread).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import Row, timed


@dataclass
class BPEBenchConfig:
    merges: tuple[int, ...] = (500, 2000, 8000)  # merge counts to train
    encode_merges: int = 2000  # the tokenizer size used for the encoding race
    min_frequency: int = 2  # both trainers stop at pairs seen fewer times


def _agreeing_prefix(a: list, b: list) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def run(cfg: BPEBenchConfig | None = None, progress=None) -> list[Row]:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import tokenizers

    from embedlab.bpe import BPETokenizer
    from embedlab.bpe_hf import hf_byte_level_bpe, hf_merges, our_merges
    from embedlab.corpora import lee_raw, wiki_text

    cfg = cfg or BPEBenchConfig()
    ref = f"tokenizers {tokenizers.__version__}"
    text, held_out = wiki_text(), lee_raw()
    rows: list[Row] = []
    kept = {}
    for m in cfg.merges:
        ours, ours_s = timed(BPETokenizer.train, text, 256 + m, cfg.min_frequency)
        hf, hf_s = timed(hf_byte_level_bpe, text, 256 + m, cfg.min_frequency)
        rows.append(Row("bpe", f"train {m} merges", ours_s, hf_s, "s", ref, False))
        same = _agreeing_prefix(our_merges(ours), hf_merges(hf))
        rows.append(Row("bpe", f"merges identical to HF, {m}", same, m, "merges", ref))
        kept[m] = (ours, hf)
        if progress:
            progress(f"bpe {m} merges")
    ours, hf = kept.get(cfg.encode_merges) or (
        BPETokenizer.train(text, 256 + cfg.encode_merges, cfg.min_frequency),
        hf_byte_level_bpe(text, 256 + cfg.encode_merges, cfg.min_frequency),
    )
    ours._cache.clear()  # a cold cache: the chunks of held-out text are new to it
    ids, ours_s = timed(ours.encode, held_out)
    enc, hf_s = timed(hf.encode, held_out)
    rows.append(Row("bpe", f"encode held-out text, {cfg.encode_merges} merges",
                    len(held_out) / ours_s, len(held_out) / hf_s, "chars/s", ref))
    rows.append(Row("bpe", "tokens for held-out text", len(ids), len(enc.ids),
                    "tokens", ref, False))
    if progress:
        progress("bpe encoding")
    return rows
