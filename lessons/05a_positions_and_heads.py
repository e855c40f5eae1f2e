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
# # Lesson 5a: where a token is, and attention in several heads
#
# **Description:** chapters 3 and 4 kept the RNN and put attention beside it. The
# RNN read the sentence in order, so every state knew where it was, but it also
# forced the computation to go one position after another. The Transformer
# (Vaswani et al., 2017, "Attention Is All You Need") drops the RNN. Two things
# must then be rebuilt: the order of the tokens, which attention alone cannot
# see, and the variety of the questions one attention can ask. This lesson
# shows the first problem on our own layer, builds the sinusoidal positional
# encoding and checks its key property, then splits attention into heads and
# checks our `MultiHeadAttention` against Keras' own.
#
# **You will learn**
# - why attention without positions is blind to word order, measured;
# - the positional encoding `PE(pos, 2i) = sin(pos / 10000^(2i/d))`,
#   `PE(pos, 2i+1) = cos(…)`, drawn, and why a shift by `k` positions is the same
#   rotation at every position;
# - multi-head attention: project, split into heads, attend, merge, mix;
#   identical to `keras.layers.MultiHeadAttention` with the same weights.
#
# **Time:** about 5 seconds on CPU (`cpu` scale; nothing is trained); on a Colab
# GPU not measured yet.

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

from chapters.ch05_transformer import (
    MultiHeadAttention,
    PositionalEncoding,
    copy_keras_weights,
    exercises,
    merge_heads,
    positional_encoding,
    split_heads,
)
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
to_numpy = keras.ops.convert_to_numpy
print(f"scale {scale.name}")

# %% [markdown]
# ## Attention cannot see order
#
# Self-attention scores every token against every other by their contents. Give
# it the same tokens in another order and it gives the same outputs, in that
# other order: it is *permutation-equivariant*. We feed our `MultiHeadAttention`
# (built below) six random token vectors, then the same six reversed.

# %%
attention = MultiHeadAttention(num_heads=2, key_dim=4)
tokens = np.random.default_rng(0).normal(size=(1, 6, 8)).astype("float32")
forwards = to_numpy(attention(tokens, tokens))
backwards = to_numpy(attention(tokens[:, ::-1], tokens[:, ::-1]))
difference = np.abs(backwards[:, ::-1] - forwards).max()
print(
    f"max |outputs of the reversed sentence, reversed back - outputs|: {difference:.1e}"
)

# %% [markdown]
# The reversed sentence's outputs, reversed back, equal the original outputs to
# 6.0e-08, float32 rounding: the layer gives each token the same output wherever
# it stands. To self-attention alone, *dog bites man* and *man bites dog* are
# the same three tokens.
#
# ## The positional encoding
#
# The Transformer adds to each token's embedding a vector that depends only on
# its position. Vaswani et al. chose fixed sines and cosines:
#
#     PE(pos, 2i)     = sin(pos / 10000^(2i / d_model))
#     PE(pos, 2i + 1) = cos(pos / 10000^(2i / d_model))
#
# Each pair of columns `(2i, 2i + 1)` is a point going round a circle as `pos`
# grows, at its own speed: one radian per position for `i = 0`, slower and
# slower for larger `i`. `positional_encoding(length, depth)` builds the table.

# %%
table = positional_encoding(50, 64)  # 50 positions, d_model = 64
print("table", table.shape, "(positions, d_model)")
print("position 0:", table[0, :6].round(3), "...")
print("position 1:", table[1, :6].round(3), "...")

figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
image = left.imshow(table, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
left.set(xlabel="dimension", ylabel="position", title="PE(pos, ·), d_model = 64")
figure.colorbar(image, ax=left)
for column in (0, 1, 10, 30):
    right.plot(table[:, column], label=f"column {column}")
right.set(xlabel="position", ylabel="value", title="four columns")
right.legend()
plt.show()

# %% [markdown]
# Position 0 is `[0, 1, 0, 1, …]`: `sin 0` and `cos 0` in every pair. In the
# heatmap the left columns change fast from one position to the next and the
# right ones hardly at all. On the right: columns 0 and 1 (`sin pos`, `cos pos`)
# repeat every 2π ≈ 6.3 positions; column 10 (`i = 5`, angle `pos / 4.2`) every
# 26 or so; column 30 (`i = 15`, angle `pos / 75`) has only risen to 0.6 by
# position 49. Fast columns tell neighbours apart, slow ones distant positions.
#
# **Why sines and cosines.** A shift by `k` positions turns every pair of columns
# by the angle `k / 10000^(2i/d)`, whatever the position:
#
#     [sin(a + b), cos(a + b)] = [sin a, cos a] · [[cos b, -sin b], [sin b, cos b]]
#
# So `PE(pos + k)` is a fixed linear map of `PE(pos)`, one rotation per pair of
# columns, that depends on `k` alone: a relative position is something a layer
# can learn with one matrix. We check it for `k = 5` at every position, and look
# at the consequence for the dot products that attention computes: `PE(p) · PE(q)`
# depends on `p - q` only.

# %%
shift = 5
largest = 0.0
for pair in range(32):
    columns = table[:, 2 * pair : 2 * pair + 2].astype("float64")  # (sin, cos)
    angle = shift / 10000 ** (2 * pair / 64)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    largest = max(largest, np.abs(columns[:-shift] @ rotation - columns[shift:]).max())
print(f"max |PE(pos) rotated by k=5 - PE(pos + 5)| over all positions: {largest:.1e}")
similarity = table @ table.T  # (50, 50): PE(p) · PE(q)
print(
    "PE(p) · PE(p + 3) for p = 0, 10, 40:",
    similarity[[0, 10, 40], [3, 13, 43]].round(4),
)

plt.figure(figsize=(5, 4))
plt.imshow(similarity, cmap="viridis")
plt.colorbar(label="PE(p) · PE(q)")
plt.xlabel("position q")
plt.ylabel("position p")
plt.title("dot products of the encodings")
plt.show()

# %% [markdown]
# The rotation gives `PE(pos + 5)` from `PE(pos)` to 6.1e-08 at every position.
# `PE(p) · PE(p + 3)` is 25.587 at `p` = 0, 10 and 40, and the heatmap is
# constant along every diagonal: the dot product depends on `p - q` only. It is
# largest on the diagonal, 32 = `d_model / 2` (one `sin² + cos²` per pair).
#
# **In the model.** `PositionalEncoding` looks the tokens up in an embedding
# table, multiplies them by `√d_model` (the paper's choice, so that the encoding,
# whose entries lie in [-1, 1], does not drown them), and adds the table's rows.
# With the encoding, the reversed sentence is no longer the same tokens in
# another order.

# %%
embed = PositionalEncoding(vocabulary_size=20, d_model=8, max_length=16)
ids = np.array([[3, 7, 1, 9, 4, 12]])
encoded = to_numpy(embed(ids))
encoded_backwards = to_numpy(embed(ids[:, ::-1]))
attention_forwards = to_numpy(attention(encoded, encoded))
attention_backwards = to_numpy(attention(encoded_backwards, encoded_backwards))
difference = np.abs(attention_backwards[:, ::-1] - attention_forwards).max()
print(f"with positions, max |reversed back - outputs|: {difference:.2f}")

# %% [markdown]
# With the encodings added, reversing the sentence changes the outputs (by up to
# 0.08 here, with untrained weights): each token now carries its position.
#
# ## Several heads
#
# One attention computes one set of weights per query: one question. Multi-head
# attention asks `h` questions at once, each in its own learned subspace of
# width `d_k = d_model / h`, and mixes the answers:
#
#     head_j = Attention(Q W_j^Q, K W_j^K, V W_j^V),   j = 1 … h
#     MultiHead(Q, K, V) = Concat(head_1, …, head_h) W^O
#
# `chapters/ch05_transformer/attention.py` computes it in four steps: project
# all heads at once with one matrix `(d_model, h · d_k)`; **split** the last axis
# into heads and fold them into the batch, `(B, T, h · d_k) → (B · h, T, d_k)`,
# so that each head is one more "sentence" for chapter 4's
# `ScaledDotProductAttention`; attend; **merge** the heads back side by side and
# mix them with `W^O`. Here is the split on a small array: sentence 0's head 1
# is row 1, holding columns 3–5 of every position.

# %%
x = np.arange(2 * 2 * 6, dtype="float32").reshape(2, 2, 6)  # B = 2, T = 2, h·d = 6
heads = to_numpy(split_heads(x, num_heads=2))
print("x[0]:\n", x[0])
print("split_heads(x, 2):", heads.shape, "\nrow 1 (sentence 0, head 1):\n", heads[1])
print("merge_heads gives x back:", np.array_equal(to_numpy(merge_heads(heads, 2)), x))

# %% [markdown]
# **Against Keras.** `keras.layers.MultiHeadAttention` keeps each projection as a
# `(d_model, h, d_k)` kernel; ours keeps `(d_model, h · d_k)`, the same numbers
# in the same order. `copy_keras_weights` copies Keras' random weights into our
# layer; with a padding mask and a causal mask both must give the same outputs
# and the same weights per head.

# %%
batch, length, width, num_heads = 3, 7, 16, 4
random = np.random.default_rng(1)
sequence = random.normal(size=(batch, length, width)).astype("float32")
lengths = np.array([7, 4, 6])
padding = np.arange(length)[None, :] < lengths[:, None]  # (B, T)
causal = np.tril(np.ones((length, length), bool))  # (T, T)
mask = causal[None] & padding[:, None, :]  # (B, T, T)

theirs = keras.layers.MultiHeadAttention(num_heads, key_dim=width // num_heads)
theirs.build((None, None, width), (None, None, width))
ours = MultiHeadAttention(num_heads, key_dim=width // num_heads)
ours.build((None, None, width), (None, None, width))
copy_keras_weights(ours, theirs)
expected, expected_weights = theirs(
    sequence, sequence, attention_mask=mask, return_attention_scores=True
)
output, weights = ours(
    sequence, sequence, attention_mask=mask, return_attention_scores=True
)
print("weights", tuple(weights.shape), "(B, h, T, S)")
output_difference = np.abs(to_numpy(output) - to_numpy(expected)).max()
weights_difference = np.abs(to_numpy(weights) - to_numpy(expected_weights)).max()
print(
    f"max |ours - Keras|: outputs {output_difference:.1e}, "
    f"weights {weights_difference:.1e}"
)
print(
    "largest weight on a hidden position:",
    to_numpy(weights)[~np.broadcast_to(mask[:, None], weights.shape)].max(),
)

# %% [markdown]
# Sentence 0's head 1 holds columns 3–5 of each position, and merging gives the
# array back. With the same weights, our layer and Keras' give identical outputs
# and weights (max difference 0.0: the same operations in the same order), the
# weights of shape `(B, h, T, S)` = (3, 4, 7, 7), and exactly 0 on every hidden
# position.
#
# ## Summary
#
# - Self-attention is blind to order: reversing the input reversed the output,
#   to 6.0e-08.
# - The sinusoidal encoding gives each position a vector; a shift by `k` is one
#   fixed rotation per pair of columns (checked to 6.1e-08), so `PE(p) · PE(q)`
#   depends on `p - q` only.
# - Multi-head attention splits the projections into `h` heads, attends in each,
#   and merges them; ours equals `keras.layers.MultiHeadAttention` with the same
#   weights, masks included.
#
# ## Exercises
#
# **Exercise 1: the positional encoding.** Write `positional_encoding(length,
# depth)` in NumPy: a `(length, depth)` table, positions from 0, with
# `sin(pos / 10000^(2i / depth))` in column `2i` and the cosine of the same angle
# in column `2i + 1`. A column of positions divided by a row of frequencies
# broadcasts into all the angles at once. The worked solution is in
# `solutions/ch05_solutions.py`.


# %%
def positional_encoding_exercise(length, depth):
    raise NotImplementedError  # your code here


exercises.check_positional_encoding(positional_encoding_exercise)

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: ours vs Keras' MultiHeadAttention, same weights: max difference "
    f"{np.abs(to_numpy(output) - to_numpy(expected)).max():.1e} "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
