"""The book's measured numbers, wherever a chapter runs.

`make bench` writes `bench/results.json` (the side-by-side benchmarks) and
`bench/cli-speed.json` (the CLI against gensim, one vs two processes), `python -m
bench.grading` writes `bench/grading.json`, and the cold build writes
`bench/notebook-times.json` (each notebook's execution time). Chapters that show them
(performance, instructor-guide, teaching-grading, training-bigger-table) read them with
`bench_json(name)`, never by a path relative to chapters/: from the repository's
`bench/` when the package runs from a checkout, otherwise from the copies the package carries
(`embedlab/data/` holds links to the bench files, which a wheel built from the repository
turns into copies). So a notebook run on Colab, Binder or in an empty folder shows the numbers
the book was built with, never "not measured".

`book_text(rel)` does the same for the two book files teacher pages read: `_toc.yml` (the
quiz bank checks it covers every chapter) and `chapters/<name>.md` (the lesson plans count
each chapter's words); `embedlab/data/book/` links to them in the repository.

What it deliberately does not do: measure anything (see `bench/`), or download.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # code/embedlab/ -> the checkout's root
NAMES = ("results.json", "notebook-times.json", "grading.json", "cli-speed.json")


def _checkout_or_copy(rel: str, data_rel: str):
    """Checkout file `rel` when the package runs from a checkout, else the package's copy
    `embedlab/data/<data_rel>`."""
    checkout = ROOT / rel
    return checkout if checkout.is_file() else files("embedlab") / "data" / data_rel


def bench_path(name: str):
    """Where `name` is read from: the checkout's bench/ file, else the package's copy."""
    if name not in NAMES:
        raise ValueError(f"unknown bench file {name!r}: use one of {NAMES}")
    return _checkout_or_copy(f"bench/{name}", name)


def bench_json(name: str) -> dict:
    """The parsed contents of a bench file (see `bench_path`)."""
    return json.loads(bench_path(name).read_text(encoding="utf-8"))


_BOOK_FILE = re.compile(r"_toc\.yml|chapters/[a-z0-9-]+\.md")


def book_text(rel: str) -> str:
    """The text of book file `rel` ("_toc.yml" or "chapters/<name>.md"): the checkout's
    file when the package runs from a checkout, else the copy the package carries."""
    if not _BOOK_FILE.fullmatch(rel):
        raise ValueError(f"unknown book file {rel!r}: use '_toc.yml' or 'chapters/<name>.md'")
    try:
        return _checkout_or_copy(rel, f"book/{rel}").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no book file {rel!r} in the checkout or the package") from None
