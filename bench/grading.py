"""Time both grading paths on generated submissions: `python -m bench.grading [N]`.

Makes N submissions of one short chapter's handout (half with the book's answers, half
with learner slips), then times, one submission at a time,

- `embedlab.grade.grade_notebook` (what `python -m embedlab grade` runs per notebook), and
- `nbgrader autograde ASSIGNMENT --student S` in a temporary nbgrader course,

and writes the seconds to `bench/grading.json`, with the load average (the machine is
shared: above 2 on 2 cores, every time is pessimistic). A class of 30 takes about 30 times
the mean per submission: both paths grade one notebook after the other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from embedlab.grade import GradeConfig, _unshare_works, grade_notebook
from embedlab.handouts import filled, nbgrader_source, parse_chapter

HERE = Path(__file__).resolve().parent
CHAPTERS = HERE.parent / "chapters"
CHAPTER = "performance"  # the shortest chapter with exercises
SLIPS = {  # a learner's slips, one per exercise (learner-written, not from the checks)
    "performance-ex1": "answer = 360_000 / 180_000",
    "performance-ex2": "answer = 452_944 / 12.5",
    "performance-ex3": "import re\n\ndef mask(line):\n    return re.sub(r'\\d+', '#', line)",
}


def _submissions(root: Path, n: int) -> list[Path]:
    nb, exercises = parse_chapter(CHAPTERS / f"{CHAPTER}.md")
    paths = []
    for i in range(n):
        path = root / f"student{i:02d}" / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(filled(nb, exercises, SLIPS if i % 2 else None), path)
        paths.append(path)
    return paths


def time_grade(paths: list[Path]) -> list[float]:
    cfg, isolate = GradeConfig(chapters=CHAPTERS), _unshare_works()
    out = []
    for p in paths:
        t = time.perf_counter()
        grade_notebook(p, p.parent.name, cfg, isolate)
        out.append(time.perf_counter() - t)
    return out


def time_nbgrader(paths: list[Path], course: Path) -> tuple[float, list[float]]:
    nb, exercises = parse_chapter(CHAPTERS / f"{CHAPTER}.md")
    src = course / "source" / CHAPTER / f"{CHAPTER}.ipynb"
    src.parent.mkdir(parents=True)
    nbformat.write(nbgrader_source(nb, exercises), src)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'embedlab'\n")
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic` from the PATH
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    nbgrader = [str(bin_dir / "nbgrader")]
    t = time.perf_counter()
    subprocess.run(nbgrader + ["generate_assignment", CHAPTER], cwd=course, check=True,
                   capture_output=True, env=env)
    generate = time.perf_counter() - t
    out = []
    for p in paths:
        dest = course / "submitted" / p.parent.name / CHAPTER / p.name
        dest.parent.mkdir(parents=True)
        shutil.copy(p, dest)
        t = time.perf_counter()
        subprocess.run(nbgrader + ["autograde", CHAPTER, "--student", p.parent.name,
                                   "--create"], cwd=course, check=True, capture_output=True,
                       env=env)
        out.append(time.perf_counter() - t)
    return generate, out


def main(n: int = 6) -> dict:
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        paths = _submissions(Path(tmp) / "subs", n)
        grade = time_grade(paths)
        generate, autograde = time_nbgrader(paths, Path(tmp) / "course")
    result = {"chapter": CHAPTER, "n_submissions": n, "grade_seconds": grade,
              "nbgrader_generate_seconds": generate, "nbgrader_autograde_seconds": autograde,
              "date": dt.date.today().isoformat(), "cores": os.cpu_count(),
              "load_average_start": load_start, "load_average_end": os.getloadavg()[0]}
    (HERE / "grading.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if sys.argv[1:] else 6), indent=1))
