"""How a chapter behaves when a learner runs it as a notebook (JupyterLab, Colab, a download).

Two IPython hooks, installed by `import embedlab` inside IPython (`register`):

- the `%%solution` cell magic. `scripts/mark_solutions.py` puts it on the first line of every
  exercise's solution code cell (and collapses the cell: `jupyter.source_hidden`). In a
  notebook, "Run All" then skips every solution body and prints how to run it; the learner
  opts in per cell by changing the line to `%%solution run` (or deleting it). The book build
  sets `EMBEDLAB_RUN_SOLUTIONS=1` (`_ext/solution_cells.py`, `scripts/build_book.py`), so
  there every body runs and its checks show passing; the HTML never shows the magic line.
- a substitute for `{glue:text}` in notebook view. jupyterlab-myst renders markdown without
  myst-nb's glue (jupyterlab-myst issue #165), so the prose shows a key where the book
  shows a number. Outside the build, every `myst_nb.glue(...)` output also shows the glued
  value as text ("glued purity = 0.83"), so the reader finds it below the cell computing it.

What it does not do: decide what is a solution (the chapters' `{solution-start}` blocks do),
hide anything by itself (the cell metadata does), or change what the book build executes.
"""

from __future__ import annotations

import os
import sys

ENV = "EMBEDLAB_RUN_SOLUTIONS"  # "1": run every solution body (the book build sets it)
MAGIC = "solution"
MAGIC_LINE = f"%%{MAGIC}"
GLUE_PREFIX = "application/papermill.record/"  # myst_nb.glue(..., display=False) mime keys
SKIPPED = ("Solution not run: \"Run All\" skips the exercises' solutions. To run this one, "
           f"change its first line to `{MAGIC_LINE} run` and run the cell.")


def build_runs_solutions() -> bool:
    """True in the book build (and wherever EMBEDLAB_RUN_SOLUTIONS=1 is set)."""
    return os.environ.get(ENV) == "1"


def should_run(line: str) -> bool:
    """Does `%%solution <line>` run its body? Yes if the learner wrote `run`, or in the build."""
    return line.split("#", 1)[0].strip() == "run" or build_runs_solutions()


def strip_magic(source: str) -> str:
    """A solution cell's code without the `%%solution` line (for parsers, HTML, handouts)."""
    first, _, rest = source.partition("\n")
    return rest if first.split()[:1] == [MAGIC_LINE] else source


def solution(line: str, cell: str):
    """The `%%solution` cell magic: run the body as a cell would, or say how to."""
    if not should_run(line):
        print(SKIPPED)
        return None
    from IPython import get_ipython

    result = get_ipython().run_cell(cell, store_history=False)
    result.raise_error()  # a failing check fails the cell (and the book build)
    return None


def _show_glued(msg: dict) -> dict:
    """ipykernel display hook: a glue output (shown nowhere in notebook view) gets a text line."""
    content = msg.get("content", {})
    scrap = (content.get("metadata") or {}).get("scrapbook")
    data = content.get("data") or {}
    value = data.get(f"{GLUE_PREFIX}text/plain")
    if scrap and value is not None and "text/plain" not in data:
        for key in [k for k in data if k.startswith(GLUE_PREFIX)]:
            data[key[len(GLUE_PREFIX):]] = data[key]  # a glued figure shows as a figure
        data["text/plain"] = f"glued {scrap.get('name', '?')} = {value}"
    return msg


def register(shell=None) -> bool:
    """Install the magic (and, outside the build, the glue hook) in the running IPython.

    Does nothing outside IPython (and never imports it there). Returns whether it installed.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    shell.register_magic_function(solution, "cell", MAGIC)
    publisher = getattr(shell, "display_pub", None)
    hooks = getattr(publisher, "_hooks", None)
    if (not build_runs_solutions() and hasattr(publisher, "register_hook")
            and _show_glued not in (hooks or ())):
        publisher.register_hook(_show_glued)
    return True


def load_ipython_extension(shell) -> None:
    """`%load_ext embedlab.notebook_view` (where `import embedlab` has not run yet)."""
    register(shell)
