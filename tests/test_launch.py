"""Colab and Binder: every launch button points at something that exists.

- `binder/` pins Python 3.11, the CPU build of torch and the same versions as the lock
  (requirements.txt), covers the package's declared dependencies, and its postBuild sets
  Jupytext's default viewer.
- `scripts/notebooks.py` (`make notebooks`) writes every chapter as `.ipynb` with a setup cell
  first (tagged `remove-cell`, installing from the repository URL in `_config.yml`).
- In the built book, each Binder link opens a file of the repository and each Colab link a
  notebook that `make notebooks` publishes; both name the repository of `_config.yml`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jupytext
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT, notebook_files

sys.path.insert(0, str(ROOT / "scripts"))
import notebooks  # noqa: E402  (scripts/notebooks.py)

sys.path.pop(0)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["sphinx"]["config"]["embedlab_published_branch"]


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            out[canonicalize_name(name)] = version.strip()
    return out


def test_binder_pins_python_cpu_torch_and_the_lock():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    binder, lock = _pins(ROOT / "binder" / "requirements.txt"), _pins(ROOT / "requirements.txt")
    assert binder["torch"] == lock["torch"] + "+cpu"
    differ = {n: (v, lock.get(n)) for n, v in binder.items()
              if n != "torch" and v != lock.get(n)}
    assert differ == {}, f"binder/requirements.txt differs from the lock: {differ}"
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    missing = {canonicalize_name(Requirement(d).name) for d in deps} - set(binder)
    assert missing == set(), f"declared dependencies Binder does not install: {missing}"
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    assert "set-default-viewer" in post.read_text() and "pip install --no-deps -e ." in \
        post.read_text()


def test_notebooks_start_with_a_hidden_setup_cell(tmp_path):
    written = notebooks.write_notebooks(tmp_path)
    assert sorted(p.relative_to(tmp_path).with_suffix(".md").as_posix() for p in written) \
        == sorted(notebook_files())
    for path, source in zip(written, notebook_files(), strict=True):
        nb = jupytext.read(path)
        first = nb.cells[0]
        assert first.cell_type == "code" and "remove-cell" in first.metadata["tags"]
        assert f"embedlab @ git+{REPO}" in first.source
        assert [c.source for c in nb.cells[1:]] == \
            [c.source for c in jupytext.read(ROOT / source).cells]
    again = notebooks.with_setup(jupytext.read(written[0]), REPO)
    assert sum(notebooks.SETUP_TAG in c.metadata.get("tags", []) for c in again.cells) == 1


def test_setup_cell_runs_where_embedlab_is_installed(tmp_path):
    code = notebooks.setup_cell(REPO).source
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "embedlab is installed."


_LINK = re.compile(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)[^"]+)"')


def launch_targets(html: str) -> list[tuple[str, str, str]]:
    """(service, repository URL, path) of each launch link of a page."""
    out = []
    for url in map(unescape, _LINK.findall(html)):
        u = urlparse(url)
        if u.netloc == "mybinder.org":  # /v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/{path}
            _, _, _, org, repo, _ = u.path.split("/", 5)
            path = parse_qs(u.query)["urlpath"][0].split("/tree/", 1)[1]
            out.append(("binder", f"https://github.com/{org}/{repo}", path))
        else:  # /github/{org}/{repo}/blob/{branch}/{path}
            _, _, org, repo, _, branch, path = u.path.split("/", 6)
            out.append(("colab", f"https://github.com/{org}/{repo}", f"{branch}:{path}"))
    return out


def test_launch_targets_parse():
    html = ('<a href="https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/chapters/x.md">'
            '<a href="https://colab.research.google.com/github/o/r/blob/gh-pages/notebooks/'
            'chapters/x.ipynb">')
    assert launch_targets(html) == [
        ("binder", "https://github.com/o/r", "chapters/x.md"),
        ("colab", "https://github.com/o/r", "gh-pages:notebooks/chapters/x.ipynb")]


def check_launch_links(html_dir: Path, published: Path) -> list[str]:
    """Problems with the launch links of every notebook page of a built book."""
    problems = []
    for f in notebook_files():
        page = html_dir / Path(f).with_suffix(".html")
        targets = launch_targets(page.read_text(encoding="utf-8"))
        if {t[0] for t in targets} != {"binder", "colab"}:
            problems.append(f"{f}: launch links {targets}")
        for service, repo, path in targets:
            if repo != REPO:
                problems.append(f"{f}: {service} names {repo}, not {REPO}")
            if service == "binder" and not (ROOT / path).is_file():
                problems.append(f"{f}: Binder opens {path}, not in the repository")
            if service == "colab":
                branch, _, rel = path.partition(":")
                if branch != BRANCH or not rel.startswith("notebooks/") or \
                        not (published / rel.removeprefix("notebooks/")).is_file():
                    problems.append(f"{f}: Colab opens {path}, which is not published")
    return problems


def test_every_launch_link_of_the_built_book_has_a_target(built_book, tmp_path):
    if built_book["status"] != 0:
        pytest.skip("the book did not build (tests/test_book.py reports why)")
    published = tmp_path / "notebooks"
    notebooks.write_notebooks(published)  # what `make notebooks` publishes
    assert check_launch_links(built_book["html"], published) == []
    assert check_launch_links(built_book["html"], tmp_path / "none")  # can fail


def test_downloads_start_with_the_setup_cell_and_keep_their_outputs(built_book):
    if built_book["status"] != 0:
        pytest.skip("the book did not build (tests/test_book.py reports why)")
    for f in notebook_files():
        nb = jupytext.read(built_book["html"] / "_sources" / Path(f).with_suffix(".ipynb"))
        assert notebooks.SETUP_TAG in nb.cells[0].metadata.get("tags", []), f
        assert any(c.get("outputs") for c in nb.cells[1:]), f"{f}: download has no outputs"
