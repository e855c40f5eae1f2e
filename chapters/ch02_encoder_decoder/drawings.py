"""Drawings of chapter 2's ideas: the encoder-decoder unrolled over one sentence pair
(Cho et al., 2014, figure 1, with the context fed to every decoder step), and the
tree a beam search grows for one sentence.

Both are boxes and arrows drawn with matplotlib on an `Axes` (their own or one they
are given), which they return; neither calls `plt.show()`. Every box, arrow and
label carries a `gid` naming its part (`"encoder_cell"`, `"best_path_edge"` ...), so
that tests, and curious learners, can find the parts of a drawing.
"""

from typing import NamedTuple

import matplotlib
import numpy as np
from matplotlib import patches
from matplotlib import pyplot as plt

from chapters.common import fonts
from chapters.common.decoding import TRACE_FIELDS
from chapters.common.plots import _as_tokens
from chapters.common.vocabulary import END_ID, START_ID

# How the context sets the decoder's first state, as the caption writes it.
INITIAL_STATE_LABELS = {
    "projection": r"$s_0 = \tanh(W_s\,c + b_s)$",
    "encoder": r"$s_0 = c$",
    None: r"$s_0 = 0$",
}
COLORS = {
    "token": "#f2f2f2",
    "start": "#f2f2f2",
    "encoder": "#cfe2f3",
    "decoder": "#fce5cd",
    "context": "#b6d7a8",
    "context_line": "#38761d",
    "kept": "#cfe2f3",
    "finished": "#d9ead3",
    "pruned": "white",
    "best": "#cc0000",
}


def diagram_label(ax, xy, text, gid, **style):
    """Text centred on `xy` (unless `style` says otherwise), in the CJK font."""
    style = {"ha": "center", "va": "center", "fontsize": 9, "zorder": 3, **style}
    family = matplotlib.rcParams["font.family"]
    return ax.text(*xy, text, gid=gid, fontfamily=family, **style)


def diagram_box(ax, center, text, gid, size, facecolor="white", **style):
    """A rounded box named `gid`, with `text` (named `gid + "_label"`) inside."""
    width, height = size
    ax.add_patch(
        patches.FancyBboxPatch(
            (center[0] - width / 2, center[1] - height / 2),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=facecolor,
            edgecolor=style.pop("edgecolor", "#444444"),
            linewidth=style.pop("linewidth", 1.0),
            linestyle=style.pop("linestyle", "-"),
            gid=gid,
            zorder=2,
        )
    )
    diagram_label(ax, center, text, f"{gid}_label", **style)


def diagram_arrow(ax, start, end, gid, color="#444444", **style):
    ax.add_patch(
        patches.FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=10,
            color=color,
            shrinkA=0,
            shrinkB=0,
            gid=gid,
            zorder=1,
            **style,
        )
    )


def _new_axes(width, height):
    # pyplot (rather than a bare Figure) registers the figure, so a notebook
    # shows it when the cell ends.
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def finish_diagram(ax, x_range, y_range, title):
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, loc="left", fontfamily=matplotlib.rcParams["font.family"])
    return ax


def draw_unrolled_seq2seq(
    source_tokens,
    target_tokens,
    ax=None,
    cell_name="GRU",
    initial_state="projection",
    title=None,
):
    """Draw the RNN encoder-decoder unrolled over one training pair.

    Bottom to top: the source tokens and the teacher-forced decoder inputs
    (`[START]` and the true previous words); the decoder's input at every step,
    `[embed(y_{t-1}); c]`; the RNN steps, encoder `h_i` on the left and decoder
    `s_t` on the right, with the context vector `c` (the encoder's last state)
    between them; the words each decoder step must predict, `[END]` last.

    Args:
        source_tokens: the source sentence's tokens, e.g. `["我", "爱", "你", "。"]`.
        target_tokens: the target sentence's tokens, e.g. `["i", "love", "you",
            "."]`; `[START]` and `[END]` are added (a leading `[START]` or a
            trailing `[END]` given is not repeated).
        ax: the `Axes` to draw on; a new figure when None.
        cell_name: the RNN cell written in each step's box.
        initial_state: how `c` sets the decoder's first state (see `Decoder`):
            `"projection"`, `"encoder"`, or None for a zero state (then `c`
            reaches the decoder only through its inputs).
        title: optional title.

    Returns:
        The `Axes` drawn on.
    """
    source_tokens = _as_tokens(source_tokens, "source_tokens")
    target_tokens = _as_tokens(target_tokens, "target_tokens")
    if target_tokens[:1] == ["[START]"]:
        target_tokens = target_tokens[1:]
    if target_tokens[-1:] == ["[END]"]:
        target_tokens = target_tokens[:-1]
    if not source_tokens or not target_tokens:
        raise ValueError(
            "source_tokens and target_tokens need at least one token each. "
            f"Received: {source_tokens} and {target_tokens}"
        )
    if initial_state not in INITIAL_STATE_LABELS:
        raise ValueError(
            "initial_state must be 'projection', 'encoder' or None. "
            f"Received: initial_state={initial_state!r}"
        )
    fonts.use_cjk_font()
    inputs = ["[START]", *target_tokens]
    outputs = [*target_tokens, "[END]"]
    # Steps one unit apart; rows: tokens, decoder inputs, RNN steps, predictions.
    encoder_x = np.arange(len(source_tokens), dtype=float)
    context_x = encoder_x[-1] + 1.6
    decoder_x = context_x + 1.8 + np.arange(len(inputs))
    token_y, concat_y, cell_y, output_y = 0.0, 1.0, 2.0, 3.2
    cell, token_size, concat_size = (0.7, 0.6), (0.88, 0.42), (0.66, 0.34)
    right = decoder_x[-1] + 2.0
    if ax is None:
        # 0.85 inch per unit, less when that would be wider than 20 inches.
        width = min(0.85 * (right + 0.6), 20)
        ax = _new_axes(width, width * 5.4 / (right + 0.6))

    def state_arrow(start_x, end_x, name):
        diagram_arrow(ax, (start_x, cell_y), (end_x, cell_y), "state_arrow")
        middle = ((start_x + end_x) / 2, cell_y + 0.1)
        diagram_label(ax, middle, name, "state_label", va="bottom")

    for index, (x, token) in enumerate(zip(encoder_x, source_tokens, strict=True)):
        diagram_box(
            ax, (x, token_y), token, "source_token", token_size, COLORS["token"]
        )
        diagram_arrow(ax, (x, token_y + 0.21), (x, cell_y - 0.3), "embedding_arrow")
        diagram_box(ax, (x, cell_y), cell_name, "encoder_cell", cell, COLORS["encoder"])
        end = context_x - 0.4 if index == len(encoder_x) - 1 else x + 0.65
        state_arrow(x + 0.35, end, f"$h_{{{index + 1}}}$")

    context_style = {"fontsize": 13, "fontweight": "bold"}
    diagram_box(
        ax,
        (context_x, cell_y),
        "c",
        "context",
        (0.8, 0.6),
        COLORS["context"],
        **context_style,
    )
    diagram_label(
        ax,
        (context_x, cell_y + 0.4),
        "context\nvector",
        "context_caption",
        va="bottom",
        fontsize=8,
        color=COLORS["context_line"],
    )
    if initial_state is not None:
        diagram_arrow(
            ax,
            (context_x + 0.4, cell_y),
            (decoder_x[0] - 0.35, cell_y),
            "initial_state_arrow",
            color=COLORS["context_line"],
        )
        diagram_label(
            ax,
            ((context_x + decoder_x[0]) / 2, cell_y + 0.1),
            "$s_0$",
            "state_label",
            va="bottom",
        )
    # The context bus: down from c, then along every decoder step's input.
    ax.plot(
        [context_x, context_x, decoder_x[-1]],
        [cell_y - 0.3, concat_y, concat_y],
        color=COLORS["context_line"],
        linewidth=2,
        zorder=1,
        gid="context_bus",
    )

    for index, x in enumerate(decoder_x):
        diagram_box(
            ax,
            (x, token_y),
            inputs[index],
            "decoder_input",
            token_size,
            COLORS["token"],
        )
        diagram_arrow(ax, (x, token_y + 0.21), (x, concat_y - 0.17), "embedding_arrow")
        diagram_box(
            ax,
            (x, concat_y),
            "[e ; c]",
            "concat",
            concat_size,
            fontsize=8,
            edgecolor=COLORS["context_line"],
        )
        diagram_arrow(ax, (x, concat_y + 0.17), (x, cell_y - 0.3), "input_arrow")
        diagram_box(ax, (x, cell_y), cell_name, "decoder_cell", cell, COLORS["decoder"])
        if index < len(decoder_x) - 1:
            state_arrow(x + 0.35, x + 0.65, f"$s_{{{index + 1}}}$")
        diagram_arrow(ax, (x, cell_y + 0.3), (x, output_y - 0.21), "output_arrow")
        diagram_box(
            ax,
            (x, output_y),
            outputs[index],
            "decoder_output",
            token_size,
            fontweight="bold",
        )

    notes = {"ha": "left", "fontsize": 8.5, "color": "#444444", "style": "italic"}
    diagram_label(
        ax,
        (decoder_x[-1] + 0.6, output_y),
        "targets: what\neach step predicts",
        "row_label",
        **notes,
    )
    diagram_label(
        ax,
        (decoder_x[-1] + 0.6, token_y),
        "inputs: the true\nprevious words\n(teacher forcing)",
        "row_label",
        **notes,
    )
    for xs, name in [(encoder_x, "encoder"), (decoder_x, "decoder")]:
        diagram_label(
            ax,
            (xs.mean(), output_y + 0.55),
            name,
            "section_title",
            va="bottom",
            fontsize=12,
            fontweight="bold",
        )
    caption = (
        f"{INITIAL_STATE_LABELS[initial_state]};  decoder input at step t: "
        r"$[\mathrm{embed}(y_{t-1})\,;\,c]$, the same $c$ at every step"
    )
    diagram_label(
        ax,
        (decoder_x[-1] + 0.5, -0.65),
        caption,
        "caption",
        ha="right",
        va="top",
        color="#444444",
    )
    return finish_diagram(ax, (-0.6, right), (-1.05, output_y + 0.9), title)


def _id_to_token(target_vocabulary):
    """A function from a token id to its text, from a tokenizer or a vocabulary."""
    if hasattr(target_vocabulary, "ids_to_tokens"):
        return lambda token_id: target_vocabulary.ids_to_tokens([token_id])[0]
    tokens = getattr(target_vocabulary, "tokens", target_vocabulary)
    if isinstance(tokens, (list, tuple)) and all(isinstance(t, str) for t in tokens):
        return lambda token_id: tokens[token_id]
    raise TypeError(
        "target_vocabulary must be a Tokenizer, a Vocabulary or a list of tokens "
        f"(index = id). Received: {type(target_vocabulary).__name__}"
    )


def _one_sentence_trace(trace, sentence_index):
    """The trace of one sentence, as NumPy: `(L, K)` per field, `(K,)` final slots."""
    if isinstance(trace, dict) and "trace" in trace:
        trace = trace["trace"]  # The whole output of beam_search was given.
    expected = {*TRACE_FIELDS, "final_slots"}
    if not isinstance(trace, dict) or not expected <= set(trace):
        keys = f" with keys {sorted(trace)}" if isinstance(trace, dict) else ""
        raise ValueError(
            "trace must be the 'trace' of beam_search(..., trace=True), a dict with "
            f"{sorted(expected)}. Received: {type(trace).__name__}{keys}"
        )
    sentences = np.shape(trace["tokens"])[0]
    if not isinstance(sentence_index, (int, np.integer)) or not (
        0 <= sentence_index < sentences
    ):
        raise ValueError(
            f"sentence_index must be an integer in [0, {sentences}). "
            f"Received: sentence_index={sentence_index!r}"
        )
    return {name: np.asarray(trace[name])[sentence_index] for name in expected}


class _Node(NamedTuple):
    step: int  # -1 for [START]
    token: int
    score: float  # total log-probability
    parent: int | None  # index of the parent node
    kind: str  # "start", "kept", "finished" or "pruned"


def _beam_tree_nodes(trace, show_pruned):
    """The tree's nodes, and the node of every beam slot at every step `(L, K)`.

    A finished hypothesis that stays in the beam only adds `[PAD]`, at no cost: its
    slot keeps pointing at its `[END]` node instead of getting a new one.
    """
    nodes = [_Node(-1, START_ID, 0.0, None, "start")]
    node_of_slot = np.zeros(trace["tokens"].shape, int)  # (L, K)
    previous = np.zeros(trace["tokens"].shape[1], int)  # (K,) nodes a step ago
    for step in range(trace["tokens"].shape[0]):
        for slot in range(trace["tokens"].shape[1]):
            token, score = trace["tokens"][step, slot], trace["scores"][step, slot]
            parent = previous[trace["parents"][step, slot]]
            if nodes[parent].kind == "finished" or not np.isfinite(score):
                node_of_slot[step, slot] = parent
                continue
            kind = "finished" if token == END_ID else "kept"
            nodes.append(_Node(step, int(token), float(score), parent, kind))
            node_of_slot[step, slot] = len(nodes) - 1
        for slot in range(trace["tokens"].shape[1] if show_pruned else 0):
            score = trace["pruned_scores"][step, slot]
            parent = previous[trace["pruned_parents"][step, slot]]
            # A finished hypothesis pushed out of the beam is no new candidate.
            if nodes[parent].kind != "finished" and np.isfinite(score):
                token = int(trace["pruned_tokens"][step, slot])
                nodes.append(_Node(step, token, float(score), parent, "pruned"))
        previous = node_of_slot[step]
    return nodes, node_of_slot


def _heights(nodes):
    """`y` of every node: a node's best child level with it, its other children
    below, one unit apart, and no two edges crossing.

    Each step's nodes keep the order of their parents, then of their scores; in
    that order they get the heights closest (least squares) to those wished for
    that stay at least a unit apart. With `z_i = y_i + i` that constraint reads
    "z never increases": an isotonic regression, solved by pooling adjacent
    violators.
    """
    heights = [0.0] * len(nodes)
    for step in range(nodes[-1].step + 1):
        column = [index for index, node in enumerate(nodes) if node.step == step]
        column.sort(key=lambda i: (-heights[nodes[i].parent], -nodes[i].score))
        first_child_row = {}
        blocks = []  # [mean z, count] of pooled runs of rows
        for row, index in enumerate(column):
            parent = nodes[index].parent
            sibling_rank = row - first_child_row.setdefault(parent, row)
            blocks.append([heights[parent] - sibling_rank + row, 1])
            while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
                (mean, count), (last_mean, last_count) = blocks[-2], blocks.pop()
                total = count + last_count
                blocks[-1] = [(mean * count + last_mean * last_count) / total, total]
        pooled = [mean for mean, count in blocks for _ in range(count)]
        for row, index in enumerate(column):
            heights[index] = pooled[row] - row
    return heights


def draw_beam_tree(
    trace, target_vocabulary, sentence_index=0, ax=None, show_pruned=False, title=None
):
    """Draw the tree a beam search grew for one sentence.

    Columns are steps. Every box is a hypothesis the beam kept, labelled with the
    token it added and its total log-probability, and joined to the hypothesis it
    extends. A finished one (`[END]`) stays in the beam with its score frozen, so
    it has no children. The final hypotheses carry their rank (`#1` is the best by
    length-normalized score), and the path to the best is drawn in red.

    Args:
        trace: `beam_search(..., trace=True)["trace"]` (or that whole output).
        target_vocabulary: what turns ids into tokens: a `Tokenizer`, a
            `Vocabulary`, or a list of tokens whose index is the id.
        sentence_index: which sentence of the batch to draw.
        ax: the `Axes` to draw on; a new figure when None.
        show_pruned: also draw, dashed, the `K` best candidates of every step
            that the beam dropped.
        title: optional title.

    Returns:
        The `Axes` drawn on.
    """
    token_text = _id_to_token(target_vocabulary)
    trace = _one_sentence_trace(trace, sentence_index)
    fonts.use_cjk_font()
    nodes, node_of_slot = _beam_tree_nodes(trace, show_pruned)
    heights = _heights(nodes)
    steps = trace["tokens"].shape[0]
    column_gap, box = 1.7, (1.2, 0.66)
    ranked = [node_of_slot[steps - 1, slot] for slot in trace["final_slots"]]
    best_path = set()
    index = ranked[0]
    while index is not None:
        best_path.add(index)
        index = nodes[index].parent
    if ax is None:
        # 0.7 inch per unit, smaller when that would be wider than 20 inches; at
        # least 7 inches wide, for the legend; 0.9 inch for legend and title.
        width = column_gap * (steps + 1) + 0.6
        height = max(heights) - min(heights) + 1.9
        inches = min(0.7, 20 / width)
        ax = _new_axes(max(width * inches, 7), height * inches + 0.9)

    for index, node in enumerate(nodes):
        x, y = column_gap * (node.step + 1), heights[index]
        on_path = index in best_path
        token = token_text(node.token)
        style = {
            "facecolor": COLORS[node.kind],
            "fontsize": 9 if len(token) < 10 else 7,
        }
        if node.kind == "pruned":
            style.update(linestyle="--", edgecolor="#999999", color="#777777")
        if on_path:
            style.update(edgecolor=COLORS["best"], linewidth=2.2)
        gid = "best_path_node" if on_path else f"{node.kind}_node"
        diagram_box(ax, (x, y), f"{token}\n{node.score:.2f}", gid, box, **style)
        if node.parent is None:
            continue
        if on_path:
            edge = {"gid": "best_path_edge", "color": COLORS["best"], "linewidth": 2}
        elif node.kind == "pruned":
            edge = {"gid": "pruned_edge", "color": "#aaaaaa", "linestyle": "--"}
        else:
            edge = {"gid": "beam_edge", "color": "#555555"}
        parent_x = column_gap * (nodes[node.parent].step + 1)
        start = (parent_x + box[0] / 2, heights[node.parent])
        diagram_arrow(ax, start, (x - box[0] / 2, y), **edge)
    for rank, index in enumerate(ranked):
        right_of_box = (
            column_gap * (nodes[index].step + 1) + box[0] / 2 + 0.06,
            heights[index],
        )
        color = COLORS["best"] if rank == 0 else "#333333"
        diagram_label(
            ax,
            right_of_box,
            f"#{rank + 1}",
            "rank_label",
            ha="left",
            fontweight="bold",
            color=color,
        )
    top = max(heights) + box[1] / 2
    for step in range(steps):
        diagram_label(
            ax,
            (column_gap * (step + 1), top + 0.3),
            f"step {step + 1}",
            "step_label",
            va="bottom",
            fontsize=8.5,
            color="#666666",
        )
    _beam_legend(ax, show_pruned)
    x_range = (-box[0] / 2 - 0.3, column_gap * steps + box[0] / 2 + 0.5)
    return finish_diagram(
        ax, x_range, (min(heights) - box[1] / 2 - 0.2, top + 0.7), title
    )


def _beam_legend(ax, show_pruned):
    kinds = [
        (COLORS["kept"], "#444444", "-", "kept"),
        (COLORS["finished"], "#444444", "-", "finished ([END], score frozen)"),
        ("white", COLORS["best"], "-", "path to the best (#1)"),
    ]
    if show_pruned:
        kinds.append(("white", "#999999", "--", "dropped by the beam"))
    handles = [
        patches.Patch(facecolor=face, edgecolor=edge, linestyle=line, label=label)
        for face, edge, line, label in kinds
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(handles),
        frameon=False,
        fontsize=8.5,
    )
