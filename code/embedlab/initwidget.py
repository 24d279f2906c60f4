"""Explore random tables: initialization scheme x dimension, as a widget and as a grid.

For one (scheme, dimension) pair, `init_panel_data` draws a table and returns the two things
worth looking at: the distribution of its values (set by the scheme) and the distribution
of the cosine similarity of pairs of rows (set by the dimension, hardly by the scheme).
`plot_init_panel` draws them; `plot_init_grid` draws the cosine histograms of every pair
in a grid, the static figure the book shows; `init_explorer` is the same picture behind a
dropdown and a slider (ipywidgets), for readers running the notebook locally.

What it deliberately does not do: train, or draw anything but these histograms.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from .initialization import INIT_SCHEMES, init_table, pair_cosines
from .plots import GREY, PALETTE

# The dimensions offered by the explorer (and the default columns of the grid).
DIMS = (2, 8, 32, 128, 512)
GRID_DIMS = (2, 16, 128, 512)  # the static grid: fewer panels, same story


def init_panel_data(scheme: str, dim: int, n_rows: int = 300, seed: int = 0) -> dict:
    """Values and pair cosines of a seeded (n_rows, dim) table."""
    table = init_table(n_rows, dim, scheme, seed)  # (n_rows, dim)
    values = table.flatten().numpy()
    cos = pair_cosines(table)
    return {"scheme": scheme, "dim": dim, "values": values, "cosines": cos,
            "value_std": float(values.std()), "cos_std": float(cos.std())}


def _cos_hist(ax, data: dict, colour: str) -> None:
    ax.hist(data["cosines"], bins=np.linspace(-1, 1, 41), color=colour, density=True)
    s = data["dim"] ** -0.5
    for x in (-s, s):
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1)
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["-1", "", "0", "", "1"])


def plot_init_panel(data: dict, fig=None):
    """Two histograms for one (scheme, dim): the values and the pair cosines."""
    fig = fig or plt.figure(figsize=(9, 3.3))
    fig.clear()
    ax, bx = fig.subplots(1, 2)
    ax.hist(data["values"], bins=60, color=PALETTE[3], density=True)
    ax.set_xlabel("value of a table entry")
    ax.set_ylabel("density")
    ax.set_title(f"{data['scheme']}: entries have std {data['value_std']:.3g}", fontsize=10)
    _cos_hist(bx, data, PALETTE[0])
    bx.set_xlabel("cosine similarity of two rows")
    bx.set_ylabel("density")
    bx.set_title(f"D = {data['dim']}: cosines have std {data['cos_std']:.3f} "
                 f"(1/sqrt(D) = {data['dim'] ** -0.5:.3f})", fontsize=10)
    fig.tight_layout()
    return fig


def init_grid(schemes: Sequence[str] = INIT_SCHEMES, dims: Sequence[int] = GRID_DIMS,
              n_rows: int = 200, seed: int = 0) -> dict[tuple[str, int], dict]:
    """`init_panel_data` for every (scheme, dim)."""
    return {(s, d): init_panel_data(s, d, n_rows, seed) for s in schemes for d in dims}


def plot_init_grid(grid: dict[tuple[str, int], dict]):
    """Rows: schemes; columns: dimensions; each cell the histogram of pair cosines."""
    schemes = list(dict.fromkeys(s for s, _ in grid))
    dims = list(dict.fromkeys(d for _, d in grid))
    fig, axes = plt.subplots(len(schemes), len(dims), figsize=(2.2 * len(dims),
                             1.45 * len(schemes)), sharex=True, squeeze=False)
    for i, s in enumerate(schemes):
        for j, d in enumerate(dims):
            ax = axes[i, j]
            data = grid[(s, d)]
            _cos_hist(ax, data, PALETTE[i % len(PALETTE)])
            ax.set_yticks([])
            ax.set_ylim(0, ax.get_ylim()[1] * 1.35)  # headroom: the label clears the bars
            ax.text(0.5, 0.96, f"std {data['cos_std']:.2f}", transform=ax.transAxes,
                    fontsize=8, va="top", ha="center", zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
            if i == 0:
                ax.set_title(f"D = {d}", fontsize=9)
            if j == 0:
                ax.set_ylabel(s, fontsize=8)
            if i == len(schemes) - 1:
                ax.set_xlabel("pair cosine", fontsize=8)
    fig.suptitle("Cosines of random rows narrow as 1/sqrt(D), whatever the scheme "
                 "(dashed: \u00b11/sqrt(D))", fontsize=10)
    fig.tight_layout()
    return fig


def init_explorer(n_rows: int = 300, seed: int = 0):
    """A dropdown (scheme) and a slider (dimension) that redraw `plot_init_panel`.

    Needs a running kernel (JupyterLab, VS Code, Colab); the static book shows
    `plot_init_grid` instead. Returns the widget box.
    """
    import ipywidgets as w

    scheme = w.Dropdown(options=INIT_SCHEMES, value="normal", description="scheme")
    dim = w.SelectionSlider(options=DIMS, value=32, description="dimension D")
    out = w.Output()

    def redraw(*_):
        from IPython.display import display

        with out:
            out.clear_output(wait=True)
            fig = plot_init_panel(init_panel_data(scheme.value, dim.value, n_rows, seed))
            display(fig)
            plt.close(fig)
        box.last_figure = fig  # kept so tests can read what was drawn

    box = w.VBox([w.HBox([scheme, dim]), out])
    scheme.observe(redraw, names="value")
    dim.observe(redraw, names="value")
    redraw()
    return box
