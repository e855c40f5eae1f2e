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
# Worked solutions of the chapter 2 exercises (lessons 02a–02d), each followed by
# its check. Try the exercise in its lesson first.

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
import math

import numpy as np

from chapters.ch02_encoder_decoder import exercises
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID

# %% [markdown]
# ## Lesson 02a: the final state of a padded sentence
#
# The mask says how many real tokens each sentence has; the last real step is
# that count minus one. Gathering one step per sentence is fancy indexing with a
# row index and a column index.


# %%
def last_real_state(outputs, mask):
    lengths = np.asarray(mask).sum(axis=1)  # (B,)
    rows = np.arange(len(lengths))
    return np.asarray(outputs)[rows, lengths - 1]  # (B, H)


exercises.check_last_real_state(last_real_state)

# %% [markdown]
# ## Lesson 02b: the teacher-forcing shift
#
# Inputs: `[START]` in front. Targets: `[END]` right after each sentence's last
# real token, which for a padded sentence is not the last column.


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
# Repeat the context `(B, C)` over the `T` steps, then join it to the embeddings
# along the feature axis.


# %%
def concatenate_context(embedded, context):
    steps = embedded.shape[1]
    repeated = np.repeat(np.asarray(context)[:, None, :], steps, axis=1)  # (B, T, C)
    return np.concatenate([embedded, repeated], axis=-1)  # (B, T, E + C)


exercises.check_concatenate_context(concatenate_context)

# %% [markdown]
# ## Lesson 02b: the masked loss
#
# Cross-entropy of each position from the log-softmax, then the mean over the
# positions whose target is not `[PAD]`.


# %%
def masked_loss(target_ids, logits):
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    token_losses = -np.take_along_axis(log_probs, target_ids[..., None], -1)[..., 0]
    mask = target_ids != PAD_ID
    return (token_losses * mask).sum() / mask.sum()


exercises.check_masked_loss(masked_loss)

# %% [markdown]
# ## Lesson 02d: source-length buckets
#
# Bucket `i` closes at `edges[i]`: a length goes to the first edge that is at
# least as large, or past the last edge. Counting the edges below the length
# does exactly that.


# %%
def assign_buckets(lengths, edges):
    return [sum(length > edge for edge in edges) for length in lengths]


exercises.check_assign_buckets(assign_buckets)

# %% [markdown]
# ## Lesson 02c: one greedy step
#
# The arg-max of the logits is also the arg-max of the log-probabilities;
# finished sentences emit `[PAD]` and add nothing to their score.


# %%
def greedy_step(logits, finished):
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    tokens = log_probs.argmax(axis=-1)
    chosen = log_probs[np.arange(len(tokens)), tokens]
    return np.where(finished, PAD_ID, tokens), np.where(finished, 0.0, chosen)


exercises.check_greedy_step(greedy_step)

# %% [markdown]
# ## Lesson 02c: beam search's top-k bookkeeping
#
# Add each hypothesis's score to the log-probability of every next token, flatten
# the `K × V` candidates of a sentence, and keep the best `K`: the flat index
# divided by `V` is the parent hypothesis, the remainder is the token.


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
