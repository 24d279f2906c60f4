"""`python -m embedlab train --corpus PATH`: a learner's own text, streamed; bad text gives
one line and exit status 2; `--device` on every device this machine has."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.utils import simple_preprocess

from embedlab import cli, textfiles
from embedlab.bpe import BPETokenizer, byte_level

# a text no corpus of the book contains, with a word pattern the vectors can learn
ANIMALS, FRUITS = ["wombat", "otter", "lynx", "heron"], ["quince", "papaya", "lychee", "fig"]


def _own_text(n_lines: int = 300, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_lines):
        group = ANIMALS if rng.random() < 0.5 else FRUITS
        verb = "runs swims hides" if group is ANIMALS else "ripens grows falls"
        words = [*rng.choice(group, 3), *rng.choice(verb.split(), 2), "élan"]
        lines.append(" ".join(rng.permutation(words)))
    return "\n".join(lines) + "\n"


def _train(corpus, out, *extra) -> int:
    return cli.main(["train", "--objective", "skipgram", "--corpus", str(corpus),
                     "--dim", "8", "--epochs", "3", "--window", "2", "--min-count", "1",
                     "--seed", "1", "--out", str(out), "--no-progress", *extra])


def test_trains_on_unseen_text_and_gensim_loads_it(tmp_path):
    (tmp_path / "mine.txt").write_text(_own_text(), encoding="utf-8")
    assert _train(tmp_path / "mine.txt", tmp_path / "out") == 0
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "out" / "vectors.txt"))
    assert set(kv.index_to_key) == set(simple_preprocess(_own_text()))
    assert kv.vector_size == 8 and "élan" in kv  # non-ASCII survives the round trip


def test_folder_reads_text_files_in_order_and_skips_others(tmp_path):
    d = tmp_path / "notes"
    (d / "sub").mkdir(parents=True)
    (d / "b.txt").write_text("zebra zebra\n", encoding="utf-8")
    (d / "sub" / "a.md").write_text("aardvark\n", encoding="utf-8")
    (d / "picture.png").write_bytes(b"\x89PNG\0\0")
    (d / ".hidden.txt").write_text("secret\n", encoding="utf-8")
    (d / "empty.txt").write_text("", encoding="utf-8")
    files = textfiles.text_files(d)
    assert files == [d / "b.txt", d / "sub" / "a.md"]
    assert list(textfiles.iter_lines(files)) == ["zebra zebra", "aardvark"]


def test_streaming_cuts_blocks_inside_characters_and_long_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "BLOCK", 7)  # cuts inside the two-byte "é" and "ü"
    monkeypatch.setattr(textfiles, "MAX_LINE", 12)
    text = "\ufeffcafé über\nun deux trois quatre cinq\n\nend"
    p = tmp_path / "t.txt"
    p.write_bytes(text.encode("utf-8"))
    lines = list(textfiles.iter_lines([p]))
    assert lines[0] == "café über"  # the byte-order mark is not text
    assert "".join(lines[1:-2]) == "un deux trois quatre cinq"
    assert all(len(x) <= 12 for x in lines) and lines[-2:] == ["", "end"]


def test_bpe_tokenizer_is_saved_and_spells_the_tokens(tmp_path):
    (tmp_path / "mine.txt").write_text(_own_text(), encoding="utf-8")
    assert _train(tmp_path / "mine.txt", tmp_path / "out", "--tokenizer", "bpe",
                  "--bpe-vocab", "300") == 0
    bpe = BPETokenizer.load(tmp_path / "out" / "tokenizer.json")
    assert len(bpe) == 300  # trained on this text: 44 merges on top of the 256 bytes
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "out" / "vectors.txt"))
    line = _own_text().splitlines()[0]
    spelled = {byte_level(bpe.vocab[i]) for i in bpe.encode(line)}
    assert spelled <= set(kv.index_to_key)
    assert bpe.decode(bpe.encode(line)) == line


BAD_TEXT = [
    ("missing", None, "no such file or folder"),
    ("empty.txt", b"", "the file is empty"),
    ("binary.txt", b"ok text\n\x00\x01\x02", "NUL byte at byte offset 8"),
    ("latin1.txt", "naïve\n".encode("latin-1"), "byte 0xef at byte offset 2 is not UTF-8"),
    ("cut.txt", "ab\u00e9".encode()[:-1], "byte 0xc3 at byte offset 2 is not UTF-8"),
    ("folder", "dir", "holds no non-empty *.txt or *.md files"),
    ("digits.txt", b"1 2 3\n", "holds no tokens"),
]


@pytest.mark.parametrize("name,content,message", BAD_TEXT)
def test_bad_text_one_line_exit_2(tmp_path, capsys, name, content, message):
    src = tmp_path / "in"
    src.mkdir()
    path = src / name
    if content == "dir":
        path.mkdir()
        (path / "image.png").write_bytes(b"\x89PNG")
    elif content is not None:
        path.write_bytes(content)
    assert _train(path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("embedlab: error:") and err.count("\n") == 1, err
    assert message in err and str(path) in err or message == "holds no tokens"
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in"]  # no temporary directory left


def test_bad_byte_offset_is_exact_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "BLOCK", 5)
    data = "héllo wörld\n".encode() * 3 + b"\xff"
    (tmp_path / "t.txt").write_bytes(data)
    with pytest.raises(textfiles.TextInputError, match=f"offset {len(data) - 1} "):
        list(textfiles.iter_lines([tmp_path / "t.txt"]))


DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                  reason="no CUDA GPU")),
    pytest.param("mps", marks=pytest.mark.skipif(
        not torch.backends.mps.is_available(), reason="no Apple MPS")),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("objective", ["next-token", "skipgram"])
def test_device_trains_and_writes_vectors(tmp_path, device, objective):
    out = tmp_path / "out"
    assert cli.main(["train", "--objective", objective, "--corpus", "toyworld", "--dim",
                     "8", "--epochs", "1", "--window", "2", "--out", str(out),
                     "--device", device, "--no-progress", "--snapshot-every", "50"]) == 0
    meta = json.loads((out / "snapshots.json").read_text())["meta"]
    # the window models go through embedlab.models on a GPU, word2vec on the CPU
    cpu_word2vec = device == "cpu" and objective == "skipgram"
    assert meta["engine"] == ("word2vec" if cpu_word2vec else "models")
    kv = KeyedVectors.load_word2vec_format(str(out / "vectors.txt"))
    assert np.isfinite(kv.vectors).all() and kv.vector_size == 8


def test_auto_is_the_cpu_here_and_a_missing_gpu_is_one_line(tmp_path, capsys):
    from embedlab.training import resolve_device

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has a GPU")
    assert resolve_device("auto") == "cpu"
    assert cli.main(["train", "--objective", "next-token", "--corpus", "toyworld",
                     "--out", str(tmp_path / "o"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
