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
# # Lesson 4a: dot-product scores, and why √d_k
#
# **Description:** lesson 3a scored each encoder state with a small network. Luong
# et al. (2015, "Effective Approaches to Attention-based Neural Machine
# Translation") tried cheaper scores, the cheapest being a plain dot product, and
# Vaswani et al. (2017, "Attention Is All You Need") kept that one, divided by the
# square root of the key width. This lesson computes Luong's three scores by hand,
# checks our layers against Keras' own, reads queries, keys and values as a look-up
# in a book, measures why the division by `√d_k` is there, and draws the masks that
# decide which positions may be looked at.
#
# **You will learn**
# - Luong's `dot`, `general` and `concat` scores, number by number, and which of
#   them has weights and which needs query and key of the same width;
# - that `LuongAttention("dot")` is `keras.layers.Attention()`, and that
#   `ScaledDotProductAttention` is Keras' `Attention` with its scale set to
#   `1/√d_k` and `keras.ops.dot_product_attention`;
# - what the query, the keys and the values each do;
# - why unscaled dot products saturate the softmax and starve its gradient as
#   `d_k` grows, measured;
# - padding masks, causal masks and their combination, and that a masked position
#   gets exactly zero weight.
#
# **Time:** about 5 seconds on CPU (`cpu` scale; nothing is trained); on a Colab GPU
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
#
# Nothing is trained here, and nothing depends on the scale: every example is a
# handful of numbers, and the scaling measurement is NumPy on random vectors.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters.ch03_attention import numpy_attention
from chapters.ch04_dot_product_attention import (
    LuongAttention,
    ScaledDotProductAttention,
    exercises,
)
from chapters.ch04_dot_product_attention.scaling import KEY_DIMS, measure_scaling
from chapters.common import masks
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
to_numpy = keras.ops.convert_to_numpy
np.set_printoptions(precision=3, suppress=True)
print(f"scale {scale.name}: the same tiny examples at every scale")

# %% [markdown]
# ## 1. Luong's three scores, by hand
#
# The decoder's current state `h_t` asks; the encoder states `h̄_s` answer. Luong
# et al. score each pair in one of three ways:
#
#     dot       score(h_t, h̄_s) = h_t · h̄_s
#     general   score(h_t, h̄_s) = h_t · (W_a h̄_s)
#     concat    score(h_t, h̄_s) = v_a · tanh(W_a [h_t; h̄_s])
#
# `dot` has no weights at all, and works only when `h_t` and `h̄_s` have the same
# width. `general` puts one learned matrix `W_a` between them, which may also map
# a key of one width to the query's width. `concat` is a one-hidden-layer network
# over the joined pair: lesson 3a's additive score under another name, with `W_a`
# `(Dq + Dk, A)` and `v_a` `(A,)`.
#
# As in lesson 3a, vectors are rows and a matrix that multiplies a vector is
# written on its right (`h̄_s @ W_a`), with its input on the first axis as in a
# Keras kernel. The numbers below are made up, small enough to check by eye: a
# state of 3 numbers and 4 source tokens of 3 numbers each.

# %%
# NBVAL_CHECK_OUTPUT
decoder_state = np.array([1.0, 0.0, 0.5])  # h_t: (Dq,) = (3,)
encoder_states = np.array(  # h̄_s, one row per source token: (S, Dk) = (4, 3)
    [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.5, 0.0, 1.0],
        [-1.0, 0.5, 0.0],
    ]
)
# general: W_a maps a key to the query's width; stored (Dk, Dq), so W_a h̄_s is
# written h̄_s @ W_a.
general_matrix = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
# concat: W_a is (Dq + Dk, A) = (6, 2), the query's rows first; v_a is (A,).
concat_matrix = np.array(
    [
        [1.0, 0.0],
        [0.0, 1.0],
        [0.0, 0.0],
        [1.0, -1.0],
        [0.0, 1.0],
        [0.5, 0.0],
    ]
)
concat_vector = np.array([1.0, -1.0])

dot_scores = encoder_states @ decoder_state  # h_t · h̄_s: (S,)
general_scores = (encoder_states @ general_matrix) @ decoder_state  # (S,)
joined = np.concatenate(  # [h_t; h̄_s] for every s: (S, Dq + Dk)
    [np.broadcast_to(decoder_state, encoder_states.shape), encoder_states], axis=1
)
concat_scores = np.tanh(joined @ concat_matrix) @ concat_vector  # (S,)
hand_scores = {"dot": dot_scores, "general": general_scores, "concat": concat_scores}
hand_weights = {}
for name, scores in hand_scores.items():
    hand_weights[name] = numpy_attention.masked_softmax(scores)
    print(f"{name:>7}: scores {scores}, weights {hand_weights[name]}")

# %% [markdown]
# Three scores, three different sets of weights. `dot` ties the first and third
# tokens (both score 1); `general`, whose `W_a` swaps the first two features of
# each key and doubles the third, prefers the second and third tokens; `concat`
# spreads its scores furthest apart here, so its weights are the least even.
#
# Now the same with `LuongAttention`. We build each layer once, then overwrite its
# weights with the ones above: `general` keeps `W_a` as `score_matrix`; `concat`
# hands its score to chapter 3's `AdditiveAttention`, in the sublayer `additive`,
# whose `query_projection` holds the first `Dq` rows of `W_a` (those that meet
# `h_t`), `key_projection` the last `Dk` rows and `score_vector` holds `v_a`.

# %%
query = decoder_state[None, None, :].astype("float32")  # (B, T, Dq) = (1, 1, 3)
value = encoder_states[None].astype("float32")  # (B, S, Dk) = (1, 4, 3)
layers = {
    "dot": LuongAttention("dot"),
    "general": LuongAttention("general"),
    "concat": LuongAttention("concat", units=2),
}
for layer in layers.values():
    layer(query, value)  # Builds the weights, which we then overwrite.
layers["general"].score_matrix.assign(general_matrix)
additive = layers["concat"].additive
additive.query_projection.kernel.assign(concat_matrix[:3])  # W_q: rows of h_t
additive.key_projection.kernel.assign(concat_matrix[3:])  # W_k: rows of h̄_s
additive.score_vector.assign(concat_vector)
for name, layer in layers.items():
    context, weights = layer(query, value, return_attention_scores=True)
    difference = np.abs(to_numpy(weights)[0, 0] - hand_weights[name]).max()
    print(
        f"{name:>7}: {len(layer.weights)} weight tensors, context "
        f"{to_numpy(context)[0, 0]}, max |layer - hand| = {difference:.1e}"
    )

# %% [markdown]
# The layers give the hand-computed weights to within `4e-8`, the rounding of
# `float32`. The count of weight tensors says which score learns: `dot` has none,
# `general` one matrix, `concat` two matrices and a vector.
#
# ## 2. The same numbers as Keras
#
# Keras' `keras.layers.Attention()` is Luong's `dot` score: `softmax(Q Kᵀ) V`, no
# weights. We compare the two on a small batch of 3 sentences with 5, 2 and 4 real
# source tokens and one padded query position, both masks given. One quirk: Keras
# 3.10 does not expand a value mask of shape `(B, S)`, so Keras gets it as
# `(B, 1, S)`.

# %%
random = np.random.default_rng(0)
batch_query = random.normal(size=(3, 4, 8)).astype("float32")  # (B, T, D)
batch_value = random.normal(size=(3, 5, 6)).astype("float32")  # (B, S, Dv)
batch_key = random.normal(size=(3, 5, 8)).astype("float32")  # (B, S, D)
source_ids = np.array([[5, 6, 7, 8, 9], [5, 6, 0, 0, 0], [5, 6, 7, 8, 0]])
value_mask = to_numpy(masks.padding_mask(source_ids))  # (B, S): lengths 5, 2, 4
query_mask = np.array([[True, True, True, False]] * 3)  # (B, T)


def max_difference(ours, theirs):
    return float(np.abs(to_numpy(ours) - to_numpy(theirs)).max())


ours = LuongAttention("dot")(
    batch_query,
    batch_value,
    batch_key,
    query_mask=query_mask,
    value_mask=value_mask,
    return_attention_scores=True,
)
# Keras 3.10 does not expand a (B, S) value mask by itself; (B, 1, S) works.
theirs = keras.layers.Attention()(
    [batch_query, batch_value, batch_key],
    mask=[query_mask, value_mask[:, None, :]],
    return_attention_scores=True,
)
print(
    "dot vs keras.layers.Attention(): contexts",
    f"{max_difference(ours[0], theirs[0]):.1e}, weights",
    f"{max_difference(ours[1], theirs[1]):.1e}",
)

# %%
key_dim = batch_key.shape[-1]
attention_mask = to_numpy(  # (B, T, S): a real key, and not in the future
    masks.combine_masks(value_mask[:, None, :], masks.causal_mask(4, 5))
)
ours = ScaledDotProductAttention()(
    batch_query, batch_value, batch_key, attention_mask=attention_mask
)
keras_attention = keras.layers.Attention(use_scale=True)
keras_attention([batch_query, batch_value, batch_key])  # Builds `scale`.
keras_attention.scale.assign(1.0 / np.sqrt(key_dim))  # A learned scalar in Keras.
from_layer = keras_attention(
    [batch_query, batch_value, batch_key],
    mask=[None, value_mask[:, None, :]],
)
ours_padding_only = ScaledDotProductAttention()(
    batch_query, batch_value, batch_key, value_mask=value_mask
)
# keras.ops.dot_product_attention wants (B, T, H, D), with a heads axis H (1 here)
# and a boolean mask broadcastable to (B, H, T, S); its values must be as wide as
# its keys, so this comparison uses values of width d_k.
square_value = random.normal(size=(3, 5, key_dim)).astype("float32")
from_ops = keras.ops.dot_product_attention(
    batch_query[:, :, None, :],
    batch_key[:, :, None, :],
    square_value[:, :, None, :],
    mask=attention_mask[:, None, :, :],
)[:, :, 0, :]  # (B, T, Dv)
ours_square = ScaledDotProductAttention()(
    batch_query, square_value, batch_key, attention_mask=attention_mask
)
print(
    f"scaled vs keras.layers.Attention(scale=1/√{key_dim}):",
    f"{max_difference(ours_padding_only, from_layer):.1e}",
)
print(
    "scaled vs keras.ops.dot_product_attention (padding + causal):",
    f"{max_difference(ours_square, from_ops):.1e}",
)

# %% [markdown]
# `dot` and Keras agree exactly here (0.0 on this run), and scaled dot-product
# attention agrees with both Keras routes to about `1e-7`, the rounding of
# `float32`. Keras' `Attention(use_scale=True)` *learns* its scale, a single
# number it starts at 1; setting it to `1/√d_k` and never training it gives
# Vaswani et al.'s fixed scale. `keras.ops.dot_product_attention` is the
# function multi-head attention calls, with a heads axis we set to 1.
#
# ## 3. Query, key, value: looking something up in a book
#
# Vaswani et al. name the three inputs of attention query, key and value. A book
# makes the roles concrete. You have a **question** (the query `Q`). Each page has
# a short **summary** in the table of contents (its key `K`) and its actual
# **contents** (its value `V`). You compare the question with every summary (the
# scores `q · k / √d_k`), decide how much of each page to read (the softmax), and
# your answer is what you read, mixed in those proportions (the weighted sum of the
# values). The keys only decide *where* to look; the values are *what* comes back,
# and they need not look like the keys at all.
#
# Below are four pages with 3-number summaries and 3-number contents. We wrote
# the contents of the first three pages as 10 on one feature, so that it is easy
# to see which page the answer came from; the fourth page has a bit of
# everything.

# %%
# NBVAL_CHECK_OUTPUT
pages = ["page 1", "page 2", "page 3", "page 4"]
page_keys = np.array(  # K: what each page's summary says it is about, (S, 3)
    [
        [2.0, 0.0, 0.0],
        [0.0, 2.0, 0.0],
        [0.0, 0.0, 2.0],
        [1.0, 1.0, 0.0],
    ]
)
page_values = np.array(  # V: what each page actually contains, (S, 3)
    [
        [10.0, 0.0, 0.0],
        [0.0, 10.0, 0.0],
        [0.0, 0.0, 10.0],
        [5.0, 5.0, 5.0],
    ]
)
question = np.array([0.2, 1.5, 0.1])  # Q: what we want to know, (3,)
book_scores = page_keys @ question / np.sqrt(3)  # q · k / √d_k: (S,)
reading = numpy_attention.masked_softmax(book_scores)  # how much of each page
answer = reading @ page_values  # (3,)
for page, score, weight in zip(pages, book_scores, reading, strict=True):
    print(f"{page}: score {score:+.3f}, read {weight:.2f} of it")
print("answer =", answer)

# %% [markdown]
# The question reads 0.53 of page 2, a quarter of page 4 and about a tenth each
# of pages 1 and 3. So it asks, mostly, about page 2's topic: its second number,
# 1.5, is the largest, and page 2's summary is the one that points along that
# feature alone. Page 4's summary points half that way, and it gets the next
# largest share. The answer, `[2.4, 6.5, 2.3]`, is mostly page 2's contents, with
# some of everything else mixed in: a softmax never reads just one page unless one
# score towers over the others.
#
# ## 4. Why divide by √d_k: measured
#
# Take a query and a key with `d_k` independent entries of mean 0 and variance 1.
# Their dot product sums `d_k` products of variance 1, so its variance is `d_k`.
# The wider the keys, the further apart the scores in one row, and the softmax of
# far-apart scores gives nearly all the weight to the largest one. There its
# gradient, `∂α/∂e = diag(α) − α αᵀ`, is nearly zero, so the scores (and the
# queries and keys behind them) barely learn. Dividing by `√d_k` brings the
# variance back to 1 at every width (Vaswani et al., 2017, section 3.2.1).
#
# `measure_scaling()` draws 512 random queries, each with 16 random keys, for every
# width from 4 to 1024, and measures the softmax of the raw and of the scaled
# scores: the variance of the scores, the mean largest weight of a row (1/16 =
# 0.0625 if even, 1 if one-hot), the mean entropy of a row (log 16 = 2.77 nats if
# even) and the mean norm of the softmax's Jacobian. NumPy only, seeded.

# %%
# NBVAL_CHECK_OUTPUT
measured = measure_scaling()
print(f"S = {measured.source_length} keys per query, {measured.rows} queries per d_k")
print(measured.table())

# %%
panels = [
    ("variance", "variance of the scores"),
    ("max_weight", "mean largest weight"),
    ("gradient", "softmax gradient norm |∂α/∂e|"),
]
figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
for axis, (statistic, title) in zip(axes, panels, strict=True):
    raw, scaled = measured.series(statistic)
    axis.plot(KEY_DIMS, raw, "o-", label="q · k")
    axis.plot(KEY_DIMS, scaled, "s-", label="q · k / √d_k")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("key width d_k")
    axis.set_title(title)
axes[0].set_yscale("log", base=2)
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The stored run shows the prediction. The raw scores' variance follows `d_k`
# (4.09 at `d_k = 4`, 1034.8 at 1024); scaled, it stays between 0.97 and 1.02. The
# largest raw weight climbs from 0.42 to 0.97, so at `d_k = 1024` a row is almost
# one-hot, and the raw gradient norm falls from 0.32 to 0.048, about a seventh of
# what it was. With the scale, the largest weight stays near 0.24 and the gradient
# norm near 0.30 at every width. Real queries and keys are not independent
# standard normals, but a learned model starts close to that, so the scale
# matters from the first step. Regenerate the table with
# `measure_scaling().table()` from `chapters/ch04_dot_product_attention/scaling.py`.
#
# ## 5. Masks, drawn
#
# A mask says, for every query position `t` and key position `s`, whether `t` may
# look at `s` (True) or not (False); it never changes a score, it removes it. Two
# masks matter:
#
# - a **padding mask** `(B, S)` hides the padding at the end of a shorter sentence,
#   the same for every query: `padding_mask(ids)`, True where the id is not 0;
# - a **causal mask** `(T, S)` hides the future: a decoder that reads its own
#   output must not see word `s > t` while predicting word `t`:
#   `causal_mask(T)`, lower triangular.
#
# `combine_masks` takes their logical AND. The padding mask needs a query axis
# first, `padding[:, None, :]` `(B, 1, S)`: against a `(T, S)` mask a bare
# `(B, S)` would be read as one row per query. Below, one sentence of 4 tokens
# padded to 6, attending to itself; white means "may attend".

# %%
# NBVAL_CHECK_OUTPUT
target_ids = np.array([[4, 8, 15, 16, 0, 0]])  # one sentence of 4 tokens, padded
length = target_ids.shape[1]  # T = S = 6: self-attention over the sentence
padding = masks.padding_mask(target_ids)  # (B, S)
causal = masks.causal_mask(length)  # (T, S)
combined = masks.combine_masks(padding[:, None, :], causal)  # (B, T, S)
drawn = {
    "padding (every query)": np.broadcast_to(to_numpy(padding)[0], (length, length)),
    "causal": to_numpy(causal),
    "padding and causal": to_numpy(combined)[0],
}
figure, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for axis, (title, mask) in zip(axes, drawn.items(), strict=True):
    axis.imshow(mask, cmap="Greys_r", vmin=0, vmax=1)
    axis.set_title(title)
    axis.set_xlabel("key position s")
    axis.set_ylabel("query position t")
    axis.set_xticks(range(length))
    axis.set_yticks(range(length))
plt.tight_layout()
plt.show()
print("combined mask (1 = may attend):")
print(to_numpy(combined)[0].astype(int))

# %%
states = np.random.default_rng(1).normal(size=(1, length, 4)).astype("float32")
_, mask_weights = ScaledDotProductAttention()(
    states, states, attention_mask=combined, return_attention_scores=True
)
mask_weights = to_numpy(mask_weights)[0]  # (T, S)
hidden = ~to_numpy(combined)[0]
print("weights (rows: query t, columns: key s):")
print(mask_weights)
print("largest weight at a masked position:", mask_weights[hidden].max())
print(
    "row sums:",
    mask_weights.sum(axis=-1).round(6),
)

# %% [markdown]
# Every position that the combined mask hides gets a weight of exactly 0.0, not a
# small number, and every row still sums to 1 over what it may see. Query 0 sees
# only itself, so its weight on itself is 1. The padded query positions 4 and 5
# still get weights (over the 4 real tokens): a padding mask hides keys, not
# queries, and the loss of a later lesson ignores what those positions output.
#
# ## Summary
#
# - Luong et al. (2015) score a decoder state against an encoder state with a dot
#   product (no weights; equal widths needed), `general` (one matrix `W_a`, which
#   may change the width) or `concat` (lesson 3a's additive score). On a made-up
#   example, `LuongAttention` reproduced the hand-computed weights of all three to
#   within `4e-8`.
# - `LuongAttention("dot")` equals `keras.layers.Attention()` (difference 0.0 here,
#   masks included); `ScaledDotProductAttention` equals Keras' `Attention` with its
#   scale set to `1/√d_k` and `keras.ops.dot_product_attention` (about `1e-7`).
# - Queries ask, keys decide where to look, values are what comes back: in the
#   book example, a question about page 2's topic read 0.53 of page 2 and 0.25 of
#   the page that touches on it.
# - Unscaled, the scores' variance is `d_k`: at `d_k = 1024` the softmax put 0.97
#   of a row's weight on one key and its gradient norm fell from 0.32 to 0.048.
#   Divided by `√d_k`, the variance stayed near 1, the largest weight near 0.24
#   and the gradient near 0.30 at every width.
# - Padding and causal masks combine with a logical AND; masked positions get
#   exactly zero weight.
#
# Next: a Luong decoder that uses these scores at every output step.
#
# ## Exercises
#
# Each exercise asks for a NumPy function. The checks call it on small random
# batches (and on edge cases) and say what is wrong when it is; a stub that still
# raises `NotImplementedError` is reported as not attempted. Do not change the
# arrays you are given in place. Worked solutions are in
# `solutions/ch04_solutions.py`; try first.
#
# **Exercise 1: the dot score.** Write `dot_score(query, keys)` with `query`
# `(B, D)` (one decoder state per sentence) and `keys` `(B, S, D)`, returning the
# scores `(B, S)`, `h_t · h̄_s`.


# %%
def dot_score(query, keys):
    raise NotImplementedError  # your code here


exercises.check_dot_score(dot_score)

# %% [markdown]
# **Exercise 2: the general score.** Write `general_score(query, keys,
# key_weights)` with `query` `(B, D)`, `keys` `(B, S, D')` and `key_weights` `W_a`
# `(D', D)`, returning `(B, S)`, `h_t · (W_a h̄_s)`: with row vectors, first
# `keys @ key_weights` `(B, S, D)`, then a dot product with the query.


# %%
def general_score(query, keys, key_weights):
    raise NotImplementedError  # your code here


exercises.check_general_score(general_score)

# %% [markdown]
# **Exercise 3: the concat score.** Write `concat_score(query, keys,
# concat_weights, score_vector)` with `query` `(B, D)`, `keys` `(B, S, D')`,
# `concat_weights` `W_a` `(D + D', A)` and `score_vector` `v_a` `(A,)`, returning
# `(B, S)`, `v_a · tanh([h_t; h̄_s] @ W_a)`. The query comes first in the
# concatenation, so the first `D` rows of `W_a` multiply the query.


# %%
def concat_score(query, keys, concat_weights, score_vector):
    raise NotImplementedError  # your code here


exercises.check_concat_score(concat_score)

# %% [markdown]
# **Exercise 4: scaled dot-product attention.** Write
# `scaled_dot_product_attention(query, key, value, mask=None)` with `query`
# `(B, T, d_k)`, `key` `(B, S, d_k)`, `value` `(B, S, d_v)` and `mask` a boolean
# `(B, T, S)` (True where query `t` may attend to key `s`) or None, returning
# `(output, weights)`: `weights = softmax(Q Kᵀ / √d_k)` `(B, T, S)` over the keys
# and `output = weights @ value` `(B, T, d_v)`. A hidden position gets weight
# exactly 0, a query whose mask row is all False gets zero weights and a zero
# output, and scores near ±1000 must not give NaN.


# %%
def scaled_dot_product_attention(query, key, value, mask=None):
    raise NotImplementedError  # your code here


exercises.check_scaled_dot_product_attention(scaled_dot_product_attention)

# %% [markdown]
# **Exercise 5: the causal mask.** Write `causal_mask(length)` returning a boolean
# `(T, T)` array, `T = length`, True where key position `s <= t`, the diagonal
# included.


# %%
def causal_mask(length):
    raise NotImplementedError  # your code here


exercises.check_causal_mask(causal_mask)

# %% [markdown]
# **Exercise 6: combining masks.** Write `combine_masks(padding_mask, causal)`
# with `padding_mask` a boolean `(B, S)` (True at real tokens) and `causal` a
# boolean `(T, S)`, returning the boolean `(B, T, S)` mask
# `padding_mask[b, s] and causal[t, s]`.


# %%
def combine_masks(padding_mask, causal):
    raise NotImplementedError  # your code here


exercises.check_combine_masks(combine_masks)

# %%
seconds = time.perf_counter() - lesson_started
raw_weight, _ = measured.series("max_weight")
raw_gradient, scaled_gradient = measured.series("gradient")
print(
    f"Key figure: at d_k = {KEY_DIMS[-1]}, unscaled scores put "
    f"{raw_weight[-1]:.2f} of a row's weight on one key and the softmax gradient "
    f"norm falls to {raw_gradient[-1]:.3f} (scaled: {scaled_gradient[-1]:.3f}) "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
