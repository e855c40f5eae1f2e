"""Tests of chapter 6's mixed precision: the Transformer under each dtype policy,
the safety of the course's masked softmax in 16 bits, the logits and the loss."""

import keras
import ml_dtypes
import numpy as np
import pytest
from keras import ops

from chapters.ch03_attention import attention as chapter3_attention
from chapters.ch05_transformer.model import TransformerConfig
from chapters.ch06_beyond_the_notebook import precision
from chapters.common import scales

TINY = TransformerConfig(num_layers=1, d_model=16, num_heads=2, d_ff=32)
SOURCE_VOCABULARY, TARGET_VOCABULARY = 30, 40
# A padded batch: sentence 0 has one real source token and one decoder input,
# so every one of its attention rows allows a single key.
SOURCE = np.array([[5, 0, 0, 0, 0], [5, 6, 7, 8, 9], [7, 8, 0, 0, 0]], "int32")
DECODER_INPUTS = np.array([[2, 0, 0, 0], [2, 9, 10, 11], [2, 12, 13, 0]], "int32")
TARGETS = np.array([[3, 0, 0, 0], [9, 10, 11, 3], [12, 13, 3, 0]], "int32")
HALF_DTYPES = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


def float32_model(seed=0):
    scales.set_seed(seed)
    return precision.build_transformer_under_policy(
        SOURCE_VOCABULARY, TARGET_VOCABULARY, TINY
    )


def additive_minus_1e9_softmax(scores, mask):
    """The unsafe mask: `-1e9` added to masked scores, in the scores' dtype."""
    bias = ops.cast(ops.logical_not(mask), scores.dtype) * ops.cast(-1e9, scores.dtype)
    return ops.softmax(scores + bias, axis=-1)


# --- Policies ----------------------------------------------------------------


@pytest.mark.parametrize("policy", ["float16", "mixed_float32", "bfloat16", None, 16])
def test_bad_policy_names_are_refused(policy):
    with pytest.raises(ValueError, match="policy must be one of"):
        precision.build_transformer_under_policy(3, 3, TINY, policy)


def test_a_bad_config_is_refused():
    with pytest.raises(TypeError, match="config must be a TransformerConfig"):
        precision.build_transformer_under_policy(3, 3, {"d_model": 16})


@pytest.mark.parametrize("policy", precision.POLICIES)
def test_every_sublayer_computes_in_the_policys_dtype(policy):
    model = precision.build_transformer_under_policy(3, 4, TINY, policy)
    assert model.dtype_policy.name == policy
    compute = "float32" if policy == "float32" else HALF_DTYPES[policy]
    layers = list(model._flatten_layers())  # Keras' own walk over nested layers
    assert len(layers) > 10
    assert {layer.dtype_policy.compute_dtype for layer in layers} == {compute}
    assert {weight.dtype for weight in model.weights} == {"float32"}
    # The policy went through `dtype=`, never through Keras' global policy.
    assert keras.config.dtype_policy().name == "float32"


class Outer(keras.layers.Layer):
    """A layer that creates a sublayer in `__init__` without passing its policy."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(2)


def test_keras_does_not_pass_a_dtype_on_to_sublayers_by_itself():
    """Why the course's layers pass `dtype=self.dtype_policy` to each sublayer."""
    outer = Outer(dtype="mixed_bfloat16")
    assert outer.dtype_policy.name == "mixed_bfloat16"
    assert outer.inner.dtype_policy.name == "float32"


@pytest.mark.parametrize("jit_compile", [False, True])
def test_xla_is_on_only_when_asked(jit_compile):
    model = precision.build_transformer_under_policy(
        3, 4, TINY, jit_compile=jit_compile
    )
    assert model.jit_compile is jit_compile


# --- The masked softmax in 16 bits ---------------------------------------------

# Row 0 allows a single key among larger masked scores, row 1 allows a score of
# 20 (exp(20) overflows float16 unless the row's maximum is subtracted first),
# row 2 allows none: every query of a sentence made only of padding.
MASK_SCORES = np.array(
    [[9.0, -3.0, 2.0, 11.0], [0.5, 20.0, 1.5, -30.0], [1.0, 2.0, 3.0, 4.0]]
)
MASK = np.array([[False, False, True, False], [True, True, True, False], [False] * 4])


def masked_softmax_problems(masked_softmax, dtype):
    """What is wrong with `masked_softmax(scores, mask)` on `MASK_SCORES` in
    `dtype`: a list of sentences, empty when nothing is."""
    weights = masked_softmax(
        ops.convert_to_tensor(MASK_SCORES, dtype), ops.convert_to_tensor(MASK)
    )
    assert keras.backend.standardize_dtype(weights.dtype) == dtype
    weights = ops.convert_to_numpy(weights).astype("float64")
    if not np.all(np.isfinite(weights)):
        rows = sorted({int(row) for row in np.argwhere(~np.isfinite(weights))[:, 0]})
        return [f"not finite in rows {rows}"]
    problems = []
    if np.any(weights[~MASK] != 0):
        problems.append("weight on masked keys")
    # A 16-bit sum of a few weights is off by a few units in the last place.
    tolerance = 4 * float(ml_dtypes.finfo(dtype).eps)
    sums = weights.sum(axis=-1)
    if not np.allclose(sums[:2], 1.0, rtol=0, atol=tolerance):
        problems.append(f"allowed keys sum to {sums[:2]}")
    expected = np.where(MASK, np.exp(MASK_SCORES - 20.0), 0.0)
    expected[:2] /= expected[:2].sum(axis=-1, keepdims=True)
    if not np.allclose(weights, expected, rtol=0, atol=tolerance):
        problems.append("weights differ from NumPy's softmax over the allowed keys")
    return problems


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_the_course_masked_softmax_is_safe_in_16_bits(dtype):
    assert masked_softmax_problems(chapter3_attention.masked_softmax, dtype) == []


def test_adding_minus_1e9_fails_in_float16():
    # -1e9 is -inf in float16: 0 * -inf is NaN in every row.
    problems = masked_softmax_problems(additive_minus_1e9_softmax, "float16")
    assert problems == ["not finite in rows [0, 1, 2]"]
    # bfloat16 has float32's range: finite, but the fully masked row is uniform.
    problems = masked_softmax_problems(additive_minus_1e9_softmax, "bfloat16")
    assert problems and "weight on masked keys" in problems


# --- Logits and loss under a mixed policy --------------------------------------


def logits_gap(model, policy):
    """`(largest |difference| of the logits under `policy` from `model`'s, the
    tolerance for that dtype, whether all are finite)`."""
    reference = ops.convert_to_numpy(model((SOURCE, DECODER_INPUTS), training=False))
    copy = precision.copy_under_policy(model, policy)
    logits = copy((SOURCE, DECODER_INPUTS), training=False)
    assert keras.backend.standardize_dtype(logits.dtype) == HALF_DTYPES[policy]
    logits = ops.convert_to_numpy(logits).astype("float64")
    # About 4 roundings of the largest logit's size; measured gaps are about one
    # (bfloat16: 0.022-0.025 for logits up to 3.2; float16: 0.002-0.005).
    tolerance = 4 * float(ml_dtypes.finfo(HALF_DTYPES[policy]).eps)
    tolerance *= np.abs(reference).max()
    return np.abs(logits - reference).max(), tolerance, np.isfinite(logits).all()


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_logits_under_mixed_precision_match_float32(policy):
    for seed in (0, 1):
        gap, tolerance, finite = logits_gap(float32_model(seed), policy)
        assert finite and gap <= tolerance


def test_an_unsafe_mask_in_the_model_is_caught(monkeypatch):
    model = float32_model()
    monkeypatch.setattr(
        chapter3_attention, "masked_softmax", additive_minus_1e9_softmax
    )
    _, _, finite = logits_gap(model, "mixed_bfloat16")
    assert finite
    _, _, finite = logits_gap(model, "mixed_float16")
    assert not finite


def test_the_loss_under_mixed_bfloat16_is_float32_and_means_the_same():
    for seed in (0, 1, 2):
        model = float32_model(seed)
        inputs = (SOURCE, DECODER_INPUTS)
        reference = model.compute_loss(
            x=inputs, y=TARGETS, y_pred=model(inputs, training=False)
        )
        copy = precision.copy_under_policy(model, "mixed_bfloat16")
        logits = copy(inputs, training=False)
        # The logits come out in bfloat16; the loss casts them to float32.
        assert keras.backend.standardize_dtype(logits.dtype) == "bfloat16"
        assert copy.loss.dtype == "float32"
        loss = copy.compute_loss(x=inputs, y=TARGETS, y_pred=logits)
        assert keras.backend.standardize_dtype(loss.dtype) == "float32"
        # One bfloat16 rounding of the loss (about 0.03 here); measured gaps were
        # 0.001-0.005.
        tolerance = float(ml_dtypes.finfo("bfloat16").eps) * float(reference)
        assert abs(float(loss) - float(reference)) <= tolerance


def test_mixed_float16_training_scales_the_loss():
    model = float32_model()
    half = precision.copy_under_policy(model, "mixed_float16")
    assert isinstance(half.optimizer, keras.optimizers.LossScaleOptimizer)
    before = [weight.copy() for weight in half.get_weights()]
    for _ in range(2):
        logs = half.train_on_batch((SOURCE, DECODER_INPUTS), TARGETS, return_dict=True)
    assert np.isfinite(logs["loss"])
    scale = float(ops.convert_to_numpy(half.optimizer.dynamic_scale))
    assert scale > 1 and float(half.optimizer.scale_loss(1.0)) == scale
    changed = [
        not np.array_equal(old, new)
        for old, new in zip(before, half.get_weights(), strict=True)
    ]
    assert sum(changed) > len(changed) // 2
    # bfloat16 and float32 need no scaling: their optimizer is Adam itself.
    for policy in ("float32", "mixed_bfloat16"):
        other = precision.copy_under_policy(model, policy)
        assert type(other.optimizer) is keras.optimizers.Adam
