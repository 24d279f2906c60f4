"""Open every built page in headless Chromium (Debian's, never a downloaded browser).

Fails on JavaScript errors, on broken images, and on local resources that fail to load;
requires an animation on every page whose code calls `embedlab.plots.animation_html`, and
steps each one through every frame, checking that each frame shows a new image. External resources
(a CDN a reader online would reach) cannot load here and are reported, not failed.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from urllib.parse import urljoin

import jupytext
import pytest

from conftest import FIRST_FRAMES_SHOWN, ROOT, LoadAhead, notebook_files, toc_files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory, files: dict[str, str] | None = None):
    """Serve `directory` (after writing `files` into it) on a free loopback port."""
    for name, text in (files or {}).items():
        (directory / name).write_text(text)
    handler = functools.partial(_Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server(built_book):
    httpd, url = _serve(built_book["html"])
    yield url
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser, url):
    return _finish(*_start(browser, url))


def _start(browser, url):
    """A new page that starts loading `url` (returns at once), with its problem lists."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, external = [], []
    origin = url.split("/", 3)[:3]

    def on_console(msg):
        # pydata-sphinx-theme reports a first visit (no colour mode stored yet) as an error.
        if msg.type == "error" and "invalid theme mode" not in msg.text:
            (
                external if "ERR_" in msg.text or "net::" in msg.text else problems
            ).append(f"console: {msg.text}")

    def on_failed(req):
        local = req.url.split("/", 3)[:3] == origin
        (problems if local else external).append(f"failed: {req.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", on_failed)
    page.route(lambda u: not u.startswith("http://127.0.0.1"), lambda r: r.abort())
    page.goto(url, wait_until="commit")
    return page, problems, external


def _finish(page, problems, external):
    """Wait until the page has loaded and its animations show their first frames."""
    page.wait_for_load_state("load")
    # an animation shows its first frame from a script that runs after "load"; the
    # timeout only bounds a hang (two xdist workers share the cores with Chromium)
    page.wait_for_function(FIRST_FRAMES_SHOWN, timeout=20_000)
    page.wait_for_timeout(50)  # an error thrown by that script has reached the listener
    return page, problems, external


@pytest.fixture(scope="module")
def loader(browser, server):
    """take(f): page f of the toc, loaded; the next pages start loading meanwhile (the
    tests take the pages in toc order)."""
    pages = LoadAhead(toc_files(), lambda f: _start(browser, f"{server}/{f}.html"))
    yield lambda f: _finish(*pages.take(f))
    for page, _, _ in pages.loading.values():
        page.close()


@pytest.fixture(scope="module", params=toc_files())
def opened(request, loader):
    """(page name, the page, its problems, unreachable external resources): each page is
    loaded once for all the tests below that take it (pytest runs them page by page)."""
    f = request.param
    page, problems, external = loader(f)
    yield f, page, problems, external
    page.close()


def test_page_loads_without_errors_or_broken_images(opened):
    f, page, problems, external = opened
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))"
    )
    if external:
        print(f"\n{f}: external resources not reachable offline: {len(external)}")
    assert problems == []
    assert broken == []


_ANIMATION_CALL = re.compile(r"(?<![\w.])animation_html\(")


def promised_animations(f: str) -> int:
    """How many animations a page promises: the calls of the package's animation helper
    (`embedlab.plots.animation_html`) in its code cells (imports are not calls)."""
    p = ROOT / f"{f}.md"
    if not p.exists() or f"{f}.md" not in notebook_files():
        return 0
    nb = jupytext.read(p)
    return sum(len(_ANIMATION_CALL.findall(c.source)) for c in nb.cells
               if c.cell_type == "code")


def test_promised_animations_are_counted_from_calls_only():
    pages = {f: promised_animations(f) for f in toc_files()}
    assert sum(pages.values()) >= 1, "no page calls animation_html: is the name right?"
    assert all(n == 0 for f, n in pages.items() if f"{f}.md" not in notebook_files())


def step_through(page, anim_id: str) -> list[str]:
    """Click "next frame" until the slider's last frame; return the problems seen."""
    img = page.locator(f"#_anim_img{anim_id}")
    slider = page.locator(f"#_anim_slider{anim_id}")
    last = int(slider.get_attribute("max"))
    problems = []
    if last < 1:
        return [f"animation {anim_id} has {last + 1} frame"]
    img.scroll_into_view_if_needed()
    seen = [img.get_attribute("src")]
    for k in range(1, last + 1):
        page.locator(f"button[onclick*='anim{anim_id}.next_frame']").click()
        page.wait_for_function(
            "([id, k]) => document.getElementById('_anim_slider' + id).value == k",
            arg=[anim_id, str(k)], timeout=10_000)
        src = img.get_attribute("src")
        if not src or src == seen[-1]:
            problems.append(f"animation {anim_id}: frame {k} shows the same image "
                            f"as frame {k - 1}")
        seen.append(src)
    if len(set(seen)) != len(seen):
        problems.append(f"animation {anim_id}: some of its {len(seen)} frames repeat")
    return problems


def test_animations_are_there_and_step_through_every_frame(opened):
    f, page, problems, _ = opened
    anims = page.locator("img[id^='_anim_img']")
    ids = [anims.nth(i).get_attribute("id").removeprefix("_anim_img")
           for i in range(anims.count())]
    promised = promised_animations(f)
    assert len(ids) >= promised, (
        f"{f} calls animation_html {promised} time(s) but shows {len(ids)} animation(s)")
    for anim_id in ids:
        problems += step_through(page, anim_id)
    assert problems == []


def test_the_animation_test_fails_without_an_animation(browser, tmp_path):
    """A page with no animation fails the promise; a real time-lapse steps through all
    its frames; a time-lapse whose frames repeat is reported."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    from embedlab.plots import animation_html

    def page_with(n_frames, repeat=False):
        fig, ax = plt.subplots(figsize=(2, 2))
        (line,) = ax.plot([0, 1], [0, 0])
        anim = FuncAnimation(fig, lambda k: line.set_ydata([0, 0 if repeat else k]),
                             frames=n_frames)
        html = animation_html(anim)
        plt.close(fig)
        return f"<html><body>{html}</body></html>"

    httpd, url = _serve(tmp_path, {"anim.html": page_with(4), "none.html": "<p>no</p>",
                                   "same.html": page_with(3, repeat=True)})
    try:
        page, _, _ = _open(browser, f"{url}/anim.html")
        anims = page.locator("img[id^='_anim_img']")
        assert anims.count() == 1
        anim_id = anims.first.get_attribute("id").removeprefix("_anim_img")
        assert step_through(page, anim_id) == []
        assert page.locator(f"#_anim_slider{anim_id}").input_value() == "3"
        page.close()
        page, _, _ = _open(browser, f"{url}/same.html")
        anim_id = page.locator("img[id^='_anim_img']").first.get_attribute(
            "id").removeprefix("_anim_img")
        assert any("same image" in p for p in step_through(page, anim_id))
        page.close()
        page, _, _ = _open(browser, f"{url}/none.html")
        assert page.locator("img[id^='_anim_img']").count() == 0  # promised 1: fails
        page.close()
    finally:
        httpd.shutdown()


def test_ipynb_download_and_solution_dropdowns(opened):
    """Every chapter offers its executed notebook, and a page that is not a notebook
    (the introduction, glossary, bibliography) offers none; solutions open when clicked."""
    f, page, problems, _ = opened
    link = page.locator("a[href$='.ipynb']:not([href^='http'])")  # not the Colab button
    if f"{f}.md" not in notebook_files():
        assert link.count() == 0, f"{f} is not a notebook but offers a .ipynb download"
        return
    assert link.count() >= 1, f"{f} offers no .ipynb download"
    href = link.first.get_attribute("href")
    nb = json.loads(page.request.get(urljoin(page.url, href)).text())
    assert nb["nbformat"] == 4
    assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    solutions = page.locator(".solution.dropdown")
    for i in range(solutions.count()):
        sol = solutions.nth(i)
        body = sol.locator(":scope > :not(.admonition-title)").first
        sol.scroll_into_view_if_needed()
        assert not body.is_visible(), f"solution {i} on {f} is open before a click"
        sol.locator("button.toggle-button").first.click()  # the title also holds a link
        page.wait_for_timeout(100)
        assert body.is_visible(), f"solution {i} on {f} did not open"
    assert problems == []
