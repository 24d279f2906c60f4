"""Warnings are findings: a Python warning raised while a chapter runs fails the tests.

The page hides stderr (`stderr_output: remove`, `remove-stderr` tags) so that progress
bars stay off it; that also hides a NaN, an overflow or a deprecation. This test reads
the notebooks the book build executed, from its execution cache
(`_build/.jupyter_cache`, filled by scripts/build_book.py), takes every cell's stderr
stream, drops tqdm's progress-bar redraws, and fails on any warning left, naming the
notebook, the cell and the warning. The build puts scripts/kernel/sitecustomize.py first
on the kernel's path, so warnings that Python hides by default (DeprecationWarning ...)
are shown when a chapter's code (`__main__`) or `embedlab` raises them.

A third-party warning may be allowed, but only in `ALLOWED` with the reason; a warning
from a chapter's cell or from embedlab is never allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jupytext
import nbformat
import pytest

from conftest import BUILD, ROOT, notebook_files

# (category, where: a regex on the warning's file, message regex, why it is allowed)
ALLOWED: list[tuple[str, str, str, str]] = [
    # none today; an example of the form:
    # ("FutureWarning", r"site-packages/sklearn/", r"The default of `n_init`",
    #  "sklearn's announcement; we pass the argument explicitly in embedlab ..."),
]

# warnings.formatwarning: "<file>:<line>: <Category>: <message>"
_WARNING = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<category>\w*Warning): "
                      r"(?P<message>.*)$")
# logging's "WARNING:name:msg" and other shapes that say "warning" without the format
_WARNING_WORD = re.compile(r"\bwarn(?:ing)?s?\b", re.IGNORECASE)
# a tqdm redraw: "label:  40%|####      | 2/5 [00:03<00:04,  1.31it/s]" (also "?it/s")
_TQDM = re.compile(r"^\s*[^|\n]*\d+%\|[^|]*\|.*\]\s*$|^\s*[^|\n]*\|\s*\d+/\S*"
                   r" \[[^\]]*\]\s*$")
# what never counts as third party: a chapter cell (ipykernel files) or our package
_OURS = re.compile(r"ipykernel_\d+/|<ipython-input|/embedlab/|/chapters/")


@dataclass
class Finding:
    cell: int
    text: str
    category: str = ""
    file: str = ""
    message: str = ""

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.text}"


def stderr_lines(text: str) -> list[str]:
    """The lines of a stderr stream with tqdm's progress-bar redraws removed."""
    out = []
    for line in re.split(r"[\r\n]+", text):
        if line.strip() and not _TQDM.match(line):
            out.append(line)
    return out


def allowed(f: Finding) -> bool:
    if not f.category or _OURS.search(f.file):
        return False
    return any(f.category == cat and re.search(where, f.file) and re.search(msg, f.message)
               for cat, where, msg, _ in ALLOWED)


def warning_findings(nb) -> list[Finding]:
    """Every warning in the stderr outputs of `nb`'s code cells that is not allowed."""
    found = []
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        lines = [ln for o in cell.get("outputs", [])
                 if o.get("output_type") == "stream" and o.get("name") == "stderr"
                 for ln in stderr_lines(o.get("text", ""))]
        after_warning = False
        for line in lines:
            m = _WARNING.match(line)
            if m:
                f = Finding(k, line.strip(), m["category"], m["file"], m["message"])
            elif after_warning and line.startswith("  "):
                continue  # the source line that formatwarning prints under a warning
            elif _WARNING_WORD.search(line):
                f = Finding(k, line.strip())
            else:
                after_warning = False
                continue
            after_warning = bool(m)
            if not allowed(f):
                found.append(f)
    return found


# ---------------------------------------------------------------- the mechanism
WARNING_CELLS = [
    "import sys, time\nfrom tqdm import tqdm\n"
    "for _ in tqdm(range(3), file=sys.stderr, mininterval=0):\n    time.sleep(0.01)",
    "import numpy as np\nnp.log(np.zeros(2))",  # RuntimeWarning: divide by zero
    "import warnings\n"
    "warnings.warn('embedlab.old_name is deprecated', DeprecationWarning)",
]


def _execute(cells: list[str], tmp_path, with_site: bool):
    """Run `cells` in a fresh kernel as the book build does (with or without the
    build's sitecustomize on the path)."""
    import os

    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    env = dict(os.environ)
    if with_site:
        site = str(ROOT / "scripts" / "kernel")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH")) if p)
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp_path))
    try:
        NotebookClient(nb, km=km, timeout=60).execute()
    finally:
        km.shutdown_kernel(now=True)
    return nb


def test_a_warning_notebook_is_caught_and_progress_bars_are_not(tmp_path):
    nb = _execute(WARNING_CELLS, tmp_path, with_site=True)
    found = warning_findings(nb)
    assert [f.cell for f in found] == [1, 2], [str(f) for f in found]
    assert found[0].category == "RuntimeWarning" and "divide by zero" in found[0].message
    assert found[1].category == "DeprecationWarning"
    # the progress bar did write to stderr, and was not a finding
    bar = "".join(o.get("text", "") for o in nb.cells[0].outputs
                  if o.get("name") == "stderr")
    assert "100%" in bar and stderr_lines(bar) == []


def test_the_build_site_shows_deprecations_from_our_modules(tmp_path):
    """Without scripts/kernel/sitecustomize.py a DeprecationWarning raised inside a
    module (here a stand-in `embedlab_fake` named like our package) stays hidden."""
    (tmp_path / "embedlab").mkdir()
    (tmp_path / "embedlab" / "__init__.py").write_text("")
    (tmp_path / "embedlab" / "oldapi.py").write_text(
        "import warnings\n\ndef f():\n"
        "    warnings.warn('f is deprecated', DeprecationWarning, stacklevel=1)\n")
    cells = ["import sys; sys.path.insert(0, '.'); sys.modules.pop('embedlab', None)\n"
             "from embedlab.oldapi import f\nf()"]
    hidden = warning_findings(_execute(cells, tmp_path, with_site=False))
    shown = warning_findings(_execute(cells, tmp_path, with_site=True))
    assert hidden == []
    assert len(shown) == 1 and "f is deprecated" in shown[0].message


def test_allow_list_applies_to_third_party_only():
    third = Finding(0, "x", "FutureWarning", "/venv/site-packages/sklearn/x.py", "soon")
    ours = Finding(0, "x", "FutureWarning", "/repo/code/embedlab/x.py", "soon")
    ALLOWED.append(("FutureWarning", r"sklearn/", r"soon", "test entry"))
    try:
        assert allowed(third) and not allowed(ours)
    finally:
        ALLOWED.pop()
    assert not allowed(third)


def test_stderr_lines_drop_progress_bars_only():
    text = ("training:   0%|          | 0/300 [00:00<?, ?it/s]\r"
            "training:  50%|#####     | 150/300 [00:01<00:01, 120.5it/s]\n"
            "/x/embedlab/a.py:3: RuntimeWarning: overflow encountered in exp\n"
            "  y = np.exp(x)\n"
            " 12%|#2        | 12/100 [00:00<00:01, 60.00it/s]\n")
    assert stderr_lines(text) == [
        "/x/embedlab/a.py:3: RuntimeWarning: overflow encountered in exp",
        "  y = np.exp(x)"]


# ---------------------------------------------------------------- the book
@pytest.mark.parametrize("f", notebook_files())
def test_chapter_raises_no_warning(built_book, f):
    from jupyter_cache import get_cache

    assert built_book["status"] == 0, "the book build failed; see test_book.py"
    cache = get_cache(str(BUILD / ".jupyter_cache"))
    record = cache.match_cache_notebook(jupytext.read(ROOT / f))
    nb = cache.get_cache_bundle(record.pk).nb
    found = warning_findings(nb)
    assert not found, f"{f}: warnings (fix them, or allow a third-party one in " \
        f"tests/test_warnings.py with a reason):\n" + "\n".join(map(str, found))
