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
# # Lesson 5d: what parallelism buys, and the course's final comparison
#
# **Description:** the Transformer's promise was to compute every position of a
# sentence at once, where an RNN steps through them one after another. This
# lesson measures that promise on this machine: the time of one training step
# against sentence length, for chapter 3's GRU with attention and for the
# Transformer. Then it sets every model of the course side by side: chapter 2's
# GRU encoder-decoder, chapter 3's additive attention, chapter 4's Luong
# attention and chapter 5's Transformer, on the same Tatoeba test sentences and
# on the same toy-grammar length curve, with their BLEU, size, training time and
# decoding speed.
#
# **You will learn**
# - how the step time of an RNN and of a Transformer grows with sentence length,
#   measured;
# - where each chapter's model stands on real data, and by how much;
# - how BLEU falls with sentence length for each of them.
#
# **Time:** about 40 seconds on CPU (`cpu` scale) when the comparison's results
# are stored; on a Colab GPU not measured yet. The comparison itself is made
# by one command, which trains all eight models (about an hour at `cpu`); this
# lesson reads its results, and at the `ci` scale trains them itself.

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
import json
import time

import matplotlib.pyplot as plt

from chapters.ch05_transformer import comparison, parallelism
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(0)
print(f"scale {scale.name}")

# %% [markdown]
# ## One training step against sentence length
#
# Both models get random batches of `scale.batch_size` sentences whose source
# and target are `T` tokens long, for `T` = 8, 16, 32 and 64, and we time one
# training step (forward, backward, update; median of five, after one untimed
# step that compiles the step for that shape). The GRU model has the scale's
# sizes, the Transformer the scale's preset.

# %%
models = parallelism.compared_models(scale)
for name, model in models.items():
    print(f"{name}: {model.count_params():,} parameters")
times = {
    name: parallelism.training_step_seconds(model, scale.batch_size)
    for name, model in models.items()
}
print(parallelism.step_time_table(times))

plt.figure(figsize=(6, 4))
for name, seconds in times.items():
    plt.plot(list(seconds), [1000 * s for s in seconds.values()], "o-", label=name)
plt.xscale("log", base=2)
plt.yscale("log")
plt.xlabel("source and target length T (tokens)")
plt.ylabel("one training step (ms)")
plt.title(f"batch {scale.batch_size}, scale {scale.name}")
plt.legend()
plt.show()

# %% [markdown]
# From 8 to 64 tokens (8 times longer) the GRU model's step grows 5.4 times,
# from 101.9 to 549.6 ms, and the Transformer's 3.8 times, from 211.2 to 803.6
# ms. The Transformer, with twice the parameters (8.1 million against 3.7), is
# slower at every length here, but its time grows more slowly: the GRU must do
# its 64 steps one after another, the Transformer's matrix products keep both
# cores busy however long the sentence. On two CPU cores that is all the
# parallelism there is; how the two grow on a GPU is not measured yet.
#
# ## The final comparison on Tatoeba
#
# `python -m chapters.ch05_transformer.comparison` trains each chapter's model
# with its own chapter's settings (the RNN models with the scale's sizes and
# chapters 2-4's budget of `seq2seq_epochs`, the Transformer with its preset,
# English subwords, `experiments.TATOEBA_EPOCHS` and the mean of its weights at
# the end of the last `experiments.AVERAGED_EPOCHS` epochs) and scores them all on the
# same sampled test split, greedy and with beam search. It writes each result as
# JSON, with the settings, the date and the library versions, into
# `~/.cache/seq2seq-course/results/<scale>` (or `$COURSE_RESULTS_DIR/<scale>`);
# this cell reads them (and, at the `ci` scale, makes them).

# %%
try:
    table = comparison.tatoeba_comparison(
        scale, train_missing=scale.name == "ci", verbose=0
    )
except comparison.MissingResults as missing:
    table = None
    print(missing)
if table:
    first = next(iter(table.values()))
    print(
        f"{first['corpus']} {first['direction']}: {first['train_pairs']:,} training "
        f"pairs; {first['test_pairs']:,} test sentences, "
        f"{first['test_source_tokens_mean']:.1f} characters on average "
        f"(longest {first['test_source_tokens_max']}); beam width "
        f"{first['beam_width']}"
    )
    print(comparison.tatoeba_table(table))
    transformer = table[comparison.TRANSFORMER]
    if "bleu_beam_last_epoch" in transformer:
        print(
            f"Transformer with its last epoch's weights, before averaging the last "
            f"{transformer['averaged_epochs']}: greedy "
            f"{transformer['bleu_greedy_last_epoch']:.1f}, beam "
            f"{transformer['bleu_beam_last_epoch']:.1f}"
        )
    record = json.loads(
        (
            comparison.default_results_folder(scale) / "tatoeba-transformer-ch-5.json"
        ).read_text(encoding="utf-8")
    )
    print("Transformer trained on", record["date"], "with", record["versions"])

# %% [markdown]
# The Transformer is the best model of the course on Tatoeba: 24.1 greedy and
# 26.2 beam BLEU, against 19.9 and 22.9 for chapter 3's additive attention,
# 18.9 and 21.7 for chapter 4's Luong model and 10.0 and 11.5 for chapter 2's
# encoder-decoder without attention. Averaging its last five epochs' weights
# gave 2.2 greedy and 1.8 beam BLEU of that, for nothing: the last epoch's own
# weights scored 22.0 and 24.4. It pays for the rest in three ways: twice as
# many parameters as the largest GRU model (7.9 million), four to seven times
# the training time (1,588 s for 12 epochs, against 218-403 s for 5), and a
# much slower search (78 sentences per second greedy against 884-1,331): each
# step runs three blocks over a key/value cache of 128 positions, where a GRU
# step is one small matrix product.
#
# ## The toy-grammar length curve
#
# Chapter 2's length-curve data: toy sentences of every length up to
# `length_curve_max_words` English words, the same training pairs and epochs for
# every model, BLEU by the length of the English reference.

# %%
try:
    fields = comparison.length_curve_comparison(scale, train_missing=scale.name == "ci")
except comparison.MissingResults as missing:
    fields = None
    print(missing)
if fields:
    curve = comparison.length_curve_from_fields(fields)
    print(curve.table())
    print("\n".join(curve.model_lines()))
    plt.figure(figsize=(7, 4))
    for name, bleu in curve.bleu.items():
        plt.plot(curve.labels, bleu, "o-", label=name)
    plt.xlabel(f"source length ({curve.source_unit})")
    plt.ylabel("BLEU")
    plt.title(f"{curve.corpus}, scale {scale.name}")
    plt.legend()
    plt.show()

# %% [markdown]
# With about a million parameters each and the same 8 epochs, the two GRU
# models with attention hold their BLEU across lengths (from 59.4 to 80.2 in
# every bucket, 73.3 and 76.4 overall), and the GRU without attention falls
# from 47.3 at 6-10 words to 13.2 beyond 45, as in lesson 2d. The Transformer
# is the best model on sentences of 1-5 words (75.7) and then falls: 66.1 at
# 11-15 words, 53.9 beyond 45, 59.7 overall. Its training was short for it:
# 8 epochs are about a thousand steps, and its warm-up (`chapter5.TOY_CHOICES`)
# lasts two thousand, so its rate was still rising when training stopped.
# `python -m chapters.ch05_transformer.experiments length-curve --epochs 16`
# trains it twice as long; the course's README gives what that changes.
#
# ## Summary
#
# - On two CPU cores, a training step of the Transformer grew 3.8 times from 8
#   to 64 tokens, the GRU model's 5.4 times: the RNN's steps are sequential.
# - On Tatoeba zh->en the Transformer (subwords, warm-up, label smoothing,
#   checkpoint averaging) is the course's best model, 26.2 beam BLEU against
#   22.9 for the best RNN, at several times the training and decoding cost.
# - On the toy grammar, at the RNNs' budget of 8 epochs, the Transformer is
#   the best on short sentences and falls behind the attention RNNs on long ones.

# %%
seconds = time.perf_counter() - lesson_started
longest = max(next(iter(times.values())))
ratios = {name: t[longest] / t[min(t)] for name, t in times.items()}
print(
    "Key figure: step time from the shortest to the longest length grows "
    + ", ".join(f"{ratio:.1f}× for {name}" for name, ratio in ratios.items())
    + f" (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
