"""embedlab.benchdata: the bench numbers from a checkout, and the package's copies of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from embedlab.benchdata import NAMES, bench_json, bench_path


@pytest.mark.parametrize("name", NAMES)
def test_reads_the_checkouts_bench_file(name):
    assert Path(bench_path(name)) == ROOT / "bench" / name
    assert bench_json(name) == json.loads((ROOT / "bench" / name).read_text())


@pytest.mark.parametrize("name", NAMES)
def test_the_packages_copy_is_the_bench_file(name):
    """code/embedlab/data/ links to bench/, so the copy a wheel carries cannot go stale."""
    link = ROOT / "code" / "embedlab" / "data" / name
    assert link.resolve() == (ROOT / "bench" / name).resolve()


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown bench file"):
        bench_path("../../etc/passwd")
