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
# # Chapter 3 solutions: additive attention
#
# Worked solutions of the chapter 3 exercises, in the lessons' order (the score,
# the masked softmax, the context vector, one decoder step, reading a heatmap),
# each followed by its check. Try the exercise in its lesson first.

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

from chapters.ch03_attention import exercises

# %% [markdown]
# ## Lesson 03a: the additive score
#
# Bahdanau et al. (2015) score the decoder state `s` against each encoder state
# `h_i` with a small network of one hidden layer: `e_i = v_a^T tanh(W_a s + U_a
# h_i)`. With row vectors the weights act from the right: `s @ W_a` is `(B, A)`
# and `h @ U_a` is `(B, S, A)`. The query's projection gets a source axis,
# `(B, 1, A)`, so that each sentence's query adds to each of its own keys; then
# `tanh`, and `@ v_a` sums the `A` hidden units into one score per source token.


# %%
def additive_scores(query, keys, query_weights, key_weights, score_vector):
    projected_query = query @ query_weights  # (B, A)
    projected_keys = keys @ key_weights  # (B, S, A)
    hidden = np.tanh(projected_query[:, None, :] + projected_keys)  # (B, S, A)
    return hidden @ score_vector  # (B, S)


exercises.check_additive_scores(additive_scores)

# %% [markdown]
# ## Lesson 03a: the masked softmax
#
# Padding scores become `-inf`, so that `exp` gives them exactly 0. Each row's
# max over its real tokens is subtracted before `exp` (the softmax does not
# change, and `exp` never overflows). A row with no real token has a max of
# `-inf`: it subtracts 0 instead, and its sum of 0 is not divided by, so its
# weights stay 0 rather than NaN, as `keras.layers.Softmax` gives with a mask.
# `np.where` makes a new array: the caller's scores stay as they are.


# %%
def masked_softmax(scores, mask):
    masked_scores = np.where(mask, scores, -np.inf)  # (B, S)
    row_max = masked_scores.max(axis=-1, keepdims=True)  # (B, 1)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exponentials = np.exp(masked_scores - row_max)  # 0 at padding
    totals = exponentials.sum(axis=-1, keepdims=True)  # (B, 1)
    return exponentials / np.where(totals > 0, totals, 1.0)  # (B, S)


exercises.check_masked_softmax(masked_softmax)

# %% [markdown]
# ## Lesson 03a: the context vector
#
# `c = Σ_i α_i h_i`: each encoder state times its weight, summed over the source
# axis. The weights get a feature axis, `(B, S, 1)`, to scale each state `(B, S,
# D)`. (`np.einsum("bs,bsd->bd", weights, values)` says the same in one line.)


# %%
def context_vector(weights, values):
    return (weights[:, :, None] * values).sum(axis=1)  # (B, D)


exercises.check_context_vector(context_vector)

# %% [markdown]
# ## Lesson 03b: one step of the attention decoder
#
# The step as the lesson writes it for a SimpleRNN decoder:
#
# 1. The RNN reads the previous word's embedding and the previous context beside
#    its previous state: `s_t = tanh([x_t; c_{t-1}; s_{t-1}] @ A + b)`, with `A`
#    of shape `(E + D + H, H)`.
# 2. The new state scores every encoder state, and the masked softmax turns the
#    scores into the weights `α_t`.
# 3. The new context is `c_t = Σ_i α_ti h_i`; the next step feeds it to its RNN.
#
# The three functions above do steps 2 and 3.


# %%
def attention_decoder_step(
    previous_embedding,
    previous_state,
    previous_context,
    encoder_states,
    mask,
    rnn_kernel,
    rnn_bias,
    query_weights,
    key_weights,
    score_vector,
):
    # 1. The RNN step, on [x_t; c_{t-1}; s_{t-1}]: (B, E + D + H).
    rnn_input = np.concatenate(
        [previous_embedding, previous_context, previous_state], axis=-1
    )
    state = np.tanh(rnn_input @ rnn_kernel + rnn_bias)  # (B, H)
    # 2. The new state's weights over the source.
    scores = additive_scores(
        state, encoder_states, query_weights, key_weights, score_vector
    )  # (B, S)
    weights = masked_softmax(scores, mask)  # (B, S)
    # 3. The new context.
    context = context_vector(weights, encoder_states)  # (B, D)
    return state, context, weights


exercises.check_attention_decoder_step(attention_decoder_step)

# %% [markdown]
# ## Lesson 03c: reading a heatmap
#
# Row `t` of the weights is what target token `t` attended to; the column with
# its largest weight is the source token it attends to most. `np.argmax` along
# each row (`axis=-1`) finds that column, and on a tie it gives the first
# (leftmost) one.


# %%
def read_heatmap(weights, source_tokens, target_tokens):
    columns = np.argmax(weights, axis=-1)  # (T,)
    return [
        (target_token, source_tokens[column])
        for target_token, column in zip(target_tokens, columns, strict=True)
    ]


exercises.check_read_heatmap(read_heatmap)
