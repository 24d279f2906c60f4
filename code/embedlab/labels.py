"""Word labels beside scatter points, placed without overlap: a readable subset instead of
a blob of overlapping words.

The placer works in display (pixel) space: it tries four sides of each point and keeps a
label only if its box overlaps no label already placed, no other point's marker and no
legend, and stays inside the axes. What it does not do: move points, draw leader lines, or
guarantee that every word is labelled (put the words that matter first).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .style import MIN_FONT_PT


def _boxes_overlap(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def place_labels(ax, coords, words: Sequence[str], fontsize: float = MIN_FONT_PT,
                 keep: Sequence[bool] | None = None) -> list[tuple[int, tuple[int, int]]]:
    """Where `label_points` would write each word: [(index, (dx, dy) offset in points)] for
    the words whose label fits (inside the axes, over no label placed before it, no other
    point's marker and no legend). Words are tried in order; call after the axes limits and
    the layout are final (it works in display space)."""
    coords = np.asarray(coords, float)
    fig = ax.figure
    placed, out = [], []
    if ax.get_legend() is not None:  # drawn already (`draw_without_rendering`): avoid it
        placed.append(tuple(ax.get_legend().get_window_extent().extents))
    h = fontsize * fig.dpi / 72
    offsets = [(3, 2), (-3, 2), (3, -2), (-3, -2)]  # points
    bbox = ax.get_window_extent()
    pts = ax.transData.transform(coords)  # (N, 2) pixels; markers are obstacles too
    r = 3 * fig.dpi / 72
    dots = [(px - r, py - r, px + r, py + r) for px, py in pts]
    for i, w in enumerate(words):
        if keep is not None and not keep[i]:
            continue
        x, y = pts[i]
        wid = 0.62 * h * len(w) + 2  # DejaVu Sans averages ~0.6 em; 2 px to spare
        for dx, dy in offsets:
            ox, oy = dx * fig.dpi / 72, dy * fig.dpi / 72
            x0 = x + ox if dx > 0 else x + ox - wid
            y0 = y + oy if dy > 0 else y + oy - h
            box = (x0 - 1, y0 - 1, x0 + wid, y0 + h + 1)
            inside = bbox.x0 <= box[0] and box[2] <= bbox.x1 and bbox.y0 <= box[1] \
                and box[3] <= bbox.y1
            if inside and not any(_boxes_overlap(box, p) for p in placed) and not any(
                    _boxes_overlap(box, d) for j, d in enumerate(dots) if j != i):
                placed.append(box)
                out.append((i, (dx, dy)))
                break
    return out


def side(offset: tuple[int, int]) -> dict[str, str]:
    """The text alignment of a label written at `offset` from its point."""
    dx, dy = offset
    return {"ha": "left" if dx > 0 else "right", "va": "bottom" if dy > 0 else "top"}


def label_points(ax, coords, words: Sequence[str], fontsize: float = MIN_FONT_PT,
                 keep: Sequence[bool] | None = None, color: str = "#333333") -> list:
    """Write each word beside its point unless the label would overlap a label already
    placed (tries four sides of the point first): a readable subset instead of a blob.
    Words are tried in order, so put the ones that matter first. Returns the annotations;
    call after the axes limits are final (it places in display space)."""
    coords = np.asarray(coords, float)
    return [ax.annotate(words[i], coords[i], xytext=off, textcoords="offset points",
                        fontsize=fontsize, color=color, **side(off))
            for i, off in place_labels(ax, coords, words, fontsize, keep)]
