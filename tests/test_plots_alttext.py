"""The book's Sphinx extension `_ext/alttext.py` on a hand-made doctree: every image gets
meaningful alt text (explicit alt, else the figure's caption, else the title `embedlab.plots`
wrote into the PNG), and a figure PNG that records its smallest font gets a minimum width at
which that text is shown at >= 10 CSS px (a phone scrolls it sideways inside its box)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from docutils import nodes  # noqa: E402
from docutils.frontend import get_default_settings  # noqa: E402
from docutils.parsers.rst import Parser  # noqa: E402
from docutils.utils import new_document  # noqa: E402

from embedlab.plots import figure_png  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import alttext  # noqa: E402


def _png(folder: Path, name: str, title: str, fontsize: float = 9.0) -> tuple[str, int]:
    fig, ax = plt.subplots(figsize=(6.9, 3), dpi=100)
    ax.plot([0, 1], [0, 1])
    ax.set_title(title)
    ax.tick_params(labelsize=fontsize)
    data, _ = figure_png(fig)
    plt.close(fig)
    (folder / name).write_bytes(data)
    return name, int.from_bytes(data[16:20], "big")


def _doc():
    return new_document("test", get_default_settings(Parser))


def _image(uri: str, **kw) -> nodes.image:
    return nodes.image(uri=uri, candidates={"*": uri}, **kw)


def test_alt_comes_from_the_png_title_and_width_keeps_10_px_text(tmp_path):
    name, natural = _png(tmp_path, "a.png", "Loss falls for every seed", fontsize=8)
    doc = _doc()
    img = _image(name)
    doc += nodes.container("", img)
    assert alttext.process(doc, tmp_path) == []
    assert img["alt"] == "Loss falls for every seed"
    low = 10 * 72 * natural / (8 * 200)  # 10 px = pt x dpi / 72 x shown / natural
    assert img["width"] == f"min({natural}px, max(100%, {int(low) + 1}px))"
    assert {"embedlab-legible", "no-scaled-link"} <= set(img["classes"])


def test_myst_nb_display_size_is_replaced(tmp_path):
    # myst-nb gives an output image the display size from figure_png's metadata as bare
    # numbers ("669", "289"), half the 2x PNG; the build showed them unchanged before
    name, natural = _png(tmp_path, "m.png", "A figure at myst-nb's size", fontsize=8)
    doc = _doc()
    img = _image(name, width=str(natural // 2), height="100")
    doc += nodes.container("", img)
    alttext.process(doc, tmp_path)
    assert img["width"].startswith("min(") and "height" not in img
    assert "embedlab-legible" in img["classes"]
    other = _image(name, width="300")  # an author's own width is kept
    doc += nodes.container("", other)
    alttext.process(doc, tmp_path)
    assert other["width"] == "300"


def test_caption_and_explicit_alt_win_and_missing_alt_is_reported(tmp_path):
    name, _ = _png(tmp_path, "b.png", "Title in the PNG")
    doc = _doc()
    explicit = _image(name, alt="Written by the author")
    captioned = _image(name)
    fig = nodes.figure("", captioned, nodes.caption("", "Neighbours before and after"))
    filename_alt = _image(name, alt=name)  # what docutils falls back to: not meaningful
    (tmp_path / "plain.png").write_bytes((tmp_path / name).read_bytes()[:8])  # no record
    plain = _image("plain.png")
    doc += [nodes.paragraph("", "", explicit), fig, nodes.paragraph("", "", filename_alt),
            nodes.paragraph("", "", plain)]
    problems = alttext.process(doc, tmp_path)
    assert explicit["alt"] == "Written by the author"
    assert captioned["alt"] == "Neighbours before and after"
    assert filename_alt["alt"] == "Title in the PNG"
    assert problems == ["plain.png"] and "alt" not in plain and "width" not in plain


@pytest.mark.parametrize("alt, trivial", [
    ("", True), ("png", True), ("../_images/ab12.png", True), ("figure", True),
    ("ab12.png", True), ("Loss over training", False), ("t-SNE of 40 words", False)])
def test_trivial_alt(alt, trivial):
    assert alttext.trivial_alt(alt, "../_images/ab12.png") is trivial
