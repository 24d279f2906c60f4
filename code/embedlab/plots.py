"""Matplotlib figures and time-lapse animations of embedding tables.

Functions take numbers that were computed elsewhere (projections, probe curves) and return
figures, so the numbers can be tested and the pictures restyled. Colours come from the
Okabe-Ito palette, which stays distinguishable under the common colour-vision deficiencies.
Animations are rendered with `to_jshtml`, which embeds every frame and a play/step control
in the page: it plays in the static book with no kernel.

What it deliberately does not do: compute anything it draws.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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
    """One point per word, coloured by category, optionally with the word beside it."""
    coords = np.asarray(coords)
    colours = category_colours(categories)
    for cat, col in colours.items():
        m = np.array([c == cat for c in categories])
        if m.any():
            ax.scatter(
                coords[m, 0],
                coords[m, 1],
                s=28,
                color=col,
                label=cat,
                edgecolor="white",
                linewidth=0.5,
                zorder=2,
            )
    if label_words:
        for (x, y), w in zip(coords, words, strict=True):
            ax.annotate(
                w,
                (x, y),
                fontsize=7,
                xytext=(3, 2),
                textcoords="offset points",
                color="#333333",
            )
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(fontsize=7, loc="best", frameon=False)
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
    ax.set_xticks(mids, names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(mids, names, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return im


def _limits(frames: Sequence[np.ndarray], pad: float = 0.08):
    allp = np.concatenate(frames)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    span = np.where(hi - lo == 0, 1.0, hi - lo)
    return lo - pad * span, hi + pad * span


def _frame_scatter(ax, frames, words, categories, ncol: int):
    """The first frame's points and word labels on axes fixed for every frame, with the
    category legend below the axes (so it never hides a word in any frame)."""
    lo, hi = _limits(frames)
    colours = category_colours(categories)
    sc = ax.scatter(frames[0][:, 0], frames[0][:, 1], c=[colours[c] for c in categories],
                    s=28, edgecolor="white", linewidth=0.5)
    labels = [ax.annotate(w, frames[0][i], fontsize=6, xytext=(3, 2),
                          textcoords="offset points", color="#333333")
              for i, w in enumerate(words)]
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    for cat, col in colours.items():
        if cat in categories:
            ax.scatter([], [], color=col, label=cat, s=20)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol,
              frameon=False)
    return sc, labels, ax.set_title("", fontsize=10)


def _animate(fig, frames, steps, sc, labels, heading, extra, interval: int):
    """Move the points and labels to frame t, title it with its step, call `extra(t)`."""

    def update(t):
        sc.set_offsets(frames[t])
        for lab, p in zip(labels, frames[t], strict=True):
            lab.xy = p
        heading.set_text(f"step {steps[t]}")
        extra(t)
        return (sc, *labels)

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
        1, ncols, figsize=(5.2 * ncols, 4.9), squeeze=False, dpi=80
    )
    ax = axes[0, 0]
    sc, labels, heading = _frame_scatter(ax, frames, words, categories, ncol=4)
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
        cax.set_title(f"{curve_label} over training", fontsize=10)
        cax.legend(fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()

    def move_marker(t):
        if marker is not None:
            marker.set_data([steps[t]], [curve[t]])

    return _animate(fig, frames, steps, sc, labels, heading, move_marker, interval)


def animation_html(anim: animation.FuncAnimation) -> str:
    """The animation as self-contained HTML + JavaScript (frames embedded, controls included)."""
    import re

    plt.rcParams["animation.embed_limit"] = 50  # MB
    html = anim.to_jshtml(default_mode="once")
    # matplotlib links Font Awesome 4 from a CDN for the button icons; the book's theme
    # already ships Font Awesome, and an offline reader cannot reach the CDN.
    return re.sub(r'<link rel="stylesheet"[^>]*font-awesome[^>]*>', "", html)


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
    vec = ["[" + " ".join(f"{v:+.1f}" for v in r[:2]) + " …]" for r in rows[:show]]
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
    fig, ax = plt.subplots(figsize=(1.75 * n, 3.0))
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for i, (head, body) in enumerate(stages):
        col = PALETTE[i % len(PALETTE)]
        ax.add_patch(
            FancyBboxPatch(
                (i + 0.05, 0.05),
                0.84,
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
            fontsize=8.5,
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
    fig = plt.figure(figsize=(10, 5.2), dpi=80)
    grid = fig.add_gridspec(k, 2, width_ratios=[1.5, 1])
    ax = fig.add_subplot(grid[:, 0])  # the scatter spans the left column
    axes = [ax] + [fig.add_subplot(grid[i, 1]) for i in range(len(curves))]
    sc, labels, heading = _frame_scatter(ax, frames, words, categories, ncol=6)
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
        cax.set_ylabel(name, fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()

    def move_markers(t):
        for m, xs, ys in markers:
            m.set_data([steps[t]], [np.interp(steps[t], xs, ys)])

    return _animate(fig, frames, steps, sc, labels, heading, move_markers, interval)
