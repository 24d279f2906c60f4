"""`python -m bench` (or `make bench`): run every benchmark, print one table, save results.

Writes `bench/results.json` (the rows, the date, the machine and its load) and
`bench/notebook-times.json` (each notebook's seconds in the bench's own cold build, which the
instructor guide and the Performance page show). `--only word2vec bpe` runs some
sections; `--quick` shrinks each one (for checking the scripts, not for quoting numbers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

from tqdm.auto import tqdm

from . import (
    Row,
    baseline,
    book_times,
    bpe_vs_hf,
    cli_vs_gensim,
    format_table,
    imports,
    load_average,
    peak_rss_mb,
    profile,
    projection_cost,
    word2vec_vs_gensim,
)

HERE = Path(__file__).resolve().parent
# The book goes first: Linux keeps a process's peak memory across fork and exec, so the
# build's children would inherit the bench process's peak once the other sections grew it.
# The baseline goes last: three more cold builds (bench/baseline.py), the slowest section.
SECTIONS = ("book", "profile", "imports", "word2vec", "cli", "bpe", "projection", "baseline")


def _versions() -> dict[str, str]:
    import gensim
    import sklearn
    import tokenizers
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "gensim": gensim.__version__, "tokenizers": tokenizers.__version__,
            "scikit-learn": sklearn.__version__}


def _runners(quick: bool):
    if quick:
        return {
            "word2vec": lambda p: word2vec_vs_gensim.run(
                word2vec_vs_gensim.W2VBenchConfig(epochs=1, threads=(1,)), p),
            "bpe": lambda p: bpe_vs_hf.run(
                bpe_vs_hf.BPEBenchConfig(merges=(200,), encode_merges=200), p),
            "projection": lambda p: projection_cost.run(
                projection_cost.ProjectionBenchConfig(sizes=(200,), frames=3,
                                                     reference_size=200), p),
            "book": lambda p: book_times.run(None, p),
            "profile": lambda p: profile.run(
                profile.ProfileConfig(notebooks=("chapters/instructor-guide.md",)), p),
            "imports": lambda p: imports.run(
                imports.ImportsConfig(notebooks=("chapters/instructor-guide.md",)), p),
            "cli": lambda p: cli_vs_gensim.run(
                cli_vs_gensim.CLIBenchConfig(epochs=1, repeats=1, ddp_epochs=1, save=False), p),
            "baseline": lambda p: baseline.run(None, p),  # a build cannot be shrunk
        }
    return {"word2vec": lambda p: word2vec_vs_gensim.run(None, p),
            "bpe": lambda p: bpe_vs_hf.run(None, p),
            "projection": lambda p: projection_cost.run(None, p),
            "book": lambda p: book_times.run(None, p),
            "profile": lambda p: profile.run(None, p),
            "imports": lambda p: imports.run(None, p),
            "cli": lambda p: cli_vs_gensim.run(None, p),
            "baseline": lambda p: baseline.run(None, p)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--skip", nargs="+", choices=SECTIONS, default=[])
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of sections not run from the existing results")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to test the scripts")
    ap.add_argument("--out", default=str(HERE / "results.json"), help="results file")
    args = ap.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = dt.datetime.now(dt.UTC)
    load_start = load_average()
    runners = _runners(args.quick)
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    errors: dict[str, str] = {}
    chosen = [s for s in SECTIONS if s in args.only and s not in args.skip]
    bar = tqdm(chosen, desc="bench", unit="section")
    for name in bar:
        bar.set_postfix_str(name)
        t0 = dt.datetime.now()
        try:
            rows += runners[name](lambda msg: bar.write(f"  done: {msg}"))
        except Exception as e:  # one broken section must not lose the others' numbers
            errors[name] = f"{type(e).__name__}: {e}"
            bar.write(f"  FAILED: {name}: {errors[name]}")
        seconds[name] = round((dt.datetime.now() - t0).total_seconds(), 1)
    bar.close()
    out = Path(args.out)
    dates = {name: started.isoformat(timespec="seconds") for name in seconds}
    if args.merge and out.exists():  # keep the other sections' last measurements
        old = json.loads(out.read_text())
        kept = [Row(**{k: v for k, v in r.items() if k != "ratio"})
                for r in old["rows"] if r["section"] not in seconds]
        rows = sorted(kept + rows, key=lambda r: SECTIONS.index(r.section))
        for name in {r.section for r in kept}:
            dates[name] = old.get("section_dates", {}).get(name, old["date"])
    table = format_table(rows)
    print()
    print(table)
    load_end = load_average()
    note = (f"load average {load_start:.1f} at the start, {load_end:.1f} at the end, on "
            f"{os.cpu_count()} cores; bench process peak memory {peak_rss_mb():.0f} MB")
    print(note)
    results = {
        "date": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {"cores": os.cpu_count(), "load_average_start": round(load_start, 2),
                    "load_average_end": round(load_end, 2),
                    "platform": platform.platform(), **_versions()},
        "section_seconds": seconds,
        "section_dates": dates,
        "errors": errors,
        "bench_peak_rss_mb": round(peak_rss_mb(), 1),
        "rows": [r.as_dict() for r in rows],
        "table": table,
    }
    out.write_text(json.dumps(results, indent=1) + "\n")
    if out.parent == HERE:
        write_notebook_times(results, HERE / "notebook-times.json")
    print(f"wrote {out}")
    return 1 if errors else 0


def write_notebook_times(results: dict, path: Path) -> None:
    """The cold build's per-notebook rows as {"chapters/<name>.md": seconds}."""
    names = {Path(f).stem: f for f in _toc_notebooks()}
    times = {names[r["what"]]: round(r["ours"], 1) for r in results["rows"]
             if r["section"] == "book" and r["what"] in names}
    if times:
        path.write_text(json.dumps(times, indent=1) + "\n")


def _toc_notebooks() -> list[str]:
    return [p.relative_to(HERE.parent).as_posix() for p in profile.notebook_paths()]


if __name__ == "__main__":
    sys.exit(main())
