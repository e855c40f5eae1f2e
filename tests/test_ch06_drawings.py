"""Tests of chapter 6's drawing of a data-parallel step: what it draws (slices,
replicas, the all-reduce, the updates), counted through the `gid` of every
part, not pixels."""

import matplotlib
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from chapters.ch06_beyond_the_notebook.drawings import (
    draw_data_parallel_step,
    slice_sizes,
)

matplotlib.use("Agg")

DEVICES = ["/device:CPU:0", "/device:CPU:1"]


@pytest.fixture(autouse=True)
def clean_matplotlib():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def parts(figure, gid):
    """The artists of the drawing named `gid`."""
    (ax,) = figure.axes
    return [
        artist
        for artist in [*ax.patches, *ax.texts, *ax.lines]
        if artist.get_gid() == gid
    ]


def texts(figure, gid):
    return [text.get_text() for text in parts(figure, gid)]


def test_two_replicas_draw_every_part_of_the_step():
    figure = draw_data_parallel_step(2, 64, DEVICES, title="one step")
    assert isinstance(figure, Figure)
    # Registered with pyplot, so that a notebook shows it when the cell ends.
    assert plt.fignum_exists(figure.number)
    assert texts(figure, "global_batch_label") == [
        "global batch: 64 sentences, N real target tokens"
    ]
    assert texts(figure, "batch_slice_label") == [
        "slice 1: 32 sentences",
        "slice 2: 32 sentences",
    ]
    for gid in ("batch_slice", "replica", "weights_copy", "replica_gradient"):
        assert len(parts(figure, gid)) == 2, gid
    for gid in ("slice_arrow", "forward_arrow", "gradient_arrow", "sum_arrow"):
        assert len(parts(figure, gid)) == 2, gid
    assert texts(figure, "replica_label") == [
        "replica 1\n/device:CPU:0",
        "replica 2\n/device:CPU:1",
    ]
    # Each replica's loss is its sum over the global batch's tokens, N.
    for replica, text in enumerate(texts(figure, "replica_gradient_label"), 1):
        assert f"g_{{{replica}}} = \\nabla\\,(S_{{{replica}}} / N)" in text
    # One all-reduce for all the replicas, then the same update on every copy.
    assert len(parts(figure, "all_reduce")) == 1
    (all_reduce,) = texts(figure, "all_reduce_label")
    assert all_reduce.endswith("$g = g_{1} + g_{2}$")
    assert texts(figure, "update_label") == [r"$W \leftarrow W - \eta\, g$"] * 2
    assert figure.axes[0].get_title(loc="left") == "one step"


def test_an_uneven_batch_gives_the_first_replicas_one_more():
    figure = draw_data_parallel_step(4, 7)
    assert texts(figure, "batch_slice_label") == [
        "slice 1: 2 sentences",
        "slice 2: 2 sentences",
        "slice 3: 2 sentences",
        "slice 4: 1 sentence",
    ]
    assert len(parts(figure, "replica")) == 4
    assert texts(figure, "replica_label")[3] == "replica 4\ndevice 3"
    (all_reduce,) = texts(figure, "all_reduce_label")
    assert all_reduce.endswith(r"$g = g_1 + g_2 + \ldots + g_{4}$")


def test_one_replica_still_fits_its_titles():
    figure = draw_data_parallel_step(1, 5)
    assert len(parts(figure, "replica")) == 1
    assert figure.get_size_inches()[0] >= 6


@pytest.mark.parametrize(
    ("global_batch_size", "num_replicas", "expected"),
    [(8, 2, [4, 4]), (7, 4, [2, 2, 2, 1]), (5, 3, [2, 2, 1]), (1, 2, [1, 0])],
)
def test_slice_sizes_by_hand(global_batch_size, num_replicas, expected):
    sizes = slice_sizes(global_batch_size, num_replicas)
    assert sizes == expected
    assert sum(sizes) == global_batch_size


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"num_replicas": 0}, "num_replicas=0"),
        ({"num_replicas": 7}, "num_replicas=7"),
        ({"global_batch_size": 0}, "global_batch_size=0"),
        ({"device_names": ["/device:CPU:0"]}, "one name per replica"),
        ({"device_names": "/device:CPU:0"}, "one name per replica"),
    ],
)
def test_bad_arguments_say_what_was_received(arguments, message):
    with pytest.raises(ValueError, match=message):
        draw_data_parallel_step(**arguments)
