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
# # Lesson 1c: four shapes of sequence task, four small models
#
# **Description:** sort sequence tasks by how many elements go in and come out
# (1→N, N→1, N→N, N→M) and train one small Keras model of each shape on data
# you can read: a number to its words, "is this sentence a question?",
# Chinese word segmentation, and a first toy translator.
#
# **You will learn**
# - the four task shapes and the Keras building blocks of each
#   (`RepeatVector`, the final state, `return_sequences=True`, an encoder state
#   handed to a decoder);
# - the input and output shapes of each model, and why they differ;
# - how to train each one with padding masked out, and how to read its results.
#
# **Time:** 3 to 4 minutes on a 2-core laptop CPU (`cpu` scale); a few
# minutes on a Colab GPU (`gpu` scale: more data, wider models, more epochs;
# not yet timed).

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
import time

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch01_sequence_tasks import (
    NUMBER_FEATURES,
    SEGMENTATION_TAGS,
    TASK_SHAPES,
    build_encoder_decoder,
    build_many_to_many,
    build_many_to_one,
    build_one_to_many,
    build_task_model,
    exercises,
    greedy_translate,
    number_features,
    number_words,
    pad_ids,
    question_data,
    segmentation_tags,
    split_numbers,
    words_from_tags,
)
from chapters.common import fonts, metrics, plots, tatoeba, toy_grammar
from chapters.common.pipeline import make_dataset
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import WordTokenizer
from chapters.common.vocabulary import END_ID, PAD_ID, Vocabulary

scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
# Predicting with five different models makes TensorFlow warn about retracing,
# which is expected here and costs well under a second.
tf.get_logger().setLevel("ERROR")
hidden_units = scale.task_shape_hidden_units
print("GPU:", tf.config.list_physical_devices("GPU") or "none")
print(
    f"Scale: {scale.name}; {hidden_units} hidden units, {scale.embedding_dim}-dim "
    f"embeddings, {scale.task_shape_epochs} epochs "
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
# Every model returns logits, unnormalised scores; the losses apply the
# softmax (`from_logits=True`). We time each training run to report it.


# %%
def train(model, inputs, targets, epochs, validation_data=None, batch_size=None):
    """Fits `model` and returns its history and the seconds it took."""
    started = time.perf_counter()
    history = model.fit(
        inputs,
        targets,
        epochs=epochs,
        batch_size=batch_size or scale.batch_size,
        validation_data=validation_data,
        verbose=2 if epochs <= 20 else 0,
    )
    return history, time.perf_counter() - started


results = {}

# %% [markdown]
# ## 1→N: a number to its words
#
# **Data.** The numbers 0 to 999, written out in English (`three hundred forty
# two`) or Chinese (`三百四十二`, one character per token). We train on 800
# numbers and test on the 200 others, so the model cannot just memorise: it
# must learn how the words follow from the digits. The one input is a vector
# of 30 numbers, the one-hot hundreds, tens and units digits.

# %%
number_split = split_numbers(test_fraction=0.2, seed=0)
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
    history, seconds = train(
        model, train_x, train_y, scale.number_words_epochs, batch_size=32
    )
    number_models[language] = (model, vocabulary, arrays, history, seconds)

# %% [markdown]
# **Inference.** The most likely word at each step, read up to `[END]`. The
# metric is exact match: the share of the 200 unseen numbers whose words come
# out entirely right.

# %%
for language, (model, vocabulary, arrays, _, seconds) in number_models.items():
    test_x, test_y = arrays(number_split["test"])
    predicted = model.predict(test_x, verbose=0).argmax(axis=-1)  # (B, T)
    guesses = [vocabulary.decode(row) for row in predicted]
    truths = [vocabulary.decode(row) for row in test_y]
    exact = np.mean([g == t for g, t in zip(guesses, truths, strict=True)])
    joiner = " " if language == "en" else ""
    print(
        f"{language}: exact match on 200 unseen numbers {exact:.1%} ({seconds:.0f} s)"
    )
    shown = list(zip(number_split["test"], guesses, truths, strict=True))[::35]
    for number, guess, truth in shown:
        mark = "✓" if guess == truth else "✗"
        print(f"  {number:3} -> {joiner.join(guess):28} {mark} {joiner.join(truth)}")
    results[f"1->N number to words ({language})"] = (
        f"exact match {exact:.1%}",
        seconds,
    )

# %% [markdown]
# ## N→1: is this sentence a question?
#
# **Data.** English sentences of the Tatoeba training split. The label is 1
# when the sentence ends with "?", and then *all punctuation is removed*, so
# the model has to find the question in the words: "do you", "where is", word
# order. We evaluate on the validation split. `question_data` keeps each
# English sentence once (Tatoeba often has several Chinese translations of it).

# %%
splits = tatoeba.split_corpus(tatoeba.load_corpus_or_toy())
questions = question_data(
    splits["train"],
    splits["validation"],
    max_train=scale.task_shape_examples,
    min_count=scale.min_token_count,
)
print(
    f"{len(questions.train_tokens):,} training sentences, "
    f"{questions.train_labels.mean():.0%} questions"
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
question_history, seconds = train(
    question_model,
    questions.train_ids,
    questions.train_labels,
    scale.task_shape_epochs,
    validation_data=(questions.validation_ids, questions.validation_labels),
)

# %% [markdown]
# **Inference.** Accuracy on the validation sentences, next to the accuracy
# of always answering the most common class.

# %%
logits = question_model.predict(questions.validation_ids, verbose=0)
question_probability = keras.ops.convert_to_numpy(keras.ops.softmax(logits))[:, 1]
labels = questions.validation_labels
accuracy = np.mean((question_probability > 0.5) == labels)
baseline = max(labels.mean(), 1 - labels.mean())
print(f"validation accuracy {accuracy:.1%}; always the majority class: {baseline:.1%}")
for index in np.linspace(0, len(labels) - 1, 8).astype(int):
    truth = "question" if labels[index] else "statement"
    print(
        f"  P(question)={question_probability[index]:.2f}  truth: {truth:9}  "
        f"{' '.join(questions.validation_tokens[index])}"
    )
results["N->1 question or not"] = (
    f"accuracy {accuracy:.1%} (majority {baseline:.1%})",
    seconds,
)

# %% [markdown]
# ## N→N: one tag per character (Chinese word segmentation)
#
# **Data.** Chinese has no spaces, but it has words. Tagging each character
# B (begins a word), M (middle), E (ends a word) or S (a one-character word)
# turns segmentation into N→N tagging: one output per input. The toy grammar
# knows its words, so it gives us the gold tags. We keep its sentences short,
# 3 to 8 English words, for this task and the next; chapter 2 goes longer.

# %%
toy = toy_grammar.toy_splits(
    train=scale.task_shape_examples,
    validation=scale.toy_eval_pairs,
    test=scale.toy_eval_pairs,
    seed=0,
    min_words=3,
    max_words=8,
)
# An example with words of one and of two characters.
example = next(p for p in toy["train"] if {len(w) for w in p.chinese_words} >= {1, 2})
tags = segmentation_tags(example.chinese_words)
print("words:", " ".join(example.chinese_words))
print(
    "tags: ",
    " ".join(
        f"{character}/{tag}"
        for character, tag in zip(example.chinese_characters(), tags, strict=True)
    ),
)

character_vocabulary = Vocabulary.build(
    [pair.chinese_characters() for pair in toy["train"]]
)
tag_ids = {tag: index for index, tag in enumerate(SEGMENTATION_TAGS)}


def tagging_arrays(pairs):
    characters = pad_ids(
        [character_vocabulary.encode(p.chinese_characters()) for p in pairs]
    )
    tags = pad_ids(
        [[tag_ids[t] for t in segmentation_tags(p.chinese_words)] for p in pairs]
    )
    return characters, tags


tagging_x, tagging_y = tagging_arrays(toy["train"])
tagging_validation = tagging_arrays(toy["validation"])
print(
    f"characters {tagging_x.shape} -> tags {tagging_y.shape}; "
    f"{len(character_vocabulary)} characters"
)

# %% [markdown]
# **Model.** Embedding → a *bidirectional* GRU with `return_sequences=True`:
# one forward and one backward pass, so each character's output has seen the
# characters on both sides (in real text, whether 子 ends a word, as in 孩子,
# or starts one, as in 子弹, depends on its neighbours) → a dense layer at
# every step. Padded tag positions hold 0, which is
# also tag B; they do not count, because the embedding's mask reaches the
# loss and Keras leaves masked positions out.

# %%
tagging_model = build_many_to_many(
    len(character_vocabulary), scale.embedding_dim, hidden_units, len(SEGMENTATION_TAGS)
)
tagging_model.compile(
    optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)
print(f"input {tagging_x.shape} -> output {tagging_model.output_shape}")
# The toy lexicon's word boundaries are learnt within an epoch or two (watch
# the validation loss), so this model gets a quarter of the epochs.
tagging_history, seconds = train(
    tagging_model,
    tagging_x,
    tagging_y,
    max(1, scale.task_shape_epochs // 4),
    validation_data=tagging_validation,
)

# %% [markdown]
# **Inference.** Tag accuracy over real characters (padding excluded), and the
# share of sentences segmented entirely right. Expect it to be near perfect:
# the toy lexicon is small and almost every character belongs to one word
# only. Real Chinese is harder, because the same characters split differently
# in different sentences, which is where the context from both sides counts.

# %%
validation_x, validation_y = tagging_validation
predicted_tags = tagging_model.predict(validation_x, verbose=0).argmax(axis=-1)
real = validation_x != PAD_ID
tag_accuracy = np.mean(predicted_tags[real] == validation_y[real])
sentence_right = np.mean(
    [
        (p[m] == t[m]).all()
        for p, t, m in zip(predicted_tags, validation_y, real, strict=True)
    ]
)
print(
    f"tag accuracy {tag_accuracy:.1%}; "
    f"sentences segmented entirely right {sentence_right:.1%}"
)
for pair, tags in list(zip(toy["validation"], predicted_tags, strict=True))[:5]:
    characters = pair.chinese_characters()
    guess = words_from_tags(
        characters, [SEGMENTATION_TAGS[t] for t in tags[: len(characters)]]
    )
    mark = "✓" if guess == list(pair.chinese_words) else "✗"
    print(f"  {' '.join(guess):30} {mark} {' '.join(pair.chinese_words)}")
results["N->N word segmentation"] = (f"tag accuracy {tag_accuracy:.1%}", seconds)

# %% [markdown]
# ## N→M: a first encoder–decoder (toy Chinese → English)
#
# **Data.** The same toy pairs as translation pairs, Chinese characters in,
# English words out, through the course's `tf.data` pipeline. For teacher
# forcing the decoder reads the target shifted right behind `[START]` and
# learns to predict the target followed by `[END]`.

# %%
translation_pairs = {
    name: [(pair.chinese, pair.english) for pair in pairs]
    for name, pairs in toy.items()
}
# A tokenizer per language: the Chinese one reuses the character vocabulary
# above, the English one counts the training sentences' words.
chinese_tokenizer = WordTokenizer(character_vocabulary, "zh")
english_tokenizer = WordTokenizer.build([pair.english for pair in toy["train"]], "en")


def translation_dataset(name, shuffle=False):
    return make_dataset(
        translation_pairs[name], chinese_tokenizer, english_tokenizer,
        batch_size=scale.batch_size, shuffle=shuffle,
    )  # fmt: skip


(source_ids, decoder_input_ids), decoder_target_ids = next(
    iter(translation_dataset("train"))
)
print(
    "source",
    tuple(source_ids.shape),
    "+ decoder input",
    tuple(decoder_input_ids.shape),
    "-> targets",
    tuple(decoder_target_ids.shape),
)
print(
    "decoder input:",
    english_tokenizer.ids_to_tokens(decoder_input_ids[0].numpy()),
)
print(
    "target:       ",
    english_tokenizer.ids_to_tokens(decoder_target_ids[0].numpy()),
)

# %% [markdown]
# **Model.** The encoder (embedding → GRU) reads the Chinese and keeps only
# its final state, the context vector. That state starts the decoder GRU,
# which outputs one score per English word at each target step. Chapter 2
# builds this properly: it feeds the context at every step, decodes with
# beam search, and measures how it copes with long sentences.

# %%
translator = build_encoder_decoder(
    chinese_tokenizer.vocabulary_size,
    english_tokenizer.vocabulary_size,
    scale.embedding_dim,
    hidden_units,
)
# Five times Adam's default learning rate: in our trials at `cpu` scale the
# translator reached BLEU 52 after 3 epochs, where the default was at 21 after 12.
translator.compile(
    optimizer=keras.optimizers.Adam(0.005),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
print(
    "inputs",
    [tuple(tensor.shape) for tensor in translator.inputs],
    "-> output",
    translator.output_shape,
)
# The pipeline cannot know its length in advance (it drops empty sentences), so
# we repeat it and say how many batches make an epoch.
started = time.perf_counter()
translator_history = translator.fit(
    translation_dataset("train", shuffle=True).repeat(),
    steps_per_epoch=-(-len(toy["train"]) // scale.batch_size),
    validation_data=translation_dataset("validation").repeat(),
    validation_steps=-(-len(toy["validation"]) // scale.batch_size),
    epochs=scale.task_shape_epochs,
    verbose=2,
)
seconds = time.perf_counter() - started

# %% [markdown]
# **Inference.** Greedy decoding: start from `[START]`, feed back the most
# likely word, stop at `[END]`. Metrics on the validation pairs: exact match
# and corpus BLEU (sacrebleu, 0–100). Some misses cannot be helped: Chinese
# marks neither plural nor "the", so 笔很漂亮 may be "the pen is beautiful" as
# well as "pens are beautiful"; only one of them is the reference.

# %%
validation_sources = pad_ids(
    [character_vocabulary.encode(p.chinese_characters()) for p in toy["validation"]]
)
generated = greedy_translate(translator, validation_sources, max_length=20)
hypotheses = [english_tokenizer.decode(row) for row in generated]
references = [
    english_tokenizer.detokenize(english_tokenizer.tokenize(p.english))
    for p in toy["validation"]
]
exact = np.mean([h == r for h, r in zip(hypotheses, references, strict=True)])
bleu = metrics.corpus_bleu(hypotheses, references, "en").score
print(f"exact match {exact:.1%}; BLEU {bleu:.1f}")
for pair, hypothesis, reference in list(
    zip(toy["validation"], hypotheses, references, strict=True)
)[:6]:
    print(f"  {pair.chinese}\n    model: {hypothesis}\n    truth: {reference}")
results["N->M toy zh->en translation"] = (
    f"BLEU {bleu:.1f}, exact {exact:.1%}",
    seconds,
)

# %% [markdown]
# ## Training curves
#
# Training loss (solid) and validation loss (dashed) per epoch. The 1→N runs
# have no validation set: their test numbers are scored above.

# %%
figure, axes = plt.subplots(1, 4, figsize=(14, 3))
curves = {
    "1->N (en)": number_models["en"][3],
    "N->1": question_history,
    "N->N": tagging_history,
    "N->M": translator_history,
}
for axis, (title, history) in zip(axes, curves.items(), strict=True):
    plots.plot_history(history, metrics=("loss",), ax=axis, title=title)
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# | shape | task | input → output | the key setting |
# |---|---|---|---|
# | 1→N | number → words | `(B, 30)` → `(B, T, V)` | `RepeatVector` |
# | N→1 | question? | `(B, S)` → `(B, 2)` | the GRU's final state |
# | N→N | segmentation | `(B, S)` → `(B, S, 4)` | `return_sequences=True` |
# | N→M | translation | `(B, S)`, `(B, T)` → `(B, T, V)` | `initial_state` |
#
# The results of this run:

# %%
for task, (metric, seconds) in results.items():
    print(f"{task:30} {metric:34} trained in {seconds:5.0f} s")
summary = "; ".join(f"{task}: {metric}" for task, (metric, _) in results.items())
print(f"Key figure: {summary}, scale {scale.name}")

# %% [markdown]
# Next, lesson 1d opens the question classifier's embedding table.
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
# `(B, classes)` probabilities (a softmax at the end). The check feeds it the
# same sentences with extra padding: the probabilities must not change.


# %%
def build_classifier(vocabulary_size, embedding_dim, hidden_units, classes):
    raise NotImplementedError("Input -> Embedding(mask_zero) -> GRU -> Dense(softmax)")


exercises.check_many_to_one_classifier(build_classifier)

# %% [markdown]
# Solutions: `solutions/ch01_solutions.ipynb`.
