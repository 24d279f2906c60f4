"""Student handouts and nbgrader source notebooks, made from the chapters' exercises.

A chapter (`chapters/X.md`, a MyST notebook) ends with exercises: a sphinx-exercise
`{exercise}` directive with a `:label:`, then a `{solution-start}` ... `{solution-end}`
block whose code cell computes an answer and calls a check from `embedlab.checks`.
From one chapter this module makes two notebooks:

- a *handout*: the chapter with every solution block removed (its prose and its code:
  absent, not hidden). In its place come two cells: an editable answer cell with a
  placeholder (`answer = ...`, or a function stub that raises `NotImplementedError`)
  and a check cell (the check's import and call, nothing else);
- an *nbgrader source* notebook: the same, but the answer cell holds the solution
  between `### BEGIN SOLUTION` / `### END SOLUTION` (nbgrader's solution cell) and the
  check cell is an autograded test cell worth `points` points, so that
  `nbgrader generate_assignment` and `nbgrader autograde` work unchanged.

How a solution cell is split into given setup, solution and checks: `embedlab.solutions`.

What it deliberately does not do: execute anything, change the chapter's other cells
(pages that show measured numbers read them through `embedlab.benchdata`), or stop a
determined student from editing a check cell (the grader puts the original check cells
back).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import jupytext
import nbformat

from .notebook_view import strip_magic
from .solutions import Exercise, check_imports, split_solution

EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[ \t]*(.*?)\n((?::[\w-]+:.*\n)*)(.*?)^\1[ \t]*$",
                      re.M | re.S)
SOL_START = re.compile(r"^(`{3,})\{solution-start\}[ \t]*(\S+)[ \t]*\n(?::[\w-]+:.*\n)*\1[ \t]*$",
                       re.M)
SOL_END = re.compile(r"^(`{3,})\{solution-end\}[ \t]*\n\1[ \t]*$", re.M)


def parse_chapter(path: Path) -> tuple[nbformat.NotebookNode, list[Exercise]]:
    """The chapter as a notebook with solutions cut out, and its exercises.

    In the returned notebook each solution block is replaced by one placeholder cell
    (`metadata.embedlab = {"exercise": label, "role": "slot"}`) for `_fill` to expand.
    """
    nb = jupytext.read(path)
    all_code = [strip_magic(c.source) for c in nb.cells if c.cell_type == "code"]
    imports = check_imports(all_code)
    titles = {_label(m): m.group(2) for c in nb.cells if c.cell_type == "markdown"
              for m in EXERCISE.finditer(c.source)}
    cells, exercises, current = [], [], None
    for cell in nb.cells:
        if cell.cell_type == "code":
            if current is None:
                cells.append(cell)
            else:
                current.solution_code.append(strip_magic(cell.source))  # %%solution
            continue
        text, kept = cell.source, []
        while text:
            if current is None:
                m = SOL_START.search(text)
                if not m:
                    kept.append(text)
                    break
                kept.append(text[: m.start()])
                current = Exercise(label=m.group(2), title=titles.get(m.group(2), ""))
                text = text[m.end():]
            else:
                m = SOL_END.search(text)
                if not m:
                    current.solution_prose += text
                    break
                current.solution_prose += text[: m.start()]
                exercises.append(current)
                _flush(cells, kept)
                kept = []
                cells.append(_slot(current.label))
                current = None
                text = text[m.end():]
        _flush(cells, kept)
    if current is not None:
        raise ValueError(f"{path}: {{solution-start}} {current.label} is never closed")
    for ex in exercises:
        code = "\n\n".join(ex.solution_code)
        if not code.strip():  # "explain in writing": the model answer is the prose
            ex.written = True
            ex.solution = ex.solution_prose.strip()
            continue
        split_solution(ex, code, imports)  # no check_* call: an ungraded, open exercise
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = cells
    out.metadata["embedlab"] = {"chapter": path.stem}
    return out, exercises


def _label(m: re.Match) -> str:
    found = re.search(r":label:\s*(\S+)", m.group(3))
    return found.group(1) if found else ""


def _flush(cells: list, pieces: list[str]) -> None:
    text = "".join(pieces).strip("\n")
    if text.strip():
        cells.append(nbformat.v4.new_markdown_cell(_plain_exercises(text)))


def _plain_exercises(text: str) -> str:
    """`{exercise}` directives as plain markdown headings (Jupyter does not render MyST)."""
    def repl(m: re.Match) -> str:
        return f"### Exercise: {m.group(2)}\n\n*({_label(m)})*\n\n{m.group(4).strip()}\n"
    return EXERCISE.sub(repl, text)


def _slot(label: str):
    return nbformat.v4.new_code_cell("", metadata={"embedlab": {"exercise": label,
                                                               "role": "slot"}})


def check_source(ex: Exercise) -> str:
    """The check cell: the check imports and calls, nothing from the solution."""
    return "\n".join(ex.imports) + "\n\n" + "\n".join(ex.checks)


def _answer_header(ex: Exercise) -> str:
    given = f"# Given:\n{ex.setup}\n\n" if ex.setup else ""
    names = ", ".join(ex.answers)
    them = "them" if len(ex.answers) > 1 else "it"
    return given + (f"# YOUR CODE HERE: define {names} (the check cell below uses {them})."
                    if names else "# YOUR CODE HERE")


def _fill(nb, exercises: list[Exercise], answer_cell, check_cell):
    """A copy of `nb` with each slot replaced by an answer cell and a check cell."""
    by_label = {ex.label: ex for ex in exercises}
    out = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    for cell in nb.cells:
        role = cell.get("metadata", {}).get("embedlab", {})
        if role.get("role") != "slot":
            out.cells.append(cell)
            continue
        ex = by_label[role["exercise"]]
        a = answer_cell(ex)
        a.metadata["embedlab"] = {"exercise": ex.label, "role": "answer"}
        out.cells.append(a)
        if ex.checks:  # an open exercise (no check) is not graded
            c = check_cell(ex)
            c.metadata["embedlab"] = {"exercise": ex.label, "role": "check"}
            out.cells.append(c)
    for i, cell in enumerate(out.cells):  # fixed ids: the same chapter, the same files
        cell.id = f"cell-{i}"
    return out


WRITTEN_PROMPT = "YOUR ANSWER HERE (in writing: a few sentences)"


def handout(nb, exercises: list[Exercise]):
    """The student notebook: placeholders and checks, no solutions, no outputs."""
    return _fill(
        nb, exercises,
        lambda ex: (nbformat.v4.new_markdown_cell(WRITTEN_PROMPT) if ex.written else
                    nbformat.v4.new_code_cell(_answer_header(ex) + "\n" + ex.stubs)),
        lambda ex: nbformat.v4.new_code_cell(check_source(ex)))


def _nbgrader(grade_id: str, *, solution: bool, points: int = 0) -> dict:
    meta = {"grade": not solution, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if not solution:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_source(nb, exercises: list[Exercise], points: dict[str, int] | None = None):
    """The nbgrader source notebook: solution cells and autograded check cells."""
    points = points or {}

    def answer(ex):
        if ex.written:  # nbgrader's manually graded answer: the model answer is the solution
            meta = _nbgrader(f"{ex.label}-answer", solution=True)
            meta["nbgrader"].update(grade=True, points=points.get(ex.label, 1))
            return nbformat.v4.new_markdown_cell(ex.solution, metadata=meta)
        src = (f"{_answer_header(ex)}\n### BEGIN SOLUTION\n{ex.solution}\n### END SOLUTION")
        return nbformat.v4.new_code_cell(
            src, metadata=_nbgrader(f"{ex.label}-answer", solution=True))

    def check(ex):
        return nbformat.v4.new_code_cell(check_source(ex), metadata=_nbgrader(
            f"{ex.label}-check", solution=False, points=points.get(ex.label, 1)))

    return _fill(nb, exercises, answer, check)


def chapters_with_exercises(chapters: Path) -> list[Path]:
    """The chapters that have at least one solution block, sorted by name."""
    return sorted(p for p in chapters.glob("*.md") if "{solution-start}" in p.read_text())


def write_all(chapters: Path, out: Path) -> list[Path]:
    """Handouts in out/handouts (+ handouts.zip), nbgrader sources in out/nbgrader/source.

    nbgrader's layout: source/<assignment>/<notebook>.ipynb, one assignment per chapter.
    Returns the handout paths.
    """
    written = []
    hand_dir = out / "handouts"
    hand_dir.mkdir(parents=True, exist_ok=True)
    for md in chapters_with_exercises(chapters):
        nb, exercises = parse_chapter(md)
        path = hand_dir / f"{md.stem}.ipynb"
        nbformat.write(handout(nb, exercises), path)
        written.append(path)
        src = out / "nbgrader" / "source" / md.stem / f"{md.stem}.ipynb"
        src.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_source(nb, exercises), src)
    with zipfile.ZipFile(out / "handouts.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for path in written:
            z.write(path, f"handouts/{path.name}")
    return written


def filled(nb, exercises: list[Exercise], answers: dict[str, str] | None = None):
    """A handout as a student might hand it back: each answer cell holds the given setup
    and `answers[label]`, or the book's solution for labels not in `answers`.

    For tests and for timing the grader on generated submissions.
    """
    answers = answers or {}
    out = handout(nb, exercises)
    by_label = {ex.label: ex for ex in exercises}
    for cell in out.cells:
        meta = cell.metadata.get("embedlab", {})
        if meta.get("role") == "answer":
            ex = by_label[meta["exercise"]]
            code = answers.get(ex.label, ex.solution)
            cell.source = f"{ex.setup}\n\n{code}" if ex.setup and not ex.written else code
    return out


if __name__ == "__main__":  # `python -m embedlab.handouts CHAPTERS OUT` (make handouts)
    import sys

    paths = write_all(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {len(paths)} handouts to {Path(sys.argv[2]) / 'handouts'}, "
          f"handouts.zip and nbgrader/source")
