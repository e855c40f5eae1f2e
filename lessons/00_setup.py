# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.18.1
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 0: set-up, and the two corpora of this course
#
# **Description:** check that everything the course needs is installed, pick a
# run size, and meet the two data sets every later lesson uses.
#
# **You will learn**
# - how the course chooses its run size (the `ci`, `cpu` and `gpu` scales);
# - what the real Tatoeba Chinese–English corpus looks like, and how it is split;
# - what the toy-grammar corpus is, and why it comes with gold word alignments.
#
# **Time:** under a minute on a laptop CPU and on a Colab GPU.

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
#
# The lessons import the course's own code from the `chapters` package, which
# is installed like any other: `make lab` runs `pip install -e .` in the
# repository, and in Colab the cell above installs it from GitHub.

# %%
import importlib.metadata
import platform

import keras
import matplotlib.pyplot as plt
import numpy as np
import sacrebleu
import tensorflow as tf

from chapters.common import fonts, plots, tatoeba, toy_grammar
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import tokenize_chinese, tokenize_english

set_seed(42)

# %% [markdown]
# ## Environment check
#
# The versions below are the ones `requirements.txt` pins (Colab keeps its own
# TensorFlow and installs the matching tensorflow-text). The scale decides the
# size of every later run: `gpu` when TensorFlow sees a GPU, otherwise `cpu`;
# set the environment variable `COURSE_SCALE` to `ci`, `cpu` or `gpu` to choose.

# %%
scale = current_scale()
print("Python           ", platform.python_version())
print("TensorFlow       ", tf.__version__)
try:
    # The version is read without importing the package: a tensorflow-text built
    # for another TensorFlow fails on import, and only the lessons that build
    # tf.data text pipelines need it.
    tensorflow_text_version = importlib.metadata.version("tensorflow-text")
except importlib.metadata.PackageNotFoundError:
    tensorflow_text_version = "not installed: only tf.data text pipelines need it"
print("tensorflow-text  ", tensorflow_text_version)
print("Keras            ", keras.__version__, "with backend", keras.backend.backend())
print("sacrebleu        ", sacrebleu.__version__)
print("GPUs             ", tf.config.list_physical_devices("GPU") or "none")
print("Scale            ", scale.name)
print("Chinese font     ", fonts.find_cjk_font() or "none: see the warning below")

# %% [markdown]
# Every size a lesson uses lives in one `Scale`. Here is the one in force:

# %%
for field, value in vars(scale).items():
    print(f"{field:22} {value}")

# %% [markdown]
# ## Data 1: Tatoeba, real Chinese–English sentence pairs
#
# [Tatoeba](https://tatoeba.org) is a collection of sentences and their
# translations written by volunteers; [manythings.org/anki](https://www.manythings.org/anki/)
# publishes its Chinese–English pairs as `cmn-eng.zip` (licence CC-BY 2.0 France).
# `load_corpus` reads a copy you point it to (an argument, or the folder in the
# `COURSE_CORPUS_DIR` variable), else its download cache, else downloads it once.
# Offline and without a copy, the lessons use `load_corpus_or_toy`, which warns
# and puts the course's toy-grammar pairs (below) in Tatoeba's place, so that
# every lesson still runs.

# %%
corpus = tatoeba.load_corpus_or_toy()
print(f"{len(corpus.pairs):,} pairs read from {corpus.path.name}")
print(f"{corpus.skipped_lines} lines skipped as blank or malformed")
for pair in corpus.pairs[1000:20000:3800]:
    print(f"  {pair.chinese}  ->  {pair.english}")

# %% [markdown]
# One English sentence often has several Chinese translations. If one landed in
# training and another in the test split, the test would reward memorising.
# So the split is decided by a stable hash of the lowercased English sentence:
# all translations of a sentence share its split, on every machine, every run.

# %%
splits = tatoeba.split_corpus(corpus.pairs)
for name, pairs in splits.items():
    share = len(pairs) / len(corpus.pairs)
    print(f"{name:10} {len(pairs):7,} pairs  ({share:.0%})")
english_by_split = {
    name: {p.english.lower() for p in pairs} for name, pairs in splits.items()
}
print(
    "English sentences shared by train and test:",
    len(english_by_split["train"] & english_by_split["test"]),
)

# %% [markdown]
# Sentence lengths matter for everything that follows: recurrent models see one
# token per step, and chapter 2 shows their quality falling as sources grow.
# Chinese is read one character at a time, English one word at a time.

# %%
chinese_lengths = [len(tokenize_chinese(p.chinese)) for p in splits["train"]]
english_lengths = [len(tokenize_english(p.english)) for p in splits["train"]]
figure, axis = plt.subplots(figsize=(7, 3))
bins = range(0, 41)
axis.hist(chinese_lengths, bins=bins, alpha=0.6, label="Chinese (characters)")
axis.hist(english_lengths, bins=bins, alpha=0.6, label="English (words)")
axis.set_xlabel("tokens per sentence")
axis.set_ylabel("training pairs")
axis.legend()
plt.show()

# %% [markdown]
# ## Data 2: the toy grammar, with gold alignments
#
# Real data cannot tell us which Chinese word an English word translates. The
# course's toy grammar can: it builds sentence pairs from a small lexicon and a
# few constructions where the two languages order words differently (time and
# place come before the verb in Chinese; a 的-phrase comes before its noun;
# questions end in 吗), and records which word translates which. We use it to
# control sentence length and, from chapter 3, to score attention against the
# truth.

# %%
toy_pairs = toy_grammar.generate_pairs(5, seed=3, min_words=6, max_words=14)
for pair in toy_pairs:
    print(f"  {pair.chinese}  ->  {pair.english}")

# %% [markdown]
# Below, one pair's gold alignment: a dark cell links an English word (row) to
# the Chinese word (column) it translates. Crossing links mark reordering.

# %%
pair = max(toy_pairs, key=lambda p: len(p.english_words))
links = np.zeros((len(pair.english_words), len(pair.chinese_words)))
for chinese_index, english_index in pair.alignment:
    links[english_index, chinese_index] = 1.0
axis = plots.plot_attention(
    links,
    list(pair.chinese_words),
    list(pair.english_words),
    title="Gold alignment",
    colorbar=False,
)
plt.show()

# %% [markdown]
# ## Summary
#
# - The scale (`ci`, `cpu`, `gpu`) sets every size; `COURSE_SCALE` overrides it.
# - Tatoeba gives real, short, everyday sentences; its split never separates the
#   translations of one English sentence.
# - The toy grammar gives pairs of any length with known word alignments.
#
# Next: lesson 1a turns a sentence into numbers a network can read.

# %%
source = corpus.path.name
print(f"Key figure: {len(corpus.pairs):,} pairs from {source}, scale {scale.name}")
