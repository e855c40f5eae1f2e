"""Tests of the one mask convention: boolean, True at real tokens (and, for the
causal mask, at keys that are not in the future).

Also: every attention layer of chapters 3 and 4 gives exactly zero weight to what a
mask hides, and no NaN to a query that may see nothing, in every dtype policy.
"""

import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from chapters.ch03_attention.attention import AdditiveAttention, masked_softmax
from chapters.ch04_dot_product_attention import (
    LuongAttention,
    ScaledDotProductAttention,
)
from chapters.common.masks import causal_mask, combine_masks, padding_mask
from chapters.common.vocabulary import PAD_ID

ROOT = pathlib.Path(__file__).resolve().parents[1]
to_numpy = keras.ops.convert_to_numpy
T, F = True, False


def test_padding_mask_by_hand():
    mask = padding_mask(np.array([[4, 5, PAD_ID], [6, PAD_ID, PAD_ID]]))
    assert keras.backend.standardize_dtype(mask.dtype) == "bool"
    assert to_numpy(mask).tolist() == [
        [True, True, False],
        [True, False, False],
    ]
    # A list works too, and any integer dtype.
    assert to_numpy(padding_mask([7, 0])).tolist() == [True, False]


def test_padding_mask_equals_keras_embedding_mask():
    keras.utils.set_random_seed(0)
    ids = np.random.default_rng(0).integers(1, 9, size=(4, 6))
    ids[1, 3:] = PAD_ID
    ids[2, 1:] = PAD_ID
    embedding = keras.layers.Embedding(9, 3, mask_zero=True)
    np.testing.assert_array_equal(
        to_numpy(padding_mask(ids)),
        to_numpy(embedding.compute_mask(ids)),
    )


def test_padding_mask_inside_a_functional_model():
    # Symbolic tensors: the mask must be built with keras.ops, not tf.
    ids = keras.Input(shape=(None,), dtype="int32")
    model = keras.Model(ids, keras.layers.Lambda(padding_mask)(ids))
    mask = model(np.array([[3, 0]], dtype="int32"))
    assert to_numpy(mask).tolist() == [[True, False]]


def test_padding_mask_under_the_jax_backend():
    pytest.importorskip("jax")
    # A fresh interpreter: the backend is fixed when Keras is first imported.
    code = (
        "import keras, numpy as np\n"
        "from chapters.common.masks import padding_mask\n"
        "assert keras.backend.backend() == 'jax'\n"
        "ids = np.array([[4, 5, 0], [6, 0, 0]])\n"
        "mask = padding_mask(ids)\n"
        "expected = keras.layers.Embedding(9, 3, mask_zero=True).compute_mask(ids)\n"
        "assert type(mask).__module__.startswith('jax'), type(mask)\n"
        "np.testing.assert_array_equal(np.asarray(mask), np.asarray(expected))\n"
        "assert np.asarray(mask).tolist() == [[1, 1, 0], [1, 0, 0]]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_causal_mask_by_hand():
    mask = causal_mask(3)
    assert keras.backend.standardize_dtype(mask.dtype) == "bool"
    # Rows are queries, columns keys: query t sees keys 0..t, its own included.
    assert to_numpy(mask).tolist() == [[T, F, F], [T, T, F], [T, T, T]]
    assert to_numpy(causal_mask(1)).tolist() == [[T]]


def test_causal_mask_diagonal_and_orientation():
    mask = to_numpy(causal_mask(6))
    assert mask.shape == (6, 6)
    assert np.all(np.diagonal(mask))  # s = t: a query sees its own position.
    assert not np.any(np.diagonal(mask, offset=1))  # s = t + 1: the next one.
    assert np.all(np.diagonal(mask, offset=-1))  # s = t - 1: the one before.
    # Query t sees t + 1 keys; key s is seen by 6 - s queries. Transposed, the
    # mask would let query 0 see everything.
    assert mask.sum(axis=1).tolist() == [1, 2, 3, 4, 5, 6]
    assert mask.sum(axis=0).tolist() == [6, 5, 4, 3, 2, 1]
    np.testing.assert_array_equal(mask, np.tril(np.ones((6, 6), bool)))
    assert not np.array_equal(mask, mask.T)


def test_causal_mask_with_more_or_fewer_keys_than_queries():
    # Query t and key s at positions t and s of one sequence: s <= t.
    assert to_numpy(causal_mask(2, 4)).tolist() == [[T, F, F, F], [T, T, F, F]]
    assert to_numpy(causal_mask(4, 2)).tolist() == [
        [T, F],
        [T, T],
        [T, T],
        [T, T],
    ]


def test_causal_mask_follows_keras_convention_when_lengths_differ():
    keras.utils.set_random_seed(0)
    random = np.random.default_rng(0)
    for target, source in ((3, 5), (5, 3)):
        query = random.normal(size=(2, target, 4)).astype("float32")
        value = random.normal(size=(2, source, 4)).astype("float32")
        mask = to_numpy(causal_mask(target, source))[None]  # (1, T, S)
        ours = LuongAttention("dot")(query, value, attention_mask=mask)
        keras_layer = keras.layers.Attention()([query, value], use_causal_mask=True)
        np.testing.assert_allclose(to_numpy(ours), to_numpy(keras_layer), atol=1e-5)
        scaled = ScaledDotProductAttention()(query, value, attention_mask=mask)
        keras_op = keras.ops.dot_product_attention(
            query[:, :, None], value[:, :, None], value[:, :, None], is_causal=True
        )[:, :, 0]
        np.testing.assert_allclose(to_numpy(scaled), to_numpy(keras_op), atol=1e-5)


def test_last_rows_of_the_square_mask_serve_the_last_queries():
    # Decoding with a cache: the last T = 2 of S = 5 positions query all 5 keys.
    keras.utils.set_random_seed(0)
    sequence = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    layer = ScaledDotProductAttention()
    whole = layer(sequence, sequence, attention_mask=to_numpy(causal_mask(5))[None])
    last = layer(
        sequence[:, 3:], sequence, attention_mask=to_numpy(causal_mask(5))[None, 3:]
    )
    np.testing.assert_allclose(to_numpy(last), to_numpy(whole)[:, 3:], atol=1e-6)


def test_causal_mask_takes_a_length_tensor():
    length = keras.ops.convert_to_tensor(3, dtype="int32")
    assert to_numpy(causal_mask(length, 2)).tolist() == [[T, F], [T, T], [T, T]]
    assert to_numpy(causal_mask(np.int64(2))).tolist() == [[T, F], [T, T]]


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="traces a tf.function"
)
def test_causal_mask_of_a_length_known_only_at_run_time():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, None, 2))])
    def mask_of(sequence):
        return causal_mask(keras.ops.shape(sequence)[1])

    assert (
        mask_of(tf.zeros((1, 3, 2))).numpy().tolist()
        == to_numpy(causal_mask(3)).tolist()
    )


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((0,), ValueError, "target_length must be a positive integer"),
        ((3, -1), ValueError, "source_length must be a positive integer"),
        ((2.0,), TypeError, r"target_length must be an integer"),
        ((True,), TypeError, "target_length must be an integer"),
        (("3",), TypeError, "Received: target_length='3'"),
        ((keras.ops.ones(()),), TypeError, "scalar integer tensor"),
    ],
)
def test_causal_mask_refuses_bad_lengths(arguments, error, message):
    with pytest.raises(error, match=message):
        causal_mask(*arguments)


def test_combine_padding_and_causal_masks_by_hand():
    padding = padding_mask(np.array([[4, 5, 6], [7, 8, PAD_ID]]))  # (B, S)
    combined = combine_masks(keras.ops.expand_dims(padding, 1), causal_mask(3))
    assert keras.backend.standardize_dtype(combined.dtype) == "bool"
    assert to_numpy(combined).tolist() == [
        [[T, F, F], [T, T, F], [T, T, T]],
        [[T, F, F], [T, T, F], [T, T, F]],  # Key 2 is padding.
    ]


def test_combine_masks_skips_none_and_takes_lists_and_arrays():
    assert combine_masks() is None and combine_masks(None, None) is None
    alone = np.array([[T, F]])
    assert combine_masks(None, alone) is alone
    combined = combine_masks([[T, T, F]], np.array([[T], [F]]), None, [T, F, T])
    assert to_numpy(combined).tolist() == [[T, F, F], [F, F, F]]


def test_combine_masks_inside_a_functional_model():
    # Symbolic tensors: the masks must be combined with keras.ops, not tf.
    ids = keras.Input(shape=(None,), dtype="int32")

    def self_attention_mask(ids):
        padding = keras.ops.expand_dims(padding_mask(ids), 1)  # (B, 1, S)
        return combine_masks(padding, causal_mask(keras.ops.shape(ids)[1]))

    model = keras.Model(ids, keras.layers.Lambda(self_attention_mask)(ids))
    expected = [[[T, F, F], [T, T, F], [T, T, F]]]
    assert to_numpy(model(np.array([[3, 4, 0]], dtype="int32"))).tolist() == expected


@pytest.mark.parametrize("mask", [np.array([[1, 0]]), np.array([[1.0, 0.0]])])
def test_combine_masks_refuses_non_boolean_masks(mask):
    with pytest.raises(TypeError, match=r"boolean masks.*Received: mask 1 of dtype"):
        combine_masks(np.array([[T, T]]), mask)


def test_combine_masks_refuses_shapes_that_do_not_broadcast():
    # A (B, S) padding mask against a (T, S) causal mask, B = 2 and T = 3: it
    # needs its query axis, (B, 1, S).
    padding = np.ones((2, 4), bool)
    with pytest.raises(ValueError, match=r"Received: shapes \(2, 4\), \(3, 4\)"):
        combine_masks(padding, causal_mask(3, 4))
    assert combine_masks(padding[:, None], causal_mask(3, 4)).shape == (2, 3, 4)


POLICIES = ["float32", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"]


@pytest.fixture(params=POLICIES)
def dtype_policy(request):
    """Sets Keras' global dtype policy for one test, and restores it after."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield keras.config.dtype_policy()
    keras.config.set_dtype_policy(before)


def every_attention_layer():
    """One layer of each attention class of chapters 3 and 4."""
    return {
        "additive": AdditiveAttention(5),
        "dot": LuongAttention("dot"),
        "general": LuongAttention("general"),
        "concat": LuongAttention("concat", units=5),
        "scaled": ScaledDotProductAttention(),
        "projected": ScaledDotProductAttention(True, key_dim=3),
    }


@pytest.mark.parametrize(
    "name", ["additive", "dot", "general", "concat", "scaled", "projected"]
)
def test_masked_keys_get_exactly_zero_weight_in_every_dtype_policy(name, dtype_policy):
    keras.utils.set_random_seed(0)
    random = np.random.default_rng(0)
    query = random.normal(size=(3, 4, 4))
    value = random.normal(size=(3, 4, 4))
    # Dot-product scores up to 300: exp(300) overflows float16, so only a softmax
    # that subtracts the largest score first stays finite.
    scores = np.einsum("btd,bsd->bts", query, value)
    factor = np.sqrt(300.0 / np.abs(scores).max())
    query, value = (
        (factor * query).astype("float32"),
        (factor * value).astype("float32"),
    )
    # Sentence 2 is empty: its queries may see nothing.
    padding = padding_mask(np.array([[4, 5, 6, 7], [4, 5, 0, 0], [0, 0, 0, 0]]))
    mask = to_numpy(combine_masks(keras.ops.expand_dims(padding, 1), causal_mask(4)))
    layer = every_attention_layer()[name]
    assert layer.dtype_policy.name == dtype_policy.name
    context, weights = layer(
        query, value, attention_mask=mask, return_attention_scores=True
    )
    assert keras.backend.standardize_dtype(weights.dtype) == layer.compute_dtype
    context = to_numpy(context).astype("float32")
    weights = to_numpy(weights).astype("float32")
    assert np.all(np.isfinite(context)) and np.all(np.isfinite(weights))
    assert np.all(weights[~mask] == 0.0)
    assert not context[2].any()  # Nothing to see: a zero context, not NaN.
    np.testing.assert_allclose(weights[:2].sum(-1), 1.0, atol=1e-2)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_masked_softmax_of_scores_of_300(dtype):
    scores = keras.ops.convert_to_tensor([[300.0, -300.0, 0.0, 290.0]], dtype=dtype)
    weights = to_numpy(masked_softmax(scores, np.array([[F, T, T, T]])))
    # 290 wins: exp(-290) and exp(-590) are 0 in any of these dtypes.
    np.testing.assert_array_equal(weights.astype("float32"), [[0.0, 0.0, 0.0, 1.0]])
    nothing = to_numpy(masked_softmax(scores, np.zeros((1, 4), bool)))
    np.testing.assert_array_equal(nothing.astype("float32"), [[0.0, 0.0, 0.0, 0.0]])
