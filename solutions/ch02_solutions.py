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
# # Chapter 2 solutions: the RNN encoder–decoder
#
# Worked solutions of the chapter 2 exercises (lessons 02a–02d), in the lessons'
# order, each followed by its check; the open exercise of lesson 02d gets a worked
# experiment. Try the exercise in its lesson first.

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
import functools
import math

import matplotlib.pyplot as plt
import numpy as np

from chapters.ch02_encoder_decoder import Seq2Seq, exercises, experiments
from chapters.common import experiments as course_experiments
from chapters.common import plots
from chapters.common.decoding import greedy_search
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID

scale = current_scale()
print(f"scale {scale.name}")

# %% [markdown]
# ## Lesson 02a: one GRU step from its weights
#
# Keras keeps the three gates' weights side by side, in the order z, r, h: the
# kernel is `[W_z | W_r | W_h]` `(F, 3H)`, the recurrent kernel
# `[U_z | U_r | U_h]` `(H, 3H)`, and the bias has two rows `(2, 3H)`, one added
# to the input products and one to the recurrent products. With Keras' default
# `reset_after=True` the reset gate multiplies the recurrent product *after* it is
# computed, its bias included; the update gate `z` says how much of the old state
# to keep. This is `chapters.ch01_sequence_tasks.gru_step` (lesson 1b) again,
# without its argument checks.


# %%
def sigmoid(values):
    return 1.0 / (1.0 + np.exp(-values))


def gru_step(inputs, state, kernel, recurrent_kernel, bias):
    # 1. Both inputs projected for the three gates at once: (B, 3H) each.
    from_inputs = inputs @ kernel + bias[0]
    from_state = state @ recurrent_kernel + bias[1]
    input_z, input_r, input_h = np.split(from_inputs, 3, axis=1)  # (B, H) each
    state_z, state_r, state_h = np.split(from_state, 3, axis=1)
    # 2. The update and reset gates, numbers between 0 and 1.
    update = sigmoid(input_z + state_z)
    reset = sigmoid(input_r + state_r)
    # 3. The candidate: the reset gate scales the recurrent product (reset_after).
    candidate = np.tanh(input_h + reset * state_h)
    # 4. Keep z of the old state, take 1 - z from the candidate.
    return update * state + (1.0 - update) * candidate  # (B, H)


exercises.check_gru_step(gru_step)

# %% [markdown]
# ## Lesson 02b: the teacher-forcing shift
#
# Inputs: `[START]` in front. Targets: `[END]` right after each sentence's last
# real token, which for a padded sentence is not the last column. Every id but
# `[PAD]` is a real token, `[UNK]` included. Both arrays keep the integer dtype
# of the ids.


# %%
def shift_for_teacher_forcing(target_ids):
    target_ids = np.asarray(target_ids)
    batch, steps = target_ids.shape
    inputs = np.concatenate([np.full((batch, 1), START_ID), target_ids], axis=1)
    targets = np.concatenate([target_ids, np.full((batch, 1), PAD_ID)], axis=1)
    lengths = (target_ids != PAD_ID).sum(axis=1)
    targets[np.arange(batch), lengths] = END_ID
    return inputs.astype(target_ids.dtype), targets.astype(target_ids.dtype)


exercises.check_shift_for_teacher_forcing(shift_for_teacher_forcing)

# %% [markdown]
# ## Lesson 02b: the context at every decoder step
#
# Repeat each sentence's context `(B, C)` over the `T` steps, then join it to the
# embeddings along the feature axis.


# %%
def concatenate_context(embedded, context):
    steps = embedded.shape[1]
    repeated = np.repeat(np.asarray(context)[:, None, :], steps, axis=1)  # (B, T, C)
    return np.concatenate([embedded, repeated], axis=-1)  # (B, T, E + C)


exercises.check_concatenate_context(concatenate_context)

# %% [markdown]
# ## Lesson 02b: the masked loss
#
# Cross-entropy of each position from a stable log-softmax (each row's max
# subtracted first, so that `exp` never overflows), then the mean over the
# positions whose target is not `[PAD]`: every real token of the batch weighs
# the same.


# %%
def log_softmax(logits):
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)  # a new array
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def masked_loss(target_ids, logits):
    log_probs = log_softmax(logits)  # (B, T, V)
    token_losses = -np.take_along_axis(log_probs, target_ids[..., None], -1)[..., 0]
    mask = target_ids != PAD_ID  # (B, T)
    return (token_losses * mask).sum() / mask.sum()


exercises.check_masked_loss(masked_loss)

# %% [markdown]
# ## Lesson 02c: one greedy step
#
# The arg-max of the logits is also the arg-max of the log-probabilities (a tie
# goes to the lowest id, as `np.argmax` gives it); finished sentences emit
# `[PAD]` whatever their arg-max, and add nothing to their score.


# %%
def greedy_step(logits, finished):
    log_probs = log_softmax(logits)  # (B, V)
    tokens = log_probs.argmax(axis=-1)  # (B,)
    chosen = log_probs[np.arange(len(tokens)), tokens]
    return np.where(finished, PAD_ID, tokens), np.where(finished, 0.0, chosen)


exercises.check_greedy_step(greedy_step)

# %% [markdown]
# ## Lesson 02c: the greedy decoding loop
#
# Encode once; then, from `[START]`, run one decoder step, take each sentence's
# arg-max with `greedy_step`, record it and feed it back, with the state the step
# returned. A sentence is finished once it has written `[END]`; the loop stops
# when all are, or after `max_length` tokens.


# %%
def greedy_decode(model, source_ids, max_length):
    memory, state = model.encode(source_ids)
    batch = len(source_ids)
    tokens = np.full(batch, START_ID)
    finished = np.zeros(batch, dtype=bool)
    steps = []
    for _ in range(max_length):
        logits, state = model.decode_step(tokens, state, memory)
        tokens, _ = greedy_step(logits, finished)  # (B,)
        steps.append(tokens)
        finished = finished | (tokens == END_ID)
        if finished.all():
            break
    return np.stack(steps, axis=1)  # (B, L)


exercises.check_greedy_decode(greedy_decode)

# %% [markdown]
# The loop follows the translation model protocol, so it runs on the chapter's
# `Seq2Seq` too and writes the same tokens as the course's `greedy_search`
# (here on an untrained model, whose tokens mean nothing but are deterministic):

# %%
set_seed(0)
model = Seq2Seq(30, 40, embedding_dim=8, hidden_units=16)
source_ids = np.array([[5, 9, 7, 0], [4, 6, 8, 11]], "int32")
ours = greedy_decode(model, source_ids, max_length=12)
np.testing.assert_array_equal(ours, greedy_search(model, source_ids, 12)["tokens"])
print(ours)

# %% [markdown]
# ## Lesson 02c: beam search's top-k bookkeeping
#
# Add each hypothesis's score to the log-probability of every next token, flatten
# the `K × V` candidates of a sentence, and keep the best `K`, best first: the
# flat index divided by `V` is the parent hypothesis, the remainder is the token.
# A stable sort of the negated scores keeps tied candidates in the order of their
# flat index, as `tf.math.top_k` does.


# %%
def beam_step(scores, log_probs, beam_width):
    batch, beams, vocabulary_size = log_probs.shape
    candidates = (scores[..., None] + log_probs).reshape(batch, beams * vocabulary_size)
    best = np.argsort(-candidates, axis=-1, kind="stable")[:, :beam_width]  # (B, K)
    new_scores = np.take_along_axis(candidates, best, axis=-1)
    return new_scores, best // vocabulary_size, best % vocabulary_size


exercises.check_beam_step(beam_step)

# %% [markdown]
# ## Lesson 02c: sentence BLEU by hand
#
# Clipped n-gram precisions for n = 1..4, their geometric mean, and the brevity
# penalty `min(1, exp(1 - r / c))` for a hypothesis of `c` tokens and a
# reference of `r`. A precision of 0 (no n-gram in common, or a hypothesis too
# short to have any n-gram of that order) makes the geometric mean 0; returning
# 0 at once avoids `log(0)`. Sentence-level BLEU would smooth that zero instead
# (lesson 2c); this is the unsmoothed formula.


# %%
def bleu_by_hand(hypothesis, reference, max_order=4):
    def ngrams(tokens, n):
        return collections.Counter(
            tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)
        )

    log_precisions = []
    for n in range(1, max_order + 1):
        hypothesis_counts, reference_counts = (
            ngrams(hypothesis, n),
            ngrams(reference, n),
        )
        clipped = sum(
            min(count, reference_counts[gram])
            for gram, count in hypothesis_counts.items()
        )
        if clipped == 0:
            # A zero precision (or no n-grams of this order at all) makes the
            # geometric mean 0; log(0) would crash.
            return 0.0
        log_precisions.append(math.log(clipped / sum(hypothesis_counts.values())))
    brevity_penalty = min(1.0, math.exp(1 - len(reference) / len(hypothesis)))
    return 100 * brevity_penalty * math.exp(sum(log_precisions) / max_order)


exercises.check_bleu_by_hand(bleu_by_hand)

# %% [markdown]
# ## Lesson 02d: source-length buckets
#
# Bucket `i` closes at `edges[i]`: a length goes to the first edge that is at
# least as large, or past the last edge. Counting the edges below the length
# does exactly that, whatever the widths of the buckets and the order of the
# lengths.


# %%
def assign_buckets(lengths, edges):
    return [sum(length > edge for edge in edges) for length in lengths]


exercises.check_assign_buckets(assign_buckets)

# %% [markdown]
# ## Lesson 02d: the context at every step, or only as the first state (open)
#
# Two encoder–decoders of 256 units, identical but for `concat_context`, trained
# on the same toy-grammar pairs and scored by source length. With the context
# only in `s_0`, the decoder must carry the summary of the source in its own
# state, which every generated word rewrites; joined to every input, it is never
# more than one step away. Expect the gap to grow with the length of the source.
# At `ci` scale the models are far too small and short-trained for the numbers to
# mean anything; run this notebook at `cpu` scale or more.


# %%
def compare_context_feeding(scale):
    """The length curve of two 256-unit models, with and without the context
    joined to every decoder input."""
    data = experiments.length_curve_data(scale)
    factories = {
        name: functools.partial(
            experiments.build_seq2seq,
            embedding_dim=scale.embedding_dim,
            hidden_units=256,
            concat_context=concat_context,
        )
        for name, concat_context in (
            ("context at every step", True),
            ("context as s_0 only", False),
        )
    }
    return course_experiments.length_curve(
        factories, data, scale.length_curve_epochs, scale.batch_size
    )


# Runs in the notebook, not when the tests import these solutions.
if __name__ == "__main__":
    curve = compare_context_feeding(scale)
    print(curve.table())
    plots.plot_length_curve(
        curve.labels,
        curve.bleu,
        xlabel=f"source length ({curve.source_unit})",
        title="Feeding the context at every decoder step, or only as s_0",
    )
    plt.show()
