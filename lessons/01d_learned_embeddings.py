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
#   general meaning of large pre-trained embeddings;
# - embedding arithmetic (king − man + woman ≈ queen): how to solve an analogy,
#   how to measure analogy accuracy against baselines, embeddings on which it
#   works and embeddings on which it fails.
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
    PEOPLE,
    analogy_accuracy,
    analogy_set,
    build_many_to_one,
    exercises,
    nearest_neighbours,
    people_sentences,
    question_data,
    solve_analogies,
    train_skipgram,
)
from chapters.common import fonts, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import RESERVED_TOKENS, Vocabulary

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
def project(embeddings, tokens, words):
    """2-D PCA coordinates of `words`, fitted on these words alone."""
    vectors = embeddings[[tokens.index(word) for word in words]]
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
    points = project(embeddings, vocabulary.tokens, shown)
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
# The next section puts that claim to the test.
#
# ## Embedding arithmetic: king − man + woman ≈ queen
#
# Mikolov, Yih and Zweig (2013, "Linguistic Regularities in Continuous Space
# Word Representations") found that in embeddings trained to predict words from
# their neighbours, the *offset* between two vectors can carry a relation:
# woman − man points from male to female, and king plus that offset lands near
# queen. To answer an analogy `a : b :: c : ?` (man : woman :: king : ?):
#
# 1. divide every embedding by its length, so that no word counts more for
#    being long;
# 2. compute the target $t = b - a + c$ (woman − man + king, which is also
#    king − man + woman);
# 3. answer the word whose vector has the highest cosine with $t$, leaving out
#    a, b and c (in large real embeddings, c itself is often nearest to its own
#    shifted vector) and the reserved tokens.
#
# Levy and Goldberg (2014, "Linguistic Regularities in Sparse and Explicit Word
# Representations") call this rule 3CosAdd. It can only find directions that the
# embeddings hold, and embeddings hold what their training text and objective
# put there. So we first build embeddings on which it should work, count how
# often it is right, and then count the same on our classifier's table.
#
# ### Text in which gender, age and number show
#
# The course's toy grammar (`chapters/common/toy_lexicon.py`) has man, woman,
# boy and girl and the plurals of its nouns, but nothing in its sentences depends
# on a person's gender: every person noun takes the same verbs, adjectives and
# pronouns, so man and woman share all their contexts. `people_sentences` writes
# a small English text of its own about twelve people nouns (man, woman, boy,
# girl, king, queen, prince, princess, father, mother, son, daughter) and their
# plurals, where each property shows in the words around the noun: gender in
# the pronouns that refer back to it (he, his / she, her), age in what the
# person does (adults work, drive and vote; children play, learn and nap), the
# setting in places and things (a palace and a crown; a street and a bag; a
# kitchen and a photo), number in the determiners and the verb's agreement.

# %%
people_text = people_sentences(4_000, seed=0)
people_vocabulary = Vocabulary.build(people_text)
for sentence in people_text[:6]:
    print(" ".join(sentence))
print(f"{len(people_text):,} sentences, {len(people_vocabulary)} words")

# %% [markdown]
# ### Embeddings from predicting neighbours: skip-gram
#
# Skip-gram (Mikolov et al., 2013, "Efficient Estimation of Word
# Representations in Vector Space") trains each word's embedding $e_w$ to
# predict the words within a few positions of it. With negative sampling (the
# same authors, 2013, "Distributed Representations of Words and Phrases and
# their Compositionality"), each pair of a word and a real neighbour $c$ comes
# with a few "noise" words $n$ drawn at random, and the model learns to tell
# them apart:
#
# $$\text{loss} = -\log \sigma(e_w \cdot f_c)
#   - \sum_n \log \sigma(-e_w \cdot f_n),$$
#
# where $f$ is a second table for words seen as neighbours. Two words used in
# the same way must predict the same neighbours, so they get similar vectors;
# and a property that changes the neighbours the same way for every noun (she
# and her in place of he and his) becomes the same offset for every noun.
# `train_skipgram` builds this model in Keras and returns the $e$ table.

# %%
started = time.perf_counter()
people_embeddings = train_skipgram(
    people_text, people_vocabulary, embedding_dim=16, epochs=scale.task_shape_epochs
)  # (V, 16)
print(
    f"skip-gram embeddings {people_embeddings.shape} trained in "
    f"{time.perf_counter() - started:.0f} s"
)
examples = [
    ("man", "king", "woman"),
    ("king", "queen", "boy"),
    ("mother", "daughter", "king"),
    ("girl", "girls", "prince"),
    ("man", "men", "queen"),
]
answers = solve_analogies(people_embeddings, people_vocabulary.tokens, examples)
for (a, b, c), answer in zip(examples, answers, strict=True):
    print(f"  {b} - {a} + {c} -> {answer}")

# %% [markdown]
# ### Analogy accuracy, against two baselines
#
# A few right answers prove little. `analogy_set` lists every analogy this text
# supports, one relation at a time: male → female (man : woman :: kings :
# queens), adult → child (king : prince :: mothers : daughters), singular →
# plural (girl : girls :: father : fathers). Twelve word pairs per relation give
# 12 × 11 ordered analogies each. We compare with two baselines:
#
# - random embeddings: the accuracy of chance, about one right answer in the
#   number of candidate words;
# - the word nearest to c alone, without the offset b − a: how much of the
#   answer comes from c's neighbourhood rather than from the arithmetic.

# %%
analogies = analogy_set()
print(f"{len(analogies)} analogies, for example:")
for analogy in analogies[::60]:
    print(
        f"  {analogy.a} : {analogy.b} :: {analogy.c} : {analogy.d} ({analogy.relation})"
    )


def print_accuracy(rows):
    """One line per embedding table: accuracy by relation, and right/asked."""
    relations = list(next(iter(rows.values())))
    print(f"{'':48}" + "".join(f"{relation:>9}" for relation in relations))
    for name, scores in rows.items():
        cells = "".join(f"{scores[relation].accuracy:9.0%}" for relation in relations)
        print(f"{name:48}{cells}   ({scores['all'].correct}/{scores['all'].total})")


random_embeddings = np.random.default_rng(0).normal(size=people_embeddings.shape)
people_tokens = people_vocabulary.tokens
print_accuracy(
    {
        "skip-gram, b - a + c": analogy_accuracy(
            people_embeddings, people_tokens, analogies
        ),
        "skip-gram, nearest to c alone": analogy_accuracy(
            people_embeddings, people_tokens, analogies, use_offset=False
        ),
        "random embeddings, b - a + c": analogy_accuracy(
            random_embeddings, people_tokens, analogies
        ),
    }
)

# %% [markdown]
# ### A picture of the offsets
#
# The same 2-D projection as above, now of the twelve singular nouns. An arrow
# joins each male noun to its female partner; if gender is one offset, the
# arrows are parallel and of the same length.

# %%
singular_nouns = [person.singular for person in PEOPLE]
points = project(people_embeddings, people_tokens, singular_nouns)
figure, axis = plt.subplots(figsize=(6.5, 5))
axis.scatter(points[:, 0], points[:, 1], c="C0")
for word, (x, y) in zip(singular_nouns, points, strict=True):
    axis.annotate(word, (x, y), textcoords="offset points", xytext=(3, 3))
# PEOPLE lists each male noun just before its female partner.
for male, female in zip(points[::2], points[1::2], strict=True):
    axis.annotate("", female, male, arrowprops={"arrowstyle": "->", "color": "C3"})
axis.set_title("Skip-gram embeddings: male → female")
axis.set_xticks([])
axis.set_yticks([])
figure.tight_layout()
plt.show()

# %% [markdown]
# ### Where it fails: the question classifier's embeddings
#
# The same analogies on the table our N→1 classifier learned from Tatoeba,
# after training and before. Analogies with a word that is not in its
# vocabulary are left out, so we first say how many remain.

# %%
people_words = {word for person in PEOPLE for word in (person.singular, person.plural)}
print("not in the Tatoeba vocabulary:", sorted(people_words - set(vocabulary.tokens)))
classifier_rows = {
    "question classifier after training, b - a + c": analogy_accuracy(
        after, vocabulary.tokens, analogies
    ),
    "question classifier before training": analogy_accuracy(
        before, vocabulary.tokens, analogies
    ),
    "after training, nearest to c alone": analogy_accuracy(
        after, vocabulary.tokens, analogies, use_offset=False
    ),
}
print(
    f"{classifier_rows['question classifier before training']['all'].total} of "
    f"{len(analogies)} analogies have all four words among its "
    f"{len(vocabulary):,} tokens"
)
if classifier_rows["question classifier before training"]["all"].total:
    print_accuracy(classifier_rows)
    known = [q[:3] for q in examples if set(q) <= set(vocabulary.tokens)]
    answers = solve_analogies(after, vocabulary.tokens, known)
    for (a, b, c), answer in zip(known, answers, strict=True):
        print(f"  {b} - {a} + {c} -> {answer}")

# %% [markdown]
# ### What the numbers say
#
# At `cpu` scale, the skip-gram embeddings of the people text answer all 396
# analogies (100% for each relation), king − man + woman gives queen, and the
# picture shows why: the male → female arrows point nearly the same way, and
# the horizontal direction keeps the adults on one side and the children on
# the other. The baselines show that the arithmetic does the work. Random
# embeddings get 1% (3 of 396), about chance with some 75 candidate words. The
# word nearest to c alone, without the offset, is right 22% of the time (88 of
# 396). Always report that baseline: in large real embeddings, many analogies
# that 3CosAdd gets right are answered just as well by c's nearest neighbour,
# once a, b and c are left out (Linzen, 2016, "Issues in evaluating semantic
# spaces using word analogies").
#
# Do not read 100% as "embeddings understand gender". We wrote the text so that
# each property shows in words of its own (he and his for males, crowns at
# court), so every noun's neighbours change the same way when its gender
# changes. Real text is far messier: word2vec was trained on billions of words,
# and even there analogy accuracy is well below 100%; the famous examples are
# chosen among those that work.
#
# The question classifier fails on both counts, text and objective. Its 12,000
# Tatoeba sentences use queen, kings, queens, fathers, mothers, princes and
# princesses less than twice each, too rarely to enter its vocabulary
# (`min_count` is 2 at `cpu` scale), so only 128 of the 396 analogies can even
# be asked. Of those it answers 1 (1%), hardly better than its own random table
# before training (0 of 128), and king − man + woman gives "fit". Its objective
# never asked it to tell a man from a woman: it learned that "what" and "do"
# start questions, which is all a question-or-not label needs. Embedding
# arithmetic needs text in which the relations show, enough of it that every
# word is seen often, and an objective that reads every word's neighbours, like
# skip-gram's.
#
# ## Summary
#
# - An embedding table starts random; training moves each row to serve the task.
# - Cosine similarity compares directions; nearest neighbours show what the
#   model treats as alike.
# - The N→1 classifier pulls the words that signal a question closest
#   together: embeddings carry the meaning their task needs, and little else.
# - Compare similarities with a baseline of random words, not with 0.
# - Embedding arithmetic, the word nearest to b − a + c by cosine (a, b and c
#   left out), answers `a : b :: c : ?` only where training made each relation
#   one offset: all 396 of our analogies on skip-gram embeddings of text where
#   gender, age and number show; about 1% on the question classifier's table,
#   no better than random.
# - Measure analogy accuracy on a whole set, against random embeddings and
#   against the word nearest to c alone.
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
# **Exercise 2.** Write `solve_analogy(embeddings, tokens, a, b, c)`: the
# word d of `a : b :: c : d` by the three steps above. Normalize each row to
# length 1 (without changing the array you were given), compute `b − a + c`
# from the unit vectors, and return the word (a `str`) with the highest cosine,
# leaving out a, b and c; a tie goes to the word that comes first in `tokens`.
# Then `solve_analogy(people_embeddings, people_tokens, "man", "woman", "king")`
# should say queen. (The chapter's `solve_analogies` also skips the reserved
# tokens; the check's tokens hold none.)


# %%
def solve_analogy(embeddings, tokens, a, b, c):
    raise NotImplementedError("unit vectors, b - a + c, best cosine of the others")


exercises.check_solve_analogy(solve_analogy)

# %% [markdown]
# **Exercise 3 (open).** After lesson 1e, take its N→M toy translator and look
# at the neighbours of a few characters of its source embedding table
# (`model.get_layer("embedding")`): do the animals, the foods or the numbers
# group together?
#
# **Exercise 4 (open).** How much text does embedding arithmetic need? Train
# the skip-gram embeddings on 500, 1,000 and 2,000 people sentences and print
# `analogy_accuracy` for each: which relation is learned first?
#
# Solutions: `solutions/ch01_solutions.ipynb`.
