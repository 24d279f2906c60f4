"""The book's figure style: palette, marker shapes, sizes for the content column, fonts,
and how a notebook shows a figure (a 2x PNG that records what the browser test and the
Sphinx extension `_ext/alttext.py` need to know about it).

Figures are sized for the 688 px content column (6.9 in at 100 dpi), with fonts of at least
`MIN_FONT_PT` (9 pt is 12.5 CSS px at that size). Notebook figures are shown as 2x PNGs
(sharp on high-resolution screens) whose text chunks record
- `embedlab-min-font-pt` and `embedlab-dpi`: the smallest font size and the PNG's dpi, so
  the displayed size of the smallest text can be computed (and a phone can keep it >= 10 px);
- `embedlab-title`: the figure's titles (suptitle, then each axes' title), which the book
  uses as the image's alt text.

What it does not do: draw any particular figure (see `embedlab.plots`) or place labels
(`embedlab.labels`).
"""

from __future__ import annotations

import base64
import io
import math
import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text

# Okabe & Ito (2008), colour-blind safe; grey for "no category".
# The strongest six first: the pale yellow is hard to see as a small marker on white.
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#F0E442",
    "#000000",
)
GREY = "#999999"
# A shape per category too, in the same order as the colours: hue alone fails readers
# with a colour-vision deficiency (under deuteranopia two of the hues look alike).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
FUNCTION_MARKER = "."

COLUMN_IN = 6.9  # the content column: 688 CSS px at the figures' 100 dpi
DPI = 100
MIN_FONT_PT = 9.0  # 9 pt at 100 dpi = 12.5 px; still >= 10 px at 80 % of the column
BOOK_RC = {
    "figure.figsize": (COLUMN_IN, 3.6),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 11,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
}


def smallest_font_pt(fig) -> float:
    """The smallest font size (points) of any visible, non-empty text in `fig`."""
    fig.draw_without_rendering()  # creates tick labels with their final text
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())
    ]
    return float(min(sizes)) if sizes else float("inf")


def fit_titles(fig) -> bool:
    """Wrap every axes title wider than its axes (and a suptitle wider than the figure)
    onto more lines; True if any changed. Call after a draw (positions must be known)."""
    renderer = fig.canvas.get_renderer()
    changed = False
    pairs = [(t, ax.get_window_extent(renderer).width) for ax in fig.axes
             for t in (ax.title, ax._left_title, ax._right_title)]
    if fig._suptitle is not None:
        pairs.append((fig._suptitle, fig.bbox.width))
    for t, room in pairs:
        text = t.get_text()
        width = t.get_window_extent(renderer).width if text.strip() else 0
        if width > 1.02 * room:
            longest = max(len(line) for line in text.split("\n"))
            chars = max(10, int(longest * room / width * 0.95))
            t.set_text("\n".join(textwrap.fill(line, chars) for line in text.split("\n")))
            changed = True
    return changed


def legible_width(natural_px: float, pt: float, dpi: float, min_px: float = 10.0) -> int:
    """The displayed width (CSS px, a whole number just above the bound) at which an image
    `natural_px` pixels wide, whose smallest text is `pt` points drawn at `dpi`, shows that
    text at `min_px` CSS px: displayed text = pt x dpi / 72 x shown / natural."""
    return math.floor(min_px * 72 * natural_px / (pt * dpi)) + 1


def figure_title(fig) -> str:
    """What the figure says it shows, for its alt text: the suptitle, then each axes'
    title (one line each, joined by "; ", repeats dropped); a figure without titles is
    described by its first axis labels ("y against x"); "" if it has neither."""
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        if ax.get_visible():
            texts += [ax._left_title, ax.title, ax._right_title]
    parts = []
    for t in texts:
        line = " ".join(t.get_text().split())
        if line and line not in parts:
            parts.append(line)
    if parts:
        return "; ".join(parts)
    for ax in fig.axes:
        x, y = ax.get_xlabel().strip(), ax.get_ylabel().strip()
        if x and y:
            return f"{' '.join(y.split())} against {' '.join(x.split())}"
    return ""


def figure_png(fig, scale: int = 2) -> tuple[bytes, dict]:
    """`fig` as a PNG at `scale` x its dpi, with its smallest font (pt), the PNG's dpi and
    its title (`figure_title`, the alt text) in the PNG's text chunks; returns (bytes,
    display metadata with the CSS width/height). Titles too wide for their axes are
    wrapped first (`fit_titles`), and the layout redone unless the figure has a
    figure-level legend (whose room the caller chose)."""
    pt = smallest_font_pt(fig)  # draws, so extents are known
    engine = fig.get_layout_engine()
    constrained = engine is not None and type(engine).__name__.startswith("Constrained")
    if fit_titles(fig) and not constrained and not fig.legends:
        fig.tight_layout()
    dpi = fig.dpi * scale
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"embedlab-min-font-pt": f"{pt:.2f}", "embedlab-dpi": f"{dpi:g}",
                          "embedlab-title": figure_title(fig)})
    data = buf.getvalue()
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return data, {"width": w // scale, "height": h // scale}


def _png_formatter(fig):
    if not fig.axes and not fig.texts:
        return None
    data, size = figure_png(fig)
    return base64.b64encode(data).decode("ascii"), size


def use_book_style() -> None:
    """Set the book's rcParams and, inside IPython, show figures as 2x PNGs that carry
    their smallest font size (see `figure_png`)."""
    plt.rcParams.update(BOOK_RC)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: rcParams only
        return
    ip = get_ipython()
    if ip is None:
        return
    if "inline" in str(mpl.get_backend(auto_select=False)):
        # importing the backend registers its own formatters: do it now, not later over ours
        import matplotlib_inline.backend_inline  # noqa: F401
    formatters = ip.display_formatter.formatters
    formatters["image/png"].for_type(Figure, _png_formatter)
    for mime in ("image/svg+xml", "application/pdf", "image/jpeg"):
        formatters[mime].pop(Figure, None)

