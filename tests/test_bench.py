"""The benchmark scripts' own logic (not their timings): ratios, the table, merging."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` lives at the root

import bench  # noqa: E402
from bench import Row, format_table  # noqa: E402
from bench import __main__ as bench_main  # noqa: E402
from bench.bpe_vs_hf import _agreeing_prefix  # noqa: E402
from bench.profile import NotebookProfile, profile_notebook, rows_of  # noqa: E402
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
            "profile": lambda p: [],
            "cli": lambda p: [],
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


def test_profile_rows_name_the_fixed_cost_and_the_slowest_cells():
    p = NotebookProfile("ch", kernel_s=1.0, import_s=2.0,
                        cells=[(1, "import x", 2.0), (2, "a", 0.5), (3, "b", 4.0),
                               (4, "c", 1.5), (5, "d", 0.1)])
    assert p.total_s == pytest.approx(9.1)  # kernel + every cell
    rows = rows_of(p, slowest=3)
    assert [r.ours for r in rows] == [3.0, 4.0, 1.5, 0.5]  # imports are not a "slow cell"
    assert "kernel start 1.0 + imports 2.0" in rows[0].what and "`b`" in rows[1].what
    assert all(r.reference == p.total_s for r in rows)


def test_profile_times_each_cell_of_a_real_notebook(tmp_path):
    header = ("---\njupytext:\n  text_representation:\n    extension: .md\n"
              "    format_name: myst\n    format_version: 0.13\n"
              "kernelspec:\n  name: python3\n  display_name: Python 3\n"
              "  language: python\n---\n\n")
    cells = ["import time", "x = 1", "time.sleep(1.0)", "y = x + 1"]
    (tmp_path / "nb.md").write_text(header + "\n\n".join(
        f"```{{code-cell}} ipython3\n{c}\n```" for c in cells) + "\n")
    p = profile_notebook(tmp_path / "nb.md")
    assert [line for _, line, _ in p.cells] == cells
    (n, line, s), = p.slowest(1)
    assert (n, line) == (3, "time.sleep(1.0)") and s >= 1.0
    assert p.kernel_s > 0 and p.import_s == p.cells[0][2]


def test_imports_collects_top_level_statements_and_charges_packages(tmp_path):
    from bench.imports import import_lines, import_seconds
    from bench.imports import rows_of as import_rows

    chapter = Path(__file__).resolve().parents[1] / "chapters" / "performance.md"
    header = chapter.read_text().split("\n---\n")[0]
    md = tmp_path / "nb.md"
    md.write_text(header + "\n---\n\n```{code-cell} ipython3\nimport json\n"
                  "from collections import (\n    Counter,\n    OrderedDict)\n"
                  "def f():\n    import csv\n%matplotlib inline\n```\n\n"
                  "```{code-cell} ipython3\nimport json\nimport textwrap\n```\n")
    assert import_lines(md).splitlines() == [
        "import json", "from collections import Counter, OrderedDict", "import textwrap"]
    per = import_seconds("import json\nimport email.mime.text", tmp_path)
    assert per["email"] > 0 and "email.mime" not in per  # charged to the top package
    rows = import_rows("nb", {"torch": 2.0, "json": 0.01, "sklearn": 0.1}, show_s=0.15)
    assert [r.what for r in rows] == ["nb: all imports", "nb: torch"]
    assert rows[0].ours == pytest.approx(2.11)


def test_profile_reads_cell_times_from_nbclient_metadata():
    from bench.profile import _seconds

    meta = {"iopub.execute_input": "2026-11-30T19:00:01.250000Z",
            "shell.execute_reply": "2026-11-30T19:00:04.000000Z"}
    assert _seconds(meta) == pytest.approx(2.75)
    assert _seconds({}) is None


def test_baseline_unpacks_a_commit_and_refuses_an_unknown_one(tmp_path):
    from bench.baseline import unpack

    book = unpack("HEAD", tmp_path / "head")
    assert (book / "scripts" / "build_book.py").is_file()
    assert not (book / ".git").exists() and not (book / "_build").exists()
    with pytest.raises(ValueError, match="git archive no-such-commit") as err:
        unpack("no-such-commit", tmp_path / "nothing")
    assert "\n" not in str(err.value)


def test_each_notebooks_seconds_come_from_the_books_cache(tmp_path):
    import nbformat
    from bench.book_times import notebook_seconds
    from jupyter_cache import get_cache
    from jupyter_cache.cache.main import CacheBundleIn

    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    for name, data in (("a.md", {"execution_seconds": 3.5}), ("b.md", {})):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {name!r}")])
        (tmp_path / "chapters").mkdir(exist_ok=True)
        uri = tmp_path / "chapters" / name
        uri.write_text("")
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(uri), data=data),
                                    check_validity=False)
    # b.md has no recorded time: left out, not counted as 0 s
    assert notebook_seconds(tmp_path) == {"chapters/a.md": 3.5}
