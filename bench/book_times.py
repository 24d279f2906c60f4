"""How long the book takes: a cold build, a cached rebuild, each notebook, peak memory.

The repository is copied (sources only: no .venv, _build or .git) into a temporary
folder and built there with `scripts/build_book.py` (the path `make book` takes: notebooks
executed two at a time, then `jupyter-book build -n -W --keep-going` renders), so the
team's own `_build` is never touched. The first build executes every notebook (cold); the
second finds them all in the jupyter cache (cached). Per-notebook execution seconds come
from the cold build's cache records, as `tests/test_book.py` reads them (each is measured
beside another notebook, as in `make book`; `bench.profile` times chapters alone).
Peak memory is the largest child process (`getrusage(RUSAGE_CHILDREN).ru_maxrss`, i.e.
the build or one of its kernels); Linux carries a parent's peak into its children, so run
this before anything large.
The reference column holds the budgets: 420 s for the book, 60 s per notebook, 2048 MB.

What it deliberately does not do: build into the repository, or fail when the build has
warnings (it reports the exit status; `make test` is the judge of warnings).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import Row, timed
from .profile import notebook_paths

ROOT = Path(__file__).resolve().parents[1]
_SKIP = (".venv", "_build", ".git", ".hypothesis", ".pytest_cache", ".ruff_cache",
         "__pycache__", "*.ipynb")


@dataclass
class BookBenchConfig:
    book_budget_s: float = 420.0  # DESIGN.md: the whole book in <= 420 s
    notebook_budget_s: float = 60.0  # DESIGN.md: each notebook in <= 60 s
    memory_budget_mb: float = 2048.0  # DESIGN.md: peak memory <= 2 GB
    workers: int = 2  # notebooks executed at a time, as `make book` does (2 cores)
    keep: str = ""  # a folder to keep the copy in (default: a temporary one, deleted)


def _build(book: Path, workers: int) -> tuple[int, float, str]:
    """Build the copy with its own scripts/build_book.py; its kernels import the copy's
    `embedlab` (first on PYTHONPATH), not the team's."""
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=os.pathsep.join(
                   p for p in (str(book / "code"), os.environ.get("PYTHONPATH")) if p))
    proc, seconds = timed(
        subprocess.run,
        [sys.executable, str(book / "scripts" / "build_book.py"), "--workers", str(workers)],
        cwd=book, env=env, capture_output=True, text=True,
    )
    return proc.returncode, seconds, proc.stdout + proc.stderr


def notebook_seconds(book: Path) -> dict[str, float]:
    """Execution seconds of every notebook in `book`'s jupyter cache, by path from `book`
    (whatever its table of contents held: `bench.baseline` reads older commits too). A
    notebook that failed is not in the cache; a record without a time is left out."""
    from jupyter_cache import get_cache

    out = {}
    for rec in get_cache(str(book / "_build" / ".jupyter_cache")).list_cache_records():
        seconds = rec.data.get("execution_seconds")
        if seconds is not None:
            out[Path(rec.uri).resolve().relative_to(book.resolve()).as_posix()] = seconds
    return out


def run(cfg: BookBenchConfig | None = None, progress=None) -> list[Row]:
    cfg = cfg or BookBenchConfig()
    tmp = Path(cfg.keep) if cfg.keep else Path(tempfile.mkdtemp(prefix="bench-book-"))
    book = tmp / "book"
    try:
        shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(*_SKIP))
        cold_status, cold_s, log = _build(book, cfg.workers)
        if progress:
            progress(f"book cold build (exit {cold_status})")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        executed = notebook_seconds(book)
        toc = [p.relative_to(ROOT).as_posix() for p in notebook_paths()]  # reading order
        times = {f: round(executed[f], 1) for f in toc if f in executed}
        info = book / "_build" / "build-info.json"
        exec_s = json.loads(info.read_text())["execution_seconds"] if info.exists() else 0.0
        warm_status, warm_s, _ = _build(book, cfg.workers)
        if progress:
            progress(f"book cached build (exit {warm_status})")
    finally:
        if not cfg.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    budget = "budget"
    rows = [
        Row("book", f"whole book, cold (exit {cold_status})", cold_s,
            cfg.book_budget_s, "s", budget, False),
        Row("book", f"whole book, cached (exit {warm_status})", warm_s,
            cfg.book_budget_s, "s", budget, False),
        Row("book", f"executing the notebooks, {cfg.workers} at a time (wall)", exec_s,
            cfg.book_budget_s, "s", budget, False),
        Row("book", "sum of notebook execution", sum(times.values()),
            cfg.book_budget_s, "s", budget, False),
        Row("book", "peak memory, largest process", peak, cfg.memory_budget_mb, "MB",
            budget, False),
    ]
    for f, s in times.items():
        rows.append(Row("book", Path(f).stem, s, cfg.notebook_budget_s, "s", budget,
                        False))
    if cold_status != 0:
        tail = "\n".join(log.splitlines()[-15:])
        print(f"warning: the cold book build exited {cold_status}:\n{tail}")
    return rows
