"""The book's explorers work for a reader with no kernel and no network.

Every page whose code makes an `embedlab.explorer.Explorer` is opened in headless Chromium
(Debian's, never a downloaded browser) from `file://`, with every non-file request aborted.
On each explorer: plotly.js came from the book's own `_static`; moving the slider (a click on
its rail) moves the points and shows the last step's name; hovering a point shows that
point's word and category; a click on a legend entry hides its category; the explorer has
an accessible label. A small page built here
checks that the checks fail when plotly.js is missing or the slider moves nothing.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import jupytext
import numpy as np
import pytest

from conftest import ROOT, notebook_files, toc_files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_EXPLORER_CALL = re.compile(r"(?<![\w.])Explorer\(")


def promised_explorers(f: str) -> int:
    """How many explorers a page's code cells make (calls of `Explorer(`)."""
    if f"{f}.md" not in notebook_files():
        return 0
    nb = jupytext.read(ROOT / f"{f}.md")
    return sum(len(_EXPLORER_CALL.findall(c.source)) for c in nb.cells
               if c.cell_type == "code")


EXPLORER_PAGES = [f for f in toc_files() if promised_explorers(f)]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def open_offline(browser, path: Path):
    """Open a local file with the network blocked; return (page, errors, blocked URLs)."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors, blocked = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    return page, errors, blocked


def _until(page, condition, timeout_s: float = 10.0) -> bool:
    """Poll `condition()` every 50 ms until it holds (True) or `timeout_s` passes (False):
    each check waits only as long as the page needs, not a fixed guess (the timeout only
    bounds a page that never gets there: the cores are shared with another xdist worker)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(50)
    return True


def _points(explorer) -> list[str]:
    """The positions of the first panel's points, as drawn (SVG transforms)."""
    return explorer.evaluate(
        "e => Array.from(e.querySelectorAll('.subplot.xy .scatterlayer path.point'))"
        ".map(p => p.getAttribute('transform'))")


def check_explorer(page, explorer) -> list[str]:
    """Move the slider to its end and hover an isolated point; return the problems seen."""
    problems = []
    explorer.scroll_into_view_if_needed()
    if not (explorer.get_attribute("aria-label") or "").strip():
        problems.append("no aria-label")
    plot = explorer.locator(".js-plotly-plot")
    if plot.count() != 1 or not _points(explorer):
        return [*problems, "no plot was drawn (is plotly.js loaded?)"]
    frames = plot.evaluate("g => (g._transitionData._frames || []).map(f => f.name)")
    if frames:
        before = _points(explorer)
        rail = explorer.locator(".slider-rail-rect").first.bounding_box()
        page.mouse.click(rail["x"] + rail["width"] - 1, rail["y"] + rail["height"] / 2)
        label = explorer.locator(".slider-group > text.slider-label").first
        if not _until(page, lambda: frames[-1] in (label.text_content() or "")):
            problems.append(f"the slider shows {label.text_content()!r}, not the last "
                            f"frame {frames[-1]!r}")
        # the slider's steps redraw at once (no transition): 4 s is ample on a busy machine
        if not _until(page, lambda: _points(explorer) != before, timeout_s=4):
            problems.append("moving the slider did not move the points")
    # hover the point farthest from every other point of the panel, so that it wins
    boxes = explorer.locator(".subplot.xy .scatterlayer path.point")
    centres = np.array([[b["x"] + b["width"] / 2, b["y"] + b["height"] / 2]
                        for b in (boxes.nth(i).bounding_box() for i in range(boxes.count()))])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    k = int(gaps.min(axis=1).argmax())
    word, category = plot.evaluate(
        """(g, k) => { let n = 0;
             for (const t of g.data) {
               if ((t.xaxis || 'x') !== 'x') continue;
               if (k < n + t.customdata.length) return t.customdata[k - n].slice(0, 2);
               n += t.customdata.length; } }""", k)
    page.mouse.move(*centres[k])
    layer = explorer.locator(".hoverlayer")
    _until(page, lambda: word in (layer.text_content() or ""))
    hover = layer.text_content() or ""
    if word not in hover or category not in hover:
        problems.append(f"hovering {word!r} showed {hover!r}")
    page.mouse.move(0, 0)
    # a click on the first legend entry hides that category's points, a second shows them
    n = len(_points(explorer))
    entry = explorer.locator(".legend .traces .legendtoggle").first
    entry.click()  # plotly waits out a possible double click (300 ms) before it acts
    _until(page, lambda: len(_points(explorer)) < n)
    hidden = len(_points(explorer))
    page.wait_for_timeout(100)  # hidden after the 300 ms: the next click is a new one
    entry.click()
    _until(page, lambda: len(_points(explorer)) == n)
    if not hidden < n == len(_points(explorer)):
        problems.append(f"legend toggle: {n} points -> {hidden} -> {len(_points(explorer))}")
    return problems


def test_some_pages_promise_explorers():
    assert len(EXPLORER_PAGES) >= 3, EXPLORER_PAGES


@pytest.mark.parametrize("f", EXPLORER_PAGES)
def test_explorer_slider_moves_points_and_hover_shows_the_word(browser, built_book, f):
    page, errors, blocked = open_offline(browser, built_book["html"] / f"{f}.html")
    assert page.evaluate("typeof window.Plotly") == "object", "plotly.js did not load"
    src = page.evaluate("Array.from(document.scripts).map(s => s.src)"
                        ".filter(s => s.includes('plotly'))")
    assert src and all(s.startswith("file:") and "/_static/plotly" in s for s in src)
    explorers = page.locator(".embedlab-explorer")
    assert explorers.count() >= promised_explorers(f)
    problems = [p for i in range(explorers.count())
                for p in check_explorer(page, explorers.nth(i))]
    page.close()
    assert errors == [] and problems == []


def test_the_checks_fail_without_plotly_or_without_frames(browser, tmp_path):
    """A page made here: with plotly.js it passes; without it, or with frames that do not
    move, the checks report the problem."""
    import plotly

    from embedlab.explorer import Explorer, explorer_data, explorer_figure

    words = [f"w{i}" for i in range(8)]
    labels = ["a"] * 4 + ["b"] * 4
    rng = np.random.default_rng(0)
    tables = [rng.normal(size=(8, 4)) for _ in range(3)]
    moving = {"PCA": [t[:, :2] for t in tables]}
    still = {"PCA": [tables[0][:, :2]] * 3}
    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copyfile(js, tmp_path / "plotly.min.js")
    for name, views, script in [("good", moving, True), ("nojs", moving, False),
                                ("still", still, True)]:
        ex = Explorer(explorer_figure(explorer_data(tables, words, labels, [0, 5, 9],
                                                    views), "test"), "eight words")
        head = '<script src="plotly.min.js"></script>' if script else ""
        (tmp_path / f"{name}.html").write_text(
            f"<html><head>{head}</head><body>{ex.html}</body></html>")

    def problems(name):
        page, errors, _ = open_offline(browser, tmp_path / f"{name}.html")
        out = check_explorer(page, page.locator(".embedlab-explorer").first)
        page.close()
        return out, errors

    assert problems("good") == ([], [])
    found, errors = problems("nojs")
    assert any("no plot" in p for p in found) and any("Plotly" in e for e in errors)
    found, _ = problems("still")
    assert found == ["moving the slider did not move the points"]
