"""Tests of chapter 5's blocks: the feed-forward block, the encoder and decoder
blocks, post-norm and pre-norm, against a NumPy recomposition and by their
properties (causality, padding).

Written for any Keras backend: `make test` runs this file under TensorFlow and
again with `KERAS_BACKEND=jax`.
"""

import keras
import numpy as np
import pytest

from chapters.ch05_transformer.blocks import DecoderBlock, EncoderBlock, FeedForward

to_numpy = keras.ops.convert_to_numpy
D_MODEL, HEADS, D_FF = 8, 2, 12


def layer_norm(x, gain, bias, epsilon=1e-6):
    """Each vector over its own features: zero mean, unit variance, then gain and
    bias per feature."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gain + bias


def feed_forward(block, x):
    expand, contract = block.feed_forward.expand, block.feed_forward.contract
    hidden = np.maximum(x @ to_numpy(expand.kernel) + to_numpy(expand.bias), 0)
    return hidden @ to_numpy(contract.kernel) + to_numpy(contract.bias)


def randomized_norms(block, random):
    """Gains and biases away from 1 and 0, so that a missing norm shows."""
    for layer in block._layers:
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.gamma.assign(random.uniform(0.5, 1.5, size=D_MODEL))
            layer.beta.assign(random.normal(size=D_MODEL))


def norm(layer):
    return to_numpy(layer.gamma), to_numpy(layer.beta)


def inputs(batch=3, length=5, seed=0):
    return (
        np.random.default_rng(seed)
        .normal(size=(batch, length, D_MODEL))
        .astype("float32")
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_is_residual_and_norm_around_each_sublayer(norm_first):
    keras.utils.set_random_seed(0)
    block = EncoderBlock(D_MODEL, HEADS, D_FF, dropout=0.3, norm_first=norm_first)
    x = inputs()
    block(x)  # builds
    randomized_norms(block, np.random.default_rng(1))
    mask = np.arange(5)[None, :] < np.array([[5], [3], [4]])

    def attend(v):
        return to_numpy(block.self_attention(v, v, value_mask=mask))

    first, second = norm(block.attention_norm), norm(block.feed_forward_norm)
    if norm_first:
        h = x + attend(layer_norm(x, *first))
        expected = h + feed_forward(block, layer_norm(h, *second))
    else:
        h = layer_norm(x + attend(x), *first)
        expected = layer_norm(h + feed_forward(block, h), *second)
    output = to_numpy(block(x, padding_mask=mask, training=False))
    np.testing.assert_allclose(output, expected, atol=1e-4)


def test_post_norm_outputs_are_normalized_per_token():
    keras.utils.set_random_seed(0)
    block = EncoderBlock(D_MODEL, HEADS, D_FF, dropout=0.0)
    output = to_numpy(block(inputs() * 10))  # gain 1 and bias 0, as built
    np.testing.assert_allclose(output.mean(axis=-1), 0, atol=1e-4)
    np.testing.assert_allclose(output.std(axis=-1), 1, atol=1e-3)


def test_dropout_acts_only_in_training():
    keras.utils.set_random_seed(0)
    block = EncoderBlock(D_MODEL, HEADS, D_FF, dropout=0.5)
    x = inputs()
    np.testing.assert_array_equal(
        to_numpy(block(x, training=False)), to_numpy(block(x, training=False))
    )
    assert not np.allclose(to_numpy(block(x, training=True)), to_numpy(block(x)))


def test_a_padded_source_gives_what_it_gives_alone():
    keras.utils.set_random_seed(0)
    block = EncoderBlock(D_MODEL, HEADS, D_FF)
    x = inputs(batch=1, length=6)
    alone = to_numpy(block(x[:, :4]))
    x[:, 4:] = 99.0  # padding, whatever its values
    padded = to_numpy(block(x, padding_mask=np.array([[1, 1, 1, 1, 0, 0]], bool)))
    np.testing.assert_allclose(padded[:, :4], alone, atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_position_t_does_not_see_later_targets(norm_first):
    keras.utils.set_random_seed(0)
    block = DecoderBlock(D_MODEL, HEADS, D_FF, norm_first=norm_first)
    target, source = inputs(length=6), inputs(length=4, seed=1)
    before = to_numpy(block(target, source))
    changed = target.copy()
    changed[:, 3:] += 5.0  # change positions 3, 4, 5
    after = to_numpy(block(changed, source))
    np.testing.assert_allclose(after[:, :3], before[:, :3], atol=1e-5)
    assert not np.allclose(after[:, 3], before[:, 3])


def test_decoder_ignores_source_padding_and_reads_the_rest():
    keras.utils.set_random_seed(0)
    block = DecoderBlock(D_MODEL, HEADS, D_FF)
    target, source = inputs(length=3), inputs(length=5, seed=1)
    source_mask = np.arange(5)[None, :] < np.array([[5], [2], [4]])
    target_mask = np.arange(3)[None, :] < np.array([[3], [3], [2]])
    before = to_numpy(block(target, source, target_mask, source_mask))
    changed = source.copy()
    changed[~source_mask] = 7.0
    after = to_numpy(block(target, changed, target_mask, source_mask))
    np.testing.assert_allclose(after, before, atol=1e-5)
    changed[0, 0] += 1.0  # a real source token: the output must move
    assert not np.allclose(
        to_numpy(block(target, changed, target_mask, source_mask))[0], before[0]
    )


def test_feed_forward_is_the_same_two_matrices_at_every_position():
    keras.utils.set_random_seed(0)
    layer = FeedForward(D_MODEL, D_FF)
    x = inputs()
    output = to_numpy(layer(x))
    shuffled = to_numpy(layer(x[:, ::-1]))
    np.testing.assert_allclose(shuffled, output[:, ::-1], atol=1e-6)


@pytest.mark.parametrize(
    ("make_block", "message"),
    [
        (lambda: EncoderBlock(10, 3, 12), "d_model must split evenly into num_heads"),
        (lambda: DecoderBlock(8, 2, 12, dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: FeedForward(8, 0), "d_ff must be a positive integer"),
    ],
)
def test_bad_sizes_raise_clear_errors(make_block, message):
    with pytest.raises(ValueError, match=message):
        make_block()


@pytest.mark.parametrize("cls", [EncoderBlock, DecoderBlock])
def test_config_round_trip(cls):
    block = cls(D_MODEL, HEADS, D_FF, dropout=0.2, norm_first=True)
    copy = cls.from_config(block.get_config())
    assert copy.get_config() == block.get_config()


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_block_is_residual_and_norm_around_each_of_three_sublayers(norm_first):
    keras.utils.set_random_seed(0)
    block = DecoderBlock(D_MODEL, HEADS, D_FF, dropout=0.3, norm_first=norm_first)
    target, source = inputs(length=4), inputs(length=5, seed=1)
    block(target, source)  # builds
    randomized_norms(block, np.random.default_rng(2))
    target_mask = np.arange(4)[None, :] < np.array([[4], [2], [3]])
    source_mask = np.arange(5)[None, :] < np.array([[5], [3], [1]])
    # Causal and padding: key s is seen by query t if s <= t and s is real.
    self_mask = np.tril(np.ones((4, 4), bool))[None] & target_mask[:, None, :]

    def attend_to_target(v):
        return to_numpy(block.self_attention(v, v, attention_mask=self_mask))

    def attend_to_source(v):
        return to_numpy(block.cross_attention(v, source, value_mask=source_mask))

    sublayers = [
        (attend_to_target, norm(block.self_attention_norm)),
        (attend_to_source, norm(block.cross_attention_norm)),
        (lambda v: feed_forward(block, v), norm(block.feed_forward_norm)),
    ]
    expected = target
    for sublayer, (gain, bias) in sublayers:
        if norm_first:
            expected = expected + sublayer(layer_norm(expected, gain, bias))
        else:
            expected = layer_norm(expected + sublayer(expected), gain, bias)
    output = block(target, source, target_mask, source_mask, training=False)
    np.testing.assert_allclose(to_numpy(output), expected, atol=1e-4)


def test_returning_the_weights_leaves_the_outputs_unchanged():
    x = inputs()
    mask = np.arange(5)[None, :] < np.array([5, 3, 4])[:, None]  # (B, S)
    encoder = EncoderBlock(D_MODEL, HEADS, D_FF)
    outputs, weights = encoder(x, mask, return_attention_scores=True)
    np.testing.assert_array_equal(to_numpy(outputs), to_numpy(encoder(x, mask)))
    assert tuple(weights.shape) == (3, HEADS, 5, 5)
    decoder = DecoderBlock(D_MODEL, HEADS, D_FF)
    target = x[:, :4]
    outputs, weights = decoder(target, x, None, mask, return_attention_scores=True)
    np.testing.assert_array_equal(
        to_numpy(outputs), to_numpy(decoder(target, x, None, mask))
    )
    assert tuple(weights["self"].shape) == (3, HEADS, 4, 4)
    assert tuple(weights["cross"].shape) == (3, HEADS, 4, 5)
