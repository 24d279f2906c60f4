"""Where a chapter's time goes: kernel start and imports vs its three slowest cells.

Each toc notebook is executed with `nbclient` (cwd `chapters/`, as in the book build), one
cell at a time, timing every cell. A chapter's fixed cost is the kernel start plus its first
code cell (the imports); the rest is the work the page teaches. The three slowest cells are
where to look first when a chapter is over budget.

`python -m bench --only profile` runs it for every chapter; `python -m bench.profile
chapters/next-token.md ...` prints the profile of some chapters (handy to time one chapter
before and after a change).

`python -m bench.profile --build` reads the same profile from the last `make book` instead of
executing anything: scripts/build_book.py keeps nbclient's per-cell times in the jupyter
cache's record of each executed notebook (not in the notebook, whose cell metadata the
cache hashes); there "kernel start" is the notebook's execution time (from the cache)
minus its cells' time, and every time was measured beside another notebook (two at a
time).

What it deliberately does not do: build the book or use the jupyter cache (every run
executes), or time inside a cell (use `%prun` in the notebook for that).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import Row

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ProfileConfig:
    notebooks: tuple[str, ...] = ()  # paths relative to the root ("" = every toc notebook)
    slowest: int = 3  # how many of the slowest cells to report per chapter
    timeout_s: int = 600  # per cell, as a guard against a hung kernel


@dataclass
class NotebookProfile:
    name: str  # the chapter's file stem
    kernel_s: float  # starting the kernel and its client
    import_s: float  # the first code cell (the chapter's imports)
    cells: list[tuple[int, str, float]] = field(default_factory=list)  # (n, first line, s)

    @property
    def total_s(self) -> float:
        return self.kernel_s + sum(s for _, _, s in self.cells)

    def slowest(self, k: int) -> list[tuple[int, str, float]]:
        """The k slowest cells after the imports, slowest first."""
        return sorted(self.cells[1:], key=lambda c: -c[2])[:k]


def _first_line(source: str) -> str:
    for ln in source.splitlines():
        if ln.strip() and not ln.lstrip().startswith(("#", "%", ":")):
            return ln.strip()[:40]
    return ""


def profile_notebook(path: Path, timeout_s: int = 600) -> NotebookProfile:
    """Execute the MyST notebook at `path` cell by cell and time each code cell."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    cells = []
    t0 = time.perf_counter()
    # the kernel runs %%solution cells, as the build's do; this process's env is untouched
    with client.setup_kernel(env={**os.environ, "EMBEDLAB_RUN_SOLUTIONS": "1"}):
        kernel_s = time.perf_counter() - t0
        for n, (i, cell) in enumerate(code, start=1):
            t = time.perf_counter()
            client.execute_cell(cell, i)
            cells.append((n, _first_line(cell.source), time.perf_counter() - t))
    return NotebookProfile(path.stem, kernel_s, cells[0][2] if cells else 0.0, cells)


def _seconds(execution: dict) -> float | None:
    """A cell's execution time from nbclient's timing metadata (None: not recorded)."""
    from datetime import datetime

    try:
        start, end = execution["iopub.execute_input"], execution["shell.execute_reply"]
    except KeyError:
        return None
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def profile_from_build(path: Path, build: Path | None = None) -> NotebookProfile | None:
    """The profile of the notebook at `path` in the last book build (None: the build has
    no timing for it: built before timings were kept, or not executed)."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache

    build = build or ROOT / "_build"
    executed = build / "jupyter_execute" / path.relative_to(ROOT).with_suffix(".ipynb")
    if not executed.exists():
        return None
    nb = nbformat.read(executed, 4)
    try:
        record = get_cache(str(build / ".jupyter_cache")).match_cache_notebook(
            jupytext.read(path))
        total, seconds = record.data["execution_seconds"], record.data["cell_seconds"]
    except KeyError:
        return None
    code = [c for c in nb.cells if c.cell_type == "code"]
    if len(seconds) != len(code) or None in seconds:
        return None
    cells = [(n, _first_line(c.source), s)
             for n, (c, s) in enumerate(zip(code, seconds, strict=True), start=1)]
    kernel = max(total - sum(s for _, _, s in cells), 0.0)
    return NotebookProfile(path.stem, kernel, cells[0][2] if cells else 0.0, cells)


def _notebooks(cfg: ProfileConfig) -> list[Path]:
    return notebook_paths(cfg.notebooks)


def notebook_paths(names: tuple[str, ...] = ()) -> list[Path]:
    """The notebooks named (paths from here or from the root), or every toc notebook."""
    if names:
        return [Path(f).resolve() if Path(f).exists() else ROOT / f for f in names]
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from conftest import notebook_files
    finally:
        sys.path.pop(0)
    return [ROOT / f for f in notebook_files()]


def rows_of(p: NotebookProfile, slowest: int = 3) -> list[Row]:
    """One row for the fixed cost, one per slow cell; the reference is the chapter's total."""
    ref = "chapter total"
    rows = [Row("profile", f"{p.name}: kernel start {p.kernel_s:.1f} + imports "
                f"{p.import_s:.1f}", p.kernel_s + p.import_s,
                p.total_s, "s", ref, False)]
    for n, line, s in p.slowest(slowest):
        rows.append(Row("profile", f"{p.name}: cell {n} `{line}`", s, p.total_s, "s", ref,
                        False))
    return rows


def run(cfg: ProfileConfig | None = None, progress=None) -> list[Row]:
    from tqdm.auto import tqdm

    cfg = cfg or ProfileConfig()
    rows: list[Row] = []
    for path in tqdm(_notebooks(cfg), desc="profile", unit="chapter", leave=False):
        p = profile_notebook(path, cfg.timeout_s)
        rows += rows_of(p, cfg.slowest)
        if progress:
            progress(f"profile {p.name}: {p.total_s:.1f} s")
    return rows


if __name__ == "__main__":
    from . import format_table

    names = tuple(a for a in sys.argv[1:] if a.endswith(".md"))
    if "--build" in sys.argv:
        results, missing = [], []
        for path in _notebooks(ProfileConfig(notebooks=names)):
            p = profile_from_build(path)
            if p is None:
                missing.append(path.stem)
            else:
                results += rows_of(p)
        if missing:
            print("no per-cell timing in the last build for:", ", ".join(missing))
    else:
        results = run(ProfileConfig(notebooks=names), print)
    print(format_table(results))
