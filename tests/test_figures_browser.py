"""Figures a reader can read: every chapter page of the built book in headless Chromium
(Debian's, never a downloaded browser) at a 1280 px desktop and a 390 px phone viewport.

- The smallest text in every figure is displayed at >= 10 CSS px at 1280 px and on a
  390 px phone (where a figure keeps the width that shows its text at 10 px and scrolls
  sideways inside its own box: `_ext/alttext.py` and `_static/custom.css`). A notebook
  figure is a PNG that `embedlab.plots` wrote with its smallest font size (pt) and its dpi
  in the PNG's text chunks; an animation records both on its `div.embedlab-animation`.
  Displayed size = pt x dpi / 72 x displayed width / natural width. A figure without that
  record was not drawn in the book's style and fails (its text size cannot be known).
- No figure, animation or table is wider than the content column, at either width, unless
  its own box scrolls sideways (and that box fits the column); the page itself does not
  scroll sideways, and printed lines wider than the column scroll (or wrap) in their box.
- Every `<img>` of every page has meaningful alt text (not empty, not a file name).
- No page's HTML is over 1.5 MB; the bytes each page transfers (HTML, images, scripts) are
  reported, with the smallest text per page, in `_build/figure-review/figures.json`, and
  screenshots of the figures of two pages are written to `_build/figure-review/after/`.

"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import struct
import threading
import zlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import BUILD, FIRST_FRAMES_SHOWN, LoadAhead, notebook_files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MIN_PX = 10.0
MAX_HTML = 1.5e6  # bytes
VIEWPORTS = {"desktop": 1280, "phone": 390}
SHOT_PAGES = ("the-question", "watching-evolve")
REVIEW = BUILD / "figure-review"
PAGES = [f.removesuffix(".md") for f in notebook_files() if f.startswith("chapters/")]


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt/zTXt/iTXt chunks of a PNG as a dict (empty for anything else)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return {}
    out, i = {}, 8
    while i + 8 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"tEXt":
            k, _, v = body.partition(b"\0")
            out[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"zTXt":
            k, _, v = body.partition(b"\0")
            out[k.decode("latin-1")] = zlib.decompress(v[1:]).decode("latin-1")
        elif kind == b"iTXt":
            k, _, rest = body.partition(b"\0")
            flag, rest = rest[0], rest[2:]
            _, _, rest = rest.partition(b"\0")  # language tag
            _, _, text = rest.partition(b"\0")  # translated keyword
            out[k.decode("latin-1")] = (zlib.decompress(text) if flag else text).decode()
        elif kind == b"IEND":
            break
        i += 12 + n
    return out


def test_png_text_reads_what_matplotlib_writes(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from embedlab.plots import figure_png

    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.set_title("t", fontsize=7)
    data, size = figure_png(fig)
    plt.close(fig)
    meta = png_text(data)
    assert float(meta["embedlab-min-font-pt"]) == 7 and float(meta["embedlab-dpi"]) == 200
    assert size["width"] < 300 and png_text(b"GIF89a") == {}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def html_dir(request):
    """The suite's book build; `FIGURES_HTML=/path/to/_build/html` measures another build
    (e.g. main's, to see this test fail there) without building."""
    other = os.environ.get("FIGURES_HTML")
    if other:
        return Path(other)
    return Path(request.getfixturevalue("built_book")["html"])


@pytest.fixture(scope="module")
def server(html_dir):
    handler = functools.partial(_Quiet, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


MEASURE = """() => {
  const col = document.querySelector("article.bd-article") || document.querySelector("main");
  const c = col.getBoundingClientRect();
  const out = {column: [c.left, c.right], images: [], animations: [], overflow: [],
               pageWidth: document.documentElement.scrollWidth, viewport: innerWidth,
               widePre: 0};
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
  const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const check = el => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && (r.left < c.left - 1 || r.right > c.right + 1))) return;
    // wider than the column is fine inside a box that scrolls and itself fits the column
    for (let p = el.parentElement; p && p !== col; p = p.parentElement) {
      if (scrolls(p)) { check(p); return; }
    }
    out.overflow.push(`${name(el)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  };
  out.alts = Array.from(document.images).map(im => ({
    alt: im.getAttribute("alt"), src: im.getAttribute("src") || im.id}));
  col.querySelectorAll("div.cell_output img, div.output img, img.align-default")
    .forEach(img => {
      if (img.closest(".embedlab-animation")) return;
      const r = img.getBoundingClientRect();
      if (r.width === 0) return;
      out.images.push({src: img.currentSrc || img.src, shown: r.width,
                       natural: img.naturalWidth});
      check(img);
    });
  col.querySelectorAll(".animation").forEach(a => {
    const box = a.closest(".embedlab-animation");
    const img = a.querySelector("img");
    const r = img.getBoundingClientRect();
    out.animations.push({pt: box ? parseFloat(box.dataset.minFontPt) : null,
                         dpi: box ? parseFloat(box.dataset.dpi) : null,
                         shown: r.width, natural: img.naturalWidth});
    check(a); check(img);
    a.querySelectorAll("button, input").forEach(check);
  });
  col.querySelectorAll("table").forEach(check);
  col.querySelectorAll("div.cell_output pre").forEach(p => {
    if (p.scrollWidth > p.clientWidth + 1) out.widePre += 1;
    check(p);
  });
  return out;
}"""


def _served(url: str, html_dir: Path) -> Path:
    """The file of the build that the test server sends for `url`."""
    return html_dir / unquote(urlparse(url).path).lstrip("/")


def _image_bytes(src: str, html_dir: Path) -> bytes:
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    return _served(src, html_dir).read_bytes()


def _start(page, url: str) -> list:
    """Start loading `url` (returns at once); the list collects the (url, status) of the
    page's responses."""
    sent = []
    page.on("response", lambda r: sent.append((r.url, r.status)))
    page.goto(url, wait_until="commit")
    return sent


def _measure(page, sent: list, html_dir: Path) -> dict:
    page.wait_for_load_state("load")
    page.wait_for_function(FIRST_FRAMES_SHOWN, timeout=20_000)  # set by script after load
    m = page.evaluate(MEASURE)
    # the test server sends each file as it is on disk: its size is what was transferred
    # (reading every body back from Chromium cost 3.5 s per viewport)
    transferred = 0
    for url, status in sent:
        served = _served(url, html_dir)
        if status == 200 and served.is_file():
            transferred += served.stat().st_size
    m["transferred"] = transferred
    texts = []
    for im in m["images"]:
        meta = png_text(_image_bytes(im["src"], html_dir))
        if "embedlab-min-font-pt" not in meta:
            texts.append((None, Path(urlparse(im["src"]).path).name[:40]))
            continue
        px = (float(meta["embedlab-min-font-pt"]) * float(meta["embedlab-dpi"]) / 72
              * im["shown"] / im["natural"])
        texts.append((px, Path(urlparse(im["src"]).path).name[:40]))
    for k, a in enumerate(m["animations"]):
        if not a["pt"] or not a["natural"]:
            texts.append((None, f"animation {k}"))
            continue
        texts.append((a["pt"] * a["dpi"] / 72 * a["shown"] / a["natural"], f"animation {k}"))
    m["texts"] = texts
    return m


@pytest.fixture(scope="module")
def measured(browser, server, html_dir):
    """Every chapter page at both widths: {(page, viewport name): measurements}."""
    out = {}
    for vname, width in VIEWPORTS.items():
        ctx = browser.new_context(viewport={"width": width, "height": 900},
                                  device_scale_factor=2 if vname == "phone" else 1)

        def start(name, ctx=ctx):
            page = ctx.new_page()
            return page, _start(page, f"{server}/{name}.html")

        pages = LoadAhead(PAGES, start)  # a few pages load at once
        for name in PAGES:
            page, sent = pages.take(name)
            out[(name, vname)] = _measure(page, sent, html_dir)
            short = name.split("/")[-1]
            if vname == "desktop" and short in SHOT_PAGES:
                shots = REVIEW / "after"
                shots.mkdir(parents=True, exist_ok=True)
                figs = page.locator("article.bd-article div.cell_output img:visible")
                for i in range(figs.count()):
                    figs.nth(i).scroll_into_view_if_needed()
                    figs.nth(i).screenshot(path=str(shots / f"{short}-{i}.png"))
            page.close()
        ctx.close()
    report = {}
    for (name, vname), m in out.items():
        known = [px for px, _ in m["texts"] if px is not None]
        report.setdefault(name, {})[vname] = {
            "html_bytes": (html_dir / f"{name}.html").stat().st_size,
            "transferred_bytes": m["transferred"],
            "smallest_text_px": round(min(known), 1) if known else None,
            "figures_without_font_record": sum(px is None for px, _ in m["texts"]),
            "overflow": m["overflow"],
            "printed_blocks_wider_than_column": m["widePre"],
        }
    REVIEW.mkdir(parents=True, exist_ok=True)
    (REVIEW / "figures.json").write_text(json.dumps(report, indent=1))
    print("\npage                          HTML kB  transferred kB  smallest text px (1280/390)")
    for name, r in report.items():
        d, p = r["desktop"], r["phone"]
        print(f"{name.split('/')[-1]:<28}{d['html_bytes'] / 1e3:>9.0f}"
              f"{d['transferred_bytes'] / 1e3:>16.0f}   {d['smallest_text_px']} / "
              f"{p['smallest_text_px']}")
    return out


def per_page(measured, vname: str, problems) -> dict[str, list[str]]:
    """{page: problems(its measurements at viewport vname)}, pages without problems left
    out."""
    found = {name: problems(m) for (name, v), m in measured.items() if v == vname}
    return {name: p for name, p in found.items() if p}


@pytest.mark.parametrize("vname", list(VIEWPORTS))
def test_figure_text_is_at_least_10_px(measured, vname):
    small = per_page(measured, vname, lambda m: [
        f"{label}: {'no font record' if px is None else f'{px:.1f} px'}"
        for px, label in m["texts"] if px is None or px < MIN_PX])
    assert not small, f"figure text below {MIN_PX} px at {VIEWPORTS[vname]} px: {small}"


def meaningless_alt(alt: str | None, src: str) -> bool:
    """Alt text that says nothing: missing, empty, a file name or path, a generic word."""
    text = (alt or "").strip().lower()
    base = src.rsplit("/", 1)[-1].lower()
    return (len(text) < 4 or text in {"image", "figure", "picture", "plot"}
            or text.rsplit("/", 1)[-1] == base
            or text.endswith((".png", ".svg", ".jpg", ".jpeg", ".gif")))


def test_meaningless_alt():
    src = "../_images/ab12.png"
    assert all(meaningless_alt(a, src) for a in (None, "", "png", src, "ab12.png", "Figure"))
    assert not meaningless_alt("Loss falls for every seed", src)


def test_every_image_has_meaningful_alt_text(measured):
    bad = per_page(measured, "desktop", lambda m: [
        f"{a['src'][:50]}: alt={a['alt']!r}" for a in m["alts"]
        if meaningless_alt(a["alt"], a["src"])])
    assert not bad, f"images without meaningful alt text: {bad}"


@pytest.mark.parametrize("vname", list(VIEWPORTS))
def test_nothing_overflows_the_column(measured, vname):
    def problems(m):
        sideways = (f"page scrolls sideways: {m['pageWidth']} > {m['viewport']} px"
                    if m["pageWidth"] > m["viewport"] + 1 else None)
        return [*m["overflow"], *([sideways] if sideways else [])]

    wide = per_page(measured, vname, problems)
    assert not wide, f"wider than the column at {VIEWPORTS[vname]} px: {wide}"


def test_no_page_is_over_1_5_mb_of_html(measured, html_dir):
    heavy = {n: (html_dir / f"{n}.html").stat().st_size for n in PAGES}
    assert all(b <= MAX_HTML for b in heavy.values()), {
        n: f"{b / 1e6:.2f} MB" for n, b in heavy.items() if b > MAX_HTML}
