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
# # Lesson 1a: from a sentence to numbers
#
# **Description:** follow one Chinese and one English sentence of the real
# corpus through the six steps that turn text into the single vector an
# encoder hands on: tokens, a vocabulary, ids, embeddings, a recurrent
# network, and its final hidden state.
#
# **You will learn**
# - why Chinese is split into characters and English into words;
# - how a vocabulary with reserved tokens (`[PAD]`, `[UNK]`, `[START]`, `[END]`)
#   maps tokens to ids, and what happens to a word it has never seen;
# - that an embedding layer is a table lookup, one trainable row per id;
# - how sentences of different lengths share a batch (padding) without the
#   padding changing anything (masking).
#
# **Time:** under a minute on a laptop CPU and on a Colab GPU (nothing is trained).

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

from chapters.ch01_sequence_tasks import exercises, pad_ids
from chapters.common import fonts, sampling, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import (
    WordTokenizer,
    tf_tokenize,
    tokenize_chinese,
    tokenize_english,
)
from chapters.common.vocabulary import Vocabulary

scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
print("Scale:", scale.name, "| GPU:", tf.config.list_physical_devices("GPU") or "none")

# %% [markdown]
# ## Data
#
# The training split of the Tatoeba corpus (lesson 0), a seeded random sample of
# the scale's size (the corpus file is sorted by length, so its head would hold
# only the shortest sentences).
# We follow the pair whose English is "What time is it?", a classic example
# for explaining encoders, taking the first of its several Chinese
# translations.

# %%
corpus = tatoeba.load_corpus_or_toy()
train_pairs = sampling.seeded_sample(
    tatoeba.split_corpus(corpus)["train"], scale.tatoeba_train_pairs
)
# (Offline, toy-grammar pairs stand in for Tatoeba; then we take the first pair.)
pair = next(
    (p for p in corpus.pairs if p.english == "What time is it?"), train_pairs[0]
)
print(f"{len(train_pairs):,} training pairs")
print("Chinese:", pair.chinese)
print("English:", pair.english)

# %% [markdown]
# ## Step 1: split the sentence into tokens
#
# A network reads a sentence as a sequence of units, *tokens*. English puts
# spaces between words, so its tokens are words, with punctuation split off
# and letters lowercased (so "What" and "what" are one token). Chinese writes
# no spaces: finding the words (分词, word segmentation) is a task of its own;
# lesson 1c trains a small model to do it. This course takes the simple route
# and uses one token per character: a few thousand characters cover the whole
# corpus, where Chinese words would number in the tens of thousands.

# %%
chinese_tokens = tokenize_chinese(pair.chinese)
english_tokens = tokenize_english(pair.english)
print("Chinese tokens:", chinese_tokens)
print("English tokens:", english_tokens)

# %% [markdown]
# ## Step 2: build a vocabulary
#
# The vocabulary lists every token the model knows and gives each one an id,
# its position in the list. We count tokens in the training split only (the
# test split must stay unseen), keep those seen at least `min_token_count`
# times, and order them by count. Four reserved tokens come first:
#
# | id | token | role |
# |---|---|---|
# | 0 | `[PAD]` | fills short sentences up to the batch length |
# | 1 | `[UNK]` | stands for any token that is not in the vocabulary |
# | 2 | `[START]` | the first input of a decoder (chapter 2) |
# | 3 | `[END]` | what a decoder outputs when the sentence is complete |

# %%
chinese_vocabulary = Vocabulary.build(
    [tokenize_chinese(p.chinese) for p in train_pairs],
    min_count=scale.min_token_count,
)
english_vocabulary = Vocabulary.build(
    [tokenize_english(p.english) for p in train_pairs],
    min_count=scale.min_token_count,
)
print(f"Chinese vocabulary: {len(chinese_vocabulary):,} tokens")
print(f"English vocabulary: {len(english_vocabulary):,} tokens")
print("Chinese ids 0-11:", chinese_vocabulary.tokens[:12])
print("English ids 0-11:", english_vocabulary.tokens[:12])

# %% [markdown]
# ## Step 3: map the tokens to ids
#
# `encode` looks every token up. A token the vocabulary lacks becomes `[UNK]`
# (id 1), so a new word never breaks the model, it only loses its meaning.
# `add_start_end=True` wraps a sentence in `[START]` and `[END]`, the form a
# decoder will learn to produce in chapter 2.

# %%
chinese_ids = chinese_vocabulary.encode(chinese_tokens)
english_ids = english_vocabulary.encode(english_tokens)
for token, token_id in zip(chinese_tokens, chinese_ids, strict=True):
    print(f"  {token} -> {token_id}")
for token, token_id in zip(english_tokens, english_ids, strict=True):
    print(f"  {token:6} -> {token_id}")
print("With [START] and [END]:", english_vocabulary.encode(english_tokens, True))

# %%
unseen = tokenize_english("What time is it on Zorblax?")
print(unseen, "->", english_vocabulary.encode(unseen))
print("decoded back:", english_vocabulary.decode(english_vocabulary.encode(unseen)))

# %% [markdown]
# The same two steps exist inside the TensorFlow graph, for `tf.data`
# pipelines: `tf_tokenize` (built on tensorflow-text) and `Vocabulary.lookup`
# give the same ids as the Python versions above.

# %%
graph_ids = chinese_vocabulary.lookup(tf_tokenize(tf.constant([pair.chinese]), "zh"))
print(graph_ids.to_list()[0] == chinese_ids)

# %% [markdown]
# From here on, steps 1 to 3 travel together as a *tokenizer*: it knows its
# language and its vocabulary, turns a sentence into ids (`encode`), and turns
# the ids a model generates back into a sentence (`decode`, which stops at
# `[END]` and drops `[PAD]` and `[START]`). Chapter 2 builds one per language;
# `WordTokenizer.build` does the tokenizing and counting above in one call.

# %%
english_tokenizer = WordTokenizer.build(
    [p.english for p in train_pairs], "en", min_count=scale.min_token_count
)
print(english_tokenizer)
print(
    "same vocabulary:", english_tokenizer.vocabulary.tokens == english_vocabulary.tokens
)
generated_ids = [2, *english_tokenizer.encode(pair.english), 3, 0, 0]
print(generated_ids, "->", english_tokenizer.decode(generated_ids))

# %% [markdown]
# ## Step 4: embed the ids
#
# An id is just a name: id 200 is not "more" than id 100. An `Embedding` layer
# turns each id into a vector of `embedding_dim` numbers by reading row `id`
# of a trainable `(V, E)` table. The rows start random; training moves them so
# that tokens used alike get similar vectors (lesson 1d looks at that).
# Models take batches, so a single sentence becomes a batch of one: `(1, S)`.

# %%
embedding = keras.layers.Embedding(
    len(chinese_vocabulary), scale.embedding_dim, mask_zero=True
)
ids = np.array([chinese_ids])  # (B=1, S)
vectors = embedding(ids)  # (1, S, E)
print("ids:", ids.shape, "-> vectors:", tuple(vectors.shape))
table = embedding.embeddings.numpy()  # (V, E)
print("table:", table.shape)
print(
    "vector of token 0 == table row of its id:",
    np.allclose(vectors[0, 0], table[ids[0, 0]]),
)

# %% [markdown]
# ## Steps 5 and 6: an RNN reads the vectors; its final state sums them up
#
# A recurrent layer reads the vectors one step at a time, keeping a hidden
# state of `hidden_units` numbers that it updates at every step (lesson 1b
# opens one step up). The state after the last token, `c`, is a fixed-size
# summary of the whole sentence: whatever the sentence's length, `c` has
# `hidden_units` numbers. After training, this is the vector an encoder hands
# to a decoder. Here the weights are still random, so `c` means nothing yet;
# the shapes are the point.

# %%
encoder_rnn = keras.layers.GRU(scale.hidden_units)
summary = encoder_rnn(vectors)  # (1, H)
print("vectors:", tuple(vectors.shape), "-> c:", tuple(summary.shape))

# %% [markdown]
# The English sentence takes the same path through its own embedding table;
# its summary has the same size, although it has a different number of tokens.

# %%
english_embedding = keras.layers.Embedding(
    len(english_vocabulary), scale.embedding_dim, mask_zero=True
)
english_vectors = english_embedding(np.array([english_ids]))  # (1, S, E)
english_summary = keras.layers.GRU(scale.hidden_units)(english_vectors)  # (1, H)
print(
    f"{len(english_ids)} English tokens -> vectors {tuple(english_vectors.shape)} "
    f"-> c {tuple(english_summary.shape)}"
)

# %% [markdown]
# The six steps at a glance: the sentence's embeddings (one column per
# character) and the summary `c` they are compressed into.

# %%
shown = min(32, scale.embedding_dim)
figure, (left, right) = plt.subplots(
    1, 2, figsize=(9, 3.5), gridspec_kw={"width_ratios": [len(chinese_ids), 1.5]}
)
left.imshow(vectors[0, :, :shown].numpy().T, cmap="coolwarm", aspect="auto")
left.set_xticks(range(len(chinese_tokens)), chinese_tokens)
left.set_ylabel(f"first {shown} of {scale.embedding_dim} embedding dims")
left.set_title("Step 4: one embedding per token")
right.imshow(summary.numpy().T[:shown], cmap="coolwarm", aspect="auto")
right.set_xticks([0], ["c"])
right.set_yticks([])
right.set_title(f"Step 6: c ({shown} of {scale.hidden_units})")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Batches: padding and masks
#
# A batch is one rectangular array, but sentences differ in length. We pad
# the shorter ones at the end with `[PAD]` (id 0). `mask_zero=True` makes the
# embedding layer also emit a mask, True at real tokens, which every later
# layer receives: the GRU simply skips masked steps, carrying its state over.

# %%
short_pair = min(train_pairs, key=lambda p: len(tokenize_chinese(p.chinese)))
short_length = len(tokenize_chinese(short_pair.chinese))
batch = pad_ids(
    [chinese_ids, chinese_vocabulary.encode(tokenize_chinese(short_pair.chinese))]
)
print(pair.chinese, "and", short_pair.chinese)
print(batch)
print(embedding.compute_mask(batch).numpy())

# %% [markdown]
# The test that matters: the short sentence's summary is the same alone and
# padded inside the batch. Without the mask the GRU would read the `[PAD]`
# vectors as if they were words, and the summary would change.

# %%
alone = encoder_rnn(embedding(batch[1:, :short_length]))
padded = encoder_rnn(embedding(batch))[1:]
unmasked = encoder_rnn(embedding(batch), mask=np.ones_like(batch, dtype=bool))[1:]
print("with the mask:    max difference", float(np.abs(alone - padded).max()))
print("without the mask: max difference", float(np.abs(alone - unmasked).max()))
print(
    f"Key figure: vocabularies of {len(chinese_vocabulary):,} Chinese and "
    f"{len(english_vocabulary):,} English tokens, scale {scale.name}"
)

# %% [markdown]
# ## Summary
#
# 1. Tokenize: Chinese into characters, English into lowercased words.
# 2. Build the vocabulary from the training split, reserved tokens first.
# 3. Encode tokens as ids; unknown tokens become `[UNK]`.
# 4. Embed: each id selects a trainable row of a `(V, E)` table.
# 5. A recurrent layer reads the vectors step by step...
# 6. ...and its final state `c`, of size `hidden_units`, summarises the sentence.
#
# Padding with id 0 plus `mask_zero=True` lets sentences of any length share a
# batch without changing a single number. Next, lesson 1b opens up one
# recurrent step.
#
# ## Exercises
#
# **Exercise 1.** Write `build_vocabulary(tokenized_sentences, min_count)`: it
# returns the list of tokens, the four reserved tokens first (in the order of
# `chapters.common.vocabulary.RESERVED_TOKENS`), then every token seen at least
# `min_count` times, most frequent first, ties in alphabetical order (so the ids
# do not depend on the order of the data). Count every occurrence: a token
# repeated within one sentence counts each time. It must match
# `Vocabulary.build(...).tokens`, and leave the sentences it is given unchanged.


# %%
def build_vocabulary(tokenized_sentences, min_count):
    raise NotImplementedError("count the tokens, keep, sort, reserved tokens first")


exercises.check_build_vocabulary(build_vocabulary)

# %% [markdown]
# **Exercise 2.** Write `padding_mask(ids)`: a boolean NumPy array of the
# shape of `ids` (a NumPy array or a nested list), True where a real token is
# (anything but `PAD_ID`, which is 0; `[UNK]` is a real token). This is what
# `Embedding(mask_zero=True)` computes for you.


# %%
def padding_mask(ids):
    raise NotImplementedError("True where ids is not PAD_ID")


exercises.check_padding_mask(padding_mask)

# %% [markdown]
# Solutions: `solutions/ch01_solutions.ipynb`.
