# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6d: mixed precision and XLA
#
# **Description:** every number the Transformer of chapter 5 computed so far was
# a 32-bit float. Two changes make a training step cheaper without changing the
# model: computing in 16-bit floats while the weights stay in 32 bits (*mixed
# precision*), and compiling the whole training step into one program (*XLA*).
# This lesson shows what a 16-bit float can and cannot hold, what Keras keeps in
# 32 bits and why, which mask breaks in 16 bits, and then measures the step time
# and memory of chapter 5's Transformer on a Tatoeba batch under each
# combination.
#
# **You will learn**
# - what a Keras dtype policy is: a compute dtype and a variable dtype;
# - what float16 and bfloat16 can represent, why float16 needs loss scaling
#   and bfloat16 does not, and why the weights stay float32;
# - why an attention mask must be written for 16 bits;
# - what XLA compiles and fuses, and how to turn it on;
# - what each of the four combinations costs in step time and memory, measured.
#
# **Time:** about 2¼ minutes on CPU (`cpu` scale; 135 s measured); on a Colab GPU
# not measured yet.

# %%
# Colab set-up: installs this course and what Colab lacks; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    COURSE_URL = "https://github.com/seq2seq-course/seq2seq-keras"
    pip = [sys.executable, "-m", "pip", "install", "-q", f"git+{COURSE_URL}"]
    installed = subprocess.run(pip, capture_output=True, text=True)
    if installed.returncode != 0:
        raise RuntimeError(
            f"`pip install git+{COURSE_URL}` failed, so the course is not "
            f"installed:\n{installed.stderr[-1500:]}\nCheck that the runtime is "
            "online and that the URL opens in a browser, then run this cell again."
        )
    from chapters.common.colab import setup_colab

    setup_colab()

# %% [markdown]
# ## Setup

# %%
import time

import keras
import matplotlib.pyplot as plt
import ml_dtypes
import numpy as np
from keras import ops

from chapters.ch03_attention import attention as chapter3_attention
from chapters.ch05_transformer.model import PRESETS
from chapters.ch06_beyond_the_notebook import exercises, precision, step_costs
from chapters.common import translation_data
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(0)
print(f"scale {scale.name}")

# %% [markdown]
# ## What a dtype policy is
#
# Every Keras layer has a *dtype policy* that names two dtypes:
#
# - the **variable dtype**, in which the layer stores its weights and the
#   optimizer updates them;
# - the **compute dtype**, in which the layer computes: its float inputs are
#   cast to it, and so is each weight, at the moment the layer reads it.
#
# `"float32"` has both in float32. `"mixed_bfloat16"` and `"mixed_float16"` keep
# the weights in float32 and compute in a 16-bit float. A small layer shows it:

# %%
dense = keras.layers.Dense(4, dtype="mixed_bfloat16")
outputs = dense(np.ones((2, 3), "float32"))
print(f"policy {dense.dtype_policy.name}:")
print(f"  variable dtype {dense.variable_dtype}, compute dtype {dense.compute_dtype}")
print(f"  kernel stored as {dense.kernel.dtype}; output {outputs.dtype}")

# %% [markdown]
# A float16 or bfloat16 activation takes half the bytes of a float32 one, and
# the backward pass keeps every activation of the forward pass; hardware with
# 16-bit matrix units (GPU tensor cores, TPUs, recent CPUs) also multiplies
# 16-bit matrices faster than 32-bit ones. What do we give up?
#
# ## What 16 bits can hold
#
# A float is a sign, an exponent and a significand. float16 spends 5 bits on
# the exponent and 10 on the significand; bfloat16 ("brain float", from Google)
# keeps float32's 8 exponent bits and only 7 significand bits. `ml_dtypes.finfo`
# (NumPy's `np.finfo`, extended to bfloat16) gives their limits:

# %%
print(f"{'dtype':<9} {'bits':>4} {'largest':>10} {'smallest normal':>16} {'eps':>9}")
for name in ("float32", "float16", "bfloat16"):
    info = ml_dtypes.finfo(name)
    print(
        f"{name:<9} {info.bits:>4} {float(info.max):>10.3g} "
        f"{float(info.smallest_normal):>16.3g} {float(info.eps):>9.3g}"
    )

# %% [markdown]
# `eps` is the gap between 1 and the next number: about 3 significant digits
# for float16, 2 to 3 for bfloat16, 7 for float32. The range is where they
# differ most: float16 stops at 65,504 and, below its smallest normal number,
# loses digits until about 6e-8, where everything becomes 0. Gradients of a deep
# network are often that small. bfloat16 reaches float32's 1e-38.

# %%
tiny_gradient = 1e-8
print("1e-8 in float16: ", np.float16(tiny_gradient))
print("1e-8 in bfloat16:", ml_dtypes.bfloat16(tiny_gradient))
loss_scale = 2.0**15
scaled = np.float16(tiny_gradient * loss_scale)
print(f"scaled by {loss_scale:.0f} in float16: {scaled}")
print("  and divided back in float32:", np.float32(scaled) / np.float32(loss_scale))

# %% [markdown]
# That is **loss scaling**: multiply the loss by a large factor before taking
# gradients (the chain rule multiplies every gradient by it too), so that small
# gradients survive float16, then divide the gradients by it in float32 before
# the update. Keras does it for us: a model whose policy is `"mixed_float16"`
# gets its optimizer wrapped in a `keras.optimizers.LossScaleOptimizer` by
# `compile`, which also adapts the factor: it halves it and skips the step when a
# gradient overflows, and doubles it again after a run of good steps. bfloat16
# has float32's range, so it needs none.
#
# bfloat16 pays with its significand instead. A weight of 1 updated by 1e-3, a
# typical step of Adam:

# %%
for name, dtype in (
    ("float32", np.float32),
    ("float16", np.float16),
    ("bfloat16", ml_dtypes.bfloat16),
):
    print(f"1 + 1e-3 in {name:<8}: {float(dtype(1) + dtype(1e-3))!r}")

# %% [markdown]
# In bfloat16 the update is lost entirely: the numbers next to 1 are
# 1 - 2⁻⁸ and 1 + 2⁻⁷. Stored in bfloat16, a weight would not move at all for
# an update below about 1/256 of its size (half the gap to its neighbour), and
# only in coarse steps for larger ones. That is why every mixed
# policy stores the weights, and the optimizer's moments, in float32: only the
# computation between two updates is rounded to 16 bits.
#
# ## The Transformer under a mixed policy
#
# Chapter 5's `Transformer` takes a `dtype=` like any Keras layer. Keras does
# not pass a model's policy on to the sublayers it creates; the course's layers
# do it themselves, creating each sublayer with `dtype=self.dtype_policy`, so
# that the whole model, from the embedding to the logits, computes in the
# policy's dtype. `precision.build_transformer_under_policy` builds it so and
# compiles it as chapter 5 does.
#
# On a GPU the course uses `"mixed_float16"` (the T4 of Colab's free tier has
# float16 matrix units and no bfloat16 ones); on a CPU, `"mixed_bfloat16"`,
# which TensorFlow's CPU kernels support better and which needs no loss
# scaling. `precision.half_precision_policy()` picks one.
#
# The batch is the first one of the Tatoeba zh→en training pairs at this scale
# (without the corpus, toy-grammar pairs stand in), padded to a fixed length,
# and the model is chapter 5's preset for this scale.

# %%
data = translation_data.tatoeba_data(scale)
batch = step_costs.training_batch(data, scale.batch_size)
config = PRESETS[scale.name]
half_policy = precision.half_precision_policy()
print(
    f"{data.corpus}: batch of {batch.source_ids.shape[0]} sentences, source "
    f"{batch.source_ids.shape[1]} and target {batch.target_ids.shape[1]} tokens"
)
print(config)
print("16-bit policy on this machine:", half_policy)

set_seed(0)
model = precision.build_transformer_under_policy(
    batch.source_vocabulary_size, batch.target_vocabulary_size, config
)
half = precision.copy_under_policy(model, half_policy)
compute_dtypes = {layer.compute_dtype for layer in half._flatten_layers()}
print(f"{model.count_params():,} parameters")
print("compute dtypes of every sublayer:", compute_dtypes)
print("weight dtypes:", {weight.dtype for weight in half.weights})

# %% [markdown]
# Both models hold the same float32 weights. Their logits differ only by the
# 16-bit roundings along the way. The loss is computed in float32 whatever the
# policy: Keras converts the logits to the loss's dtype, and chapter 5's
# `LabelSmoothedLoss` casts them to float32 before its log-softmax, because a
# mean over thousands of tokens and a log of small probabilities need more than
# 3 significant digits.

# %%
inputs = (batch.source_ids, batch.decoder_input_ids)
losses = {}
for name, candidate in (("float32", model), (half_policy, half)):
    logits = candidate(inputs, training=False)
    loss = candidate.compute_loss(x=inputs, y=batch.target_ids, y_pred=logits)
    losses[name] = float(loss)
    print(
        f"{name:<15} logits {keras.backend.standardize_dtype(logits.dtype):<9} "
        f"loss {keras.backend.standardize_dtype(loss.dtype)} = {float(loss):.5f}"
    )
print(f"difference: {abs(losses[half_policy] - losses['float32']):.2g}")

# %% [markdown]
# With the same float32 weights, every sublayer of the `mixed_bfloat16` copy
# computed in bfloat16 and its logits came out in bfloat16; the loss stayed a
# float32 number: 8.25344 against float32's 8.25329 on this batch of 64
# sentences, a difference of 0.00015. The loss means the same thing; it reads
# logits rounded to bfloat16's 3 significant digits.
#
# Under `"mixed_float16"`, `compile` wraps Adam in a loss-scale optimizer, even
# on this CPU (we only build the model here; float16 is for the GPU):

# %%
float16_model = precision.copy_under_policy(model, "mixed_float16")
optimizer = float16_model.optimizer
print(type(optimizer).__name__, "around", type(optimizer.inner_optimizer).__name__)
print("initial loss scale:", optimizer.initial_scale)
print("mixed_bfloat16's optimizer:", type(half.optimizer).__name__)

# %% [markdown]
# ## A mask that 16 bits cannot break
#
# The attention softmax inside every block runs in the compute dtype. A common
# way to mask a score is to add `-1e9` to it, or to fill it with `-1e9`: a
# number so low that its exponential is 0. In float16, `-1e9` is beyond the
# largest magnitude, 65,504, so it becomes `-inf`. A row where every key is
# masked (a query of a sentence made only of padding, which a batch padded to a
# fixed size may hold) then computes `exp(-inf - (-inf))`, which is NaN; and a
# mask added as `(1 - mask) * -1e9` computes `0 * -inf`, NaN as well, at every
# allowed key. One NaN in a forward pass makes the loss and every gradient NaN.
#
# Chapter 3's `masked_softmax` fills masked scores with the dtype's lowest
# finite number, `finfo(dtype).min`, and sets the weights of masked keys to
# exactly 0 after the softmax.

# %%
scores = np.array([[2.0, 1.0, 0.5, 3.0], [1.0, 2.0, 3.0, 4.0]], "float16")
mask = np.array([[True, True, False, False], [False, False, False, False]])
# NumPy would warn that -1e9 overflows float16: that overflow is the point here.
with np.errstate(over="ignore"):
    minus_1e9 = np.float16(-1e9)
print("-1e9 in float16:", minus_1e9)
filled = np.where(mask, scores, minus_1e9)
print("filled with -1e9:\n", ops.convert_to_numpy(ops.softmax(filled, axis=-1)))
safe = chapter3_attention.masked_softmax(ops.convert_to_tensor(scores), mask)
print("course's masked_softmax:\n", ops.convert_to_numpy(safe))

# %% [markdown]
# ## XLA: the training step as one compiled program
#
# Without XLA, TensorFlow runs a training step as a graph of separate
# operations, each reading its inputs from memory and writing its output back:
# a bias add, an activation, a dropout, a residual sum, the pieces of a layer
# norm and of a softmax, each cast of a mixed policy, each line of Adam's update.
# XLA (Accelerated Linear Algebra) compiles the whole step, forward, backward
# and update, into one program, and *fuses* chains of element-wise operations
# into single kernels that read and write memory once. On a GPU, where each
# kernel costs a launch and element-wise work waits on memory, that often saves
# a good part of a step; on a CPU, most of the time goes to matrix products that
# TensorFlow already hands to a tuned library (oneDNN), so there is less to win.
#
# `model.compile(jit_compile=True)` turns it on; the default, `"auto"`, turns it
# on only where TensorFlow sees an accelerator. XLA compiles once per input
# shape, so batches padded to varying lengths would compile again and again;
# the measurement below uses one fixed padded batch.

# %%
xla_model = precision.build_transformer_under_policy(
    batch.source_vocabulary_size, batch.target_vocabulary_size, config, jit_compile=True
)
print("chapter 5's compile ('auto') on this machine: jit_compile =", model.jit_compile)
print("asked for XLA: jit_compile =", xla_model.jit_compile)

# %% [markdown]
# ## What each combination costs, measured
#
# `step_costs.compare_precision_and_xla` trains the model on the batch above
# under float32 and the 16-bit policy, each without and with XLA. Each of the
# four runs in a fresh Python process: the same seed and initial weights, a
# first untimed step (which traces the step and, with XLA, compiles it), then
# the median time of the next steps. Memory is the GPU allocator's peak on a
# GPU; on a CPU, where TensorFlow keeps no memory statistics, it is the
# process' peak resident memory, above what it held before the model was built,
# which counts the XLA compiler's own memory as well. Every ratio is to float32
# without XLA. `python -m chapters.ch06_beyond_the_notebook.step_costs` makes
# the same table from the command line.

# %%
steps = {"ci": 2, "cpu": 10}.get(scale.name, 10)
# Twice (once at `ci`): on a shared 2-core machine one run's ratios are noisy,
# and two show how much they move.
runs = [
    step_costs.compare_precision_and_xla(
        batch, config, steps=steps, warmup_steps=1, half_policy=half_policy
    )
    for _ in range(1 if scale.name == "ci" else 2)
]
for number, rows in enumerate(runs, start=1):
    print(f"run {number}: {data.corpus}, one batch; median of {steps} steps")
    print(step_costs.format_table(rows))

labels = [
    f"{row['policy']}\n{'XLA' if row['jit_compile'] else 'no XLA'}" for row in rows
]
positions = np.arange(len(rows))
plt.figure(figsize=(7, 4))
for number, rows in enumerate(runs):
    time_ratios = [row["step_time_ratio"] for row in rows]
    # No memory bar where the baseline added nothing measurable (no ratio then).
    memory_ratios = [row["memory_ratio"] or np.nan for row in rows]
    offset = 0.2 * number
    plt.bar(positions - 0.4 + offset, time_ratios, 0.2, color="C0",
            label="step time" if number == 0 else None)  # fmt: skip
    plt.bar(positions + offset, memory_ratios, 0.2, color="C1",
            label="added memory" if number == 0 else None)  # fmt: skip
plt.axhline(1.0, color="gray", linewidth=0.8)
plt.xticks(positions - 0.1, labels)
plt.ylabel("ratio to float32 without XLA")
plt.title(f"Transformer training step, {len(runs)} run(s), scale {scale.name}")
plt.legend()
plt.show()

# %% [markdown]
# Two runs of the four configurations, each in its own process (the `cpu`
# preset, 8.1 million parameters, one Tatoeba batch of 64 sentences padded to 20
# tokens, median of 10 steps). On this CPU, which has bfloat16 instructions
# (AVX512-BF16), `mixed_bfloat16` took 0.74 and 0.77 times float32's step time
# and added 0.54 and 0.59 times its memory. XLA alone took 0.87 and 0.89 times
# the time and 1.28 and 1.25 times the memory, which counts the compiler's own.
# Both together were slower than neither: 1.13 and 1.26 times the time, 1.37 and
# 1.36 times the memory. The first step, tracing and compiling, took 7 s without
# XLA and 10 to 12 s with it. The two runs differ by up to 0.13 in a ratio:
# read them as rough, from one machine. On a GPU (`mixed_float16` on tensor
# cores) they are not measured yet.
#
# ## Summary
#
# - A dtype policy has a compute dtype and a variable dtype; the mixed policies
#   compute in 16 bits and keep weights, optimizer state and the loss in
#   float32.
# - float16 has about 3 significant digits and a narrow range: small gradients
#   round to 0, so it needs loss scaling, which `compile` adds for
#   `"mixed_float16"`. bfloat16 has float32's range and fewer digits: no scaling,
#   but an update below about 1/256 of a weight is lost, hence float32
#   weights.
# - Keras does not pass a model's policy to its sublayers; the course's layers
#   pass `dtype=self.dtype_policy` on.
# - A mask written with `-1e9` becomes `-inf` in float16 and NaN on a fully
#   masked row; fill with `finfo(dtype).min` and zero the masked weights.
# - XLA compiles the whole step and fuses element-wise work; it compiles once
#   per shape.
# - On this 2-core CPU, `mixed_bfloat16` cut the step time to 0.74-0.77 of
#   float32's and the added memory to 0.54-0.59; XLA alone to 0.87-0.89 of the
#   time at 1.25-1.28 times the memory; both together were slower (1.13-1.26).
#
# ## Exercises
#
# ### A softmax over masked scores that float16 cannot break
#
# Write `masked_softmax(scores, mask)` in NumPy: `scores` is a float16 array `(R, S)`,
# `mask` a bool array of the same shape, True where a position may be attended
# to. Return float16 weights of the same shape, over the last axis, such that:
#
# - the weights of masked positions are exactly 0, and each row with an allowed
#   position sums to 1 over its allowed positions;
# - no weight is inf or NaN, even for scores above 11, whose exponential is
#   beyond float16's largest number;
# - a row whose positions are all masked gets all-zero weights.
#
# The worked solution is in `solutions/ch06_solutions.py`.


# %%
def masked_softmax(scores, mask):
    raise NotImplementedError  # your code here


exercises.check_masked_softmax(masked_softmax)

# %%
seconds = time.perf_counter() - lesson_started


def ratios(policy, jit_compile):
    """The step-time ratio of one configuration in each run, as text."""
    return " and ".join(
        f"{row['step_time_ratio']:.2f}×"
        for rows in runs
        for row in rows
        if row["policy"] == policy and row["jit_compile"] == jit_compile
    )


print(
    f"Key figure: step time against float32 ({len(runs)} run(s)): {half_policy} "
    f"{ratios(half_policy, False)}, float32 with XLA {ratios('float32', True)}, "
    f"both {ratios(half_policy, True)} (scale {scale.name}, lesson ran in "
    f"{seconds:.0f} s)"
)
