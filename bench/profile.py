"""Where a chapter's time goes: kernel start and imports vs its three slowest cells.

Each toc notebook is executed with `nbclient` (cwd `chapters/`, as in the book build), one
cell at a time, timing every cell. A chapter's fixed cost is the kernel start plus its first
code cell (the imports); the rest is the work the page teaches. The three slowest cells are
where to look first when a chapter is over budget.

`python -m bench --only profile` runs it for every chapter; `python -m bench.profile
chapters/next-token.md ...` prints the profile of some chapters (handy to time one chapter
before and after a change).

What it deliberately does not do: build the book or use the jupyter cache (every run
executes), or time inside a cell (use `%prun` in the notebook for that).
"""

from __future__ import annotations

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
    with client.setup_kernel():
        kernel_s = time.perf_counter() - t0
        for n, (i, cell) in enumerate(code, start=1):
            t = time.perf_counter()
            client.execute_cell(cell, i)
            cells.append((n, _first_line(cell.source), time.perf_counter() - t))
    return NotebookProfile(path.stem, kernel_s, cells[0][2] if cells else 0.0, cells)


def _notebooks(cfg: ProfileConfig) -> list[Path]:
    if cfg.notebooks:
        return [Path(f).resolve() if Path(f).exists() else ROOT / f for f in cfg.notebooks]
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
    results = run(ProfileConfig(notebooks=names), print)
    print(format_table(results))
