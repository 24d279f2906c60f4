"""Open every built page in headless Chromium (Debian's, never a downloaded browser).

Fails on JavaScript errors, on broken images, and on local resources that fail to load;
steps each time-lapse animation and checks that the frame changes. External resources
(a CDN a reader online would reach) cannot load here and are reported, not failed.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from urllib.parse import urljoin

import pytest

from conftest import notebook_files, toc_files

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


@pytest.fixture(scope="module")
def server(built_book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book["html"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
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
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return page, problems, external


@pytest.mark.parametrize("f", toc_files())
def test_page_loads_without_errors_or_broken_images(browser, server, f):
    page, problems, external = _open(browser, f"{server}/{f}.html")
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))"
    )
    page.close()
    if external:
        print(f"\n{f}: external resources not reachable offline: {len(external)}")
    assert problems == []
    assert broken == []


@pytest.mark.parametrize("f", toc_files())
def test_animations_step_to_a_new_frame(browser, server, f):
    page, problems, _ = _open(browser, f"{server}/{f}.html")
    anims = page.locator("img[id^='_anim_img']")
    for i in range(anims.count()):
        img = anims.nth(i)
        anim_id = img.get_attribute("id").removeprefix("_anim_img")
        before = img.get_attribute("src")
        img.scroll_into_view_if_needed()
        page.locator(f"button[onclick*='anim{anim_id}.next_frame']").click()
        page.wait_for_timeout(100)
        after = img.get_attribute("src")
        assert after and after != before, f"animation {i} on {f} did not change frame"
        slider = page.locator(f"#_anim_slider{anim_id}")
        assert slider.input_value() == "1"
    page.close()
    assert problems == []


@pytest.mark.parametrize("f", notebook_files())
def test_ipynb_download_and_solution_dropdowns(browser, server, f):
    """Every chapter offers its executed notebook; solutions open when clicked."""
    page, problems, _ = _open(browser, f"{server}/{f.removesuffix('.md')}.html")
    link = page.locator("a[href$='.ipynb']")
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
    page.close()
    assert problems == []
