"""Shared fixtures: the book is built once per test session (cached execution).

When the session includes the rebuild comparison (`test_reproducible.py`'s
`test_second_offline_run_gives_the_same_text`), its second execution of every notebook
(each chapter's downloaded .ipynb, in an empty folder outside the repository) starts in
the background right after the build, on two worker processes at a lower CPU priority,
so it runs while the other tests do (they leave a core idle most of the time); the
comparison then only waits for what is left. The build itself is never overlapped: its
wall time is what the book's budget is checked against."""

from __future__ import annotations

import json
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
    """One torch thread in the test process. The tests' models are tiny: a second thread
    only adds synchronisation, and on 2 cores shared with the background notebook run
    (two kernels) it oversubscribes them: test_encoder's causal-chain test took 71 s on two
    threads and 16 s on one on this machine under load. Subprocesses and kernels keep
    torch's default (their tests set what they need)."""
    import torch

    torch.set_num_threads(1)


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


@pytest.fixture(scope="session")
def built_book(request, tmp_path_factory):
    """Build the book with warnings as errors; return the build's log and info, and
    ("rerun") the background second execution of the notebooks, or None."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    log = proc.stdout + proc.stderr
    info = json.loads((BUILD / "build-info.json").read_text())
    rerun = None
    if proc.returncode == 0 and any(it.name == RERUN_TEST or
                                    it.name.startswith(RERUN_TEST + "[")
                                    for it in request.session.items):
        import test_reproducible

        env = test_reproducible.offline_environment(tmp_path_factory.mktemp("rerun"))
        # each downloaded .ipynb in an empty folder of its own, outside the repository
        rerun = test_reproducible.start_rerun(env, tmp_path_factory.mktemp("empty"))
        request.addfinalizer(rerun.close)
    return {"status": proc.returncode, "log": log, "info": info, "html": BUILD / "html",
            "rerun": rerun}
