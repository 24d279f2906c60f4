"""The book against an earlier commit of itself: both built cold, in one run, on one machine.

Machines here differ in speed (the same cold build took 167 s on one machine and 273 s on
another; a later one ran it 2.5x faster still), so a time measured on one machine says
little on the next. A ratio measured in one run does: this section unpacks the baseline
commit's sources (`git archive`) into a temporary folder, copies this checkout beside it (as
`bench.book_times` does) and builds each cold with its own `scripts/build_book.py` and this
interpreter, the baseline first, then this checkout, then the baseline again (the second
baseline build shows how much the machine drifted during the run; the ratio uses the mean
of the two).

The default baseline is e75ab2e, the commit issue 19 ("A fast book") measured: 273 s cold
on its machine, with a target of 180 s, i.e. a ratio of 180/273 = 0.66 in one run. A
baseline's notebooks are whatever its table of contents held (17 then, more now): the rows
compare whole books and the notebooks both have.

What it deliberately does not do: install the baseline's requirements (it uses this
environment, so a baseline whose pins differ may fail: its row then shows the exit status),
or time the test suite (see the closing note of issue 19 for that, measured by hand).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import Row
from .book_times import _SKIP, ROOT, _build, notebook_seconds

ISSUE_19_BASELINE = "e75ab2e"  # the commit issue 19's numbers were measured on
ISSUE_19_RATIO = 180 / 273  # its target (180 s) over its measurement (273 s)


@dataclass
class BaselineConfig:
    commit: str = ISSUE_19_BASELINE
    workers: int = 2  # as `make book` (a baseline's build_book.py may ignore it)


def unpack(commit: str, dest: Path) -> Path:
    """The sources of `commit` in dest (a one-line ValueError if git does not know it)."""
    proc = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT,
                          capture_output=True)
    if proc.returncode != 0:
        raise ValueError(f"git archive {commit}: {proc.stderr.decode().strip()}")
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run(cfg: BaselineConfig | None = None, progress=None) -> list[Row]:
    cfg = cfg or BaselineConfig()
    tmp = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    try:
        base = unpack(cfg.commit, tmp / "base")
        ours = tmp / "ours"
        shutil.copytree(ROOT, ours, ignore=shutil.ignore_patterns(*_SKIP))
        runs = {}
        for label, book in (("base", base), ("ours", ours), ("base again", base)):
            shutil.rmtree(book / "_build", ignore_errors=True)
            status, seconds, _ = _build(book, cfg.workers)
            runs[label] = (status, seconds, notebook_seconds(book))
            if progress:
                progress(f"baseline: {label} cold build {seconds:.0f} s (exit {status})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ref = f"{cfg.commit}, same run"
    (b1, b1_s, b1_nb), (o, o_s, o_nb), (b2, b2_s, b2_nb) = (
        runs["base"], runs["ours"], runs["base again"])
    base_s = (b1_s + b2_s) / 2
    rows = [
        Row("baseline", f"whole book, cold (exit {o}; baseline exit {b1}, {b2})", o_s,
            base_s, "s", ref, False),
        Row("baseline", f"baseline drift: second build / first ({cfg.commit})", b2_s, b1_s,
            "s", "first baseline build", False),
        Row("baseline", "sum of notebook execution", sum(o_nb.values()),
            (sum(b1_nb.values()) + sum(b2_nb.values())) / 2, "s", ref, False),
    ]
    if cfg.commit == ISSUE_19_BASELINE:
        rows.append(Row("baseline", f"whole book, cold, vs issue 19's target "
                        f"({ISSUE_19_RATIO:.2f} x the baseline)", o_s,
                        ISSUE_19_RATIO * base_s, "s", "target", False))
    for f in sorted(set(o_nb) & set(b1_nb) & set(b2_nb)):
        rows.append(Row("baseline", Path(f).stem, o_nb[f], (b1_nb[f] + b2_nb[f]) / 2, "s",
                        ref, False))
    return rows
