"""Solutions in notebook view: collapsed, and skipped by "Run All"; in the book: gated, run, clean.

The mechanism (embedlab.notebook_view, scripts/mark_solutions.py, _ext/solution_cells.py):
every solution code cell starts with the `%%solution` cell magic, which runs its body only
when the learner writes `%%solution run` or the build sets EMBEDLAB_RUN_SOLUTIONS=1, and
every cell of a solution block carries `jupyter.source_hidden` (JupyterLab collapses it).
Chapters are marked in place by `python scripts/mark_solutions.py`; here the marking is
also applied to copies in tmp_path, so the other checks do not depend on it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import pytest
from docutils import nodes
from docutils.utils import new_document

from conftest import ROOT
from embedlab import notebook_view


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


marker = _load("mark_solutions", ROOT / "scripts" / "mark_solutions.py")
solution_cells = _load("solution_cells", ROOT / "_ext" / "solution_cells.py")
CHAPTERS = marker.chapters()
RUN_ALL_CHAPTER = "lookup-table.md"  # cheap (about 12 s), four code solutions and a written one
HEADER = (ROOT / "chapters" / "the-question.md").read_text().split("\n---\n", 1)[0] + "\n---\n"
TOY = HEADER + textwrap.dedent("""
    # Toy

    ```{code-cell} ipython3
    import embedlab

    x = 2
    ```

    ````{exercise}
    :label: toy-ex1

    Double `x`.
    ````

    ```{solution-start} toy-ex1
    :class: dropdown
    ```

    SOLUTION-PROSE doubles it.

    ```{code-cell} ipython3
    :tags: [remove-stderr]

    doubled = 2 * x
    print("SOLUTION-RAN", doubled)
    ```

    More SOLUTION-PROSE.

    ```{solution-end}
    ```

    After the exercise.
    """)


def _marked(text: str) -> str:
    return jupytext.writes(marker.mark(jupytext.reads(text, "md:myst")), "md:myst")


def test_chapters_are_found():
    assert len(CHAPTERS) >= 15
    assert ROOT / "chapters" / RUN_ALL_CHAPTER in CHAPTERS


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_every_solution_cell_carries_the_mechanism(md):
    # fails until `python scripts/mark_solutions.py` has been run on the chapters
    nb = jupytext.read(md)
    assert marker.problems(nb) == []
    assert not marker.mark_file(md, check=True), "run scripts/mark_solutions.py"


def test_an_unmarked_chapter_is_reported_and_marking_fixes_it():
    nb = jupytext.reads(TOY, "md:myst")
    found = marker.problems(nb)
    assert any("without %%solution" in p for p in found)
    assert any("not collapsed" in p for p in found)
    assert any("shares a cell" in p for p in found)
    assert marker.problems(jupytext.reads(_marked(TOY), "md:myst")) == []


def test_misplaced_magic_and_solution_only_names_are_reported():
    nb = jupytext.reads(_marked(TOY), "md:myst")
    nb.cells[1].source = "%%solution\nx = 2"  # a visible cell Run All would skip
    nb.cells.append(jupytext.reads(HEADER + "\n```{code-cell} ipython3\nprint(doubled)\n```\n",
                                   "md:myst").cells[0])
    found = marker.problems(nb)
    assert any("outside a solution" in p for p in found)
    assert any("only a solution defines ['doubled']" in p for p in found)
    nb.cells[1].source = "x = 2"  # no embedlab import before the solution: no magic yet
    assert any("before any visible cell imports embedlab" in p
               for p in marker.problems(nb))


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_marking_is_idempotent_and_only_adds_scaffolding(md, tmp_path):
    original = md.read_text()
    copy = tmp_path / md.name
    copy.write_text(original)
    marker.mark_file(copy)
    once = copy.read_text()
    assert not marker.mark_file(copy), "a second run changed the chapter"
    assert copy.read_text() == once
    before, after = jupytext.reads(original, "md:myst"), jupytext.reads(once, "md:myst")
    assert marker.problems(after) == []

    def code(nb):
        return [notebook_view.strip_magic(c.source) for c in nb.cells if c.cell_type == "code"]

    def words(nb):
        return " ".join(c.source for c in nb.cells if c.cell_type == "markdown").split()

    assert code(after) == code(before)
    assert words(after) == words(before)


def test_handouts_read_marked_chapters_as_before(tmp_path):
    from embedlab.handouts import parse_chapter

    md = ROOT / "chapters" / RUN_ALL_CHAPTER
    copy = tmp_path / md.name
    copy.write_text(_marked(md.read_text()))
    _, plain = parse_chapter(md)
    _, marked = parse_chapter(copy)
    assert [(e.label, e.solution, e.checks, e.written) for e in marked] == [
        (e.label, e.solution, e.checks, e.written) for e in plain]
    assert not any("%%solution" in e.solution for e in marked)


@pytest.fixture
def shell(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv(notebook_view.ENV, raising=False)
    ip = InteractiveShell.instance()
    assert notebook_view.register(ip)
    ip.user_ns.pop("y", None)
    return ip


def test_the_magic_skips_the_body_unless_asked(shell, capsys, monkeypatch):
    shell.run_cell("%%solution\ny = 1\nprint('BODY')")
    out = capsys.readouterr().out
    assert "y" not in shell.user_ns and "BODY" not in out
    assert "%%solution run" in out
    shell.run_cell("%%solution run\ny = 1\nprint('BODY')")
    assert shell.user_ns["y"] == 1 and "BODY" in capsys.readouterr().out
    shell.user_ns.pop("y")
    monkeypatch.setenv(notebook_view.ENV, "1")  # the book build
    shell.run_cell("%%solution\ny = 2")
    assert shell.user_ns["y"] == 2


def test_a_failing_solution_fails_its_cell(shell, monkeypatch):
    monkeypatch.setenv(notebook_view.ENV, "1")
    result = shell.run_cell("%%solution\nassert 1 == 2, 'CHECK FAILED'")
    assert result.error_in_exec is not None  # the build would stop here


def test_strip_magic():
    assert notebook_view.strip_magic("%%solution\nx = 1") == "x = 1"
    assert notebook_view.strip_magic("%%solution run\nx = 1") == "x = 1"
    assert notebook_view.strip_magic("%%solutions\nx = 1") == "%%solutions\nx = 1"
    assert notebook_view.strip_magic("x = 1") == "x = 1"


def test_a_glued_value_gets_a_visible_line():
    msg = {"content": {"data": {"application/papermill.record/text/plain": "0.83"},
                       "metadata": {"scrapbook": {"name": "purity",
                                                  "mime_prefix": notebook_view.GLUE_PREFIX}}}}
    data = notebook_view._show_glued(msg)["content"]["data"]
    assert data["text/plain"] == "glued purity = 0.83"
    other = {"content": {"data": {"text/plain": "'hello'"}, "metadata": {}}}
    assert notebook_view._show_glued(other)["content"]["data"] == {"text/plain": "'hello'"}


def test_the_transform_drops_only_the_magic_line():
    doc = new_document("<test>")
    doc += nodes.literal_block("%%solution\nprint(1)", "%%solution\nprint(1)", language="ipython3")
    doc += nodes.literal_block("%%timeit\nx", "%%timeit\nx")
    doc += nodes.literal_block("Solution not run", "Solution not run")
    assert solution_cells.strip_solution_lines(None, doc) == 1
    blocks = list(doc.findall(nodes.literal_block))
    assert [b.astext() for b in blocks] == ["print(1)", "%%timeit\nx", "Solution not run"]
    assert blocks[0]["language"] == "ipython3"
    assert blocks[0].rawsource == blocks[0].astext()  # else Sphinx would not highlight it


def _run_all(md_text: str, cwd: Path, tmp_path: Path, env_value: str | None):
    """Execute a MyST notebook as JupyterLab's Run All would (nbclient, a fresh kernel)."""
    import nbclient

    nb = jupytext.reads(md_text, "md:myst")
    env = {k: v for k, v in os.environ.items() if k != notebook_view.ENV}
    if env_value is not None:
        env[notebook_view.ENV] = env_value
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "code"), env.get("PYTHONPATH", "")])
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


def test_run_all_skips_every_solution_of_a_chapter(tmp_path):
    md = ROOT / "chapters" / RUN_ALL_CHAPTER
    nb = _run_all(_marked(md.read_text()), md.parent, tmp_path, env_value=None)
    flags = marker.solution_flags(nb)
    code = [(c, True in f) for c, f in zip(nb.cells, flags, strict=True) if c.cell_type == "code"]
    solutions = [c for c, in_solution in code if in_solution]
    visible = [c for c, in_solution in code if not in_solution]
    assert len(solutions) >= 3
    for cell in solutions:
        assert _text(cell) == notebook_view.SKIPPED + "\n", cell.source[:80]
    assert sum(bool(c.outputs) for c in visible) >= 3  # the rest of the chapter did run
    # the glued numbers are visible below the cells that compute them
    assert "{glue:text}" not in md.read_text() or any(
        "glued " in _text(c) for c in visible)


def test_the_book_build_runs_the_gated_solution_and_hides_the_magic(tmp_path):
    # a one-page book with the book's extensions: the solution runs, sits in the dropdown,
    # and its code is shown without the `%%solution` line
    (tmp_path / "index.md").write_text(_marked(TOY))
    (tmp_path / "conf.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "_ext")!r})
        extensions = ["myst_nb", "sphinx_exercise", "solution_cells"]
        nb_execution_mode = "force"
        exclude_patterns = ["_build"]
        """))
    env = {k: v for k, v in os.environ.items() if k != notebook_view.ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "code"), env.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(tmp_path),
                    str(tmp_path / "_build")], check=True, env=env, capture_output=True)
    from bs4 import BeautifulSoup

    page = BeautifulSoup((tmp_path / "_build" / "index.html").read_text(), "html.parser")
    (solution,) = page.select("div.solution")
    assert "dropdown" in solution["class"]
    text = solution.get_text(" ", strip=True)
    assert "SOLUTION-PROSE" in text and "SOLUTION-RAN 4" in text  # executed: output shown
    assert "%%solution" not in page.get_text() and notebook_view.SKIPPED not in page.get_text()
    assert "After the exercise." not in text
