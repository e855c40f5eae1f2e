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
# # Lesson 4c: Luong's attention on real sentences
#
# **Description:** lesson 3c trained chapter 3's additive attention on the
# Tatoeba Chinese→English pairs. Here Luong's model of lesson 4b, with the
# `general` score and without input feeding, trains on the same data with the
# same sizes and epochs, is scored on the same sampled test sentences, and draws
# its attention on the same four sentences as lesson 3c's heatmaps, so that the
# two can be read side by side.
#
# **You will learn**
# - how Luong's model does on real sentences next to the additive one, at the
#   same budget;
# - what its weights look like when they are computed from the current state.
#
# **Time:** measured at the end of the lesson (`cpu` scale: 3 epochs on the
# Tatoeba training split).

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

from chapters.ch04_dot_product_attention import experiments
from chapters.common import (
    evaluation,
    fonts,
    plots,
    sampling,
    training,
    translation_data,
)
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
fonts.use_cjk_font()
print(
    f"scale {scale.name}: {scale.attention_epochs} epochs, "
    f"hidden_units={scale.hidden_units}"
)

# %% [markdown]
# ## Data
#
# Lessons 2c and 3c's Tatoeba data: training pairs of at most `max_tokens`
# tokens a side, and a seeded random sample of the whole test split, long
# sentences included.

# %%
data = translation_data.tatoeba_data(scale)
print(data.describe("train"))
print(data.describe("test"))

# %% [markdown]
# ## Training
#
# Chapter 2's encoder, Luong's decoder with the `general` score
# `h_t^T W_a h̄_s`, no input feeding (lesson 4b: it slowed our model down), and
# lesson 3c's sizes, optimizer, loss and epochs. Without input feeding the
# decoder's GRU runs over the whole target in one call, so an epoch should cost
# less than the additive model's, whose decoder loops over the words.

# %%
set_seed(42)
model = experiments.build_luong_model(
    data, scale.embedding_dim, scale.hidden_units, score="general"
)
run = training.train(model, data, scale.attention_epochs, scale.batch_size)
print(f"{run.parameters:,} parameters, trained in {run.seconds:.0f} s")

# %%
plots.plot_history(run.history, metrics=("loss", "masked_accuracy"))
plt.show()

# %% [markdown]
# ## Translations and BLEU
#
# Lesson 2c's four examples, then BLEU on the sampled test sentences, greedy and
# with beam search.

# %%
translator = evaluation.make_translator(model, data)
examples = ["我爱你。", "欢迎来北京！", "他是我的朋友。", "今天很冷。"]
for translation in translator.translate_with_scores(examples):
    print(f"{translation.source}  ->  {translation.text}")

# %%
test_pairs = data.splits["test"]
greedy = evaluation.evaluate(translator, test_pairs, "greedy")
beam = evaluation.evaluate(translator, test_pairs, "beam", scale.beam_width)
print(f"test sentences: {len(test_pairs)}")
for name, scores in (("greedy", greedy), (f"beam, K = {scale.beam_width}", beam)):
    print(
        f"{name:12s} BLEU {scores.bleu:5.1f}   [UNK] {scores.unknown_rate:.2%}   "
        f"{scores.sentences_per_second:6.1f} sentences/s"
    )

# %% [markdown]
# RESULTS-BLEU
#
# ## Heatmaps
#
# The four test sentences of lesson 3c's heatmaps (the same seeded draw, one
# sentence from each length band), now from Luong's model. Row `t` is the weight
# the model put on each Chinese character when it chose English token `t`,
# computed from the state `h_t` that has already read token `t-1`.

# %%
lengths = [len(source) for source, _ in test_pairs]
bands = ((5, 8), (9, 12), (13, 18), (19, 30))  # characters
chosen = sampling.one_per_length_band(lengths, bands, seed=3)
sources = [test_pairs[index][0] for index in chosen]
translations = translator.translate_with_scores(sources)
plots.plot_attention_grid(
    translations, [f"reference: {test_pairs[index][1]}" for index in chosen]
)
plt.show()
for translation, index in zip(translations, chosen, strict=True):
    print(f"{translation.source}\n  model:     {translation.text}")
    print(f"  reference: {test_pairs[index][1]}")

# %% [markdown]
# RESULTS-HEATMAPS
#
# ## Summary
#
# RESULTS-SUMMARY

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: Tatoeba zh->en BLEU {greedy.bleu:.1f} greedy / {beam.bleu:.1f} "
    f"beam with Luong's general score after {scale.attention_epochs} epochs "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
