"""Explore a training run frame by frame: a widget for local runs, a grid for the book.

`run_toyworld(ExplorerConfig(...))` trains one objective on the toy world and keeps what a
time-lapse needs: the content words' rows at every snapshot, the loss and the purity probe.
`project(run, method)` turns the snapshots into 2-D frames that do not jump ("aligned PCA",
"Procrustes" or "t-SNE", cached per run). `draw_frame` draws one frame with chosen word
groups highlighted, `static_grid` draws a grid of frames (methods x steps), the picture the
static book shows, and `explorer` puts the same pieces behind ipywidgets controls: a step
slider, the projection method, groups to highlight, a nearest-neighbour panel and a retrain
button with dimension, window, learning rate and objective.

What it deliberately does not do: real-text corpora (too slow to retrain interactively),
or anything that needs a kernel when the book is built (`explorer` is for local runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import matplotlib.pyplot as plt
import numpy as np

from .models import OBJECTIVES, objective_setup
from .plots import COLUMN_IN, GREY, category_colours, category_markers, label_points
from .probes import nearest_neighbours, neighbour_purity
from .projection import AlignedPCA, per_frame_pca, procrustes_align, tsne_frames
from .toyworld import make_toyworld
from .training import TrainConfig, train
from .vocab import Vocab

METHODS = ("aligned PCA", "Procrustes", "t-SNE")


@dataclass
class ExplorerConfig:
    objective: str = "cbow"  # one of embedlab.models.OBJECTIVES
    dim: int = 16  # table width D
    window: int = 2  # context on each side (next-token: tokens before)
    lr: float = 1e-2  # Adam learning rate
    steps: int = 400  # optimizer steps
    batch_size: int = 256  # examples per step
    snapshot_every: int = 20  # steps between frames
    n_sentences: int = 4000  # size of the toy world
    seed: int = 0  # corpus, initialization and batch order


@dataclass
class ExplorerRun:
    config: ExplorerConfig
    words: list[str]  # the content words, one per row of every frame
    labels: list[str]  # their categories
    steps: list[int]  # the step of every snapshot
    tables: list[np.ndarray]  # (N, D) content-word rows at every snapshot
    losses: list[float]  # one per step
    purity: list[float]  # neighbour purity (k=5) at every snapshot
    _frames: dict = field(default_factory=dict, repr=False)  # method -> cached frames

    def every(self, k: int) -> ExplorerRun:
        """The same run with every k-th snapshot (and the last): fewer, cheaper frames."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        idx = sorted(set(range(0, len(self.steps), k)) | {len(self.steps) - 1})
        return ExplorerRun(self.config, self.words, self.labels,
                           [self.steps[i] for i in idx], [self.tables[i] for i in idx],
                           self.losses, [self.purity[i] for i in idx])


def run_toyworld(config: ExplorerConfig | None = None, progress: bool = False) -> ExplorerRun:
    """Train `config.objective` on a seeded toy world; keep the content words' snapshots."""
    cfg = config or ExplorerConfig()
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {cfg.objective!r}: use one of {OBJECTIVES}")
    world = make_toyworld(cfg.n_sentences, seed=cfg.seed)
    vocab = Vocab.build(world.sentences)
    words, rows, labels = world.content_words(vocab)
    model, data = objective_setup(cfg.objective, world.sentences, vocab, dim=cfg.dim,
                                  window=cfg.window, seed=cfg.seed)
    hist = train(model, data, TrainConfig(
        steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
        snapshot_every=cfg.snapshot_every, seed=cfg.seed, progress=progress),
        probe=lambda t: neighbour_purity(t[rows], labels, k=5))
    return ExplorerRun(cfg, words, labels, list(hist.snapshot_steps),
                       [s[rows] for s in hist.snapshots], list(hist.losses),
                       list(hist.probe_values))


def project(run: ExplorerRun, method: str, seed: int = 0) -> list[np.ndarray]:
    """2-D frames of every snapshot by `method` (one of METHODS), computed once per run.

    "aligned PCA": one PCA fitted on all snapshots; "Procrustes": a PCA per snapshot, each
    rotated onto the previous frame; "t-SNE": warm-started from the previous frame.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {METHODS}")
    if method not in run._frames:
        if method == "aligned PCA":
            frames = AlignedPCA(2).fit_transform(run.tables)
        elif method == "Procrustes":
            frames = procrustes_align(per_frame_pca(run.tables))
        else:
            # sklearn's OpenMP threads wait on torch's after training; for a few dozen
            # points one thread is many times faster.
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1):
                frames = tsne_frames(run.tables, perplexity=10.0, seed=seed)
        run._frames[method] = frames
    return run._frames[method]


def draw_frame(ax, coords, words, labels, highlight=(), title: str = "",
               label_words: bool = True):
    """One frame: points coloured by category; words outside `highlight` (a set of
    categories; empty = all) are drawn pale and unlabelled."""
    colours, markers = category_colours(labels), category_markers(labels)
    on = np.array([not highlight or c in highlight for c in labels])
    cats = np.asarray(labels)
    ax.scatter(*coords[~on].T, color=GREY, s=10, edgecolor="none")
    for c in sorted(set(cats[on])):
        m = on & (cats == c)
        ax.scatter(*coords[m].T, color=colours[c], marker=markers[c], s=26,
                   edgecolor="white", linewidth=0.4)
    if title:
        ax.set_title(title, fontsize=9)
    if label_words:  # the highlighted words that fit without overlapping
        if ax.get_autoscale_on():  # limits not fixed by the caller: settle them first
            ax.figure.draw_without_rendering()
            ax.set_autoscale_on(False)
        label_points(ax, coords, words, fontsize=8, keep=on)
    return ax


def static_grid(run: ExplorerRun, methods=METHODS, frame_ids=None, highlight=(),
                label_words: bool = False):
    """Rows: projection methods; columns: chosen snapshots. The book's stand-in for the
    explorer. `frame_ids` index `run.steps` (default: four evenly spaced)."""
    if frame_ids is None:
        frame_ids = np.linspace(0, len(run.steps) - 1, 4).round().astype(int).tolist()
    fig, axes = plt.subplots(len(methods), len(frame_ids), squeeze=False,  # column wide
                             figsize=(COLUMN_IN, 1.75 * len(methods) + 0.6))
    colours = category_colours(run.labels)
    projected = {m: project(run, m) for m in methods}
    for i, m in enumerate(methods):
        frames = projected[m]
        lo, hi = np.concatenate(frames).min(0), np.concatenate(frames).max(0)
        for j, t in enumerate(frame_ids):
            ax = axes[i, j]
            pad = 0.05 * (hi - lo)
            ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
            ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
            draw_frame(ax, frames[t], run.words, run.labels, highlight,
                       label_words=False,  # labelled below, once the layout is final
                       title=f"step {run.steps[t]}\npurity {run.purity[t]:.2f}"
                       if i == 0 else "")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(m, fontsize=9)
    markers = category_markers(run.labels)
    handles = [plt.Line2D([], [], marker=markers[k], ls="", color=c, label=k)
               for k, c in colours.items()
               if k in run.labels and (not highlight or k in highlight)]
    if highlight:
        handles.append(plt.Line2D([], [], marker="o", ls="", color=GREY, label="other words"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    if label_words:
        on = [not highlight or c in highlight for c in run.labels]
        for i, m in enumerate(methods):
            for j, t in enumerate(frame_ids):
                label_points(axes[i, j], projected[m][t], run.words, fontsize=8, keep=on)
    return fig


def neighbour_text(run: ExplorerRun, frame: int, word: str, k: int = 5) -> str:
    """The k nearest words (cosine, in the full table) at a snapshot, as one line."""
    near = nearest_neighbours(run.tables[frame], run.words, word, k)
    return ", ".join(f"{w} ({s:.2f})" for w, s in near)


def explorer(run: ExplorerRun | None = None):
    """ipywidgets controls around `draw_frame`, `neighbour_text` and `run_toyworld`.

    Needs a running kernel. Returns the widget box; `box.state` holds the current run and
    the last figure, so tests can drive the controls and read what was drawn.
    """
    import ipywidgets as w
    from IPython.display import display

    state = {"run": run or run_toyworld(), "figure": None}
    cfg = state["run"].config
    step = w.IntSlider(0, 0, len(state["run"].steps) - 1, description="snapshot")
    method = w.Dropdown(options=METHODS, value="aligned PCA", description="projection")
    groups = w.SelectMultiple(options=sorted(set(state["run"].labels)), rows=6,
                              description="highlight")
    word = w.Dropdown(options=state["run"].words, value=state["run"].words[0],
                      description="neighbours of")
    panel = w.HTML()
    objective = w.Dropdown(options=OBJECTIVES, value=cfg.objective, description="objective")
    dim = w.IntSlider(cfg.dim, 2, 64, description="dimension")
    window = w.IntSlider(cfg.window, 1, 4, description="window")
    lr = w.FloatLogSlider(cfg.lr, base=10, min=-4, max=-0.5, description="learning rate")
    button = w.Button(description="retrain")
    out = w.Output()

    def redraw(*_):
        r = state["run"]
        t = min(step.value, len(r.steps) - 1)
        frames = project(r, method.value)
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6, 5))
            draw_frame(ax, frames[t], r.words, r.labels, set(groups.value),
                       title=f"{r.config.objective}, {method.value}: step {r.steps[t]}, "
                       f"purity {r.purity[t]:.2f}")
            lo, hi = np.concatenate(frames).min(0), np.concatenate(frames).max(0)
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            display(fig)
            plt.close(fig)
        state["figure"] = fig
        panel.value = f"<b>{word.value}</b>: {neighbour_text(r, t, word.value)}"

    def retrain(*_):
        button.description = "training..."
        new = replace(state["run"].config, objective=objective.value, dim=dim.value,
                      window=window.value, lr=lr.value)
        state["run"] = run_toyworld(new)
        step.max = len(state["run"].steps) - 1
        button.description = "retrain"
        redraw()

    for c in (step, method, groups, word):
        c.observe(redraw, names="value")
    button.on_click(retrain)
    box = w.VBox([w.HBox([step, method]), w.HBox([groups, w.VBox([word, panel])]), out,
                  w.HBox([objective, dim]), w.HBox([window, lr, button])])
    box.state = state
    box.controls = {"step": step, "method": method, "groups": groups, "word": word,
                    "objective": objective, "dim": dim, "window": window, "lr": lr,
                    "button": button, "panel": panel}
    redraw()
    return box
