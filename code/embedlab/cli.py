"""`python -m embedlab train ...`: train a table from the command line and save it.

    python -m embedlab train --objective skipgram --corpus lee --dim 50 --epochs 5 \\
        --window 5 --negative 5 --seed 0 --out runs/lee-sg
    python -m embedlab train --objective skipgram --corpus my-notes/ --tokenizer bpe ...
    torchrun --nproc_per_node 2 -m embedlab train --objective next-token ...

Objectives: the names of `embedlab.models.OBJECTIVES` (built by `models.objective_setup`,
as the chapters build them: next-token, centre-fill, cbow, skipgram) plus mlm (BERT's
masked-token objective, 15% of positions, 80/10/10, on `embedlab.encoder.TinyEncoder`
over pieces of 2*window+1 tokens). cbow and skipgram on the CPU in one process train with
`embedlab.word2vec`'s pairwise engine (word2vec.c's loop compiled with numba, on --threads
threads; deterministic with one); on a GPU, or under torchrun, with the
models of `objective_setup` and `embedlab.training.train` like the others.
Corpora: toyworld (generated), lee and wiki (gensim's test data), or a PATH: a UTF-8 file
or folder, streamed (`embedlab.textfiles`), split by `--tokenizer` words or bpe (the BPE
tokenizer is saved as DIR/tokenizer.json). DIR receives vectors.txt (word2vec text
format), vectors.tsv and metadata.tsv (Embedding Projector), and, with --snapshot-every,
the snapshots (`embedlab.snapshots`). The same arguments give byte-identical files.
Several processes: `embedlab.distributed` (rank 0 writes the files).

Bad input gives a one-line error and exit status 2, with no traceback. Files are written
into a temporary directory beside DIR and renamed at the end, so an interrupted or failed
run leaves nothing half-written.

What it deliberately does not do: evaluate (see `embedlab.evaluation`), resume, or keep
timings in the files (they would break byte-identical output).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

ENCODER_OBJECTIVES = ("mlm",)  # the others are embedlab.models.OBJECTIVES
CORPORA = ("toyworld", "lee", "wiki")
DEFAULT_MIN_COUNT = {"toyworld": 1, "lee": 5, "wiki": 5}  # a PATH: 5
TOKENIZERS = ("words", "bpe")
DEVICES = ("auto", "cpu", "cuda", "mps")
ENGINES = ("pairwise", "batched")  # embedlab.word2vec.ENGINES, CLI default first


# embedlab.models.OBJECTIVES, written out so that parsing the command line does not import
# torch (tests/test_cli.py keeps the two equal)
WINDOW_OBJECTIVES = ("next-token", "centre-fill", "cbow", "skipgram")


def objectives() -> tuple[str, ...]:
    """Every --objective name: the package's window objectives, then the encoder's."""
    return (*WINDOW_OBJECTIVES, *ENCODER_OBJECTIVES)


class UsageError(Exception):
    """Bad input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + error; we want one line
        raise UsageError(message)


def _whole_number(minimum: int):
    """An argparse type: a whole number no smaller than `minimum`."""
    too_small = "must not be negative" if minimum == 0 else f"must be at least {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} {too_small}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be in [0, 1)")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m embedlab", description="Train and export embedding tables.")
    sub = p.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    t = sub.add_parser("train", help="train a table and write snapshots and vectors")
    t.add_argument("--objective", choices=objectives(), required=True)
    t.add_argument("--corpus", required=True, metavar="{toyworld,lee,wiki,PATH}",
                   help="a built-in corpus, or a UTF-8 text file or folder of *.txt/*.md "
                        "(write ./lee for a file named like a built-in corpus)")
    t.add_argument("--tokenizer", choices=TOKENIZERS, default="words",
                   help="words: gensim's simple_preprocess; bpe: the book's BPE trained "
                        "on the text, saved as DIR/tokenizer.json (words)")
    t.add_argument("--bpe-vocab", type=_whole_number(257), default=2000,
                   help="tokens of the BPE vocabulary (2000)")
    t.add_argument("--device", choices=DEVICES, default="auto",
                   help="where to train: auto takes a GPU if there is one (auto)")
    t.add_argument("--out", type=Path, required=True, help="output directory")
    t.add_argument("--dim", type=_positive_int, default=50, help="vector size (50)")
    t.add_argument("--epochs", type=_positive_int, default=5, help="passes over the text (5)")
    t.add_argument("--window", type=_positive_int, default=5,
                   help="context words either side (mlm: pieces of 2*W+1 tokens); "
                        "for next-token, words before (5)")
    t.add_argument("--negative", type=_positive_int, default=5,
                   help="noise words per pair for cbow/skipgram (5)")
    t.add_argument("--seed", type=_non_negative_int, default=0)
    t.add_argument("--min-count", type=_positive_int, default=None,
                   help="drop rarer words (toyworld 1; lee, wiki and a PATH 5)")
    t.add_argument("--sample", type=_fraction, default=1e-3,
                   help="cbow/skipgram frequent-word subsampling, 0 = off (1e-3)")
    t.add_argument("--batch-size", type=_positive_int, default=None)
    t.add_argument("--engine", choices=ENGINES, default="pairwise",
                   help="cbow/skipgram on the CPU: pairwise (word2vec.c's loop, numba) or "
                        "batched (torch batches of --batch-size, embedlab.word2vec_speed) "
                        "(pairwise)")
    t.add_argument("--snapshot-every", type=_non_negative_int, default=0,
                   help="write snapshots of the table every this many steps "
                        "(0: none, only the final vectors)")
    t.add_argument("--threads", type=_non_negative_int, default=0,
                   help="torch threads (0: torch's default); cbow/skipgram on the CPU: "
                        "threads sharing the table (0: 1; more is faster but not "
                        "bit-reproducible)")
    t.add_argument("--force", action="store_true", help="replace an existing --out")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _check_corpus(args) -> None:
    """Fail early (before --out is touched) on a corpus that cannot be read."""
    if args.corpus not in CORPORA:
        from .textfiles import text_files

        args.files = text_files(Path(args.corpus))


def _sentences(args):
    """(sentences, category_of or None, BPETokenizer or None) for --corpus/--tokenizer."""
    from . import textfiles

    if args.corpus in CORPORA and args.tokenizer == "words":
        if args.corpus == "toyworld":
            from .toyworld import make_toyworld

            world = make_toyworld()
            return world.sentences, world.category_of, None
        from .corpora import corpus_sentences

        return corpus_sentences(args.corpus), None, None
    if args.corpus in CORPORA:  # bpe over a built-in corpus: its sentences as lines
        built_in = _sentences(argparse.Namespace(corpus=args.corpus, tokenizer="words"))[0]

        def lines():
            return (" ".join(s) for s in built_in)
    else:
        def lines():
            return textfiles.iter_lines(args.files)
    sentences, bpe = textfiles.tokenized(lines, args.tokenizer, args.bpe_vocab)
    return sentences, None, bpe


def _uses_word2vec(args, device: str, group) -> bool:
    return (args.objective in ("cbow", "skipgram") and device == "cpu"
            and (group is None or not group.active))


# Device files a GPU that torch could use needs on Linux (NVIDIA, AMD ROCm, WSL2, Jetson).
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd",
                    "/dev/dxg", "/dev/nvhost-ctrl-gpu", "/dev/nvgpu")  # + NVIDIA Jetson


def _surely_cpu(device: str) -> bool:
    """Whether `--device` can only mean the CPU, decided without importing torch: "cpu",
    or "auto" on a Linux machine with none of GPU_DEVICE_FILES (elsewhere, torch decides)."""
    if device == "cpu":
        return True
    return (device == "auto" and sys.platform.startswith("linux")
            and not any(os.path.exists(f) for f in GPU_DEVICE_FILES))


def _without_torch(args) -> bool:
    """cbow/skipgram on the CPU in one process: the word2vec engines need no device or
    process group, so the CLI does not import torch for them (the pairwise engine never
    imports it: about 2 s less per run, `make bench`)."""
    return (args.objective in ("cbow", "skipgram")
            and int(os.environ.get("WORLD_SIZE", "1")) <= 1 and _surely_cpu(args.device))


def _train_word2vec(args, sentences, min_count):
    from .word2vec import Word2VecConfig, train_word2vec

    cfg = Word2VecConfig(
        sg=args.objective == "skipgram", dim=args.dim, window=args.window,
        negative=args.negative, epochs=args.epochs, min_count=min_count,
        sample=args.sample, seed=args.seed, snapshot_every=args.snapshot_every,
        engine=args.engine, threads=args.threads or 1,  # pairwise: Hogwild threads
        progress=not args.no_progress)
    if args.batch_size:
        cfg.batch_size = args.batch_size
    res = train_word2vec(sentences, cfg)
    return res.vocab, res.vectors, res.history


def _train_model(args, sentences, min_count, device, group):
    from .models import objective_setup
    from .training import TrainConfig, train
    from .vocab import Vocab

    vocab = Vocab.build(sentences, min_count=min_count)
    if args.objective in ENCODER_OBJECTIVES:
        import torch

        torch.manual_seed(args.seed)  # the table's initialization
        data, model = _mlm_setup(args, sentences, vocab)
    else:
        model, data = objective_setup(args.objective, sentences, vocab, dim=args.dim,
                                      window=args.window, seed=args.seed)
        if hasattr(model, "negative"):
            model.negative = args.negative
    batch = args.batch_size or 256
    steps = max(1, math.ceil(args.epochs * len(data[0]) / batch))
    cfg = TrainConfig(steps=steps, batch_size=batch, seed=args.seed, device=device,
                      snapshot_every=args.snapshot_every or steps,
                      progress=not args.no_progress, threads=args.threads or None)
    history = train(model, data, cfg, group=group)
    return vocab, model.embedding.weight.detach().cpu().numpy(), history


def _mlm_setup(args, sentences, vocab):
    """BERT's objective on the tiny encoder: fresh 15% masks (80/10/10) every batch."""
    from .encoder import TinyEncoder, config_for, sentence_ids

    cfg = config_for(vocab, dim=args.dim, max_len=2 * args.window + 1)
    if args.dim % cfg.n_heads:
        raise UsageError(f"--dim {args.dim} must be a multiple of the encoder's "
                         f"{cfg.n_heads} attention heads for mlm")
    ids = sentence_ids(sentences, vocab, cfg.max_len)  # (N, 2*window+1), [PAD]-filled
    if len(ids) == 0:
        raise ValueError("no sequence of 2 or more tokens to mask")
    # TinyEncoder.loss(ids) draws the masks (embedlab.encoder.mask_tokens) from torch's
    # global RNG, which `train` seeds: the same seed gives the same masks.
    return (ids,), TinyEncoder(cfg)


def _prepare_out(out: Path, force: bool) -> Path:
    """Check --out before any work; return a fresh temporary directory beside it."""
    if out.exists() and not force:
        raise UsageError(f"--out {out} already exists (add --force to replace it)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"cannot write --out {out}: {parent} is not a directory")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise UsageError(f"cannot write --out {out}: {e.strerror or e}") from None
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; DIR should look like any other
    return tmp


def _write(tmp: Path, args, min_count, vocab, vectors, history, category_of, bpe,
           engine: str) -> None:
    from .export import write_projector_tsv, write_word2vec_text

    words = list(vocab.itos)
    if args.snapshot_every:
        from .snapshots import save_snapshots

        corpus = args.corpus if args.corpus in CORPORA else Path(args.corpus).name
        meta = {"objective": args.objective, "corpus": corpus, "dim": args.dim,
                "epochs": args.epochs, "window": args.window, "negative": args.negative,
                "seed": args.seed, "min_count": min_count, "sample": args.sample,
                "tokenizer": args.tokenizer, "engine": engine,
                "steps": len(history.losses),
                "final_loss": history.losses[-1] if history.losses else None}
        save_snapshots(tmp, history, words, meta)
    if bpe is not None:
        bpe.save(tmp / "tokenizer.json")
    write_word2vec_text(tmp / "vectors.txt", words, vectors)
    labels = {"category": [category_of(w) for w in words]} if category_of else None
    write_projector_tsv(tmp / "vectors.tsv", tmp / "metadata.tsv", words, vectors, labels)


def train_command(args) -> str:
    _check_corpus(args)
    min_count = args.min_count or DEFAULT_MIN_COUNT.get(args.corpus, 5)
    if _without_torch(args):
        device, group = "cpu", None  # one process: no group to join
    else:
        from .distributed import Group
        from .training import resolve_device

        device = resolve_device(args.device)
        group = Group.from_env(device)
    is_main = group is None or group.is_main
    tmp = _prepare_out(args.out, args.force) if is_main else None
    try:
        sentences, category_of, bpe = _sentences(args)
        if _uses_word2vec(args, device, group):
            engine = "word2vec"
            vocab, vectors, history = _train_word2vec(args, sentences, min_count)
        else:
            from .training import torch_threads

            engine = "models"
            with torch_threads(args.threads):
                vocab, vectors, history = _train_model(args, sentences, min_count,
                                                       device, group)
        if not is_main:
            return ""
        _write(tmp, args, min_count, vocab, vectors, history, category_of, bpe, engine)
        # swap in the finished directory; the old one is removed only after the swap
        old = tmp.with_name(tmp.name + ".old")
        if args.out.exists():
            os.replace(args.out, old)
        os.replace(tmp, args.out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if group is not None:
            group.close()
    ranks = f" on {group.world} processes" if group is not None and group.active else ""
    return (f"wrote {args.out}: {len(vocab)} words x {args.dim} dims ({engine} on "
            f"{device}{ranks}), {len(history.snapshots) if args.snapshot_every else 0} "
            f"snapshots, final loss {history.losses[-1]:.4f}")


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv)[:1] == ["grade"]:  # see embedlab.grade
        from .grade import main as grade_main

        return grade_main((sys.argv[1:] if argv is None else argv)[1:])
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("missing command: use `python -m embedlab train --help`")
        message = train_command(args)
        if message:
            print(message)
        return 0
    except UsageError as e:
        print(f"embedlab: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:  # bad data or settings found while working
        print(f"embedlab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("embedlab: interrupted; nothing was written", file=sys.stderr)
        return 130
