"""Write every chapter as a `.ipynb` for Colab, Binder and downloads: `make notebooks`.

Each notebook is the chapter's MyST source (no outputs) with one cell in front: it installs
`embedlab` from the book's repository when the package is missing (as on Colab), and says
when the runtime must be restarted (when the install changed a package that was already
imported). The cell carries the `remove-cell` tag, so a rendered page never shows it.

The notebooks go to `_build/html/notebooks/<chapter>.ipynb` (default), the folder that is
published with the book; the Colab button of every page points there (`_ext/book_extras.py`).
The repository URL is read from `_config.yml` (`repository.url`), its one place.
Usage: python scripts/notebooks.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "html" / "notebooks"
SETUP_TAG = "embedlab-setup"  # the generated cell's own tag, so it is never added twice

SETUP = '''\
# Setup (Colab, Binder, or any Jupyter): install this book's package if it is missing.
import importlib.metadata as _md
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("embedlab") is None:
    _before = {d.metadata["Name"].lower(): d.version for d in _md.distributions()}
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                           "embedlab @ git+{repo_url}"])
    _changed = sorted(n for n, v in _before.items() if _md.version(n) != v
                      and n.replace("-", "_") in sys.modules)
    if _changed:
        print("Installed embedlab. It upgraded packages this runtime has already "
              f"imported ({', '.join(_changed)}): restart the runtime "
              "(Colab: Runtime > Restart session), then run the notebook again.")
    else:
        print("Installed embedlab; no restart needed.")
else:
    print("embedlab is installed.")
'''


def repo_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def setup_cell(url: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(SETUP.replace("{repo_url}", url),
                                     metadata={"tags": ["remove-cell", SETUP_TAG]})


def with_setup(nb: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    """`nb` with the setup cell first (once)."""
    cells = [c for c in nb.cells if SETUP_TAG not in c.get("metadata", {}).get("tags", [])]
    nb.cells = [setup_cell(url), *cells]
    return nb


def write_notebooks(out: Path = OUT) -> list[Path]:
    """One `.ipynb` per toc notebook under `out`, keeping the chapters/ layout."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from conftest import notebook_files  # the toc's notebooks, in reading order
    finally:
        sys.path.pop(0)
    url, written = repo_url(), []
    for f in notebook_files():
        nb = with_setup(jupytext.read(ROOT / f), url)
        target = out / Path(f).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(nb), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    paths = write_notebooks(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {len(paths)} notebooks to {paths[0].parents[1] if paths else OUT}")
