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
# # Lesson 4b: Luong's decoder: step first, then attend
#
# **Description:** chapter 3's decoder (Bahdanau et al., 2015) looks at the
# source *before* its RNN step, with the state it had after the previous word.
# Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine
# Translation") turn the order round: the RNN steps first, the new state `h_t`
# asks the question, and the context joins `h_t` in an *attentional state*
# `h̃_t = tanh(W_c [c_t; h_t])`, from which the word is chosen. Any of lesson 4a's
# scores can ask the question. We put the two timings side by side on the two
# models' own weights, recompute one Luong step by hand, see what *input feeding*
# changes, and train Luong's model on lesson 3b's toy grammar.
#
# **You will learn**
# - Luong's decoder step in four parts, and which state each part reads;
# - how to tell from a model's weights which state it attended with;
# - input feeding: why Luong gives `h̃_{t-1}` back to the RNN, and why that brings
#   back chapter 3's step-by-step loop in training;
# - how Luong's model does on the toy grammar against lesson 3b's additive one.
#
# **Time:** about 4 minutes at the `cpu` scale (two models, 8 epochs on 8,000
# short pairs each; 222 s measured on an otherwise idle 2-core machine); on a
# Colab GPU (`gpu` scale) not measured yet.

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

import keras
import matplotlib.pyplot as plt
import numpy as np

from chapters.ch03_attention import experiments as chapter3
from chapters.ch03_attention.numpy_attention import masked_softmax
from chapters.ch04_dot_product_attention import exercises, experiments
from chapters.common import evaluation, fonts, plots, training, translation_data
from chapters.common.pipeline import teacher_forcing_shift
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import PAD_ID

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
fonts.use_cjk_font()  # the heatmap labels Chinese characters
print(f"scale {scale.name}")

# %% [markdown]
# ## Data: lesson 3b's toy grammar
#
# The same seeded pairs as lessons 2b and 3b (Chinese read character by
# character, English of 3 to 12 words), so that the BLEU of this lesson sits
# beside theirs. A batch of three test sentences, padded at the end, with
# `[START]` and the reference words as the decoder's inputs (teacher forcing).
# The toy test split is drawn at random by its generator, so its first three
# sentences are a random three.

# %%
toy = translation_data.toy_data(
    scale.length_curve_train_pairs, scale.toy_eval_pairs // 2, min_words=3, max_words=12
)
print({name: len(pairs) for name, pairs in toy.splits.items()})
batch_pairs = toy.splits["test"][:3]
source_ids = keras.utils.pad_sequences(
    [toy.source_tokenizer.encode(source) for source, _ in batch_pairs],
    padding="post",
    value=PAD_ID,
)
target_ids = keras.utils.pad_sequences(
    [toy.target_tokenizer.encode(target) for _, target in batch_pairs],
    padding="post",
    value=PAD_ID,
)
decoder_inputs = np.asarray(teacher_forcing_shift(target_ids)[0])
source_mask = source_ids != PAD_ID
print("source ids", source_ids.shape, "(B, S); real lengths", source_mask.sum(axis=1))
print("decoder inputs", decoder_inputs.shape, "(B, T)")

# %% [markdown]
# ## The two timings
#
# Both decoders start from the encoder's last state and keep all its states
# `h̄_1 … h̄_m` to attend to. At output step `t`, with `y_{t-1}` the previous
# word:
#
# | step | Bahdanau (chapter 3) | Luong (this chapter) |
# | --- | --- | --- |
# | 1 | attend with the **previous** state `s_{t-1}` | step the RNN: `h_t` |
# | 2 | step the RNN on `[e_t; c_t]`: `s_t` | attend with the **current** state `h_t` |
# | 3 | | `h̃_t = tanh(W_c [c_t; h_t])` |
# | 4 | the word from `[s_t; c_t]` | the word from `h̃_t`: `softmax(W_s h̃_t + b_s)` |
# | score | additive, `v_a^T tanh(W_a s + U_a h̄)` | `dot`, `general`, `concat` |
#
# Here `e_t = embed(y_{t-1})`; "attend with `q`" is `α_t = softmax(score(q,
# h̄))` over the source and `c_t = Σ_s α_ts h̄_s`. Luong's RNN reads `e_t` alone,
# or `[e_t; h̃_{t-1}]` with input feeding (below).
#
# Bahdanau's question comes from a state that has not yet seen `y_{t-1}`: it
# asks "where do I look next?" before knowing exactly what it just wrote (the
# word is in the RNN's input, not in its state). Luong's question comes after the
# RNN has read `y_{t-1}`, so it knows the last word when it asks; in exchange the
# RNN never sees this step's context, only, with input feeding, the previous
# step's `h̃_{t-1}`.
#
# **The timing, read off the weights.** Both models keep each step's weights in
# their decoder state. We build an untrained model of each kind (chapter 3's
# `build_attention_model`, and `build_luong_model` with the `general` score), run
# one `decode_step` from `[START]`, and recompute the weights with each model's
# own attention layer, once from the state before the step and once from the
# state after it. Untrained weights are nearly uniform whatever asks, which would
# make the two recomputations hard to tell apart; so for this check we draw the
# score's weights (`W_a`, `U_a`, `v_a`; Luong's `W_a`) from a standard normal
# distribution, so that different states ask visibly different questions.

# %%
set_seed(42)
additive = chapter3.build_attention_model(toy, scale.embedding_dim, scale.hidden_units)
luong = experiments.build_luong_model(
    toy, scale.embedding_dim, scale.hidden_units, score="general"
)
random = np.random.default_rng(0)
for model in (additive, luong):
    for weight in model.decoder.attention.weights:
        weight.assign(random.normal(size=weight.shape).astype("float32"))


def weights_from(model, query_state, memory):
    """The weights `(B, S)` that `model`'s attention layer gives `query_state`."""
    _, weights = model.decoder.attention.attend(
        query_state[:, None, :],  # one query per sentence: (B, 1, H)
        memory["values"],
        memory["keys"],
        value_mask=memory["padding_mask"],
    )
    return np.asarray(weights[:, 0])


start_ids = decoder_inputs[:, 0]  # [START] for every sentence
print(f"{'model':10s} {'|α - α(state before)|':>22s} {'|α - α(state after)|':>21s}")
for name, model in {"Bahdanau": additive, "Luong": luong}.items():
    memory, before = model.encode(source_ids)
    _, after = model.decode_step(start_ids, before, memory)
    stored = np.asarray(after["attention_weights"])  # this step's α_1: (B, S)
    from_before = np.abs(stored - weights_from(model, before["rnn"], memory)).max()
    from_after = np.abs(stored - weights_from(model, after["rnn"], memory)).max()
    print(f"{name:10s} {from_before:22.1e} {from_after:21.1e}")
print(f"mean |state unit| after the step: {np.abs(after['rnn']).mean():.4f}")

# %% [markdown]
# Each model's stored weights equal, to the last bit (`0.0e+00`), the weights of
# exactly one of its states: the additive model's come from the state *before*
# the step, `s_0`; Luong's from the state *after* it, `h_1`. The other
# recomputation is off by 0.026 (additive) and 0.0047 (Luong). Those are small
# because untrained states are small (Luong's `h_1` averages 0.0075 per unit),
# but they are far above float32 rounding.
#
# ## One Luong step by hand
#
# `chapters/ch04_dot_product_attention/decoder.py` holds `LuongDecoder`: an
# `embedding`, a GRU `rnn`, lesson 4a's `LuongAttention` as `attention`, the
# `combine` layer (`W_c`, `tanh`, no bias, as in the paper) and the
# `output_projection` (`W_s`, `b_s`). We take the state after the first step,
# `h_1`, from the model, and compute parts 2–4 of the step in NumPy from the
# model's weights, for the `general` score `h_t^T W_a h̄_s`:

# %%
memory, before = luong.encode(source_ids)
logits, after = luong.decode_step(start_ids, before, memory)
state = np.asarray(after["rnn"])  # h_1: (B, H)
encoder_states = np.asarray(memory["values"])  # h̄_s: (B, S, H)
score_matrix = np.asarray(luong.decoder.attention.score_matrix)  # W_a: (H, H)
combine_kernel = np.asarray(luong.decoder.combine.kernel)  # W_c: (2H, H)
output_kernel = np.asarray(luong.decoder.output_projection.kernel)  # W_s: (H, V)
output_bias = np.asarray(luong.decoder.output_projection.bias)  # b_s: (V,)

# 2. Attend with the current state: score, masked softmax, weighted sum.
scores = np.einsum("bh,bsh->bs", state, encoder_states @ score_matrix)  # (B, S)
weights = masked_softmax(scores, source_mask)  # (B, S)
context = np.einsum("bs,bsh->bh", weights, encoder_states)  # (B, H)
# 3. The attentional state, context first.
attentional = np.tanh(np.concatenate([context, state], axis=-1) @ combine_kernel)
# 4. The logits of the next word.
by_hand = attentional @ output_kernel + output_bias  # (B, V)
print("logits", by_hand.shape, "max |by hand - model|:", end=" ")
print(f"{np.abs(by_hand - np.asarray(logits)).max():.1e}")
weights_difference = np.abs(weights - np.asarray(after["attention_weights"])).max()
print(f"weights max |by hand - model|: {weights_difference:.1e}")

# %% [markdown]
# The logits agree to float32 rounding. With input feeding the model also keeps
# `h̃_1` in its state (`"attentional"`), for the next step's RNN input; the
# exercise at the end writes a whole step, RNN included, for a SimpleRNN
# without input feeding.
#
# ## Input feeding, and what it costs in training
#
# Without input feeding, Luong's RNN reads only the previous words. Under teacher
# forcing those are all known in advance, so the whole target goes through one
# `keras.layers.GRU` call, exactly as in chapter 2, and the attention for all
# positions is one `(B, T, S)` matrix product after it: no loop of our own. But
# then each step's choice of where to look is made afresh: nothing tells the RNN
# which source words it has already translated. Luong et al. give the RNN the
# previous attentional state `h̃_{t-1}` next to the embedding, which is *input
# feeding* (the paper's default). Then step `t`'s input needs step `t-1`'s
# attention, and training is a loop over the steps again (`keras.ops.scan`, as in
# chapter 3).
#
# Both versions must give in one teacher-forced pass what `decode_step` gives
# one word at a time, at every real (not padding) position of the target. We
# check that for a fresh model with and without input feeding, and time one
# training step of each on the same batch (the median of 10, after a warm-up;
# `train_on_batch` compiles both).


# %%
def luong_variants():
    """Two fresh `general` Luong models, with and without input feeding."""
    set_seed(42)
    return {
        "input feeding": experiments.build_luong_model(
            toy,
            scale.embedding_dim,
            scale.hidden_units,
            score="general",
            input_feeding=True,
        ),
        # Input feeding is off by default.
        "no input feeding": experiments.build_luong_model(
            toy, scale.embedding_dim, scale.hidden_units, score="general"
        ),
    }


variants = luong_variants()
target_outputs = np.asarray(teacher_forcing_shift(target_ids)[1])
for name, model in variants.items():
    teacher_forced = np.asarray(model((source_ids, decoder_inputs)))  # (B, T, V)
    memory, state = model.encode(source_ids)
    largest = 0.0
    for position in range(decoder_inputs.shape[1]):
        step_logits, state = model.decode_step(
            decoder_inputs[:, position], state, memory
        )
        difference = np.abs(np.asarray(step_logits) - teacher_forced[:, position])
        real = decoder_inputs[:, position] != PAD_ID  # padding is never scored
        largest = max(largest, difference[real].max(initial=0.0))
    model.train_on_batch((source_ids, decoder_inputs), target_outputs)  # warm-up
    step_seconds = []
    for _ in range(10):
        started = time.perf_counter()
        model.train_on_batch((source_ids, decoder_inputs), target_outputs)
        step_seconds.append(time.perf_counter() - started)
    print(
        f"{name:17s} step by step vs teacher forced: {largest:.1e}; "
        f"training step {1000 * np.median(step_seconds):.1f} ms"
    )

# %% [markdown]
# Both pass: stepping one word at a time gives the teacher-forced logits exactly
# (`0.0e+00` at every real position). One training step on these three sentences
# took 14.9 ms with input feeding and 10.1 ms without, 1.5 times as long: the
# loop over the words costs time even on a batch this small.
#
# ## Training on the toy grammar
#
# Two fresh models (the timing above took training steps), trained on lesson 3b's
# data, epochs and batch size. `build_luong_model`
# compiles them as chapter 3's model was compiled: Adam with the same learning
# rate, the masked loss and accuracy. Lesson 3b's additive model, trained the same
# way, reached a validation loss of 0.254 at its best epoch and a greedy BLEU of
# 72.7 (its stored run).

# %%
variants = luong_variants()
runs = {}
for name, model in variants.items():
    runs[name] = training.train(
        model, toy, scale.length_curve_epochs, scale.batch_size, verbose=0
    )
    losses = runs[name].history["val_loss"]
    print(
        f"{name:17s} trained in {runs[name].seconds:.0f} s; validation loss by "
        f"epoch: {' '.join(f'{loss:.3f}' for loss in losses)}"
    )

# %%
translators = {
    name: evaluation.make_translator(model, toy) for name, model in variants.items()
}
test_pairs = toy.splits["test"][:4]
sources = [source for source, _ in test_pairs]
outputs = {
    name: translator.translate(sources) for name, translator in translators.items()
}
for index, (source, reference) in enumerate(test_pairs):
    print(f"{source}\n  reference:        {reference}")
    for name in variants:
        print(f"  {name + ':':17s} {outputs[name][index]}")
bleu = {
    name: evaluation.evaluate(translator, toy.splits["test"]).bleu
    for name, translator in translators.items()
}
for name, score in bleu.items():
    print(
        f"greedy BLEU, {name}: {score:.1f} on {len(toy.splits['test'])} test sentences"
    )

# %% [markdown]
# **Without input feeding, Luong's model learned faster and further.** Its
# validation loss was 2.144 after one epoch against 2.972 with input feeding,
# and 0.328 at the end against 0.463. It also trained in 65 s against 149 s: the
# loop of input feeding makes each epoch more than twice as long. Greedy BLEU on
# the 500 test sentences: **72.9** without input feeding, **65.3** with it.
# Lesson 3b's additive model, trained the same way on the same data, scored 72.7
# on the same sentences: at this size and budget, Luong's decoder without input
# feeding matches it.
#
# Both models translate the first example exactly. In the other three both lose
# the plural (*the boy*, *my shirt is*, *the hungry worker*), which the Chinese
# does not mark (lesson 3b).
#
# Input feeding is Luong et al.'s default, and in their experiments (four-layer
# LSTMs trained with plain SGD for 10 to 12 epochs) it helped. With our
# one-layer GRU and Adam it made learning slower in this run, and in the Tatoeba
# runs of the README's Results too. We leave it off by default
# (`input_feeding=False`) and keep it as an option; we have not found out why it
# hurts here.
#
# ## Where Luong's decoder looked
#
# The first test sentence again, as in lesson 3b's heatmap. Row `t` is now
# computed from `h_t`, after the RNN has read the word before token `t`.

# %%
best = max(bleu, key=bleu.get)
sentence = toy.splits["test"][0][0]
(translation,) = translators[best].translate_with_scores([sentence])
print(f"{best}: {sentence} -> {translation.text}")
plots.plot_attention(
    translation.attention,
    translation.source_tokens,
    translation.tokens,
    title=f"Luong ({best}): {sentence}  →  {translation.text}",
)
plt.show()

# %% [markdown]
# Each row puts nearly all its weight (the top of the colour scale) on one
# character, and on a right one: *he* on 他, *will* on 会, *not* on 不, *run* on
# 跑, *in* and *shanghai* on 海, *next* and *year* on 年, the full stop on 。;
# `[END]` looks at 海. Where the two word orders differ, the rows follow the
# words: *next year* comes last in English and goes back to 年, the third
# character. Lesson 3b's additive model spread its weight more on the same
# sentence (*will* 0.42 on 会, *not* 0.55 on 不). Rows this close to one-hot are what
# lesson 4a's √d_k experiment showed for unscaled dot products of wide vectors:
# large scores, and a softmax that puts everything on the largest.
#
# ## Summary
#
# - Luong's decoder steps its RNN first and attends with the new state `h_t`;
#   Bahdanau's attends with the state before the step. Each model's stored
#   weights are those of exactly one of the two states, which is how we told
#   them apart (0.0 against 0.026 and 0.0047).
# - Steps 2–4 (score, weights and context, `h̃_t = tanh(W_c [c_t; h_t])`, logits)
#   by hand in NumPy gave the model's logits to 1.3e-08.
# - Without input feeding, training runs the GRU over the whole target in one
#   call; with it, a loop, 1.5 times as slow per training step here, and the
#   whole training 2.3 times as long.
# - On the toy grammar, 8 epochs: greedy BLEU 72.9 without input feeding, 65.3
#   with it, against 72.7 for lesson 3b's additive model. Input feeding, the
#   paper's default, is off by default in this course.
# - Luong's trained attention is nearly one-hot and follows the words across the
#   reordering of 明年 and *next year*.
#
# ## Exercises
#
# **Exercise 7: one step of Luong's decoder.** Write one step of a SimpleRNN
# Luong decoder with the `dot` score and no input feeding, in NumPy:
#
#     luong_decoder_step(embedding, previous_state, encoder_states, mask,
#                        rnn_kernel, rnn_recurrent_kernel, rnn_bias,
#                        combine_weights)
#         -> (state, attentional_state, weights)
#
# The arguments: `x_t` `(B, E)`, `h_{t-1}` `(B, H)`, the encoder states `h̄_s`
# `(B, S, H)`, the mask `(B, S)` (True at real tokens), `W` `(E, H)`, `U`
# `(H, H)`, `b` `(H,)` and `W_c` `(2H, H)`. Return `h_t` `(B, H)`, `h̃_t`
# `(B, H)` and `α_t` `(B, S)`:
#
# 1. `h_t = tanh(x_t @ W + h_{t-1} @ U + b)`;
# 2. `α_t = masked_softmax(h_t · h̄_s)`, with the *current* state;
# 3. `c_t = Σ_s α_ts h̄_s`;
# 4. `h̃_t = tanh([c_t; h_t] @ W_c)`, the context first.
#
# `masked_softmax` is imported above. The worked solution is in
# `solutions/ch04_solutions.py`.


# %%
def luong_decoder_step(
    embedding,
    previous_state,
    encoder_states,
    mask,
    rnn_kernel,
    rnn_recurrent_kernel,
    rnn_bias,
    combine_weights,
):
    raise NotImplementedError  # your code here


exercises.check_luong_decoder_step(luong_decoder_step)

# %%
seconds = time.perf_counter() - lesson_started
print(
    "Key figure: toy-grammar greedy BLEU "
    + ", ".join(f"{name} {score:.1f}" for name, score in bleu.items())
    + f" after {scale.length_curve_epochs} epochs (scale {scale.name}, lesson ran "
    f"in {seconds:.0f} s)"
)
