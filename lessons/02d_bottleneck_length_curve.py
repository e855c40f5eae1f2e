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
# **Description:** the encoder–decoder of lessons 2a–2c reads the whole source
# into one context vector and gives the decoder that same vector at every output
# step. Bahdanau et al. (2015, "Neural Machine Translation by Jointly Learning to
# Align and Translate") trace its trouble with long sentences to that one vector.
# Three weaknesses of the design are usually named: (1) one vector of fixed size
# must hold everything about a sentence of any length (lossy compression); (2)
# the decoder gets the same summary whichever word it is writing, so it cannot
# weigh the source word it needs now above the others; (3) the encoder folds word
# after word into the same state, so what it read first may be overwritten by
# what came after. Cho et al. (2014, "On the Properties of Neural Machine
# Translation: Encoder–Decoder Approaches") and Bahdanau et al. report that the
# quality of such a model falls as sentences grow, steeply past about 20 words.
# Here we measure, on toy sentences whose word-by-word translation is known:
# quality against sentence length, and the accuracy of each translated word
# against where its source word lies. Chapter 3 runs the same measurements on a
# model with attention.
#
# **You will learn**
# - how to measure BLEU per sentence-length bucket, with length counted in
#   English words, the unit of the papers;
# - how gold word alignments let us score every target word by the position of
#   the source word it translates (teacher-forced next-word accuracy);
# - how to vary the size of the context vector alone, with the decoder held
#   fixed, and which weights change with it;
# - how to regenerate every number here with one command.
#
# **Time:** about 4½ minutes on a busy 2-core CPU (`cpu` scale: two models, 8
# epochs on 8,000 pairs); on a Colab GPU (`gpu` scale: 40,000 pairs, 20 epochs)
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
import numpy as np

from chapters.ch02_encoder_decoder import exercises, experiments
from chapters.common import plots
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
print(
    f"scale {scale.name}: {scale.length_curve_train_pairs} training pairs, "
    f"{scale.length_curve_epochs} epochs, context sizes "
    f"{scale.length_curve_context_units}, decoder units {scale.hidden_units}"
)

# %% [markdown]
# ## Data: sentences of controlled length, with their word alignments
#
# Real corpora have few long sentences. The toy grammar generates pairs of any
# length we ask for, from the same lexicon and rules, so that only the length
# changes: here English sentences of 3 to `length_curve_max_words` words
# (punctuation marks count as words, as the English tokenizer splits them off).
# The model reads the Chinese one character at a time, so the table of the data
# counts characters; the experiments count each sentence's length in the words of
# its English translation, the unit in which the papers state their 20 words.
#
# Every test pair is also a `ToyPair`, which knows which Chinese words each
# English word translates: its gold alignment.

# %%
data = experiments.length_curve_data(scale)
toy_pairs = experiments.length_curve_toy_pairs(scale, data)
print(data.describe("train"))
print(data.describe("test"))
english_words = np.array([len(pair.english_words) for pair in toy_pairs])
characters = np.array([len(pair.chinese_characters()) for pair in toy_pairs])
per_word = characters.sum() / english_words.sum()
print(
    f"test sentences: {english_words.min()}-{english_words.max()} English words; "
    f"{per_word:.2f} Chinese characters per English word, so 20 English words "
    f"are about {20 * per_word:.0f} characters"
)

# %%
example = next(pair for pair in toy_pairs if 7 <= len(pair.english_words) <= 9)
print(example.chinese, "->", example.english)
for english_index, english in enumerate(example.english_words):
    chinese = [
        example.chinese_words[i] for i, j in example.alignment if j == english_index
    ]
    print(f"  {english:>10s} <- {' '.join(chinese) or '(no Chinese word)'}")

# %% [markdown]
# ## Varying only the context
#
# The two models differ in one number: the units of the encoder's GRU, whose
# final state is the context vector (128 or 256). The decoder keeps the scale's
# `hidden_units` (256) in both, so its own memory of what it has written is the
# same; `Seq2Seq(..., encoder_units=...)` sets the encoder apart from it. The
# bridge `s_0 = tanh(W_s c + b_s)` maps a context of either size onto the
# decoder's first state, which is why this comparison needs the projection form
# of `s_0` (copying `h_m` needs equal sizes). Here is where each model's weights
# sit, before training:

# %%
for units in scale.length_curve_context_units:
    untrained = experiments.build_seq2seq(
        data, scale.embedding_dim, scale.hidden_units, encoder_units=units
    )
    parts = experiments.parameter_breakdown(untrained)
    print(
        f"context {units}: "
        + ", ".join(f"{part} {count:,}" for part, count in parts.items())
        + f"; total {sum(parts.values()):,}"
    )

# %% [markdown]
# Only the parts that make or read the context grow: the encoder's GRU (about
# three times the weights), the bridge (twice), and the decoder's input weights
# for the context, which is joined to every decoder input (the decoder's GRU
# grows by a quarter). The embeddings and the output layer are identical, and so
# is the decoder's state. A difference between the two curves is the context
# size's, together with the encoder that computes it.
#
# ## Experiment 1: BLEU by sentence length
#
# `experiments.length_curve_experiment` trains one encoder–decoder per context
# size on the same data, translates the test split greedily, and computes corpus
# BLEU in each bucket of English words. It hands the course's shared
# `chapters.common.experiments.length_curve` one model factory per size; chapter 3
# hands it an attention model too. The command
#
#     COURSE_SCALE=cpu python -m chapters.ch02_encoder_decoder.experiments \
#         length-curve --by-position
#
# prints the tables of both experiments of this lesson.

# %%
curve = experiments.length_curve_experiment(scale, data=data)
print(curve.table())
print("\n".join(curve.model_lines()))

# %%
plots.plot_length_curve(
    curve.labels,
    curve.bleu,
    xlabel=f"sentence length ({curve.source_unit})",
    title="Encoder-decoder without attention: BLEU by sentence length",
)
plt.show()

# %% [markdown]
# ### Reading the curve
#
# - **Both models translate short sentences best and lose from about 10 words
#   on.** Context 256 scores 47.3 on 6–10 English words, 38.3 on 11–15, 32.4 on
#   16–20 and 22.9 on 21–25: by 21–25 words it has lost half of its best BLEU.
#   Past 25 words it falls more slowly, to 13.2 at 46+. Context 128 follows
#   the same shape from 46.2 to 12.6.
# - **Where the curve bends:** the papers see quality hold up to about 20 words
#   and fall after. Ours falls from 10 words on, steepest between 6–10 and 21–25
#   words, and flattens past 25. The encoder–decoder of Bahdanau et al. had
#   1,000 hidden units and trained for about five days; ours has a context of
#   at most 256 numbers and has seen 8,000 pairs 8 times.
# - **The larger context helps most in the middle:** 9.2 BLEU points more at
#   11–15 words and 5.9 at 16–20, but 1.1 at 6–10 words and 0.6 at 46+, and at
#   26–30 words context 128 is ahead (18.7 against 17.7). Doubling the context
#   neither lifts the whole curve nor flattens it: short sentences fit in 128
#   numbers already, and the longest do not fit in 256 either.
# - The shortest bucket (3–5 words) scores a little below 6–10 words for both
#   models. It holds 45 sentences with only a handful of 4-grams each, the least
#   reliable BLEU of the table.
#
# ## Experiment 2: which words are lost
#
# BLEU scores whole sentences. To see which words a model loses, we score every
# target word on its own, with teacher forcing: the model reads the source and the
# true previous target words, as in training, and we check whether its most
# likely next word is the reference word. Teacher forcing keeps every prediction
# at its place in the reference, so one early mistake cannot shift the rest of
# the sentence as it does in free decoding.
#
# The alignment then says which source word each target word translates; a word
# that translates several (*visited* ← 看望 了 above) is filed under the last of
# them, the one the encoder read most recently, which favours the model. Words
# with no source counterpart (*the*), punctuation and `[UNK]` references are left
# out: none tests the memory of a source word. The curves also keep only
# *content words*, those that translate a noun, verb, adjective, name, pronoun,
# place or time of the toy lexicon: a model gets them right only by reading the
# source, whereas a function word (*not* after *did*, *will*, *who*) follows
# largely from the target words before it. `alignment_curves.score_target_tokens`
# does this for any model that `model((source_ids, decoder_input_ids))` calls,
# and returns one record per word. Two curves come out of the records:
#
# - **(a) by where the source word sits**, in fifths of the source, for sentences
#   of at most and of more than 20 English words. If the encoder overwrites what
#   it read first (weakness 3), words that translate the start of a long source
#   should do worst.
# - **(b) the last words read, by sentence length.** Only target words that
#   translate one of the last five source words: the encoder read them last, so
#   forgetting costs them least. If their accuracy still falls as sentences grow,
#   what costs them is the other words sharing the one vector, which the decoder
#   gets whole at every step (weaknesses 1 and 2). Buckets are 10 words wide here,
#   so that each holds a few hundred target words.

# %%
records = experiments.aligned_word_records(curve, data, toy_pairs)
word_curves = experiments.aligned_word_curves(records)
for table in experiments.aligned_word_tables(word_curves):
    print(table, end="\n\n")

# %%
experiments.plot_aligned_word_curves(word_curves)
plt.show()

# %% [markdown]
# ### Reading the curves
#
# - **(a) The words read first are not the ones lost.** In sentences of more
#   than 20 English words, content words that translate the first fifth of the
#   source are right most often: 40.9% for context 256 and 36.2% for context
#   128. The middle fifths are the worst (30.9–31.6% and 25.2–28.4%), and the
#   last fifth recovers part of the way (35.2% and 28.0%). So at this scale we
#   see no sign of weakness 3. The curve cannot separate one thing, though: the
#   first source words are mostly translated by the first target words (the
#   subject comes first in both languages), which the decoder writes right
#   after it receives the context.
# - **Long sentences lose at every position.** For context 256, each fifth of a
#   long sentence is 16 to 27 points below the same fifth of a short one (40.9%
#   against 59.8% at the start, 30.9% against 56.9% in the middle).
# - **(b) Even the words read last are lost more often as sentences grow.**
#   Context 256 gets 66.9% of the content words that translate one of the last
#   five source words right in sentences of 1–10 English words, then 53.3%,
#   38.4%, 34.5% and 30.9% past 40 words: more than half its accuracy gone, for
#   words that forgetting should touch least. Context 128 falls from 64.4% to
#   23.1%. What grows with the sentence is the number of other words the one
#   context vector must also hold, and the decoder gets that whole mix at every
#   step, whichever word it is writing (weaknesses 1 and 2).
# - One more thing grows with the sentence: these words come late in a long
#   output, after a long decoder history. Attention (chapter 3) changes only how
#   the decoder reads the source, so running these functions on it separates the
#   two.
#
# ## Summary
#
# - We count a sentence's length in the English words of its translation, the
#   papers' unit; the toy grammar has 1.32 Chinese characters per English word.
# - At `cpu` scale, both context sizes translate sentences of 6–10 words best
#   and have lost about half of that BLEU by 21–25 words: our curve falls
#   earlier than the papers' 20 words, and flattens past 25.
# - Doubling the context (decoder fixed) helps sentences of 11–20 words most and
#   the shortest and longest hardly at all.
# - Per word, with gold alignments and teacher forcing: in long sentences the
#   first words read are kept best, not worst; the words read last still lose
#   accuracy as the sentence grows. What hurts here is the length of what one
#   vector must hold, more than how long ago a word was read.
# - `alignment_curves.score_target_tokens`, `position_curves` and
#   `last_words_curve` take any translation model; chapter 3 runs them on
#   attention. `python -m chapters.ch02_encoder_decoder.experiments length-curve
#   --by-position` regenerates the tables of both experiments.
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
# **Exercise 2 (open, no check):** run `chapters.common.experiments.length_curve`
# with two factories,
# `functools.partial(experiments.build_seq2seq, embedding_dim=scale.embedding_dim,
# hidden_units=256, concat_context=c)` for `c` in `True` and `False` (where the
# context only sets the decoder's first state), on `data`, with
# `length_language="en"` and `edges=experiments.english_word_edges(scale)`; then
# print `experiments.aligned_word_tables(experiments.aligned_word_curves(
# experiments.aligned_word_records(curve, data, toy_pairs)))` and compare the
# curves of both experiments: does feeding the context at every step help the
# words of long sentences, and which of them?

# %%
large = list(curve.bleu)[-1]
last_words = list(word_curves.values())[-1][large]
filled = [index for index, count in enumerate(last_words["counts"]) if count]
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: {large}: BLEU {curve.bleu[large][1]:.1f} on {curve.labels[1]} "
    f"English words vs {curve.bleu[large][-1]:.1f} on {curve.labels[-1]}; content "
    f"words translating one of the last 5 source words "
    f"{last_words['accuracy'][filled[0]]:.0%} right ({last_words['labels'][filled[0]]} "
    f"words) vs {last_words['accuracy'][filled[-1]]:.0%} "
    f"({last_words['labels'][filled[-1]]}) (scale {scale.name}, {curve.corpus}, "
    f"lesson ran in {seconds:.0f} s)"
)
