"""JupyterLab opens a chapter as a notebook with rendered MyST, given the install step's setting.

`make lab-config` (run by the Makefile's install step) writes Jupytext's default-viewer
setting into the environment's labconfig. Here it writes into a temporary Jupyter config
folder, JupyterLab starts on loopback with that folder, and headless Chromium (Debian's,
network blocked) opens a chapter by its URL: it must be a notebook whose markdown is
rendered (a heading, no raw MyST roles). Without the setting the same URL opens the text
editor, so the check can fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BIN = Path(sys.executable).parent
CHAPTER = "chapters/the-question.md"
RENDERED = """d => Array.from(d.querySelectorAll('.jp-NotebookPanel .jp-MarkdownCell'))
    .filter(c => { const e = c.querySelector('.jp-InputArea-editor');
                   return e && getComputedStyle(e).display === 'none'; })
    .map(c => c.innerText)"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_in_lab(tmp: Path, config_dir: Path, root: Path = ROOT, chapter: str = CHAPTER,
                then=None) -> dict:
    """Start JupyterLab with `config_dir`, open `chapter`, report what the page shows
    (and what `then(page)`, run once the notebook is open, returns: out["then"])."""
    sync_api = pytest.importorskip("playwright.sync_api")
    port, token = _free_port(), "embedlab-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir), HOME=str(tmp / "home"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_DATA_DIR=str(tmp / "data"),
               PYTHONPATH=os.pathsep.join([str(ROOT / "code"), os.environ.get("PYTHONPATH", "")]))
    # a learner's Lab: never the book build's switch that runs solutions (an earlier test in
    # the same pytest process may have set it: the Sphinx extension and bench.profile do)
    env.pop("EMBEDLAB_RUN_SOLUTIONS", None)
    with open(tmp / "lab.log", "w") as log:
        lab = subprocess.Popen(
            [BIN / "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
             "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp, for `then`
            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or lab.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text())
                time.sleep(0.5)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                       else r.abort())
            page.goto(f"{base}/lab/tree/{chapter}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel, .jp-FileEditor", timeout=90_000)
            page.wait_for_timeout(1500)
            notebook = page.locator(".jp-NotebookPanel")
            out = {"notebook": notebook.count() > 0,
                   "editor": page.locator(".jp-FileEditor").count() > 0}
            if out["notebook"]:
                out["h1"] = notebook.locator(".jp-MarkdownCell h1").first.text_content()
                # markdown cells render when scrolled into view, one by one: wait for
                # a few, then read the rendered ones (a rendered cell hides its editor)
                try:
                    page.wait_for_function(f"() => ({RENDERED})(document).length >= 3",
                                           timeout=60_000)
                except sync_api.TimeoutError:
                    pass  # reported by the count below
                texts = page.evaluate(f"({RENDERED})(document)")
                out["rendered"] = len(texts)
                out["text"] = "\n".join(texts)
                out["code_cells"] = notebook.locator(".jp-CodeCell").count()
                if then is not None:
                    out["then"] = then(page)
            browser.close()
        return out
    finally:
        lab.terminate()
        try:
            lab.wait(20)
        except subprocess.TimeoutExpired:
            lab.kill()


def test_a_chapter_opens_as_a_notebook_with_rendered_myst(tmp_path):
    config = tmp_path / "config"
    settings = config / "labconfig" / "default_setting_overrides.json"
    subprocess.run(["make", "-s", "-C", str(ROOT), "lab-config", f"BIN={BIN}",
                    f"LABCONFIG={settings}"], check=True, capture_output=True)
    assert "Jupytext Notebook" in settings.read_text()
    shown = open_in_lab(tmp_path, config)
    assert shown["notebook"] and not shown["editor"]
    assert shown["h1"].strip().startswith("The question")
    assert shown["code_cells"] >= 1  # JupyterLab renders only the cells in view
    assert shown["rendered"] >= 3
    for raw in ("{doc}", "{term}", "{runtime}", "{glue:text}"):
        assert raw not in shown["text"], f"MyST role shown raw: {raw}"


def test_without_the_setting_the_chapter_opens_as_text(tmp_path):
    # the negative control: the same URL opens the text editor when no config sets the
    # viewer. The install step writes the setting into the environment (sys.prefix), which
    # every Lab started from it reads and a user's config cannot unset, so there the
    # control cannot be run (it was run in an environment without the setting)
    env_settings = Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / (
        "default_setting_overrides.json")
    if env_settings.exists() and "Jupytext Notebook" in env_settings.read_text():
        pytest.skip("this environment carries the Jupytext viewer setting (make lab-config)")
    shown = open_in_lab(tmp_path, tmp_path / "empty-config")
    assert shown["editor"] and not shown["notebook"]


CELLS = """() => jupyterapp.shell.currentWidget.content.widgets.map(w => ({
    type: w.model.type, source: w.model.sharedModel.getSource(),
    inputHidden: w.inputHidden, outputHidden: w.outputHidden,
    count: w.model.type === 'code' ? w.model.executionCount : null,
    outputs: w.model.type === 'code' ? w.model.outputs.toJSON() : []}))"""
DONE = """() => { const c = jupyterapp.shell.currentWidget.content.widgets
    .filter(w => w.model.type === 'code');
    return c.length > 0 && c.every(w => w.model.executionCount !== null); }"""


def test_solutions_are_collapsed_and_run_all_skips_them(tmp_path):
    """A chapter marked by scripts/mark_solutions.py, opened in JupyterLab: every cell of
    a solution is collapsed; "Run All" runs the chapter and no solution body."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "mark_solutions", ROOT / "scripts" / "mark_solutions.py")
    marker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(marker)
    from embedlab.notebook_view import SKIPPED

    name = "lookup-table.md"  # cheap to run, no repository files read
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    marked = root / "chapters" / name
    marked.write_text((ROOT / "chapters" / name).read_text())
    marker.mark_file(marked)
    config = tmp_path / "config"
    settings = config / "labconfig" / "default_setting_overrides.json"
    subprocess.run(["make", "-s", "-C", str(ROOT), "lab-config", f"BIN={BIN}",
                    f"LABCONFIG={settings}"], check=True, capture_output=True)

    def run_all(page):
        before = page.evaluate(CELLS)
        page.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(DONE, timeout=300_000, polling=1000)
        page.wait_for_timeout(1000)
        return before, page.evaluate(CELLS)

    shown = open_in_lab(tmp_path, config, root=root, chapter=f"chapters/{name}", then=run_all)
    assert shown["notebook"]
    before, after = shown["then"]
    import jupytext

    flags = marker.solution_flags(jupytext.read(marked))
    assert len(flags) == len(before) == len(after)
    solution = [i for i, f in enumerate(flags) if True in f]
    assert len(solution) >= 5
    for i in solution:  # collapsed before the learner asks: the prose and the code
        assert before[i]["inputHidden"], before[i]["source"][:60]
        if before[i]["type"] == "code":
            assert before[i]["outputHidden"]
            assert before[i]["source"].startswith("%%solution")
            texts = [o.get("text", "") for o in after[i]["outputs"]]
            assert texts == [SKIPPED + "\n"], texts  # Run All did not run the body
    visible = [c for i, c in enumerate(before) if i not in solution]
    assert not any(c["inputHidden"] for c in visible)
    errors = [o for c in after for o in c["outputs"] if o.get("output_type") == "error"]
    assert errors == []
    ran = [c for i, c in enumerate(after) if i not in solution and c["type"] == "code"]
    assert sum(bool(c["outputs"]) for c in ran) >= 3
