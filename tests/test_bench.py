"""The benchmark scripts' own logic (not their timings): ratios, the table, merging."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` lives at the root

import bench  # noqa: E402
from bench import Row, format_table  # noqa: E402
from bench import __main__ as bench_main  # noqa: E402
from bench.bpe_vs_hf import _agreeing_prefix  # noqa: E402
from bench.projection_cost import drifting_clusters  # noqa: E402


def test_ratio_is_ours_over_reference():
    assert Row("s", "x", 3.0, 12.0, "s").ratio == 0.25
    assert Row("s", "x", 3.0, None, "s").ratio is None
    assert Row("s", "x", 3.0, 0.0, "s").ratio is None
    assert Row("s", "x", 3.0, 12.0, "s").as_dict()["ratio"] == 0.25


def test_table_lines_up_and_shows_every_row():
    rows = [Row("word2vec", "speed", 101_468.6, 129_504.1, "words/s"),
            Row("bpe", "train 500 merges", 0.694, 0.847, "s", higher_is_better=False)]
    lines = format_table(rows).splitlines()
    assert len(lines) == 4 and len({len(ln) for ln in lines}) == 1
    assert "101,469" in lines[2] and lines[2].rstrip().endswith("0.78")
    assert lines[3].rstrip().endswith("0.82")


def test_agreeing_prefix_and_drifting_clusters():
    assert _agreeing_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert _agreeing_prefix([], [1]) == 0
    a = drifting_clusters(50, 3, 4, 2, seed=1)
    b = drifting_clusters(50, 3, 4, 2, seed=1)
    assert len(a) == 3 and a[0].shape == (50, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    spread = [np.linalg.norm(f - f.mean(0), axis=1).mean() for f in a]
    assert not np.allclose(a[0], a[-1]) and spread[0] != spread[-1]


def test_merge_keeps_other_sections_and_failures_do_not_lose_rows(tmp_path,
                                                                  monkeypatch):
    out = tmp_path / "results.json"
    fake = {"book": lambda p: [Row("book", "cold", 100.0, 300.0, "s")],
            "bpe": lambda p: [Row("bpe", "train", 1.0, 2.0, "s")],
            "word2vec": lambda p: 1 / 0,
            "projection": lambda p: [Row("projection", "pca", 0.1, 10.0, "s")]}
    monkeypatch.setattr(bench_main, "_runners", lambda quick: fake)
    monkeypatch.setattr(bench_main, "_versions", lambda: {})
    assert bench_main.main(["--out", str(out)]) == 1  # word2vec failed
    first = json.loads(out.read_text())
    assert [r["section"] for r in first["rows"]] == ["book", "bpe", "projection"]
    assert "ZeroDivisionError" in first["errors"]["word2vec"]
    fake["bpe"] = lambda p: [Row("bpe", "train", 4.0, 2.0, "s")]
    assert bench_main.main(["--only", "bpe", "--merge", "--out", str(out)]) == 0
    second = json.loads(out.read_text())
    assert [(r["section"], r["ratio"]) for r in second["rows"]] == [
        ("book", 100 / 300), ("bpe", 2.0), ("projection", 0.01)]
    assert second["section_dates"]["book"] == first["date"]
    assert bench.load_average() >= 0 and bench.peak_rss_mb() > 0
