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
# # Chapter 6 solutions: beyond the notebook
#
# Worked solutions of the chapter 6 exercises, each followed by its check: a
# serving signature's source ids (lesson 06a), the loss each replica contributes
# (lesson 06c) and a softmax over masked scores that float16 cannot break
# (lesson 06d).

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

from chapters.ch06_beyond_the_notebook import exercises

# %% [markdown]
# ## Lesson 06a: a serving signature's source ids
#
# `tf_encode` tokenizes the whole batch in TensorFlow and gives a ragged tensor,
# one row of ids per sentence. Slicing its second axis cuts every sentence to the
# cap (the first axis is the batch), and `to_tensor` pads every row with `[PAD]`
# (0) to the longest one. Nothing here leaves TensorFlow, so it runs the same
# eagerly and inside the signature's graph.


# %%
def signature_source_ids(sentences, tokenizer, max_source_tokens):
    ids = tokenizer.tf_encode(sentences)  # (B, None) ragged
    return ids[:, :max_source_tokens].to_tensor(default_value=0)  # (B, S)


exercises.check_signature_source_ids(signature_source_ids)

# %% [markdown]
# ## Lesson 06c: the loss each replica contributes
#
# Replica `r` gets the rows `r·B/R … (r+1)·B/R - 1` of the global batch.
# It sums its real tokens' losses and divides by the real tokens of the whole
# global batch, a number every replica must know (an all-reduce of the counts).
# Then the replicas' losses add up to the mean over all real tokens, the loss a
# single device computes, and so do their gradients.


# %%
def replica_losses(token_losses, mask, num_replicas):
    real = np.where(mask, token_losses, 0.0)  # padded positions count 0
    per_replica = real.reshape(num_replicas, -1, real.shape[-1])  # (R, B/R, T)
    return per_replica.sum(axis=(1, 2)) / mask.sum()  # (R,)


exercises.check_replica_losses(replica_losses)

# %% [markdown]
# ## Lesson 06d: a softmax over masked scores that float16 cannot break
#
# Three things keep it finite. Masked scores are replaced (not added to) by the
# dtype's lowest finite value, so nothing overflows to `-inf`. Each row's
# largest score is subtracted before the exponential, so the largest exponential
# is 1. Masked positions get weight 0 afterwards, so a row masked everywhere
# gets zeros instead of a uniform row. This is what `masked_softmax` in chapter
# 3 does.


# %%
def masked_softmax(scores, mask):
    lowest = np.finfo(scores.dtype).min
    filled = np.where(mask, scores, lowest).astype(scores.dtype)
    shifted = filled - filled.max(axis=-1, keepdims=True)  # at most 0
    exponentials = np.exp(shifted)
    weights = exponentials / exponentials.sum(axis=-1, keepdims=True)
    return np.where(mask, weights, 0).astype(scores.dtype)


exercises.check_masked_softmax(masked_softmax)
