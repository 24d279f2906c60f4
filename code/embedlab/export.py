"""Word vectors out to the two file formats other tools read.

- word2vec text format: a header line "V D", then one line per word, "word x1 x2 ... xD".
  gensim reads it with `KeyedVectors.load_word2vec_format(path)`.
- Embedding Projector TSV (projector.tensorflow.org, "Load"): `vectors.tsv` holds one row
  of tab-separated numbers per word and no header; `metadata.tsv` holds the labels, one per
  line, with no header when there is a single column, and a header row when there are more.

Numbers are written with a fixed format ("%.6g"), so the same table gives the same bytes.

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
    return [sep.join(NUMBER_FORMAT % x for x in row) for row in v]


def write_word2vec_text(path, words: Sequence[str], vectors) -> Path:
    """Write the word2vec text format; return the path."""
    v = _check(words, vectors)
    lines = [f"{v.shape[0]} {v.shape[1]}"]
    lines += [f"{w} {row}" for w, row in zip(words, _rows(v, " "), strict=True)]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_word2vec_text(path) -> tuple[list[str], np.ndarray]:
    """Read the word2vec text format back: (words, (V, D) float32 table)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(f"{path} is empty")
    n, d = (int(x) for x in lines[0].split())
    if len(lines) - 1 != n:
        raise ValueError(f"{path} announces {n} words but has {len(lines) - 1} lines")
    words, rows = [], []
    for line in lines[1:]:
        w, *xs = line.split(" ")
        if len(xs) != d:
            raise ValueError(f"{path}: the line of {w!r} has {len(xs)} numbers, not {d}")
        words.append(w)
        rows.append([float(x) for x in xs])
    return words, np.array(rows, dtype=np.float32).reshape(n, d)


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
