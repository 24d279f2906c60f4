"""Build the book: execute every notebook (cached) and render _build/html, warnings as errors.

jupyter-cache re-executes a notebook only when its code cells change; a change in the
`embedlab` package would otherwise leave stale outputs. So we hash the package and clear the
cache (and Sphinx's doctrees) when it changed.

Notebooks missing from the cache are executed first, two at a time on this 2-core machine
(`--workers N`), each in a fresh kernel with the same settings myst-nb uses, and stored in
the cache; the Sphinx build then finds every notebook there and only renders. A notebook
that fails here is left out of the cache, so the Sphinx build executes it again and reports
the error as usual. Each executed cell keeps nbclient's timing metadata
(`python -m bench.profile --build` reads it: where the time of the last build went).
Writes _build/build.log and _build/build-info.json (wall time, the
execution phase's wall time and how many notebooks it ran, peak memory of the largest
process, exit status); a build that executed every notebook also writes
_build/cold-build.json, which tests/test_book.py checks against the book's budget.
Usage: python scripts/build_book.py [--fresh] [--workers N]
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
KERNEL_SITE = ROOT / "scripts" / "kernel"  # its sitecustomize shows our warnings
TIMEOUT_S = 120  # per cell, as `execute.timeout` in _config.yml
# nbclient's default ("graceful") lets a kernel run its exit handlers and Python's teardown
# once the last cell is done; with torch and torch._dynamo (imported by the first
# torch.optim step) loaded that took 0.6-1.0 s per kernel here, for nothing: every output
# has arrived by then. "immediate" stops the kernel at once: the cold book went from
# 104 s to 83 s on one machine (the rebuild comparison's kernels stop the same way).
KERNEL_SHUTDOWN = "immediate"
# One thread per kernel (tests/conftest.py's KERNEL_THREADS, also used by the rebuild
# comparison and `make lab`): two kernels run at once on 2 cores, and a second BLAS/OpenMP
# thread each only makes them fight. Measured (reusing-tables + masked-vs-causal executed
# concurrently, 3 runs each, alternated): the same printed text, 38-40 s of CPU instead
# of 45-47 s for reusing-tables, wall time not longer. torch reads OMP_NUM_THREADS at
# import; chapters that call torch.set_num_threads themselves keep their setting.


def package_hash() -> str:
    h = hashlib.sha256()
    sources = [*(ROOT / "code" / "embedlab").rglob("*.py"),
               *(ROOT / "code" / "embedlab" / "data").glob("*.yaml"),  # read by chapters
               *(ROOT / "_ext").glob("*.py"),
               KERNEL_SITE / "sitecustomize.py"]
    for p in sorted(sources):
        h.update(p.relative_to(ROOT).as_posix().encode())
        h.update(p.read_bytes())
    for name in ("_config.yml", "_toc.yml", "requirements.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()[:16]


def _execute(path: str, env: dict) -> tuple[str, str, float, str | None]:
    """Execute one notebook as myst-nb's cache mode does (cwd = its folder, errors stop it);
    return (path, executed notebook as JSON, seconds, error text or None)."""
    import jupytext
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ.update(env)  # the kernel inherits the build's environment
    nb = jupytext.read(path)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=TIMEOUT_S,
                                 allow_errors=False, meta_override=True,
                                 record_timing=True,  # per-cell times: bench.profile --build
                                 shutdown_kernel=KERNEL_SHUTDOWN)
    err = result.exc_string or repr(result.err) if result.err else None
    return path, nbformat.writes(nb), result.time, err


def pre_execute(env: dict, workers: int) -> tuple[int, int, float]:
    """Execute the toc notebooks the cache lacks, `workers` at a time, and cache them.

    Returns (notebooks executed, notebooks in the toc, wall seconds of this phase)."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.cache.main import CacheBundleIn

    sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
    try:
        from bench.profile import _seconds as _cell_seconds  # nbclient's timing stamps

        from conftest import notebook_files  # the toc's notebooks, in reading order
    finally:
        del sys.path[:2]
    files = [str(ROOT / f) for f in notebook_files()]
    cache = get_cache(str(BUILD / ".jupyter_cache"))
    todo = []
    for f in files:
        try:
            cache.match_cache_notebook(jupytext.read(f))
        except KeyError:
            todo.append(f)
    start = time.perf_counter()
    if todo:
        ctx = multiprocessing.get_context("spawn")  # fresh processes, no shared state
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            jobs = [pool.submit(_execute, f, env) for f in todo]
            for job in as_completed(jobs):
                path, text, seconds, err = job.result()
                name = Path(path).relative_to(ROOT)
                if err:
                    print(f"{name}: failed ({seconds:.1f} s); the build will report it")
                    continue
                nb = nbformat.reads(text, 4)
                # jupyter-cache hashes every cell's metadata: nbclient's timing stamps would
                # make the cached notebook miss when Sphinx looks it up, so they move to data
                cell_seconds = [_cell_seconds(c.metadata.pop("execution", {}))
                                for c in nb.cells if c.cell_type == "code"]
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, path, data={"execution_seconds": seconds,
                                                  "cell_seconds": cell_seconds}),
                    check_validity=False, overwrite=True)
                print(f"{name}: executed in {seconds:.1f} s", flush=True)
    return len(todo), len(files), time.perf_counter() - start


def kernel_threads() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from conftest import KERNEL_THREADS
    finally:
        sys.path.pop(0)
    return KERNEL_THREADS


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
        **kernel_threads(),
        EMBEDLAB_RUN_SOLUTIONS="1",  # %%solution cells run here (embedlab.notebook_view)
        PYTHONPATH=os.pathsep.join(
            p for p in (str(KERNEL_SITE), os.environ.get("PYTHONPATH")) if p),
    )
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 2
    start = time.perf_counter()
    executed, n_notebooks, exec_s = pre_execute(env, workers)
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
        "execution_seconds": round(exec_s, 1),
        "executed_notebooks": executed,
        "toc_notebooks": n_notebooks,
        "workers": workers,
        "peak_rss_mb_largest_process": round(peak_mb, 1),
    }
    (BUILD / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
    if status == 0 and executed == n_notebooks:  # a cold build: the one the budget is for
        (BUILD / "cold-build.json").write_text(json.dumps(info, indent=1) + "\n")
    if status == 0:
        stamp.write_text(digest)
        print(
            f"\nBuilt in {seconds:.0f} s. Open: file://{BUILD / 'html' / 'index.html'}"
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
