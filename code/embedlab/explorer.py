"""Interactive explorers for the static book: a Plotly figure with a slider over training.

A reader of the online book has no Python kernel. These explorers are Plotly figures whose
every frame is embedded in the page: a slider and a play button step through the recorded
snapshots, hovering a point shows the word, its category and its nearest neighbours *at
that step*, and clicking a category in the legend hides or shows it. Several 2-D views
(e.g. one PCA for all snapshots and warm-started t-SNE) sit side by side and move together.

Compute and drawing are separate:

- `explorer_data(tables, words, labels, steps, views)` collects what the figure shows and
  computes each word's nearest neighbours in every snapshot (cosine, among the given words);
  build `ExplorerData` directly when the neighbours come from elsewhere (a real vocabulary).
- `explorer_figure(data, title)` turns it into a `plotly.graph_objects.Figure`.
- `Explorer(fig, description)` displays it: as plain HTML that uses the plotly.js the book
  serves from `_static` (the book's `_ext/book_extras.py` adds the script to pages that
  show an explorer), and as Plotly's own output for JupyterLab.

What it deliberately does not do: project (see `embedlab.projection`), train, or load
plotly.js from a CDN; jupyter-book 1.x drops Plotly's own output and its default HTML needs
require.js from a CDN, hence the plain HTML.
"""

from __future__ import annotations

import html as _html
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .plots import category_colours
from .probes import unit_rows

MARKER = "embedlab-explorer"  # class of the wrapper <div>: the book's extension looks for it
_ids = itertools.count()


@dataclass
class ExplorerData:
    words: list[str]  # N point labels
    labels: list[str]  # N categories (legend entries)
    frames: list[str]  # T frame names, e.g. "step 20"
    views: dict[str, np.ndarray]  # view name -> (T, N, 2) coordinates
    neighbours: list[list[str]]  # (T, N): each word's nearest neighbours, as hover text

    def __post_init__(self):
        n, t = len(self.words), len(self.frames)
        if len(self.labels) != n:
            raise ValueError(f"{n} words but {len(self.labels)} labels")
        if not self.views:
            raise ValueError("need at least one view")
        self.views = {k: np.asarray(v, dtype=np.float64) for k, v in self.views.items()}
        for name, xy in self.views.items():
            if xy.shape != (t, n, 2):
                raise ValueError(f"view {name!r} has shape {xy.shape}, expected ({t}, {n}, 2)")
        if len(self.neighbours) != t or any(len(nb) != n for nb in self.neighbours):
            raise ValueError(f"neighbours must be {t} lists of {n} entries")


def neighbour_lists(table, words: Sequence[str], k: int = 3) -> list[str]:
    """For every row of `table` (N, D), its k cosine-nearest other rows' words, "a, b, c".
    Ties keep the table's order (as `probes.nearest_neighbours`)."""
    u = unit_rows(table)
    sims = u @ u.T  # (N, N)
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]  # (N, k)
    return [", ".join(words[j] for j in row) for row in order]


def vocabulary_neighbours(table, itos: Sequence[str], rows: Sequence[int], k: int = 5
                          ) -> list[str]:
    """Hover text for a few rows of a large table (V, D): each row's k cosine-nearest
    tokens of the whole vocabulary, "a, b, c". The batched form of
    `probes.nearest_neighbours` (one (Q, V) product instead of Q passes over the table)."""
    import torch

    t = torch.nn.functional.normalize(torch.as_tensor(table, dtype=torch.float32), dim=1)
    rows = list(rows)
    sims = t[rows] @ t.T  # (Q, V)
    sims[torch.arange(len(rows)), torch.tensor(rows)] = -float("inf")  # not itself
    top = sims.topk(k, dim=1).indices.tolist()  # (Q, k)
    return [", ".join(itos[j] for j in row) for row in top]


def explorer_data(tables: Sequence, words: Sequence[str], labels: Sequence[str],
                  steps: Sequence[int], views: Mapping[str, Sequence], k: int = 3
                  ) -> ExplorerData:
    """Snapshots `tables` (T tables of (N, D)) at training `steps`, with 2-D `views`
    ({name: T frames of (N, 2)}, already projected); neighbours among the N words."""
    words = [str(w) for w in words]
    if len(tables) != len(steps):
        raise ValueError(f"{len(tables)} tables but {len(steps)} steps")
    return ExplorerData(words, [str(c) for c in labels], [f"step {s}" for s in steps],
                        {name: np.stack([np.asarray(f) for f in fr])
                         for name, fr in views.items()},
                        [neighbour_lists(t, words, k) for t in tables])


def _range(xy: np.ndarray, pad: float = 0.08) -> tuple[list[float], list[float]]:
    lo, hi = xy.reshape(-1, 2).min(axis=0), xy.reshape(-1, 2).max(axis=0)  # over all frames
    span = np.where(hi > lo, hi - lo, 1.0)
    return ([float(lo[0] - pad * span[0]), float(hi[0] + pad * span[0])],
            [float(lo[1] - pad * span[1]), float(hi[1] + pad * span[1])])


def _traces(data: ExplorerData, t: int, cats: list[str], colours: dict[str, str],
            full: bool = True):
    """One scatter trace per (view, category) for frame t, in a fixed order. A frame
    (`full=False`) carries only what changes: positions and hover text."""
    import plotly.graph_objects as go

    out, many = [], len(data.views) > 1
    for v, (name, xy) in enumerate(data.views.items()):
        for c in cats:
            idx = [i for i, lab in enumerate(data.labels) if lab == c]
            moving = {"x": xy[t, idx, 0].astype(np.float32),  # float32: half the bytes
                      "y": xy[t, idx, 1].astype(np.float32),
                      "customdata": [[data.words[i], c, data.neighbours[t][i]]
                                     for i in idx]}
            if not full:
                out.append(go.Scatter(**moving))
                continue
            out.append(go.Scatter(
                **moving, mode="markers", name=c, legendgroup=c, showlegend=v == 0,
                marker={"color": colours[c], "size": 9, "line": {"color": "white",
                                                                 "width": 0.5}},
                hovertemplate=("<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
                               "nearest: %{customdata[2]}<extra>" + (name if many else "")
                               + "</extra>"),
                xaxis=f"x{v + 1}" if v else "x", yaxis=f"y{v + 1}" if v else "y"))
    return out


def explorer_figure(data: ExplorerData, title: str, height: int = 460,
                    legend_title: str = "category"):
    """A Plotly figure: one panel per view, a slider and a play button over the frames
    (none for a single frame), hover text with the word, category and neighbours."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cats = sorted(set(data.labels))  # the legend's order, as category_colours
    colours = category_colours(data.labels)
    names = list(data.views)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names,
                        horizontal_spacing=0.08)
    for tr in _traces(data, 0, cats, colours):
        fig.add_trace(tr)
    for v, name in enumerate(names):
        xr, yr = _range(data.views[name])  # fixed axes: the points move, not the frame
        fig.update_xaxes(range=xr, title_text=f"{name} 1", row=1, col=v + 1,
                         zeroline=False)
        fig.update_yaxes(range=yr, title_text=f"{name} 2", row=1, col=v + 1,
                         zeroline=False)
    fig.update_layout(
        title={"text": title, "font": {"size": 15}}, height=height,
        margin={"l": 50, "r": 20, "t": 70, "b": 40}, template="simple_white",
        legend={"title": {"text": f"{legend_title} (click to hide)"}, "orientation": "h",
                "y": -0.55 if len(data.frames) > 1 else -0.2},
        hoverlabel={"font": {"size": 13}})
    if len(data.frames) > 1:
        fig.frames = [go.Frame(name=f, data=_traces(data, t, cats, colours, full=False))
                      for t, f in enumerate(data.frames)]
        still = {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                 "transition": {"duration": 0}}
        fig.update_layout(
            sliders=[{"active": 0, "y": -0.12, "len": 0.9, "x": 0.1,
                      "currentvalue": {"prefix": "", "font": {"size": 13}},
                      "steps": [{"label": f, "method": "animate", "args": [[f], still]}
                                for f in data.frames]}],
            updatemenus=[{"type": "buttons", "showactive": False, "direction": "left",
                          "x": 0.08, "y": -0.12,
                          "xanchor": "right", "yanchor": "top",
                          "buttons": [
                              {"label": "▶ play", "method": "animate",
                               "args": [None, {"fromcurrent": True, "mode": "immediate",
                                               "frame": {"duration": 500, "redraw": False},
                                               "transition": {"duration": 300}}]},
                              {"label": "❚❚", "method": "animate",
                               "args": [[None], still]}]}])
        fig.update_layout(margin={"b": 150}, height=height + 110)
    return fig


class Explorer:
    """Shows a figure as HTML for the static book and as Plotly's own output in JupyterLab.

    `html` is a `<div>` with the figure's data and one inline script; it expects the global
    `Plotly` from a `<script src=".../plotly.min.js">` the page loads (the book adds it).
    `description` is the figure's accessible name (aria-label) and its text for readers
    without JavaScript."""

    def __init__(self, fig, description: str):
        self.fig = fig
        self.description = description
        div_id = f"embedlab-explorer-{next(_ids)}"
        body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           auto_play=False,
                           config={"displaylogo": False, "responsive": True})
        label = _html.escape(description, quote=True)
        self.html = (f'<div class="{MARKER}" role="figure" aria-label="{label}">'
                     f"{body}<noscript><p>{label}</p></noscript></div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html,
                "application/vnd.plotly.v1+json": json.loads(self.fig.to_json()),
                "text/plain": f"<explorer: {self.description}>"}
