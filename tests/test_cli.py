"""`python -m embedlab train`: files gensim can read, byte-identical reruns, clean failures."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedlab import cli
from embedlab.corpora import lee_sentences
from embedlab.snapshots import load_snapshots
from embedlab.vocab import Vocab

FILES = ("snapshots.safetensors", "snapshots.json", "vectors.txt", "vectors.tsv",
         "metadata.tsv")


def _run(out, objective="skipgram", *extra) -> int:
    return cli.main(["train", "--objective", objective, "--corpus", "toyworld",
                     "--dim", "8", "--epochs", "1", "--window", "2", "--seed", "3",
                     "--out", str(out), "--no-progress", "--threads", "1",
                     "--snapshot-every", "5", *extra])


def test_objective_names_are_the_packages():
    from embedlab.models import OBJECTIVES

    assert cli.objectives() == (*OBJECTIVES, "mlm")


def test_engine_names_are_the_packages():
    from embedlab.word2vec import ENGINES

    assert sorted(cli.ENGINES) == sorted(ENGINES)


def test_engines_train_the_same_recipe_differently(tmp_path):
    for engine in cli.ENGINES:
        assert _run(tmp_path / engine, "skipgram", "--engine", engine) == 0
    a, b = ((tmp_path / e / "vectors.txt").read_bytes() for e in cli.ENGINES)
    assert a.splitlines()[0] == b.splitlines()[0] and a != b  # same words x dims


def test_snapshots_only_when_asked(tmp_path):
    assert cli.main(["train", "--objective", "skipgram", "--corpus", "toyworld", "--dim",
                     "8", "--epochs", "1", "--out", str(tmp_path / "a"),
                     "--no-progress"]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "metadata.tsv", "vectors.tsv", "vectors.txt"]


@pytest.mark.parametrize("objective", ["skipgram", "cbow", "next-token", "centre-fill",
                                       "mlm"])
def test_same_seed_same_bytes_and_gensim_reads_it(tmp_path, objective):
    assert _run(tmp_path / "a", objective) == 0
    assert _run(tmp_path / "b", objective) == 0
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "a" / "vectors.txt"))
    snaps = load_snapshots(tmp_path / "a")
    assert kv.index_to_key == snaps.words
    np.testing.assert_allclose(kv.vectors, snaps.history.snapshots[-1], rtol=1e-5,
                               atol=1e-6)
    assert snaps.meta["objective"] == objective and snaps.meta["seed"] == 3
    tsv = (tmp_path / "a" / "vectors.tsv").read_text().splitlines()
    meta = (tmp_path / "a" / "metadata.tsv").read_text().splitlines()
    assert len(tsv) == len(kv) and len(tsv[0].split("\t")) == 8
    assert meta[0] == "word\tcategory" and len(meta) == len(kv) + 1
    assert "cat\tanimal" in meta


def test_other_seed_other_vectors(tmp_path):
    _run(tmp_path / "a")
    cli.main(["train", "--objective", "skipgram", "--corpus", "toyworld", "--dim", "8",
              "--epochs", "1", "--window", "2", "--seed", "4", "--out",
              str(tmp_path / "b"), "--no-progress", "--threads", "1"])
    assert (tmp_path / "a" / "vectors.txt").read_bytes() != \
        (tmp_path / "b" / "vectors.txt").read_bytes()


BAD = [
    (["train", "--objective", "glove", "--corpus", "toyworld"], "invalid choice"),
    (["train", "--objective", "cbow", "--corpus", "reddit"], "no such file or folder"),
    (["fit", "--objective", "cbow"], "invalid choice: 'fit'"),
    ([], "missing command"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--dim", "0"], "at least 1"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--dim", "-3"], "at least 1"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--window", "0"], "at least 1"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--epochs", "two"],
     "not a whole number"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--negative", "1.5"],
     "not a whole number"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--seed", "x"],
     "not a whole number"),
    (["train", "--objective", "cbow", "--corpus", "lee", "--sample", "lots"], "not a number"),
    (["train", "--objective", "mlm", "--corpus", "toyworld", "--dim", "7"], "multiple of"),
]


@pytest.mark.parametrize("argv,message", BAD)
def test_bad_input_one_line_exit_2(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    if argv and argv[0] == "train":
        argv = [*argv, "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedlab: error:") and err.count("\n") == 1, err
    assert message in err
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary directory left


def test_mlm_is_bert_objective_on_the_tiny_encoder():
    # --objective mlm: whole [PAD]-filled pieces of 2*window+1 tokens into TinyEncoder,
    # whose loss masks 15% of the real tokens (80/10/10) afresh, not the one-blank window
    import torch

    from embedlab.encoder import IGNORE, TinyEncoder, mask_tokens
    from embedlab.toyworld import make_toyworld

    args = cli.build_parser().parse_args(
        ["train", "--objective", "mlm", "--corpus", "toyworld", "--dim", "8",
         "--window", "3", "--out", "unused"])
    sentences = make_toyworld().sentences
    vocab = Vocab.build(sentences)
    (ids,), model = cli._mlm_setup(args, sentences, vocab)
    assert isinstance(model, TinyEncoder) and model.cfg.mask_prob == 0.15
    assert ids.shape[1] == 7 and (ids != vocab["[MASK]"]).all()  # masks come per batch
    torch.manual_seed(0)
    inputs, targets = mask_tokens(ids, model.cfg)
    chosen = targets != IGNORE
    share = chosen.sum() / (ids != vocab["[PAD]"]).sum()
    assert abs(share - 0.15) < 0.02  # about 15% of the real tokens
    assert abs((inputs[chosen] == vocab["[MASK]"]).float().mean() - 0.8) < 0.05


def test_existing_out_needs_force(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert _run(out) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    assert _run(out, "skipgram", "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("where", ["parent-is-a-file", "missing-parent"])
def test_unwritable_out(tmp_path, capsys, where):
    (tmp_path / "file").write_text("x")
    out = tmp_path / ("file" if where == "parent-is-a-file" else "no/such") / "out"
    assert _run(out) == 2
    err = capsys.readouterr().err
    assert "cannot write --out" in err and err.count("\n") == 1


def test_failure_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cli, "_write", broken)
    assert _run(tmp_path / "out") == 2
    assert "disk full" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_module_entry_point_has_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "embedlab", "train", "--objective", "cbow",
                        "--corpus", "toyworld", "--dim", "zero", "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    want = "embedlab: error: argument --dim: 'zero' is not a whole number"
    assert r.stderr.strip().splitlines() == [want]


def test_lee_corpus_and_min_count(tmp_path):
    out = tmp_path / "lee"
    assert cli.main(["train", "--objective", "skipgram", "--corpus", "lee", "--dim", "4",
                     "--epochs", "1", "--min-count", "20", "--out", str(out),
                     "--no-progress"]) == 0
    kv = KeyedVectors.load_word2vec_format(str(out / "vectors.txt"))
    assert len(kv) == len(Vocab.build(lee_sentences(), min_count=20, specials=()))
    # no categories for real text: metadata.tsv is one word per line, no header
    assert (out / "metadata.tsv").read_text().splitlines() == kv.index_to_key


HEAVY = ("torch", "gensim", "sklearn", "matplotlib")
_IMPORTS = ("import sys\nfrom embedlab import cli\n"
            "assert cli.main(sys.argv[1:]) == 0\n"
            "print('imported:', *(m for m in {heavy!r} if m in sys.modules))")


@pytest.mark.parametrize("corpus", ["toyworld", "wiki"])
def test_a_cpu_word2vec_run_imports_neither_torch_nor_gensim(tmp_path, corpus):
    """The pairwise engine needs neither; importing them cost seconds per run."""
    if corpus == "wiki":  # the CLI reads the parsed copy; parsing the dump needs gensim
        from embedlab.corpora import cache_dir, wiki_articles

        wiki_articles()
        if not any(cache_dir().glob("wiki-*.json.gz")):
            pytest.skip(f"no parsed copy of the wiki in {cache_dir()} (not writable?)")
    code = _IMPORTS.format(heavy=HEAVY)
    args = ["train", "--objective", "skipgram", "--corpus", corpus, "--dim", "8",
            "--epochs", "1", "--device", "cpu", "--no-progress", "--out", str(tmp_path / "o")]
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].split() == ["imported:"]
    if corpus != "toyworld":
        return
    # ... while a model objective does import torch (the check can see an import)
    args[2] = "next-token"
    r = subprocess.run([sys.executable, "-c", code, *args, "--force"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert "torch" in r.stdout.splitlines()[-1].split()


def test_auto_device_is_the_cpu_without_torch_only_when_no_gpu_can_exist(monkeypatch):
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.setattr(cli.os.path, "exists", lambda p: False)
    assert cli._surely_cpu("auto") and cli._surely_cpu("cpu")
    assert not cli._surely_cpu("cuda") and not cli._surely_cpu("mps")
    for gpu in cli.GPU_DEVICE_FILES:  # a driver's device file: torch decides
        monkeypatch.setattr(cli.os.path, "exists", lambda p, gpu=gpu: p == gpu)
        assert not cli._surely_cpu("auto") and cli._surely_cpu("cpu")
    monkeypatch.setattr(cli.os.path, "exists", lambda p: False)
    monkeypatch.setattr(cli.sys, "platform", "darwin")  # Apple's MPS: torch decides
    assert not cli._surely_cpu("auto")
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.setenv("WORLD_SIZE", "2")  # torchrun: the models path joins a group
    args = cli.build_parser().parse_args(["train", "--objective", "skipgram", "--corpus", "lee",
                                         "--out", "x"])
    assert not cli._without_torch(args)
    monkeypatch.delenv("WORLD_SIZE")
    assert cli._without_torch(args)
