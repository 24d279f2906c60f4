"""Solution cells in the book build: executed, and shown without their notebook scaffolding.

Every exercise's solution code cell starts with `%%solution` (`embedlab.notebook_view`, put
there by `scripts/mark_solutions.py`), so that "Run All" in a notebook skips it. In the book:

1. the build must run every solution (its checks are shown passing): `setup` sets
   `EMBEDLAB_RUN_SOLUTIONS=1` before myst-nb starts a kernel, which inherits it
   (`scripts/build_book.py` sets it too, for the notebooks it executes first);
2. the page shows the solution's code as written, without the `%%solution` line:
   `strip_solution_lines` removes that first line from the cells' code blocks.

The solutions stay gated by sphinx-exercise (`{solution-start}`/`{solution-end}`, a
dropdown); the cells' `jupyter.source_hidden` metadata has no effect on the HTML.
"""

from __future__ import annotations

import os

from docutils import nodes

ENV = "EMBEDLAB_RUN_SOLUTIONS"  # embedlab.notebook_view.ENV (the package is not imported here)
MAGIC_LINE = "%%solution"  # embedlab.notebook_view.MAGIC_LINE


def strip_solution_lines(app, doctree) -> int:
    """Drop the `%%solution` first line of every code block; return how many were changed."""
    changed = 0
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        first, _, rest = text.partition("\n")
        if first.split()[:1] != [MAGIC_LINE]:
            continue
        new = nodes.literal_block(rest, rest, **block.attributes)
        block.replace_self(new)
        changed += 1
    return changed


def setup(app):
    os.environ[ENV] = "1"
    app.connect("doctree-read", strip_solution_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
