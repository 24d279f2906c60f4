import base64
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from embedlab.plots import (  # noqa: E402
    GREY,
    MIN_FONT_PT,
    PALETTE,
    animation_html,
    category_colours,
    category_markers,
    figure_png,
    label_points,
    pipeline_figure,
    scatter_words,
    similarity_heatmap,
    smallest_font_pt,
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


# Machado, Oliveira & Fernandes (2009), deuteranopia at severity 1.0, on linear RGB.
MACHADO_DEUTAN = np.array([[0.367322, 0.860646, -0.227968],
                           [0.280085, 0.672501, 0.047413],
                           [-0.011820, 0.042940, 0.968881]])


def _deutan(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return np.clip(MACHADO_DEUTAN @ lin, 0, 1)


def test_categories_stay_apart_under_deuteranopia_by_shape():
    cats = ["animal", "colour", "food", "person", "place", "verb", "function"]
    colours, markers = category_colours(cats), category_markers(cats)
    assert len(set(markers.values())) == len(cats)  # every category its own shape
    sim = {c: _deutan(colours[c]) for c in cats}
    close = [(a, b) for i, a in enumerate(cats) for b in cats[i + 1:]
             if np.abs(sim[a] - sim[b]).max() < 0.1]
    # hue alone is not enough (that is why the shapes exist) ...
    assert close, "expected some palette pairs to look alike to a deuteranope"
    # ... and every such pair differs in shape
    assert all(markers[a] != markers[b] for a, b in close)


def test_scatter_uses_one_shape_per_category():
    fig, ax = plt.subplots()
    scatter_words(ax, np.arange(8).reshape(4, 2), list("wxyz"), ["a", "b", "b", "c"])
    paths = {tuple(c.get_paths()[0].vertices.round(3).ravel()) for c in ax.collections}
    assert len(ax.collections) == 3 and len(paths) == 3
    plt.close(fig)


def _boxes(fig, texts):
    r = fig.canvas.get_renderer()
    return [t.get_window_extent(r) for t in texts]


def test_label_points_never_overlaps_and_keeps_a_subset():
    fig, ax = plt.subplots(figsize=(3, 3))
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(60, 2)) * 0.3  # a crowded blob
    ax.scatter(*xy.T)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    labels = label_points(ax, xy, [f"word{i}" for i in range(60)])
    fig.canvas.draw()
    boxes = _boxes(fig, labels)
    assert 3 <= len(labels) < 60  # a readable subset, not a blob
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    # the naive way (every word labelled) does overlap: the test can fail
    naive = [ax.annotate(f"word{i}", p, fontsize=9) for i, p in enumerate(xy)]
    fig.canvas.draw()
    nb = _boxes(fig, naive)
    assert any(a.overlaps(b) for i, a in enumerate(nb) for b in nb[i + 1:])
    plt.close(fig)


def test_figure_png_is_2x_and_records_its_smallest_font():
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
    ax.plot([0, 1])
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=7.5)
    assert smallest_font_pt(fig) == 7.5
    data, size = figure_png(fig)
    img = Image.open(io.BytesIO(data))
    assert img.info["embedlab-min-font-pt"] == "7.50" and img.info["embedlab-dpi"] == "200"
    assert img.size[0] == 2 * size["width"] and abs(size["width"] - 400) < 60
    plt.close(fig)


def test_book_style_fits_the_column():
    assert plt.rcParams["figure.figsize"][0] * plt.rcParams["figure.dpi"] <= 690
    for key in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize", "font.size"):
        assert float(plt.rcParams[key]) >= MIN_FONT_PT


def test_animation_html_records_font_and_uses_palette_frames():
    from PIL import Image

    frames = [np.random.default_rng(i).normal(size=(6, 2)) for i in range(3)]
    anim = timelapse(frames, list("abcdef"), list("xxyyzz"), [0, 1, 2])
    html = animation_html(anim)
    assert 'class="embedlab-animation"' in html
    assert f'data-min-font-pt="{MIN_FONT_PT:.2f}"' in html and 'data-dpi="100"' in html
    b64 = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)", html)
    assert len(b64) == 3
    img = Image.open(io.BytesIO(base64.b64decode(b64[0].replace("\\\n", ""))))
    assert img.mode == "P" and img.size[0] <= 690  # palette PNG, column wide


TYPED_NUMBER = re.compile(r"\b(exercises?|figures?|fig\.|tables?|sections?)[ \t]+\d+\b",
                          re.IGNORECASE)


def typed_numbers(text: str) -> list[str]:
    """Prose that types an exercise/figure/table/section number (code cells and
    directive options excluded)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return [m.group(0) for m in TYPED_NUMBER.finditer(prose)]


def test_chapters_refer_to_exercises_and_figures_by_label():
    assert typed_numbers("as in exercise 3, see Figure 2") == ["exercise 3", "Figure 2"]
    assert typed_numbers("see {ref}`lookup-ex3`\n```python\nexercise 3\n```") == []
    root = Path(__file__).resolve().parents[1]
    found = {p.name: typed_numbers(p.read_text())
             for p in sorted((root / "chapters").glob("*.md"))}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"typed numbers (use {{ref}} to the label): {found}"


def test_fit_titles_wraps_only_titles_wider_than_their_axes():
    from embedlab.plots import fit_titles

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(6.9, 3))
    ax.set_title("Norm rises with frequency, then falls for the commonest tokens")
    bx.set_title("short")
    fig.draw_without_rendering()
    assert fit_titles(fig)
    assert "\n" in ax.get_title() and bx.get_title() == "short"
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    assert ax.title.get_window_extent(r).width <= 1.02 * ax.get_window_extent(r).width
    assert not fit_titles(fig)  # nothing left to wrap
    plt.close(fig)


def test_figure_png_records_the_title_as_alt_text():
    from PIL import Image

    from embedlab.plots import figure_title

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(6, 2.5))
    fig.suptitle("Trained rows group by category")
    ax.set_title("before: mixed")
    bx.set_title("after  training:\n  clustered (×4)")  # newline and non-Latin-1 text
    data, _ = figure_png(fig)
    plt.close(fig)
    want = "Trained rows group by category; before: mixed; after training: clustered (×4)"
    assert figure_title(fig) == want
    assert Image.open(io.BytesIO(data)).text["embedlab-title"] == want
    fig, ax = plt.subplots()  # no titles: the axis labels describe it
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    assert figure_title(fig) == "loss against step"
    ax.set_xlabel("")
    assert figure_title(fig) == ""
    plt.close(fig)


def test_animation_html_has_alt_text_and_a_legible_minimum_width():
    frames = [np.random.default_rng(i).normal(size=(6, 2)) for i in range(3)]
    anim = timelapse(frames, list("abcdef"), list("xxyyzz"), [0, 1, 2],
                     title="Rows move apart")
    html = animation_html(anim)
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 1 and 'alt="Rows move apart' in imgs[0]
    # shown at this width the smallest text is 10 CSS px: pt x dpi / 72 x shown / natural
    (w,) = re.findall(r"--embedlab-min-width: (\d+)px", html)
    natural = 6.9 * 100
    assert MIN_FONT_PT * 100 / 72 * int(w) / natural == pytest.approx(10, abs=0.02)


def test_timelapse_labels_never_overlap_in_any_frame():
    """A film from a blob (a random table) to spread-out groups: the words that fit in the
    last frame are labelled, and in every frame only those that fit there are shown."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rng = np.random.default_rng(0)
    n = 30
    spread = np.stack(np.meshgrid(np.arange(6), np.arange(5)), -1).reshape(-1, 2) * 1.0
    frames = [spread * a + rng.normal(size=(n, 2)) * 0.05 * (1 - a)
              for a in (0.02, 0.3, 1.0)]
    words = [f"w{i:02d}" for i in range(n)]
    anim = timelapse(frames, words, ["x", "y", "z"] * 10, [0, 5, 10])
    fig = anim._fig
    FigureCanvasAgg(fig)  # the animation closed its figure: give it a canvas to draw on
    anim._draw_was_started = True  # frames are drawn by hand below
    ax = fig.axes[0]
    shown = []
    for t in range(len(frames)):
        anim._func(t)
        fig.canvas.draw()
        labs = [a for a in ax.texts if a.get_visible() and a.get_text() in words]
        boxes = _boxes(fig, labs)
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), t
        shown.append(len(labs))
    assert shown[0] < shown[-1] and shown[-1] >= n // 2  # a blob shows few, the end most
    # the old way (every final label in every frame) overlaps in the blob: can fail
    for a in ax.texts:
        a.set_visible(True)
    anim._func(0)
    for a in ax.texts:
        a.set_visible(True)
    fig.canvas.draw()
    boxes = _boxes(fig, [a for a in ax.texts if a.get_text() in words])
    assert any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    plt.close(fig)
