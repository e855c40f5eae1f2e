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
# # Lesson 4d: additive against dot-product attention, in one table
#
# **Description:** chapter 3's additive score and Luong's `dot` and `general`
# scores (the latter also scaled by `1/√H`), each inside its own decoder,
# trained on the same toy-grammar data as lesson 3d, with the same seed, sizes,
# batches and epochs. For each model, one
# table gives its greedy BLEU, how well it holds up on long sentences, how often
# its attention picks the gold-aligned source word, and its training time; then
# the BLEU curves by sentence length, and the cost of one attention call.
#
# **You will learn**
# - how the two families compare when nothing else differs, and what each costs;
# - that "which attention is better" is a measured question, with an answer that
#   depends on the budget.
#
# **Time:** measured at the end of the lesson (`cpu` scale: four models, 8
# epochs on 4,000 toy pairs each).

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
import numpy as np

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch03_attention.attention import AdditiveAttention
from chapters.ch04_dot_product_attention import experiments
from chapters.ch04_dot_product_attention.attention import LuongAttention
from chapters.common import alignment_quality, plots
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
# Lesson 3d's data: half of lesson 2d's training pairs, to fit a few minutes.
train_pairs = max(scale.length_curve_train_pairs // 2, 100)
print(
    f"scale {scale.name}: {train_pairs} training pairs, "
    f"{scale.length_curve_epochs} epochs, hidden_units={scale.hidden_units}"
)

# %% [markdown]
# ## Three models, trained alike
#
# `experiments.length_curve_comparison` trains chapter 3's `AttentionSeq2Seq`
# and three `LuongSeq2Seq` models, all without input feeding, on lesson 3d's
# toy-grammar pairs (sentences of every length up to the scale's longest), then
# translates the test split greedily and scores it in buckets of English words:
#
# - `Luong dot`: `h_t · h̄_s`;
# - `Luong general`: `h_t · W_a h̄_s`;
# - `Luong general /√H`: the same divided by `√H`, as Vaswani et al. scale their
#   dot products (lesson 4a, "why √d_k"); not in Luong's paper.
#
# It also scores each model's teacher-forced attention against the toy grammar's
# gold word alignments, as lesson 3d did for the additive model.

# %%
curve, alignments = experiments.length_curve_comparison(scale, train_pairs)
print(curve.table())

# %% [markdown]
# ## The table
#
# - **BLEU**: greedy, on the whole test split;
# - **longest/shortest**: BLEU of the longest bucket as a share of the shortest's;
# - **agreement**: the share of English content words whose largest weight falls
#   on a Chinese character of their gold-aligned word;
# - **AER**: the alignment error rate of those arg-max links (lower is better);
# - **training**: wall time of the training, on this machine.

# %%
print(experiments.comparison_table(curve, alignments))
print()
print(alignment_quality.alignment_table(alignments))

# %%
plots.plot_length_curve(
    curve.labels,
    curve.bleu,
    xlabel=f"sentence length ({curve.source_unit})",
    title="BLEU by sentence length: additive and dot-product attention",
)
plt.show()

# %% [markdown]
# RESULTS-TABLE
#
# ## How sharp is each model's attention?
#
# Lesson 4a showed that unscaled dot products of wide vectors push a softmax
# towards one-hot weights, where its gradient is small. Here is how peaked the
# trained models' teacher-forced weights are on the test split: the mean of each
# row's largest weight, and the share of rows whose largest weight is above 0.9.

# %%
data = chapter2.length_curve_data(scale, train_pairs)  # the same seeded pairs
toy_pairs = chapter2.length_curve_toy_pairs(scale, data)
print(f"{'model':18s} {'mean largest weight':>20s} {'rows above 0.9':>15s}")
for name, model in curve.models.items():
    weights = alignment_quality.teacher_forced_attention(model, toy_pairs, data)
    largest = np.concatenate([rows.max(axis=1) for rows in weights])  # one per row
    print(f"{name:18s} {largest.mean():20.3f} {np.mean(largest > 0.9):15.1%}")

# %% [markdown]
# RESULTS-SHARPNESS
#
# ## The cost of one attention call
#
# Training time mixes the scores with everything around them. Here are the four
# scores alone: one forward pass of each layer on a batch of 64 queries against
# 32 keys, 256 wide (the scale's decoder width), median of 20 calls after a
# warm-up, eagerly, as a lesson would call them.

# %%
batch, length, width = 64, 32, 256
random = np.random.default_rng(0)
query = random.normal(size=(batch, length, width)).astype("float32")
value = random.normal(size=(batch, length, width)).astype("float32")
layers = {
    "additive (ch. 3)": AdditiveAttention(width),
    "Luong dot": LuongAttention("dot"),
    "Luong general": LuongAttention("general"),
    "Luong general /√H": LuongAttention("general", scaled=True),
}
for name, layer in layers.items():
    layer(query, value)  # builds the weights and warms up
    seconds = []
    for _ in range(20):
        started = time.perf_counter()
        keras.ops.convert_to_numpy(layer(query, value))
        seconds.append(time.perf_counter() - started)
    weights = sum(int(np.prod(weight.shape)) for weight in layer.weights)
    print(f"{name:18s} {1000 * np.median(seconds):6.2f} ms, {weights:,} weights")

# %% [markdown]
# RESULTS-COST
#
# ## Summary
#
# RESULTS-SUMMARY

# %%
seconds = time.perf_counter() - lesson_started
print(
    "Key figure: toy-grammar greedy BLEU "
    + ", ".join(f"{name} {bleu:.1f}" for name, bleu in curve.overall_bleu.items())
    + f" (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
