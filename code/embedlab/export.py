"""Word vectors out to the two file formats other tools read.

- word2vec text format: a header line "V D", then one line per word, "word x1 x2 ... xD",
  each number the shortest text that reads back as the same float32, byte for byte what
  gensim's `save_word2vec_format` writes (tests/test_export.py compares the two files), but
  without importing gensim (a second off every CLI run); gensim reads it with
  `KeyedVectors.load_word2vec_format(path)`.
- Embedding Projector TSV (projector.tensorflow.org, "Load"): `vectors.tsv` holds one row
  of tab-separated numbers per word and no header; `metadata.tsv` holds the labels, one per
  line, with no header when there is a single column, and a header row when there are more.

Numbers are written with a fixed format (gensim's float32 repr; "%.6g" in the TSV), so the
same table gives the same bytes.

What it deliberately does not do: the binary word2vec format, or escaping words that contain
whitespace (they are refused: neither format can hold them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

NUMBER_FORMAT = "%.6g"


def _check(words: Sequence[str], vectors) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2 or len(v) != len(words):
        raise ValueError(f"{len(words)} words for a table of shape {v.shape}")
    for w in words:
        if not w or any(c.isspace() for c in w):
            raise ValueError(f"word {w!r} is empty or contains whitespace: these formats "
                             "cannot hold it")
    return v


def _rows(v: np.ndarray, sep: str) -> list[str]:
    row_format = sep.join([NUMBER_FORMAT] * v.shape[1])  # one % per row: ~2x faster
    return [row_format % tuple(row) for row in v.tolist()]


def keyed_vectors(words: Sequence[str], vectors, dtype=np.float64):
    """The table as gensim `KeyedVectors`, one key per row in the table's order (the first
    of a repeated word wins), for gensim's writers and its evaluation functions."""
    from gensim.models import KeyedVectors

    if hasattr(vectors, "detach"):  # a torch tensor
        vectors = vectors.detach().cpu().numpy()
    v = np.asarray(vectors, dtype=dtype)
    if v.ndim != 2 or len(v) != len(words):
        raise ValueError(f"{len(words)} words for vectors of shape {v.shape}")
    kv = KeyedVectors(v.shape[1], dtype=dtype)
    kv.add_vectors(list(words), v)
    return kv


def write_word2vec_text(path, words: Sequence[str], vectors) -> Path:
    """Write the word2vec text format (float32 numbers, as gensim's `save_word2vec_format`
    writes them: `str` of each float32); return the path. A repeated word keeps its first
    row, as in `keyed_vectors`. Read it back with `KeyedVectors.load_word2vec_format`."""
    v = _check(words, vectors).astype(np.float32)
    first = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(f"{len(first)} {v.shape[1]}\n")
        for w, i in first.items():
            f.write(f"{w} {' '.join(map(str, v[i]))}\n")
    return path


def write_projector_tsv(
    vectors_path, metadata_path, words: Sequence[str], vectors,
    labels: dict[str, Sequence[str]] | None = None,
) -> tuple[Path, Path]:
    """Write the Embedding Projector's vectors.tsv and metadata.tsv.

    `labels` adds metadata columns (name -> one value per word), e.g. {"category": [...]}.
    """
    v = _check(words, vectors)
    vectors_path, metadata_path = Path(vectors_path), Path(metadata_path)
    vectors_path.write_text("\n".join(_rows(v, "\t")) + "\n", encoding="utf-8")
    if labels:
        for name, col in labels.items():
            if len(col) != len(words):
                raise ValueError(f"label {name!r} has {len(col)} values for {len(words)} words")
        header = "\t".join(["word", *labels])
        body = ["\t".join([w, *(str(labels[k][i]) for k in labels)])
                for i, w in enumerate(words)]
        meta = [header, *body]
    else:
        meta = list(words)
    metadata_path.write_text("\n".join(meta) + "\n", encoding="utf-8")
    return vectors_path, metadata_path
