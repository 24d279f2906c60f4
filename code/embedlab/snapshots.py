"""Snapshots of a table over training, on disk: safetensors for numbers, JSON for the rest.

`save_snapshots(dir, history, words, meta)` writes two files into `dir`:

- `snapshots.safetensors`: the tensors `snapshots` (T, V, D) float32, `steps` (T,) int64,
  `losses` (S,) float64 and `probe_values` (T or 0,) float64. safetensors stores raw
  little-endian arrays behind a JSON header, so loading never runs code (unlike pickle).
- `snapshots.json`: the words (row labels), your `meta` dictionary, the shapes, the
  sha256 of the tensor file and the sha256 of the words and meta, so a truncated or edited
  file (a renamed word, a changed meta value) is caught before it is used. Format 1 files
  (written before the second checksum) still load, with their words and meta unchecked.

`load_snapshots(dir)` checks all of that and returns `Snapshots(history, words, meta)`.
The same inputs always give byte-identical files.

What it deliberately does not do: pickle, compression, or appending to an existing run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save

TENSOR_FILE = "snapshots.safetensors"
META_FILE = "snapshots.json"
FORMAT = "embedlab-snapshots-2"
OLD_FORMATS = ("embedlab-snapshots-1",)  # no labels_sha256


@dataclass
class History:
    """What a training run records (torch-free, so the word2vec engines need no torch)."""

    losses: list[float] = field(default_factory=list)  # one per step
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[np.ndarray] = field(default_factory=list)  # (V, D) copies of the table
    probe_values: list[float] = field(default_factory=list)  # probe(table) at each snapshot


class SnapshotError(ValueError):
    """A snapshot directory is incomplete, damaged or inconsistent."""


class Snapshots(NamedTuple):
    history: History
    words: list[str]
    meta: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _labels_sha256(words: list, meta: dict) -> str:
    """The sha256 of the words and meta, as canonical JSON."""
    text = json.dumps({"meta": meta, "words": words}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_snapshots(directory, history: History, words, meta: dict | None = None) -> Path:
    """Write `history`'s snapshots, steps, losses and probe values; return the directory."""
    d = Path(directory)
    words = [str(w) for w in words]
    if not history.snapshots:
        raise ValueError("the history has no snapshots to save")
    if len(history.snapshots) != len(history.snapshot_steps):
        raise ValueError(f"{len(history.snapshots)} snapshots but "
                         f"{len(history.snapshot_steps)} snapshot steps")
    table = np.stack([np.asarray(s, dtype=np.float32) for s in history.snapshots])  # (T,V,D)
    if table.shape[1] != len(words):
        raise ValueError(f"{len(words)} words for tables of {table.shape[1]} rows")
    tensors = {
        "snapshots": np.ascontiguousarray(table),
        "steps": np.asarray(history.snapshot_steps, dtype=np.int64),
        "losses": np.asarray(history.losses, dtype=np.float64),
        "probe_values": np.asarray(history.probe_values, dtype=np.float64),
    }
    d.mkdir(parents=True, exist_ok=True)
    (d / TENSOR_FILE).write_bytes(save(tensors))
    info = {
        "format": FORMAT,
        "sha256": _sha256(d / TENSOR_FILE),
        "labels_sha256": _labels_sha256(words, meta or {}),
        "shape": list(table.shape),
        "words": words,
        "meta": meta or {},
    }
    (d / META_FILE).write_text(json.dumps(info, indent=1, sort_keys=True) + "\n",
                               encoding="utf-8")
    return d


def load_snapshots(directory) -> Snapshots:
    """Read a directory written by `save_snapshots`, checking it is whole and unchanged."""
    d = Path(directory)
    for name in (META_FILE, TENSOR_FILE):
        if not (d / name).is_file():
            raise SnapshotError(f"{d / name} is missing: is {d} a snapshot directory?")
    try:
        info = json.loads((d / META_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SnapshotError(f"{d / META_FILE} is not valid JSON (truncated?): {e}") from None
    if not isinstance(info, dict) or info.get("format") not in (FORMAT, *OLD_FORMATS):
        raise SnapshotError(f"{d / META_FILE} is not an {FORMAT} file")
    if not isinstance(info.get("words"), list) or not isinstance(info.get("meta"), dict):
        raise SnapshotError(f"{d / META_FILE} lacks its 'words' list or 'meta' table: "
                            "the file was edited or written by another program")
    if _sha256(d / TENSOR_FILE) != info.get("sha256"):
        raise SnapshotError(f"{d / TENSOR_FILE} does not match the sha256 in {META_FILE}: "
                            "the file was truncated or changed after it was saved")
    try:
        t = load_file(str(d / TENSOR_FILE))
    except (SafetensorError, OSError) as e:
        raise SnapshotError(f"{d / TENSOR_FILE} cannot be read: {e}") from None
    table = t.get("snapshots")
    if table is None or list(table.shape) != info.get("shape") \
            or len(info.get("words", [])) != table.shape[1]:
        raise SnapshotError(f"{d} is inconsistent: tensor shapes do not match {META_FILE}")
    if info["format"] == FORMAT and \
            _labels_sha256(info["words"], info["meta"]) != info.get("labels_sha256"):
        raise SnapshotError(f"{d / META_FILE}: the words or meta do not match its "
                            "labels_sha256: the file was changed after it was saved")
    history = History(
        losses=t["losses"].tolist(),
        snapshot_steps=t["steps"].tolist(),
        snapshots=list(table),
        probe_values=t["probe_values"].tolist(),
    )
    return Snapshots(history, list(info["words"]), dict(info["meta"]))
