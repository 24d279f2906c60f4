"""Matplotlib figures and time-lapse animations of embedding tables.

Functions take numbers that were computed elsewhere (projections, probe curves) and return
figures, so the numbers can be tested and the pictures restyled. Colours come from the
Okabe-Ito palette, which stays distinguishable under the common colour-vision deficiencies,
and categories differ in marker shape as well as colour. Animations are rendered with
`to_jshtml`, which embeds every frame and a play/step control in the page: it plays in the
static book with no kernel.

The book's figure style (sizes for the 688 px column, fonts, 2x PNGs that record their
smallest font and their title) is `embedlab.style`, applied on import; word labels without
overlap are `embedlab.labels`. Both are re-exported here, so `from embedlab.plots import
PALETTE, label_points, figure_png` keeps working.

What it deliberately does not do: compute anything it draws.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import re
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .labels import label_points, place_labels, side
from .style import (
    BOOK_RC,
    COLUMN_IN,
    DPI,
    FUNCTION_MARKER,
    GREY,
    MARKERS,
    MIN_FONT_PT,
    PALETTE,
    figure_png,
    figure_title,
    fit_titles,
    legible_width,
    smallest_font_pt,
    use_book_style,
)

__all__ = [
    "BOOK_RC", "COLUMN_IN", "DPI", "FUNCTION_MARKER", "GREY", "MARKERS", "MIN_FONT_PT",
    "PALETTE", "animation_html", "category_colours", "category_markers", "figure_png",
    "figure_title", "fit_titles", "label_points", "legible_width", "pipeline_figure",
    "scatter_words",
    "similarity_heatmap", "smallest_font_pt", "timelapse", "timelapse_curves",
    "use_book_style",
]


def category_markers(categories: Sequence[str]) -> dict[str, str]:
    """A fixed marker shape per category, matched to `category_colours`."""
    names = sorted(set(categories) - {"function"})
    markers = dict(zip(names, MARKERS, strict=False))
    markers["function"] = FUNCTION_MARKER
    return markers


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """A fixed colour per category (sorted), grey for "function"."""
    names = sorted(set(categories) - {"function"})
    if len(names) > len(PALETTE):
        raise ValueError(f"{len(names)} categories but only {len(PALETTE)} colours")
    colours = dict(zip(names, PALETTE, strict=False))
    colours["function"] = GREY
    return colours


def scatter_words(
    ax,
    coords,
    words: Sequence[str],
    categories: Sequence[str],
    title: str = "",
    label_words: bool = True,
    legend: bool = True,
):
    """One point per word, coloured and shaped by category, with the words beside their
    points where they fit without overlapping (`label_points`)."""
    coords = np.asarray(coords)
    colours = category_colours(categories)
    markers = category_markers(categories)
    for cat, col in colours.items():
        m = np.array([c == cat for c in categories])
        if m.any():
            ax.scatter(
                coords[m, 0],
                coords[m, 1],
                s=30,
                color=col,
                marker=markers[cat],
                label=cat,
                edgecolor="white",
                linewidth=0.4,
                zorder=2,
            )
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best", frameon=False)
    if label_words:
        # final limits and (nearly) final axes size before placing labels in pixels
        ax.figure.tight_layout()
        ax.set_autoscale_on(False)
        label_points(ax, coords, words)
    return ax


def similarity_heatmap(ax, sims, categories: Sequence[str], title: str = ""):
    """A precomputed (N, N) cosine-similarity matrix with rows and columns grouped by
    category, so that structure shows as bright blocks on the diagonal."""
    sims = np.asarray(sims)
    order = np.argsort(np.asarray(categories), kind="stable")
    cats = [categories[i] for i in order]
    im = ax.imshow(sims[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1)
    edges = [i for i in range(1, len(cats)) if cats[i] != cats[i - 1]]
    for e in edges:
        ax.axhline(e - 0.5, color="black", linewidth=0.6)
        ax.axvline(e - 0.5, color="black", linewidth=0.6)
    starts = [0, *edges]
    ends = [*edges, len(cats)]
    mids = [(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)]
    names = [cats[a] for a in starts]
    ax.set_xticks(mids, names, rotation=45, ha="right")
    ax.set_yticks(mids, names)
    if title:
        ax.set_title(title)
    return im


def _limits(frames: Sequence[np.ndarray], pad: float = 0.08):
    allp = np.concatenate(frames)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    span = np.where(hi - lo == 0, 1.0, hi - lo)
    return lo - pad * span, hi + pad * span


def _frame_scatter(ax, frames, words, categories, ncol: int):
    """The first frame's points and word labels on axes fixed for every frame, with the
    category legend below the axes (so it never hides a word in any frame). Words are
    labelled where they fit without overlap in the last frame (the picture the film ends
    on); the others are points only."""
    lo, hi = _limits(frames)
    colours = category_colours(categories)
    markers = category_markers(categories)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    cats = np.asarray(categories)
    groups = []
    for cat, col in colours.items():
        idx = np.flatnonzero(cats == cat)
        if len(idx):
            sc = ax.scatter(frames[0][idx, 0], frames[0][idx, 1], color=col,
                            marker=markers[cat], s=30, edgecolor="white", linewidth=0.4,
                            label=cat)
            groups.append((sc, idx))
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False,
              handletextpad=0.2, columnspacing=0.8)
    return groups, ax.set_title("")


def _frame_labels(ax, frames, words):
    """Labels for the words that fit without overlap in the last frame (the picture the
    film ends on). In each frame, only those of them that fit there without overlap are
    shown, on the side where they fit (a random table is a blob: few labels; a trained
    one, most). Returns (labels {index: annotation}, show(t) that sets frame t's labels);
    call after the figure's layout is final."""
    last = dict(place_labels(ax, frames[-1], words))
    keep = [i in last for i in range(len(words))]
    # the last frame's plan is `last` itself: the words left out were never obstacles
    plans = [dict(place_labels(ax, f, words, keep=keep)) for f in frames[:-1]] + [last]
    final = set(last)
    labels = {i: ax.annotate(words[i], frames[0][i], xytext=(3, 2), textcoords="offset points",
                             fontsize=MIN_FONT_PT, color="#333333")
              for i in sorted(final)}

    def show(t):
        for i, lab in labels.items():
            off = plans[t].get(i)
            lab.set_visible(off is not None)
            if off is not None:
                lab.xy = frames[t][i]
                lab.xyann = off
                lab.set(**side(off))

    show(0)
    return labels, show


def _animate(fig, frames, steps, groups, labels, heading, extra, interval: int):
    """Move the points to frame t, show its labels, title it with its step, call
    `extra(t)`. `labels` is `_frame_labels`'s (annotations, show)."""
    labels, show_labels = labels

    def update(t):
        for sc, idx in groups:
            sc.set_offsets(frames[t][idx])
        show_labels(t)
        heading.set_text(f"step {steps[t]}")
        extra(t)
        return (*(g for g, _ in groups), *labels.values())

    # `fig.tight_layout()` leaves a placeholder layout engine behind, and with any engine
    # set, every saved frame is laid out twice (same pixels, twice the time): drop it.
    fig.set_layout_engine(None)
    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval)
    plt.close(fig)  # the animation owns the figure; do not also show the static figure
    return anim


def timelapse(
    frames: Sequence[np.ndarray],
    words: Sequence[str],
    categories: Sequence[str],
    steps: Sequence[int],
    curve: Sequence[float] | None = None,
    curve_label: str = "probe",
    chance: float | None = None,
    title: str = "The table during training",
    interval: int = 200,
) -> animation.FuncAnimation:
    """Scatter of every frame (fixed axes) beside a curve on the same step axis, with a
    marker that moves along the curve as the frames advance."""
    if len(frames) != len(steps):
        raise ValueError(f"{len(frames)} frames but {len(steps)} steps")
    ncols = 2 if curve is not None else 1
    fig, axes = plt.subplots(
        1, ncols, figsize=(COLUMN_IN, 4.3), squeeze=False, dpi=DPI,
        gridspec_kw={"width_ratios": [1.5, 1][:ncols]},
    )
    ax = axes[0, 0]
    groups, heading = _frame_scatter(ax, frames, words, categories, ncol=4)
    marker = None
    if curve is not None:
        cax = axes[0, 1]
        cax.plot(steps, curve, color=PALETTE[4], label=curve_label)
        if chance is not None:
            cax.axhline(chance, color=GREY, linestyle="--", label="chance")
        (marker,) = cax.plot(
            [steps[0]], [curve[0]], "o", color=PALETTE[5], markersize=8
        )
        cax.set_xlabel("training step")
        cax.set_ylabel(curve_label)
        cax.set_title(f"{curve_label} over training")
        cax.legend(frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    labels = _frame_labels(ax, frames, words)

    def move_marker(t):
        if marker is not None:
            marker.set_data([steps[t]], [curve[t]])

    return _animate(fig, frames, steps, groups, labels, heading, move_marker, interval)


def _lighter_png(b64: str, colours: int = 128) -> str:
    """A base64 PNG frame re-encoded with a palette of `colours` (flat-coloured plots lose
    nothing visible: every pixel within 12/255 of the original in our frames; the frame
    shrinks 3-4x)."""
    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB")
    out = io.BytesIO()
    img.quantize(colours, method=Image.Quantize.MAXCOVERAGE).save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def animation_html(anim: animation.FuncAnimation) -> str:
    """The animation as self-contained HTML + JavaScript (frames embedded as palette PNGs,
    controls included), in a `div.embedlab-animation` that records the smallest font size
    and the frames' dpi for the browser test, and sets `--embedlab-min-width`: the width
    below which the page's CSS does not shrink the frames (their smallest text stays
    >= 10 CSS px; a phone scrolls the animation sideways in its box instead). The frame
    gets the figure's title as alt text."""
    plt.rcParams["animation.embed_limit"] = 50  # MB
    fig = anim._fig
    pt, dpi = smallest_font_pt(fig), fig.dpi
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    alt = " ".join(title.split()) or figure_title(fig)
    alt = f"{alt} (animation: one frame per recorded training step)"
    low = legible_width(fig.get_figwidth() * dpi, pt, dpi)
    html = anim.to_jshtml(default_mode="once")
    html = re.sub(r"<img id=", f'<img alt="{html_lib.escape(alt)}" id=', html, count=1)
    # matplotlib links Font Awesome 4 from a CDN for the button icons; the book's theme
    # already ships Font Awesome, and an offline reader cannot reach the CDN.
    html = re.sub(r'<link rel="stylesheet"[^>]*font-awesome[^>]*>', "", html)
    html = re.sub(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)",
                  lambda m: "data:image/png;base64,"
                  + _lighter_png(m.group(1).replace("\\\n", "").replace("\\n", "")), html)
    return (f'<div class="embedlab-animation" data-min-font-pt="{pt:.2f}" '
            f'data-dpi="{dpi:g}" style="--embedlab-min-width: {low}px">{html}</div>')


def pipeline_figure(
    tokens: Sequence[str],
    ids: Sequence[int],
    rows,
    vocab_size: int,
    show: int = 3,
    title: str = "",
):
    """Text -> tokens -> ids -> table -> vectors -> encoder, drawn with the real values of
    the first `show` tokens (`rows` is the (T, D) matrix the ids selected)."""
    rows = np.asarray(rows)
    text = " ".join(tokens)
    more = "\n…" if len(tokens) > show else ""
    vec = ["[" + " ".join(f"{v:+.1f}" for v in r[:2]) + "…]" for r in rows[:show]]
    stages = [
        ("text", "\n".join(textwrap.wrap(text, 13)[:3]) + " …"),
        ("tokens", "\n".join(tokens[:show]) + more),
        ("ids", "\n".join(str(i) for i in ids[:show]) + more),
        (
            f"table\n{vocab_size} × {rows.shape[1]}",
            "\n".join(f"row {i}" for i in ids[:show]) + more,
        ),
        (f"vectors\n{rows.shape[0]} × {rows.shape[1]}", "\n".join(vec) + more),
        ("encoder", "layers that\nmix the\nvectors"),
    ]
    n = len(stages)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.0))  # the column, >= 9 pt text
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for i, (head, body) in enumerate(stages):
        col = PALETTE[i % len(PALETTE)]
        ax.add_patch(
            FancyBboxPatch(
                (i + 0.03, 0.05),
                0.88,
                0.86,
                facecolor=col + "33",
                boxstyle="round,pad=0.02",
                edgecolor=col,
                linewidth=1.5,
            )
        )
        ax.text(
            i + 0.47,
            0.8,
            head,
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
        )
        ax.text(
            i + 0.47,
            0.38,
            body,
            ha="center",
            va="center",
            fontsize=9,
            family="monospace",
            linespacing=1.5,
        )
        if i < n - 1:
            ax.add_patch(
                FancyArrowPatch(
                    (i + 0.9, 0.5),
                    (i + 1.04, 0.5),
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color="#333333",
                )
            )
    if title:
        ax.set_title(title, fontsize=12)
    fig.tight_layout()
    return fig


use_book_style()


def timelapse_curves(
    frames: Sequence[np.ndarray],
    words: Sequence[str],
    categories: Sequence[str],
    steps: Sequence[int],
    curves: dict[str, tuple[Sequence[float], Sequence[float]]],
    title: str = "The table during training",
    interval: int = 250,
    reference: dict[str, float] | None = None,
) -> animation.FuncAnimation:
    """Like `timelapse`, with any number of curves beside the scatter, stacked one panel
    each in a right-hand column.

    `curves` maps a y-axis label to (x steps, values); every panel shares the step axis of
    the frames, and a marker on each curve shows the value at the current frame's step
    (interpolated when the curve was recorded at other steps). `reference` optionally draws
    a dashed horizontal line (e.g. chance) in the panel of the same name.
    """
    if len(frames) != len(steps):
        raise ValueError(f"{len(frames)} frames but {len(steps)} steps")
    k = max(1, len(curves))
    fig = plt.figure(figsize=(COLUMN_IN, 4.6), dpi=DPI)
    grid = fig.add_gridspec(k, 2, width_ratios=[1.5, 1])
    ax = fig.add_subplot(grid[:, 0])  # the scatter spans the left column
    axes = [ax] + [fig.add_subplot(grid[i, 1]) for i in range(len(curves))]
    groups, heading = _frame_scatter(ax, frames, words, categories, ncol=3)
    markers = []
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        cax = axes[1 + i]
        cax.plot(xs, ys, color=PALETTE[(3 + i) % len(PALETTE)], lw=1)
        if reference and name in reference:
            cax.axhline(reference[name], color=GREY, linestyle="--", lw=1)
        (m,) = cax.plot([], [], "o", color="#000000", markersize=7)
        markers.append((m, np.asarray(xs, float), np.asarray(ys, float)))
        cax.set_xlim(min(steps[0], xs[0]), max(steps[-1], xs[-1]))
        cax.set_xlabel("training step" if i == len(curves) - 1 else "")
        cax.set_ylabel(name)
    fig.suptitle(title)
    fig.tight_layout()
    labels = _frame_labels(ax, frames, words)

    def move_markers(t):
        for m, xs, ys in markers:
            m.set_data([steps[t]], [np.interp(steps[t], xs, ys)])

    return _animate(fig, frames, steps, groups, labels, heading, move_markers, interval)
