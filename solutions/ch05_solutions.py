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
# Worked solutions of the chapter 5 exercises written so far, each followed by
# its check: the positional encoding (lesson 05a) and the warm-up learning rate
# (its lesson is being written).

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
# ## The warm-up learning rate
#
# The rate follows the smaller of two curves: the straight line
# `step · warmup_steps^-1.5`, which rises, and `step^-0.5`, which falls. They
# cross at `step = warmup_steps`, the peak; `d_model^-0.5` scales both.


# %%
def warmup_learning_rate(step, d_model, warmup_steps):
    return d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


exercises.check_warmup_learning_rate(warmup_learning_rate)
