"""Same seed, same bytes; the book's outputs are the same on a second run, offline.

1. Training (`embedlab.training.train`, `embedlab.word2vec`) and the CLI, each run in two
   fresh interpreters with different PYTHONHASHSEED values, write byte-identical files
   (a different seed writes different ones, so the comparison can fail).
2. Every toc notebook is executed once more with nbclient and its text outputs are compared
   cell by cell with the book build's executed notebooks (`_build/jupyter_execute`).
   What runs is what a reader downloads: the page's `.ipynb` (`_build/html/_sources`, the
   setup cell first; it must find `embedlab` installed), outputs cleared, with the kernel
   in an empty folder of its own outside the repository (no chapters/, bench/ or code/
   next to it; only NEEDS_CHECKOUT chapters (none today), which would read files relative to
   chapters/, run from there). That second run has non-loopback networking blocked by a
   `sitecustomize.py` put first on the kernel's PYTHONPATH. So one execution per chapter
   proves three things: the same numbers again, offline, and outside the repository.

Which outputs are compared (the rule, precisely): per code cell, the text of all its
`stdout` streams joined, and the `text/plain` data of every execute_result / display_data,
in order. stderr (progress bars, warnings: tests/test_warnings.py reads those), HTML and
images are not compared. (The book sets `nb_merge_streams: false`: myst-nb's merging
rewrites the executed notebook in place, which left text duplicated in it, split wherever
the kernel happened to flush.) Then each line is normalised:
- a *timing* is a number printed through `embedlab.timing`'s formatters (`fmt_seconds`,
  `fmt_ms`, `fmt_rate`, `fmt_speedup`): they, and nothing else, put a narrow no-break
  space (U+202F) between the number and its unit. Such a number becomes `#`, and on a line
  that holds one, runs of spaces become one (table columns are as wide as the numbers).
  Nothing is guessed from words: "3 timesteps", "second-order", "occurs 2 times" and a
  table whose header says "seconds" are compared like everything else;
- a tqdm bar's own elapsed/remaining/rate field (`[00:03<00:01, 12.3it/s]`, tqdm's format)
  becomes `[#]`;
- memory addresses (`0x7f3a...`) become `0x#`, and a temporary folder's name
  (`/tmp/tmpab12cd`, from `tempfile`) becomes `<tmp>`, on every line.
Everything else must match exactly.

The second run executes the notebooks on 2 worker processes at once (one kernel each).
When the session includes the comparison, `tests/conftest.py`'s `built_book` starts that
run in the background as soon as the build is done (`start_rerun`, at a lower CPU
priority), so it overlaps the other tests; the comparison waits for what is left.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import pytest

from conftest import BUILD, KERNEL_THREADS, ROOT, notebook_files
from embedlab.timing import (
    TIMING,
    fmt_ms,
    fmt_rate,
    fmt_seconds,
    fmt_speedup,
    mask_timings,
)

# ---------------------------------------------------------------- offline blocker
SITECUSTOMIZE = '''\
"""Test helper: make every non-loopback network connection fail (OSError)."""
import ipaddress
import socket

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _local_host(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).split("%")[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(sock, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    if isinstance(address, tuple) and address:
        return _local_host(address[0])
    return False


def _blocked(what):
    return OSError(f"network blocked by the offline test: {what}")


def connect(self, address):
    if not _allowed(self, address):
        raise _blocked(address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _allowed(self, address):
        raise _blocked(address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local_host(host):
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup blocked: {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.getaddrinfo = getaddrinfo
socket._EMBEDLAB_OFFLINE = True
'''


def offline_environment(d: Path) -> dict:
    """os.environ plus a PYTHONPATH that starts with the blocking sitecustomize, written
    into the folder `d`, and the book build's thread settings."""
    (d / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(p for p in (str(d), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, **KERNEL_THREADS,  # the build's threads
                EMBEDLAB_RUN_SOLUTIONS="1")  # solutions run, as in the build (%%solution)


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    return offline_environment(tmp_path_factory.mktemp("offline"))


PROBE = textwrap.dedent('''
    import socket, sys, os, tempfile
    assert socket._EMBEDLAB_OFFLINE
    def fails(fn):
        try:
            fn()
        except OSError as e:
            return "blocked" in str(e)
        return False
    out = []
    out.append(fails(lambda: socket.create_connection(("93.184.216.34", 80), 1)))
    out.append(fails(lambda: socket.socket().connect_ex(("10.0.0.1", 80))))
    out.append(fails(lambda: socket.socket(socket.AF_INET6).connect(("2001:db8::1", 80))))
    out.append(fails(lambda: socket.getaddrinfo("pypi.org", 443)))
    import urllib.request
    try:
        urllib.request.urlopen("http://example.com", timeout=2)
        out.append(False)
    except OSError:
        out.append(True)
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    c = socket.create_connection(srv.getsockname(), 1)  # loopback by address
    c.close()
    c = socket.create_connection(("localhost", srv.getsockname()[1]), 1)  # by name
    c.close()
    path = os.path.join(tempfile.mkdtemp(), "s")
    u = socket.socket(socket.AF_UNIX); u.bind(path); u.listen(1)
    v = socket.socket(socket.AF_UNIX); v.connect(path); v.close()
    print(out)
''')


def test_blocker_blocks_remote_and_allows_loopback(offline_env):
    proc = subprocess.run([sys.executable, "-c", PROBE], env=offline_env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == str([True] * 5)


def test_blocker_is_not_active_without_the_path():
    assert not hasattr(socket, "_EMBEDLAB_OFFLINE")  # this process is unpatched
    proc = subprocess.run(
        [sys.executable, "-c", "import socket; print(hasattr(socket, '_EMBEDLAB_OFFLINE'))"],
        capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False"


# ---------------------------------------------------------------- byte-identical training
TRAIN = textwrap.dedent('''
    import sys, torch
    from embedlab.models import MLPLanguageModel, next_token_examples
    from embedlab.snapshots import save_snapshots
    from embedlab.toyworld import make_toyworld
    from embedlab.training import TrainConfig, train
    from embedlab.vocab import Vocab
    from embedlab.word2vec import Word2VecConfig, train_word2vec
    out = sys.argv[1]
    for seed in map(int, sys.argv[2:]):
        w = make_toyworld(600, seed=seed)
        v = Vocab.build(w.sentences)
        x, y = next_token_examples(w.sentences, v, context=2)
        torch.manual_seed(seed)
        m = MLPLanguageModel(len(v), dim=8)
        h = train(m, (x, y), TrainConfig(steps=60, snapshot_every=20, seed=seed,
                                         progress=False))
        save_snapshots(f"{out}/seed{seed}/mlp", h, v.itos, {"seed": seed})
        r = train_word2vec(w.sentences, Word2VecConfig(dim=8, epochs=2, min_count=1,
                           seed=seed, batch_size=256, share_negatives=16,
                           snapshot_every=5, progress=False))
        save_snapshots(f"{out}/seed{seed}/w2v", r.history, r.words, {"seed": seed})
''')


def _files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes()
            for p in sorted(d.rglob("*")) if p.is_file()}


def _in_fresh_process(args: list[str], hash_seed: str, cwd=ROOT) -> None:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_training_is_byte_identical_across_processes(tmp_path):
    _in_fresh_process(["-c", TRAIN, str(tmp_path / "a"), "0", "1"], hash_seed="1")
    _in_fresh_process(["-c", TRAIN, str(tmp_path / "b"), "0"], hash_seed="2")
    a, b = _files(tmp_path / "a" / "seed0"), _files(tmp_path / "b" / "seed0")
    other = _files(tmp_path / "a" / "seed1")
    assert sorted(a) == ["mlp/snapshots.json", "mlp/snapshots.safetensors",
                         "w2v/snapshots.json", "w2v/snapshots.safetensors"]
    for f in a:
        assert a[f] == b[f], f"{f} differs between two runs with the same seed"
    # a different seed gives different tables, so the comparison above can fail
    assert a["mlp/snapshots.safetensors"] != other["mlp/snapshots.safetensors"]
    assert a["w2v/snapshots.safetensors"] != other["w2v/snapshots.safetensors"]


def test_cli_is_byte_identical_across_processes(tmp_path):
    """tests/test_cli.py reruns the CLI in one process; here two fresh interpreters
    with different hash seeds (set and dict order must not leak into the files)."""
    for name, hash_seed in (("a", "11"), ("b", "12")):
        _in_fresh_process(
            ["-m", "embedlab", "train", "--objective", "cbow", "--corpus", "toyworld",
             "--dim", "8", "--epochs", "1", "--window", "2", "--seed", "5",
             "--out", str(tmp_path / name), "--no-progress", "--threads", "1",
             "--snapshot-every", "5"],
            hash_seed)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert "vectors.txt" in a and "snapshots.safetensors" in a
    assert a == b


# ---------------------------------------------------------------- the book, twice
_TQDM = re.compile(r"\[\d+:\d\d(?::\d\d)?<[^\]]*\]")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+")
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[\w.-]+")


def normalise(text: str) -> str:
    """Mask what legitimately differs between runs (see the module docstring)."""
    out = []
    for line in text.splitlines():
        line = _TEMP.sub("<tmp>", _ADDRESS.sub("0x#", line))
        line = _TQDM.sub("[#]", line)
        if TIMING.search(line):
            line = re.sub(r" {2,}", " ", mask_timings(line))
        out.append(line)
    return "\n".join(out)


def cell_texts(nb) -> list[tuple[str, str, list[str]]]:
    """(source, stdout, [text/plain, ...]) of every code cell, normalised."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        stdout, plain = [], []
        for o in cell.get("outputs", []):
            if o.output_type == "stream" and o.name == "stdout":
                stdout.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                if "text/plain" in o.get("data", {}):
                    plain.append(normalise(o.data["text/plain"]))
        out.append((cell.source, normalise("".join(stdout)), plain))
    return out


def _first_difference(x: str, y: str) -> str:
    xs, ys = x.splitlines(), y.splitlines()
    for i in range(max(len(xs), len(ys))):
        a = xs[i] if i < len(xs) else "<no line>"
        b = ys[i] if i < len(ys) else "<no line>"
        if a != b:
            return f"line {i + 1}: {a!r} != {b!r}"
    return "whitespace at the end"


def differences(first, second, name: str) -> list[str]:
    """Human-readable differences between two notebooks' `cell_texts`."""
    a, b = cell_texts(first), cell_texts(second)
    if len(a) != len(b):
        return [f"{name}: {len(a)} code cells vs {len(b)}"]
    problems = []
    for k, ((src, out1, p1), (src2, out2, p2)) in enumerate(zip(a, b, strict=True)):
        head = src.strip().splitlines()[0][:60] if src.strip() else ""
        if src != src2:
            return [f"{name}: cell {k} ({head}) changed since the build: rebuild first"]
        if out1 != out2:
            problems.append(f"{name} cell {k} ({head}): stdout differs: "
                            f"{_first_difference(out1, out2)}")
        if p1 != p2:
            diff = next((_first_difference(x, y) for x, y in zip(p1, p2, strict=False)
                         if x != y), f"{len(p1)} vs {len(p2)} outputs")
            problems.append(f"{name} cell {k} ({head}): text/plain differs: {diff}")
    return problems


SETUP_TAG = "embedlab-setup"  # scripts/notebooks.py's tag of the download's setup cell
# Chapters that still read repository files by a path relative to chapters/ (so they cannot
# run in an empty folder yet): they execute from chapters/ until they read through
# `embedlab.benchdata` (or another packaged copy). test_checkout_readers_are_listed keeps
# this list exact in both directions.
NEEDS_CHECKOUT: dict[str, str] = {}  # chapter -> why; none since all read through benchdata
_CHECKOUT_READ = re.compile(r"""Path\(\s*["'](?:\.\.|\.)["'/]|["']\.\./""")


def downloaded_notebook(f: str) -> Path:
    """The .ipynb a reader downloads from the built page of toc notebook `f` (setup cell
    first), else the build's executed copy."""
    rel = Path(f).with_suffix(".ipynb")
    download = BUILD / "html" / "_sources" / rel
    return download if download.exists() else BUILD / "jupyter_execute" / rel


def cleared(nb):
    """`nb` as a reader would run it fresh: no outputs, counts or timing stamps."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def execute_offline(path: Path, env: dict, cwd: Path | None = None, timeout: int = 300):
    """Execute a MyST notebook (.md) or a built .ipynb (outputs cleared first) with
    nbclient under `env`, cwd = `cwd` (default: the notebook's folder).

    Sets this process's os.environ to `env` for the kernel to inherit: call it in a
    worker process of its own (`execute_all`), not in the test process. `timeout` (per
    cell) only guards against a hung kernel: the second run may share the cores with
    other tests. A setup cell (the download's) must find `embedlab` installed."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = jupytext.read(path) if path.suffix == ".md" else cleared(nbformat.read(path, 4))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import socket\nprint('offline blocker active:',"
        " getattr(socket, '_EMBEDLAB_OFFLINE', False))"))
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd or path.parent)}},
                   shutdown_kernel="immediate").execute()  # as the build (KERNEL_SHUTDOWN)
    check = nb.cells.pop()
    # stdout only: a background thread (a progress bar's monitor, a late warning) may
    # write to stderr while this last cell runs
    said = "".join(o.get("text", "") for o in check.outputs
                   if o.output_type == "stream" and o.name == "stdout")
    assert said.strip() == "offline blocker active: True", (path, check.outputs)
    setup = [c for c in nb.cells if SETUP_TAG in c.metadata.get("tags", [])]
    for c in setup:  # the package is installed: the cell must say so and install nothing
        text = "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        assert text.strip() == "embedlab is installed.", (path, c.outputs)
    nb.cells = [c for c in nb.cells if c not in setup]
    return nb


def _execute_to_text(path: str, env: dict, cwd: str | None) -> str:
    return nbformat.writes(execute_offline(Path(path), env, cwd and Path(cwd)))


class Rerun:
    """Notebooks executing offline on `workers` fresh processes (spawned: no torch state
    or environment is shared with the test process), started now; `result(f)` waits for
    one. `cwds` maps a notebook to the folder its kernel runs in (default: its own
    folder). `nice` lowers the workers' (and their kernels') CPU priority, for a run in
    the background of other tests."""

    def __init__(self, files: list[Path], env: dict, workers: int = 2, nice: int = 0,
                 cwds: dict[Path, Path] | None = None):
        ctx = multiprocessing.get_context("spawn")
        cwds = cwds or {}
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                        initializer=os.nice, initargs=(nice,))
        self.futures = {f: self.pool.submit(_execute_to_text, str(f), env,
                                            cwds.get(f) and str(cwds[f]))
                        for f in files}

    def result(self, f: Path):
        return nbformat.reads(self.futures[f].result(), 4)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def execute_all(files: list[Path], env: dict, workers: int = 2) -> dict[Path, object]:
    """Execute notebooks offline on `workers` fresh processes; returns {file: notebook}."""
    run = Rerun(files, env, workers)
    try:
        return {f: run.result(f) for f in files}
    finally:
        run.close()


def rerun_files() -> list[str]:
    """The toc notebooks the build executed (those the comparison can compare)."""
    return [f for f in notebook_files()
            if (BUILD / "jupyter_execute" / Path(f).with_suffix(".ipynb")).exists()]


def empty_folders(files: list[str], parent: Path) -> dict[Path, Path]:
    """{downloaded notebook: its kernel's cwd}: a new empty folder under `parent` (outside
    the repository: no chapters/, bench/ or code/ next to it) for each notebook, except
    the NEEDS_CHECKOUT ones, which run from chapters/."""
    parent = Path(parent).resolve()
    assert not parent.is_relative_to(ROOT.resolve()), parent
    cwds = {}
    for f in files:
        if f in NEEDS_CHECKOUT:
            cwds[downloaded_notebook(f)] = (ROOT / f).parent
        else:
            (parent / Path(f).stem).mkdir(parents=True)
            cwds[downloaded_notebook(f)] = parent / Path(f).stem
    return cwds


def start_rerun(env: dict, parent: Path, nice: int = 5) -> Rerun:
    """The comparison's second run: every built chapter's downloaded .ipynb, outputs
    cleared, executed in an empty folder of its own under `parent`. Started in the
    background right after the book build (tests/conftest.py's `built_book`), two
    workers at a lower priority."""
    cwds = empty_folders(rerun_files(), parent)
    return Rerun(list(cwds), env, workers=2, nice=nice, cwds=cwds)


def test_normalise_masks_marked_timings_only():
    assert normalise(f"trained in {fmt_seconds(12.5)}, loss 0.25") == \
        "trained in #\u202fs, loss 0.25"
    assert normalise(f"{fmt_rate(370_977)}") == "#\u202fwords/s"
    assert normalise(f"took {fmt_ms(0.003)}") == "took #\u202fms"
    assert normalise(f"ours vs gensim: {fmt_speedup(0.8)}") == "ours vs gensim: #\u202fx"
    assert normalise("<Foo at 0x7f3a9c>") == "<Foo at 0x#>"
    tmp = tempfile.gettempdir()
    assert normalise(f"wrote {tmp}/tmpab_12/run: 57 words") == "wrote <tmp>/run: 57 words"
    # column widths follow the timing's digits
    assert normalise(f"index {fmt_ms(0.012):>10}  matmul") == \
        normalise(f"index {fmt_ms(0.0091):>10}  matmul")
    bar = "training:  40%|####      | 2/5 [00:03<00:04, 1.31it/s]"
    assert normalise(bar) == "training:  40%|####      | 2/5 [#]"
    # numbers elsewhere stay, even next to words about time: a changed result is caught
    for line in ("loss 0.25 after 3 epochs", "Spearman 0.21 (353 pairs)", "its 5 rows",
                 "purity 0.61 after 200 timesteps", "Token 5 occurs 2 times",
                 "second-order term 0.125", "trained in 12.5 s (an ordinary space)",
                 "370,000 words/s (typed, not through fmt_rate)",
                 "           seconds\nours     1.47\ntheirs  101.1"):
        assert normalise(line) == line


def _table_notebook(seconds: list[float], purity: list[float]):
    """A notebook whose one cell shows a results table with a wall-clock column, the
    way chapters/filling-blanks.md does."""
    table = pd.DataFrame({"wall clock": [fmt_seconds(s) for s in seconds],
                          "final purity": purity}, index=["next-token", "cbow"])
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(summary)")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": repr(table)})]
    nb.cells = [cell]
    return nb


def test_differences_ignore_timings_but_catch_a_changed_purity_in_a_timing_table():
    first = _table_notebook([3.2, 1.2], [0.696, 0.983])
    slower = _table_notebook([12.9, 0.8], [0.696, 0.983])  # only the clock changed
    changed = _table_notebook([3.2, 1.2], [0.696, 0.981])  # a result changed
    assert differences(first, slower, "t") == []
    problems = differences(first, changed, "t")
    assert len(problems) == 1 and "text/plain differs" in problems[0]
    assert "0.983" in problems[0] and "0.981" in problems[0]


def test_differences_finds_a_changed_number():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(x)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="x = 1 after 3 timesteps\n")]
    nb.cells = [cell]
    other = nbformat.reads(nbformat.writes(nb), 4)
    changed = nbformat.reads(nbformat.writes(nb), 4)
    changed.cells[0].outputs[0].text = "x = 2 after 3 timesteps\n"
    assert differences(nb, other, "t") == []
    assert "stdout differs" in differences(nb, changed, "t")[0]


# a format field followed by a time unit, e.g. f"{sec:.1f} s" or f"{t * 1e3:.2f}ms"
_HAND_TIMING = re.compile(r"\}\s?(?:s|ms|sec|seconds|words/s|chars/s)\b[^/]")


@pytest.mark.parametrize("f", notebook_files())
def test_chapters_print_timings_through_the_marking_helpers(f):
    """A timing printed by hand would not be masked and would fail the rebuild test on
    a slower run; say which line to route through `embedlab.timing`."""
    nb = jupytext.read(ROOT / f)
    bad = [ln.strip() for c in nb.cells if c.cell_type == "code"
           for ln in c.source.splitlines()
           if _HAND_TIMING.search(ln) and "fmt_" not in ln]
    assert not bad, f"print these through embedlab.timing's fmt_*: {bad}"


def test_rerun_executes_notebooks_on_two_offline_workers(tmp_path, offline_env):
    """The pool the book comparison uses, on two tiny notebooks: each runs offline, in a
    worker process of its own, cwd = the notebook's folder, outputs kept, its kernel at
    the lower priority asked for."""
    header = (ROOT / "chapters" / "performance.md").read_text().split("\n---\n")[0]
    header += "\n---\n\n"  # a chapter's jupytext header
    cell = ("```{code-cell} ipython3\nimport os, socket\n"
            "print(os.getppid(), os.path.basename(os.getcwd()), K, os.nice(0))\n```\n")
    files = []
    for k in range(2):
        (tmp_path / f"d{k}").mkdir()
        f = tmp_path / f"d{k}" / f"nb{k}.md"
        f.write_text(header + cell.replace("K", str(k)))
        files.append(f)
    rerun = Rerun(files, offline_env, workers=2, nice=3)
    try:
        lines = [rerun.result(f).cells[0].outputs[0].text.split() for f in files]
    finally:
        rerun.close()
    mine = os.nice(0)
    assert [ln[1:] for ln in lines] == [["d0", "0", str(mine + 3)], ["d1", "1", str(mine + 3)]]
    assert os.getpid() not in {int(ln[0]) for ln in lines}  # kernels of the workers
    out = execute_all(files[:1], offline_env, workers=1)  # the same, waited for, nice 0
    assert out[files[0]].cells[0].outputs[0].text.split()[1:] == ["d0", "0", str(mine)]


def test_a_downloaded_notebook_runs_cleared_in_an_empty_folder(tmp_path, offline_env):
    """The mechanism of the comparison, on a tiny built notebook: its old outputs are
    cleared, the setup cell finds the package installed, the kernel runs in an empty
    folder outside the repository and imports the installed embedlab."""
    header = (ROOT / "chapters" / "performance.md").read_text().split("\n---\n")[0]
    md = tmp_path / "src" / "nb.md"
    md.parent.mkdir()
    md.write_text(header + "\n---\n\n```{code-cell} ipython3\nimport os, embedlab\n"
                  "print(sorted(os.listdir('.')), os.getcwd())\n"
                  "print(embedlab.__file__)\n```\n")
    nb = jupytext.read(md)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "print('embedlab is installed.')", metadata={"tags": ["remove-cell", SETUP_TAG]}))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
    built = tmp_path / "nb.ipynb"
    nbformat.write(nb, built)
    cwds = empty_folders([], tmp_path / "run")  # nothing listed: only the folder check
    assert cwds == {}
    with pytest.raises(AssertionError):
        empty_folders([], ROOT / "_build" / "x")  # inside the repository: refused
    (tmp_path / "run" / "nb").mkdir(parents=True)
    out = execute_all_in(built, offline_env, tmp_path / "run" / "nb")
    assert len(out.cells) == 1  # the setup cell was checked and dropped
    lines = out.cells[0].outputs[0].text.splitlines()
    assert lines[0] == f"[] {tmp_path / 'run' / 'nb'}"  # empty folder, old output gone
    assert Path(lines[1]).is_relative_to(Path(__import__("embedlab").__file__).parents[1])


def execute_all_in(path: Path, env: dict, cwd: Path):
    run = Rerun([path], env, workers=1, cwds={path: cwd})
    try:
        return run.result(path)
    finally:
        run.close()


@pytest.mark.parametrize("f", notebook_files())
def test_checkout_readers_are_listed(f):
    """A chapter that reads a file by a path relative to chapters/ ("../bench/x.json",
    Path(".")) cannot run in an empty folder: it must be in NEEDS_CHECKOUT (and leave it
    once it reads through embedlab.benchdata)."""
    nb = jupytext.read(ROOT / f)
    reads = [ln.strip() for c in nb.cells if c.cell_type == "code"
             for ln in c.source.splitlines() if _CHECKOUT_READ.search(ln)]
    assert bool(reads) == (f in NEEDS_CHECKOUT), reads or NEEDS_CHECKOUT.get(f)


def test_second_offline_run_gives_the_same_text(built_book, tmp_path):
    """Every chapter's downloaded .ipynb (setup cell first), outputs cleared, executed
    offline in an empty folder outside the repository, prints the text of the build."""
    assert built_book["status"] == 0, "the book build failed; see test_book.py"
    problems, todo = [], []
    for f in notebook_files():
        built = BUILD / "jupyter_execute" / Path(f).with_suffix(".ipynb")
        if not built.exists():
            problems.append(f"{f}: not in {built.parent}")
            continue
        source = [c.source for c in jupytext.read(ROOT / f).cells if c.cell_type == "code"]
        if source != [c.source for c in nbformat.read(built, 4).cells
                      if c.cell_type == "code"]:
            problems.append(f"{f}: changed since the build: rebuild first")
            continue
        todo.append(f)
    rerun = built_book["rerun"]  # started by the build fixture, running since then
    wanted = {downloaded_notebook(f) for f in todo}
    if rerun is None or set(rerun.futures) != wanted:
        env = offline_environment(tmp_path)
        cwds = empty_folders(todo, tmp_path / "empty")
        rerun = Rerun(list(cwds), env, workers=2, cwds=cwds)
    try:
        for f in todo:
            built = BUILD / "jupyter_execute" / Path(f).with_suffix(".ipynb")
            problems += differences(nbformat.read(built, 4),
                                    rerun.result(downloaded_notebook(f)), f)
    finally:
        if rerun is not built_book["rerun"]:
            rerun.close()
    assert todo
    assert not problems, "\n".join(problems[:20])
