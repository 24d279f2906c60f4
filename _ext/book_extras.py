"""Two small fixes to the rendered pages, and the chapters' measured run times, as a local
Sphinx extension.

1. Every chapter is a MyST text notebook; the theme offers a `.ipynb` download only when
   something sets `ipynb_source`. We copy the notebook that myst-nb executed during the build
   (outputs included) next to the page sources and point the download button at it.
2. The pages come out with some inline scripts twice (sphinx-thebe's configuration among
   them), which makes the browser throw "Identifier 'THEBE_JS_URL' has already been
   declared" on every page. The duplicates are not in Sphinx's script list, so we remove
   repeated inline one-line scripts from the written HTML.
3. A chapter's "Run time" line is never typed: the role {runtime}`what takes the time`
   becomes "about 15 s on a 2-core CPU (measured in a cold build of the book, two notebooks
   at a time); what takes the time" (`-` for no note).
   The seconds come from `bench/notebook-times.json` (written from a cold
   `scripts/build_book.py` build's jupyter cache by `bench.book_times.notebook_seconds`); a
   chapter that file does not list yet gets the time this build measured, and says so.
   `tests/test_runtime_lines.py` checks that every chapter uses the role and that the
   bench file is not stale.
4. sphinxcontrib-bibtex resolves each citation with `pybtex.plugin.find_plugin(
   "pybtex.backends", "plaintext")`, and pybtex answers from the installed packages' entry
   points, scanning their metadata again every time: 0.85 s for the book's ~200 citations,
   in the build's serial phase. We register that plugin once, through pybtex's public
   `register_plugin`, which `find_plugin` checks first.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from docutils import nodes

BENCH_TIMES = Path(__file__).resolve().parents[1] / "bench" / "notebook-times.json"


class runtime_node(nodes.inline):
    """Placeholder for a chapter's run time, filled in once every notebook has executed."""


def _runtime_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    # A new bench file re-renders the page (its execution stays cached).
    inliner.document.settings.env.note_dependency(str(BENCH_TIMES))
    return [runtime_node(rawtext, "", note=text.strip())], []


def about_seconds(seconds: float) -> int:
    """Round a run time for prose: up to the next 5 s (a reader plans for the longer wait)."""
    return max(5, 5 * math.ceil(seconds / 5))


def _fill_runtimes(app, doctree, docname):
    found = list(doctree.findall(runtime_node))
    if not found:
        return
    bench = json.loads(BENCH_TIMES.read_text()) if BENCH_TIMES.exists() else {}
    seconds = bench.get(f"{docname}.md")
    source = [nodes.Text("measured in a cold build of the book, two notebooks at a time")]
    if seconds is None:
        exec_data = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("exec_data")
        seconds = (exec_data or {}).get("runtime")
        source = [nodes.Text("measured when this book was built")]
    for node in found:
        if seconds is None:
            parts = [nodes.Text("not measured (the notebook did not execute in this build)")]
        else:
            parts = [nodes.Text(f"about {about_seconds(seconds)} s on a 2-core CPU ("),
                     *[n.deepcopy() for n in source], nodes.Text(")")]
        note = node["note"]
        if note and note != "-":
            parts.append(nodes.Text(f"; {note}"))
        node.replace_self(parts)


def _with_cached_outputs(app, pagename, executed: Path) -> None:
    """myst-nb writes `jupyter_execute/*.ipynb` without outputs when it takes a notebook
    from the jupyter cache (it merges them into a copy it renders, not into the notebook it
    writes). Rewrite it from the cache, so the download and the rebuild test see outputs."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache

    source = Path(app.srcdir) / f"{pagename}.md"
    try:
        cache = get_cache(str(Path(app.outdir).parent / ".jupyter_cache"))
        _, merged = cache.merge_match_into_notebook(jupytext.read(source))
    except (KeyError, OSError, ValueError):
        return  # not a notebook, or not executed: keep what myst-nb wrote
    executed.write_text(nbformat.writes(merged), encoding="utf-8")


def _add_ipynb_download(app, pagename, templatename, context, doctree):
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return
    _with_cached_outputs(app, pagename, executed)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _download_with_setup(app, pagename, templatename, context, doctree):
    """After the theme's own copy of the download (priority 501), put the setup cell first."""
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    if context.get("ipynb_source") and target.exists():
        _add_setup_cell(target)


def _add_setup_cell(path: Path) -> None:
    """The download starts with the cell that installs `embedlab` where it is missing
    (the same cell `make notebooks` puts first: scripts/notebooks.py)."""
    import importlib.util

    import nbformat

    spec = importlib.util.spec_from_file_location(
        "embedlab_notebooks", Path(__file__).resolve().parents[1] / "scripts" / "notebooks.py")
    notebooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notebooks)
    nb = notebooks.with_setup(nbformat.read(path, as_version=4), notebooks.repo_url())
    path.write_text(nbformat.writes(nb), encoding="utf-8")


def _dedupe_inline_scripts(app, exception):
    """Drop repeated one-line inline <script> blocks from every written page."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
        seen, kept = set(), []
        for line in lines:
            key = line.strip()
            if key.startswith("<script>") and key.endswith("</script>"):
                if key in seen:
                    continue
                seen.add(key)
            kept.append(line)
        if len(kept) != len(lines):
            page.write_text("".join(kept), encoding="utf-8")


PLOTLY_JS = "plotly.min.js"
EXPLORER_MARKER = 'class="embedlab-explorer"'  # embedlab.explorer.MARKER's <div>


def _plotly_js_source() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


def _add_plotly_js(app, pagename, templatename, context, doctree):
    """Load plotly.js (before the page's inline scripts) on pages with an explorer."""
    if EXPLORER_MARKER not in context.get("body", ""):
        return
    target = Path(app.outdir) / "_static" / PLOTLY_JS
    source = _plotly_js_source()
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    app.add_js_file(PLOTLY_JS)  # in html-page-context: for this page only


NOTEBOOKS_DIR = "notebooks"  # scripts/notebooks.py writes <html>/notebooks/<page>.ipynb


def _colab_to_published_notebook(app, pagename, templatename, context, doctree):
    """Point the Colab button (added by the theme at priority 501) at the published .ipynb."""
    branch = app.config.embedlab_published_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            url = button.get("url", "")
            if button.get("text") == "Colab" and "/blob/" in url:
                head = url.split("/blob/", 1)[0]  # {colab}/github/{org}/{repo}
                button["url"] = f"{head}/blob/{branch}/{NOTEBOOKS_DIR}/{pagename}.ipynb"


def _register_plaintext_backend() -> None:
    import pybtex.plugin

    backend = pybtex.plugin.find_plugin("pybtex.backends", "plaintext")  # the installed one
    pybtex.plugin.register_plugin("pybtex.backends", "plaintext", backend, force=True)


def setup(app):
    _register_plaintext_backend()
    app.add_config_value("embedlab_published_branch", "gh-pages", "html")
    app.connect("html-page-context", _colab_to_published_notebook, priority=600)
    app.connect("html-page-context", _download_with_setup, priority=600)
    app.connect("html-page-context", _add_ipynb_download, priority=400)
    app.connect("html-page-context", _add_plotly_js)
    app.connect("build-finished", _dedupe_inline_scripts)
    app.add_role("runtime", _runtime_role)
    app.add_node(runtime_node)
    app.connect("doctree-resolved", _fill_runtimes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
