"""Shared fixtures: the book is built once per test session (cached execution)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"


def toc_files() -> list[str]:
    """Every file of the table of contents, in reading order (without extension)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def notebook_files() -> list[str]:
    """The toc's MyST notebooks (files with a jupytext/kernelspec header)."""
    out = []
    for f in toc_files():
        p = ROOT / f"{f}.md"
        if p.exists() and "kernelspec:" in p.read_text().split("\n---", 1)[0]:
            out.append(f"{f}.md")
    return out


@pytest.fixture(scope="session")
def built_book():
    """Build the book with warnings as errors; return the build's log and info."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    log = proc.stdout + proc.stderr
    info = json.loads((BUILD / "build-info.json").read_text())
    return {"status": proc.returncode, "log": log, "info": info, "html": BUILD / "html"}
