"""`python -m embedlab grade SUBMISSIONS_DIR`: grade handed-back handouts into a CSV.

Layout: SUBMISSIONS_DIR/<student>/<chapter>.ipynb (any depth below the student's folder,
so nbgrader's submitted/<student>/<assignment>/<chapter>.ipynb works too). For each
notebook the grader

1. puts the chapter's original check cells back (from `embedlab.handouts`), after each
   exercise's answer cell, so an edited or deleted check cannot pass;
2. executes it in a child process, in the chapter folder (as the book runs it),
   with a per-cell timeout, under `unshare -rn` (a network namespace with only loopback:
   no network) when the system allows it, and with HF_HUB_OFFLINE=1;
3. reads each check cell's outputs: no error means passed; a `CheckError` gives its hint.

Every problem becomes a row with the reason (not a notebook, unknown chapter, a cell that
timed out, a kernel that died, an answer cell that was deleted); the grader itself does
not stop. CSV columns: student, chapter, exercise, passed, hint.

What it deliberately does not do: sandbox the file system or memory (run it as a user
who owns nothing valuable), or give partial credit within an exercise.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .handouts import check_source, parse_chapter

FIELDS = ("student", "chapter", "exercise", "passed", "hint")


@dataclass
class GradeConfig:
    chapters: Path = Path("chapters")  # the book's chapters (the checks and the cwd)
    cell_timeout: int = 60  # seconds per cell before the kernel is interrupted
    timeout: int = 600  # seconds for a whole notebook before its process is killed
    isolate_network: bool = True  # run under `unshare -rn` when it works
    jobs: int = 1  # notebooks graded at a time (each is its own process and kernel)


def _row(student, chapter, exercise, passed, hint) -> dict:
    return dict(zip(FIELDS, (student, chapter, exercise, bool(passed), hint), strict=True))


def _restore_checks(nb, exercises) -> list[str]:
    """Put the original check cells back; return the labels whose answer cell is gone."""
    by_label = {ex.label: ex for ex in exercises if ex.checks}
    cells, seen = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("embedlab", {})
        if meta.get("role") == "check":
            continue  # the student's copy, whatever it now says
        cells.append(cell)
        label = meta.get("exercise")
        if meta.get("role") == "answer" and label in by_label and label not in seen:
            seen.add(label)
            cells.append(nbformat.v4.new_code_cell(
                check_source(by_label[label]),
                metadata={"embedlab": {"exercise": label, "role": "check"}}))
    nb.cells = cells
    return [label for label in by_label if label not in seen]


def _unshare_works() -> bool:
    exe = shutil.which("unshare")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-rn", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _execute(nb_path: Path, out_path: Path, cfg: GradeConfig, isolate: bool) -> str:
    """Run the notebook in a child process; return '' or the reason it did not finish."""
    cmd = [sys.executable, "-m", "embedlab.grade", "--run-one", str(nb_path),
           str(out_path), str(cfg.cell_timeout), str(cfg.chapters.resolve())]
    if isolate:  # new user + network namespace; bring loopback up for the kernel's ZMQ
        inner = shlex.join(cmd)
        cmd = ["unshare", "-rn", "sh", "-c",
               f"ip link set lo up 2>/dev/null || true; exec {inner}"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        _, err = proc.communicate(timeout=cfg.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the kernel is in the same session
        proc.communicate()
        return f"the notebook took longer than {cfg.timeout} s and was stopped"
    if proc.returncode:
        last = (err.strip().splitlines() or ["no message"])[-1]
        return f"execution stopped: {last}"
    return ""


def _run_one(nb_path: str, out_path: str, cell_timeout: str, cwd: str) -> int:
    """Child process: execute, keep going after errors, write what ran."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(nb, timeout=int(cell_timeout), allow_errors=True,
                            interrupt_on_timeout=True, kernel_name="python3",
                            resources={"metadata": {"path": cwd}})
    status = 0
    try:
        client.execute()
    except DeadKernelError:
        print("the kernel died (a crash, or out of memory)", file=sys.stderr)
        status = 3
    nbformat.write(nb, out_path)
    return status


def _results(nb, student, chapter, exercises, reason) -> list[dict]:
    rows = []
    checks, answer_errors = {}, {}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("embedlab", {})
        if meta.get("role") == "check":
            checks[meta["exercise"]] = c
        elif meta.get("role") == "answer":
            errs = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
            if errs:
                answer_errors[meta["exercise"]] = (
                    "the answer cell took longer than the per-cell timeout"
                    if errs[0].get("ename") == "KeyboardInterrupt" else
                    f"the answer cell raised {errs[0].get('ename')}: {errs[0].get('evalue')}")
    for ex in exercises:
        if not ex.checks:
            continue  # an open exercise: not graded
        cell = checks.get(ex.label)
        if cell is None:
            rows.append(_row(student, chapter, ex.label, False, "the answer cell was deleted"))
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            e = errors[0]
            timed_out = e.get("ename") == "KeyboardInterrupt"
            hint = ("a cell took longer than the per-cell timeout" if timed_out else
                    e.get("evalue", "") if e.get("ename") == "CheckError" else
                    f"{e.get('ename')}: {e.get('evalue')}")
            if ex.label in answer_errors:
                hint = f"{answer_errors[ex.label]} (then the check said: {hint})"
            rows.append(_row(student, chapter, ex.label, False, hint))
        elif cell.get("execution_count") is None:
            rows.append(_row(student, chapter, ex.label, False,
                             f"not run: {reason or 'execution stopped before it'}"))
        else:
            rows.append(_row(student, chapter, ex.label, True, ""))
    return rows


def grade_notebook(path: Path, student: str, cfg: GradeConfig, isolate: bool) -> list[dict]:
    """The rows for one submitted file; never raises for a bad submission."""
    chapter = path.stem
    md = cfg.chapters / f"{chapter}.md"
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - any unreadable file is a row, not a crash
        return [_row(student, chapter, "", False, f"not a notebook: {type(e).__name__}")]
    if not md.exists() or "{solution-start}" not in md.read_text():
        return [_row(student, chapter, "", False, f"no chapter with exercises named {chapter}")]
    _, exercises = parse_chapter(md)
    missing = _restore_checks(nb, exercises)
    with tempfile.TemporaryDirectory(prefix="embedlab-grade-") as tmp:
        src, out = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(nb, src)
        reason = _execute(src, out, cfg, isolate)
        if out.exists():
            nb = nbformat.read(out, as_version=4)
    rows = _results(nb, student, chapter, exercises, reason)
    for row in rows:
        if row["exercise"] in missing:
            row["hint"] = "the answer cell was deleted"
    return rows


def grade_folder(folder: Path, cfg: GradeConfig):
    """Yield the rows for every SUBMISSIONS/<student>/**/*.ipynb, in sorted order.

    With `cfg.jobs` > 1 that many notebooks run at once (threads that each wait on a
    child process); the rows still come out in the same sorted order."""
    from concurrent.futures import ThreadPoolExecutor

    isolate = cfg.isolate_network and _unshare_works()
    if cfg.isolate_network and not isolate:
        print("embedlab grade: warning: `unshare -rn` is not available here; "
              "notebooks run without network isolation", file=sys.stderr)
    work = [(path, student_dir.name)
            for student_dir in sorted(p for p in folder.iterdir() if p.is_dir())
            for path in sorted(student_dir.rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in path.parts]
    with ThreadPoolExecutor(max_workers=cfg.jobs) as pool:
        for rows in pool.map(lambda w: grade_notebook(w[0], w[1], cfg, isolate), work):
            yield from rows


def main(argv: list[str]) -> int:
    """`python -m embedlab grade ...`; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m embedlab grade",
                                description="Grade handed-back handouts into a CSV.")
    p.add_argument("submissions", type=Path, help="SUBMISSIONS/<student>/<chapter>.ipynb")
    p.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    p.add_argument("--chapters", type=Path, default=Path("chapters"))
    p.add_argument("--cell-timeout", type=int, default=60)
    p.add_argument("--timeout", type=int, default=600, help="seconds per notebook")
    p.add_argument("--no-isolation", action="store_true",
                   help="do not run notebooks in a network namespace")
    p.add_argument("--jobs", type=int, default=1,
                   help="notebooks graded at a time (default 1; up to one per core)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if not args.submissions.is_dir():
        print(f"embedlab: error: {args.submissions} is not a directory", file=sys.stderr)
        return 2
    if not args.chapters.is_dir():
        print(f"embedlab: error: --chapters {args.chapters} is not a directory",
              file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"embedlab: error: --jobs must be at least 1, not {args.jobs}", file=sys.stderr)
        return 2
    cfg = GradeConfig(args.chapters, args.cell_timeout, args.timeout, not args.no_isolation,
                      args.jobs)
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    try:
        writer = csv.DictWriter(out, FIELDS)
        writer.writeheader()
        for row in grade_folder(args.submissions, cfg):
            writer.writerow(row)
            out.flush()
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run-one"]:
        raise SystemExit(_run_one(*sys.argv[2:6]))
    raise SystemExit(main(sys.argv[1:]))
