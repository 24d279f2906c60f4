"""Snapshots survive a round trip byte for byte, and damaged files are refused clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from embedlab.snapshots import SnapshotError, load_snapshots, save_snapshots
from embedlab.training import History


def _history(seed: int = 0, probe: bool = True) -> History:
    rng = np.random.default_rng(seed)
    snaps = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    return History(losses=[2.5, 1.25, 0.1 + 1e-12], snapshot_steps=[0, 5, 10],
                   snapshots=snaps, probe_values=[0.1, 0.2, 0.3] if probe else [])


WORDS = ["cat", "dog", "été", "rice"]


def test_round_trip(tmp_path):
    h = _history()
    save_snapshots(tmp_path / "run", h, WORDS, {"objective": "skipgram", "dim": 3})
    back = load_snapshots(tmp_path / "run")
    assert back.words == WORDS
    assert back.meta == {"objective": "skipgram", "dim": 3}
    assert back.history.losses == h.losses  # float64: exact
    assert back.history.snapshot_steps == [0, 5, 10]
    assert back.history.probe_values == pytest.approx([0.1, 0.2, 0.3], abs=0)
    for a, b in zip(back.history.snapshots, h.snapshots, strict=True):
        np.testing.assert_array_equal(a, b)


def test_plain_safetensors_reader_sees_the_tensors(tmp_path):
    save_snapshots(tmp_path, _history(probe=False), WORDS)
    t = load_file(str(tmp_path / "snapshots.safetensors"))  # no embedlab involved
    assert t["snapshots"].shape == (3, 4, 3) and t["snapshots"].dtype == np.float32
    assert t["probe_values"].shape == (0,)
    assert json.loads((tmp_path / "snapshots.json").read_text())["shape"] == [3, 4, 3]


def test_byte_identical(tmp_path):
    for name in ("a", "b"):
        save_snapshots(tmp_path / name, _history(), WORDS, {"seed": 1})
    for f in ("snapshots.safetensors", "snapshots.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_truncated_tensor_file(tmp_path):
    save_snapshots(tmp_path, _history(), WORDS)
    f = tmp_path / "snapshots.safetensors"
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(SnapshotError, match="truncated or changed"):
        load_snapshots(tmp_path)


def test_tampered_tensor_file(tmp_path):
    save_snapshots(tmp_path, _history(), WORDS)
    f = tmp_path / "snapshots.safetensors"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF  # same length, one number changed
    f.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="sha256"):
        load_snapshots(tmp_path)


def test_truncated_json_and_missing_files(tmp_path):
    save_snapshots(tmp_path, _history(), WORDS)
    j = tmp_path / "snapshots.json"
    j.write_text(j.read_text()[:40])
    with pytest.raises(SnapshotError, match="not valid JSON"):
        load_snapshots(tmp_path)
    with pytest.raises(SnapshotError, match="missing"):
        load_snapshots(tmp_path / "nowhere")


def test_edited_words_are_caught(tmp_path):
    save_snapshots(tmp_path, _history(), WORDS)
    j = tmp_path / "snapshots.json"
    info = json.loads(j.read_text())
    info["words"] = info["words"][:-1]
    j.write_text(json.dumps(info))
    with pytest.raises(SnapshotError, match="inconsistent"):
        load_snapshots(tmp_path)


def test_renamed_word_or_changed_meta_is_caught(tmp_path):
    # same length, same shapes: only the second checksum sees it (found by test_fuzz)
    for edit in (lambda info: info["words"].__setitem__(2, " "),
                 lambda info: info["meta"].__setitem__("seed", 8)):
        save_snapshots(tmp_path, _history(), WORDS, {"seed": 1})
        j = tmp_path / "snapshots.json"
        info = json.loads(j.read_text())
        edit(info)
        j.write_text(json.dumps(info))
        with pytest.raises(SnapshotError, match="changed after it was saved"):
            load_snapshots(tmp_path)


def test_format_1_files_still_load(tmp_path):
    save_snapshots(tmp_path, _history(), WORDS, {"seed": 1})
    j = tmp_path / "snapshots.json"
    info = json.loads(j.read_text())
    info["format"] = "embedlab-snapshots-1"
    del info["labels_sha256"]
    j.write_text(json.dumps(info))
    assert load_snapshots(tmp_path).words == WORDS
    info["format"] = "embedlab-snapshots-9"
    j.write_text(json.dumps(info))
    with pytest.raises(SnapshotError, match="is not an embedlab-snapshots-2 file"):
        load_snapshots(tmp_path)


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="words for"):
        save_snapshots(tmp_path, _history(), WORDS[:2])
    with pytest.raises(ValueError, match="no snapshots"):
        save_snapshots(tmp_path, History(), WORDS)
