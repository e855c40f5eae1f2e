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
# # Lesson 2d: the bottleneck, measured
#
# **Description:** seed 001 lists three weaknesses of the plain encoder–decoder:
# (1) one fixed-size context vector cannot hold everything about a long sentence
# (lossy compression); (2) every source word weighs the same for every output
# word; (3) an RNN forgets early words as later ones overwrite its state. We
# measure their joint effect: translation quality against source length, for two
# sizes of the context vector.
#
# **You will learn**
# - how to measure quality per source-length bucket with corpus BLEU;
# - that quality falls as sources grow, and that a bigger context vector only
#   lifts the curve without flattening it (a bigger bottleneck is still one);
# - how to regenerate the numbers with one command.
#
# **Time:** about 3 minutes on a busy 2-core CPU (`cpu` scale: two models, 7
# epochs on 4,000 pairs); on a Colab GPU (`gpu` scale: 40,000 pairs, 20 epochs)
# not measured yet.

# %%
# Colab set-up: clones the course, installs what Colab lacks; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [
            "git",
            "clone",
            "--depth=1",
            "https://github.com/seq2seq-course/seq2seq-keras.git",
            "/content/course",
        ],
        check=False,
    )
    sys.path.insert(0, "/content/course")
    from chapters.common.colab import setup_colab

    setup_colab("/content/course")

# %% [markdown]
# ## Setup

# %%
import importlib.util
import pathlib
import time

if importlib.util.find_spec("chapters") is None:
    sys.path.insert(0, str(pathlib.Path.cwd().parent))

import matplotlib.pyplot as plt
import numpy as np

from chapters.ch02_encoder_decoder import exercises, experiments
from chapters.common import text
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
options = experiments.length_curve_options(scale)
print(f"scale {scale.name}:", options)

# %% [markdown]
# ## Data: sentences of controlled length
#
# Real corpora have few long sentences. The toy grammar generates pairs of any
# length we ask for, from the same lexicon and rules, so that only the length
# changes. Here English sentences run from 3 to `length_curve_max_words` words;
# the Chinese sources (one token per character) run a little longer.

# %%
sample = experiments.toy_data(300, 50, max_words=options["max_words"]).splits["train"]
lengths = [len(text.tokenize(source, "zh")) for source, _ in sample]
print(
    f"source lengths: min {min(lengths)}, median {int(np.median(lengths))}, "
    f"max {max(lengths)} characters"
)
longest = max(sample, key=lambda pair: len(pair[0]))
print(longest[0], "\n ->", longest[1])

# %% [markdown]
# ## The experiment
#
# `experiments.length_curve` trains one encoder–decoder per context size on the
# same data, translates the test split greedily, and computes corpus BLEU in each
# source-length bucket. The same function backs the command
#
#     COURSE_SCALE=cpu python -m chapters.ch02_encoder_decoder.experiments length-curve
#
# which prints the table below.

# %%
curve = experiments.length_curve(**options)
print(curve.table())
for units in sorted(curve.bleu):
    print(
        f"context size {units}: {curve.parameters[units]:,} parameters, "
        f"trained in {curve.seconds[units]:.0f} s"
    )

# %%
experiments.plot_length_curve(curve)
plt.show()

# %% [markdown]
# ## Reading the curve
#
# - The bigger model translates short sentences best and loses quality steadily as
#   the source grows: every word must squeeze through the same fixed-size vector,
#   and the RNN state written early is overwritten by later words.
# - The bigger context vector is better in every bucket, but its advantage is
#   largest on short sentences and shrinks on long ones: more room lifts the curve
#   without flattening it, because the decoder still gets one summary of the whole
#   source, the same at every step (weakness 2).
# - Chapter 3 keeps all encoder states and lets the decoder look back at the
#   relevant ones at every step (attention); we will draw this plot again there
#   and compare.
#
# At `cpu` scale the models are undertrained (7 epochs on 4,000 pairs), which
# lowers every bucket; the `gpu` scale trains on ten times the pairs for about
# three times the epochs.
#
# ## Summary
#
# - Quality of a plain encoder–decoder falls with source length: the context
#   vector is a bottleneck.
# - A bigger context vector helps only partly.
# - `experiments.length_curve` regenerates the numbers at any scale.
#
# ## Exercises
#
# **Exercise 1: source-length buckets.** Given source lengths and increasing
# bucket edges, return each length's bucket: bucket `i` holds lengths in
# `(edges[i - 1], edges[i]]`, and lengths above the last edge go to bucket
# `len(edges)`.


# %%
def assign_buckets(lengths, edges):
    raise NotImplementedError  # your code here


exercises.check_assign_buckets(assign_buckets)

# %% [markdown]
# **Exercise 2 (open, no check):** run
# `experiments.length_curve(**options, concat_context=False)`, where the context
# only sets the decoder's first state, and compare the two plots: how much does
# feeding the context at every step help long sentences?

# %%
small, large = min(curve.bleu), max(curve.bleu)
filled = [index for index, count in enumerate(curve.counts) if count]
first, last = filled[0], filled[-1]
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: with a {large}-unit context, BLEU {curve.bleu[large][first]:.1f} on "
    f"{curve.labels[first]} source tokens vs {curve.bleu[large][last]:.1f} on "
    f"{curve.labels[last]}; overall "
    f"{curve.overall_bleu[small]:.1f} (h={small}) vs {curve.overall_bleu[large]:.1f} "
    f"(h={large}) (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
