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
# # Lesson 1c: four shapes of sequence task; 1→N and N→1 trained
#
# **Description:** sort sequence tasks by how many elements go in and come out
# (1→N, N→1, N→N, N→M), build one small Keras model of each shape, and train
# the first two on data you can read: a number to its words, and "is this
# sentence a question?". Lesson 1e trains the other two.
#
# **You will learn**
# - the four task shapes and the Keras building blocks of each
#   (`RepeatVector`, the final state, `return_sequences=True`, an encoder state
#   handed to a decoder);
# - the input and output shapes of each model, and why they differ;
# - how to stop training once a task has converged, with `EarlyStopping` on a
#   validation metric, and why the test numbers are kept apart from it.
#
# **Time:** under a minute on a 2-core laptop CPU (`cpu` scale); a few minutes
# at most on a Colab GPU (`gpu` scale: more data, wider models; not yet timed).

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
import os

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch01_sequence_tasks import (
    NUMBER_FEATURES,
    TASK_SHAPES,
    build_many_to_one,
    build_one_to_many,
    build_task_model,
    exercises,
    fit_until_converged,
    number_features,
    number_words,
    pad_ids,
    question_data,
    question_examples,
    split_numbers,
)
from chapters.common import metrics, plots, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import tokenize_english
from chapters.common.vocabulary import END_ID, Vocabulary

scale = current_scale()
set_seed(42)
# Predicting with several models makes TensorFlow warn about retracing, which is
# expected here and costs well under a second.
tf.get_logger().setLevel("ERROR")
hidden_units = scale.task_shape_hidden_units
print("GPU:", tf.config.list_physical_devices("GPU") or "none")
print(
    f"Scale: {scale.name}; {hidden_units} hidden units, {scale.embedding_dim}-dim "
    f"embeddings, at most {scale.task_shape_epochs} epochs "
    f"({scale.number_words_epochs} for 1→N)"
)

# %% [markdown]
# ## The four shapes
#
# Count the elements (words, characters, numbers) on each side of a task:
#
# - **1→N**, one input and a sequence out: a number to its words, a topic word
#   to a poem, an image to its caption. The input reaches every step of an RNN.
# - **N→1**, a sequence in and one output: classifying a sentence (topic,
#   sentiment, question or not). The RNN's final state feeds a classifier.
# - **N→N**, one output per input element: tagging every word (word class,
#   names, word boundaries). `return_sequences=True`, a classifier per step.
# - **N→M**, a sequence in and a sequence of another length out: translation,
#   summaries, dialogue. An encoder's final state starts a decoder (seq2seq).
#
# N→M is the most general, and the subject of the rest of the course. The
# chapter package builds one functional model per shape; here they are with
# small sizes (batch `None`: any batch size fits).

# %%
# NBVAL_CHECK_OUTPUT
overview_sizes = {
    "1->N": {
        "num_features": 30,
        "output_length": 6,
        "vocabulary_size": 40,
        "hidden_units": 8,
    },
    "N->1": {
        "vocabulary_size": 100,
        "embedding_dim": 8,
        "hidden_units": 8,
        "num_classes": 2,
    },
    "N->N": {
        "vocabulary_size": 100,
        "embedding_dim": 8,
        "hidden_units": 8,
        "num_tags": 4,
    },
    "N->M": {
        "source_vocabulary_size": 100,
        "target_vocabulary_size": 120,
        "embedding_dim": 8,
        "hidden_units": 8,
    },
}
for task_shape in TASK_SHAPES:
    model = build_task_model(task_shape, **overview_sizes[task_shape])
    inputs = [tuple(tensor.shape) for tensor in model.inputs]
    print(f"{task_shape}: inputs {inputs} -> output {model.output_shape}")

# %% [markdown]
# This lesson trains the 1→N and N→1 models; lesson 1e trains the N→N tagger
# and the N→M translator. Every model returns logits, unnormalised scores;
# the losses apply the softmax (`from_logits=True`).
#
# ## Training until the task has converged
#
# How many epochs does a model need? Too few and it has not learnt the task;
# too many and we wait for nothing, or it starts to memorise its training
# data. Rather than guess, we let Keras' `EarlyStopping` callback watch a
# number after each epoch and stop when it no longer improves:
#
# - it watches a **validation** number, measured on data the model does not
#   train on; the training numbers keep improving long after the model has
#   stopped getting better on new data;
# - it watches the **accuracy** the task is judged by (`mode="max"`: higher is
#   better), not the loss: once a model gets every answer right, its loss
#   keeps creeping down as it grows surer of those same answers;
# - `patience`: how many epochs in a row may go by without a new best before
#   it stops; with `patience=1` it stops at the first such epoch. A small
#   validation set needs more patience, because a dip of one or two words
#   there can be chance;
# - `restore_best_weights=True`: it then puts back the weights of the best
#   epoch, not those of the last one.
#
# The scale's number of epochs becomes an upper bound. Since the validation
# data chose the epoch, it is no longer a fair judge of the result: each task
# keeps a third set, the test set, for its final score.
#
# `fit_until_converged` (in `chapters.ch01_sequence_tasks`) wraps `model.fit`
# with that callback and prints how many epochs ran and which one was kept.


# %%
results = {}

# %% [markdown]
# ## 1→N: a number to its words
#
# **Data.** The numbers 0 to 999, written out in English (`three hundred forty
# two`) or Chinese (`三百四十二`, one character per token). 200 numbers are the
# test set; of the other 800, 100 are the validation set that tells training
# when to stop, and the model trains on 700. It never sees a test number, so
# it cannot just memorise: it must learn how the words follow from the digits.
# The one input is a vector of 30 numbers, the one-hot hundreds, tens and
# units digits.

# %%
number_split = split_numbers(test_fraction=0.2, seed=0)
held_out = np.random.default_rng(0).permutation(number_split["train"])
number_split["validation"] = np.sort(held_out[:100])
number_split["train"] = np.sort(held_out[100:])
print(
    f"{len(number_split['train'])} training, {len(number_split['validation'])} "
    f"validation and {len(number_split['test'])} test numbers"
)
for number in (7, 15, 342, 105):
    print(number, number_words(number, "en"), "".join(number_words(number, "zh")))
print(
    "features of 342:",
    number_features([342])[0].reshape(3, 10).argmax(axis=1),
    "(digit per place)",
)

# %% [markdown]
# **Model.** The targets are the word ids followed by `[END]`, padded to a
# fixed `T` steps. The input sets the GRU's initial state and is repeated
# (`RepeatVector`) as its input at every step; each step's output goes
# through a dense layer to a score per vocabulary word. All `T` words come
# out of one forward pass.
#
# **Training.** The masked loss and the masked accuracy leave the padding
# after `[END]` out; early stopping watches the validation words' accuracy,
# `val_masked_accuracy`. The validation set holds only 100 numbers, a few
# hundred words, so this task gets `patience=3`.


# %%
def number_task(language):
    """Vocabulary, inputs and padded targets of the 1→N task in `language`."""
    words = {number: number_words(number, language) for number in range(1000)}
    vocabulary = Vocabulary.build(words.values())
    length = max(len(w) for w in words.values()) + 1  # room for [END]

    def arrays(numbers):
        targets = [vocabulary.encode(words[n]) + [END_ID] for n in numbers]
        return number_features(numbers), pad_ids(targets, length)

    return vocabulary, length, arrays


number_models = {}
for language in ("en", "zh"):
    vocabulary, length, arrays = number_task(language)
    train_x, train_y = arrays(number_split["train"])
    model = build_one_to_many(NUMBER_FEATURES, length, len(vocabulary), hidden_units)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=metrics.masked_loss,
        metrics=[metrics.MaskedAccuracy()],
    )
    print(
        f"{language}: input {train_x.shape} -> targets {train_y.shape}; "
        f"model output {model.output_shape}"
    )
    history, seconds = fit_until_converged(
        model,
        train_x,
        train_y,
        monitor="val_masked_accuracy",
        max_epochs=scale.number_words_epochs,
        patience=3,
        validation_data=arrays(number_split["validation"]),
        batch_size=32,
    )
    number_models[language] = (model, vocabulary, arrays, history, seconds)

# %% [markdown]
# **Inference.** The most likely word at each step, read up to `[END]`. The
# metric is exact match: the share of the 200 test numbers whose words come
# out entirely right.

# %%
for language, (model, vocabulary, arrays, _, seconds) in number_models.items():
    test_x, test_y = arrays(number_split["test"])
    predicted = model.predict(test_x, verbose=0).argmax(axis=-1)  # (B, T)
    guesses = [vocabulary.decode(row) for row in predicted]
    truths = [vocabulary.decode(row) for row in test_y]
    exact = np.mean([g == t for g, t in zip(guesses, truths, strict=True)])
    joiner = " " if language == "en" else ""
    print(f"{language}: exact match on the 200 test numbers {exact:.1%}")
    shown = list(zip(number_split["test"], guesses, truths, strict=True))[::35]
    for number, guess, truth in shown:
        mark = "✓" if guess == truth else "✗"
        print(f"  {number:3} -> {joiner.join(guess):28} {mark} {joiner.join(truth)}")
    results[f"1->N number to words ({language})"] = (
        f"exact match {exact:.1%}",
        seconds,
    )

# %% [markdown]
# Early stopping ended the two runs after 6 and 5 of the 80 epochs allowed
# (at `cpu` scale). The English model's validation accuracy reached 1.0000 at
# epoch 3 and stayed there while its validation loss kept falling, from
# 0.0191 to 0.0086 at epoch 6: the model grew surer of answers it already had
# right, which is why early stopping watches the accuracy. The Chinese
# model's validation accuracy peaked at epoch 2 (0.9963), dipped at epoch 3
# and came back to the same value at epochs 4 and 5. `patience=3` carried the
# run past the dip; a tie is no improvement, so `restore_best_weights` kept
# epoch 2, the first to reach the best value. That model misses 6 of the 200
# test numbers, among them 2, written 十.
#
# ## N→1: is this sentence a question?
#
# **Data.** English sentences of the Tatoeba corpus. The label is 1 when the
# sentence ends with "?", and then *all punctuation is removed*, so the model
# has to find the question in the words: "do you", "where is", word order. The
# model trains on the training split, early stopping watches the validation
# split, and the test split gives the final score. `question_data` keeps each
# English sentence once (Tatoeba often has several Chinese translations of it).

# %%
splits = tatoeba.split_corpus(tatoeba.load_corpus_or_toy())
questions = question_data(
    splits["train"],
    splits["validation"],
    max_train=scale.task_shape_examples,
    min_count=scale.min_token_count,
)
test_sentences = list(dict.fromkeys(pair.english for pair in splits["test"]))
test_tokens, test_labels = question_examples(test_sentences, tokenize_english)
test_ids = pad_ids([questions.vocabulary.encode(tokens) for tokens in test_tokens])
print(
    f"{len(questions.train_tokens):,} training, "
    f"{len(questions.validation_tokens):,} validation and {len(test_tokens):,} "
    f"test sentences; {questions.train_labels.mean():.0%} of the training "
    "sentences are questions"
)
print(f"vocabulary: {len(questions.vocabulary):,} words")
# The corpus runs from short sentences to long ones; show a few from all over.
for index in np.linspace(0, len(questions.train_tokens) - 1, 6).astype(int):
    print(
        f"  {questions.train_labels[index]}  {' '.join(questions.train_tokens[index])}"
    )

# %% [markdown]
# **Model.** Embedding (with `mask_zero=True`) → GRU → its final state, a
# summary of the sentence of `hidden_units` numbers → a dense layer with one
# score per class.

# %%
question_model = build_many_to_one(
    len(questions.vocabulary), scale.embedding_dim, hidden_units, num_classes=2
)
question_model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
print(f"input {questions.train_ids.shape} -> output {question_model.output_shape}")
question_history, seconds = fit_until_converged(
    question_model,
    questions.train_ids,
    questions.train_labels,
    monitor="val_accuracy",
    max_epochs=scale.task_shape_epochs,
    validation_data=(questions.validation_ids, questions.validation_labels),
    batch_size=scale.batch_size,
)

# %% [markdown]
# **Inference.** Accuracy on the test sentences, next to the accuracy of
# always answering the most common class.

# %%
logits = question_model.predict(test_ids, verbose=0)
question_probability = keras.ops.convert_to_numpy(keras.ops.softmax(logits))[:, 1]
accuracy = np.mean((question_probability > 0.5) == test_labels)
baseline = max(test_labels.mean(), 1 - test_labels.mean())
print(f"test accuracy {accuracy:.1%}; always the majority class: {baseline:.1%}")
for index in np.linspace(0, len(test_labels) - 1, 8).astype(int):
    truth = "question" if test_labels[index] else "statement"
    print(
        f"  P(question)={question_probability[index]:.2f}  truth: {truth:9}  "
        f"{' '.join(test_tokens[index])}"
    )
results["N->1 question or not"] = (
    f"accuracy {accuracy:.1%} (majority {baseline:.1%})",
    seconds,
)

# %% [markdown]
# At `cpu` scale the question classifier used all 8 epochs it was allowed, so
# early stopping never ended it; its validation accuracy fell at the eighth
# (0.9861 to 0.9846), so the weights of the seventh were kept. On the test
# sentences it is right 98.6% of the time, where always answering
# "statement" is right 84.6% of the time.
#
# ## Training curves
#
# Top, the loss; below, the accuracy that early stopping watched; training
# solid, validation dashed, one point per epoch run.

# %%
figure, axes = plt.subplots(2, 3, figsize=(13, 6), sharex="col")
curves = {
    "1->N (en)": (number_models["en"][3], "masked_accuracy"),
    "1->N (zh)": (number_models["zh"][3], "masked_accuracy"),
    "N->1": (question_history, "accuracy"),
}
for column, (title, (history, accuracy_name)) in enumerate(curves.items()):
    plots.plot_history(history, metrics=("loss",), ax=axes[0, column], title=title)
    plots.plot_history(history, metrics=(accuracy_name,), ax=axes[1, column])
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# | shape | task | input → output | the key setting |
# |---|---|---|---|
# | 1→N | number → words | `(B, 30)` → `(B, T, V)` | `RepeatVector` |
# | N→1 | question? | `(B, S)` → `(B, 2)` | the GRU's final state |
# | N→N | segmentation (lesson 1e) | `(B, S)` → `(B, S, 4)` | `return_sequences=True` |
# | N→M | translation (lesson 1e) | `(B, S)`, `(B, T)` → `(B, T, V)` | `initial_state` |
#
# - Early stopping on a validation accuracy ends each run once the task has
#   converged; the scale's epochs are only an upper bound.
# - Three sets: training data to learn from, validation data to choose when
#   to stop, test data to score the result.
#
# The results of this run, on the test sets:

# %%
for task, (metric, seconds) in results.items():
    print(f"{task:30} {metric:34} trained in {seconds:5.0f} s")
summary = "; ".join(f"{task}: {metric}" for task, (metric, _) in results.items())
print(f"Key figure: {summary}, scale {scale.name}")

# %% [markdown]
# Next, lesson 1d opens the question classifier's embedding table, and lesson
# 1e trains the N→N and N→M models.
#
# ## Exercises
#
# **Exercise 1.** Write `task_output_shape(task_shape, batch_size,
# source_length, target_length, classes)`: the shape of the model's output as
# a tuple, for `"1->N"`, `"N->1"`, `"N->N"` and `"N->M"` (an N→N output has
# one step per *source* step). Raise `ValueError` for any other task shape.


# %%
def task_output_shape(task_shape, batch_size, source_length, target_length, classes):
    raise NotImplementedError("one shape per task shape; ValueError otherwise")


exercises.check_task_output_shape(task_output_shape)

# %% [markdown]
# **Exercise 2.** Write the N→1 model yourself:
# `build_classifier(vocabulary_size, embedding_dim, hidden_units, classes)`
# returns a functional `keras.Model` from `(B, S)` ids (padded with 0) to
# `(B, classes)` probabilities (a softmax at the end). The check reads the sizes
# of its layers (the embedding table `vocabulary_size × embedding_dim`, the GRU's
# `hidden_units`), and feeds it the same sentences with extra padding: the
# probabilities must not change.


# %%
def build_classifier(vocabulary_size, embedding_dim, hidden_units, classes):
    raise NotImplementedError("Input -> Embedding(mask_zero) -> GRU -> Dense(softmax)")


exercises.check_many_to_one_classifier(build_classifier)

# %% [markdown]
# Solutions: `solutions/ch01_solutions.ipynb`.
