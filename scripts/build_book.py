"""Build the book: execute every notebook (cached) and render _build/html, warnings as errors.

jupyter-cache re-executes a notebook only when its code cells change; a change in the
`embedlab` package would otherwise leave stale outputs. So we hash the package and clear the
cache (and Sphinx's doctrees) when it changed. Writes _build/build.log and
_build/build-info.json (wall time, peak memory of the largest process, exit status).
Usage: python scripts/build_book.py [--fresh]
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
KERNEL_SITE = ROOT / "scripts" / "kernel"  # its sitecustomize shows our warnings


def package_hash() -> str:
    h = hashlib.sha256()
    sources = [*(ROOT / "code" / "embedlab").rglob("*.py"), *(ROOT / "_ext").glob("*.py"),
               KERNEL_SITE / "sitecustomize.py"]
    for p in sorted(sources):
        h.update(p.relative_to(ROOT).as_posix().encode())
        h.update(p.read_bytes())
    for name in ("_config.yml", "_toc.yml", "requirements.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()[:16]


def main(argv: list[str]) -> int:
    stamp = BUILD / ".embedlab-hash"
    digest = package_hash()
    if "--fresh" in argv or not stamp.exists() or stamp.read_text() != digest:
        for d in (".jupyter_cache", ".doctrees", "jupyter_execute"):
            shutil.rmtree(BUILD / d, ignore_errors=True)
    BUILD.mkdir(exist_ok=True)
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(ROOT), "-n", "-W", "--keep-going"]
    env = dict(
        os.environ,
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(KERNEL_SITE), os.environ.get("PYTHONPATH")) if p),
    )
    start = time.perf_counter()
    with open(BUILD / "build.log", "w") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        status = proc.wait()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    info = {
        "status": status,
        "seconds": round(seconds, 1),
        "peak_rss_mb_largest_process": round(peak_mb, 1),
    }
    (BUILD / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
    if status == 0:
        stamp.write_text(digest)
        print(
            f"\nBuilt in {seconds:.0f} s. Open: file://{BUILD / 'html' / 'index.html'}"
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
