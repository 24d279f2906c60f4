"""`python -m embedlab grade`: good, wrong and broken submissions, one CSV, no crash.

Uses the shortest chapter with exercises (performance, a few seconds per notebook).
"""

import csv
import io
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

from embedlab.checks import CheckError
from embedlab.checks.performance import check_ratio, check_words_per_second
from embedlab.cli import main
from embedlab.handouts import filled, parse_chapter

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SLIPS = {"performance-ex1": "answer = 360_000 / 180_000",  # upside down
         "performance-ex2": "answer = 452_944 / 12.5"}  # epochs forgotten


def _hint(check, *args, **kw) -> str:
    with pytest.raises(CheckError) as e:
        check(*args, **kw)
    return str(e.value)


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("subs")
    nb, ex = parse_chapter(CHAPTERS / "performance.md")
    subs = {"ann": filled(nb, ex), "bob": filled(nb, ex, SLIPS),
            "cat": filled(nb, ex, {"performance-ex2": "import time\ntime.sleep(600)"}),
            "dan": filled(nb, ex, {"performance-ex2": "import os\nos._exit(1)"})}
    cheat = filled(nb, ex, SLIPS)  # a slip, and a check cell edited to always pass
    for c in cheat.cells:
        if c.metadata.get("embedlab", {}).get("role") == "check":
            c.source = "print('Correct.')"
    subs["fay"] = cheat
    for name, sub in subs.items():
        (root / name).mkdir()
        nbformat.write(sub, root / name / "performance.ipynb")
    (root / "eve").mkdir()
    (root / "eve" / "performance.ipynb").write_text("{ not a notebook")
    (root / "gus").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), root / "gus" / "no-such-chapter.ipynb")
    out = io.StringIO()
    # 10 s per cell: cat's cell sleeps 600 s; the limit leaves the other cells room on a
    # slower machine whose 2 cores two xdist workers and the notebook rerun share
    with redirect_stdout(out):
        status = main(["grade", str(root), "--chapters", str(CHAPTERS),
                       "--cell-timeout", "10", "--timeout", "120", "--jobs", "2"])
    assert status == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def _by(rows, student):
    return {r["exercise"]: r for r in rows if r["student"] == student}


def test_columns_and_students(rows):
    assert list(rows[0]) == ["student", "chapter", "exercise", "passed", "hint"]
    assert {r["student"] for r in rows} == {"ann", "bob", "cat", "dan", "eve", "fay", "gus"}
    # two at a time (--jobs 2), and still in sorted order: cat's hanging cell finishes
    # after dan, eve and fay have been graded, but its rows come before theirs
    students = [r["student"] for r in rows]
    assert students == sorted(students)


def test_correct_answers_pass(rows):
    ann = _by(rows, "ann")
    assert sorted(ann) == ["performance-ex1", "performance-ex2", "performance-ex3"]
    assert all(r["passed"] == "True" and r["hint"] == "" for r in ann.values())


def test_slips_fail_with_the_checks_hint(rows):
    bob = _by(rows, "bob")
    assert bob["performance-ex1"]["hint"] == _hint(
        check_ratio, 360_000 / 180_000, ours=180_000, reference=360_000)
    assert bob["performance-ex2"]["hint"] == _hint(
        check_words_per_second, 452_944 / 12.5, corpus_tokens=452_944, epochs=5,
        seconds=12.5, vocab_size=12_000)
    assert bob["performance-ex1"]["passed"] == bob["performance-ex2"]["passed"] == "False"
    assert bob["performance-ex3"]["passed"] == "True"


def test_an_edited_check_cell_is_replaced(rows):
    fay = _by(rows, "fay")
    assert fay["performance-ex1"]["passed"] == "False"
    assert fay["performance-ex1"]["hint"] == _by(rows, "bob")["performance-ex1"]["hint"]


def test_a_hanging_cell_is_stopped_and_the_rest_graded(rows):
    cat = _by(rows, "cat")
    assert cat["performance-ex2"]["passed"] == "False"
    assert "timeout" in cat["performance-ex2"]["hint"]
    assert cat["performance-ex3"]["passed"] == "True"  # grading went on after it


def test_a_kernel_crash_is_a_row(rows):
    dan = _by(rows, "dan")
    assert dan["performance-ex1"]["passed"] == "True"
    assert "kernel died" in dan["performance-ex2"]["hint"]
    assert dan["performance-ex3"]["passed"] == "False"


def test_bad_files_are_rows(rows):
    (eve,) = [r for r in rows if r["student"] == "eve"]
    assert eve["passed"] == "False" and eve["hint"].startswith("not a notebook")
    (gus,) = [r for r in rows if r["student"] == "gus"]
    assert "no chapter" in gus["hint"]


def test_missing_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_jobs_below_one_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--jobs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--jobs must be at least 1" in err and err.count("\n") == 1
