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
# # Lesson 6c: data parallelism on two devices
#
# **Description:** one device computes a training step on the whole batch. With
# several devices, the simplest way to share the work is *data parallelism*:
# every device holds a copy of the same weights, each computes the gradient on
# its own slice of the batch, the devices add their gradients up, and every copy
# takes the same step. This lesson draws that step, runs it on two logical
# devices carved out of this machine's CPU with `tf.distribute.MirroredStrategy`,
# checks that two replicas take the step one device takes, to float32 rounding,
# when the loss is divided the right way (and not otherwise), and says what
# changes on a machine with several GPUs, on several machines, on a TPU, and
# with Keras 3's own distribution API.
#
# **You will learn**
# - what a replica computes, what the all-reduce adds up, and why the copies of
#   the weights stay identical;
# - why each replica must divide its loss sum by the token count of the *whole*
#   batch, and what the mean of the replicas' own means gets wrong;
# - what `model.fit` does under `strategy.scope()` with the course's losses;
# - how a bucketed `tf.data` batch is cut between replicas, a smaller last one
#   included;
# - what changes with several GPUs (`MirroredStrategy`, NCCL), several machines
#   (`MultiWorkerMirroredStrategy`), a TPU (`TPUStrategy`) and
#   `keras.distribution.DataParallel`.
#
# **Time:** about 1½ minutes on CPU (`cpu` scale; 82 s measured); on a Colab GPU not
# measured yet.

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
# ## Two devices on one CPU, first
#
# Data parallelism needs several devices. We make two out of this machine's CPU:
# TensorFlow can present one physical CPU as several *logical* devices,
# `/device:CPU:0` and `/device:CPU:1`, and `MirroredStrategy` treats each as a
# replica. It must be done **before anything runs in TensorFlow**: the first
# tensor, layer or dataset makes TensorFlow set its devices up, and from then on
# their list is fixed. (Importing TensorFlow is fine; running anything is not.)
# So this cell comes before every other one. Run it late and
# `use_logical_cpu_devices` says so: restart the kernel (on Colab, *Runtime →
# Restart session*) and run the notebook from the top.
#
# The two logical devices share the same two cores and the same memory: they
# cannot be faster than one device, since the arithmetic is the same and the
# sum across replicas comes on top. What they give is the real mechanics (the
# split batches, the mirrored weights, the all-reduce), on any machine.
#
# **On Colab with a GPU**, `tf.distribute.MirroredStrategy()` with no arguments
# would take every GPU TensorFlow sees, one replica per GPU. A Colab runtime has
# one GPU, so that is one replica: the same step as no strategy at all. This
# lesson stays on the two logical CPU devices everywhere, so that it runs, and
# compares, the same on every machine.

# %%
import dataclasses
import time
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch05_transformer.experiments import build_transformer
from chapters.ch05_transformer.model import PRESETS
from chapters.ch05_transformer.training import LabelSmoothedLoss
from chapters.ch06_beyond_the_notebook import distributed, drawings, exercises
from chapters.common.pipeline import make_dataset
from chapters.common.scales import current_scale, set_seed
from chapters.common.translation_data import tatoeba_data

# The imports ran nothing in TensorFlow yet: the split must come before anything.
DEVICES = distributed.use_logical_cpu_devices(2)
print(DEVICES)

# %% [markdown]
# ## Setup

# %%
lesson_started = time.perf_counter()
scale = current_scale()
set_seed(0)
# MirroredStrategy logs every all-reduce it builds, and the training step's first
# batch shapes make TensorFlow warn about retracing, which is expected: after a
# few shapes, the step's `tf.function` generalizes them.
tf.get_logger().setLevel("ERROR")
one_device = tf.distribute.MirroredStrategy(DEVICES[:1])
two_replicas = tf.distribute.MirroredStrategy(DEVICES)
print(
    f"scale {scale.name}; replicas: {one_device.num_replicas_in_sync} and "
    f"{two_replicas.num_replicas_in_sync}"
)

# %% [markdown]
# Both are `MirroredStrategy`s: `one_device` on `/device:CPU:0` alone (the
# single-device reference, through the same code path), `two_replicas` on
# both logical devices.
#
# ## Data
#
# Tatoeba zh→en at the scale's size, word-level on both sides (chapter 5's
# subwords would change nothing here). Without the corpus, toy-grammar pairs
# stand in.

# %%
data = tatoeba_data(scale)
print(data.describe("train"))
print(
    f"{len(data.splits['train']):,} training pairs; vocabularies "
    f"{data.source_tokenizer.vocabulary_size:,} (zh) and "
    f"{data.target_tokenizer.vocabulary_size:,} (en)"
)

# %% [markdown]
# ## What data parallelism does
#
# One training step on `R` replicas:
#
# 1. The global batch of `B` sentences is cut into `R` consecutive slices of
#    `B / R` sentences, one per replica.
# 2. Every replica holds a copy of the same weights `W` (a *mirrored* variable:
#    one value per device, kept equal). On its slice alone it runs the forward
#    and the backward pass, and gets the gradient `g_r` of its part of the loss.
# 3. The *all-reduce* sums the `g_r` and hands the sum `g` back to every replica.
# 4. Every replica applies the same update `W ← W − η g` to its copy (or Adam's
#    update from the same `g`), so the copies stay identical.
#
# Only step 3 needs the devices to talk; everything else runs on each device
# alone, at once.

# %%
figure = drawings.draw_data_parallel_step(
    2, scale.batch_size, DEVICES, title="one training step on two replicas"
)
plt.show()

# %% [markdown]
# ## The loss, done right
#
# Our loss is the mean over the real (not padding) target tokens. With `N` real
# tokens in the global batch, `n_r` of them on replica `r`, and `S_r` the sum of
# replica `r`'s token losses, the single-device loss is
#
# $$L = \frac{S_1 + \dots + S_R}{N}, \qquad \nabla L = \sum_r \nabla \frac{S_r}{N}.$$
#
# So the sum of the replicas' gradients (what the all-reduce computes) is the
# single-device gradient exactly when replica `r`'s loss is `S_r / N`: its
# token-loss *sum* divided by the *global* token count. The tempting
# alternative, each replica's own mean `S_r / n_r`, divided by `R` so that the
# replicas' losses average, gives the mean of the replicas' means. That is a
# different number as soon as the replicas hold different numbers of real
# tokens, which sentences of different lengths always make happen: a token on a
# replica with few tokens weighs more than one on a replica with many.
#
# By hand, with four sentences and two replicas: the first replica gets two short
# sentences (1 and 2 real tokens), the second two long ones (5 and 4). Padded
# positions hold a loss of 9, which the mask must keep out.

# %%
token_losses = np.array(
    [
        [4.0, 9.0, 9.0, 9.0, 9.0],  # replica 1: 1 real token
        [1.0, 1.0, 9.0, 9.0, 9.0],  # replica 1: 2 real tokens
        [1.0, 1.0, 1.0, 1.0, 1.0],  # replica 2: 5 real tokens
        [1.0, 1.0, 1.0, 1.0, 9.0],  # replica 2: 4 real tokens
    ]
)  # (B, T) = (4, 5)
real_tokens = np.array([1, 2, 5, 4])
mask = np.arange(token_losses.shape[1]) < real_tokens[:, None]  # (B, T)
real_losses = np.where(mask, token_losses, 0.0)

global_mean = real_losses.sum() / mask.sum()
slices = {"replica 1": slice(0, 2), "replica 2": slice(2, 4)}
sums = {name: real_losses[rows].sum() for name, rows in slices.items()}
counts = {name: mask[rows].sum() for name, rows in slices.items()}
for name in slices:
    print(
        f"{name}: S = {sums[name]:.0f} over n = {counts[name]} real tokens, "
        f"its own mean {sums[name] / counts[name]:.2f}"
    )
print(f"single device, mean over all N = {mask.sum()} tokens: {global_mean:.4f}")
mean_of_means = np.mean([sums[name] / counts[name] for name in slices])
print(f"mean of the replicas' means:                 {mean_of_means:.4f}")
right = {name: sums[name] / mask.sum() for name in slices}
print(
    "each replica's S / N:",
    ", ".join(f"{name} {loss:.4f}" for name, loss in right.items()),
    f"; summed: {sum(right.values()):.4f}",
)

# %% [markdown]
# The first replica's three tokens cost 2 on average, the second's nine cost 1.
# Over all twelve tokens the mean is 15 / 12 = 1.25; the mean of the two means is
# (2 + 1) / 2 = 1.5, as if the three tokens of the short sentences counted as
# much as the nine of the long ones. Dividing each sum by the global count,
# 6 / 12 + 9 / 12, gives 1.25 back.
#
# Each replica must know `N`, which no single replica sees: the step counts its
# slice's real tokens and sums the counts across replicas with an all-reduce
# too. That is what `distributed.make_distributed_train_step` does
# (`loss_scaling="global_tokens"`; `"replica_means"` is the wrong way, kept to
# compare). `tf.nn.compute_average_loss` is the same idea for a loss per
# *sentence*: it divides by the global batch size.
#
# ## One step on two replicas against one step on one device
#
# Now with a real model: chapter 5's Transformer at its tiny `ci` sizes,
# without dropout (each replica would draw its own dropout masks), all copies
# starting from the same weights. The global batch holds the 4 training pairs
# with the shortest English targets and the 4 with the longest, so the first
# replica's slice has far fewer real tokens than the second's. The optimizer is
# plain SGD with a rate of 1: its update is then minus the gradient itself, so
# weight differences are gradient differences. (Adam's first steps are about
# `η · sign(g)` and would hide a gradient's scale.)

# %%
STEP_CONFIG = dataclasses.replace(PRESETS["ci"], dropout=0.0)
HALF = 4
by_length = sorted(
    data.splits["train"], key=lambda pair: len(data.target_tokenizer.tokenize(pair[1]))
)
chosen_pairs = by_length[:HALF] + by_length[-HALF:]
global_batch = make_dataset(
    chosen_pairs, data.source_tokenizer, data.target_tokenizer, 2 * HALF
)
(_, _), batch_targets = next(iter(global_batch))
tokens_per_sentence = np.sum(batch_targets.numpy() != 0, axis=1)
print(
    f"global batch {batch_targets.shape}; real target tokens: first replica "
    f"{tokens_per_sentence[:HALF].sum()}, second {tokens_per_sentence[HALF:].sum()}"
)
for source, target in chosen_pairs[:: 2 * HALF - 1]:
    print(f"  {source} -> {target}")


def build_for_one_step(strategy, weights=None):
    """The tiny Transformer in `strategy`'s scope, with SGD of rate 1 and label
    smoothing, starting from `weights` when given."""
    with strategy.scope():
        model = build_transformer(data, STEP_CONFIG)
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss=LabelSmoothedLoss(0.1))
        if weights is not None:
            model.set_weights(weights)
    return model


def weights_after_one_step(strategy, loss_scaling="global_tokens", fit=False):
    """The weights after one step from `initial_weights` on `global_batch`:
    our distributed step, or Keras' `fit`."""
    model = build_for_one_step(strategy, initial_weights)
    if fit:
        with warnings.catch_warnings():
            # tf.data cannot count the batches ahead, and `fit` says so.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            model.fit(global_batch, epochs=1, verbose=0)
    else:
        train_step = distributed.make_distributed_train_step(
            strategy, model, loss_scaling
        )
        for batch in strategy.experimental_distribute_dataset(global_batch):
            train_step(batch)
    return model.get_weights()


def largest_difference(weights, other):
    return max(
        float(np.max(np.abs(a - b))) for a, b in zip(weights, other, strict=True)
    )


set_seed(0)
initial_weights = build_for_one_step(one_device).get_weights()
reference = weights_after_one_step(one_device)
largest_update = largest_difference(reference, initial_weights)
print(f"one device: the largest weight change of the step {largest_update:.4f}")
two_replica_steps = {
    "S_r / N": weights_after_one_step(two_replicas),
    "mean of means": weights_after_one_step(two_replicas, "replica_means"),
}
differences = {
    name: largest_difference(weights, reference)
    for name, weights in two_replica_steps.items()
}
for name, difference in differences.items():
    print(f"two replicas, {name}: largest difference to one device {difference:.2e}")

# %% [markdown]
# The global batch's first replica held 12 real target tokens, the second 78.
# The step on two replicas with `S_r / N` ended 3.0e-08 away from the
# single-device step, float32 rounding on a step whose largest change was 0.17.
# With the mean of the replicas' means it ended 0.17 away: as far as the whole
# step moved a weight.
#
# ## What `model.fit` does under `strategy.scope()`
#
# The plain Keras way is to build and compile the model inside
# `strategy.scope()` and call `fit`, which cuts every batch between the replicas
# itself. Reading Keras 3's sources (`keras/src/backend/tensorflow/trainer.py`,
# `keras/src/losses/loss.py`, `keras/src/backend/tensorflow/optimizer.py`):
#
# - each replica runs `train_step` on its slice and computes the compiled loss
#   there: its own token mean;
# - a Keras loss whose `call` returns per-token values is averaged and then
#   divided by the number of replicas (`scale_loss_for_distribution`), but a
#   loss whose `call` already returns a scalar, as the course's `masked_loss`
#   and `LabelSmoothedLoss` do, is returned as it is;
# - `apply_gradients` sums the replicas' gradients (an all-reduce with `SUM`)
#   before updating the mirrored weights; gradient clipping (`clipnorm`) happens
#   before that sum, on each replica's part;
# - `jit_compile="auto"` turns XLA off under `tf.distribute`.
#
# So with our scalar losses, `fit` on `R` replicas steps along `R` times the
# gradient of the mean of the replicas' means, and logs `R` times that mean as
# its loss. With a per-token Keras loss (e.g.
# `SparseCategoricalCrossentropy(ignore_class=0)`) the step follows the mean of
# the means. Neither is the global token mean unless every slice holds as many
# real tokens. Adam barely notices the factor `R` (its steps do not depend on
# the gradient's scale) but does see the reweighting of the tokens; plain SGD
# sees both. Measured, on the same batch and weights:

# %%
fit_one_device = weights_after_one_step(one_device, fit=True)
fit_two_replicas = weights_after_one_step(two_replicas, fit=True)
print(
    "fit on one replica against our step on one device: largest difference "
    f"{largest_difference(fit_one_device, reference):.2e}"
)
print(
    "fit on two replicas against one device: largest difference "
    f"{largest_difference(fit_two_replicas, reference):.2e}"
)


def update(weights):
    """The step's change of every weight, in one flat array."""
    return np.concatenate(
        [(a - b).ravel() for a, b in zip(weights, initial_weights, strict=True)]
    )


fit_update = update(fit_two_replicas)
means_update = update(two_replica_steps["mean of means"])
moved = np.abs(means_update) > 1e-4  # weights the step really moved
ratios = fit_update[moved] / means_update[moved]
print(
    f"fit's update on two replicas / the mean-of-means update, over {moved.sum():,} "
    f"weights: median {np.median(ratios):.4f}, from {ratios.min():.4f} to "
    f"{ratios.max():.4f}"
)

# %% [markdown]
# `fit` on one replica made our single-device step exactly (difference 0).
# On two replicas it ended 0.49 away from the single-device step, and its update
# was 2.0000 times the mean-of-means update (from 1.9989 to 2.0009 over the
# 102,710 weights the step moved by more than 1e-4): the factor `R` of the
# summed gradients, and the mean of the means.
#
# With Adam, and with bucketing giving the slices of a batch similar lengths,
# `fit` under a strategy mostly trains well; `train_on_strategy` below is exact.
# `distributed.fit_on_strategy` is the plain Keras way, ready to compare.
#
# ## Bucketed batches, cut between replicas
#
# The course's pipeline batches sentences of similar source length together and
# pads each batch only to its own longest sentence (chapter 2). A bucket's last
# batch is smaller than the others. `distributed.distributed_batches` gives the
# same batches, each cut by `strategy.experimental_distribute_dataset`: half
# the sentences to each replica, all padded to the batch's length; a batch that
# does not divide evenly gives the first replica one more sentence. Here on the
# first 300 training pairs, in order, with the scale's batch size; then six
# pairs in batches of 5, whose second batch holds a single sentence:

# %%
few_pairs = dataclasses.replace(
    data, splits={**data.splits, "train": data.splits["train"][:300]}
)
print("batch  padded (S, T)  sentences per replica  real target tokens per replica")
for index, ((source_ids, _), targets) in enumerate(
    distributed.distributed_batches(
        two_replicas, few_pairs, scale.batch_size, shuffle=False
    )
):
    sizes = distributed.replica_batch_sizes(two_replicas, targets)
    parts = two_replicas.experimental_local_results(targets)
    tokens = [int(np.sum(part.numpy() != 0)) for part in parts]
    length = two_replicas.experimental_local_results(source_ids)[0].shape[1]
    shape = f"({length}, {parts[0].shape[1]})"
    print(f"{index:5}  {shape:>13}  {str(sizes):>21}  {str(tokens):>30}")

six_pairs = dataclasses.replace(
    data, splits={**data.splits, "train": data.splits["train"][:6]}
)
for (_, _), targets in distributed.distributed_batches(
    two_replicas, six_pairs, 5, shuffle=False, bucket_boundaries=None
):
    sizes = distributed.replica_batch_sizes(two_replicas, targets)
    print(f"a batch of {sum(sizes)}: sentences per replica {sizes}")

# %% [markdown]
# Full batches of 64 went 32 and 32 to the replicas; a bucket's last batches
# were cut 4 and 3, 12 and 11, 30 and 29, 2 and 1 (the first replica takes the
# odd sentence). Batch 7, 2 and 1 sentences, gave its replicas 24 and 14 real
# target tokens. Of six pairs in batches of 5, the second batch held one
# sentence: 1 and 0.
#
# A replica whose slice holds fewer tokens adds a smaller sum: with `S_r / N`
# that is exactly its share. A batch smaller than the number of replicas would
# leave a replica an empty slice; its sum is zero, and it divides by
# `max(N, 1)`, so nothing breaks.
#
# ## A short training run on the strategy
#
# `distributed.train_on_strategy` builds chapter 5's Transformer at the scale's
# preset inside `strategy.scope()` (Adam, warm-up schedule, label smoothing, as
# in chapter 5), makes the distributed step, and trains on the bucketed batches
# of the scale's batch size, timing every step. We run it twice from the same
# seed, on one replica and on two, the same steps on the same batches. The first
# steps include tracing the step (once per new batch shape, until `tf.function`
# generalizes the shapes); the median leaves them out.

# %%
TRAINING_STEPS = {"ci": 3, "cpu": 16, "gpu": 8}[scale.name]
config = PRESETS[scale.name]
runs = {}
for name, strategy in (("1 replica", one_device), ("2 replicas", two_replicas)):
    set_seed(0)
    runs[name] = distributed.train_on_strategy(
        strategy, data, config, scale.batch_size, steps=TRAINING_STEPS
    )
print(
    f"{config}: {runs['1 replica'].model.count_params():,} parameters; "
    f"global batch {scale.batch_size}, {TRAINING_STEPS} steps"
)
median_step = {name: float(np.median(run.step_seconds)) for name, run in runs.items()}
for name, run in runs.items():
    print(
        f"{name}: first step {run.step_seconds[0]:.2f} s, median step "
        f"{1000 * median_step[name]:.0f} ms "
        f"({scale.batch_size / median_step[name]:.0f} sentences/s); "
        f"loss {run.losses[0]:.3f} -> {run.losses[-1]:.3f}"
    )
one, two = runs["1 replica"].losses, runs["2 replicas"].losses
loss_gap = float(np.max(np.abs(np.subtract(one, two))))
print(f"largest loss difference between the two runs, step by step: {loss_gap:.4f}")

plt.figure(figsize=(6, 3.5))
for name, run in runs.items():
    steps = range(1, len(run.step_seconds) + 1)
    plt.plot(steps, [1000 * s for s in run.step_seconds], "o-", label=name)
plt.yscale("log")
plt.xlabel("training step")
plt.ylabel("step time (ms)")
plt.title(f"batch {scale.batch_size}, scale {scale.name}, logical CPU devices")
plt.legend()
plt.show()

# %% [markdown]
# On these two logical devices, with the `cpu` preset (8.1 million
# parameters) and batches of 64, the median step took 255 ms on two replicas
# and 260 ms on one: the same, within noise, since both share two cores. The
# first step took 9.1 s on two replicas and 3.7 s on one (tracing the
# distributed step). The losses of the two runs stayed within 0.013 of each
# other over 16 steps, from 8.27 to 7.81.
#
# The two runs start from the same weights and see the same batches, but each
# replica draws its own dropout masks, so their losses need not agree to the
# last digit. Two logical devices on the same cores give no speed; on real
# devices, each replica has its own arithmetic units, and the global batch can
# grow with the number of replicas at about the same step time.
#
# ## What changes on real hardware
#
# The code above does not change; only the strategy does.
#
# **Several GPUs in one machine.** `tf.distribute.MirroredStrategy()` with no
# arguments takes every GPU TensorFlow sees, one replica each. The all-reduce
# runs on the GPUs with NVIDIA's NCCL library (`NcclAllReduce`, the default
# there), over NVLink or PCIe. One usually keeps the batch per replica and lets
# the global batch grow with the replicas (`64 × R`), adjusting the learning
# rate or the warm-up if needed, since each step now sees `R` times the
# sentences.
#
# ```python
# strategy = tf.distribute.MirroredStrategy()  # every visible GPU
# global_batch_size = 128 * strategy.num_replicas_in_sync
# run = distributed.train_on_strategy(strategy, data, PRESETS["gpu"], global_batch_size)
# ```
#
# **Several machines.** `tf.distribute.MultiWorkerMirroredStrategy()` runs the
# same program on every machine (a *worker*). Each one learns who it is and who
# the others are from the `TF_CONFIG` environment variable (the cluster's
# addresses and its own index); the all-reduce becomes a collective across the
# network (NCCL between GPUs, or a ring of messages). The dataset is split
# between the workers (by file or by element, `tf.data`'s auto-sharding), and
# one worker, the chief, writes the checkpoints.
#
# ```python
# # On every worker, with its own TF_CONFIG, e.g. on the first of two:
# # {"cluster": {"worker": ["host1:12345", "host2:12345"]},
# #  "task": {"type": "worker", "index": 0}}
# strategy = tf.distribute.MultiWorkerMirroredStrategy()
# ```
#
# **A TPU.** `tf.distribute.TPUStrategy` makes each TPU core a replica (8 on a
# v2-8 or v3-8). Everything the replicas run is compiled with XLA, and XLA on a
# TPU wants static shapes: every batch padded to the same lengths
# (`TranslationData.dataset(..., fixed=True)`, or each bucket padded to its upper
# boundary) and of the same size (`drop_remainder=True`). Our batches padded to
# their own length would compile a new program for every shape.
#
# ```python
# resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
# tf.config.experimental_connect_to_cluster(resolver)
# tf.tpu.experimental.initialize_tpu_system(resolver)
# strategy = tf.distribute.TPUStrategy(resolver)
# ```
#
# **Keras 3's own distribution API.** `keras.distribution` runs on the JAX
# backend only. There one writes the single-device program and the compiler
# splits it: the batch is one array sharded across the devices, the weights are
# replicated, and the loss is the global token mean with no scaling to get wrong.
# `distributed.keras_data_parallel()` sets it up; the course's tests check, on
# two JAX CPU devices, that one `fit` step there is the single-device step. It
# refuses a batch the number of devices does not divide (a bucket's last one).
# Keras chooses its backend once, when it is first imported, so this runs in a
# fresh Python process, not in this notebook:
#
# ```python
# import os
# os.environ["KERAS_BACKEND"] = "jax"  # before importing Keras
# # Two JAX devices on the CPU, set before JAX starts:
# os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
# from chapters.ch06_beyond_the_notebook import distributed
# distribution = distributed.keras_data_parallel()  # every device JAX sees
# model = build_transformer(data, PRESETS["ci"])  # built after: weights replicated
# model.fit(data.dataset("train", 64, shuffle=True), epochs=1)
# ```
#
# ## Summary
#
# - Data parallelism keeps a copy of the weights on every replica, gives each
#   replica a slice of the global batch, sums their gradients with an
#   all-reduce, and applies the same update to every copy.
# - With a loss averaged over real tokens, each replica must return its
#   token-loss sum divided by the real tokens of the whole global batch; the
#   mean of the replicas' means weighs tokens differently.
#   On the `cpu` run, one such step on two replicas matched one device to
#   3.0e-08; the mean of the means missed by 0.17.
# - `model.fit` under a strategy, with the course's scalar losses, steps along
#   `R` times the gradient of the mean of the replicas' means.
#   Measured: its update was 2.0000 times the mean-of-means one.
# - Two logical devices on the same CPU cores teach the mechanics but give no
#   speed. (255 ms a step on two, 260 ms on one).
# - On several GPUs only the strategy changes (NCCL all-reduce); on several
#   machines `MultiWorkerMirroredStrategy` and `TF_CONFIG`; on a TPU,
#   `TPUStrategy` with static shapes; on JAX, `keras.distribution.DataParallel`.
#
# ## Exercises
#
# **Exercise 6c: the loss each replica contributes.** Write
# `replica_losses(token_losses, mask, num_replicas)`: `token_losses` and `mask`
# are NumPy arrays `(B, T)` of the global batch (the mask is True at real
# tokens), `num_replicas` divides `B`, and replica `r` gets the `r`-th
# consecutive slice of `B / num_replicas` sentences. Return a `(num_replicas,)`
# array of the losses the replicas contribute, which must add up to the
# single-device loss. The worked solution is in `solutions/ch06_solutions.py`.


# %%
def replica_losses(token_losses, mask, num_replicas):
    raise NotImplementedError  # your code here


exercises.check_replica_losses(replica_losses)

# %%
seconds = time.perf_counter() - lesson_started
print(
    "Key figure: one SGD step on 2 replicas differs from one device by "
    f"{differences['S_r / N']:.1e} with S_r / N and "
    f"{differences['mean of means']:.1e} with the mean of the replicas' means; "
    f"median training step {1000 * median_step['2 replicas']:.0f} "
    f"ms on 2 replicas, {1000 * median_step['1 replica']:.0f} ms on 1 (scale "
    f"{scale.name}, lesson ran in {seconds:.0f} s)"
)
