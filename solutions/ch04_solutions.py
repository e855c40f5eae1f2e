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
# # Chapter 4 solutions: dot-product attention
#
# Worked solutions of the chapter 4 exercises, in the lessons' order (Luong's
# three scores, scaled dot-product attention, the causal mask, the combined
# masks, one step of Luong's decoder), each followed by its check. Try the
# exercise in its lesson first.

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

# %%
import numpy as np

from chapters.ch03_attention.numpy_attention import masked_softmax
from chapters.ch04_dot_product_attention import exercises

# %% [markdown]
# ## Lesson 04a: Luong's dot score
#
# Luong et al. (2015) compare the decoder's current state `h_t` with each encoder
# state `h̄_s` by their dot product, `score(h_t, h̄_s) = h_t · h̄_s`. The query
# `(B, D)` gets a source axis, `(B, 1, D)`, so that each sentence's query meets
# each of its own keys `(B, S, D)`; the sum runs over `D`.


# %%
def dot_score(query, keys):
    return (query[:, None, :] * keys).sum(axis=-1)  # (B, S)


exercises.check_dot_score(dot_score)

# %% [markdown]
# ## Lesson 04a: Luong's general score
#
# The general score puts a learned matrix between the two: `h_t · (W_a h̄_s)`.
# With row vectors `W_a` acts from the right, `keys @ key_weights`: `(B, S, D')`
# times `(D', D)` gives keys as wide as the query, and then it is the dot score.
# So the keys may have another width than the decoder state.


# %%
def general_score(query, keys, key_weights):
    return dot_score(query, keys @ key_weights)  # (B, S, D) against (B, D)


exercises.check_general_score(general_score)

# %% [markdown]
# ## Lesson 04a: Luong's concat score
#
# The concat score is chapter 3's small network on the concatenation `[h_t;
# h̄_s]`: `v_a · tanh([h_t; h̄_s] @ W_a)`. The query, repeated for every source
# token, goes first; `W_a` is `(D + D', A)` and `v_a` sums the `A` hidden units
# into one score per source token.


# %%
def concat_score(query, keys, concat_weights, score_vector):
    batch, source_length, _ = keys.shape
    repeated_query = np.broadcast_to(
        query[:, None, :], (batch, source_length, query.shape[-1])
    )  # (B, S, D)
    pairs = np.concatenate([repeated_query, keys], axis=-1)  # (B, S, D + D')
    return np.tanh(pairs @ concat_weights) @ score_vector  # (B, S)


exercises.check_concat_score(concat_score)

# %% [markdown]
# ## Lesson 04a: scaled dot-product attention
#
# Vaswani et al. (2017) keep the dot product and divide it by `√d_k`:
# `softmax(Q K^T / √d_k) V`. A dot product of `d_k` terms of variance 1 has
# variance `d_k`; divided by `√d_k` its spread is 1 again, and the softmax does
# not saturate as the width grows.
#
# 1. The scores: `query @ key^T`, where the transpose swaps only the last two
#    axes, `(B, S, d_k)` to `(B, d_k, S)`, and the batch axis stays first.
# 2. The weights: chapter 3's masked softmax over the keys, which gives a hidden
#    position exactly 0, subtracts each row's max (scores near ±1000 stay
#    finite), and gives zeros to a row with nothing to attend to. With
#    `mask=None` every key counts.
# 3. The output: the weighted sum of the values, `weights @ value`.


# %%
def scaled_dot_product_attention(query, key, value, mask=None):
    key_dim = query.shape[-1]
    # 1. The scores, scaled.
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(key_dim)  # (B, T, S)
    # 2. The weights over the keys.
    weights = masked_softmax(scores, mask)  # (B, T, S)
    # 3. The weighted sum of the values.
    return weights @ value, weights  # (B, T, d_v), (B, T, S)


exercises.check_scaled_dot_product_attention(scaled_dot_product_attention)

# %% [markdown]
# ## Lesson 04a: the causal mask
#
# Query `t` may see key `s` when `s <= t`: its own position and those before it.
# Comparing a column of query positions `(T, 1)` with a row of key positions
# `(1, T)` broadcasts into the `(T, T)` mask, True on and below the diagonal.
# (`np.tri(length, dtype=bool)` gives the same.)


# %%
def causal_mask(length):
    positions = np.arange(length)
    return positions[None, :] <= positions[:, None]  # (T, T)


exercises.check_causal_mask(causal_mask)

# %% [markdown]
# ## Lesson 04a: combining the padding and causal masks
#
# A position may be attended to when both masks allow it: the key is a real
# token, and it is not in the query's future. The padding mask marks keys, so it
# gets a query axis, `(B, 1, S)`; with the causal mask `(T, S)` the `&`
# broadcasts into one mask per sentence, `(B, T, S)`.


# %%
def combine_masks(padding_mask, causal):
    return padding_mask[:, None, :] & causal  # (B, T, S)


exercises.check_combine_masks(combine_masks)

# %% [markdown]
# ## Lesson 04b: one step of Luong's decoder
#
# The step as the lesson writes it for a SimpleRNN decoder, without input
# feeding:
#
# 1. The RNN reads the previous word's embedding: `h_t = tanh(x_t @ W + h_{t-1}
#    @ U + b)`.
# 2. The current state `h_t` (not `h_{t-1}`, as Bahdanau's decoder in chapter 3)
#    scores every encoder state with the dot score, and the masked softmax turns
#    the scores into the weights `α_t`.
# 3. The context is `c_t = Σ_s α_ts h̄_s`.
# 4. The attentional state `h̃_t = tanh([c_t; h_t] @ W_c)` goes to the output
#    layer; the next step's RNN continues from `h_t`.


# %%
def luong_decoder_step(
    embedding,
    previous_state,
    encoder_states,
    mask,
    rnn_kernel,
    rnn_recurrent_kernel,
    rnn_bias,
    combine_weights,
):
    # 1. The RNN step.
    state = np.tanh(
        embedding @ rnn_kernel + previous_state @ rnn_recurrent_kernel + rnn_bias
    )  # (B, H)
    # 2. The current state's weights over the source.
    weights = masked_softmax(dot_score(state, encoder_states), mask)  # (B, S)
    # 3. The context.
    context = (weights[:, :, None] * encoder_states).sum(axis=1)  # (B, D)
    # 4. The attentional state, the context first.
    combined = np.concatenate([context, state], axis=-1)  # (B, D + H)
    attentional_state = np.tanh(combined @ combine_weights)  # (B, H)
    return state, attentional_state, weights


exercises.check_luong_decoder_step(luong_decoder_step)
