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
# # Lesson 5b: self-attention by hand, and the blocks around it
#
# **Description:** the attention models of chapters 3 and 4 left three things to
# the RNN. The encoder related the words of a sentence to each other only
# through a state passed along one step at a time, so two words far apart met
# only after many steps; the RNN made the computation sequential, position after
# position, in training as in translation; and position was implicit in that
# order. Lesson 5a rebuilt position with the positional encoding. This lesson
# builds the rest: self-attention, in which every token of a sentence attends to
# every other of the same sentence in one step, computed here by hand; the
# residual connection and layer normalization around it (and precisely what
# layer normalization normalizes); the feed-forward block; the encoder block
# that stacks them; and the decoder block, whose masks keep each position from
# reading the future.
#
# **You will learn**
# - self-attention with `W_Q`, `W_K`, `W_V` on a three-token sentence, number by
#   number, and that our layer computes the same;
# - what layer normalization normalizes (each token's vector, over its features)
#   and what it leaves alone, against batch normalization;
# - that the feed-forward block treats every position alone, with the same
#   weights;
# - the encoder block as `norm(x + sublayer(x))` twice, rebuilt from its own
#   parts; post-norm and pre-norm;
# - the decoder block's causal and padding masks, and that a later token cannot
#   change an earlier position's output.
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

from chapters.ch04_dot_product_attention import ScaledDotProductAttention
from chapters.ch05_transformer import (
    DecoderBlock,
    EncoderBlock,
    FeedForward,
    exercises,
)
from chapters.common.fonts import use_cjk_font
from chapters.common.masks import causal_mask, combine_masks, padding_mask
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
use_cjk_font()
to_numpy = keras.ops.convert_to_numpy
np.set_printoptions(precision=3, suppress=True)
print(f"scale {scale.name}")

# %% [markdown]
# ## Self-attention by hand
#
# Take the sentence 我 爱 你 ("I love you") with made-up 4-wide embeddings `X`,
# one row per token. Self-attention gives each token three vectors, by three
# learned matrices: a **query** `q_t = x_t W_Q` (what this token looks for), a
# **key** `k_t = x_t W_K` (what it offers to be found by) and a **value**
# `v_t = x_t W_V` (what it passes on when found). Token `t`'s output is the
# average of all the values, weighted by `softmax_s(q_t · k_s / √d_k)`: the
# scaled dot product of chapter 4, with queries, keys and values all taken from
# the same sentence. We pick small whole numbers so that every step can be
# followed by eye, with `d_k = 2`.

# %%
tokens = ["我", "爱", "你"]
X = np.array(
    [
        [1.0, 0.0, 1.0, 0.0],  # 我
        [0.0, 2.0, 0.0, 1.0],  # 爱
        [1.0, 1.0, 0.0, 0.0],  # 你
    ]
)
W_Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
W_K = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
W_V = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])

Q, K, V = X @ W_Q, X @ W_K, X @ W_V
print("Q = X W_Q:\n", Q, "\nK = X W_K:\n", K, "\nV = X W_V:\n", V)
scores = Q @ K.T / np.sqrt(2)  # (3, 3): row t = query t against every key
weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
outputs = weights @ V
print("scores Q K^T / √2 (rows: queries, columns: keys):\n", scores)
print("weights, each row a softmax:\n", weights)
print("outputs = weights V:\n", outputs)

# %% [markdown]
# Follow 我 (row 0). Its query `q = [2, 0]` meets the keys `[1, 2]`, `[2, 1]`,
# `[1, 1]` with dot products 2, 4, 2, divided by `√2`: 1.414, 2.828, 1.414. The
# softmax turns them into 0.164, 0.673, 0.164, so 我 takes two thirds of its
# output from 爱's value `[1, 3]`: `0.164·[3, 0] + 0.673·[1, 3] + 0.164·[1, 1] =
# [1.327, 2.182]`. 你, whose query `[1, 1]` scores 我 and 爱 alike, splits its
# weight between them, 0.401 each.
#
# **The same with our layer.** Chapter 4's `ScaledDotProductAttention` with
# `use_projections=True` is exactly this: one head with its own `W_Q`, `W_K`,
# `W_V` (Dense layers without bias). We put the three matrices in and call it
# with the sentence as query and value.

# %%
one_head = ScaledDotProductAttention(use_projections=True, key_dim=2)
one_head.build((None, 3, 4), (None, 3, 4))
one_head.query_projection.set_weights([W_Q])
one_head.key_projection.set_weights([W_K])
one_head.value_projection.set_weights([W_V])
layer_outputs, layer_weights = one_head(
    X[None].astype("float32"), X[None].astype("float32"), return_attention_scores=True
)
print(
    f"max |layer - by hand|: outputs "
    f"{np.abs(to_numpy(layer_outputs)[0] - outputs).max():.1e}, weights "
    f"{np.abs(to_numpy(layer_weights)[0] - weights).max():.1e}"
)

# %% [markdown]
# The layer gives the hand-computed outputs to 9.2e-08 and the weights to 1.3e-08,
# float32 rounding.
#
# Every token reached every other in that one step: 我 and 你 are related
# directly, however many tokens lie between them, and all three rows were
# computed at once, by one matrix product. An RNN needs `T` steps, one after the
# other, before the first and the last token have met.
#
# ## The residual connection and layer normalization
#
# Each sublayer of a Transformer block is wrapped the same way:
#
#     x = LayerNorm(x + Sublayer(x))
#
# The **residual connection** `x + Sublayer(x)` lets the sublayer learn a
# correction to `x` rather than a replacement, and gives the gradient a path
# that skips the sublayer. **Layer normalization** then takes *each token's
# vector on its own* and, over its `d_model` features, subtracts their mean and
# divides by their standard deviation; a learned gain and bias per feature
# follow (1 and 0 before training). It never mixes tokens, sentences or batch
# entries. Batch normalization does the opposite: it normalizes each *feature*
# over the whole batch, so one token's result depends on every other sentence
# in the batch. We check both claims: by hand, and by changing another
# sentence of the batch.

# %%
random = np.random.default_rng(0)
batch = random.normal(loc=3.0, scale=2.0, size=(2, 3, 4)).astype("float32")  # B, T, D
layer_norm = keras.layers.LayerNormalization(epsilon=1e-6)
normalized = to_numpy(layer_norm(batch))
mean = batch.mean(axis=-1, keepdims=True)  # over the features of each token
by_hand = (batch - mean) / np.sqrt(batch.var(axis=-1, keepdims=True) + 1e-6)
print(f"max |LayerNormalization - by hand|: {np.abs(normalized - by_hand).max():.1e}")
print("each token's mean over its features:\n", normalized.mean(axis=-1))
print("each token's standard deviation:\n", normalized.std(axis=-1))

changed = batch.copy()
changed[1] += 10.0  # another sentence of the batch
batch_norm = keras.layers.BatchNormalization()
layer_change = np.abs(to_numpy(layer_norm(changed))[0] - normalized[0]).max()
before = to_numpy(batch_norm(batch, training=True))[0]
batch_change = np.abs(to_numpy(batch_norm(changed, training=True))[0] - before).max()
print(
    f"sentence 0 after changing sentence 1: layer norm moves it by "
    f"{layer_change:.1e}, batch norm by {batch_change:.2f}"
)

# %% [markdown]
# Keras' `LayerNormalization` is the formula to 2.4e-07; every token's vector
# has mean 0 and standard deviation 1 over its 4 features. Adding 10 to every
# number of sentence 1 leaves sentence 0's layer-normalized vectors exactly as
# they were (a change of 0.0), while batch normalization, in training mode,
# moves them by up to 2.05: its statistics are taken over the batch.
#
# ## The feed-forward block
#
# After attention has mixed information *between* positions, the feed-forward
# block transforms each position *on its own*: `Dense(d_ff, relu)` then
# `Dense(d_model)`, the same two matrices at every position (the paper calls it
# two convolutions with kernel size 1). Applying it to a whole sentence or to
# one position alone gives the same row.

# %%
feed_forward = FeedForward(d_model=8, d_ff=32)
sentence = random.normal(size=(1, 5, 8)).astype("float32")
whole = to_numpy(feed_forward(sentence))
alone = to_numpy(feed_forward(sentence[:, 3:4]))  # position 3 by itself
print(
    f"max |position 3 in the sentence - alone|: {np.abs(whole[:, 3:4] - alone).max()}"
)
print(
    "parameters:",
    feed_forward.count_params(),
    "= 8·32 + 32 + 32·8 + 8 =",
    8 * 32 + 32 + 32 * 8 + 8,
)

# %% [markdown]
# Position 3 gives the same numbers in the sentence and alone (difference 0.0),
# and the block has 552 parameters, `8·32 + 32 + 32·8 + 8`, whatever the
# sentence length.
#
# ## The encoder block
#
# An encoder block is self-attention then the feed-forward block, each in its
# residual-and-norm wrapper. Our `EncoderBlock` holds the four parts under the
# names `self_attention`, `attention_norm`, `feed_forward` and
# `feed_forward_norm`; we rebuild its output from them, with dropout off (it is
# only active in training), and pad the second sentence so that the padding
# mask is used too.

# %%
encoder_block = EncoderBlock(d_model=8, num_heads=2, d_ff=32)
source = random.normal(size=(2, 5, 8)).astype("float32")
source_mask = np.array([[True] * 5, [True, True, True, False, False]])
block_output = to_numpy(encoder_block(source, padding_mask=source_mask))

attended = encoder_block.self_attention(source, source, value_mask=source_mask)
h = encoder_block.attention_norm(source + attended)
rebuilt = to_numpy(encoder_block.feed_forward_norm(h + encoder_block.feed_forward(h)))
rebuilt_difference = np.abs(block_output - rebuilt).max()
print(f"max |EncoderBlock - rebuilt from its parts|: {rebuilt_difference}")

pre_norm = EncoderBlock(d_model=8, num_heads=2, d_ff=32, norm_first=True)
pre_norm.build(source.shape)
pre_norm.set_weights(encoder_block.get_weights())
difference = np.abs(to_numpy(pre_norm(source, padding_mask=source_mask)) - block_output)
print(f"same weights, pre-norm instead: outputs differ by up to {difference.max():.2f}")

# %% [markdown]
# Rebuilt from its parts, the block's output is identical (difference 0.0):
# `h = attention_norm(x + self_attention(x))`, then
# `feed_forward_norm(h + feed_forward(h))`.
#
# **Post-norm and pre-norm.** The paper puts the norm after the residual sum
# (post-norm). Many later models put it before the sublayer, `x + Sublayer(
# LayerNorm(x))` (pre-norm): the residual path is then never normalized, which
# tends to make deep stacks train more stably, and the stack needs one final
# norm. `EncoderBlock(norm_first=True)` is that variant; with the same weights it
# computes something else, as the last line shows.
#
# ## The decoder block and its masks
#
# The decoder block has three sublayers: **causal self-attention** over the
# target written so far, **cross-attention** whose queries are the target
# positions and whose keys and values are the encoder's outputs, and the
# feed-forward block. Its self-attention needs two masks at once: the causal
# mask (position `t` may read positions `s <= t`, so that in training, where all
# positions are computed together, no position reads the token it is to
# predict) and the padding mask of the target. Here they are for a batch of two
# target sentences, the second padded after three tokens.

# %%
target_ids = np.array([[2, 14, 9, 21, 7, 3], [2, 11, 3, 0, 0, 0]])  # 0 = padding
length = target_ids.shape[1]
self_mask = to_numpy(
    combine_masks(causal_mask(length)[None], padding_mask(target_ids)[:, None, :])
)
print("mask", self_mask.shape, "(B, T queries, T keys)")
figure, axes = plt.subplots(1, 2, figsize=(8, 3.5), layout="constrained")
for row, axis in enumerate(axes):
    axis.imshow(self_mask[row], cmap="Greens", vmin=0, vmax=1.5)
    axis.set(
        title=f"sentence {row}: may attend",
        xlabel="key position s",
        ylabel="query position t",
        xticks=range(length),
        yticks=range(length),
    )
plt.show()

# %% [markdown]
# Sentence 0 has the lower triangle: row `t` may read keys `0 … t`. Sentence 1
# has the same triangle cut off after its third column: no query reads the
# padded keys 3-5. (Rows 3-5 of sentence 1 are padding queries; what they
# compute is never used, as the loss and the search ignore padding positions.)
#
# **A later token cannot change an earlier position.** We run a `DecoderBlock` on
# the target, change the token at position 3 (its vector), and run it again:
# positions 0-2 must give exactly the same outputs, positions 3-5 may not.
# Cross-attention reads the (padded) encoder outputs of the block above; the
# weights it puts on the source's padding are returned too.

# %%
decoder_block = DecoderBlock(d_model=8, num_heads=2, d_ff=32)
target = random.normal(size=(2, length, 8)).astype("float32")
target_mask = padding_mask(target_ids)
before = to_numpy(decoder_block(target, source, target_mask, source_mask))
target_changed = target.copy()
target_changed[:, 3] += 5.0
after = to_numpy(decoder_block(target_changed, source, target_mask, source_mask))
change_per_position = np.abs(after - before).max(axis=(0, 2))
print("largest change at each target position:", change_per_position)

_, cross_weights = decoder_block.cross_attention(
    target, source, value_mask=source_mask, return_attention_scores=True
)
cross_weights = to_numpy(cross_weights)
print("cross-attention weights", cross_weights.shape, "(B, h, T, S)")
print(
    "largest weight on sentence 1's padded source positions 3-4:",
    cross_weights[1, :, :, 3:].max(),
)

# %% [markdown]
# Changing the vector at position 3 changed the outputs at positions 3, 4 and
# 5 (by up to 0.93, 2.36, 1.86) and left positions 0, 1 and 2 exactly as they
# were (0.0): the causal mask holds through the whole block. Cross-attention
# weights have shape `(B, h, T, S)` = (2, 2, 6, 5), and on sentence 1's padded
# source positions they are exactly 0.
#
# ## Summary
#
# - Self-attention: `q_t = x_t W_Q`, `k_t = x_t W_K`, `v_t = x_t W_V`, and
#   token `t`'s output `Σ_s softmax_s(q_t · k_s / √d_k) v_s`. Every token meets
#   every other in one step, and all positions are computed at once; our layer
#   matches the hand computation to 9.2e-08.
# - Layer normalization normalizes each token's vector over its features (mean
#   0, standard deviation 1, then a learned gain and bias); other tokens and
#   other sentences do not affect it, unlike batch normalization.
# - The feed-forward block, `Dense(d_ff, relu)` then `Dense(d_model)`, is the
#   same at every position and treats each alone.
# - An encoder block is `norm(x + sublayer(x))` twice, self-attention then
#   feed-forward; pre-norm moves the norm inside the residual.
# - The decoder's self-attention combines the causal mask and the target's
#   padding mask; a later token cannot change an earlier position.
#
# ## Exercises
#
# The worked solutions are in `solutions/ch05_solutions.py`.
#
# **Exercise 2: splitting and merging heads.** Multi-head attention folds its
# heads into the batch (lesson 5a). Write `split_heads(x, num_heads)`, from
# `(B, T, h·d)` to `(B·h, T, d)` with sentence `b`'s head `j` in row `b·h + j`
# holding columns `j·d … (j+1)·d - 1`, and `merge_heads(heads, num_heads)`, its
# inverse, in NumPy.


# %%
def split_heads_exercise(x, num_heads):
    raise NotImplementedError  # your code here


def merge_heads_exercise(heads, num_heads):
    raise NotImplementedError  # your code here


exercises.check_split_and_merge_heads(split_heads_exercise, merge_heads_exercise)

# %% [markdown]
# **Exercise 3: the decoder's self-attention mask.** Write
# `decoder_mask(target_ids)`: for right-padded target ids `(B, T)` (padding is
# id 0), a boolean `(B, T, T)` mask, True where query position `t` of sentence
# `b` may attend to key position `s`.


# %%
def decoder_mask_exercise(target_ids):
    raise NotImplementedError  # your code here


exercises.check_decoder_mask(decoder_mask_exercise)

# %% [markdown]
# **Exercise 4: the encoder block.** Write the paper's post-norm encoder block
# from its four parts, given as functions of a `(B, T, D)` array:
# `encoder_block(x, self_attention, feed_forward, attention_norm,
# feed_forward_norm)`.


# %%
def encoder_block_exercise(
    x, self_attention, feed_forward, attention_norm, feed_forward_norm
):
    raise NotImplementedError  # your code here


exercises.check_encoder_block(encoder_block_exercise)

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: self-attention by hand vs our layer: max difference "
    f"{np.abs(to_numpy(layer_outputs)[0] - outputs).max():.1e} "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
