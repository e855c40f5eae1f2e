# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1b: one RNN step, by hand and in Keras
#
# **Description:** compute one step of a recurrent network with NumPy, check
# it against Keras' `SimpleRNN` and `GRU` to the last digit, then run whole
# sequences and see exactly what `return_sequences` and `return_state` give back.
#
# **You will learn**
# - that an RNN step takes two inputs, one element of the sequence and the
#   previous hidden state, and returns the new hidden state;
# - the SimpleRNN and GRU update formulas, in the weight layout Keras uses;
# - what `return_sequences=True` and `return_state=True` return, and their shapes;
# - why the final state is a summary of the sequence whose size is the number
#   of hidden units, and how masking keeps padding out of it.
#
# **Time:** under a minute on a laptop CPU and on a Colab GPU (nothing is trained).

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
import os

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch01_sequence_tasks import (
    exercises,
    gru_step,
    rnn_outputs,
    run_steps,
    simple_rnn_step,
)
from chapters.common import fonts, sampling, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import tokenize_chinese
from chapters.common.vocabulary import Vocabulary

scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
print("Scale:", scale.name, "| GPU:", tf.config.list_physical_devices("GPU") or "none")

# %% [markdown]
# ## Data
#
# Small random numbers are enough to check arithmetic: a batch of `B = 2`
# sequences, each `S = 5` steps long, each element a vector of `F = 3`
# features (in a language model, an element is a token's embedding). The
# network keeps `H = 4` hidden units.

# %%
batch_size, steps, features, hidden_units = 2, 5, 3, 4
rng = np.random.default_rng(0)
inputs = rng.normal(size=(batch_size, steps, features)).astype("float32")  # (B, S, F)
print("inputs:", inputs.shape)

# %% [markdown]
# ## One step of a SimpleRNN
#
# At step t the network receives **two inputs**: the element `x_t` (shape
# `(B, F)`) and its own hidden state from the step before, `h_{t-1}` (shape
# `(B, H)`). It mixes them with two weight matrices and squashes the sum:
#
# $$h_t = \tanh(x_t W + h_{t-1} U + b)$$
#
# `W` is `(F, H)` (Keras calls it `kernel`), `U` is `(H, H)`
# (`recurrent_kernel`), `b` is `(H,)`. The same weights serve every step; only
# the state changes. For a SimpleRNN the step's output *is* the new state.
#
# We take the weights from a Keras layer, so both sides use the same numbers.

# %%
keras_rnn = keras.layers.SimpleRNN(
    hidden_units, return_sequences=True, return_state=True
)
keras_rnn.build(inputs.shape)
kernel, recurrent_kernel, bias = keras_rnn.get_weights()
bias = rng.normal(size=bias.shape).astype("float32")  # Keras starts b at 0.
keras_rnn.set_weights([kernel, recurrent_kernel, bias])
print("W:", kernel.shape, " U:", recurrent_kernel.shape, " b:", bias.shape)

x_1 = inputs[:, 0]  # (B, F): the first element of each sequence
h_0 = np.zeros((batch_size, hidden_units), dtype="float32")  # (B, H)
h_1 = np.tanh(x_1 @ kernel + h_0 @ recurrent_kernel + bias)  # (B, H)
print("x_1:", x_1.shape, "+ h_0:", h_0.shape, "-> h_1:", h_1.shape)

# %% [markdown]
# Keras on a one-step sequence, from the same initial state:

# %%
keras_sequences, keras_state = keras_rnn(inputs[:, :1], initial_state=h_0)
print("max |NumPy - Keras| after one step:", float(np.abs(h_1 - keras_state).max()))

# %% [markdown]
# ## A whole sequence: the same step, again and again
#
# Running a sequence is a loop: the state that comes out of step t goes into
# step t+1. `run_steps` in the chapter package is that loop (with masking,
# below); `simple_rnn_step` is the formula above with shape checks.

# %%
state = h_0
by_hand = []
for t in range(steps):
    state = np.tanh(inputs[:, t] @ kernel + state @ recurrent_kernel + bias)
    by_hand.append(state)
by_hand = np.stack(by_hand, axis=1)  # (B, S, H)

keras_sequences, keras_state = keras_rnn(inputs, initial_state=h_0)
package_sequences, package_state = run_steps(
    simple_rnn_step, inputs, h_0, [kernel, recurrent_kernel, bias]
)
print(
    "all steps, NumPy loop vs Keras:    ",
    float(np.abs(by_hand - keras_sequences).max()),
)
print(
    "all steps, run_steps vs Keras:     ",
    float(np.abs(package_sequences - keras_sequences).max()),
)

# %% [markdown]
# ## One step of a GRU
#
# A SimpleRNN rewrites its whole state at every step, which makes it forget
# quickly. A GRU (Cho et al., 2014) adds two gates, numbers between 0 and 1
# computed from the same two inputs: the update gate `z` decides how much of
# the old state to keep, the reset gate `r` how much of it the candidate sees.
#
# $$z = \sigma(x_t W_z + h_{t-1} U_z + b_z)$$
# $$r = \sigma(x_t W_r + h_{t-1} U_r + b_r)$$
# $$\tilde h = \tanh\big(x_t W_h + b_h + r \odot (h_{t-1} U_h + b'_h)\big)$$
# $$h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h$$
#
# Keras stores the three `W`s side by side in one `(F, 3H)` kernel, the three
# `U`s in one `(H, 3H)` recurrent kernel, and two bias rows `(2, 3H)`, one for
# the input side (`b`) and one for the state side (`b'`), which is what the
# default `reset_after=True` needs; in `z` and `r` the two simply add up.
# `gru_step` reads that layout.

# %%
keras_gru = keras.layers.GRU(hidden_units, return_sequences=True, return_state=True)
keras_gru.build(inputs.shape)
gru_weights = keras_gru.get_weights()
gru_weights[2] = rng.normal(size=gru_weights[2].shape).astype("float32")
keras_gru.set_weights(gru_weights)
print("GRU weights:", [w.shape for w in gru_weights])
h_1 = gru_step(inputs[:, 0], h_0, *gru_weights)
_, keras_state = keras_gru(inputs[:, :1], initial_state=h_0)
print("one GRU step, NumPy vs Keras:", float(np.abs(h_1 - keras_state).max()))
gru_sequences, gru_state = run_steps(gru_step, inputs, h_0, gru_weights)
keras_sequences, keras_state = keras_gru(inputs, initial_state=h_0)
print(
    "all GRU steps, NumPy vs Keras:",
    float(np.abs(gru_sequences - keras_sequences).max()),
)

# %% [markdown]
# ## What a recurrent layer gives back
#
# A recurrent layer computes a state at every step. Two switches choose what
# it returns:
#
# - `return_sequences=False` (the default): only the last step's output,
#   `(B, H)`. `True`: every step's output, `(B, S, H)`: what an N→N tagger
#   and, later, attention need.
# - `return_state=True`: also the final state(s), to start another RNN from
#   (an encoder hands its state to a decoder this way). A GRU or SimpleRNN
#   has one state, equal to its last output; an LSTM has two, its output `h` and
#   its memory cell (Keras: `state_h` and `state_c`). In this course the letter
#   `c` always means the context vector, so we call the LSTM's second state the
#   cell state and never `c`.
#
# `rnn_outputs` calls a layer and names what comes back:

# %%
# NBVAL_CHECK_OUTPUT
for layer_class in (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM):
    for return_sequences in (False, True):
        for return_state in (False, True):
            layer = layer_class(
                hidden_units,
                return_sequences=return_sequences,
                return_state=return_state,
            )
            shapes = {
                name: value.shape for name, value in rnn_outputs(layer, inputs).items()
            }
            settings = f"sequences={return_sequences!s:5} state={return_state!s:5}"
            print(f"{layer_class.__name__:9} {settings} -> {shapes}")

# %% [markdown]
# The last output and the final state are the same numbers for a GRU:

# %%
outputs = rnn_outputs(keras_gru, inputs)
print(np.allclose(outputs["sequences"][:, -1], outputs["state"]))

# %% [markdown]
# ## The final state summarises the sequence; its size is the number of units
#
# However long the sequence, the final state has `hidden_units` numbers: the
# network must squeeze everything it needs from the sequence into them. This
# is the "context vector" an encoder hands to a decoder; its size is the one
# knob we set (256, 512 or 1024 units are common in real systems).

# %%
# NBVAL_CHECK_OUTPUT
for units in (4, 16, 256):
    for length in (3, 30):
        sequence = rng.normal(size=(1, length, features)).astype("float32")
        final_state = keras.layers.GRU(units)(sequence)
        print(
            f"{length:2} steps, {units:3} units -> final state",
            tuple(final_state.shape),
        )

# %% [markdown]
# ## Padding and the final state
#
# With a mask, a recurrent layer skips the padded steps: it carries the state
# over unchanged, so the final state is the state at the last real step.
# `sequences[:, -1]` then repeats that step's output too (Keras copies the
# last output into padded positions); exercise 2 picks the last real output
# without relying on that. This copying is Keras' default; chapter 2's encoder
# turns it off (`zero_output_for_mask=True`), so that its outputs are zero at
# padded positions and attention (chapter 3) finds nothing there to read.

# %%
mask = np.array([[True, True, True, False, False], [True] * 5])
masked = rnn_outputs(keras_gru, inputs, mask=mask)
short = rnn_outputs(keras_gru, inputs[:1, :3])
print(
    "row 0: final state == state after its 3 real steps:",
    np.allclose(masked["state"][0], short["state"][0], atol=1e-6),
)
numpy_sequences, numpy_state = run_steps(gru_step, inputs, h_0, gru_weights, mask)
masked_difference = float(np.abs(numpy_state - masked["state"]).max())
print("masked run_steps vs Keras:", masked_difference)
print(f"Key figure: NumPy GRU vs Keras {masked_difference:.1e}, scale {scale.name}")

# %% [markdown]
# ## A real sentence, step by step
#
# Back to lesson 1a's sentence. Below, the state of a (still untrained) GRU
# after each character: every column is computed from the column before it
# and the character below it. The last column is the summary `c`.

# %%
corpus = tatoeba.load_corpus_or_toy()
train_pairs = sampling.seeded_sample(
    tatoeba.split_corpus(corpus)["train"], scale.tatoeba_train_pairs
)
vocabulary = Vocabulary.build([tokenize_chinese(p.chinese) for p in train_pairs])
sentence = next(
    (p.chinese for p in corpus.pairs if p.english == "What time is it?"),
    train_pairs[0].chinese,  # offline, toy-grammar pairs stand in for Tatoeba
)
tokens = tokenize_chinese(sentence)
ids = np.array([vocabulary.encode(tokens)])  # (1, S)
vectors = keras.layers.Embedding(len(vocabulary), scale.embedding_dim, mask_zero=True)(
    ids
)
states = rnn_outputs(keras.layers.GRU(16, return_sequences=True), vectors)["sequences"]
limit = np.abs(states).max()  # small: the untrained embeddings are small
figure, axis = plt.subplots(figsize=(5, 4))
image = axis.imshow(
    states[0].T, cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto"
)
figure.colorbar(image, ax=axis)
axis.set_xticks(
    range(len(tokens)), [f"h after {token}" for token in tokens], rotation=30
)
axis.set_ylabel("hidden unit")
axis.set_title("GRU state after each character")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# - An RNN step takes an element `x_t` and the previous state `h_{t-1}` and
#   returns `h_t`: SimpleRNN `tanh(x W + h U + b)`; GRU adds update and reset gates.
# - Our NumPy steps agree with Keras to about 1e-7, step by step and over
#   whole sequences, with and without masks.
# - `return_sequences=True` returns `(B, S, H)`, every step; the default
#   returns `(B, H)`, the last step. `return_state=True` adds the final
#   state(s), which for GRU and SimpleRNN equal the last output.
# - The final state has `hidden_units` numbers whatever the length: the
#   sentence summary an encoder passes on. Masked (padded) steps leave it alone.
#
# Next, lesson 1c builds and trains one model for each shape of sequence task.
#
# ## Exercises
#
# **Exercise 1.** Write `rnn_step(inputs, state, kernel, recurrent_kernel,
# bias)`: one SimpleRNN step in NumPy, `(B, F)` and `(B, H)` in, `(B, H)` out,
# leaving `state` as it was (the caller still needs it). The check also feeds it
# inputs large enough to saturate the tanh.


# %%
def rnn_step(inputs, state, kernel, recurrent_kernel, bias):
    raise NotImplementedError("h_t = tanh(x_t W + h_{t-1} U + b)")


exercises.check_rnn_step(rnn_step)

# %% [markdown]
# **Exercise 2.** Write `last_real_output(sequences, mask)`: from the
# `(B, S, H)` outputs of a layer with `return_sequences=True` and the
# `(B, S)` mask (True at real steps, padding at the end), return the `(B, H)`
# outputs at each row's last real step. Rows have different lengths, in no
# particular order.


# %%
def last_real_output(sequences, mask):
    raise NotImplementedError("index each row at its length - 1")


exercises.check_last_real_output(last_real_output)

# %% [markdown]
# Solutions: `solutions/ch01_solutions.ipynb`.
