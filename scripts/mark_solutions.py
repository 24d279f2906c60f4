"""Make every chapter's exercise solutions hidden, and skipped by "Run All", in notebook view.

For each chapter (`chapters/*.md`, a MyST notebook) and each `{solution-start}` ...
`{solution-end}` block in it:

- every solution code cell gets `%%solution` as its first line (the cell magic of
  `embedlab.notebook_view`: in a notebook the body runs only when the learner asks, in the
  book build always) and the metadata `jupyter: {source_hidden: true, outputs_hidden: true}`
  (JupyterLab shows it collapsed, outputs included, until the learner clicks it);
- the block's markdown (the `{solution-start}` fence, the solution's prose, the
  `{solution-end}` fence) becomes cells of its own, collapsed the same way
  (`+++ {"jupyter": {"source_hidden": true}}` in the text); the exercise before it and the
  text after it stay visible, in cells of their own.

The Sphinx build is unaffected: sphinx-exercise still gates the solution, `_ext/solution_cells.py`
runs it and drops the `%%solution` line from the page.

Idempotent (a second run changes nothing) and text-preserving: it reads and writes the
chapter with jupytext, whose MyST round trip leaves every chapter byte-identical.
Usage: python scripts/mark_solutions.py [--check] [CHAPTER.md ...]   (default: every chapter)
With --check it changes nothing and exits 1 if a chapter needs marking or a visible cell
uses a name only a solution defines (Run All would fail there).
"""

from __future__ import annotations

import ast
import copy
import re
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
MAGIC_LINE = "%%solution"  # embedlab.notebook_view.MAGIC_LINE
HIDDEN_CODE = {"source_hidden": True, "outputs_hidden": True}
HIDDEN_TEXT = {"source_hidden": True}
SOL_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}", re.M)
IMPORTS_EMBEDLAB = re.compile(r"^\s*(import embedlab|from embedlab[\s.])", re.M)
SOL_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[ \t]*\n\1[ \t]*$", re.M)


def chapters() -> list[Path]:
    """The chapters that are notebooks (a jupytext header) with at least one solution."""
    return [p for p in sorted((ROOT / "chapters").glob("*.md"))
            if p.read_text().startswith("---\njupytext:") and SOL_START.search(p.read_text())]


def _pieces(text: str, inside: bool) -> tuple[list[tuple[str, bool]], bool]:
    """Split a markdown cell at solution boundaries: [(text, in a solution)], state after."""
    out = []
    while text:
        m = (SOL_END if inside else SOL_START).search(text)
        if not m:
            out.append((text, inside))
            break
        cut = m.end() if inside else m.start()
        out.append((text[:cut], inside))
        text, inside = text[cut:], not inside
    return [(t.strip("\n"), i) for t, i in out if t.strip()], inside


def _hide(cell, how: dict) -> None:
    cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), **how}


def solution_flags(nb) -> list[set[bool]]:
    """For each cell: is it inside a solution block? ({True, False}: a markdown cell that
    holds both solution and other text, not split yet.)"""
    flags, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            flags.append({inside})
            continue
        pieces, after = _pieces(cell.source, inside)
        flags.append({i for _, i in pieces} or {inside})
        inside = after
    return flags


def mark(nb):
    """The notebook with every solution cell marked (a new notebook; `nb` is not changed)."""
    nb = copy.deepcopy(nb)
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if inside:
                if cell.source.partition("\n")[0].split()[:1] != [MAGIC_LINE]:
                    cell.source = f"{MAGIC_LINE}\n{cell.source}"
                _hide(cell, HIDDEN_CODE)
            cells.append(cell)
            continue
        pieces, inside = _pieces(cell.source, inside)
        if not pieces:  # a blank cell
            cells.append(cell)
            continue
        for k, (text, in_solution) in enumerate(pieces):
            piece = cell if k == 0 else copy.deepcopy(cell)
            if k > 0:
                piece.metadata = {}
            piece.source = text if len(pieces) > 1 else cell.source
            if in_solution:
                _hide(piece, HIDDEN_TEXT)
            cells.append(piece)
    nb.cells = cells
    return nb


def problems(nb) -> list[str]:
    """What is wrong with a chapter's solution cells in notebook view (empty: all fine)."""
    out = []
    bound_visible: set[str] = set()
    bound_solution: set[str] = set()
    imported = False  # has a visible cell imported embedlab (which registers the magic)?
    for cell, flags in zip(nb.cells, solution_flags(nb), strict=True):
        hidden = cell.metadata.get("jupyter", {})
        first = cell.source.partition("\n")[0].split()[:1]
        in_solution = True in flags
        if cell.cell_type == "markdown":
            if len(flags) > 1:
                out.append(f"solution text shares a cell with other text: {cell.source[:60]!r}")
            elif in_solution and not hidden.get("source_hidden"):
                out.append(f"solution text shown: {cell.source[:60]!r}")
            continue
        if in_solution:
            if not imported:
                out.append(f"solution before any visible cell imports embedlab ({MAGIC_LINE} "
                           f"would be unknown): {cell.source[:60]!r}")
            if first != [MAGIC_LINE]:
                out.append(f"solution code without {MAGIC_LINE}: {cell.source[:60]!r}")
            if not (hidden.get("source_hidden") and hidden.get("outputs_hidden")):
                out.append(f"solution code not collapsed: {cell.source[:60]!r}")
        elif first == [MAGIC_LINE]:
            out.append(f"{MAGIC_LINE} outside a solution (Run All skips it): {cell.source[:60]!r}")
        names = _names(cell.source)
        if in_solution:
            bound_solution |= names["bound"]
        else:
            missing = (names["used"] & bound_solution) - bound_visible - names["bound"]
            if missing:
                out.append(f"visible cell uses names only a solution defines {sorted(missing)}: "
                           f"{cell.source[:60]!r}")
            bound_visible |= names["bound"]
            imported = imported or bool(IMPORTS_EMBEDLAB.search(cell.source))
    return out


def _names(source: str) -> dict[str, set[str]]:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return {"bound": set(), "used": set()}
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
    return {"bound": bound, "used": used}


def mark_file(path: Path, check: bool = False) -> bool:
    """Mark one chapter in place (or only look, with check); return whether it changed."""
    text = path.read_text(encoding="utf-8")
    new = jupytext.writes(mark(jupytext.reads(text, "md:myst")), "md:myst")
    if new != text and not check:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or chapters()
    status = 0
    for path in paths:
        changed = mark_file(path, check=check)
        found = problems(jupytext.read(path)) if not check else []
        if check and changed:
            print(f"{path}: solutions not marked (run scripts/mark_solutions.py)")
            status = 1
        if check:
            found = [p for p in problems(mark(jupytext.read(path)))
                     if p.startswith("visible cell")]
        for p in found:
            print(f"{path}: {p}")
            status = 1
        if changed and not check:
            print(f"{path}: marked")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
