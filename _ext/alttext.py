"""Alt text and phone-legible widths for the book's images, as a local Sphinx extension.

myst-nb writes a notebook's matplotlib output as an image with no alt text (docutils then
uses the file name). `embedlab.plots` records in each figure's PNG its title
(`embedlab-title`), its smallest font (`embedlab-min-font-pt`) and its dpi. For every image
of a page (on `doctree-resolved`):

1. alt text: an explicit, meaningful `alt` is kept; otherwise the caption of the figure the
   image sits in; otherwise the PNG's recorded title. An image left without one is a
   warning (the book builds with warnings as errors).
2. width: a PNG with a font record gets `width: min(natural, max(100%, L))`, where L is
   the width at which its smallest text shows at 10 CSS px; `_static/custom.css` lets the
   image exceed the column only down to L and makes its box scroll sideways, so a phone
   never shows figure text below 10 px and the page itself never widens.

What it does not do: write or judge the alt text's content (that is the figure's title),
or touch images that are not files (data URIs, animations: `embedlab.plots.animation_html`
gives those their alt text and minimum width itself).
"""

from __future__ import annotations

import math
import posixpath
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)
MIN_PX = 10.0
TRIVIAL = {"png", "image", "img", "figure", "fig", "svg", "jpg", "picture", "plot"}


def trivial_alt(alt: str | None, uri: str) -> bool:
    """True if `alt` says nothing: empty, a file name or path, or a generic word."""
    text = (alt or "").strip()
    low = text.lower()
    return (not text or text == uri or low in TRIVIAL
            or posixpath.basename(low) == posixpath.basename(uri.lower())
            or low.endswith((".png", ".svg", ".jpg", ".jpeg", ".gif")))


def png_record(path: Path) -> tuple[dict[str, str], int]:
    """The text chunks of a PNG and its pixel width; ({}, 0) for anything else."""
    try:
        from PIL import Image

        with Image.open(path) as img:
            return dict(getattr(img, "text", {}) or {}), img.size[0]
    except Exception:  # not a readable image: no record
        return {}, 0


def _caption(node: nodes.image) -> str:
    parent = node.parent
    if isinstance(parent, nodes.reference):
        parent = parent.parent
    if isinstance(parent, nodes.figure):
        for child in parent.children:
            if isinstance(child, nodes.caption):
                return " ".join(child.astext().split())
    return ""


def process(doctree, srcdir: Path) -> list[str]:
    """Set alt text and legible widths on every image of `doctree` (image paths relative
    to `srcdir`); return the URIs of images left without meaningful alt text."""
    missing = []
    for node in doctree.findall(nodes.image):
        uri = node.get("uri", "")
        rel = node.get("candidates", {}).get("*", uri)
        record, natural = ({}, 0) if uri.startswith("data:") else png_record(Path(srcdir) / rel)
        if trivial_alt(node.get("alt"), uri):
            alt = _caption(node) or " ".join(record.get("embedlab-title", "").split())
            if alt:
                node["alt"] = alt
            else:
                node.attributes.pop("alt", None)
                missing.append(uri)
        width = str(node.get("width", "")).removesuffix("px")  # myst-nb writes "669"
        if natural and width.isdigit() and abs(int(width) - natural / 2) <= 1:
            # myst-nb's display size from figure_png's metadata (half the 2x PNG)
            node.attributes.pop("width")
            node.attributes.pop("height", None)
        if natural and "embedlab-min-font-pt" in record and not any(
                k in node for k in ("width", "height", "scale")):
            pt, dpi = float(record["embedlab-min-font-pt"]), float(record["embedlab-dpi"])
            low = math.floor(MIN_PX * 72 * natural / (pt * dpi)) + 1
            node["width"] = f"min({natural}px, max(100%, {low}px))"
            node["classes"] += ["embedlab-legible", "no-scaled-link"]
    return missing


def _on_doctree_resolved(app, doctree, docname):
    for uri in process(doctree, Path(app.srcdir)):
        logger.warning("image without alt text (no caption, no embedlab title): %s", uri,
                       location=docname, type="embedlab", subtype="alt")


def setup(app):
    app.connect("doctree-resolved", _on_doctree_resolved)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
