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
# # Lesson 3a: the additive attention score, by hand and as a Keras layer
#
# **Description:** lesson 2d measured what one context vector costs: the longer
# the sentence, the worse the translation. Bahdanau et al. (2015, "Neural Machine
# Translation by Jointly Learning to Align and Translate") let the decoder look
# back at every encoder state instead, and choose, before each word it writes,
# how much each source word matters. This lesson computes their *additive score*
# by hand on 我 爱 你 ("I love you"), then builds it as a Keras layer, checks it
# against Keras' own `AdditiveAttention`, and measures what it costs.
#
# **You will learn**
# - the three steps of attention: score every encoder state against the decoder
#   state, turn the scores into weights with a softmax over the source, and sum
#   the states with those weights into this step's context vector;
# - the score `e_i = v_a^T tanh(W_a s + U_a h_i)`, number by number;
# - the layer `AdditiveAttention` (alias `BahdanauAttention`): its shapes
#   `(B, T, S)`, its padding mask, and why it projects the keys only once;
# - how it relates to `keras.layers.AdditiveAttention`;
# - why attention costs `m · t` scores for `m` source and `t` target tokens, and
#   how time and memory grow with it.
#
# **Time:** about 6 seconds on a busy 2-core CPU (`cpu` scale; nothing is trained,
# and the cost measurement takes most of it); on a Colab GPU not measured yet.

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
# Nothing is trained in this lesson. The only sizes that depend on the scale are
# the sentence lengths of the cost measurement at the end.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters.ch03_attention import exercises, numpy_attention
from chapters.ch03_attention.attention import (
    AdditiveAttention,
    BahdanauAttention,
    BaseAttention,
)
from chapters.ch03_attention.cost import attention_cost
from chapters.common import fonts
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
# The ci scale only checks that the cells run; cpu and gpu time the full grid.
cost_lengths = scale.attention_cost_lengths
cost_repetitions = scale.attention_cost_repetitions
print(
    f"scale {scale.name}: cost measured for source and target lengths "
    f"{cost_lengths}, median of {cost_repetitions} calls each"
)

# %% [markdown]
# ## 1. The idea: hand the decoder every encoder state
#
# The encoder of lesson 2a reads the source `x_1 … x_m` and leaves one state per
# token, `h_1 … h_m`. Chapter 2's decoder was given only the last of them, the
# context vector, and had to write every word from it. An attention decoder is
# given all `m` states, and before it writes each word it builds a context vector
# of its own for that word, in three steps:
#
# 1. **Score** every encoder state `h_i` against the decoder's current state `s`:
#    one number `e_i` per source token, large where `h_i` is useful now.
# 2. **Normalise** the scores with a softmax over the source:
#    `α_i = exp(e_i) / Σ_j exp(e_j)`. The weights are positive and sum to 1.
# 3. **Sum**: the context is the weighted sum of the states, `c = Σ_i α_i h_i`.
#    States with a large weight dominate it; those with a small weight barely
#    count.
#
# The decoder's state changes after every word, so the weights and the context are
# computed again at every output step: `t` output words need `t` contexts. In the
# decoder of lesson 3b, the state that asks is the one before the word is written,
# `s_{t-1}` for word `t`, as in the paper.
#
# Bahdanau et al. score with a small network of one hidden layer, the *additive*
# score:
#
#     e_i = v_a^T tanh(W_a s + U_a h_i)
#
# `W_a` maps the decoder state (width `Dq`) and `U_a` an encoder state (width `Dk`)
# to the same width `A`; their sum goes through `tanh`, and the vector `v_a` reads
# one number off the `A` hidden units. All three are learned with the rest of the
# model. Luong et al. (2015, "Effective Approaches to Attention-based Neural
# Machine Translation") later proposed cheaper scores built on dot products;
# chapter 4 covers them.

# %% [markdown]
# ## 2. The score by hand: 我 爱 你
#
# The decoder has written "I" and is about to write "love". We make up every
# number so that it can be followed: encoder states of 3 numbers for 我, 爱, 你
# (read them loosely as "looks like the subject", "looks like the verb", "looks
# like the object"; a trained encoder's numbers have no such names), a decoder
# state of 2 numbers, and `A = 2` hidden units.
#
# We store vectors as rows and weight matrices with the input on their first
# axis, as Keras stores a `Dense` kernel, so `W_a s` is written `s @ W_a`:
# `W_a` is `(Dq, A)` and `U_a` is `(Dk, A)`.

# %%
tokens = ["我", "爱", "你"]
encoder_states = np.array(  # h_i, one row per source token: (S, Dk) = (3, 3)
    [
        [0.9, 0.1, 0.0],  # 我
        [0.1, 0.8, 0.2],  # 爱
        [0.0, 0.3, 0.9],  # 你
    ]
)
decoder_state = np.array([0.2, 0.7])  # s, after writing "I": (Dq,) = (2,)
query_weights = np.array([[0.5, -1.0], [0.5, 0.5]])  # W_a: (Dq, A) = (2, 2)
# Hidden unit 0 reads "verb minus subject", hidden unit 1 reads "object".
key_weights = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # U_a: (Dk, A)
score_vector = np.array([2.0, -2.0])  # v_a: (A,)

# %% [markdown]
# **Step 1: project.** `W_a s` is computed once for this decoder step; `U_a h_i`
# once per source token. Both land in the same space of `A = 2` numbers, so they
# can be added.

# %%
# NBVAL_CHECK_OUTPUT
projected_query = decoder_state @ query_weights  # W_a s: (A,)
projected_keys = encoder_states @ key_weights  # U_a h_i: (S, A)
print("W_a s =", projected_query)
for token, projected_key in zip(tokens, projected_keys, strict=True):
    print(f"U_a h_{token} = {projected_key}")

# %% [markdown]
# **Step 2: score.** Add the projected query to every projected key, squash with
# `tanh`, and take the dot product with `v_a`: `e_i = v_a^T tanh(W_a s + U_a h_i)`.

# %%
# NBVAL_CHECK_OUTPUT
hidden = np.tanh(projected_query + projected_keys)  # (S, A): broadcast over S
scores = hidden @ score_vector  # e_i: (S,)
for token, key, unit, score in zip(tokens, projected_keys, hidden, scores, strict=True):
    print(
        f"{token}: W_a s + U_a h = {np.round(projected_query + key, 3)}, "
        f"tanh = {np.round(unit, 3)}, e = {score:+.3f}"
    )

# %% [markdown]
# **Step 3: softmax and weighted sum.** Subtracting the largest score before
# `exp` changes no weight (it cancels in the division) and keeps `exp` from
# overflowing when scores are large.

# %%
# NBVAL_CHECK_OUTPUT
exponentials = np.exp(scores - scores.max())
weights = exponentials / exponentials.sum()  # α_i: (S,)
context = weights @ encoder_states  # c = Σ_i α_i h_i: (Dk,)
for token, weight in zip(tokens, weights, strict=True):
    print(f"α_{token} = {weight:.3f}")
print("sum of the weights:", round(float(weights.sum()), 6))
print("context c =", np.round(context, 3))

# %% [markdown]
# 爱 gets 0.70 of the weight, 你 0.20 and 我 0.10: before writing "love", the
# decoder looks mostly at 爱. The printed steps say why. Hidden unit 0 ("verb minus
# subject") is highest for 爱 (`tanh` 0.818), and `v_a` counts it twice. 你 is
# nearly as high on unit 0 (0.635), but it is also the most object-like (unit 1:
# 0.782), which `v_a` subtracts twice; 我 is negative on unit 0. The context
# `c = [0.161, 0.630, 0.319]` lies close to `h_爱 = [0.1, 0.8, 0.2]`, pulled a
# little towards the other two states. We chose the weights by hand to get the
# 0.1 / 0.7 / 0.2 split often used to illustrate attention; a model learns its
# `W_a`, `U_a` and `v_a` from translations.

# %%
figure, axis = plt.subplots(figsize=(4, 2.6))
axis.bar(tokens, weights, color=["#9bb", "#276", "#9bb"])
for position, weight in enumerate(weights):
    axis.text(position, weight + 0.02, f"{weight:.2f}", ha="center")
axis.set_ylim(0, 1)
axis.set_xlabel("source token")
axis.set_ylabel("attention weight α")
axis.set_title('Before writing "love"')
plt.tight_layout()
plt.show()

# %% [markdown]
# Some descriptions of the additive score join the two vectors first, `[s; h_i]`,
# and multiply by one matrix `W`. That is the same score: a matrix applied to a
# joined vector is the sum of its two blocks applied to each part, so `W` is `W_a`
# stacked on `U_a`.

# %%
joined_weights = np.concatenate([query_weights, key_weights])  # W: (Dq + Dk, A)
joined = [np.concatenate([decoder_state, state]) for state in encoder_states]
joined_scores = np.tanh(np.array(joined) @ joined_weights) @ score_vector
print("max |joined form - two-matrix form|:", np.abs(joined_scores - scores).max())

# %% [markdown]
# ### The same with the chapter's NumPy functions
#
# `chapters/ch03_attention/numpy_attention.py` holds one function per step, for
# a batch of `B` sentences and `T` decoder states each: `additive_scores` gives
# `(B, T, S)` scores, `masked_softmax` the weights, `attend` the contexts
# `(B, T, Dv)`. `additive_attention` runs all three. Here `B = T = 1`.

# %%
query = decoder_state[None, None, :]  # (B, T, Dq) = (1, 1, 2)
keys = encoder_states[None]  # (B, S, Dk) = (1, 3, 3)
library_scores = numpy_attention.additive_scores(
    query, keys, query_weights, key_weights, score_vector
)  # (1, 1, 3)
library_weights = numpy_attention.masked_softmax(library_scores)  # no padding here
library_context = numpy_attention.attend(library_weights, keys)  # (1, 1, 3)
np.testing.assert_allclose(library_scores[0, 0], scores)
np.testing.assert_allclose(library_weights[0, 0], weights)
np.testing.assert_allclose(library_context[0, 0], context)
all_in_one = numpy_attention.additive_attention(
    query, keys, query_weights, key_weights, score_vector
)
np.testing.assert_allclose(all_in_one[0], library_context)
print("numpy_attention gives the hand-computed scores, weights and context")

# %% [markdown]
# ## 3. The layer: `AdditiveAttention`
#
# `chapters.ch03_attention.attention.AdditiveAttention(units)`, also exported as
# `BahdanauAttention`, is the same computation as a Keras layer, written in
# `keras.ops`. It subclasses `BaseAttention`, which does everything except the
# score, so that chapter 4 can reuse the masking and the weighted sum with other
# scores. Its `call(query, value, key=None, query_mask=None, value_mask=None,
# attention_mask=None, return_attention_scores=False)` runs, in the numbered steps
# of its source:
#
# 0. `project_keys`: `U_a h_i` for every key, `(B, S, A)`;
# 1. `score`: `W_a s_t` `(B, T, A)` added to every projected key, `(B, T, S, A)`;
#    `tanh`, then the dot product with `v_a` gives the scores `(B, T, S)`;
# 2. the masks: `value_mask` `(B, S)` (False at padding) and `attention_mask`
#    `(B, T, S)` combine into one;
# 3. a softmax over the source axis `S`; masked keys get exactly zero weight;
# 4. the weighted sum of the values, the contexts `(B, T, Dv)`.
#
# The key defaults to the value: in translation both are the encoder states. The
# layer creates `W_a` (`query_projection.kernel`), `U_a`
# (`key_projection.kernel`) and `v_a` (`score_vector`) in `build`, once it knows
# the widths of query and key. We build it for the example's shapes and put the
# hand-made weights in.

# %%
layer = AdditiveAttention(units=2)
layer.build(query.shape, keys.shape)
layer.query_projection.kernel.assign(query_weights)
layer.key_projection.kernel.assign(key_weights)
layer.score_vector.assign(score_vector)
layer_context, layer_weights = layer(
    query.astype("float32"), keys.astype("float32"), return_attention_scores=True
)
layer_weights = keras.ops.convert_to_numpy(layer_weights)
layer_context = keras.ops.convert_to_numpy(layer_context)
print("layer weights:", np.round(layer_weights[0, 0], 3))
print("layer context:", np.round(layer_context[0, 0], 3))
print(
    "max |layer - by hand|: weights",
    float(np.abs(layer_weights[0, 0] - weights).max()),
    "context",
    float(np.abs(layer_context[0, 0] - context).max()),
)

# %% [markdown]
# The layer gives the hand-computed weights and context, to within 6e-8: it
# computes in float32, our hand computation in float64.
#
# ### Shapes on a batch
#
# Now a batch of `B = 4` sentences of `S = 6` source tokens, with `T = 5` decoder
# states each, and widths that all differ so that a mixed-up axis would show:
# queries of `Dq = 8`, values of `Dv = 10`, `A = 16` hidden units. The weights
# are random (Keras' initialisers), so only the shapes mean something here.

# %%
batch_size, target_length, source_length = 4, 5, 6
query_dim, value_dim, attention_units = 8, 10, 16
random = np.random.default_rng(42)
batch_query = random.normal(size=(batch_size, target_length, query_dim))
batch_value = random.normal(size=(batch_size, source_length, value_dim))
batch_query = batch_query.astype("float32")  # (B, T, Dq)
batch_value = batch_value.astype("float32")  # (B, S, Dv)
attention = BahdanauAttention(attention_units, name="attention")
batch_context, batch_weights = attention(
    batch_query, batch_value, return_attention_scores=True
)
print("BahdanauAttention is AdditiveAttention:", BahdanauAttention is AdditiveAttention)
print("a BaseAttention:", isinstance(attention, BaseAttention))
for weight in attention.weights:
    print(f"  {weight.path:34s} {tuple(weight.shape)}")

# %% [markdown]
# The shapes, checked (this cell's output is checked in CI):

# %%
# NBVAL_CHECK_OUTPUT
batch_weights = keras.ops.convert_to_numpy(batch_weights)
assert tuple(batch_context.shape) == (batch_size, target_length, value_dim)
assert batch_weights.shape == (batch_size, target_length, source_length)
np.testing.assert_allclose(batch_weights.sum(axis=-1), 1.0, rtol=1e-5)
print("context (B, T, Dv):", tuple(batch_context.shape))
print("weights (B, T, S): ", batch_weights.shape)
print("every row of weights sums to 1 over the source")

# %% [markdown]
# ### Padding gets exactly zero weight
#
# In a batch, shorter sentences are padded to the longest. The padded positions
# hold no word, and attention must give them nothing: no weight, so nothing of
# them in the context. `value_mask` `(B, S)` is True at real tokens. Our four
# sentences have 6, 3, 5 and 2 real tokens.

# %%
lengths = np.array([6, 3, 5, 2])
value_mask = np.arange(source_length)[None, :] < lengths[:, None]  # (B, S)
masked_context, masked_weights = attention(
    batch_query, batch_value, value_mask=value_mask, return_attention_scores=True
)
masked_context = keras.ops.convert_to_numpy(masked_context)
masked_weights = keras.ops.convert_to_numpy(masked_weights)
print("weights of sentence 3 (2 real tokens), one row per decoder state:")
print(np.round(masked_weights[3], 3))
padding = np.broadcast_to(~value_mask[:, None, :], masked_weights.shape)  # (B, T, S)
print("largest weight on any padded token:", masked_weights[padding].max())
row_sums = masked_weights.sum(axis=-1)
print(f"row sums: between {row_sums.min():.6f} and {row_sums.max():.6f}")

# %% [markdown]
# The padded columns of sentence 3 hold exactly 0.0 in every row, and so does
# every padded position of the batch: not a small number, zero. The layer puts the
# lowest float32 in place of a masked score before the softmax and then sets the
# masked weights to 0. Each row still sums to 1 over its real tokens. The test
# that matters: a sentence must get the same contexts alone as inside a padded
# batch. We compare sentence 3 alone (its 2 tokens, no padding) with its place in
# the batch, with and without the mask, and try a row where no token is real.

# %%
alone = attention(batch_query[3:4], batch_value[3:4, :2])  # no padding at all
alone = keras.ops.convert_to_numpy(alone)
unmasked_context = keras.ops.convert_to_numpy(batch_context)
print(
    "sentence 3 alone vs in the batch, with the mask:   ",
    float(np.abs(alone - masked_context[3:4]).max()),
)
print(
    "sentence 3 alone vs in the batch, without the mask:",
    float(np.abs(alone - unmasked_context[3:4]).max()),
)
no_token = np.zeros((1, source_length), dtype=bool)  # a row with nothing to attend
empty_context, empty_weights = attention(
    batch_query[:1], batch_value[:1], value_mask=no_token, return_attention_scores=True
)
print("weights when no token is real:", keras.ops.convert_to_numpy(empty_weights)[0, 0])
print("its context, largest |value|:", float(np.abs(empty_context).max()))

# %% [markdown]
# With the mask, sentence 3 gets the same contexts alone and in the batch (the
# difference is 0.0); without it they differ by up to 0.93, because the states at
# its padded positions got weight. A row whose mask is all False gets all-zero
# weights and a zero context, never NaN from `0 / 0`. One empty sentence in a
# batch is enough to produce such a row.
#
# ### Why `project_keys` and `attend` are separate
#
# At translation time the decoder produces one word at a time, so the layer is
# called once per step with a single query, `T = 1`. The keys do not change from
# step to step: `U_a h_i` is the same for all `t` output words, while `W_a s` is
# new every step. `BaseAttention` therefore splits its call in two public
# methods: `project_keys(key)` (step 0, once per sentence) and
# `attend(query, value, keys, value_mask)` (steps 1-4, every step). The decoder of
# lesson 3b uses them so. Stepping through the `T` queries one by one gives the
# same contexts as one call on all of them:

# %%
projected = attention.project_keys(batch_value)  # U_a h_i: (B, S, A), once
step_contexts = []
for step in range(target_length):
    step_context, _ = attention.attend(
        batch_query[:, step : step + 1], batch_value, projected, value_mask
    )  # (B, 1, Dv)
    step_contexts.append(keras.ops.convert_to_numpy(step_context))
stepwise = np.concatenate(step_contexts, axis=1)  # (B, T, Dv)
print(
    "max |step by step - all at once|:", float(np.abs(stepwise - masked_context).max())
)
once = source_length * value_dim * attention_units
print(
    f"U_a h_i costs {once:,} multiply-adds per sentence once; recomputed at each "
    f"of {target_length} steps it would cost {target_length * once:,}"
)

# %% [markdown]
# ## 4. Against Keras' `AdditiveAttention`
#
# Keras has a layer of the same name, `keras.layers.AdditiveAttention`. Its score
# is `Σ scale · tanh(q + k)`: no `W_a`, no `U_a`. It adds query and key as they
# are (so they must have the same width) and its `scale` vector plays the part of
# `v_a`. Our layer with `W_a = U_a =` the identity and `v_a =` Keras' `scale` is
# therefore the same function. We check it on a batch with the same padding,
# query and value both 4 wide.

# %%
width = 4
keras_query = random.normal(size=(batch_size, target_length, width)).astype("float32")
keras_value = random.normal(size=(batch_size, source_length, width)).astype("float32")
theirs = keras.layers.AdditiveAttention(use_scale=True)
# Keras 3.10 (the version on Colab) subtracts a (B, S) value mask from the
# (B, T, S) scores without adding the T axis, so the mask's B lines up with T:
# an error or silently wrong weights, depending on the sizes (when T == B, query
# t gets sentence t's mask). A (B, 1, S) mask is right on every version.
their_context, their_weights = theirs(
    [keras_query, keras_value],
    mask=[None, value_mask[:, None, :]],
    return_attention_scores=True,
)
ours = AdditiveAttention(width)
ours.build(keras_query.shape, keras_value.shape)
ours.query_projection.kernel.assign(np.eye(width))  # W_a = I
ours.key_projection.kernel.assign(np.eye(width))  # U_a = I
ours.score_vector.assign(theirs.scale)  # v_a = Keras' scale
our_context, our_weights = ours(
    keras_query, keras_value, value_mask=value_mask, return_attention_scores=True
)
to_numpy = keras.ops.convert_to_numpy
print(
    "max |ours - Keras|: weights",
    float(np.abs(to_numpy(our_weights) - to_numpy(their_weights)).max()),
    "context",
    float(np.abs(to_numpy(our_context) - to_numpy(their_context)).max()),
)
_, their_empty_weights = theirs(
    [keras_query[:1], keras_value[:1]],
    mask=[None, no_token[:, None, :]],
    return_attention_scores=True,
)
print("Keras' weights when no token is real:", to_numpy(their_empty_weights)[0, 0])

# %% [markdown]
# With identity projections the two layers agree to about 1e-7, float32 rounding:
# Keras' layer is the additive score without `W_a` and `U_a`. They differ on a
# row with no real token. Keras subtracts 1e9 from every masked score; when all of
# a row's scores are masked, subtracting the same number from each changes
# nothing, and the softmax spreads the weight evenly over the padding (1/6 each
# here). Its documentation asks for at least one True per row; ours returns zeros.
#
# Why keep `W_a` and `U_a`? Without them, the query and the key must have the
# same width and are compared coordinate by coordinate. In a translation model
# they come from different networks: the decoder's state and the encoder's
# states (twice as wide when the encoder is bidirectional). The projections let
# training choose the space in which the two are compared.
#
# ## 5. What attention costs
#
# Without attention, the encoder takes `m` steps and the decoder `t`: the work
# grows as `O(m + t)`. With attention, each of the `t` decoder steps scores all
# `m` encoder states, `m · t` scores in all, so the work grows as
# `O(m + m · t) = O(m · t)`. Translating 20 words into 20 words takes 400 scores,
# each a `tanh` over `A` hidden units; 40 words into 40 takes 1,600.
#
# `chapters/ch03_attention/cost.py` measures it. `attention_cost` runs the layer
# (compiled with `tf.function`, batch of 32, `A = 128`) on teacher-forced batches,
# all `T` queries at once, for every pair of the source lengths `S` and target
# lengths `T` given, and keeps the median time of several calls. For memory it
# reports the bytes of the two tensors the score creates, the `tanh` activations
# `(B, T, S, A)` and the weights `(B, T, S)`, computed from their shapes and dtype:
# TensorFlow on a CPU has no counter of peak memory, so this is not a measured
# peak, and it grows exactly with `S · T` by construction.

# %%
cost = attention_cost(cost_lengths, cost_lengths, repetitions=cost_repetitions)
print(f"batch {cost.batch_size}, A = {cost.units}, {cost.mode}")
print(cost.table())
fit = cost.fit()
print(
    f"time ≈ {fit.slope * 1e6:.2f} µs × S·T {fit.intercept * 1e3:+.2f} ms per call "
    f"(a batch of {cost.batch_size}), R² = {fit.r_squared:.3f}"
)
bytes_per_pair = np.unique(cost.score_tensor_bytes / cost.query_key_pairs)
print(
    f"score tensors: {bytes_per_pair.astype(int).tolist()} bytes per query-key "
    "pair in every row; "
    f"B × (A + 1) × 4 bytes = {cost.batch_size * (cost.units + 1) * 4}"
)

# %%
pairs = cost.query_key_pairs
line = np.linspace(0, pairs.max(), 50)
figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.scatter(pairs, cost.seconds * 1e3, label="measured (median)")
left.plot(
    line,
    (fit.slope * line + fit.intercept) * 1e3,
    color="gray",
    label=f"least-squares line, R² = {fit.r_squared:.3f}",
)
left.set_xlabel("query-key pairs S × T (per sentence)")
left.set_ylabel("time of one forward call (ms)")
left.set_title(f"Time, batch of {cost.batch_size}")
left.legend()
right.scatter(pairs, cost.score_tensor_bytes / 2**20, color="tab:orange")
right.set_xlabel("query-key pairs S × T (per sentence)")
right.set_ylabel("score tensors (MiB, from their shapes)")
right.set_title(f"Memory of (B, T, S, A) and (B, T, S), A = {cost.units}")
plt.tight_layout()
plt.show()

# %% [markdown]
# Time grows along a straight line in `S × T` (R² = 0.995): about 1.7 µs per
# query-key pair for the batch of 32, about 0.05 µs per pair and sentence, on top
# of about 0.75 ms that does not depend on `S × T`. Swapping the two lengths keeps
# the number of pairs, and roughly the time: 6.4 and 6.1 ms for 32 × 96 and
# 96 × 32, though 16 × 64 and 64 × 16 took 3.1 and 2.1 ms. At `S = T = 96` one
# call took 16 ms, and its score tensors hold 145 MiB: 16,512 bytes per pair,
# that is 32 sentences × (128 + 1) floats × 4 bytes. The `(B, T, S, A)`
# activations are 128 of those 129 parts: the width `A` of the score's hidden
# layer is what makes the additive score heavy in memory, and a dot-product score
# (chapter 4) needs no such tensor.
#
# The times depend on what else the CPU is doing: run this cell again and the
# slope will move, while the straight line in `S × T` should stay. The
# measurement covers attention alone: the encoder's and decoder's RNN steps, the
# `O(m + t)` part, come on top.
#
# ## Summary
#
# - Attention hands the decoder every encoder state. Before each word, the
#   decoder scores each state against its own state, turns the scores into
#   weights with a softmax over the source, and sums the states with those
#   weights: a context vector for that word alone.
# - The additive score is `e_i = v_a^T tanh(W_a s + U_a h_i)` (Bahdanau et al.,
#   2015); joining `[s; h_i]` and multiplying by one matrix is the same score. By
#   hand on 我 爱 你, the decoder state before "love" gave the weights 0.10,
#   0.70, 0.20, and a context close to the state of 爱.
# - `AdditiveAttention` (`BahdanauAttention`) reproduced those numbers to 6e-8.
#   It returns contexts `(B, T, Dv)` and weights `(B, T, S)`. Padded tokens get
#   exactly zero weight, so a sentence got the same contexts alone and in a
#   padded batch (difference 0.0; 0.93 without the mask), and a row with no real
#   token gets zero weights, not NaN.
# - `project_keys` once per sentence and `attend` at every step give what one
#   call gives: `U_a h_i` need not be recomputed at each output word.
# - Keras' `AdditiveAttention` is our layer with `W_a = U_a =` identity and
#   `v_a =` its `scale`: the two agreed to 1e-7. They differ on a row with no real
#   token (Keras spreads the weight over the padding). On Keras 3.10, give it a
#   value mask of shape `(B, 1, S)`.
# - Attention computes `m · t` scores for `m` source and `t` target tokens. Its
#   time grew in a straight line with `S × T` (R² = 0.995 here), and its score
#   tensors take 16,512 bytes per pair for a batch of 32 with `A = 128`, 145 MiB
#   at 96 × 96.
#
# Next (lesson 3b): the decoder that attends before every word it writes.
#
# ## Exercises
#
# Each exercise asks for a NumPy function for **one decoder step per sentence**:
# the query is `(B, Dq)`, with no `T` axis, unlike `numpy_attention` above. The
# checks call your function on small batches (different lengths, widths and
# padding in every sentence, scores near ±1000) and say what is wrong when it is.
# They pass copies of their arrays and fail if your function changes them in
# place: the caller's arrays must not be modified (write `x = x - m`, not
# `x -= m`). Worked solutions are in `solutions/ch03_solutions.py` (and its
# notebook); try first.
#
# **Exercise 1: the additive score.** Write `additive_scores(query, keys,
# query_weights, key_weights, score_vector)` with `query` `(B, Dq)` (one decoder
# state per sentence), `keys` `(B, S, Dk)`, `query_weights` `W_a` `(Dq, A)`,
# `key_weights` `U_a` `(Dk, A)` and `score_vector` `v_a` `(A,)`, returning the
# scores `(B, S)`, `e_bi = v_a^T tanh(W_a s_b + U_a h_bi)`: the raw scores, no
# softmax. `Dq` and `Dk` may differ.


# %%
def additive_scores(query, keys, query_weights, key_weights, score_vector):
    raise NotImplementedError  # your code here


exercises.check_additive_scores(additive_scores)

# %% [markdown]
# **Exercise 2: the masked softmax.** Write `masked_softmax(scores, mask)` with
# `scores` `(B, S)` and a boolean `mask` `(B, S)`, True at real tokens, returning
# weights `(B, S)`: a softmax over the source axis in which each row sums to 1
# over its real tokens, padding gets exactly 0 (not merely a small number), and a
# row with no real token at all gets all-zero weights (not NaN). Scores near ±1000
# must neither overflow nor underflow to 0 / 0.


# %%
def masked_softmax(scores, mask):
    raise NotImplementedError  # your code here


exercises.check_masked_softmax(masked_softmax)

# %% [markdown]
# **Exercise 3: the context vector.** Write `context_vector(weights, values)` with
# `weights` `(B, S)` (from exercise 2) and `values` `(B, S, D)`, returning the
# contexts `(B, D)`, `c_b = Σ_i α_bi h_bi`: each sentence's values weighted by its
# own row of weights and summed over the source axis.


# %%
def context_vector(weights, values):
    raise NotImplementedError  # your code here


exercises.check_context_vector(context_vector)

# %%
seconds = time.perf_counter() - lesson_started
print(
    "Key figure: before 'love', the weights on 我 爱 你 are "
    + ", ".join(f"{weight:.2f}" for weight in weights)
    + f"; attention time vs S×T fits a line with R² = {fit.r_squared:.3f} "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
