"""The explorer: the training run it keeps, the projections, the static grid, the widget's
controls, and the two projection/plot helpers it relies on (frame_displacement,
per_frame_pca, timelapse_curves)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from embedlab.plots import timelapse_curves  # noqa: E402
from embedlab.projection import frame_displacement, per_frame_pca  # noqa: E402
from embedlab.widgets import (  # noqa: E402
    METHODS,
    ExplorerConfig,
    explorer,
    neighbour_text,
    project,
    run_toyworld,
    static_grid,
)

# matplotlib warns when an animation is garbage-collected unrendered; the test does so on
# purpose (it calls the frame function directly).
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted")

SMALL = ExplorerConfig(objective="cbow", dim=8, steps=40, batch_size=64,
                       snapshot_every=10, n_sentences=300, seed=0)


@pytest.fixture(scope="module")
def run():
    return run_toyworld(SMALL)


def test_run_keeps_content_word_snapshots(run):
    assert run.steps == [0, 10, 20, 30, 40]
    assert len(run.words) == 48 and len(set(run.labels)) == 6
    assert all(t.shape == (48, 8) for t in run.tables)
    assert len(run.losses) == 40 and len(run.purity) == 5
    assert not np.allclose(run.tables[0], run.tables[-1])


def test_run_is_deterministic(run):
    again = run_toyworld(SMALL)
    assert all(np.array_equal(a, b) for a, b in zip(run.tables, again.tables, strict=True))
    assert again.losses == run.losses


def test_unknown_objective_and_method(run):
    with pytest.raises(ValueError, match="objective"):
        run_toyworld(ExplorerConfig(objective="glove"))
    with pytest.raises(ValueError, match="method"):
        project(run, "umap")


def test_project_shapes_and_cache(run):
    for m in METHODS[:2]:
        frames = project(run, m)
        assert len(frames) == 5 and all(f.shape == (48, 2) for f in frames)
        assert project(run, m) is frames  # cached


def test_every_keeps_first_and_last(run):
    few = run.every(3)
    assert few.steps == [0, 30, 40]
    assert np.array_equal(few.tables[1], run.tables[3])
    assert few.purity == [run.purity[i] for i in (0, 3, 4)]
    with pytest.raises(ValueError):
        run.every(0)


def test_frame_displacement_hand_worked():
    a = np.array([[1.0, 0.0], [-1.0, 0.0]])  # spread (RMS radius) 1
    b = a + np.array([0.5, 0.0])  # every point moves 0.5
    assert frame_displacement([a, b]) == pytest.approx(0.5)
    assert frame_displacement([a, a, a]) == 0.0
    with pytest.raises(ValueError):
        frame_displacement([a])


def test_per_frame_pca_matches_sklearn_up_to_sign():
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(30, 6)) * [5, 3, 1, 1, 1, 1] for _ in range(3)]
    for f, ours in zip(frames, per_frame_pca(frames), strict=True):
        ref = PCA(2).fit_transform(f)
        assert np.allclose(np.abs(ours), np.abs(ref), atol=1e-8)


def test_aligned_projection_jumps_less_than_naive(run):
    longer = run_toyworld(ExplorerConfig(steps=120, snapshot_every=10, n_sentences=600))
    naive = frame_displacement(per_frame_pca(longer.tables))
    assert frame_displacement(project(longer, "aligned PCA")) < naive
    assert frame_displacement(project(longer, "Procrustes")) < naive


def test_static_grid_panels(run):
    fig = static_grid(run, METHODS[:2], frame_ids=[0, 2, 4], highlight={"animal"})
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title().startswith("step 0")
    assert fig.axes[2].get_title().startswith("step 40")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["animal", "other words"]


def test_neighbour_text_matches_probe(run):
    from embedlab.probes import nearest_neighbours

    text = neighbour_text(run, 4, "cat", k=3)
    assert text.split(" (")[0] == nearest_neighbours(run.tables[4], run.words, "cat", 3)[0][0]
    assert text.count("(") == 3


def test_timelapse_curves_moves_points_and_markers():
    frames = [np.zeros((3, 2)), np.ones((3, 2)), 2 * np.ones((3, 2))]
    anim = timelapse_curves(frames, ["a", "b", "c"], ["x", "x", "y"], [0, 5, 10],
                            curves={"loss": ([1, 10], [2.0, 1.0])})
    anim._func(1)
    fig = anim._fig
    offsets = fig.axes[0].collections[0].get_offsets()
    assert np.allclose(offsets, 1.0)
    marker = fig.axes[1].lines[-1]
    assert marker.get_xdata()[0] == 5
    assert marker.get_ydata()[0] == pytest.approx(np.interp(5, [1, 10], [2.0, 1.0]))
    with pytest.raises(ValueError):
        timelapse_curves(frames, ["a", "b", "c"], ["x", "x", "y"], [0, 5], curves={})


def test_explorer_controls_redraw_and_retrain(run):
    box = explorer(run)
    c = box.controls
    c["step"].value = 4
    assert "step 40" in box.state["figure"].axes[0].get_title()
    c["method"].value = "Procrustes"
    assert "Procrustes" in box.state["figure"].axes[0].get_title()
    c["word"].value = "red"
    assert c["panel"].value.startswith("<b>red</b>:")
    c["objective"].value = "skipgram"
    c["dim"].value = 4
    c["button"].click()
    new = box.state["run"]
    assert new.config.objective == "skipgram" and new.tables[0].shape == (48, 4)
    assert new.config.steps == SMALL.steps  # other settings kept
