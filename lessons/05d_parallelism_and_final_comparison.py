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
# **Time:** about TIME_CPU on CPU (`cpu` scale) when the comparison's results
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
# READ_STEPS
#
# ## The final comparison on Tatoeba
#
# `python -m chapters.ch05_transformer.comparison` trains each chapter's model
# with its own chapter's settings (the RNN models with the scale's sizes and
# chapters 2-4's budget of `seq2seq_epochs`, the Transformer with its preset,
# English subwords and `experiments.TATOEBA_EPOCHS`) and scores them all on the
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
    record = json.loads(
        (
            comparison.default_results_folder(scale) / "tatoeba-transformer-ch-5.json"
        ).read_text(encoding="utf-8")
    )
    print("Transformer trained on", record["date"], "with", record["versions"])

# %% [markdown]
# READ_TATOEBA
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
# READ_CURVE
#
# ## Summary
#
# SUMMARY

# %%
seconds = time.perf_counter() - lesson_started
longest = max(next(iter(times.values())))
ratios = {name: t[longest] / t[min(t)] for name, t in times.items()}
print(
    "Key figure: step time from the shortest to the longest length grows "
    + ", ".join(f"{ratio:.1f}× for {name}" for name, ratio in ratios.items())
    + f" (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
