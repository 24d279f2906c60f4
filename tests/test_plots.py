import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from embedlab.plots import (  # noqa: E402
    GREY,
    PALETTE,
    animation_html,
    category_colours,
    pipeline_figure,
    scatter_words,
    similarity_heatmap,
    timelapse,
)


def test_category_colours_are_fixed_and_grey_for_function_words():
    c = category_colours(["b", "a", "function", "a"])
    assert c == {"a": PALETTE[0], "b": PALETTE[1], "function": GREY}
    with pytest.raises(ValueError):
        category_colours([str(i) for i in range(len(PALETTE) + 1)])


def test_scatter_draws_one_point_per_word():
    fig, ax = plt.subplots()
    scatter_words(
        ax, np.arange(8).reshape(4, 2), list("wxyz"), ["a", "a", "b", "function"]
    )
    assert sum(len(c.get_offsets()) for c in ax.collections) == 4
    assert len(ax.texts) == 4
    plt.close(fig)


def test_heatmap_groups_rows_by_category():
    fig, ax = plt.subplots()
    sims = np.arange(9.0).reshape(3, 3)
    im = similarity_heatmap(ax, sims, ["b", "a", "b"])
    shown = im.get_array()
    assert np.array_equal(shown, sims[np.ix_([1, 0, 2], [1, 0, 2])])
    plt.close(fig)


def test_timelapse_html_has_every_frame_and_controls_and_no_cdn():
    frames = [np.random.default_rng(i).normal(size=(5, 2)) for i in range(4)]
    anim = timelapse(
        frames,
        list("abcde"),
        list("xxyyz"),
        [0, 1, 2, 3],
        curve=[0.1, 0.2, 0.3, 0.4],
        chance=0.1,
    )
    html = animation_html(anim)
    assert html.count("data:image/png;base64") == 4
    assert "next_frame" in html and "font-awesome" not in html
    with pytest.raises(ValueError):
        timelapse(frames, list("abcde"), list("xxyyz"), [0, 1])


def test_pipeline_figure_shows_the_real_values():
    rows = np.array([[0.123, -1.0], [2.0, 0.5]])
    fig = pipeline_figure(["hello", "world"], [7, 9], rows, vocab_size=10)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "7" in texts and "+0.1" in texts and "10 × 2" in texts
    plt.close(fig)
