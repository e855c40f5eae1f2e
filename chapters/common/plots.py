"""Figures for the lessons: attention heatmaps with Chinese labels, training curves,
and quality-versus-length curves.

An attention heatmap (Bahdanau et al., 2015, "Neural Machine Translation by
Jointly Learning to Align and Translate", figure 3) shows the weight each target
token (a row) gives each source token (a column). Its labels are Chinese on one
side, so `plot_attention` first makes matplotlib use a font that draws them (see
`chapters.common.fonts`).

Every function draws on an `Axes` (its own or one it is given) and returns it;
none calls `plt.show()`, so they work under any backend, Agg included.
"""

import matplotlib
import numpy as np
from matplotlib import patches
from matplotlib import pyplot as plt
from matplotlib.ticker import MaxNLocator

from chapters.common import fonts


def _new_axes(figsize):
    # pyplot (rather than a bare Figure) registers the figure, so a notebook
    # shows it when the cell ends.
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _as_tokens(tokens, argument: str) -> list[str]:
    if hasattr(tokens, "numpy"):
        tokens = tokens.numpy()
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(
            f"{argument} must be a list of tokens (tokenize the sentence first). "
            f"Received: {argument}={tokens!r}"
        )
    tokens = list(tokens)
    for index, token in enumerate(tokens):
        if isinstance(token, bytes):
            # TensorFlow hands strings over as UTF-8 bytes.
            tokens[index] = token.decode("utf-8")
        elif not isinstance(token, str):
            raise TypeError(
                f"{argument}[{index}] must be a string token (decode ids with the "
                f"vocabulary first). Received: {type(token).__name__} {token!r}"
            )
    return tokens


def _check_weights(weights, source_tokens, target_tokens) -> np.ndarray:
    weights = np.asarray(weights, dtype="float64")
    if weights.ndim != 2:
        raise ValueError(
            "weights must have rank 2, (T, S): one row per target token, one "
            "column per source token. Pick one sentence (and one head), e.g. "
            f"weights[0]. Received: weights with shape {weights.shape}"
        )
    rows, columns = weights.shape
    if weights.size == 0:
        raise ValueError(f"weights is empty. Received: shape {weights.shape}")
    if (rows, columns) == (len(target_tokens), len(source_tokens)):
        return weights
    message = (
        f"weights has shape {weights.shape}, so it needs {rows} target tokens "
        f"(rows) and {columns} source tokens (columns). Received: "
        f"{len(target_tokens)} target tokens and {len(source_tokens)} source tokens."
    )
    if (columns, rows) == (len(target_tokens), len(source_tokens)):
        message += " The weights look transposed: rows are target tokens."
    raise ValueError(message)


def _draw_alignment(ax, alignment, shape) -> None:
    rows, columns = shape
    for link in alignment:
        if (
            len(link) != 2
            or not all(isinstance(index, (int, np.integer)) for index in link)
            or not (0 <= link[0] < rows and 0 <= link[1] < columns)
        ):
            raise ValueError(
                "alignment must hold (target_index, source_index) pairs inside "
                f"the weights' shape {shape}. Received the link {link!r}"
            )
        target_index, source_index = link
        ax.add_patch(
            patches.Rectangle(
                (source_index - 0.5, target_index - 0.5),
                1,
                1,
                fill=False,
                edgecolor="red",
                linewidth=2,
            )
        )
    legend_handle = patches.Patch(
        fill=False, edgecolor="red", linewidth=2, label="gold alignment"
    )
    ax.legend(
        handles=[legend_handle],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize="small",
        borderaxespad=0.2,
    )


def plot_attention(
    weights,
    source_tokens,
    target_tokens,
    ax=None,
    title=None,
    alignment=None,
    colorbar=True,
    cmap="viridis",
):
    """Draw attention weights as a heatmap labelled with the tokens.

    Args:
        weights: Attention weights of one sentence, `(T, S)`: row `t` holds the
            weights target token `t` gives the source tokens.
        source_tokens: The `S` source tokens, the column labels (rotated).
        target_tokens: The `T` target tokens, the row labels.
        ax: The matplotlib `Axes` to draw on; a new figure when None.
        title: Optional title.
        alignment: Optional gold links `(target_index, source_index)`, each
            outlined by a red box. The toy corpus gives links as
            `(chinese_index, english_index)`: swap them when the source is
            Chinese.
        colorbar: Whether to add a colorbar beside the heatmap.
        cmap: The matplotlib colormap.

    Returns:
        The `Axes` drawn on.
    """
    source_tokens = _as_tokens(source_tokens, "source_tokens")
    target_tokens = _as_tokens(target_tokens, "target_tokens")
    weights = _check_weights(weights, source_tokens, target_tokens)
    fonts.use_cjk_font()
    # Labels of an `Axes` made before `use_cjk_font` keep the old font unless
    # the family is given explicitly.
    font = {"fontfamily": matplotlib.rcParams["font.family"]}
    rows, columns = weights.shape
    if ax is None:
        ax = _new_axes((min(2.5 + 0.45 * columns, 20), min(1.5 + 0.4 * rows, 20)))
    # Softmax weights share one 0-to-1 scale, so heatmaps can be compared; raw
    # scores keep matplotlib's automatic range.
    if 0.0 <= weights.min() and weights.max() <= 1.0:
        vmin, vmax = 0.0, 1.0
    else:
        vmin = vmax = None
    image = ax.imshow(weights, cmap=cmap, vmin=vmin, vmax=vmax)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="attention weight")
    ax.set_xticks(
        range(columns),
        labels=source_tokens,
        rotation=45,
        ha="right",
        rotation_mode="anchor",
        **font,
    )
    ax.set_yticks(range(rows), labels=target_tokens, **font)
    ax.set_xlabel("source")
    ax.set_ylabel("target")
    if alignment is not None:
        _draw_alignment(ax, alignment, weights.shape)
    if title is not None:
        ax.set_title(title, loc="left", **font)
    return ax


def plot_attention_grid(translations, titles=None, columns=2, panel_size=(6.5, 5.5)):
    """The weights of several translations, one heatmap each, in a grid.

    Args:
        translations: `Translation`s from `Translator.translate_with_scores`
            (each with `.attention`, `.source_tokens` and `.tokens`).
        titles: one title per translation; none when None.
        columns: heatmaps per row.
        panel_size: `(width, height)` of one heatmap, in inches.

    Returns:
        The matplotlib `Figure`. Panels left over in the last row are hidden.
    """
    translations = list(translations)
    titles = [None] * len(translations) if titles is None else list(titles)
    if len(titles) != len(translations):
        raise ValueError(
            f"Give one title per translation. Received: {len(titles)} titles for "
            f"{len(translations)} translations"
        )
    rows = -(-len(translations) // columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(panel_size[0] * columns, panel_size[1] * rows),
        layout="constrained",
        squeeze=False,
    )
    panels = axes.flat[: len(translations)]
    for ax, translation, title in zip(panels, translations, titles, strict=True):
        plot_attention(
            translation.attention,
            translation.source_tokens,
            translation.tokens,
            ax=ax,
            colorbar=False,
            title=title,
        )
    for ax in axes.flat[len(translations) :]:
        ax.set_visible(False)
    return figure


def plot_history(history, metrics=("loss",), ax=None, title=None):
    """Plot training (solid) and validation (dashed) curves of named metrics.

    Args:
        history: The `keras.callbacks.History` that `model.fit` returns, or its
            `.history` dict (metric name -> one value per epoch).
        metrics: Metric names, e.g. `("loss",)` or `("masked_accuracy",)`; the
            validation curve `val_<name>` is drawn when present.
        ax: The `Axes` to draw on; a new figure when None.
        title: Optional title.

    Returns:
        The `Axes` drawn on.
    """
    values_by_name = getattr(history, "history", history)
    if not isinstance(values_by_name, dict):
        raise TypeError(
            "history must be a keras History or a dict of metric values. "
            f"Received: {type(history).__name__}"
        )
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one metric. Received: ()")
    for name in metrics:
        if name not in values_by_name or len(values_by_name[name]) == 0:
            raise ValueError(
                f"history has no values for {name!r}. It has: {sorted(values_by_name)}"
            )
    if ax is None:
        ax = _new_axes((6, 4))
    for name in metrics:
        values = values_by_name[name]
        epochs = range(1, len(values) + 1)
        (line,) = ax.plot(epochs, values, marker="o", label=f"training {name}")
        validation = values_by_name.get(f"val_{name}")
        if validation:
            ax.plot(
                range(1, len(validation) + 1),
                validation,
                marker="o",
                linestyle="--",
                color=line.get_color(),
                label=f"validation {name}",
            )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(metrics[0] if len(metrics) == 1 else "value")
    ax.grid(alpha=0.3)
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_length_curve(
    labels,
    scores,
    ax=None,
    xlabel="source length (tokens)",
    ylabel="BLEU (greedy)",
    title=None,
):
    """Quality against source length, one line per model, on one plot.

    Args:
        labels: the length buckets, e.g. `["1-10", "11-20", ...]`.
        scores: `{model name: [score per bucket]}`, e.g. `LengthCurve.bleu`; NaN
            leaves a gap for an empty bucket.
        ax: the `Axes` to draw on; a new figure when None.
        xlabel, ylabel, title: the axis labels and the title.

    Returns:
        The `Axes` drawn on.
    """
    labels = list(labels)
    if not labels or not scores:
        raise ValueError(
            "labels and scores must not be empty. Received: "
            f"{len(labels)} labels and {len(scores)} models"
        )
    for name, values in scores.items():
        if len(values) != len(labels):
            raise ValueError(
                f"scores[{name!r}] has {len(values)} values for {len(labels)} "
                "length buckets; give one value per bucket."
            )
    if ax is None:
        ax = _new_axes((7, 4))
    positions = np.arange(len(labels))
    for name, values in scores.items():
        ax.plot(positions, np.asarray(values, "float64"), marker="o", label=name)
    ax.set_xticks(positions, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
