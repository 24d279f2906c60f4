"""embedlab.explorer: the numbers behind the hover text, and the figure's structure.

The neighbours are compared with the reference implementations (`probes.nearest_neighbours`,
`probes.nearest_neighbours`); the figure is checked as data (frames, slider, traces), the
browser behaviour in tests/test_explorer_browser.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlab.explorer import (
    MARKER,
    Explorer,
    ExplorerData,
    explorer_data,
    explorer_figure,
    neighbour_lists,
    vocabulary_neighbours,
)
from embedlab.probes import nearest_neighbours

WORDS = ["cat", "dog", "fox", "red", "blue", "green", "bread", "rice"]
LABELS = ["animal"] * 3 + ["colour"] * 3 + ["food"] * 2


def _run(t=4, seed=0):
    rng = np.random.default_rng(seed)
    tables = [rng.normal(size=(len(WORDS), 5)) for _ in range(t)]
    views = {"PCA": [x[:, :2] for x in tables], "t-SNE": [x[:, 2:4] for x in tables]}
    return tables, views


def test_neighbour_lists_match_the_probe():
    tables, _ = _run()
    for table in tables:
        got = neighbour_lists(table, WORDS, k=3)
        for w, text in zip(WORDS, got, strict=True):
            assert text == ", ".join(n for n, _ in nearest_neighbours(table, WORDS, w, 3))


def test_vocabulary_neighbours_match_nearest_neighbours():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(300, 16)).astype(np.float32)
    itos = [f"t{i}" for i in range(300)]
    rows = [0, 17, 299]
    got = vocabulary_neighbours(table, itos, rows, k=5)
    for r, text in zip(rows, got, strict=True):
        assert text == ", ".join(w for w, _ in nearest_neighbours(table, itos, itos[r], k=5))
        assert itos[r] not in text.split(", ")  # never its own neighbour


def test_explorer_data_checks_shapes():
    tables, views = _run()
    with pytest.raises(ValueError, match="tables but"):
        explorer_data(tables[:3], WORDS, LABELS, [0, 1, 2, 3], views)
    with pytest.raises(ValueError, match="shape"):
        explorer_data(tables, WORDS, LABELS, [0, 1, 2, 3],
                      {"PCA": [x[:-1, :2] for x in tables]})
    with pytest.raises(ValueError, match="labels"):
        explorer_data(tables, WORDS, LABELS[:-1], [0, 1, 2, 3], views)


def test_figure_has_a_frame_and_slider_step_per_snapshot_with_that_steps_neighbours():
    tables, views = _run(t=4)
    data = explorer_data(tables, WORDS, LABELS, [0, 10, 20, 30], views, k=2)
    fig = explorer_figure(data, "title")
    assert [f.name for f in fig.frames] == ["step 0", "step 10", "step 20", "step 30"]
    assert [s.label for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    n_traces = len(views) * len(set(LABELS))
    assert len(fig.data) == n_traces
    assert [t.name for t in fig.data if t.showlegend] == ["animal", "colour", "food"]
    for t, frame in enumerate(fig.frames):
        assert len(frame.data) == n_traces
        shown = {row[0]: row[2] for tr in frame.data for row in tr.customdata}
        assert shown == dict(zip(WORDS, neighbour_lists(tables[t], WORDS, 2), strict=True))
        # the second view's points in frame t are the view's coordinates at t
        food = [i for i, c in enumerate(LABELS) if c == "food"]
        tr = frame.data[n_traces - 1]
        assert np.allclose(tr.x, views["t-SNE"][t][food, 0], atol=1e-5)


def test_single_frame_has_no_slider():
    tables, views = _run(t=1)
    data = ExplorerData(WORDS, LABELS, ["MiniLM"], views,
                        [neighbour_lists(tables[0], WORDS)])
    fig = explorer_figure(data, "one table")
    assert not fig.frames and not fig.layout.sliders


def test_explorer_html_needs_no_network_and_does_not_autoplay():
    tables, views = _run()
    ex = Explorer(explorer_figure(explorer_data(tables, WORDS, LABELS, [0, 1, 2, 3],
                                                views), "t"), 'eight "words"')
    assert f'class="{MARKER}"' in ex.html
    assert 'aria-label="eight &quot;words&quot;"' in ex.html
    assert "<script src" not in ex.html and "cdn" not in ex.html.lower()
    assert "Plotly.newPlot" in ex.html and "Plotly.animate" not in ex.html
    bundle = ex._repr_mimebundle_()
    json.dumps(bundle)  # what a kernel sends must be plain JSON
    assert len(bundle["application/vnd.plotly.v1+json"]["frames"]) == 4
