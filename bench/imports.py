"""What a chapter's kernel pays before any work: the import time of what its cells import.

For each toc notebook, every top-level `import`/`from ... import` statement of its code
cells is collected (in order) and run in a fresh interpreter with `python -X importtime`,
cwd `chapters/` as in the book build. Each module's *self* time is added to its top-level
package (`sklearn.manifold._t_sne` counts for `sklearn`), so a package pulled in by
another (torch by `embedlab.models`) is charged to itself, not to the importer.
One more row measures `torch._dynamo`: no chapter imports it, but torch imports it on the
first `torch.optim` optimizer a kernel builds (`Optimizer.add_param_group` is wrapped in
`torch._disable_dynamo`, which imports it on first call), so every chapter that trains
pays it once.

`python -m bench.imports [chapters/x.md ...]` prints the table; `python -m bench --only
imports` adds it to the bench results. What it deliberately does not do: time the
kernel start (see `bench.profile`) or imports made inside functions while cells run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import Row
from .profile import notebook_paths

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sklearn", "gensim", "matplotlib", "scipy", "pandas", "transformers",
         "tokenizers", "embedlab", "myst_nb", "IPython")
DYNAMO = "import torch\nimport torch._dynamo"


@dataclass
class ImportsConfig:
    notebooks: tuple[str, ...] = ()  # paths relative to the root (empty: every toc notebook)
    show_s: float = 0.15  # packages costing less than this are summed into "other"


def import_lines(md: Path) -> str:
    """The top-level import statements of a MyST notebook's code cells, in order."""
    import jupytext

    out = []
    for cell in jupytext.read(md).cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(ln for ln in cell.source.splitlines()
                        if not ln.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        out += [ast.unparse(n) for n in tree.body
                if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(out))  # each statement once


def import_seconds(code: str, cwd: Path) -> dict[str, float]:
    """Seconds per top-level package (sum of self times) of running `code` once."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    per: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cum, name = line[len("import time:"):].split("|")
        per[name.strip().split(".")[0]] += int(self_us) / 1e6
    return dict(per)


def rows_of(name: str, per: dict[str, float], show_s: float) -> list[Row]:
    """One row for the total, one per package costing at least `show_s`."""
    total = sum(per.values())
    rows = [Row("imports", f"{name}: all imports", total, None, "s", "", False)]
    big = sorted(((p, s) for p, s in per.items() if p in HEAVY and s >= show_s),
                 key=lambda x: -x[1])
    rows += [Row("imports", f"{name}: {p}", s, total, "s", "chapter's imports", False)
             for p, s in big]
    return rows


def run(cfg: ImportsConfig | None = None, progress=None) -> list[Row]:
    cfg = cfg or ImportsConfig()
    rows: list[Row] = []
    dyn = import_seconds(DYNAMO, ROOT)
    rows.append(Row("imports", "torch._dynamo (first torch.optim optimizer)",
                    dyn.get("torch", 0.0) - import_seconds("import torch", ROOT)["torch"],
                    None, "s", "", False))
    for md in notebook_paths(cfg.notebooks):
        per = import_seconds(import_lines(md), md.parent)
        rows += rows_of(md.stem, per, cfg.show_s)
        if progress:
            progress(f"imports {md.stem}: {sum(per.values()):.1f} s")
    return rows


if __name__ == "__main__":
    from . import format_table

    names = tuple(a for a in sys.argv[1:] if a.endswith(".md"))
    print(format_table(run(ImportsConfig(notebooks=names), print)))
