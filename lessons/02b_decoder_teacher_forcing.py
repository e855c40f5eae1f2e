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
# # Lesson 2b: the decoder, teacher forcing and the masked loss
#
# **Description:** the second half of seq2seq. A decoder RNN starts from the
# context vector, reads a `[START]` token, and writes the translation one word at
# a time, with the context vector joined to its input at every step (Cho et al.,
# 2014). We train the whole encoder–decoder on the toy grammar.
#
# **You will learn**
# - the decoder's steps: context → initial state; `[START]`; embedding joined to
#   the context; RNN step; dense layer → a score for every word;
# - teacher forcing: train on the true previous word, all steps in one pass;
# - the masked loss, which ignores `[PAD]` positions;
# - that the step-by-step decoder and the one-pass decoder compute the same thing.
#
# **Time:** about 1 minute on a busy 2-core CPU (`cpu` scale: 8 epochs on 8,000
# short pairs); on a Colab GPU (`gpu` scale: 40,000 pairs, 20 epochs) not measured
# yet.

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

from chapters.ch02_encoder_decoder import Decoder, drawings, exercises, experiments
from chapters.common import evaluation, metrics, plots, training, translation_data
from chapters.common.pipeline import teacher_forcing_shift
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
print(f"scale {scale.name}")

# %% [markdown]
# ## Data: the toy grammar
#
# The toy grammar makes Chinese–English pairs from a small real lexicon, with
# Chinese word order (time and place before the verb, 的, 吗). In this lesson we
# keep its sentences short (3 to 12 English words), so that a small model learns
# them in a couple of minutes.

# %%
toy = translation_data.toy_data(
    scale.length_curve_train_pairs, scale.toy_eval_pairs // 2, min_words=3, max_words=12
)
print({name: len(pairs) for name, pairs in toy.splits.items()})
for source, target in toy.splits["train"][:3]:
    print(f"  {source}  ->  {target}")

# %% [markdown]
# ## Teacher forcing
#
# During training we know the whole target sentence. The decoder's input at step
# `t` is the true word `t - 1`, with `[START]` in front; its target at step `t`
# is word `t`, with `[END]` at the end. Inputs and targets are the same sentence,
# shifted by one:

# %%
target_ids = toy.target_tokenizer.encode("I love you.")
decoder_inputs, decoder_targets = teacher_forcing_shift(np.array(target_ids))

# %%
# NBVAL_CHECK_OUTPUT
print("decoder input :", toy.target_tokenizer.ids_to_tokens(decoder_inputs))
print("decoder target:", toy.target_tokenizer.ids_to_tokens(decoder_targets))

# %% [markdown]
# Feeding the true previous word, not the model's own guess, means that every
# decoder input is known before the step runs, so one call of the decoder covers
# the whole target sentence. Inside that call the RNN still computes its steps one
# after another, since each needs the state the last one left; what teacher forcing
# removes is the wait for the model's own output to be chosen and fed back. It also
# keeps an early mistake from derailing the rest of the sentence while the model is
# still bad. The price: at inference there is no true word, and the model must live
# with its own guesses (lessons 2c and 2d).
#
# ## Model: the decoder
#
# The decoder of Cho et al. (2014), step by step, as `Decoder` implements it:
#
# 1. the context vector `c` sets the initial state `s_0`. There are two classic
#    ways. Sutskever et al. (2014, "Sequence to Sequence Learning with Neural
#    Networks") copy the encoder's last state, `s_0 = h_m` (chapter 1's translator
#    did that). Cho et al. (2014) and Bahdanau et al. (2015) project it,
#    `s_0 = tanh(W_s c + b_s)`. `Decoder` does either (`initial_state="encoder"`
#    or `"projection"`); it projects by default, because a projection lets the
#    decoder's size differ from the encoder's (a bidirectional encoder's context
#    has twice the units) and learns how to read the summary;
# 2. the first input token is `[START]`;
# 3. its embedding is concatenated with `c`: `[embed(y_{t-1}); c]`;
# 4. the GRU takes that and `s_{t-1}` and returns `s_t`;
# 5. a dense layer turns `s_t` into one score (logit) per target word;
# 6. repeat with the next word, the same `c` at every step.
#
# Joining `c` to every input means the summary of the source is never more than one
# step away, however long the output; with `concat_context=False` it only sets
# `s_0` (Sutskever et al., 2014), and must survive in the state.
#
# Here is the whole model unrolled over one (short) toy pair, as training sees it:
# the encoder reads the Chinese characters, its last state is `c`; every decoder
# step reads the true previous word joined to `c`, and is scored on the next word.

# %%
source, target = min(toy.splits["train"], key=lambda pair: len(pair[0] + pair[1]))
drawings.draw_unrolled_seq2seq(
    toy.source_tokenizer.tokenize(source),
    toy.target_tokenizer.tokenize(target),
    title=f"{source}  →  {target}",
)
plt.show()

# %%
set_seed(0)
hidden_units = scale.hidden_units
decoder = Decoder(
    toy.target_tokenizer.vocabulary_size, scale.embedding_dim, hidden_units
)
context = np.random.default_rng(0).normal(size=(2, hidden_units)).astype("float32")
batch_inputs = np.array([[START_ID, 5, 6, 7], [START_ID, 8, 9, 10]])
logits, final_states = decoder(batch_inputs, decoder.initial_states(context), context)
print("logits", tuple(logits.shape), "(B, T, V)")
print(
    "GRU input width:",
    decoder.rnn.cell.kernel.shape[0],
    "= embedding + context =",
    scale.embedding_dim,
    "+",
    hidden_units,
)

# %%
# NBVAL_CHECK_OUTPUT
print("logits for 2 sentences x 4 steps:", tuple(logits.shape[:2]))
vocabulary_size = toy.target_tokenizer.vocabulary_size
print("one score per target word:", logits.shape[-1] == vocabulary_size)
print(
    "GRU input = embedding + context:",
    decoder.rnn.cell.kernel.shape[0] == scale.embedding_dim + hidden_units,
)

# %% [markdown]
# Training runs all steps in one pass; decoding will call `Decoder.step` once per
# word. Both must compute the same thing. We check it on the batch above:

# %%
states = decoder.initial_states(context)
for position in range(batch_inputs.shape[1]):
    step_logits, states = decoder.step(batch_inputs[:, position], states, context)
    np.testing.assert_allclose(step_logits, logits[:, position], atol=1e-4)
print("one step at a time == one pass with teacher forcing")

# %% [markdown]
# ## The masked loss
#
# A batch of targets is padded to its longest sentence. The loss is the
# cross-entropy of the true next word, averaged over real positions only: the
# model should not be rewarded for predicting `[PAD]`. `chapters.common.metrics`
# provides `masked_loss`, and `MaskedAccuracy` for `compile()`:

# %%
targets = np.array([[5, 6, 7, END_ID], [8, 9, END_ID, PAD_ID]])
logits = np.asarray(logits)
log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
unmasked = float(np.mean(-np.take_along_axis(log_probs, targets[..., None], -1)))
print(f"masked loss   {float(metrics.masked_loss(targets, logits)):.4f}")
print(f"unmasked mean {unmasked:.4f}  (counts the [PAD] position too)")

# %% [markdown]
# ## Training
#
# `Seq2Seq` joins encoder and decoder; `build_seq2seq` compiles it with Adam, the
# masked loss and the masked accuracy. Batches group sentences of similar length,
# so that little padding is computed. An untrained model scores about
# `log V` (every word equally likely).

# %%
set_seed(42)
model = experiments.build_seq2seq(toy, scale.embedding_dim, scale.hidden_units)
print(
    f"{model.count_params():,} parameters; "
    f"log V = {np.log(toy.target_tokenizer.vocabulary_size):.2f}"
)
run = training.train(model, toy, scale.length_curve_epochs, scale.batch_size)
print(f"trained in {run.seconds:.0f} s")

# %%
plots.plot_history(run.history, metrics=("loss", "masked_accuracy"))
plt.show()

# %% [markdown]
# ## Inference
#
# Translating means running the decoder on its own guesses: `[START]`, then the
# most likely word, fed back as the next input, until `[END]`. That is greedy
# decoding, the subject of lesson 2c; here we just use the `Translator`.

# %%
translator = evaluation.make_translator(model, toy)
test_pairs = toy.splits["test"][:6]
for (source, reference), output in zip(
    test_pairs, translator.translate([source for source, _ in test_pairs]), strict=True
):
    print(f"{source}\n  model:     {output}\n  reference: {reference}")
scores = evaluation.evaluate(translator, toy.splits["test"])
print(f"greedy BLEU on {len(toy.splits['test'])} toy test sentences: {scores.bleu:.1f}")

# %% [markdown]
# ## Summary
#
# - The decoder starts from the context vector, reads `[START]`, and gets the
#   context again at every step.
# - Teacher forcing trains all steps in one pass on the true previous words.
# - The masked loss averages over real target tokens only.
#
# At `cpu` scale the model stops before it has learned the toy grammar: its
# validation loss is still falling at the last epoch, and some translations above
# swap nouns or add words. The `gpu` scale trains on five times the sentences for
# two and a half times the epochs.
#
# ## Exercises
#
# **Exercise 1: the teacher-forcing shift.** From a batch of target ids `(B, T)`
# without `[START]`/`[END]`, right-padded with `[PAD]` (0), return the decoder
# inputs (`[START]` + ids) and targets (ids + `[END]`), both `(B, T + 1)` integer
# arrays, without changing `target_ids`. `[END]` goes right after each sentence's
# last real token (`[UNK]`, id 1, is a real token).


# %%
def shift_for_teacher_forcing(target_ids):
    raise NotImplementedError  # your code here


exercises.check_shift_for_teacher_forcing(shift_for_teacher_forcing)

# %% [markdown]
# **Exercise 2: the context at every step.** Given embeddings `(B, T, E)` and the
# context `(B, C)`, return the decoder's RNN input `(B, T, E + C)`: the embedding
# first, the context repeated at every step after it.


# %%
def concatenate_context(embedded, context):
    raise NotImplementedError  # your code here


exercises.check_concatenate_context(concatenate_context)

# %% [markdown]
# **Exercise 3: the masked loss.** Given target ids `(B, T)` and logits
# `(B, T, V)`, return one number: the mean cross-entropy over the non-`[PAD]`
# positions of the whole batch, every real token weighing the same. Compute a
# stable log-softmax yourself: the check also passes logits near 1000, where
# `exp` overflows unless each row's max is subtracted first (into a new array: the
# caller's logits must not change).


# %%
def masked_loss(target_ids, logits):
    raise NotImplementedError  # your code here


exercises.check_masked_loss(masked_loss)

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: toy-grammar greedy BLEU {scores.bleu:.1f} after "
    f"{scale.length_curve_epochs} epochs "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
