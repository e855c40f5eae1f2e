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
# # Chapter 1 solutions: sequence tasks, RNN steps, embeddings
#
# Worked solutions of the chapter 1 exercises (lessons 01a–01e), each followed
# by its check. Try the exercise in its lesson first.

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
import collections
import os

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from chapters.ch01_sequence_tasks import exercises
from chapters.common.vocabulary import PAD_ID, RESERVED_TOKENS

# %% [markdown]
# ## Lesson 01a: build a vocabulary with reserved tokens
#
# Count every occurrence of every token (a repeat within one sentence counts
# again), keep those seen at least `min_count` times, order them by count
# (ties alphabetically, so the ids never depend on the order of the data), and
# put the reserved tokens first so that `[PAD]` gets id 0. The counter reads the
# sentences without changing them.


# %%
def build_vocabulary(tokenized_sentences, min_count):
    counts = collections.Counter(
        token for sentence in tokenized_sentences for token in sentence
    )
    kept = sorted(
        (token for token, count in counts.items() if count >= min_count),
        key=lambda token: (-counts[token], token),
    )
    return [
        *RESERVED_TOKENS,
        *(token for token in kept if token not in RESERVED_TOKENS),
    ]


exercises.check_build_vocabulary(build_vocabulary)

# %% [markdown]
# ## Lesson 01a: a padding mask
#
# Padding is id 0, and only padding: `[UNK]` (id 1) is a real word we do not
# know, and the model must still read it. `np.asarray` lets the same code read a
# nested list.


# %%
def padding_mask(ids):
    return np.asarray(ids) != PAD_ID


exercises.check_padding_mask(padding_mask)

# %% [markdown]
# ## Lesson 01b: one SimpleRNN step
#
# `h_t = tanh(x_t W + h_{t-1} U + b)`: the element and the previous state each
# go through their own weight matrix, and the sum through tanh.


# %%
def rnn_step(inputs, state, kernel, recurrent_kernel, bias):
    return np.tanh(inputs @ kernel + state @ recurrent_kernel + bias)


exercises.check_rnn_step(rnn_step)

# %% [markdown]
# ## Lesson 01b: the output at the last real step
#
# With `return_sequences=True` and padding at the end, `sequences[:, -1]` is
# the output at a padded step. The last real step of row b is at index
# `length_b - 1`, where `length_b` counts the True entries of its mask; each
# row gets its own index, whatever the order of the lengths.


# %%
def last_real_output(sequences, mask):
    sequences = np.asarray(sequences)
    last_index = np.asarray(mask).sum(axis=1) - 1  # (B,)
    return sequences[np.arange(len(sequences)), last_index]  # (B, H)


exercises.check_last_real_output(last_real_output)

# %% [markdown]
# ## Lesson 01c: the output shape of each task shape
#
# 1→N and N→M give one vector per *target* step, N→N one per *source* step,
# N→1 a single vector per sentence.


# %%
def task_output_shape(task_shape, batch_size, source_length, target_length, classes):
    if task_shape in ("1->N", "N->M"):
        return (batch_size, target_length, classes)
    if task_shape == "N->N":
        return (batch_size, source_length, classes)
    if task_shape == "N->1":
        return (batch_size, classes)
    raise ValueError(
        f"task_shape must be 1->N, N->1, N->N or N->M. Received: {task_shape!r}"
    )


exercises.check_task_output_shape(task_output_shape)

# %% [markdown]
# ## Lesson 01c: the N→1 classifier head
#
# The GRU without `return_sequences` gives its final state, one summary vector
# per sentence; `mask_zero=True` makes it skip padding; a softmax turns the
# head's scores into probabilities.


# %%
def build_classifier(vocabulary_size, embedding_dim, hidden_units, classes):
    token_ids = keras.Input(shape=(None,), dtype="int32")  # (B, S)
    vectors = keras.layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True)(
        token_ids
    )  # (B, S, E)
    summary = keras.layers.GRU(hidden_units)(vectors)  # (B, H)
    probabilities = keras.layers.Dense(classes, activation="softmax")(summary)
    return keras.Model(token_ids, probabilities)


exercises.check_many_to_one_classifier(build_classifier)

# %% [markdown]
# ## Lesson 01d: cosine similarity
#
# `cos(e, v) = e·v / (|e| |v|)`: the angle between two vectors, blind to their
# lengths. Each row is divided by its own length (`axis=1`), into a new array:
# the caller's embeddings stay as they were.


# %%
def cosine_similarity(embeddings, vector):
    embeddings = np.asarray(embeddings, dtype="float64")
    vector = np.asarray(vector, dtype="float64")
    lengths = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(vector)
    return embeddings @ vector / lengths


exercises.check_cosine_similarity(cosine_similarity)

# %% [markdown]
# ## Lesson 01d: solve an analogy by embedding arithmetic
#
# `a : b :: c : ?` (man : woman :: king : ?): normalize every row to unit
# length (into a new array, so the caller's embeddings stay as they were), add
# `b − a + c`, and rank the words by their dot product with that target, which
# ranks them by cosine since every row now has length 1. The three question
# words are left out, and `np.argmax` gives a tie to the word that comes first.


# %%
def solve_analogy(embeddings, tokens, a, b, c):
    embeddings = np.asarray(embeddings, dtype="float64")
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)  # (V, E)
    question = [tokens.index(word) for word in (a, b, c)]
    target = unit[question[1]] - unit[question[0]] + unit[question[2]]  # (E,)
    scores = unit @ target  # (V,)
    scores[question] = -np.inf
    return tokens[int(np.argmax(scores))]


exercises.check_solve_analogy(solve_analogy)

# %% [markdown]
# ## Lesson 01e: B/M/E/S tags of a segmented sentence
#
# Each word gives as many tags as it has characters: a word of one character
# is S; a word of n ≥ 2 characters is B, then n − 2 times M, then E.


# %%
def bmes_tags(words):
    tags = []
    for word in words:
        if len(word) == 1:
            tags.append("S")
        else:
            tags += ["B"] + ["M"] * (len(word) - 2) + ["E"]
    return tags


exercises.check_segmentation_tags(bmes_tags)
