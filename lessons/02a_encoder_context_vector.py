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
# # Lesson 2a: the encoder and its context vector
#
# **Description:** the first half of a sequence-to-sequence (seq2seq) model. An
# RNN reads a Chinese sentence character by character; its last hidden state, the
# *context vector*, is all the decoder will ever learn about the sentence.
#
# **You will learn**
# - the encoder's steps: tokens → ids → embeddings → RNN → context vector;
# - the unrolled view: one RNN step per token, each taking the previous state;
# - why the context vector's size is the number of hidden units (doubled for a
#   bidirectional encoder), whatever the sentence's length;
# - why padded batches need a mask, and how to check that padding never leaks.
#
# **Time:** under a minute on a laptop CPU and on a Colab GPU (no training).

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

import matplotlib.pyplot as plt
import numpy as np

from chapters.ch02_encoder_decoder import Encoder, exercises
from chapters.common import fonts
from chapters.common.scales import current_scale, set_seed
from chapters.common.translation_data import tatoeba_data
from chapters.common.vocabulary import PAD_ID

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
print(
    f"scale {scale.name}: hidden_units={scale.hidden_units}, "
    f"embedding_dim={scale.embedding_dim}"
)

# %% [markdown]
# ## Data
#
# We translate Chinese into English (我爱你 → I love you, 欢迎来北京 → Welcome to
# Beijing). The
# Tatoeba corpus is split by a hash of the English sentence; the source
# vocabulary holds every Chinese character seen at least `min_token_count` times
# in the training split.

# %%
data = tatoeba_data(scale)
print({name: len(pairs) for name, pairs in data.splits.items()})
print("source vocabulary:", data.source_tokenizer.vocabulary_size, "characters")
print("target vocabulary:", data.target_tokenizer.vocabulary_size, "English words")

# %% [markdown]
# The encoder's first four steps happen before any neural network: split the
# sentence into tokens (one per Chinese character), look each token up in the
# vocabulary, and pad a batch to its longest sentence with `[PAD]` (id 0).

# %%
sentences = ["我爱你。", "欢迎来北京！", "我们明天去学校。"]
tokens = [data.source_tokenizer.tokenize(sentence) for sentence in sentences]
ids = [
    data.source_tokenizer.tokens_to_ids(sentence_tokens) for sentence_tokens in tokens
]
for sentence_tokens, sentence_ids in zip(tokens, ids, strict=True):
    print(sentence_tokens, "->", sentence_ids)
longest = max(len(sentence_ids) for sentence_ids in ids)
source_ids = np.array(
    [sentence_ids + [PAD_ID] * (longest - len(sentence_ids)) for sentence_ids in ids],
    dtype="int32",
)
print(source_ids)

# %% [markdown]
# ## Model
#
# `Encoder` embeds the ids and runs a GRU over them. It returns the hidden state
# at every step `(B, S, C)`, the final state, and the context vector `(B, C)`: the
# final hidden state. Its size `C` is a choice we make when building the model,
# the number of hidden units; it does not grow with the sentence.

# %%
encoder = Encoder(
    data.source_tokenizer.vocabulary_size,
    scale.embedding_dim,
    scale.hidden_units,
    name="encoder",
)
encoded = encoder(source_ids)
print("outputs     ", tuple(encoded["outputs"].shape), "(B, S, C)")
print("context     ", tuple(encoded["context"].shape), "(B, C)")
print("padding_mask", tuple(encoded["padding_mask"].shape), "(B, S)")

# %% [markdown]
# The same facts, independent of the scale (this cell's output is checked in CI):

# %%
# NBVAL_CHECK_OUTPUT
print("batch and length:", tuple(encoded["outputs"].shape[:2]))
print("context size == hidden units:", encoder.context_size == scale.hidden_units)
print("one context vector per sentence:", tuple(encoded["context"].shape[:1]))

# %% [markdown]
# ### The unrolled view
#
# An RNN is one cell applied again and again: at step `t` it takes the embedding
# of token `t` and the state from step `t - 1`, and returns the new state. Drawn
# once per step, it looks like a chain of copies of one cell sharing the same
# weights. We run the GRU cell ourselves, one character at a time, and compare
# with the layer: every intermediate state matches, and the last one *is* the
# context vector.

# %%
sentence = source_ids[1:2, : len(ids[1])]  # 欢迎来北京！ alone, no padding
embedded = encoder.embedding(sentence)  # (1, S, E)
state = np.zeros((1, scale.hidden_units), "float32")
states = []
for step in range(sentence.shape[1]):
    output, (state,) = encoder.rnn.cell(embedded[:, step], [state])
    states.append(np.asarray(state)[0])
    print(
        f"step {step}: read {tokens[1][step]!r}, "
        f"state[:4] = {np.round(states[-1][:4], 3)}"
    )
layer_outputs = encoder(sentence)["outputs"][0]
np.testing.assert_allclose(np.array(states), layer_outputs, atol=1e-5)
np.testing.assert_allclose(states[-1], encoder(sentence)["context"][0], atol=1e-5)
print("hand-unrolled states == layer outputs; last state == context vector")

# %% [markdown]
# Drawn as colours (brighter = larger), the states show the context vector being
# built up one character at a time. The weights are untrained here, so the
# numbers mean nothing yet; only the shapes matter.

# %%
figure, ax = plt.subplots(figsize=(8, 2.6))
ax.imshow(np.array(states)[:, :48], aspect="auto", cmap="viridis")
ax.set_yticks(range(len(tokens[1])), tokens[1])
ax.set_xlabel("first 48 of the hidden units")
ax.set_title("Encoder states, one row per character read; the last row is the context")
plt.show()

# %% [markdown]
# ### Padding must not leak into the context
#
# In a batch, 我爱你。 is padded to the length of the longest sentence. Without a
# mask the GRU would keep reading `[PAD]` embeddings after 。 and its final state
# would change. The encoder builds a mask (`True` at real tokens) and gives it to
# the GRU, which then carries the state over padded steps unchanged. Unlike the
# plain GRU of lesson 1b, which copies its last output into padded positions, the
# encoder's GRU writes zeros there (`zero_output_for_mask=True`): the outputs at
# padding must hold nothing that attention could later read. The context of a
# sentence is the same alone and inside a padded batch:

# %%
alone = encoder(source_ids[:1, : len(ids[0])])["context"]
in_batch = encoded["context"][:1]
print("max |difference| with the mask:   ", float(np.abs(alone - in_batch).max()))
unmasked_rnn = encoder.rnn  # the same weights, called without a mask
_, unmasked_state = unmasked_rnn(encoder.embedding(source_ids))[:2]
print(
    "max |difference| without the mask:",
    float(np.abs(alone - unmasked_state[:1]).max()),
)
padded_outputs = np.asarray(encoded["outputs"])[~np.asarray(encoded["padding_mask"])]
print("largest |output| at padded positions:", float(np.abs(padded_outputs).max()))

# %% [markdown]
# ### Bidirectional encoders
#
# A bidirectional encoder runs a second GRU from right to left and concatenates
# both: every output sees the whole sentence, and the context vector doubles.

# %%
bidirectional = Encoder(
    data.source_tokenizer.vocabulary_size,
    scale.embedding_dim,
    scale.hidden_units,
    bidirectional=True,
)
context_width = bidirectional(source_ids)["context"].shape[-1]
print(
    f"bidirectional context: {context_width} numbers, "
    f"2 x hidden units: {context_width == 2 * scale.hidden_units}"
)
lstm = Encoder(
    data.source_tokenizer.vocabulary_size,
    scale.embedding_dim,
    scale.hidden_units,
    cell_type="lstm",
)
print(
    "LSTM final states:", [tuple(s.shape) for s in lstm(source_ids)["states"]], "(h, c)"
)

# %% [markdown]
# ## Summary
#
# - The encoder turns a sentence of any length into a context vector of fixed size
#   (the number of hidden units): a lossy summary, whose cost on long sentences
#   Cho et al. (2014, "On the Properties of Neural Machine Translation:
#   Encoder-Decoder Approaches") measured; lesson 2d measures it here.
# - The RNN is one cell unrolled over time, sharing its weights between steps.
# - Masking makes the RNN skip padded steps; we checked that the context of a
#   sentence does not depend on the batch it sits in.
#
# Next (lesson 2b): the decoder that turns the context back into a sentence.
#
# ## Exercises
#
# **Exercise 1: one GRU step from its weights.** The unrolled view above called
# `encoder.rnn.cell`; write that cell yourself. `gru_step(inputs, state, kernel,
# recurrent_kernel, bias)` takes `x_t` `(B, F)`, `h_{t-1}` `(B, H)` and the
# weights of a `keras.layers.GRU` as `layer.get_weights()` returns them, and
# returns `h_t` `(B, H)`, in NumPy:
#
# - `kernel` `(F, 3H)` holds `W_z`, `W_r`, `W_h` side by side, in that order;
#   `recurrent_kernel` `(H, 3H)` holds `U_z`, `U_r`, `U_h`;
# - `bias` `(2, 3H)`: row 0 is added to the input products, row 1 to the
#   recurrent products;
# - Keras' default `reset_after=True` puts the reset gate *after* the recurrent
#   product: `h~ = tanh(x W_h + b_h + r * (h U_h + b'_h))`;
# - the update gate keeps the old state: `h_t = z * h_{t-1} + (1 - z) * h~`.
#
# The check compares your step with `keras.layers.GRU` on a batch of three.


# %%
def gru_step(inputs, state, kernel, recurrent_kernel, bias):
    raise NotImplementedError  # your code here


exercises.check_gru_step(gru_step)

# %% [markdown]
# Once it passes, unroll the encoder with it: start from
# `state = np.zeros((1, scale.hidden_units))` and, for every step of `sentence`,
# `state = gru_step(np.asarray(embedded[:, step]), state,
# *encoder.rnn.get_weights())`. The last state is the sentence's context vector,
# `encoder(sentence)["context"]`, to about 1e-6.

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: a {encoder.context_size}-number context vector summarises "
    f"sentences of every length (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
