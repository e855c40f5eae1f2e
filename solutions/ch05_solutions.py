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
# # Chapter 5 solutions: the Transformer
#
# Worked solutions of the chapter 5 exercises, each followed by its check: the
# positional encoding (lesson 05a); splitting and merging heads, the decoder's
# self-attention mask and the encoder block (lesson 05b); the warm-up learning
# rate (lesson 05c).

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

from chapters.ch05_transformer import exercises

# %% [markdown]
# ## Lesson 05a: the positional encoding
#
# A column of positions `(length, 1)` divided by a row of frequencies
# `10000^(2i / depth)` `(1, depth / 2)` broadcasts into one angle per position
# and frequency. The sines go in the even columns `0::2` and the cosines of the
# same angles in the odd columns `1::2`, so each pair of columns shares one
# frequency.


# %%
def positional_encoding(length, depth):
    positions = np.arange(length)[:, None]  # (length, 1)
    even_columns = np.arange(0, depth, 2)[None, :]  # 2i: (1, depth / 2)
    angles = positions / 10000 ** (even_columns / depth)  # (length, depth / 2)
    table = np.zeros((length, depth))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles)
    return table


exercises.check_positional_encoding(positional_encoding)

# %% [markdown]
# ## Lesson 05b: splitting and merging heads
#
# `(B, T, h·d)` is reshaped to `(B, T, h, d)`, so that each head's `d` columns
# stay together; the head axis moves next to the batch axis, `(B, h, T, d)`; and
# the first two axes are merged, so that row `b·h + j` is sentence `b`'s head `j`.
# Merging undoes the three steps in reverse order.


# %%
def split_heads(x, num_heads):
    batch, length, width = x.shape
    depth = width // num_heads
    x = x.reshape(batch, length, num_heads, depth).transpose(0, 2, 1, 3)
    return x.reshape(batch * num_heads, length, depth)


def merge_heads(heads, num_heads):
    rows, length, depth = heads.shape
    x = heads.reshape(rows // num_heads, num_heads, length, depth)
    return x.transpose(0, 2, 1, 3).reshape(rows // num_heads, length, num_heads * depth)


exercises.check_split_and_merge_heads(split_heads, merge_heads)

# %% [markdown]
# ## Lesson 05b: the decoder's self-attention mask
#
# Key `s` may be read by query `t` when it is not in the future, `s <= t` (the
# lower triangle), and when it is a real token: the padding mask of the keys
# gets a query axis, `(B, 1, T)`, before the `&` with the `(T, T)` triangle.


# %%
def decoder_mask(target_ids):
    length = target_ids.shape[1]
    causal = np.tril(np.ones((length, length), dtype=bool))  # (T, T)
    real_keys = (target_ids != 0)[:, None, :]  # (B, 1, T)
    return causal & real_keys  # (B, T, T)


exercises.check_decoder_mask(decoder_mask)

# %% [markdown]
# ## Lesson 05b: the encoder block
#
# The paper's post-norm block wraps each sublayer the same way, `norm(x +
# sublayer(x))`: first the self-attention, then the feed-forward block on what
# the first step gave.


# %%
def encoder_block(x, self_attention, feed_forward, attention_norm, feed_forward_norm):
    h = attention_norm(x + self_attention(x))
    return feed_forward_norm(h + feed_forward(h))


exercises.check_encoder_block(encoder_block)

# %% [markdown]
# ## Lesson 05c: the warm-up learning rate
#
# The rate follows the smaller of two curves: the straight line
# `step · warmup_steps^-1.5`, which rises, and `step^-0.5`, which falls. They
# cross at `step = warmup_steps`, the peak; `d_model^-0.5` scales both.


# %%
def warmup_learning_rate(step, d_model, warmup_steps):
    return d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


exercises.check_warmup_learning_rate(warmup_learning_rate)
