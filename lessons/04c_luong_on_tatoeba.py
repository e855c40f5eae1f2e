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
# `general` score divided by `√H` and without input feeding, trains on the same
# data with the same sizes and epochs, is scored on the same sampled test
# sentences, and draws its attention on the same four sentences as lesson 3c's
# heatmaps, so that the two can be read side by side.
#
# **You will learn**
# - how Luong's model does on real sentences next to the additive one, at the
#   same budget;
# - what its weights look like when they are computed from the current state.
#
# **Time:** about 3 minutes at the `cpu` scale (3 epochs on the Tatoeba training
# split; 179 s measured while other work shared the 2-core machine); on a Colab
# GPU (`gpu` scale) not measured yet.

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
# Chapter 2's encoder, Luong's decoder with the `general` score divided by the
# square root of the state's width, `h_t^T W_a h̄_s / √H` (`scaled=True`), no
# input feeding (lesson 4b: it slowed our model down), and lesson 3c's sizes,
# optimizer, loss and epochs.
#
# Why scaled: Luong's paper does not scale its scores, but on Tatoeba, at the
# same 5 epochs, the unscaled `general` model reached only 9.4 greedy BLEU and
# the unscaled `dot` model 13.3, against 19.0 for the additive one; divided by
# `√H`, the `general` model reached 18.9 (README, Results, where the commands
# are). The states are 256 wide, and lesson 4a measured what wide dot products
# do to a softmax: large scores, weights near one-hot, small gradients. Lesson
# 4d compares the variants on the toy grammar.
#
# Without input feeding the decoder's GRU runs over the whole target in one
# call, where the additive model's decoder loops over the words.

# %%
set_seed(42)
model = experiments.build_luong_model(
    data, scale.embedding_dim, scale.hidden_units, score="general", scaled=True
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
# **Behind after 3 epochs.** Luong's model scores 13.2 BLEU greedy and 16.0 with
# beam search on the 1,000 sampled test sentences; lesson 3c's additive model
# scored 18.7 and 20.5 after the same 3 epochs. Its validation loss after epoch 3
# is 2.211, against 1.978 for lesson 3c's model, and still falling fast (3.681,
# 2.714, 2.211). With the full budget of 5 epochs,
# `python -m chapters.ch04_dot_product_attention.experiments tatoeba --score
# general --scaled` reaches 18.9 greedy and 21.7 beam, against 19.0 and 21.7 for
# the additive model (README, Results): it catches up between epochs 3 and 5.
#
# It has 2,570,409 parameters against the additive model's 3,695,273: its output
# layer has 256 weights per target word (it reads `h̃_t`) where the additive
# model's has 512 (it reads `[s_t; c_t]`), and its GRU reads the embedding alone,
# not the embedding and the context. Training took 172 s for 3 epochs (26 to
# 81 s an epoch; other work shared the machine).
#
# Two of the four examples are right: 他是我的朋友。 and 今天很冷。. 我爱你。
# comes out as *i'm drunk.*, and 欢迎来北京！ as *welcome to tokyo.*, the right
# sentence with the wrong city. Lesson 3c's model had three of the four right
# after 3 epochs.
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
# Read as in lesson 3c:
#
# - **In order where the model knows the sentence.** In 我希望去夏威夷。 *i* and
#   *hope* draw on 希, the second *hope* on 望; in the long sentence *tom*,
#   *said* and *mary* each draw on one character, 汤, 说 and 玛.
# - **Lost in the same places as lesson 3c's model.** After *mary could* in the
#   long sentence, and all through the sentence with quotation marks, the weights
#   spread thinly over many characters and the translation falls apart.
# - **Less peaked than lesson 4b's toy heatmap**, whose rows were nearly one-hot.
#   That model's scores were not scaled; this one divides them by √H = 16.
#
# ## Summary
#
# - Luong's `general` score divided by `√H`, without input feeding, trained like
#   lesson 3c's additive model: 13.2 greedy / 16.0 beam BLEU after 3 epochs,
#   against 18.7 / 20.5; after 5 epochs (README) 18.9 / 21.7 against 19.0 / 21.7.
# - It has a third fewer parameters (2.57 million against 3.70 million).
# - Its heatmaps go in order on short sentences and spread out where the model is
#   lost, like the additive model's.
# - Unscaled, Luong's scores did much worse on Tatoeba at 5 epochs (README); lesson
#   4d compares all four on the toy grammar.

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: Tatoeba zh->en BLEU {greedy.bleu:.1f} greedy / {beam.bleu:.1f} "
    f"beam with Luong's general score / √H after {scale.attention_epochs} epochs "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
