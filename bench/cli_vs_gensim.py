"""The whole `python -m embedlab train` process against a whole gensim script, and 1 vs 2
processes under torchrun.

1. End to end: the wall time of the process
       python -m embedlab train --objective skipgram --corpus wiki --dim 100 --epochs 5 \\
           --window 5 --negative 5 --threads 2 --out DIR
   (imports, reading the corpus, training, writing vectors.txt, vectors.tsv, metadata.tsv)
   against `GENSIM_SCRIPT`, a process that imports gensim, reads the same parsed articles
   (the gzip JSON cache `embedlab.corpora` keeps, so neither side parses the XML dump),
   trains Word2Vec with the same settings and 2 workers, and writes vectors.txt. The two
   alternate, `repeats` times each; the ratio gensim seconds / our seconds of each pair,
   the median and the spread are reported, with WordSim353 of both sides' vectors.
2. Several processes: the wall time of `--objective next-token` on the Lee corpus in one
   process and under `torchrun --nproc_per_node 2` (one torch thread each, same global
   batch), in the same rounds.

Everything is written to `bench/cli-speed.json`, which the page "Training a bigger table"
prints. What it deliberately does not do: tune either side, or time on a GPU.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import Row, load_average

HERE = Path(__file__).resolve().parent
OUT = HERE / "cli-speed.json"

GENSIM_SCRIPT = """
import gzip, json, sys
from gensim.models import Word2Vec
articles = json.loads(gzip.decompress(open(sys.argv[1], "rb").read()))
model = Word2Vec(sentences=articles, vector_size={dim}, window={window},
                 negative={negative}, epochs={epochs}, min_count=5, sample=1e-3, sg=1,
                 hs=0, workers={threads}, seed=0)
model.wv.save_word2vec_format(sys.argv[2] + "/vectors.txt")
"""


@dataclass
class CLIBenchConfig:
    dim: int = 100
    window: int = 5
    negative: int = 5
    epochs: int = 5
    threads: int = 2  # our --threads, gensim's workers
    repeats: int = 3  # runs of each side, alternating
    ddp_epochs: int = 2  # next-token on Lee, 1 vs 2 processes
    ddp_batch: int = 1024
    save: bool = True  # write bench/cli-speed.json (off for `--quick` runs)


def _env() -> dict:
    code = str(HERE.parent / "code")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
    return env


def _wall(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env or _env(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd[:6])}... failed: {r.stderr[-500:]}")
    return seconds


def _wiki_cache() -> Path:
    from embedlab.corpora import cache_dir, wiki_articles

    wiki_articles()  # parse once (and cache) before anything is timed
    return max(cache_dir().glob("wiki-*.json.gz"), key=lambda p: p.stat().st_mtime)


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def _ours_cmd(cfg: CLIBenchConfig, out: Path) -> list[str]:
    return [sys.executable, "-m", "embedlab", "train", "--objective", "skipgram",
            "--corpus", "wiki", "--dim", str(cfg.dim), "--epochs", str(cfg.epochs),
            "--window", str(cfg.window), "--negative", str(cfg.negative),
            "--threads", str(cfg.threads), "--no-progress", "--force", "--out", str(out)]


def _ddp_args(cfg: CLIBenchConfig) -> list[str]:
    return ["train", "--objective", "next-token", "--corpus", "lee", "--dim", "64",
            "--epochs", str(cfg.ddp_epochs), "--window", "3",
            "--batch-size", str(cfg.ddp_batch), "--threads", "1", "--no-progress",
            "--force"]


def _summary(cfg, load0, times: dict, rho: dict) -> dict:
    import gensim

    ours, ref = times["ours"], times["gensim"][: len(times["ours"])]
    one, two = times["one"], times["two"][: len(times["one"])]
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cores": os.cpu_count(), "load_average_start": round(load0, 2),
        "load_average_end": round(load_average(), 2), "config": asdict(cfg),
        "gensim": gensim.__version__,
        "end_to_end": {
            "command": " ".join(["python", *_ours_cmd(cfg, Path("DIR"))[1:]]),
            "ours_seconds": _spread(ours), "gensim_seconds": _spread(ref),
            "ratio_gensim_over_ours": _spread([r / o for o, r in zip(ours, ref, strict=True)]),
            "wordsim353": rho},
        "two_processes": {
            "command": "python -m embedlab " + " ".join(_ddp_args(cfg)[:-1]) + " --out DIR",
            "one_process_seconds": _spread(one), "two_processes_seconds": _spread(two),
            "speedup": _spread([a / b for a, b in zip(one, two, strict=True)])},
    }


def run(cfg: CLIBenchConfig | None = None, progress=None) -> list[Row]:
    """Alternate: CLI, gensim, 1 process, 2 processes; `repeats` rounds. The JSON is
    rewritten after every round, so a bench cut short keeps the rounds it finished."""
    from gensim.models import KeyedVectors

    from embedlab.evaluation import similarity_spearman

    cfg = cfg or CLIBenchConfig()
    load0 = load_average()
    cache = _wiki_cache()
    script = GENSIM_SCRIPT.format(**asdict(cfg))
    env1 = {**_env(), "OMP_NUM_THREADS": "1"}
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    times = {"ours": [], "gensim": [], "one": [], "two": []}
    with tempfile.TemporaryDirectory() as tmp:
        ours_dir, ref_dir = Path(tmp) / "ours", Path(tmp) / "gensim"
        ref_dir.mkdir()
        rho: dict = {}
        for i in range(cfg.repeats):
            times["ours"].append(_wall(_ours_cmd(cfg, ours_dir)))
            times["gensim"].append(_wall([sys.executable, "-c", script, str(cache),
                                          str(ref_dir)]))
            if not rho:
                for name, d in (("ours", ours_dir), ("gensim", ref_dir)):
                    kv = KeyedVectors.load_word2vec_format(str(d / "vectors.txt"))
                    rho[name] = similarity_spearman(kv.vectors, kv.index_to_key,
                                                    "wordsim353")[0]
            times["one"].append(_wall([sys.executable, "-m", "embedlab", *_ddp_args(cfg),
                                       "--out", f"{tmp}/one"], env1))
            times["two"].append(_wall([torchrun, "--standalone", "--nproc_per_node", "2",
                                       "-m", "embedlab", *_ddp_args(cfg), "--out",
                                       f"{tmp}/two"], env1))
            results = _summary(cfg, load0, times, rho)
            if cfg.save:
                OUT.write_text(json.dumps(results, indent=1) + "\n")
            if progress:
                progress(f"cli round {i + 1}: ours {times['ours'][-1]:.1f} s, gensim "
                         f"{times['gensim'][-1]:.1f} s; 1 process {times['one'][-1]:.1f} s, "
                         f"2 processes {times['two'][-1]:.1f} s")
    e2e, ddp = results["end_to_end"], results["two_processes"]
    ref = f"gensim {results['gensim']}"
    return [
        Row("cli", "whole process, skip-gram on wiki (median of runs)",
            e2e["ours_seconds"]["median"], e2e["gensim_seconds"]["median"], "s", ref,
            higher_is_better=False),
        Row("cli", "WordSim353 Spearman of the CLI's vectors", rho["ours"], rho["gensim"],
            "rho", ref),
        Row("cli", "next-token on lee, 2 processes vs 1 (median)",
            ddp["two_processes_seconds"]["median"], ddp["one_process_seconds"]["median"],
            "s", "1 process", higher_is_better=False),
    ]


if __name__ == "__main__":
    for row in run(progress=print):
        print(row)
