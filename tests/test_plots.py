"""Tests of the figures: Chinese labels really render, heatmaps, curves, checks."""

import types
import warnings

import keras
import matplotlib
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib import pyplot as plt

from chapters.common import fonts, plots

matplotlib.use("Agg")

SOURCE = ["我", "喜", "欢", "苹", "果", "。"]
TARGET = ["i", "like", "apples", ".", "[END]"]


def attention_weights(rows, columns, seed=0):
    scores = np.random.default_rng(seed).normal(size=(rows, columns))
    exponentials = np.exp(scores)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


@pytest.fixture(autouse=True)
def clean_matplotlib():
    # use_cjk_font changes rcParams; keep that from leaking into other tests.
    with matplotlib.rc_context():
        yield
    plt.close("all")


def missing_glyph_warnings(caught):
    return [w for w in caught if "missing from font" in str(w.message)]


def render(ax, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.savefig(path)
    return caught


def test_chinese_labels_render_with_a_font_that_has_them(tmp_path):
    if fonts.find_cjk_font() is None:
        pytest.skip("no font with Chinese glyphs is installed")
    ax = plots.plot_attention(attention_weights(5, 6), SOURCE, TARGET, title="注意力")
    caught = render(ax, tmp_path / "attention.png")
    assert missing_glyph_warnings(caught) == []
    assert (tmp_path / "attention.png").stat().st_size > 0

    assert [label.get_text() for label in ax.get_xticklabels()] == SOURCE
    assert [label.get_text() for label in ax.get_yticklabels()] == TARGET
    for text in [*ax.get_xticklabels(), ax.title]:
        path = font_manager.findfont(
            text.get_fontproperties(), fallback_to_default=False
        )
        assert fonts.font_covers(path, "".join(SOURCE) + "注意力"), path


def test_the_default_font_would_lose_the_glyphs(tmp_path):
    # The control for the test above: without a Chinese font matplotlib warns
    # about every missing glyph, which is what that test listens for.
    _, ax = plt.subplots()
    ax.set_title("我喜欢苹果", fontfamily="DejaVu Sans")
    assert missing_glyph_warnings(render(ax, tmp_path / "boxes.png"))
    assert not fonts.font_covers(font_manager.findfont("DejaVu Sans"), "我")


def test_heatmap_shows_the_weights_and_the_gold_alignment():
    weights = attention_weights(5, 6)
    alignment = [(0, 0), (1, 1), (1, 2), (2, 3), (2, 4), (3, 5)]
    ax = plots.plot_attention(weights, SOURCE, TARGET, alignment=alignment)
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), weights)
    assert image.get_clim() == (0.0, 1.0)
    corners = [rectangle.get_xy() for rectangle in ax.patches]
    assert corners == [(source - 0.5, target - 0.5) for target, source in alignment]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "gold alignment"
    ]
    assert len(ax.figure.axes) == 2  # The heatmap and its colorbar.


def test_heatmap_accepts_tensorflow_style_bytes_tokens():
    ax = plots.plot_attention(
        np.full((1, 2), 0.5), [b"\xe4\xbd\xa0", b"!"], ["hi"], colorbar=False
    )
    assert [label.get_text() for label in ax.get_xticklabels()] == ["你", "!"]


@pytest.mark.parametrize(
    ("weights", "source", "target", "error", "match"),
    [
        (np.ones((1, 5, 6)), SOURCE, TARGET, ValueError, r"rank 2.*\(1, 5, 6\)"),
        (np.ones((5, 6)), SOURCE, TARGET[:4], ValueError, "needs 5 target tokens"),
        (np.ones((6, 5)), SOURCE, TARGET, ValueError, "look transposed"),
        (np.ones((0, 0)), [], [], ValueError, "empty"),
        (np.ones((1, 5)), "我喜欢苹果", ["x"], TypeError, "list of tokens"),
        (np.ones((1, 2)), [3, 4], ["x"], TypeError, r"source_tokens\[0\]"),
    ],
)
def test_heatmap_rejects_bad_input(weights, source, target, error, match):
    with pytest.raises(error, match=match):
        plots.plot_attention(weights, source, target)


def test_heatmap_rejects_alignment_outside_the_weights():
    with pytest.raises(ValueError, match=r"Received the link \(5, 0\)"):
        plots.plot_attention(
            attention_weights(5, 6), SOURCE, TARGET, alignment=[(5, 0)]
        )


def test_history_curves_from_a_keras_history_or_a_dict():
    history = keras.callbacks.History()
    history.history = {
        "loss": [2.0, 1.5, 1.2],
        "val_loss": [2.1, 1.8, 1.7],
        "masked_accuracy": [0.2, 0.4, 0.5],
    }
    ax = plots.plot_history(history, metrics=("loss", "masked_accuracy"))
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training loss", "validation loss", "training masked_accuracy"]
    training, validation, _ = ax.get_lines()
    np.testing.assert_array_equal(validation.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(validation.get_ydata(), [2.1, 1.8, 1.7])
    assert validation.get_color() == training.get_color()

    ax = plots.plot_history(history.history, metrics="loss")
    assert ax.get_ylabel() == "loss"
    with pytest.raises(ValueError, match="no values for 'accuracy'.*'val_loss'"):
        plots.plot_history(history, metrics=("accuracy",))
    with pytest.raises(TypeError, match="keras History or a dict"):
        plots.plot_history([1.0, 0.5])


def test_length_curves_of_several_models_share_one_axes():
    labels = ["1-10", "11-20", "21+"]
    ax = plots.plot_length_curve(
        labels, {"seq2seq": [30.0, 20.0, 3.0], "attention": [31.0, 29.0, np.nan]}
    )
    first, second = ax.get_lines()
    np.testing.assert_array_equal(first.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(first.get_ydata(), [30.0, 20.0, 3.0])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "seq2seq",
        "attention",
    ]
    assert np.isnan(second.get_ydata()[-1])
    with pytest.raises(ValueError, match=r"scores\['x'\] has 3 values for 2"):
        plots.plot_length_curve(["1-10", "11+"], {"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="must not be empty"):
        plots.plot_length_curve(labels, {})


def test_attention_grid_draws_one_heatmap_per_translation_and_hides_the_rest():
    # What the grid reads of a `Translation`.
    translations = [
        types.SimpleNamespace(
            tokens=["i", "love", "you"],
            source_tokens=["我", "爱", "你"],
            attention=np.eye(3) * (index + 1) / 3,
        )
        for index in range(3)
    ]
    figure = plots.plot_attention_grid(translations, ["a", "b", "c"], columns=2)
    shown = [ax for ax in figure.axes if ax.get_visible()]
    assert len(figure.axes) == 4 and len(shown) == 3
    assert [ax.get_title(loc="left") for ax in shown] == ["a", "b", "c"]
    # Each panel shows its own translation's weights.
    assert shown[1].images[0].get_array()[0, 0] == pytest.approx(2 / 3)
    plt.close(figure)
    with pytest.raises(ValueError, match="one title per translation"):
        plots.plot_attention_grid(translations, ["a"])
