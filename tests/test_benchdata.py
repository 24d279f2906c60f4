"""embedlab.benchdata: the bench numbers from a checkout, and the package's copies of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from embedlab.benchdata import NAMES, bench_json, bench_path, book_text


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


def test_book_text_reads_the_checkouts_files():
    # the packaged copy links to the same files: test_install checks an installed copy
    assert book_text("_toc.yml") == (ROOT / "_toc.yml").read_text()
    assert book_text("chapters/lookup-table.md") == (ROOT / "chapters/lookup-table.md").read_text()


@pytest.mark.parametrize("rel", ["_toc.yml", "chapters"])
def test_the_packages_book_copies_link_to_the_book(rel):
    """data/book/ links to _toc.yml and chapters/, so a wheel carries the current text."""
    link = ROOT / "code" / "embedlab" / "data" / "book" / rel
    assert link.is_symlink() and link.resolve() == (ROOT / rel).resolve()


@pytest.mark.parametrize("rel", ["../README.md", "chapters/../Makefile", "chapters/x.ipynb",
                                 "bench/results.json", "/etc/passwd", "CHAPTERS/lookup-table.md"])
def test_book_text_refuses_other_files(rel):
    with pytest.raises(ValueError, match="unknown book file"):
        book_text(rel)


def test_book_text_names_a_missing_chapter():
    with pytest.raises(FileNotFoundError, match="no book file 'chapters/no-such-chapter.md'"):
        book_text("chapters/no-such-chapter.md")
