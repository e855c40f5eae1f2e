"""Tests of chapter 2's drawings: what they draw (boxes, arrows, labels, the
highlighted path), counted through the `gid` of every part, not pixels."""

import itertools
import math
import warnings

import matplotlib
import pytest
from matplotlib import pyplot as plt

from chapters.ch02_encoder_decoder.drawings import draw_beam_tree, draw_unrolled_seq2seq
from chapters.common import fonts
from chapters.common.decoding import beam_search
from chapters.common.vocabulary import Vocabulary
from tests.fake_models import MarkovModel

matplotlib.use("Agg")

SOURCE = ["我", "爱", "你", "。"]
TARGET = ["i", "love", "you", "."]
# The Markov model's tokens, by id.
TOKENS = ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b"]


@pytest.fixture(autouse=True)
def clean_matplotlib():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def parts(ax, gid):
    """The artists of the drawing named `gid`."""
    return [
        artist
        for artist in [*ax.patches, *ax.texts, *ax.lines]
        if artist.get_gid() == gid
    ]


def texts(ax, gid):
    return [text.get_text() for text in parts(ax, gid)]


def test_unrolled_seq2seq_draws_every_step():
    ax = draw_unrolled_seq2seq(SOURCE, TARGET)
    assert texts(ax, "source_token_label") == SOURCE
    assert len(parts(ax, "encoder_cell")) == 4
    assert len(parts(ax, "decoder_cell")) == 5
    assert texts(ax, "decoder_input_label") == ["[START]", *TARGET]
    assert texts(ax, "decoder_output_label") == [*TARGET, "[END]"]
    # One context vector, fed to every decoder step through its input.
    assert len(parts(ax, "context")) == 1
    assert len(parts(ax, "concat")) == 5
    assert len(parts(ax, "context_bus")) == 1
    assert len(parts(ax, "initial_state_arrow")) == 1
    # h_1 .. h_4 (the last into c), s_0, s_1 .. s_4.
    assert len(parts(ax, "state_arrow")) == 3 + 1 + 4
    assert texts(ax, "state_label") == [
        *(f"$h_{{{i}}}$" for i in range(1, 5)),
        "$s_0$",
        *(f"$s_{{{i}}}$" for i in range(1, 5)),
    ]
    # Tokens into the RNNs, decoder inputs into the cells, cells to the outputs.
    assert len(parts(ax, "embedding_arrow")) == 4 + 5
    assert len(parts(ax, "input_arrow")) == 5
    assert len(parts(ax, "output_arrow")) == 5


def test_unrolled_seq2seq_without_initial_state_arrow():
    ax = draw_unrolled_seq2seq(SOURCE, TARGET, initial_state=None)
    assert parts(ax, "initial_state_arrow") == []
    assert "$s_0 = 0$" in texts(ax, "caption")[0]


def test_special_tokens_given_are_not_repeated():
    ax = draw_unrolled_seq2seq(SOURCE, ["[START]", *TARGET, "[END]"])
    assert texts(ax, "decoder_input_label") == ["[START]", *TARGET]
    assert texts(ax, "decoder_output_label") == [*TARGET, "[END]"]


def test_chinese_tokens_render(tmp_path):
    if fonts.find_cjk_font() is None:
        pytest.skip("no font with Chinese glyphs is installed")
    ax = draw_unrolled_seq2seq(SOURCE, TARGET, title="我爱你")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.savefig(tmp_path / "unrolled.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("我爱你。", TARGET), TypeError, "source_tokens must be a list"),
        (([], TARGET), ValueError, "at least one token"),
        ((SOURCE, TARGET, None, "GRU", "copy"), ValueError, "initial_state"),
    ],
)
def test_unrolled_seq2seq_refuses_bad_input(arguments, error, message):
    with pytest.raises(error, match=message):
        draw_unrolled_seq2seq(*arguments)


def markov_beams(beam_width):
    return beam_search(
        MarkovModel(),
        [[4, 5]],
        max_length=5,
        beam_width=beam_width,
        length_penalty=0.0,
        trace=True,
    )


def test_beam_tree_by_hand():
    # Kept: a (0.6) and b (0.4), then b [END] (0.36) and a [END] (0.24); the best,
    # b [END], is the red path [START] -> b -> [END].
    ax = draw_beam_tree(markov_beams(2)["trace"], TOKENS)
    score = {probability: f"{math.log(probability):.2f}" for probability in [0.6, 0.4]}
    assert texts(ax, "best_path_node_label") == [
        "[START]\n0.00",
        f"b\n{score[0.4]}",
        f"[END]\n{math.log(0.36):.2f}",
    ]
    assert texts(ax, "kept_node_label") == [f"a\n{score[0.6]}"]
    assert texts(ax, "finished_node_label") == [f"[END]\n{math.log(0.24):.2f}"]
    assert len(parts(ax, "best_path_edge")) == 2
    assert len(parts(ax, "beam_edge")) == 2
    assert parts(ax, "pruned_node") == []
    assert texts(ax, "rank_label") == ["#1", "#2"]
    assert texts(ax, "step_label") == ["step 1", "step 2"]


def test_beam_tree_shows_dropped_candidates():
    # Step 1 drops [PAD] and [UNK] (p = 1e-9 each); step 2 drops a a and a b.
    ax = draw_beam_tree(markov_beams(2), TOKENS, show_pruned=True)
    labels = [label.split("\n")[0] for label in texts(ax, "pruned_node_label")]
    assert labels == ["[PAD]", "[UNK]", "a", "b"]
    assert len(parts(ax, "pruned_edge")) == 4
    assert len(parts(ax, "best_path_node")) == 3


def test_finished_hypotheses_get_no_new_boxes():
    # K = 3: after step 2, b [END] and a [END] stay in the beam (adding [PAD]) while
    # a a goes on to a a [END] at step 3: 1 + 3 + 3 + 1 boxes, no [PAD] box at
    # step 3.
    ax = draw_beam_tree(markov_beams(3), Vocabulary(TOKENS))
    boxes = [
        *parts(ax, "best_path_node"),
        *parts(ax, "kept_node"),
        *parts(ax, "finished_node"),
    ]
    assert len(boxes) == 8
    assert texts(ax, "step_label") == ["step 1", "step 2", "step 3"]
    assert len(parts(ax, "beam_edge")) + len(parts(ax, "best_path_edge")) == 7
    assert texts(ax, "rank_label") == ["#1", "#2", "#3"]
    finished = [label.split("\n")[0] for label in texts(ax, "finished_node_label")]
    assert finished == ["[END]", "[END]"]


@pytest.mark.parametrize(
    ("trace", "vocabulary", "index", "error", "message"),
    [
        ({"tokens": []}, TOKENS, 0, ValueError, "trace=True"),
        (None, TOKENS, 1, ValueError, "sentence_index"),
        (None, "ab", 0, TypeError, "target_vocabulary"),
    ],
)
def test_beam_tree_refuses_bad_input(trace, vocabulary, index, error, message):
    trace = markov_beams(2) if trace is None else trace
    with pytest.raises(error, match=message):
        draw_beam_tree(trace, vocabulary, sentence_index=index)


def test_beam_tree_edges_never_cross_and_boxes_never_overlap():
    ax = draw_beam_tree(markov_beams(3), TOKENS, show_pruned=True)
    # FancyArrowPatch keeps its end points, without a public getter.
    edges = [
        patch._posA_posB
        for patch in ax.patches
        if str(patch.get_gid()).endswith("_edge")
    ]
    # One per box but [START]: 3 kept and 3 dropped, twice, then 1 and 3.
    assert len(edges) == 6 + 6 + 4
    for (start, end), (other_start, other_end) in itertools.combinations(edges, 2):
        if start[0] == other_start[0]:  # Between the same two columns.
            assert (start[1] - other_start[1]) * (end[1] - other_end[1]) >= 0
    boxes = [
        patch.get_bbox().bounds
        for patch in ax.patches
        if str(patch.get_gid()).endswith("_node")
    ]
    for (x, y, _, height), (other_x, other_y, _, _) in itertools.combinations(boxes, 2):
        if x == other_x:
            assert abs(y - other_y) >= height
