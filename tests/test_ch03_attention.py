"""Tests of chapter 3's additive attention, its NumPy reference and its cost table.

Written for any Keras backend: `make test` runs this file under TensorFlow and again
with `KERAS_BACKEND=jax`. Tests that need TensorFlow itself skip under JAX.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention import numpy_attention
from chapters.ch03_attention.attention import (
    AdditiveAttention,
    BahdanauAttention,
    BaseAttention,
    masked_softmax,
)
from chapters.ch03_attention.cost import attention_cost, linear_fit
from tests.attention_testing import input_gradients, padding

to_numpy = keras.ops.convert_to_numpy
needs_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="times a tf.function"
)


def random_inputs(batch=3, target=4, source=5, query_dim=3, key_dim=6, value_dim=2):
    """Seeded float32 query `(B, T, Dq)`, value `(B, S, Dv)`, key `(B, S, Dk)`."""
    random = np.random.default_rng(0)
    return (
        random.normal(size=(batch, target, query_dim)).astype("float32"),
        random.normal(size=(batch, source, value_dim)).astype("float32"),
        random.normal(size=(batch, source, key_dim)).astype("float32"),
    )


def layer_weights(layer):
    """The layer's `W_a`, `U_a` and `v_a` as NumPy arrays."""
    return (
        to_numpy(layer.query_projection.kernel),
        to_numpy(layer.key_projection.kernel),
        to_numpy(layer.score_vector),
    )


def set_layer_weights(layer, query_weights, key_weights, score_vector):
    layer.query_projection.kernel.assign(query_weights)
    layer.key_projection.kernel.assign(key_weights)
    layer.score_vector.assign(score_vector)


def test_hand_computed_example_wo_ai_ni():
    # Translating 我 爱 你 ("I love you"), the decoder state s = [1, 0] before
    # "love" should look at 爱. W_a = diag(0.5), U_a = I, v_a = [1, 2], so
    # W_a s = [0.5, 0]; adding each key:
    #   我 [-0.5, 0]:  tanh([0, 0])       -> e = 0
    #   爱 [0.5, 1]:   tanh([1, 1])       -> e = 0.761594 + 2 * 0.761594 = 2.284782
    #   你 [0, -1]:    tanh([0.5, -1])    -> e = 0.462117 - 2 * 0.761594 = -1.061071
    # exp(e) = [1, 9.823549, 0.346085], sum 11.169634.
    layer = AdditiveAttention(2)
    query = np.array([[[1.0, 0.0]]], dtype="float32")  # (1, 1, 2)
    keys = np.array([[[-0.5, 0.0], [0.5, 1.0], [0.0, -1.0]]], dtype="float32")
    layer.build(query.shape, keys.shape)
    set_layer_weights(layer, np.diag([0.5, 0.5]), np.eye(2), np.array([1.0, 2.0]))

    scores = to_numpy(layer.score(query, layer.project_keys(keys)))
    np.testing.assert_allclose(scores, [[[0.0, 2.284782, -1.061071]]], atol=1e-6)
    context, weights = layer(query, keys, return_attention_scores=True)
    expected_weights = np.array([1.0, 9.823549, 0.346085]) / 11.169634
    np.testing.assert_allclose(to_numpy(weights)[0, 0], expected_weights, atol=1e-6)
    assert np.argmax(to_numpy(weights)[0, 0]) == 1  # 爱 gets most of the weight.
    # c = 0.089528 * [-0.5, 0] + 0.879487 * [0.5, 1] + 0.030984 * [0, -1].
    np.testing.assert_allclose(to_numpy(context), [[[0.394979, 0.848503]]], atol=1e-6)
    # The NumPy reference agrees with the same numbers.
    _, reference = numpy_attention.additive_attention(
        query, keys, np.diag([0.5, 0.5]), np.eye(2), np.array([1.0, 2.0])
    )
    np.testing.assert_allclose(reference[0, 0], expected_weights, atol=1e-6)


def test_numpy_masked_softmax_by_hand():
    scores = np.array([[0.0, np.log(3.0), 5.0]])
    weights = numpy_attention.masked_softmax(scores, np.array([[True, True, False]]))
    np.testing.assert_allclose(weights, [[0.25, 0.75, 0.0]])
    np.testing.assert_array_equal(
        numpy_attention.masked_softmax(scores, np.zeros((1, 3), bool)), [[0, 0, 0]]
    )


@pytest.mark.parametrize("separate_key", [True, False])
def test_layer_equals_the_numpy_reference(separate_key):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    if not separate_key:
        key = None
    value_mask = padding([5, 2, 4])
    # Query 0 of sentence 1 may see only its first key; the rest see all.
    attention_mask = np.ones((3, 4, 5), bool)
    attention_mask[1, 0, 1:] = False
    layer = AdditiveAttention(7)
    context, weights = layer(
        query,
        value,
        key,
        value_mask=value_mask,
        attention_mask=attention_mask,
        return_attention_scores=True,
    )
    reference_context, reference_weights = numpy_attention.additive_attention(
        query.astype("float64"),
        value,
        *layer_weights(layer),
        keys=key,
        value_mask=value_mask,
        attention_mask=attention_mask,
    )
    np.testing.assert_allclose(to_numpy(weights), reference_weights, atol=1e-5)
    np.testing.assert_allclose(to_numpy(context), reference_context, atol=1e-5)
    assert to_numpy(weights)[1, 0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("use_scale", [True, False])
def test_identity_projections_equal_keras_additive_attention(use_scale):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs(query_dim=4, key_dim=4, value_dim=3)
    query_mask = np.array([[True, True, True, False]] * 3)
    value_mask = padding([5, 2, 4])
    theirs = keras.layers.AdditiveAttention(use_scale=use_scale)
    # Keras 3.10 (the Colab stack) subtracts a (B, S) value mask from the (B, T, S)
    # scores without expanding it; given as (B, 1, S), it works on every version.
    their_context, their_weights = theirs(
        [query, value, key],
        mask=[query_mask, value_mask[:, None, :]],
        return_attention_scores=True,
    )
    ours = AdditiveAttention(4)
    ours.build(query.shape, value.shape, key.shape)
    score_vector = to_numpy(theirs.scale) if use_scale else np.ones(4)
    set_layer_weights(ours, np.eye(4), np.eye(4), score_vector)
    our_context, our_weights = ours(
        query,
        value,
        key,
        query_mask=query_mask,
        value_mask=value_mask,
        return_attention_scores=True,
    )
    np.testing.assert_allclose(
        to_numpy(our_context), to_numpy(their_context), atol=1e-5
    )
    np.testing.assert_allclose(
        to_numpy(our_weights), to_numpy(their_weights), atol=1e-5
    )
    assert not to_numpy(our_context)[:, 3].any()  # The masked query's output is 0.


def test_masked_positions_get_exactly_zero_weight_and_rows_sum_to_one():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    _, weights = AdditiveAttention(6)(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    weights = to_numpy(weights)
    padded = np.broadcast_to(~value_mask[:, None, :], weights.shape)
    assert np.all(weights[padded] == 0.0)
    assert np.all(weights[~padded] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)


def test_fully_masked_row_gives_zeros_finite_gradients_and_no_nan():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    attention_mask = np.ones((3, 4, 5), bool)
    attention_mask[0, 2] = False  # Query 2 of sentence 0 may attend to nothing.
    layer = AdditiveAttention(6)

    def attend(query, value):
        return layer(query, value, key, attention_mask=attention_mask)

    context, weights = layer(
        query, value, key, attention_mask=attention_mask, return_attention_scores=True
    )
    assert not to_numpy(weights)[0, 2].any()
    assert not to_numpy(context)[0, 2].any()
    np.testing.assert_allclose(to_numpy(weights)[0, :2].sum(-1), 1.0, atol=1e-6)
    for gradient in input_gradients(attend, query, value):
        assert np.all(np.isfinite(to_numpy(gradient)))


@pytest.mark.parametrize(
    "dtype", ["float16", "mixed_float16", "bfloat16", "mixed_bfloat16"]
)
def test_low_precision_gives_no_nan_or_inf(dtype):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    attention_mask = np.ones((3, 4, 5), bool)
    attention_mask[0, 2] = False
    layer = AdditiveAttention(6, dtype=dtype)
    # Large inputs saturate tanh; the scores then reach their largest values.
    context, weights = layer(
        100 * query,
        value,
        100 * key,
        value_mask=padding([5, 2, 4]),
        attention_mask=attention_mask,
        return_attention_scores=True,
    )
    assert keras.backend.standardize_dtype(context.dtype) == layer.compute_dtype
    for tensor in (context, weights):
        assert np.all(np.isfinite(to_numpy(tensor).astype("float32")))
    assert not to_numpy(weights).astype("float32")[1, :, 2:].any()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_masked_softmax_with_extreme_low_precision_scores(dtype):
    # -1e9 would be -inf in float16; the lowest finite value keeps rows finite.
    scores = keras.ops.convert_to_tensor([[30000.0, -30000.0, 1.0]], dtype=dtype)
    mask = np.array([[False, True, True]])
    weights = to_numpy(masked_softmax(scores, mask)).astype("float32")
    np.testing.assert_array_equal(weights, [[0.0, 0.0, 1.0]])
    nothing = to_numpy(masked_softmax(scores, np.zeros((1, 3), bool)))
    np.testing.assert_array_equal(nothing.astype("float32"), [[0.0, 0.0, 0.0]])


def test_padded_values_and_keys_do_not_change_the_outputs():
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    layer = AdditiveAttention(6)
    before = to_numpy(layer(query, value, key, value_mask=value_mask))
    noise = np.random.default_rng(1).normal(size=(3, 5, 1)).astype("float32") * 50
    padded = ~value_mask[:, :, None]
    after = layer(
        query,
        np.where(padded, value + noise, value),
        np.where(padded, key - noise, key),
        value_mask=value_mask,
    )
    np.testing.assert_allclose(to_numpy(after), before, rtol=0, atol=1e-7)


def test_attend_step_by_step_equals_the_whole_call():
    # What a decoder does: project the keys once, then attend one query at a time.
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    layer = AdditiveAttention(6)
    whole = to_numpy(layer(query, value, key, value_mask=value_mask))
    keys = layer.project_keys(key)
    steps = [
        to_numpy(layer.attend(query[:, t : t + 1], value, keys, value_mask)[0])
        for t in range(query.shape[1])
    ]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), whole, atol=1e-6)


def test_keras_masks_are_read_and_the_query_mask_passed_on():
    keras.utils.set_random_seed(0)
    target_ids = keras.Input(shape=(None,), dtype="int32")
    source_ids = keras.Input(shape=(None,), dtype="int32")
    embedding = keras.layers.Embedding(9, 4, mask_zero=True)
    attention = AdditiveAttention(5)
    queries, values = embedding(target_ids), embedding(source_ids)
    outputs = attention(queries, values)
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


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"value_mask": np.ones((3,), bool)}, r"value_mask must have shape \(B=3, S="),
        ({"value_mask": np.ones((3, 4), bool)}, r"Received: value_mask with shape"),
        (
            {"attention_mask": np.ones((3, 5), bool)},
            r"attention_mask must have shape \(B=3, T=4, S=5\).*goes in value_mask",
        ),
        ({"query_mask": np.ones((3, 5), bool)}, r"query_mask must have shape"),
        (
            {"query": np.ones((3, 4), "float32")},
            r"query must have shape .*a rank-3 tensor",
        ),
        (
            {"value": np.ones((3, 5), "float32")},
            r"value must have shape .*a rank-3 tensor",
        ),
        ({"key": np.ones((3, 6, 6), "float32")}, r"key must have shape .*S=5"),
    ],
)
def test_wrong_shapes_raise_clear_errors(arguments, message):
    query, value, key = random_inputs()
    inputs = {"query": query, "value": value, "key": key, **arguments}
    layer = AdditiveAttention(4)
    layer(query, value, key)
    with pytest.raises(ValueError, match=message) as raised:
        layer(**inputs)
    assert "Received" in str(raised.value)


def test_bad_units_and_a_missing_score_raise_clear_errors():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        AdditiveAttention(0)
    with pytest.raises(TypeError, match="units must be an integer"):
        AdditiveAttention("8")
    query, value, _ = random_inputs()
    with pytest.raises(NotImplementedError, match="must define score"):
        BaseAttention()(query, value)


def test_config_round_trip_and_alias():
    assert BahdanauAttention is AdditiveAttention
    layer = AdditiveAttention(7, name="attention")
    copy = AdditiveAttention.from_config(layer.get_config())
    assert copy.units == 7 and copy.name == "attention"
    assert copy.get_config() == layer.get_config()


def test_keras_file_round_trip_gives_identical_outputs(tmp_path):
    keras.utils.set_random_seed(0)
    query, value, key = random_inputs()
    value_mask = padding([5, 2, 4])
    inputs = [
        keras.Input(shape=(None, 3)),
        keras.Input(shape=(None, 2)),
        keras.Input(shape=(None, 6)),
        keras.Input(shape=(None,), dtype="bool"),
    ]
    outputs = AdditiveAttention(5, name="attention")(
        inputs[0], inputs[1], inputs[2], value_mask=inputs[3]
    )
    model = keras.Model(inputs, outputs)
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("attention"), AdditiveAttention)
    data = [query, value, key, value_mask]
    np.testing.assert_array_equal(to_numpy(loaded(data)), to_numpy(model(data)))


def test_attention_cost_table_and_exact_bytes():
    cost = attention_cost(
        [2, 4], [3, 1], batch_size=2, units=3, repetitions=1, compiled=False
    )
    assert cost.mode == "eager"
    assert cost.source_lengths.tolist() == [2, 2, 4, 4]
    assert cost.target_lengths.tolist() == [3, 1, 3, 1]
    assert cost.query_key_pairs.tolist() == [6, 2, 12, 4]
    # float32 tanh activations (B, T, S, A) plus weights (B, T, S).
    expected = [2 * pairs * (3 + 1) * 4 for pairs in (6, 2, 12, 4)]
    assert cost.score_tensor_bytes.tolist() == expected
    assert cost.seconds.shape == (4,) and np.all(cost.seconds > 0)
    assert len(cost.table().splitlines()) == 5
    assert 0.0 <= cost.fit().r_squared <= 1.0


@needs_tensorflow
def test_attention_cost_compiled_bytes_grow_with_pairs():
    cost = attention_cost([2, 3, 4], 2, batch_size=1, units=2, repetitions=2)
    assert cost.mode == "tf.function"
    assert np.all(np.diff(cost.score_tensor_bytes) > 0)
    assert cost.score_tensor_bytes.tolist() == [48, 72, 96]


def test_attention_cost_refuses_bad_arguments():
    with pytest.raises(ValueError, match="at least one length"):
        attention_cost([], [2])
    with pytest.raises(ValueError, match="target_lengths must be a positive"):
        attention_cost([2], [0], compiled=False)
    if keras.backend.backend() != "tensorflow":
        with pytest.raises(ValueError, match="needs the TensorFlow backend"):
            attention_cost([2], [2])


def test_linear_fit_of_an_exact_line():
    fit = linear_fit([1, 2, 3, 4], [3, 5, 7, 9])
    assert fit.slope == pytest.approx(2.0)
    assert fit.intercept == pytest.approx(1.0)
    assert fit.r_squared == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        linear_fit([1, 2], [1])
