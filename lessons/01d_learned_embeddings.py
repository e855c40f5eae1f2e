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
# # Lesson 1d: what an embedding learns
#
# **Description:** train the N→1 question classifier of lesson 1c again and
# open its embedding table: which words end up close to which, before and
# after training, and why.
#
# **You will learn**
# - how to compare embeddings with cosine similarity and find a word's
#   nearest neighbours;
# - that training moves the vectors of words that play the same role in the
#   task towards each other;
# - the limit: a small model learns only the meaning its task needs, not the
#   general meaning of large pre-trained embeddings.
#
# **Time:** about a minute on a 2-core laptop CPU (`cpu` scale) and on a Colab GPU.

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
import itertools
import os
import time

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch01_sequence_tasks import (
    build_many_to_one,
    exercises,
    nearest_neighbours,
    question_data,
)
from chapters.common import fonts, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import RESERVED_TOKENS

scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
print("Scale:", scale.name, "| GPU:", tf.config.list_physical_devices("GPU") or "none")

# %% [markdown]
# ## Data
#
# The question task of lesson 1c: English sentences of the Tatoeba training
# split, punctuation removed, labelled 1 when they were questions.

# %%
splits = tatoeba.split_corpus(tatoeba.load_corpus_or_toy())
questions = question_data(
    splits["train"],
    splits["validation"],
    max_train=scale.task_shape_examples,
    min_count=scale.min_token_count,
)
vocabulary = questions.vocabulary
print(f"{len(questions.train_tokens):,} sentences, {len(vocabulary):,} words")

# %% [markdown]
# ## Comparing embeddings: cosine similarity
#
# Two embeddings are similar when they point the same way. The cosine of the
# angle between them,
#
# $$\cos(a, b) = \frac{a \cdot b}{\lVert a \rVert \, \lVert b \rVert},$$
#
# is 1 for the same direction, 0 for unrelated (perpendicular) ones and −1
# for opposite ones, whatever the vectors' lengths. A word's nearest
# neighbours are the words of highest cosine. We watch three groups of words:
# words that open English questions, pronouns, and everyday nouns.

# %%
groups = {
    "question words": ["what", "where", "who", "why", "how", "when", "which"],
    "auxiliaries": ["do", "does", "did", "can", "could", "are", "is"],
    "pronouns": ["i", "he", "she", "we", "they"],
    "nouns": ["dog", "cat", "book", "car", "house", "water"],
}
groups = {
    name: [word for word in words if word in vocabulary.tokens]
    for name, words in groups.items()
}
queries = [words[0] for words in groups.values() if words]
print(groups)
# A baseline: how alike are words picked at random?
ordinary_tokens = vocabulary.tokens[len(RESERVED_TOKENS) :]
random_words = [
    str(word) for word in np.random.default_rng(0).choice(ordinary_tokens, 40)
]


def group_similarity(embeddings, words):
    """Mean cosine similarity over all pairs of `words`."""
    vectors = embeddings[[vocabulary.tokens.index(word) for word in words]]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.mean(
        [unit[i] @ unit[j] for i, j in itertools.combinations(range(len(words)), 2)]
    )


def report(embeddings):
    for query in queries:
        neighbours = nearest_neighbours(embeddings, vocabulary.tokens, query, count=6)
        print(
            f"  {query:6} -> "
            + ", ".join(f"{word} {cos:.2f}" for word, cos in neighbours)
        )
    for name, words in groups.items():
        if len(words) > 1:
            similarity = group_similarity(embeddings, words)
            print(f"  mean cosine within {name}: {similarity:+.2f}")
    baseline = group_similarity(embeddings, random_words)
    print(f"  mean cosine within 40 random words (baseline): {baseline:+.2f}")


# %% [markdown]
# ## Model: before training
#
# The N→1 model of lesson 1c. Before training its embedding table is random:
# neighbours are chance, and every group's mean similarity is near 0.

# %%
model = build_many_to_one(
    len(vocabulary), scale.embedding_dim, scale.task_shape_hidden_units, num_classes=2
)
before = model.get_layer("embedding").get_weights()[0].copy()  # (V, E)
report(before)

# %% [markdown]
# ## Training

# %%
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
started = time.perf_counter()
model.fit(
    questions.train_ids,
    questions.train_labels,
    epochs=scale.task_shape_epochs,
    batch_size=scale.batch_size,
    validation_data=(questions.validation_ids, questions.validation_labels),
    verbose=2,
)
_, accuracy = model.evaluate(
    questions.validation_ids, questions.validation_labels, verbose=0
)
print(f"validation accuracy {accuracy:.1%} after {time.perf_counter() - started:.0f} s")
print(f"Key figure: N->1 validation accuracy {accuracy:.1%}, scale {scale.name}")

# %% [markdown]
# ## After training: nearest neighbours
#
# The only thing this model learned from is "question or not". Have the
# words that give a question away moved together? And the others?

# %%
after = model.get_layer("embedding").get_weights()[0]
report(after)

# %% [markdown]
# ## A picture of the table
#
# The embeddings have `embedding_dim` dimensions; to look at them we project
# them onto the two directions along which they vary most (principal
# component analysis, PCA). We show the words of our groups, before and
# after training, with the same projection method.


# %%
def project(embeddings, words):
    """2-D PCA coordinates of `words`, fitted on the words of all groups."""
    vectors = embeddings[[vocabulary.tokens.index(word) for word in words]]
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T  # (words, 2)


shown = [word for words in groups.values() for word in words]
colours = [f"C{i}" for i, words in enumerate(groups.values()) for _ in words]
figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for axis, embeddings, title in (
    (axes[0], before, "before training"),
    (axes[1], after, "after training"),
):
    points = project(embeddings, shown)
    axis.scatter(points[:, 0], points[:, 1], c=colours)
    for word, (x, y) in zip(shown, points, strict=True):
        axis.annotate(word, (x, y), textcoords="offset points", xytext=(3, 3))
    axis.set_title(f"Question classifier embeddings, {title}")
    axis.set_xticks([])
    axis.set_yticks([])
handles = [
    plt.Line2D([], [], marker="o", ls="", color=f"C{i}") for i in range(len(groups))
]
axes[1].legend(handles, list(groups), loc="best")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## What this shows, and what it does not
#
# Before training, every group is as alike as random words: a mean cosine
# near 0. After training (at `cpu` scale; at `ci` scale there is almost
# nothing to see), each group is far more alike than random words, and a
# word's nearest neighbours mostly share its role: the neighbours of "do" are
# other auxiliaries, those of "what" other question words and their
# contractions ("what's", "how's"). That is what the classifier needs, since
# English questions start with exactly these words, and it is the point of
# learned embeddings (Mikolov et al., 2013, "Efficient Estimation of Word
# Representations in Vector Space"): they come to carry meaning. The pronouns
# group as well, most likely because a question swaps them with the verb ("are
# you", "do they").
#
# Read the numbers against the baseline, though. Even random words drift
# together a little: this model uses every word for one purpose, so all
# vectors move along the few directions that separate questions from
# statements. The nouns group least, and the neighbours of "dog" show the
# limit: whether a sentence is a question says nothing about what a dog is.
#
# Embeddings trained on large amounts of text with a general objective, such
# as predicting a word from its neighbours (word2vec, GloVe) or translating
# (the encoders of the next chapters), capture far more of a word's meaning:
# the famous `king - man + woman ≈ queen`. A translation model, trained to
# keep the meaning of every word, learns richer embeddings than a
# question-or-not classifier can.
#
# ## Summary
#
# - An embedding table starts random; training moves each row to serve the task.
# - Cosine similarity compares directions; nearest neighbours show what the
#   model treats as alike.
# - The N→1 classifier pulls the words that signal a question closest
#   together: embeddings carry the meaning their task needs, and little else.
# - Compare similarities with a baseline of random words, not with 0.
#
# ## Exercises
#
# **Exercise 1.** Write `cosine_similarity(embeddings, vector)`: the cosine
# between each row of a `(V, E)` matrix and one `(E,)` vector, as a `(V,)`
# array. With it, `np.argsort(-cosine_similarity(after, after[i]))` ranks
# every word by its closeness to word `i`, which is what `nearest_neighbours`
# does.


# %%
def cosine_similarity(embeddings, vector):
    raise NotImplementedError("dot products divided by both vectors' lengths")


exercises.check_cosine_similarity(cosine_similarity)

# %% [markdown]
# **Exercise 2 (open).** Train the N→M toy translator of lesson 1c and look
# at the neighbours of a few characters of its source embedding table
# (`model.get_layer("embedding")`): do the animals, the foods or the numbers
# group together?
#
# Solutions: `solutions/ch01_solutions.ipynb`.
