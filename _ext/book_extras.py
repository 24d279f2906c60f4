"""Two small fixes to the rendered pages, as a local Sphinx extension.

1. Every chapter is a MyST text notebook; the theme offers a `.ipynb` download only when
   something sets `ipynb_source`. We copy the notebook that myst-nb executed during the build
   (outputs included) next to the page sources and point the download button at it.
2. The pages come out with some inline scripts twice (sphinx-thebe's configuration among
   them), which makes the browser throw "Identifier 'THEBE_JS_URL' has already been
   declared" on every page. The duplicates are not in Sphinx's script list, so we remove
   repeated inline one-line scripts from the written HTML.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def _add_ipynb_download(app, pagename, templatename, context, doctree):
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


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


def setup(app):
    app.connect("html-page-context", _add_ipynb_download, priority=400)
    app.connect("build-finished", _dedupe_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
