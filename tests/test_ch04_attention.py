"""Tests of chapter 4's attention layers: Luong's three scores and scaled dot-product
attention, by hand, against NumPy and against Keras' own attention.

Written for any Keras backend: `make test` runs this file under TensorFlow and again
with `KERAS_BACKEND=jax`. The masks' own tests, and those of every layer under
low-precision dtype policies, are in `test_masks.py`.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention import numpy_attention
from chapters.ch03_attention.attention import AdditiveAttention
from chapters.ch04_dot_product_attention import (
    LuongAttention,
    ScaledDotProductAttention,
)
from chapters.common.masks import causal_mask, combine_masks
from tests.attention_testing import input_gradients, padding

to_numpy = keras.ops.convert_to_numpy

# 我 爱 你 ("I love you"), as in chapter 3: the query s = [1, 0] before "love".
QUERY = np.array([[[1.0, 0.0]]], dtype="float32")  # (1, 1, 2)
KEYS = np.array([[[-0.5, 0.0], [0.5, 1.0], [0.0, -1.0]]], dtype="float32")


def random_inputs(batch=3, target=4, source=5, query_dim=4, key_dim=4, value_dim=3):
    """Seeded float32 query `(B, T, Dq)`, value `(B, S, Dv)`, key `(B, S, Dk)`."""
    random = np.random.default_rng(0)
    return (
        random.normal(size=(batch, target, query_dim)).astype("float32"),
        random.normal(size=(batch, source, value_dim)).astype("float32"),
        random.normal(size=(batch, source, key_dim)).astype("float32"),
    )


def every_layer():
    """One layer of each kind, for the tests that hold for all of them."""
    return {
        "dot": LuongAttention("dot"),
        "general": LuongAttention("general"),
        "concat": LuongAttention("concat", units=5),
        "scaled": ScaledDotProductAttention(),
        "projected": ScaledDotProductAttention(True, key_dim=3, value_dim=2),
    }


# Scores, weights and context (the values are the keys) of the three dot products.
HAND_COMPUTED = {
    # e = s . h = [-0.5, 0.5, 0]; exp(e) = [0.606531, 1.648721, 1], sum 3.255252;
    # c = sum_s alpha_s h_s.
    "dot": (
        [-0.5, 0.5, 0.0],
        [0.186324, 0.506480, 0.307196],
        [0.160078, 0.199285],
    ),
    # W_a h, with W_a = [[2, 0], [1, 1]] as (Dk, Dq): [-1, 0], [2, 1], [-1, -1];
    # e = [-1, 2, -1]; exp(e) = [0.367879, 7.389056, 0.367879], sum 8.124815.
    "general": (
        [-1.0, 2.0, -1.0],
        [0.045279, 0.909443, 0.045279],
        [0.432082, 0.864164],
    ),
    # The dot scores over √2: [-0.353553, 0.353553, 0]; exp(e) = [0.702189,
    # 1.424119, 1], sum 3.126308.
    "scaled": (
        [-0.353553, 0.353553, 0.0],
        [0.224606, 0.455527, 0.319866],
        [0.115461, 0.135661],
    ),
}


@pytest.mark.parametrize("name", list(HAND_COMPUTED))
def test_hand_computed_dot_product_scores(name):
    scores, weights, context = HAND_COMPUTED[name]
    layer = every_layer()[name]
    layer.build(QUERY.shape, KEYS.shape)
    if name == "general":
        layer.score_matrix.assign([[2.0, 0.0], [1.0, 1.0]])
    computed = layer.score(QUERY, layer.project_keys(KEYS))
    np.testing.assert_allclose(to_numpy(computed), [[scores]], atol=1e-6)
    our_context, our_weights = layer(QUERY, KEYS, return_attention_scores=True)
    np.testing.assert_allclose(to_numpy(our_weights), [[weights]], atol=1e-6)
    np.testing.assert_allclose(to_numpy(our_context), [[context]], atol=1e-6)


def test_hand_computed_concat_score():
    # W_a is (Dq + Dk, A) = (4, 2): rows 0-1 act on s, rows 2-3 on h, so
    # W_a [s; h] = [0.5 s_0 + h_0, 0.5 s_1 + h_1]. With s = [1, 0]:
    #   我 [-0.5, 0]: tanh([0, 0])     = [0, 0]             -> e = 0
    #   爱 [0.5, 1]:  tanh([1, 1])     = [0.761594, 0.761594] -> e = 2.284782
    #   你 [0, -1]:   tanh([0.5, -1])  = [0.462117, -0.761594] -> e = -1.061071
    # with v_a = [1, 2]: chapter 3's hand-computed example, to the digit.
    score_matrix = np.array([[0.5, 0.0], [0.0, 0.5], [1.0, 0.0], [0.0, 1.0]])
    layer = LuongAttention("concat", units=2)
    layer.build(QUERY.shape, KEYS.shape)
    layer.additive.query_projection.kernel.assign(score_matrix[:2])
    layer.additive.key_projection.kernel.assign(score_matrix[2:])
    layer.additive.score_vector.assign([1.0, 2.0])
    scores = layer.score(QUERY, layer.project_keys(KEYS))
    np.testing.assert_allclose(
        to_numpy(scores), [[[0.0, 2.284782, -1.061071]]], atol=1e-6
    )
    _, weights = layer(QUERY, KEYS, return_attention_scores=True)
    expected = np.array([1.0, 9.823549, 0.346085]) / 11.169634
    np.testing.assert_allclose(to_numpy(weights)[0, 0], expected, atol=1e-6)


def test_hand_computed_projections():
    # d_k = 1: Q = s W_Q = [1]; K = h W_K = [0, 2, -2]; V = h W_V = [-0.5, 1.5, -1].
    # e = Q K / √1 = [0, 2, -2]; exp(e) = [1, 7.389056, 0.135335], sum 8.524391;
    # alpha = [0.117311, 0.866813, 0.015876]; c = alpha . V = 1.225688.
    layer = ScaledDotProductAttention(use_projections=True, key_dim=1)
    layer.build(QUERY.shape, KEYS.shape)
    layer.query_projection.kernel.assign([[1.0], [0.0]])
    layer.key_projection.kernel.assign([[0.0], [2.0]])
    layer.value_projection.kernel.assign([[1.0], [1.0]])
    context, weights = layer(QUERY, KEYS, return_attention_scores=True)
    np.testing.assert_allclose(
        to_numpy(weights), [[[0.117311, 0.866813, 0.015876]]], atol=1e-6
    )
    np.testing.assert_allclose(to_numpy(context), [[[1.225688]]], atol=1e-6)


def reference_scores(name, layer, query, key):
    """The scores of `layer` in NumPy, from its own weights, each as in its paper."""
    if name == "dot":
        return query @ key.transpose(0, 2, 1)
    if name == "general":
        return query @ (key @ to_numpy(layer.score_matrix)).transpose(0, 2, 1)
    if name == "concat":
        # v_a^T tanh(W_a [h_t; h̄_s]) with one matrix W_a over the concatenation.
        additive = layer.additive
        score_matrix = np.concatenate(
            [
                to_numpy(additive.query_projection.kernel),
                to_numpy(additive.key_projection.kernel),
            ]
        )
        target, source = query.shape[1], key.shape[1]
        pairs = np.concatenate(
            [
                np.repeat(query[:, :, None, :], source, axis=2),  # (B, T, S, Dq)
                np.repeat(key[:, None, :, :], target, axis=1),  # (B, T, S, Dk)
            ],
            axis=-1,
        )  # [h_t; h̄_s] for every pair: (B, T, S, Dq + Dk)
        return np.tanh(pairs @ score_matrix) @ to_numpy(additive.score_vector)
    if name == "projected":
        query = query @ to_numpy(layer.query_projection.kernel)
        key = key @ to_numpy(layer.key_projection.kernel)
    return query @ key.transpose(0, 2, 1) / np.sqrt(key.shape[-1])


@pytest.mark.parametrize("name", ["dot", "general", "concat", "scaled", "projected"])
def test_layers_equal_the_numpy_reference_with_masks(name):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    # Causal as well as padded; query 0 of sentence 1 may see only its first key.
    attention_mask = np.broadcast_to(to_numpy(causal_mask(4, 5)), (3, 4, 5)).copy()
    attention_mask[1, 0, 1:] = False
    layer = every_layer()[name]
    context, weights = layer(
        query,
        value,
        key,
        value_mask=value_mask,
        attention_mask=attention_mask,
        return_attention_scores=True,
    )
    values = value
    if name == "projected":
        values = value @ to_numpy(layer.value_projection.kernel)
    scores = reference_scores(name, layer, query.astype("float64"), key)
    mask = value_mask[:, None, :] & attention_mask
    reference_weights = numpy_attention.masked_softmax(scores, mask)
    np.testing.assert_allclose(to_numpy(weights), reference_weights, atol=1e-5)
    np.testing.assert_allclose(
        to_numpy(context),
        numpy_attention.attend(reference_weights, values),
        atol=1e-5,
    )
    # Masked keys get exactly zero weight; every row has a key, and sums to 1.
    assert np.all(to_numpy(weights)[~mask] == 0.0)
    np.testing.assert_allclose(to_numpy(weights).sum(-1), 1.0, atol=1e-6)


def test_dot_score_equals_keras_attention():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    query_mask = np.array([[True, True, True, False]] * 3)
    value_mask = padding([5, 2, 4])
    # Keras 3.10 does not expand a (B, S) value mask; (B, 1, S) works everywhere.
    expected = keras.layers.Attention()(
        [query, value, key],
        mask=[query_mask, value_mask[:, None, :]],
        return_attention_scores=True,
    )
    ours = LuongAttention("dot")(
        query,
        value,
        key,
        query_mask=query_mask,
        value_mask=value_mask,
        return_attention_scores=True,
    )
    for mine, theirs in zip(ours, expected, strict=True):
        np.testing.assert_allclose(to_numpy(mine), to_numpy(theirs), atol=1e-5)
    assert not to_numpy(ours[0])[:, 3].any()  # The masked query's output is 0.


def test_scaled_equals_keras_attention_with_its_scale_set():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    theirs = keras.layers.Attention(use_scale=True, score_mode="dot")
    theirs([query, value, key])
    # Keras' scale is a learned scalar that multiplies the scores; 1 / √d_k = 1/2.
    theirs.scale.assign(1.0 / np.sqrt(4))
    their_context, their_weights = theirs(
        [query, value, key],
        mask=[None, value_mask[:, None, :]],
        return_attention_scores=True,
    )
    our_context, our_weights = ScaledDotProductAttention()(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    np.testing.assert_allclose(
        to_numpy(our_context), to_numpy(their_context), atol=1e-5
    )
    np.testing.assert_allclose(
        to_numpy(our_weights), to_numpy(their_weights), atol=1e-5
    )


def test_scaled_equals_keras_ops_dot_product_attention():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs(value_dim=4)
    attention_mask = to_numpy(
        combine_masks(padding([5, 2, 4])[:, None, :], causal_mask(4, 5))
    )
    # keras.ops.dot_product_attention takes (B, T, H, D) with a heads axis H, here
    # of 1, and a boolean mask (True = attend) broadcastable to (B, H, T, S).
    expected = keras.ops.dot_product_attention(
        query[:, :, None, :],
        key[:, :, None, :],
        value[:, :, None, :],
        mask=attention_mask[:, None, :, :],
    )[:, :, 0, :]  # (B, T, Dv)
    ours = ScaledDotProductAttention()(query, value, key, attention_mask=attention_mask)
    np.testing.assert_allclose(to_numpy(ours), to_numpy(expected), atol=1e-5)


def test_projections_equal_one_head_of_keras_multi_head_attention():
    # One head of MultiHeadAttention, its output matrix W_O the identity and no
    # biases, is scaled dot-product attention with W_Q, W_K and W_V.
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs(query_dim=4, key_dim=5, value_dim=3)
    attention_mask = to_numpy(
        combine_masks(padding([5, 2, 4])[:, None, :], causal_mask(4, 5))
    )
    # value_dim = key_dim: Keras 3.13's MultiHeadAttention fails under JAX
    # otherwise (jax.nn.dot_product_attention wants values as wide as keys).
    ours = ScaledDotProductAttention(use_projections=True, key_dim=2, value_dim=2)
    our_context, our_weights = ours(
        query, value, key, attention_mask=attention_mask, return_attention_scores=True
    )
    theirs = keras.layers.MultiHeadAttention(
        num_heads=1, key_dim=2, value_dim=2, use_bias=False, output_shape=2
    )
    theirs(query, value, key)
    for their_dense, our_dense in (
        (theirs._query_dense, ours.query_projection),
        (theirs._key_dense, ours.key_projection),
        (theirs._value_dense, ours.value_projection),
    ):
        their_dense.kernel.assign(to_numpy(our_dense.kernel)[:, None, :])
    theirs._output_dense.kernel.assign(np.eye(2)[None])  # (H = 1, Dv, Dv)
    their_context, their_weights = theirs(
        query, value, key, attention_mask=attention_mask, return_attention_scores=True
    )
    np.testing.assert_allclose(
        to_numpy(our_context), to_numpy(their_context), atol=1e-5
    )
    np.testing.assert_allclose(
        to_numpy(our_weights), to_numpy(their_weights)[:, 0], atol=1e-5
    )


def test_concat_equals_additive_attention_with_the_halves_copied():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs(query_dim=3, key_dim=6)
    value_mask = padding([5, 2, 4])
    luong = LuongAttention("concat", units=7)
    ours = luong(query, value, key, value_mask=value_mask)
    bahdanau = AdditiveAttention(7)
    bahdanau.build(query.shape, value.shape, key.shape)
    bahdanau.query_projection.kernel.assign(luong.additive.query_projection.kernel)
    bahdanau.key_projection.kernel.assign(luong.additive.key_projection.kernel)
    bahdanau.score_vector.assign(luong.additive.score_vector)
    theirs = bahdanau(query, value, key, value_mask=value_mask)
    np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-6)


@pytest.mark.parametrize("name", ["dot", "general", "concat", "scaled", "projected"])
def test_fully_masked_rows_give_zeros_and_finite_gradients(name):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    # Sentence 2 is empty: none of its keys is real.
    value_mask = padding([5, 2, 0])
    layer = every_layer()[name]

    def attend(query, value):
        return layer(query, value, key, value_mask=value_mask)

    context, weights = layer(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    assert not to_numpy(weights)[2].any() and not to_numpy(context)[2].any()
    np.testing.assert_allclose(to_numpy(weights)[:2].sum(-1), 1.0, atol=1e-6)
    for gradient in input_gradients(attend, query, value):
        assert np.all(np.isfinite(to_numpy(gradient)))


@pytest.mark.parametrize(
    ("dtype", "tolerance"), [("float16", 1e-2), ("bfloat16", 5e-2)]
)
@pytest.mark.parametrize("name", ["dot", "general", "concat", "scaled", "projected"])
def test_low_precision_stays_close_to_float32(name, dtype, tolerance):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    exact = every_layer()[name]
    inputs = (query, value, key)
    expected = exact(*inputs, value_mask=padding([5, 2, 4]))
    low = type(exact).from_config({**exact.get_config(), "dtype": dtype})
    low.build(query.shape, value.shape, key.shape)
    low.set_weights(exact.get_weights())
    result = low(*inputs, value_mask=padding([5, 2, 4]))
    assert keras.backend.standardize_dtype(result.dtype) == dtype
    np.testing.assert_allclose(
        to_numpy(result).astype("float32"), to_numpy(expected), atol=tolerance
    )


def test_scaling_the_queries_first_keeps_float16_finite():
    # Entries of 20 at d_k = 256: q . k = 102400, past float16's largest, 65504;
    # (q / 16) . k = 6400 is not.
    query = np.full((1, 1, 256), 20.0, dtype="float16")
    key = np.full((1, 2, 256), 20.0, dtype="float16")
    key[0, 1] = -20.0
    layer = ScaledDotProductAttention(dtype="float16")
    scores = to_numpy(layer.score(query, key)).astype("float32")
    np.testing.assert_array_equal(scores, [[[6400.0, -6400.0]]])
    weights = to_numpy(layer(query, key, return_attention_scores=True)[1])
    np.testing.assert_array_equal(weights.astype("float32"), [[[1.0, 0.0]]])


def test_a_given_scale_replaces_one_over_root_d_k():
    layer = ScaledDotProductAttention(scale=2.0)
    scores = layer.score(QUERY, KEYS)
    np.testing.assert_allclose(to_numpy(scores), [[[-1.0, 1.0, 0.0]]], atol=1e-6)


def test_step_by_step_attend_equals_the_whole_call():
    # What a decoder does: project keys and values once, attend one query at a time.
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    for layer in every_layer().values():
        whole = to_numpy(layer(query, value, key, value_mask=value_mask))
        keys = layer.project_keys(key)
        values = getattr(layer, "project_values", lambda value: value)(value)
        steps = [
            to_numpy(layer.attend(query[:, t : t + 1], values, keys, value_mask)[0])
            for t in range(query.shape[1])
        ]
        np.testing.assert_allclose(np.concatenate(steps, axis=1), whole, atol=1e-6)


def test_keras_masks_are_read_through_the_projections():
    keras.utils.set_random_seed(0)
    target_ids = keras.Input(shape=(None,), dtype="int32")
    source_ids = keras.Input(shape=(None,), dtype="int32")
    embedding = keras.layers.Embedding(9, 4, mask_zero=True)
    attention = ScaledDotProductAttention(use_projections=True, key_dim=3)
    outputs = attention(embedding(target_ids), embedding(source_ids))
    assert outputs._keras_mask is not None  # The query's mask, passed on.
    model = keras.Model([target_ids, source_ids], outputs)
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    sources = np.array([[4, 5, 6, 0], [7, 0, 0, 0]])
    explicit = attention(
        embedding(targets),
        embedding(sources),
        query_mask=targets != 0,
        value_mask=sources != 0,
    )
    np.testing.assert_allclose(
        to_numpy(model([targets, sources])), to_numpy(explicit), atol=1e-6
    )
    assert not to_numpy(explicit)[1, 1:].any()


@pytest.mark.parametrize("score", ["dot", "general"])
def test_scaled_luong_scores_are_the_plain_ones_over_root_d(score):
    # Widths 4 and 6: the scale is 1/√4 = 1/2, the query's width, not the key's.
    query, value, key = random_inputs(query_dim=4, key_dim=4 if score == "dot" else 6)
    plain = LuongAttention(score)
    scaled = LuongAttention(score, scaled=True)
    plain.build(query.shape, value.shape, key.shape)
    scaled.build(query.shape, value.shape, key.shape)
    scaled.set_weights(plain.get_weights())
    keys = plain.project_keys(key)
    np.testing.assert_allclose(
        to_numpy(scaled.score(query, scaled.project_keys(key))),
        to_numpy(plain.score(query, keys)) / 2.0,
        rtol=1e-6,
        atol=1e-6,
    )
    _, plain_weights = plain(query, value, key, return_attention_scores=True)
    _, scaled_weights = scaled(query, value, key, return_attention_scores=True)
    # Halved scores: every weight row is flatter, none equal to the plain one.
    assert np.all(to_numpy(scaled_weights).max(-1) < to_numpy(plain_weights).max(-1))
    assert LuongAttention.from_config(scaled.get_config()).scaled


@pytest.mark.parametrize("name", ["dot", "general", "concat", "scaled", "projected"])
def test_config_round_trip(name):
    layer = every_layer()[name]
    copy = type(layer).from_config(layer.get_config())
    assert copy.get_config() == layer.get_config()


@pytest.mark.parametrize("name", ["general", "concat", "projected"])
def test_keras_file_round_trip_gives_identical_outputs(name, tmp_path):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    inputs = [
        keras.Input(shape=(None, 4)),
        keras.Input(shape=(None, 3)),
        keras.Input(shape=(None, 4)),
        keras.Input(shape=(None,), dtype="bool"),
    ]
    layer = every_layer()[name]
    outputs = layer(inputs[0], inputs[1], inputs[2], value_mask=inputs[3])
    model = keras.Model(inputs, outputs)
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer(layer.name)) is type(layer)
    data = [query, value, key, padding([5, 2, 4])]
    np.testing.assert_array_equal(to_numpy(loaded(data)), to_numpy(model(data)))


@pytest.mark.parametrize(
    ("make_layer", "error", "message"),
    [
        (
            lambda: LuongAttention("cosine"),
            ValueError,
            r"score must be one of .*Received: score='cosine'",
        ),
        (lambda: LuongAttention("concat"), ValueError, "needs units"),
        (lambda: LuongAttention("concat", units=0), ValueError, "units must be"),
        (
            lambda: LuongAttention("concat", units=4, scaled=True),
            ValueError,
            r"concat score has none.*Received: score='concat', scaled=True",
        ),
        (
            lambda: ScaledDotProductAttention(key_dim=4),
            ValueError,
            r"need use_projections=True. Received: key_dim=4",
        ),
        (
            lambda: ScaledDotProductAttention(use_projections=True),
            TypeError,
            "key_dim must be an integer. Received: key_dim=None",
        ),
        (
            lambda: ScaledDotProductAttention(scale=-1.0),
            ValueError,
            "scale must be a positive number",
        ),
        (
            lambda: ScaledDotProductAttention(scale="1"),
            ValueError,
            "Received: scale='1'",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(make_layer, error, message):
    with pytest.raises(error, match=message):
        make_layer()


@pytest.mark.parametrize(
    ("name", "advice"), [("dot", "score='general'"), ("scaled", "use_projections")]
)
def test_dot_products_of_unequal_widths_raise_a_clear_error(name, advice):
    query, value, key = random_inputs(query_dim=3, key_dim=6)
    with pytest.raises(ValueError, match=rf"same width D.*{advice}.*Received: query"):
        every_layer()[name](query, value, key)


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        # A causal mask (T, S) needs its batch axis (combine_masks adds it).
        ({"attention_mask": np.ones((4, 5), bool)}, r"attention_mask must have shape"),
        ({"value_mask": np.ones((3, 1, 5), bool)}, r"value_mask must have shape"),
        ({"query_mask": np.ones((3, 4, 1), bool)}, r"query_mask must have shape"),
    ],
)
@pytest.mark.parametrize("name", ["general", "projected"])
def test_wrong_mask_ranks_raise_clear_errors(name, masks, message):
    query, value, key = random_inputs()
    with pytest.raises(ValueError, match=message):
        every_layer()[name](query, value, key, **masks)
