"""Mixed precision: chapter 5's Transformer computing in 16-bit floats while its
weights, its updates and its loss stay in float32.

**A dtype policy** (Micikevicius et al., 2018, "Mixed Precision Training") tells a
Keras layer two dtypes:

- the *variable dtype*, in which its weights are stored and updated: float32 in
  every policy here, so that an update of 1e-4 to a weight of 1 is not lost
  (in bfloat16, `1 + 1e-4 == 1`);
- the *compute dtype*, in which it computes: a float input is cast to it, and
  each weight is cast to it as the layer reads it inside `__call__`.

`"float32"` has both in float32. `"mixed_bfloat16"` and `"mixed_float16"` compute in
a 16-bit float: half the bytes for every activation kept for the backward pass,
and on hardware with 16-bit matrix units (GPU tensor cores, TPUs, recent CPUs with
AMX) much faster matrix products. The gradients reach the float32 weights through
the casts, and the optimizer updates them in float32.

**A policy reaches every sublayer because the course passes it on.** Keras gives
a layer the policy of its own `dtype=` argument (or the global one), and does not
hand a parent's policy to the sublayers the parent creates in `__init__` (Keras
3.10 and 3.13 alike). Chapter 5's `Transformer`, its blocks, attention and
positional encoding therefore create every sublayer with
`dtype=self.dtype_policy`: `Transformer(..., dtype="mixed_bfloat16")` computes in
bfloat16 from the embedding to the logits, and a `.keras` file keeps the policy.
Here the model is built that way (`build_transformer_under_policy`); Keras'
global policy is never touched.

**Why float16 needs loss scaling and bfloat16 does not.** float16 has 5 exponent
bits: nothing smaller than about 6e-8 survives, and gradients often are smaller.
The optimizer therefore multiplies the loss by a large factor before the gradients
are taken (the chain rule multiplies every gradient by it too), divides the
gradients by it in float32 before the update, and skips a step and halves the
factor when a gradient overflows. In Keras 3 the model's `compile` does it itself:
`keras/src/trainers/trainer.py` wraps the optimizer in a
`keras.optimizers.LossScaleOptimizer` when `auto_scale_loss` is True (the
default) and the model's `dtype_policy.name == "mixed_float16"` (Keras 3.10 and
3.13 alike), and the TensorFlow `train_step` multiplies the loss by
`optimizer.scale_loss` before taking gradients. bfloat16 keeps float32's 8 exponent
bits (its range reaches 1e-38 and 3e38) and gives up significand bits instead
(8 against float32's 24: 2 to 3 significant digits): no underflow, so no scaling,
but coarser numbers.

**Why the loss and its softmax stay in float32.** The loss takes a log-softmax
over `V` words and averages it over every real token of the batch: sums of
thousands of terms, where 2 to 3 significant digits would lose the small ones,
and a log whose argument must not round to 0. Keras' `Loss.__call__` converts the
logits to the loss's dtype (`floatx()`, float32, whatever the policy) and
chapter 5's `LabelSmoothedLoss` casts them to float32 again before its
log-softmax, so under a mixed policy the loss is a float32 number computed the
same way; only the logits it reads were rounded to 16 bits by the layer that made
them. The attention softmax inside the blocks runs in the compute dtype; its mask
must then be safe in 16 bits, which chapter 3's `masked_softmax` is: it fills
masked scores with the dtype's lowest finite value, never `-1e9` (`-inf` in
float16).

What each policy, with and without XLA, costs in step time and memory is
measured by `step_costs.py`.
"""

import dataclasses

from chapters.ch05_transformer import experiments as chapter5
from chapters.ch05_transformer.model import Transformer, TransformerConfig
from chapters.common import scales
from chapters.common.arguments import check_type

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


def check_policy(policy):
    """Returns `policy` if it is one of `POLICIES`; raises a `ValueError` naming the
    choices otherwise. Pure `"float16"` (float16 weights too) is not offered: its
    weight updates would round away, which is what the mixed policies avoid."""
    if policy not in POLICIES:
        raise ValueError(
            f"policy must be one of {POLICIES}. Received: policy={policy!r}"
        )
    return policy


def half_precision_policy():
    """`"mixed_float16"` where TensorFlow sees a GPU (the T4 of Colab's free tier
    has float16 tensor cores and no bfloat16 ones), `"mixed_bfloat16"` otherwise:
    TensorFlow's CPU kernels (oneDNN) cover bfloat16 better than float16, recent
    CPUs have bfloat16 instructions (AVX512-BF16, AMX), and it needs no loss
    scaling."""
    return "mixed_float16" if scales.gpu_available() else "mixed_bfloat16"


def build_transformer_under_policy(
    source_vocabulary_size,
    target_vocabulary_size,
    config,
    policy="float32",
    jit_compile=False,
    choices=chapter5.DEFAULT_CHOICES,
):
    """Chapter 5's `Transformer` under a dtype policy (`dtype=policy`, which it
    passes on to every sublayer), built and compiled (`compile_transformer`),
    with or without XLA.

    Under `"mixed_float16"`, `compile` wraps the optimizer in a
    `keras.optimizers.LossScaleOptimizer` (see the module docstring).

    Args:
        source_vocabulary_size, target_vocabulary_size: the vocabularies' sizes.
        config: a `TransformerConfig`.
        policy: one of `POLICIES`.
        jit_compile: compile the training step with XLA.
        choices: chapter 5's `TrainingChoices`.

    Returns:
        The compiled model; `model.dtype_policy.name == policy`.

    Raises:
        RuntimeError: XLA was asked for and Keras refused it (it does while
            TensorFlow's op determinism is on, e.g. after
            `scales.set_seed(deterministic=True)`).
    """
    check_type(config, TransformerConfig, "config")
    check_policy(policy)
    model = Transformer(
        source_vocabulary_size,
        target_vocabulary_size,
        dtype=policy,
        **dataclasses.asdict(config),
    )
    model.build(((None, None), (None, None)))
    chapter5.compile_transformer(model, choices)
    # `compile` left it at "auto", which means no XLA on a CPU-only machine.
    model.jit_compile = bool(jit_compile)
    if model.jit_compile != bool(jit_compile):
        raise RuntimeError(
            "Keras refused jit_compile=True for this model (TensorFlow's op "
            "determinism is on, or a layer does not support XLA)."
        )
    return model


def copy_under_policy(model, policy, jit_compile=False):
    """A `Transformer` of `model`'s sizes under `policy`, holding the same weights:
    the variables are float32 in every policy, so they copy over exactly."""
    copy = build_transformer_under_policy(
        model.source_vocabulary_size,
        model.target_vocabulary_size,
        model.sizes,
        policy,
        jit_compile,
    )
    copy.set_weights(model.get_weights())
    return copy
