"""Tests of chapter 5's parts: the positional encoding and multi-head attention,
by hand and against `keras.layers.MultiHeadAttention`.

Written for any Keras backend: `make test` runs this file under TensorFlow and
again with `KERAS_BACKEND=jax`.
"""

import keras
import numpy as np
import pytest

from chapters.ch05_transformer import (
    MultiHeadAttention,
    PositionalEncoding,
    copy_keras_weights,
    merge_heads,
    positional_encoding,
    split_heads,
)
from chapters.common.masks import causal_mask
from tests.attention_testing import padding

to_numpy = keras.ops.convert_to_numpy


def test_positional_encoding_by_hand():
    table = positional_encoding(3, 4)
    # Columns: sin(pos), cos(pos), sin(pos / 100), cos(pos / 100), since
    # 10000^(2/4) = 100.
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)],
        [np.sin(2), np.cos(2), np.sin(0.02), np.cos(0.02)],
    ]
    np.testing.assert_allclose(table, expected, atol=1e-7)
    assert table.dtype == np.float32 and table.shape == (3, 4)


def test_a_shift_by_k_is_the_same_rotation_at_every_position():
    table = positional_encoding(40, 8).astype("float64")
    shift = 5
    for pair in range(4):
        columns = table[:, 2 * pair : 2 * pair + 2]  # (sin, cos) of one frequency
        frequency = 1 / 10000 ** (2 * pair / 8)
        angle = shift * frequency
        # [sin(a + b), cos(a + b)] = [sin a, cos a] @ [[cos b, -sin b], [sin b, cos b]]
        rotation = np.array(
            [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
        )
        np.testing.assert_allclose(
            columns[:-shift] @ rotation, columns[shift:], atol=1e-6
        )


def test_positional_encoding_refuses_odd_depths():
    with pytest.raises(ValueError, match="depth must be even.*Received: depth=5"):
        positional_encoding(4, 5)


def test_the_layer_scales_the_embeddings_and_adds_the_table():
    layer = PositionalEncoding(vocabulary_size=10, d_model=6, max_length=8)
    token_ids = np.array([[3, 1, 4, 0], [5, 9, 0, 0]])
    output = to_numpy(layer(token_ids))
    embeddings = to_numpy(layer.embedding.embeddings)[token_ids]  # (2, 4, 6)
    expected = embeddings * np.sqrt(6) + positional_encoding(8, 6)[:4]
    np.testing.assert_allclose(output, expected, rtol=1e-6, atol=1e-6)
    assert getattr(layer(token_ids), "_keras_mask", None) is None  # masks are explicit
    with pytest.raises(ValueError, match="9 tokens, more than max_length=8"):
        layer(np.ones((1, 9), "int32"))
    copy = PositionalEncoding.from_config(layer.get_config())
    assert copy.get_config() == layer.get_config()


def test_split_heads_puts_head_j_of_sentence_b_in_row_b_h_plus_j():
    batch, length, heads, depth = 2, 3, 4, 5
    x = np.arange(batch * length * heads * depth, dtype="float32").reshape(
        batch, length, heads * depth
    )
    split = to_numpy(split_heads(x, heads))
    assert split.shape == (batch * heads, length, depth)
    for b in range(batch):
        for j in range(heads):
            np.testing.assert_array_equal(
                split[b * heads + j], x[b, :, j * depth : (j + 1) * depth]
            )
    np.testing.assert_array_equal(to_numpy(merge_heads(split, heads)), x)
    with pytest.raises(ValueError, match="num_heads=3 heads of equal width"):
        split_heads(x, 3)


def keras_pair(num_heads=4, key_dim=3, value_dim=None, widths=(6, 5, 7), seed=0):
    """Our layer and Keras', built for query, value and key widths `widths`,
    with Keras' random weights copied into ours."""
    keras.utils.set_random_seed(seed)
    query_width, value_width, key_width = widths
    theirs = keras.layers.MultiHeadAttention(num_heads, key_dim, value_dim=value_dim)
    theirs.build((2, 4, query_width), (2, 5, value_width), (2, 5, key_width))
    ours = MultiHeadAttention(num_heads, key_dim, value_dim=value_dim)
    ours.build((2, 4, query_width), (2, 5, value_width), (2, 5, key_width))
    copy_keras_weights(ours, theirs)
    random = np.random.default_rng(seed)
    inputs = [
        random.normal(size=(3, 4, query_width)).astype("float32"),
        random.normal(size=(3, 5, value_width)).astype("float32"),
        random.normal(size=(3, 5, key_width)).astype("float32"),
    ]
    return ours, theirs, inputs


@pytest.mark.parametrize("masks", ["none", "padding", "causal and padding"])
def test_equals_keras_multi_head_attention_with_the_same_weights(masks):
    ours, theirs, (query, value, key) = keras_pair()
    value_mask = padding([5, 2, 4], 5) if masks != "none" else None
    attention_mask = None
    if masks == "causal and padding":
        # Query t may see keys up to t + 1 (4 queries, 5 keys), and no padding.
        attention_mask = (
            np.broadcast_to(to_numpy(causal_mask(5))[1:], (3, 4, 5))
            & value_mask[:, None, :]
        )
    keras_mask = attention_mask
    if keras_mask is None and value_mask is not None:
        keras_mask = np.broadcast_to(value_mask[:, None, :], (3, 4, 5))
    expected, expected_weights = theirs(
        query, value, key, attention_mask=keras_mask, return_attention_scores=True
    )
    output, weights = ours(
        query,
        value,
        key,
        value_mask=value_mask,
        attention_mask=attention_mask,
        return_attention_scores=True,
    )
    np.testing.assert_allclose(to_numpy(output), to_numpy(expected), atol=1e-5)
    np.testing.assert_allclose(to_numpy(weights), to_numpy(expected_weights), atol=1e-5)
    if value_mask is not None:
        # Padding keys get exactly zero weight in every head.
        assert np.all(
            to_numpy(weights)[
                ~np.broadcast_to(value_mask[:, None, None, :], weights.shape)
            ]
            == 0
        )


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="keras.layers.MultiHeadAttention fails under JAX when value_dim != key_dim",
)
def test_equals_keras_with_other_value_and_output_widths():
    ours, theirs, (query, value, key) = keras_pair(num_heads=2, key_dim=3, value_dim=4)
    np.testing.assert_allclose(
        to_numpy(ours(query, value, key)),
        to_numpy(theirs(query, value, key)),
        atol=1e-5,
    )


def test_a_row_with_nothing_to_attend_to_gives_zeros_not_nan():
    ours, _, (query, value, key) = keras_pair()
    attention_mask = np.ones((3, 4, 5), bool)
    attention_mask[1, 2] = False  # query 2 of sentence 1 sees nothing
    _, weights = ours(
        query, value, key, attention_mask=attention_mask, return_attention_scores=True
    )
    weights = to_numpy(weights)
    assert np.all(np.isfinite(weights)) and np.all(weights[1, :, 2] == 0)


def test_bad_masks_and_arguments_raise_clear_errors():
    ours, _, (query, value, key) = keras_pair()
    with pytest.raises(ValueError, match=r"value_mask must have shape \(B=3, S=5\)"):
        ours(query, value, key, value_mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="attention_mask must have shape"):
        ours(query, value, key, attention_mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        MultiHeadAttention(0, 4)


def test_config_and_keras_file_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    inputs = [keras.Input((None, 6)), keras.Input((None, 5))]
    layer = MultiHeadAttention(2, 3, output_dim=4)
    model = keras.Model(inputs, layer(inputs[0], inputs[1]))
    path = tmp_path / "mha.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    data = [np.ones((2, 3, 6), "float32"), np.ones((2, 4, 5), "float32")]
    assert to_numpy(model(data)).shape == (2, 3, 4)
    np.testing.assert_array_equal(to_numpy(loaded(data)), to_numpy(model(data)))
    assert MultiHeadAttention.from_config(layer.get_config()).get_config() == (
        layer.get_config()
    )
