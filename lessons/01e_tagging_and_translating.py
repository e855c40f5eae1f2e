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
# # Lesson 1e: N→N tagging and a first N→M translator
#
# **Description:** train the two task shapes of lesson 1c that read a sequence
# and write one: N→N, one tag per Chinese character to find the words of a
# sentence, and N→M, a first encoder–decoder that translates toy Chinese
# sentences into English. Chapter 2 starts from this translator.
#
# **You will learn**
# - word segmentation as tagging: B/M/E/S tags, one per character, and a
#   bidirectional GRU that reads each character's neighbours on both sides;
# - how an encoder's final state, the context vector, starts a decoder, and
#   how the decoder learns with teacher forcing;
# - greedy decoding, exact match and BLEU, and what a first translator gets
#   wrong.
#
# **Time:** one to two minutes on a 2-core laptop CPU (`cpu` scale); a few
# minutes on a Colab GPU (`gpu` scale: more data, wider models; not yet timed).

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
import collections
import os

# TensorFlow's start-up messages (CPU features, no GPU found) are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from chapters.ch01_sequence_tasks import (
    SEGMENTATION_TAGS,
    build_encoder_decoder,
    build_many_to_many,
    exercises,
    fit_until_converged,
    greedy_translate,
    pad_ids,
    segmentation_tags,
    words_from_tags,
)
from chapters.common import metrics, plots, toy_grammar
from chapters.common.pipeline import make_dataset
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import WordTokenizer
from chapters.common.vocabulary import PAD_ID, Vocabulary

scale = current_scale()
set_seed(42)
# Predicting with two models, in batches of changing shapes, makes TensorFlow
# warn about retracing, which is expected here and costs well under a second.
tf.get_logger().setLevel("ERROR")
hidden_units = scale.task_shape_hidden_units
print("GPU:", tf.config.list_physical_devices("GPU") or "none")
print(
    f"Scale: {scale.name}; {hidden_units} hidden units, {scale.embedding_dim}-dim "
    f"embeddings, at most {scale.task_shape_epochs} epochs"
)

# %% [markdown]
# ## Data
#
# Both tasks read the course's toy grammar: generated English–Chinese sentence
# pairs with a real lexicon and real differences of word order. The grammar
# knows the Chinese words of each sentence, which gives the N→N task its gold
# tags. We keep the sentences short, 3 to 8 English words; chapter 2 goes
# longer. Three splits, none sharing a pair: training, validation (to decide
# when training stops) and test (for the final scores).

# %%
toy = toy_grammar.toy_splits(
    train=scale.task_shape_examples,
    validation=scale.toy_eval_pairs,
    test=scale.toy_eval_pairs,
    seed=0,
    min_words=3,
    max_words=8,
)
print(
    f"{len(toy['train']):,} training, {len(toy['validation']):,} validation and "
    f"{len(toy['test']):,} test pairs"
)
for pair in toy["train"][:4]:
    print(f"  {' '.join(pair.chinese_words):24} {pair.english}")

# %% [markdown]
# ## N→N: one tag per character (Chinese word segmentation)
#
# Chinese has no spaces, but it has words. Tagging each character B (begins a
# word), M (middle), E (ends a word) or S (a one-character word) turns
# segmentation into N→N tagging, one output per input; seeing segmentation as
# character tagging goes back to "Chinese Word Segmentation as Character
# Tagging" (Xue, 2003).

# %%
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
    """Character ids and tag ids of `pairs`, both `(B, S)`, padded with 0."""
    characters = pad_ids(
        [character_vocabulary.encode(p.chinese_characters()) for p in pairs]
    )
    tags = pad_ids(
        [[tag_ids[t] for t in segmentation_tags(p.chinese_words)] for p in pairs]
    )
    return characters, tags


tagging = {name: tagging_arrays(pairs) for name, pairs in toy.items()}
print(
    f"characters {tagging['train'][0].shape} -> tags {tagging['train'][1].shape}; "
    f"{len(character_vocabulary)} characters"
)

# %% [markdown]
# ### Model
#
# Embedding → a *bidirectional* GRU with `return_sequences=True`: one forward
# and one backward pass, so each character's output has seen the characters
# on both sides (in real text, whether 子 ends a word, as in 孩子, or starts
# one, as in 子弹, depends on its neighbours) → a dense layer at every step.
# Padded tag positions hold 0, which is also tag B; they do not count, because
# the embedding's mask reaches the loss and the accuracy, and Keras leaves
# masked positions out of both.

# %%
tagging_model = build_many_to_many(
    len(character_vocabulary), scale.embedding_dim, hidden_units, len(SEGMENTATION_TAGS)
)
tagging_model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
print(f"input {tagging['train'][0].shape} -> output {tagging_model.output_shape}")

# %% [markdown]
# ### Training
#
# As in lesson 1c, `fit_until_converged` has `EarlyStopping` watch the
# validation accuracy, stop at the first epoch that does not beat the best so
# far, and restore the best epoch's weights; the scale's epochs are an upper
# bound.


# %%
tagging_history, tagging_seconds = fit_until_converged(
    tagging_model,
    *tagging["train"],
    monitor="val_accuracy",
    max_epochs=scale.task_shape_epochs,
    validation_data=tagging["validation"],
    batch_size=scale.batch_size,
)

# %% [markdown]
# ### Inference
#
# At `cpu` scale the validation accuracy was 0.9997 after the first epoch and
# 1.0000 after the second; the third did not beat it, so training stopped
# there and kept the second epoch's weights.
#
# Below: the tag accuracy over the real characters of the test sentences
# (padding excluded), and the share of sentences segmented entirely right.

# %%
test_x, test_y = tagging["test"]
predicted_tags = tagging_model.predict(test_x, verbose=0).argmax(axis=-1)  # (B, S)
real = test_x != PAD_ID
tag_accuracy = np.mean(predicted_tags[real] == test_y[real])
sentence_right = np.mean(
    [(p[m] == t[m]).all() for p, t, m in zip(predicted_tags, test_y, real, strict=True)]
)
print(
    f"test tag accuracy {tag_accuracy:.1%}; "
    f"sentences segmented entirely right {sentence_right:.1%}"
)
for pair, tags in list(zip(toy["test"], predicted_tags, strict=True))[:5]:
    characters = pair.chinese_characters()
    guess = words_from_tags(
        characters, [SEGMENTATION_TAGS[t] for t in tags[: len(characters)]]
    )
    mark = "✓" if guess == list(pair.chinese_words) else "✗"
    print(f"  {' '.join(guess):30} {mark} {' '.join(pair.chinese_words)}")

# %% [markdown]
# How much of this needs context? A baseline that reads no neighbours tags
# each character with the tag it had most often in the training sentences
# (and a character it never saw with S).

# %%
tag_counts = collections.defaultdict(collections.Counter)  # character -> tags
example_words = {}  # (character, tag) -> a word in which it has that tag
for pair in toy["train"]:
    characters = [(c, word) for word in pair.chinese_words for c in word]
    for (character, word), tag in zip(
        characters, segmentation_tags(pair.chinese_words), strict=True
    ):
        tag_counts[character][tag] += 1
        example_words.setdefault((character, tag), word)
most_frequent_tag = {c: counts.most_common(1)[0][0] for c, counts in tag_counts.items()}
baseline_right = [
    most_frequent_tag.get(character, "S") == tag
    for pair in toy["test"]
    for character, tag in zip(
        pair.chinese_characters(), segmentation_tags(pair.chinese_words), strict=True
    )
]
baseline_accuracy = np.mean(baseline_right)
always_same = sum(len(counts) == 1 for counts in tag_counts.values())
print(
    f"{always_same} of {len(tag_counts)} characters have one tag throughout the "
    "training sentences"
)
print(f"most frequent tag, no context: test tag accuracy {baseline_accuracy:.1%}")
ambiguous = [c for c, counts in tag_counts.items() if len(counts) > 1]
for character in sorted(ambiguous, key=lambda c: -tag_counts[c].total())[:5]:
    print(
        f"  {character}: "
        + ", ".join(
            f"{tag} {count} times (as in {example_words[character, tag]})"
            for tag, count in tag_counts[character].most_common()
        )
    )

# %% [markdown]
# At `cpu` scale, 265 of the 305 characters keep one tag throughout the
# training sentences, and the baseline that ignores context tags 93.9% of the
# test characters right; the bidirectional GRU tags all of them right. The
# others need a neighbour: 我 is a word on its own (S) or begins 我们 (B), 孩
# ends 女孩 (E) or begins 孩子 (B), and 明 is B in 明天, E in 聪明 and M in
# 三明治. Real Chinese text, with a far larger vocabulary, has many more
# characters whose tag depends on the sentence.
#
# ## N→M: a first encoder–decoder (toy Chinese → English)
#
# ### Data
#
# The same toy pairs as translation pairs, Chinese characters in, English
# words out, through the course's `tf.data` pipeline. For teacher forcing the
# decoder reads the target shifted right behind `[START]` and learns to
# predict the target followed by `[END]`: at every step it sees the true
# previous word, whatever it would have guessed itself.

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
print("decoder input:", english_tokenizer.ids_to_tokens(decoder_input_ids[0].numpy()))
print("target:       ", english_tokenizer.ids_to_tokens(decoder_target_ids[0].numpy()))

# %% [markdown]
# ### Model
#
# The encoder (embedding → GRU) reads the Chinese and keeps only its final
# state, the context vector: the whole sentence in `hidden_units` numbers.
# That state starts the decoder GRU, which outputs one score per English word
# at each target step. The metric is the accuracy of the next word under
# teacher forcing, padding left out by the target embedding's mask.

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
    metrics=["accuracy"],
)
print(
    "inputs",
    [tuple(tensor.shape) for tensor in translator.inputs],
    "-> output",
    translator.output_shape,
)

# %% [markdown]
# ### Training
#
# The pipeline cannot know its length in advance (it drops empty sentences),
# so we repeat it and say how many batches make an epoch.

# %%
translator_history, translator_seconds = fit_until_converged(
    translator,
    translation_dataset("train", shuffle=True).repeat(),
    monitor="val_accuracy",
    max_epochs=scale.task_shape_epochs,
    steps_per_epoch=-(-len(toy["train"]) // scale.batch_size),
    validation_data=translation_dataset("validation").repeat(),
    validation_steps=-(-len(toy["validation"]) // scale.batch_size),
)

# %% [markdown]
# ### Inference
#
# Greedy decoding: start from `[START]`, feed back the most likely word, stop
# at `[END]`. Metrics on the test pairs: exact match and corpus BLEU
# (sacrebleu, 0–100), which counts the words and word sequences of up to four
# words that the output shares with the reference ("BLEU: a Method for
# Automatic Evaluation of Machine Translation", Papineni et al., 2002; lesson
# 2c computes it by hand). Some misses cannot be helped: Chinese marks neither
# plural nor "the", so 笔很漂亮 may be "the pen is beautiful" as well as "pens
# are beautiful"; only one of them is the reference.

# %%
test_sources = pad_ids(
    [character_vocabulary.encode(p.chinese_characters()) for p in toy["test"]]
)
generated = greedy_translate(translator, test_sources, max_length=20)
hypotheses = [english_tokenizer.decode(row) for row in generated]
references = [
    english_tokenizer.detokenize(english_tokenizer.tokenize(p.english))
    for p in toy["test"]
]
exact = np.mean([h == r for h, r in zip(hypotheses, references, strict=True)])
bleu = metrics.corpus_bleu(hypotheses, references, "en").score
print(f"test exact match {exact:.1%}; BLEU {bleu:.1f}")
for pair, hypothesis, reference in list(
    zip(toy["test"], hypotheses, references, strict=True)
)[:6]:
    print(f"  {pair.chinese}\n    model: {hypothesis}\n    truth: {reference}")

# %% [markdown]
# At `cpu` scale the translator used all 8 epochs it was allowed: its
# validation accuracy still rose at the last one (0.8916 to 0.8987), so early
# stopping never ended it. Half of the test sentences (50.3%) come out
# exactly right, BLEU 64.6. The one miss among the six above keeps the shape
# of the sentence but not its details: "in shanghai next year" became "in
# beijing tonight", a place and a time swapped for others. The whole source
# reached the decoder as one vector of `hidden_units` numbers; chapter 2 asks
# how much such a vector can hold.
#
# ## Training curves
#
# Top, the loss; below, the accuracy that early stopping watched; training
# solid, validation dashed, one point per epoch run.

# %%
figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex="col")
curves = {"N->N segmentation": tagging_history, "N->M translation": translator_history}
for column, (title, history) in enumerate(curves.items()):
    plots.plot_history(history, metrics=("loss",), ax=axes[0, column], title=title)
    plots.plot_history(history, metrics=("accuracy",), ax=axes[1, column])
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# | shape | task | input → output | the key setting |
# |---|---|---|---|
# | N→N | segmentation | `(B, S)` → `(B, S, 4)` | bidirectional, `return_sequences` |
# | N→M | translation | `(B, S)`, `(B, T)` → `(B, T, V)` | `initial_state` |
#
# - A tagger gives one output per input; reading both directions gives every
#   tag the context on both sides.
# - An encoder–decoder gives an output of its own length: the encoder
#   compresses the source into a context vector, the decoder writes from it
#   one word at a time, trained with teacher forcing and decoded greedily.
#
# The results of this run, on the test pairs:

# %%
results = {
    "N->N word segmentation": (
        f"tag accuracy {tag_accuracy:.1%} (most frequent tag {baseline_accuracy:.1%})",
        tagging_seconds,
    ),
    "N->M toy zh->en translation": (
        f"BLEU {bleu:.1f}, exact {exact:.1%}",
        translator_seconds,
    ),
}
for task, (metric, seconds) in results.items():
    print(f"{task:30} {metric:48} trained in {seconds:5.0f} s")
summary = "; ".join(f"{task}: {metric}" for task, (metric, _) in results.items())
print(f"Key figure: {summary}, scale {scale.name}")

# %% [markdown]
# Chapter 2 builds this translator properly: the context vector fed to the
# decoder at every step, decoding that keeps the decoder's state instead of
# rereading its whole output at each step, beam search, BLEU on real Tatoeba
# sentences, and a measurement of how the one context vector copes as the
# sentences grow longer.
#
# ## Exercises
#
# **Exercise 1.** Write `bmes_tags(words)`: the list of B/M/E/S tags of a
# segmented sentence, one per character. A word of one character is `"S"`; a
# longer word is `"B"`, then one `"M"` for each character inside it, then
# `"E"`. So `bmes_tags(["我", "喜欢", "苹果", "。"])` is
# `["S", "B", "E", "B", "E", "S"]`.


# %%
def bmes_tags(words):
    raise NotImplementedError("S for one character; B, M..., E for longer words")


exercises.check_segmentation_tags(bmes_tags)

# %% [markdown]
# **Exercise 2 (open).** Is the translator ready for longer sentences?
# Translate 200 toy pairs of 9 to 15 English words,
# `toy_grammar.generate_pairs(200, seed=1, min_words=9, max_words=15)`, with
# the trained `translator` and score them as above. How far does BLEU fall?
# Look at the outputs: where do they go wrong, at the start of the sentence
# or towards its end? Lesson 2d measures quality against source length.
#
# Solutions: `solutions/ch01_solutions.ipynb`.
