"""Drawings of chapter 6's ideas: one training step of data parallelism.

`draw_data_parallel_step` draws what `distributed.make_distributed_train_step`
does: the global batch cut into one slice per replica, every replica with its
own copy of the weights computing the gradient of its part of the loss, the
all-reduce that sums the replicas' gradients and hands the sum to every one of
them, and the same update applied to every copy.

It draws boxes and arrows with chapter 2's helpers, and returns the figure
without calling `plt.show()`. Every box, arrow and label carries a `gid` naming
its part (`"replica"`, `"batch_slice"`, `"all_reduce"` ...), so that tests, and
curious learners, can find the parts of the drawing.
"""

import textwrap

from matplotlib import patches
from matplotlib import pyplot as plt

from chapters.ch02_encoder_decoder.drawings import (
    diagram_arrow,
    diagram_box,
    diagram_label,
    finish_diagram,
)
from chapters.common.arguments import positive_int

# More replicas than this would not fit side by side on a page.
MOST_REPLICAS_DRAWN = 6
COLORS = {
    "batch": "#f2f2f2",
    "weights": "#cfe2f3",
    "gradient": "#fce5cd",
    "all_reduce": "#b6d7a8",
    "update": "#d9d2e9",
    "replica_frame": "#666666",
}
CAPTION = (
    "$S_r$: the sum of replica r's token losses. $N$: the real target tokens of the "
    "global batch, summed across the replicas too. The same $g$ updates every copy, "
    "so the copies stay identical."
)
# At 8 points, about this many characters fit in a unit (an inch) of width,
# and a line takes this height.
CAPTION_CHARACTERS_PER_UNIT = 17
CAPTION_LINE_HEIGHT = 0.16
# Horizontal distance between two replicas' columns, the width of a box, and
# the narrowest drawing that its titles fit in (one replica gets a wider column).
COLUMN_WIDTH = 3.0
BOX_WIDTH = 2.5
NARROWEST = 6.0


def slice_sizes(global_batch_size, num_replicas):
    """How many sentences each replica gets of a global batch: as even as it
    goes, the first replicas taking one more (as `distributed_batches` cuts)."""
    base, extra = divmod(global_batch_size, num_replicas)
    return [base + (replica < extra) for replica in range(num_replicas)]


def _sum_of_gradients(num_replicas):
    if num_replicas <= 3:
        terms = " + ".join(f"g_{{{r}}}" for r in range(1, num_replicas + 1))
    else:
        terms = f"g_1 + g_2 + \\ldots + g_{{{num_replicas}}}"
    return f"$g = {terms}$"


def draw_data_parallel_step(
    num_replicas=2, global_batch_size=8, device_names=None, title=None
):
    """Draw one training step of data parallelism on `num_replicas` replicas.

    Top to bottom: the global batch of `global_batch_size` sentences, cut into
    one slice per replica; each replica (a dashed frame) holding a copy of the
    weights `W` and computing, on its slice alone, the gradient `g_r` of its
    token-loss sum over the global batch's real tokens, `S_r / N`; the all-reduce
    that sums the `g_r` and hands `g` to every replica; the same update
    `W ← W − η g` on every copy, which keeps the copies identical.

    Args:
        num_replicas: replicas drawn side by side, 1 to 6.
        global_batch_size: sentences in the global batch; a batch that does not
            divide evenly gives the first replicas one more sentence.
        device_names: one name per replica (e.g. `use_logical_cpu_devices(2)`),
            written under each replica's title; None writes `device r`.
        title: optional title.

    Returns:
        The matplotlib `Figure`.
    """
    num_replicas = positive_int(num_replicas, "num_replicas")
    global_batch_size = positive_int(global_batch_size, "global_batch_size")
    if num_replicas > MOST_REPLICAS_DRAWN:
        raise ValueError(
            f"Up to {MOST_REPLICAS_DRAWN} replicas fit in the drawing. "
            f"Received: num_replicas={num_replicas}"
        )
    if device_names is None:
        device_names = [f"device {replica}" for replica in range(num_replicas)]
    elif isinstance(device_names, str) or len(device_names) != num_replicas:
        raise ValueError(
            "device_names must be a list of one name per replica. Received: "
            f"device_names={device_names!r} for num_replicas={num_replicas}"
        )
    column_width = max(COLUMN_WIDTH, NARROWEST / num_replicas)
    columns = [column_width * replica for replica in range(num_replicas)]
    left = columns[0] - column_width / 2
    right = columns[-1] + column_width / 2
    middle = (left + right) / 2
    # Rows, top to bottom, in the drawing's units (an inch each on the page).
    batch_title_y, batch_y = 6.45, 6.0
    frame_top, frame_bottom = 5.45, 2.45
    weights_y, gradient_y = 4.55, 3.25
    all_reduce_y, update_y = 1.65, 0.55
    caption_y = update_y - 0.45
    caption = textwrap.fill(CAPTION, int(CAPTION_CHARACTERS_PER_UNIT * (right - left)))
    bottom = caption_y - CAPTION_LINE_HEIGHT * (caption.count("\n") + 1) - 0.1
    top = batch_title_y + 0.3
    x_range, y_range = (left - 0.1, right + 0.1), (bottom, top)
    figure, ax = plt.subplots(
        figsize=(x_range[1] - x_range[0], y_range[1] - y_range[0] + 0.4),
        layout="constrained",
    )

    diagram_label(
        ax,
        (middle, batch_title_y),
        f"global batch: {global_batch_size} sentences, N real target tokens",
        "global_batch_label",
        fontsize=10,
        fontweight="bold",
    )
    sizes = slice_sizes(global_batch_size, num_replicas)
    for replica, (x, size) in enumerate(zip(columns, sizes, strict=True)):
        ax.add_patch(
            patches.Rectangle(
                (x - column_width / 2, batch_y - 0.25),
                column_width,
                0.5,
                facecolor=COLORS["batch"],
                edgecolor="#444444",
                gid="batch_slice",
                zorder=2,
            )
        )
        sentences = "sentence" if size == 1 else "sentences"
        diagram_label(
            ax,
            (x, batch_y),
            f"slice {replica + 1}: {size} {sentences}",
            "batch_slice_label",
        )
        diagram_arrow(ax, (x, batch_y - 0.25), (x, weights_y + 0.3), "slice_arrow")

        ax.add_patch(
            patches.FancyBboxPatch(
                (x - BOX_WIDTH / 2 - 0.13, frame_bottom),
                BOX_WIDTH + 0.26,
                frame_top - frame_bottom,
                boxstyle="round,pad=0,rounding_size=0.12",
                fill=False,
                edgecolor=COLORS["replica_frame"],
                linestyle="--",
                gid="replica",
                zorder=1,
            )
        )
        # Left of the slice's arrow, which runs down the column's middle.
        diagram_label(
            ax,
            (x - BOX_WIDTH / 2 + 0.05, frame_top - 0.1),
            f"replica {replica + 1}\n{device_names[replica]}",
            "replica_label",
            ha="left",
            va="top",
            fontsize=8.5,
        )
        diagram_box(
            ax,
            (x, weights_y),
            "copy of the weights W",
            "weights_copy",
            (BOX_WIDTH, 0.6),
            COLORS["weights"],
        )
        diagram_arrow(ax, (x, weights_y - 0.3), (x, gradient_y + 0.45), "forward_arrow")
        r = replica + 1
        diagram_box(
            ax,
            (x, gradient_y),
            f"forward, backward on slice {r}:\n$g_{{{r}}} = \\nabla\\,(S_{{{r}}} / N)$",
            "replica_gradient",
            (BOX_WIDTH, 0.9),
            COLORS["gradient"],
        )
        diagram_arrow(
            ax, (x, gradient_y - 0.45), (x, all_reduce_y + 0.35), "gradient_arrow"
        )
        diagram_arrow(ax, (x, all_reduce_y - 0.35), (x, update_y + 0.3), "sum_arrow")
        diagram_box(
            ax,
            (x, update_y),
            r"$W \leftarrow W - \eta\, g$",
            "update",
            (BOX_WIDTH, 0.6),
            COLORS["update"],
        )

    diagram_box(
        ax,
        (middle, all_reduce_y),
        "all-reduce: the sum, handed back to every replica\n"
        + _sum_of_gradients(num_replicas),
        "all_reduce",
        (right - left - 0.2, 0.8),
        COLORS["all_reduce"],
    )
    diagram_label(
        ax,
        (left + 0.1, caption_y),
        caption,
        "caption",
        ha="left",
        va="top",
        fontsize=8,
        color="#444444",
    )
    finish_diagram(ax, x_range, y_range, title)
    return figure
