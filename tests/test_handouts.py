"""Handouts: every chapter's exercises, no solution code in any handout."""

import ast
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from embedlab.handouts import (
    WRITTEN_PROMPT,
    chapters_with_exercises,
    filled,
    handout,
    nbgrader_source,
    parse_chapter,
    write_all,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = chapters_with_exercises(ROOT / "chapters")


def _solution_lines(ex, chapter_nb) -> set[str]:
    """The solution's own code lines: not imports, comments or blank lines, not the given
    setup, and not lines the chapter also has outside its solutions (`import torch`)."""
    shown = {ln.strip() for c in chapter_nb.cells for ln in c.source.splitlines()}
    # the given setup, and the stub's `def f(args):` line (the task names the signature)
    given = {ln.strip() for ln in (ex.setup + "\n" + ex.stubs).splitlines()}
    out = set()
    for ln in ex.solution.splitlines():
        s = ln.strip()
        if (s and not s.startswith(("#", "import ", "from ")) and len(s) > 3
                and s not in shown and s not in given and s not in (")", "]", "}")):
            out.add(s)
    return out


def test_every_chapter_with_exercises_is_found():
    assert len(CHAPTERS) >= 19
    assert all("{solution-start}" in p.read_text() for p in CHAPTERS)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    return out, write_all(ROOT / "chapters", out)


def test_one_handout_per_chapter_and_a_zip(built):
    out, paths = built
    assert sorted(p.stem for p in paths) == sorted(p.stem for p in CHAPTERS)
    names = zipfile.ZipFile(out / "handouts.zip").namelist()
    assert sorted(names) == sorted(f"handouts/{p.name}" for p in paths)
    for stem in (p.stem for p in CHAPTERS):
        assert (out / "nbgrader" / "source" / stem / f"{stem}.ipynb").exists()


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_handout_has_no_solution_code(md, built):
    out, _ = built
    nb, exercises = parse_chapter(md)
    text = (out / "handouts" / f"{md.stem}.ipynb").read_text()
    # whole lines, as `grep -x` would match them (stripped of indentation)
    text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    lines = {ln.strip() for ln in text.splitlines()}
    n_lines = 0
    for ex in exercises:
        for line in _solution_lines(ex, nb):
            n_lines += 1
            assert line not in lines, f"{ex.label}: solution line in handout: {line}"
        prose = ex.solution_prose.strip().split("\n")[0][:60]
        assert "solution-start" not in text and (not prose or prose not in text)
    assert n_lines > 0  # the grep looked for something


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_handout_cells(md, built):
    out, _ = built
    nb = nbformat.read(out / "handouts" / f"{md.stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    _, exercises = parse_chapter(md)
    roles = [(c.metadata["embedlab"]["exercise"], c.metadata["embedlab"]["role"])
             for c in nb.cells if "embedlab" in c.metadata]
    for ex in exercises:
        assert (ex.label, "answer") in roles
        assert ((ex.label, "check") in roles) == bool(ex.checks)
    for c in nb.cells:
        assert c.cell_type == "markdown" or not c.outputs  # outputs cleared
        if c.cell_type == "code":
            ast.parse(c.source)  # every cell is valid Python
        if c.metadata.get("embedlab", {}).get("role") == "answer" and c.cell_type == "markdown":
            assert c.source == WRITTEN_PROMPT  # a written answer: the prompt, no model answer
        elif c.metadata.get("embedlab", {}).get("role") == "answer":
            assert "YOUR CODE HERE" in c.source
            assert "= ..." in c.source or "NotImplementedError" in c.source
        if c.metadata.get("embedlab", {}).get("role") == "check":
            assert "check_" in c.source and "print(" in c.source
    assert "{exercise}" not in "".join(c.source for c in nb.cells)


def _toy_chapter(tmp_path, solution: str) -> Path:
    md = tmp_path / "toy.md"
    md.write_text(
        "# Toy\n\n````{exercise} Add\n:label: toy-ex1\n\nAdd 2 and 3.\n````\n\n"
        "```{solution-start} toy-ex1\n:class: dropdown\n```\n\nJust add.\n\n"
        f"```{{code-cell}} ipython3\n{solution}\n```\n\n```{{solution-end}}\n```\n\n"
        "After the exercises.\n")
    return md


def test_split_of_a_hand_written_solution(tmp_path):
    md = _toy_chapter(tmp_path, "from embedlab.checks.table import check_x\n\n"
                      "a, b = 2, 3\nprint(check_x(a + b, a, b))")
    nb, (ex,) = parse_chapter(md)
    assert ex.label == "toy-ex1" and ex.title == "Add"
    assert ex.setup == "a, b = 2, 3"  # the check's other inputs are given
    assert ex.solution == "answer = a + b"  # the inline answer became a name
    assert ex.checks == ["print(check_x(answer, a, b))"]
    assert ex.imports == ["from embedlab.checks.table import check_x"]
    student = handout(nb, [ex])
    text = "".join(c.source for c in student.cells)
    assert "a + b" not in text and "Just add" not in text and "After the exercises" in text
    teacher = nbgrader_source(nb, [ex], points={"toy-ex1": 3})
    grade = [c.metadata["nbgrader"] for c in teacher.cells if "nbgrader" in c.metadata]
    assert [(g["solution"], g["grade"], g.get("points")) for g in grade] == [
        (True, False, None), (False, True, 3)]
    assert "answer = a + b" in "".join(c.source for c in filled(nb, [ex]).cells)


def test_unclosed_solution_is_an_error(tmp_path):
    md = _toy_chapter(tmp_path, "x = 1")
    md.write_text(md.read_text().replace("```{solution-end}\n```", ""))
    with pytest.raises(ValueError, match="never closed"):
        parse_chapter(md)


def test_same_chapter_same_file():
    md = ROOT / "chapters" / "performance.md"
    one, two = (nbformat.writes(handout(*parse_chapter(md))) for _ in range(2))
    assert one == two  # no random cell ids: a rebuild gives the same handouts
