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
# **Description:** the plain encoder–decoder has three weaknesses, the ones that
# attention was invented to remove (Bahdanau et al., 2015, "Neural Machine
# Translation by Jointly Learning to Align and Translate"):
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

from chapters.ch02_encoder_decoder import exercises, experiments
from chapters.common import plots
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
print(
    f"scale {scale.name}: {scale.length_curve_train_pairs} training pairs, "
    f"{scale.length_curve_epochs} epochs, context sizes "
    f"{scale.length_curve_hidden_units}"
)

# %% [markdown]
# ## Data: sentences of controlled length
#
# Real corpora have few long sentences. The toy grammar generates pairs of any
# length we ask for, from the same lexicon and rules, so that only the length
# changes. Here English sentences run from 3 to `length_curve_max_words` words;
# the Chinese sources (one token per character) run a little longer.

# %%
data = experiments.length_curve_data(scale)
print(data.describe("train"))
print(data.describe("test"))
longest = max(data.splits["test"], key=lambda pair: len(pair[0]))
print(longest[0], "\n ->", longest[1])

# %% [markdown]
# ## The experiment
#
# `experiments.length_curve_experiment` trains one encoder–decoder per context
# size on the same data, translates the test split greedily, and computes corpus
# BLEU in each source-length bucket. It hands the course's shared
# `chapters.common.experiments.length_curve` one model factory per context size;
# chapter 3 hands it an attention model too. The same function backs the command
#
#     COURSE_SCALE=cpu python -m chapters.ch02_encoder_decoder.experiments length-curve
#
# which prints the table below.

# %%
curve = experiments.length_curve_experiment(scale)
print(curve.table())
for name in curve.bleu:
    print(
        f"{name}: {curve.parameters[name]:,} parameters, "
        f"trained in {curve.seconds[name]:.0f} s"
    )

# %%
plots.plot_length_curve(
    curve.labels,
    curve.bleu,
    xlabel=f"source length ({curve.source_unit})",
    title="Encoder-decoder without attention: BLEU by source length",
)
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
# - `experiments.length_curve_experiment` regenerates the numbers at any scale.
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
# `chapters.common.experiments.length_curve` with two factories,
# `functools.partial(experiments.build_seq2seq, embedding_dim=scale.embedding_dim,
# hidden_units=256, concat_context=c)` for `c` in `True` and `False` (where the
# context only sets the decoder's first state), on `data`, and compare the two
# curves: how much does feeding the context at every step help long sentences?

# %%
small, large = list(curve.bleu)
filled = [index for index, count in enumerate(curve.counts) if count]
first, last = filled[0], filled[-1]
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: {large}: BLEU {curve.bleu[large][first]:.1f} on "
    f"{curve.labels[first]} source characters vs {curve.bleu[large][last]:.1f} on "
    f"{curve.labels[last]}; overall {curve.overall_bleu[small]:.1f} ({small}) vs "
    f"{curve.overall_bleu[large]:.1f} ({large}) (scale {scale.name}, {curve.corpus}, "
    f"lesson ran in {seconds:.0f} s)"
)
