"""Shared fixtures: the book is built once per test session (cached execution).

`make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadfile`). Each
test file is one scheduling unit (its module fixtures, a browser or a JupyterLab server,
start once), except that the files of the book build's tests (BOOK_FILES) make one unit,
which runs on one worker, in file order. Before its first test,
each worker of a session that includes book tests waits for the one build: the first
worker to get the lock builds, the other reads its result. So the build is never
overlapped by tests: its wall time is what the book's budget is checked against.

When the session includes the rebuild comparison (`test_reproducible.py`'s
`test_second_offline_run_gives_the_same_text`), its second execution of every notebook
(each chapter's downloaded .ipynb, in an empty folder outside the repository) starts in
the background on the book tests' worker when they begin, on two processes at a lower
CPU priority, so it runs while the other tests do; the comparison then only waits for
what is left."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
# one BLAS/OpenMP thread per kernel: the book build's (scripts/build_book.py says why),
# the rebuild comparison's and `make lab`'s setting
KERNEL_THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def toc_files() -> list[str]:
    """Every file of the table of contents, in reading order (without extension)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def notebook_files() -> list[str]:
    """The toc's MyST notebooks (files with a jupytext/kernelspec header)."""
    out = []
    for f in toc_files():
        p = ROOT / f"{f}.md"
        if p.exists() and "kernelspec:" in p.read_text().split("\n---", 1)[0]:
            out.append(f"{f}.md")
    return out


def pytest_configure(config):
    """One torch thread in the test process, and one BLAS/OpenMP thread (KERNEL_THREADS,
    the book build's setting) in the processes and kernels the tests start, unless the
    environment sets another count. The tests' models are tiny: a second thread only adds
    synchronisation, and on 2 cores shared by two xdist workers and the background
    notebook run it oversubscribes them: test_encoder's causal-chain test took 71 s on two
    threads and 16 s on one on this machine under load."""
    import torch

    torch.set_num_threads(1)
    for name, value in KERNEL_THREADS.items():
        os.environ.setdefault(name, value)


# For the browser tests: true once every animation on the page shows its first frame (its
# script sets the image after the page's "load" event).
FIRST_FRAMES_SHOWN = """() => Array.from(document.querySelectorAll("img[id^='_anim_img']"))
    .every(i => i.getAttribute("src") && i.complete && i.naturalWidth > 0)"""


class LoadAhead:
    """Browser pages used one after another in a known order, each started a few pages
    before it is taken, so Chromium renders the next ones (on both cores) while a test
    checks this one: 8 pages took 6.4 s one after another and 4.0 s four at a time here.
    `start(name)` begins loading a page and returns its handle; `take(name)` returns that
    handle, starting the next pages first; `loading` holds those not taken (to close)."""

    def __init__(self, names, start, at_once: int = 4):
        self.names, self.start, self.at_once = list(names), start, at_once
        self.loading: dict = {}

    def take(self, name):
        j = self.names.index(name)
        for ahead in self.names[j:j + self.at_once]:
            if ahead not in self.loading:
                self.loading[ahead] = self.start(ahead)
        return self.loading.pop(name)


RERUN_TEST = "test_second_offline_run_gives_the_same_text"


# The test files that use the book build (`built_book`): one xdist work unit, so one
# worker builds (or waits for) the book and runs the rebuild comparison in the background.
BOOK_FILES = ("test_book.py", "test_browser.py", "test_explorer_browser.py",
              "test_figures_browser.py", "test_launch.py", "test_reproducible.py",
              "test_runtime_lines.py", "test_warnings.py")


def _file(nodeid: str) -> str:
    """The test file of a node id ("tests/test_x.py")."""
    return nodeid.split("::", 1)[0]


def _book_file(nodeid: str) -> bool:
    return _file(nodeid).rsplit("/", 1)[-1] in BOOK_FILES


def needs_book(item) -> bool:
    return "built_book" in item.fixturenames


def pytest_collection_modifyitems(config, items):
    """BOOK_FILES must name every file with a test that uses the build."""
    missed = sorted({_file(it.nodeid) for it in items
                     if needs_book(it) and not _book_file(it.nodeid)})
    if missed:
        raise pytest.UsageError(f"tests/conftest.py: add {missed} to BOOK_FILES")


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with BOOK_FILES as one unit (`make test`): each file's tests run
    on one worker (its module fixtures, a browser or a JupyterLab server, start once)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BookAsOneFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "book" if _book_file(nodeid) else _file(nodeid)

    return BookAsOneFile(config, log)


def _run_build() -> dict:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return {"status": proc.returncode, "log": proc.stdout + proc.stderr}


_BUILD_RESULT: dict = {}


def shared_build(tmp_path_factory) -> dict:
    """The session's one book build ({"status", "log"}). Under xdist the workers share a
    folder (their base temp's parent): the first to take the lock builds and writes the
    result there; the others wait on the lock and read it."""
    if not _BUILD_RESULT:
        base = tmp_path_factory.getbasetemp()
        shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
        result = shared / "book-build.json"
        with open(shared / "book-build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not result.exists():
                result.write_text(json.dumps(_run_build()))
            _BUILD_RESULT.update(json.loads(result.read_text()))
    return _BUILD_RESULT


@pytest.fixture(scope="session", autouse=True)
def _book_built_first(request, tmp_path_factory):
    """Before a worker's first test: the book build, if the session has book tests."""
    if any(needs_book(it) for it in request.session.items):
        shared_build(tmp_path_factory)


@pytest.fixture(scope="session")
def built_book(request, tmp_path_factory):
    """The book built with warnings as errors: the build's status, log and info, and
    ("rerun") the background second execution of the notebooks, or None."""
    build = shared_build(tmp_path_factory)
    info = json.loads((BUILD / "build-info.json").read_text())
    rerun = None
    if build["status"] == 0 and any(it.name == RERUN_TEST or
                                    it.name.startswith(RERUN_TEST + "[")
                                    for it in request.session.items):
        import test_reproducible

        env = test_reproducible.offline_environment(tmp_path_factory.mktemp("rerun"))
        # each downloaded .ipynb in an empty folder of its own, outside the repository
        rerun = test_reproducible.start_rerun(env, tmp_path_factory.mktemp("empty"))
        request.addfinalizer(rerun.close)
    return {**build, "info": info, "html": BUILD / "html", "rerun": rerun}
