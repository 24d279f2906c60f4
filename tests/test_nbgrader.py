"""nbgrader, unchanged: generate_assignment for every chapter, and an autograde round trip.

The round trip uses the shortest chapter with exercises (performance): one submission
with the book's answers scores full marks, one with learner slips scores less, and its
feedback holds the check's hint.
"""

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from embedlab.checks import CheckError
from embedlab.checks.performance import check_ratio
from embedlab.handouts import chapters_with_exercises, filled, parse_chapter, write_all

pytest.importorskip("nbgrader")
ROOT = Path(__file__).resolve().parents[1]
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
CONFIG = "c = get_config()\nc.CourseDirectory.course_id = 'embedlab'\n"


@pytest.fixture(autouse=True)
def _venv_on_path(monkeypatch):
    """nbgrader runs `alembic` (its database migrations) from the PATH."""
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def _run(course, *args):
    r = subprocess.run([NBGRADER, *args], cwd=course, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    write_all(ROOT / "chapters", out)
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(out / "nbgrader" / "source", course / "source")
    (course / "nbgrader_config.py").write_text(CONFIG)
    return course


def test_generate_assignment_for_every_chapter(course):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.course_id = "embedlab"
    api = NbGraderAPI(config=cfg)
    for md in chapters_with_exercises(ROOT / "chapters"):
        result = api.generate_assignment(md.stem)
        assert result["success"], result["log"][-2000:]
        released = course / "release" / md.stem / f"{md.stem}.ipynb"
        text = released.read_text()
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError" in text
        _, exercises = parse_chapter(md)
        for ex in exercises:  # nbgrader removed every solution's last line
            last = ex.solution.strip().splitlines()[-1].strip()
            if last not in ex.setup and not last.startswith(("#", "return", ")")):
                assert last not in {ln.strip() for ln in
                                    "".join(c.source for c in nbformat.reads(
                                        text, as_version=4).cells).splitlines()}, last


def test_autograde_round_trip(course):
    _run(course, "generate_assignment", "performance", "--force")
    md = ROOT / "chapters" / "performance.md"
    nb, exercises = parse_chapter(md)
    slip = {"performance-ex1": "answer = 360_000 / 180_000"}
    for student, sub in (("good", filled(nb, exercises)),
                         ("slips", filled(nb, exercises, slip))):
        released = nbformat.read(course / "release" / "performance" / "performance.ipynb",
                                 as_version=4)
        answers = {c.metadata["embedlab"]["exercise"]: c.source for c in sub.cells
                   if c.metadata.get("embedlab", {}).get("role") == "answer"}
        for c in released.cells:  # the student types into the released notebook
            if c.metadata.get("nbgrader", {}).get("solution"):
                c.source = answers[c.metadata["embedlab"]["exercise"]]
        dest = course / "submitted" / student / "performance" / "performance.ipynb"
        dest.parent.mkdir(parents=True)
        nbformat.write(released, dest)
    _run(course, "autograde", "performance", "--create")
    _run(course, "generate_feedback", "performance")
    _run(course, "export")
    scores = {r["student_id"]: (float(r["score"]), float(r["max_score"]))
              for r in csv.DictReader((course / "grades.csv").open())
              if r["assignment"] == "performance"}  # not the other chapters' zeros
    assert scores["good"] == (3.0, 3.0)
    assert scores["slips"] == (2.0, 3.0)
    feedback = (course / "feedback" / "slips" / "performance" / "performance.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    with pytest.raises(CheckError) as e:
        check_ratio(360_000 / 180_000, ours=180_000, reference=360_000)
    assert f"CheckError: {e.value}" in text
