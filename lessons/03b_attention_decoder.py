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
# # Lesson 3b: the attention decoder, one step at a time, then trained
#
# **Description:** lesson 3a scored encoder states against a query and averaged
# them into a context vector. Here that computation moves inside the decoder: before
# every word it writes, the decoder asks again which source tokens matter, so each
# step gets a context of its own (Bahdanau et al., 2015, "Neural Machine
# Translation by Jointly Learning to Align and Translate"). We write one step of a
# SimpleRNN attention decoder in NumPy and match the chapter's Keras model to
# float32 rounding, read the GRU version the experiments train, count what attention
# costs in weights, train it on the toy grammar and look at one translation's
# attention.
#
# **You will learn**
# - the attention decoder's step, and which state each part of it reads: the
#   weights come from the *previous* state `s_{t-1}`, the new state from the
#   context they make;
# - the SimpleRNN form `s_t = tanh(A'·[x'_t; c_{t-1}; s_{t-1}] + b)`, computed by
#   hand and checked against Keras;
# - why training loops over the target one step at a time (`keras.ops.scan`),
#   where chapter 2's decoder ran its whole sequence in one GRU call;
# - the model protocol (`encode`, `decode_step`) with attention weights in the
#   decoder state;
# - what attention adds in parameters, and what it buys in BLEU on the toy grammar.
#
# **Time:** about 1.5 minutes on an idle 2-core CPU (`cpu` scale: 8 epochs on
# 8,000 short pairs; 100 s measured, 190 s while other work shared the machine);
# on a Colab GPU (`gpu` scale: 40,000 pairs, 20 epochs) not measured yet.

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

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch03_attention import (
    AttentionSeq2Seq,
    exercises,
    experiments,
    numpy_attention,
)
from chapters.common import evaluation, fonts, plots, training, translation_data
from chapters.common.pipeline import teacher_forcing_shift
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import PAD_ID

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
fonts.use_cjk_font()  # the heatmap at the end labels Chinese characters
print(f"scale {scale.name}")

# %% [markdown]
# ## Data: the toy grammar, as in lesson 2b
#
# The same pairs as lesson 2b, made by the same seeded generator: Chinese
# sentences read character by character, English ones of 3 to 12 words. Using the
# very same data lets us set this lesson's BLEU beside chapter 2's.

# %%
toy = translation_data.toy_data(
    scale.length_curve_train_pairs, scale.toy_eval_pairs // 2, min_words=3, max_words=12
)
print({name: len(pairs) for name, pairs in toy.splits.items()})
source_vocabulary_size = toy.source_tokenizer.vocabulary_size
target_vocabulary_size = toy.target_tokenizer.vocabulary_size
print(
    f"vocabularies: {source_vocabulary_size} Chinese, {target_vocabulary_size} English"
)

# %% [markdown]
# ## The decoder in equations
#
# The encoder is chapter 2's GRU. It reads the `m` source characters and keeps its
# state after each one, `h_1 … h_m`; chapter 2's decoder used only the last,
# `h_m`. The attention decoder keeps them all. At output step `t` it does three
# things, in this order:
#
# 1. **Attend with the previous state.** Score every encoder state against the
#    state the decoder is in *before* this step,
#    `e_ti = v_a^T tanh(W_a s_{t-1} + U_a h_i)`; turn the scores into weights with
#    a softmax over the source, `α_t = softmax(e_t)`; average,
#    `c_t = Σ_i α_ti h_i`. Padding gets weight exactly 0.
# 2. **Step the RNN** on the previous word joined to that context:
#    `s_t = RNN([embed(y_{t-1}); c_t], s_{t-1})`.
# 3. **Score every word** from the new state and the context:
#    `logits_t = W_o [s_t; c_t] + b_o`.
#
# The query is `s_{t-1}` and not `s_t` because `s_t` does not exist yet: the
# context is one of its inputs. The decoder starts from `s_0 = h_m`, the encoder's
# last state (`initial_state="encoder"`, the default here), or from
# `s_0 = tanh(W_s h_m + b_s)` (`initial_state="projection"`, as in the paper and
# in chapter 2's default), which also lets the two RNNs differ in size.
#
# Tutorials that teach this decoder step by step often walk through the first
# step, and it is worth doing once by hand:
#
# - the decoder's state starts equal to the encoder's last one: `s_0 = h_m`;
# - `s_0` is compared with each `h_i`, `α_i = align(h_i, s_0)` (our `align` is the
#   additive score followed by the softmax), and the states are averaged with those
#   weights into `c_0 = α_1 h_1 + … + α_m h_m`;
# - `s_0`, `c_0` and the first input `x'_1` (the embedding of `[START]`) go into
#   the RNN, which gives `s_1`;
# - then `s_1` is compared with every `h_i` again, and so on until `[END]`.
#
# **A note on indices.** Those step-by-step tutorials name a context after the
# state that made it: `c_0` comes from `s_0` and feeds the step that makes `s_1`;
# in general `c_{t-1} = attend(s_{t-1})` feeds step `t`. Bahdanau's paper names
# the same vector after the step it feeds, `c_t`. Same vector, two names:
#
# | the context that feeds step `t`, made from `s_{t-1}` | name |
# |---|---|
# | step-by-step tutorials, Exercise 4 below | `c_{t-1}` |
# | Bahdanau et al. (2015), `decoder.py` | `c_t` |
#
# The code follows the paper. Where this lesson writes the tutorials' formula
# below, it uses their indices.

# %% [markdown]
# ## The SimpleRNN decoder, by hand
#
# With a SimpleRNN as the decoder's RNN, step 2 is one line, which the
# step-by-step notation writes
#
#     s_t = tanh(A'·[x'_t; c_{t-1}; s_{t-1}] + b)
#
# where `x'_t` is the embedding of the decoder's input at step `t` (the previous
# word, `[START]` at step 1). One matrix `A'` multiplies the three vectors joined
# end to end. Keras' `SimpleRNNCell` splits that matrix in two: its `kernel`
# multiplies the input, here `[x'_t; c_{t-1}]`, and its `recurrent_kernel` the
# previous state. Stacked, they are `A'`. Keras also stores matrices to be
# multiplied by row vectors on their right, so `A'·v` is `v @ A'` below.
#
# We build the chapter's model with `cell_type="simple_rnn"`, take its weights out
# as NumPy arrays, and compute its logits ourselves. The weights are untrained:
# the point is that the formula and the model agree, whatever the weights.

# %%
set_seed(0)
simple = AttentionSeq2Seq(
    source_vocabulary_size,
    target_vocabulary_size,
    embedding_dim=scale.embedding_dim,
    hidden_units=scale.hidden_units,
    cell_type="simple_rnn",
)
simple.build(((None, None), (None, None)))  # (B, S) source, (B, T) target ids

decoder = simple.decoder
embedding_table = np.asarray(decoder.embedding.embeddings)  # (V, E)
kernel, recurrent_kernel, rnn_bias = (np.asarray(w) for w in decoder.cell.weights)
rnn_matrix = np.concatenate([kernel, recurrent_kernel])  # A': (E + H + H, H)
query_weights = np.asarray(decoder.attention.query_projection.kernel)  # W_a (H, A)
key_weights = np.asarray(decoder.attention.key_projection.kernel)  # U_a (H, A)
score_vector = np.asarray(decoder.attention.score_vector)  # v_a (A,)
output_kernel, output_bias = (
    np.asarray(w) for w in decoder.output_projection.weights
)  # W_o (H + H, V), b_o (V,)
for name, array in [
    ("embeddings", embedding_table),
    ("kernel (multiplies [x'; c])", kernel),
    ("recurrent_kernel (multiplies s)", recurrent_kernel),
    ("A' = both stacked", rnn_matrix),
    ("b", rnn_bias),
    ("W_a", query_weights),
    ("U_a", key_weights),
    ("v_a", score_vector),
    ("W_o", output_kernel),
]:
    print(f"{name:32s} {array.shape}")

# %% [markdown]
# A batch of three test sentences of different lengths, padded with `[PAD]` (id 0)
# at the end; the decoder's inputs are `[START]` and the reference words (teacher
# forcing, lesson 2b).

# %%
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
source_lengths = (source_ids != PAD_ID).sum(axis=1)
print("source ids", source_ids.shape, "(B, S); real lengths", source_lengths)
print("decoder inputs", decoder_inputs.shape, "(B, T)")

# %% [markdown]
# The encoder gives every state `h_i` `(B, S, H)`, a padding mask `(B, S)`, and
# its last state `h_m` `(B, H)`. For a padded sentence, `h_m` is the state after
# its last *real* character: the encoder skips padding (lesson 2a).

# %%
# NBVAL_CHECK_OUTPUT
encoded = simple.encoder(source_ids)
encoder_states = np.asarray(encoded["outputs"])  # h_1 ... h_m: (B, S, H)
source_mask = np.asarray(encoded["padding_mask"])  # True at real tokens: (B, S)
last_state = np.asarray(encoded["context"])  # h_m: (B, H)
last_real = encoder_states[np.arange(len(source_ids)), source_lengths - 1]
print("h_m == state at the last real character:", np.allclose(last_state, last_real))


# %% [markdown]
# Step 1, attention, with the chapter's NumPy functions that lesson 3a used: the
# additive scores `(B, 1, S)`, one query per sentence; a softmax over the source
# that gives padding zero weight; the weighted sum of the encoder states.


# %%
def attend_to_source(state):
    """The context `(B, H)` and weights `(B, S)` of a decoder state `(B, H)`."""
    scores = numpy_attention.additive_scores(
        state[:, None, :], encoder_states, query_weights, key_weights, score_vector
    )  # (B, 1, S)
    weights = numpy_attention.masked_softmax(scores, source_mask[:, None, :])
    context = numpy_attention.attend(weights, encoder_states)  # (B, 1, H)
    return context[:, 0], weights[:, 0]


# %% [markdown]
# Now the first step, with the step-by-step names: `s_0 = h_m`; the weights
# `α` of `s_0` and the context `c_0`; `[x'_1; c_0; s_0]` through `A'` and `tanh`
# gives `s_1`; the output layer reads `[s_1; c_0]` and scores every English word.

# %%
state_0 = last_state  # s_0 = h_m: (B, H)
context_0, weights_0 = attend_to_source(state_0)  # c_0: (B, H), α: (B, S)
first_input = embedding_table[decoder_inputs[:, 0]]  # x'_1 = embed([START]): (B, E)
joined = np.concatenate([first_input, context_0, state_0], axis=-1)  # (B, E + 2H)
state_1 = np.tanh(joined @ rnn_matrix + rnn_bias)  # s_1: (B, H)
logits_1 = np.concatenate([state_1, context_0], axis=-1) @ output_kernel + output_bias

np.set_printoptions(precision=3, suppress=True)
print("α of sentence 2 over its characters:", weights_0[1])
print("sums of α per sentence:", weights_0.sum(axis=-1))
print(
    "[x'_1; c_0; s_0]",
    joined.shape,
    "-> s_1",
    state_1.shape,
    "-> logits",
    logits_1.shape,
)

model_logits = np.asarray(simple((source_ids, decoder_inputs)))  # (B, T, V)
print(
    "first step, NumPy vs Keras, max |difference|:",
    f"{np.abs(logits_1 - model_logits[:, 0]).max():.1e}",
)

# %% [markdown]
# The untrained attention spreads its weight almost evenly, about 1/10 on each of
# the second sentence's 10 characters, and gives its padding position exactly 0;
# each sentence's weights sum to 1. NumPy and Keras agree to within float32
# rounding (about 1e-7 and below).
#
# The logits read `[s_1; c_0]`: the context that went *into* the step, the one
# the paper calls `c_1`. Every later step repeats the same lines: the context from
# the last state, the RNN step, the scores.

# %%
state = last_state
all_logits = []
for position in range(decoder_inputs.shape[1]):
    context, _ = attend_to_source(state)  # c_{t-1} from s_{t-1}
    step_input = embedding_table[decoder_inputs[:, position]]  # x'_t
    state = np.tanh(
        np.concatenate([step_input, context, state], axis=-1) @ rnn_matrix + rnn_bias
    )  # s_t
    all_logits.append(
        np.concatenate([state, context], axis=-1) @ output_kernel + output_bias
    )
numpy_logits = np.stack(all_logits, axis=1)  # (B, T, V)
print(
    f"all {decoder_inputs.shape[1]} steps, NumPy vs Keras, max |difference|:",
    f"{np.abs(numpy_logits - model_logits).max():.1e}",
)

# %% [markdown]
# ## The GRU decoder the experiments train
#
# `chapters/ch03_attention/decoder.py` holds `AttentionDecoder`; `model.py` wraps
# it with chapter 2's encoder into `AttentionSeq2Seq`. The experiments use a GRU
# (`cell_type="gru"`, the default): the same three steps, with a GRU cell in step
# 2 instead of one `tanh`. The decoder's parts:
#
# - `embedding`: target ids → `(B, E)` vectors;
# - `attention`: lesson 3a's `AdditiveAttention`, which holds `W_a`, `U_a`, `v_a`;
# - `cell`: a `keras.layers.GRUCell` (or `SimpleRNNCell`) whose input is
#   `[embed(y_{t-1}); c_t]`, `E + H` wide;
# - `output_projection`: a `Dense` layer from `[s_t; c_t]` to `V` logits;
# - `bridge`: the `tanh` layer of `initial_state="projection"`, absent by default.
#
# Its `_step` method is steps 1 and 2 above; `call` runs it over the whole target
# and then does step 3 for all positions at once.
#
# **Why a loop.** In chapter 2 the decoder's input at every position,
# `[embed(y_{t-1}); c]`, was known before the decoder ran: the true previous words
# (teacher forcing) and one context for the whole sentence. The whole sequence
# went into one `keras.layers.GRU` call, which on a GPU Keras can run as a single
# fused cuDNN kernel. Here the input of step `t` holds `c_t`, which needs
# `s_{t-1}`, which the step before has to compute first: the attention sits
# *inside* the recurrence. So `call` writes the loop itself, with
# `keras.ops.scan(step, carry, inputs)`, which every Keras backend compiles into
# one loop; the carry holds `s_{t-1}`, the inputs are the target embeddings, time
# first `(T, B, E)`. Teacher forcing still removes the wait for the model's own
# words, but nothing removes the wait for the previous state. Chapter 5's
# Transformer drops the recurrence, and with it this loop.
#
# **The protocol.** `Translator` (lessons 2c, 3c) drives any model through two
# methods:
#
# - `encode(source_ids) -> (memory, state)`. The memory is what every step reads
#   and none changes: `"values"`, the encoder states `(B, S, H)`; `"keys"`,
#   `U_a h_i` `(B, S, A)`, the half of the score that does not depend on the
#   decoder state, computed once per sentence instead of once per step;
#   `"padding_mask"` `(B, S)`. The state holds `"rnn"`, `s_0` `(B, H)`, and
#   `"attention_weights"` `(B, S)`, zeros before the first step.
# - `decode_step(token_ids, state, memory) -> (logits, state)`: one word; the new
#   state carries that step's weights, which is how `Translator` hands them back
#   per output token.

# %%
set_seed(42)
model = experiments.build_attention_model(toy, scale.embedding_dim, scale.hidden_units)
print("decoder cell:", type(model.decoder.cell).__name__)
memory, state = model.encode(source_ids)
for part, value in {**memory, **state}.items():
    print(f"{part:18s} {tuple(value.shape)}")
precomputed = np.asarray(memory["values"]) @ np.asarray(
    model.decoder.attention.key_projection.kernel
)
print("keys == U_a h_i:", np.allclose(memory["keys"], precomputed, atol=1e-5))

# %% [markdown]
# Decoding calls `decode_step` once per word; training calls the model once per
# batch (`model.attention_weights` gives that pass's weights, `(B, T, S)`). Both
# must compute the same thing. We feed `decode_step` the reference words one at a
# time and compare its logits and weights with the teacher-forced pass.

# %%
teacher_forced_logits = np.asarray(model((source_ids, decoder_inputs)))  # (B, T, V)
teacher_forced_weights = np.asarray(
    model.attention_weights((source_ids, decoder_inputs))
)
logits_difference = weights_difference = 0.0
for position in range(decoder_inputs.shape[1]):
    step_logits, state = model.decode_step(decoder_inputs[:, position], state, memory)
    logits_difference = max(
        logits_difference,
        np.abs(np.asarray(step_logits) - teacher_forced_logits[:, position]).max(),
    )
    weights_difference = max(
        weights_difference,
        np.abs(
            np.asarray(state["attention_weights"]) - teacher_forced_weights[:, position]
        ).max(),
    )
print(
    f"step by step vs teacher forced: logits max |difference| {logits_difference:.1e}"
)
print(
    f"                                weights max |difference| {weights_difference:.1e}"
)

# %% [markdown]
# And at every step, each sentence's weights form a distribution over its real
# characters: they sum to one, and padding gets exactly nothing.

# %%
# NBVAL_CHECK_OUTPUT
sums = teacher_forced_weights.sum(axis=-1)  # (B, T)
print(f"weights per step sum to 1 in [{sums.min():.6f}, {sums.max():.6f}]")
on_padding = teacher_forced_weights * ~source_mask[:, None, :]
print("largest weight on a padding position:", on_padding.max())

# %% [markdown]
# ## What attention costs in parameters
#
# Chapter 2's `Seq2Seq` of the same sizes (same `E`, same `H`, same vocabularies)
# against the attention model, part by part:

# %%
baseline = chapter2.build_seq2seq(toy, scale.embedding_dim, scale.hidden_units)
baseline_parts = chapter2.parameter_breakdown(baseline)
attention_decoder = model.decoder
attention_parts = {
    "embeddings": model.encoder.embedding.count_params()
    + attention_decoder.embedding.count_params(),
    "encoder RNN": model.encoder.rnn.count_params(),
    "bridge": 0
    if attention_decoder.bridge is None
    else attention_decoder.bridge.count_params(),
    "attention (W_a, U_a, v_a)": attention_decoder.attention.count_params(),
    "decoder RNN": attention_decoder.cell.count_params(),
    "output layer": attention_decoder.output_projection.count_params(),
}
print(f"{'part':28s}{'chapter 2':>12s}{'attention':>12s}")
for part in attention_parts:
    print(f"{part:28s}{baseline_parts.get(part, 0):>12,}{attention_parts[part]:>12,}")
print(f"{'total':28s}{baseline.count_params():>12,}{model.count_params():>12,}")
assert sum(attention_parts.values()) == model.count_params()
assert sum(baseline_parts.values()) == baseline.count_params()

# %% [markdown]
# Three parts differ. Each follows from a formula, checked here on the counts
# above:

# %%
# NBVAL_CHECK_OUTPUT
hidden_units, attention_units = scale.hidden_units, attention_decoder.attention.units
print(
    "attention = 2·H·A + A:",
    attention_parts["attention (W_a, U_a, v_a)"]
    == 2 * hidden_units * attention_units + attention_units,
)
print(
    "output layer grows by H·V:",
    attention_parts["output layer"] - baseline_parts["output layer"]
    == hidden_units * target_vocabulary_size,
)
print(
    "chapter 2's bridge = H·H + H:",
    baseline_parts["bridge"] == hidden_units * hidden_units + hidden_units,
)

# %% [markdown]
# - **attention**: `W_a` and `U_a` are `H × A` each, `v_a` has `A` entries; with
#   `A = H = 256` (the default), 2·256·256 + 256 = 131,328 weights;
# - **output layer**: it reads `[s_t; c_t]`, `2H` numbers, where chapter 2's read
#   `s_t` alone: one more `H × V` block, 256 · 391 = 100,096 weights;
# - **bridge**: chapter 2's default starts from `s_0 = tanh(W_s c + b_s)`,
#   `H·H + H` = 65,792 weights; the attention model copies `s_0 = h_m` and has
#   none (with `initial_state="projection"` it would have the same bridge).
#
# The decoder RNN is the same size in both, 493,056: each reads `E + H` numbers
# per step, an embedding and a context; chapter 2's context is the same at every
# step, this one is new at every step. In all, 1,211,271 parameters against
# 1,045,639: 165,632 more, 16%. Attention costs more in time than in weights:
# every step scores all `m` source states, `m·t` scores for a target of `t`
# words (lesson 3a measured how that grows), and the steps cannot overlap.

# %% [markdown]
# ## Training
#
# `build_attention_model` compiles the model as `build_seq2seq` compiled chapter
# 2's (Adam with the same learning rate, the masked loss and accuracy), and
# `training.train` fits it on batches of similar lengths. The data, the epochs and
# the batch size are lesson 2b's.

# %%
run = training.train(model, toy, scale.length_curve_epochs, scale.batch_size)
print(f"trained in {run.seconds:.0f} s")

# %%
plots.plot_history(run.history, metrics=("loss", "masked_accuracy"))
plt.show()

# %% [markdown]
# Both losses fall fast for three epochs. Then the validation loss levels off:
# lowest at epoch 7 (0.254), up again at epoch 8 (0.293), while the training loss
# keeps falling (0.082 at the end) and the validation accuracy stays at 0.91 from
# epoch 6 on. On this data, 8 epochs is about where more training stops helping.
#
# Training took 92 s, 9 to 19 s an epoch. Lesson 2b's stored run trained chapter
# 2's model on the same data in 50 s on the same kind of 2-core CPU: the attention
# model took nearly twice as long, for 16% more weights. Each of its steps does
# more work (a score for every source character, an output layer that reads twice
# as many numbers), and the steps run one after the other.

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
# Two of the six translations equal their reference. The other four differ in
# number only: *the boy* for *boys*, *shirt is* for *shirts are*, *the hungry
# worker* for *hungry workers*, *girl* for *girls*. The Chinese does not say which:
# 男孩, 衬衫, 工人 and 女孩 are written the same for one or many, and for such
# nouns the toy grammar draws singular or plural with even odds. No model gets
# those right except by chance, so even a perfect one would score below 100.
#
# Greedy BLEU is 72.7 on the 500 test sentences. Lesson 2b's stored run of chapter
# 2's model, trained on the same 8,000 pairs for the same 8 epochs with the same
# batch size, scored 53.8 on the same 500 test sentences (3 to 12 English words).
# These sentences are short; lesson 3d compares the two models sentence length by
# sentence length.

# %% [markdown]
# ## One translation and where it looked
#
# `translate_with_scores` returns, with each translation, the weights of every
# step: a `(target tokens, source tokens)` array whose row `t` is what the decoder
# attended to when it chose token `t` (computed from `s_{t-1}`, before the token
# was written). `plots.plot_attention` draws it with the tokens as labels; the
# Chinese labels need a font with Chinese glyphs, which `fonts.use_cjk_font()`
# found in Setup. We take the first test sentence, whose English puts the time
# phrase last where the Chinese puts it second. Lesson 3c draws more of these, on
# real sentences.

# %%
sentence = toy.splits["test"][0][0]
(translation,) = translator.translate_with_scores([sentence])
print(sentence, "->", translation.text)
print("weights", translation.attention.shape, "(target tokens, source tokens)")
plots.plot_attention(
    translation.attention,
    translation.source_tokens,
    translation.tokens,
    title=f"{sentence}  →  {translation.text}",
)
plt.show()

# %% [markdown]
# Several English words put most of their weight on the character they
# translate: *he* 0.97 on 他, *not* 0.55 on 不, *will* 0.42 on 会, *year* 0.64 on
# 年. Where the two word orders differ, the weights follow the words, not the
# positions: after *in shanghai* the decoder writes *next year* and goes back to
# 年, the third character (0.35 for *next*, then 0.64). Chapter 2's single context
# vector could not point anywhere; this one moves at every step.
#
# The weight often sits on the *second* character of a two-character word: 年
# rather than 明, 步 (0.55) rather than 跑 for *run*, and 海 (0.81) for *in*, whose
# Chinese 在 comes just before 上海; only *shanghai* splits its weight between 上
# (0.50) and 海 (0.40). A likely reason: the encoder reads left to right, so the
# state at a word's last character is the first one to have read the whole word.
# The final `.` and `[END]` spread their weight thinly.
#
# ## Summary
#
# - At output step `t` the attention decoder scores every encoder state against
#   its previous state `s_{t-1}`, feeds the context that makes, with the previous
#   word, to its RNN, and scores the words from `[s_t; c_t]`. Step-by-step
#   tutorials call that context `c_{t-1}`, the paper and the code `c_t`.
# - With a SimpleRNN the step is `s_t = tanh(A'·[x'_t; c_{t-1}; s_{t-1}] + b)`,
#   where `A'` is Keras' `kernel` stacked on its `recurrent_kernel`; our NumPy loop
#   gave the model's logits to within 1.9e-07.
# - Each context needs the previous state, so training runs the steps in a
#   `keras.ops.scan` loop. Stepping with `decode_step` gave the same logits
#   (3.5e-08 apart) and the same weights, which sum to 1 over the real characters
#   and put exactly 0 on padding.
# - Attention added 16% to the parameters (1,211,271 against 1,045,639): `W_a`,
#   `U_a`, `v_a` and an output layer that also reads the context, less chapter 2's
#   bridge.
# - On the toy grammar, with the same data and the same 8 epochs, greedy BLEU was
#   72.7, against 53.8 for chapter 2's model in lesson 2b's run; training took
#   92 s, against 50 s.
# - In one translation the weights follow the words across the reordering of 明年
#   and *next year*.
#
# ## Exercises
#
# **Exercise 4: one step of the attention decoder.** Write one step of the
# SimpleRNN attention decoder in NumPy, in the step-by-step order and with its
# indices: first the RNN step, then attention with the *new* state, whose context
# the next step will read.
#
#     attention_decoder_step(previous_embedding, previous_state, previous_context,
#                            encoder_states, mask, rnn_kernel, rnn_bias,
#                            query_weights, key_weights, score_vector)
#         -> (state, context, weights)
#
# The arguments: `x_t` `(B, E)`, `s_{t-1}` `(B, H)`, `c_{t-1}` `(B, D)`, the
# encoder states `h_i` `(B, S, D)`, the mask `(B, S)` (True at real tokens),
# `rnn_kernel` `(E + D + H, H)`, `rnn_bias` `(H,)`, `W_a` `(H, A)`, `U_a`
# `(D, A)` and `v_a` `(A,)`. Return `s_t` `(B, H)`, `c_t` `(B, D)` and `α_t`
# `(B, S)`:
#
# 1. `s_t = tanh([x_t; c_{t-1}; s_{t-1}] @ rnn_kernel + rnn_bias)`, the three
#    joined in that order;
# 2. `α_t = softmax over the source of e_ti = v_a^T tanh(s_t W_a + h_i U_a)`,
#    padding at exactly 0;
# 3. `c_t = Σ_i α_ti h_i`.
#
# This cuts the loop in another place than the model does (attend, then step): a
# chain of these steps, started from `c_0 = attend(s_0)`, gives the states of the
# loop above. Your functions from lesson 3a's Exercises 1–3 can do steps 2 and 3.
# The worked solution is in `solutions/ch03_solutions.py`.


# %%
def attention_decoder_step(
    previous_embedding,
    previous_state,
    previous_context,
    encoder_states,
    mask,
    rnn_kernel,
    rnn_bias,
    query_weights,
    key_weights,
    score_vector,
):
    raise NotImplementedError  # your code here


exercises.check_attention_decoder_step(attention_decoder_step)

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: toy-grammar greedy BLEU {scores.bleu:.1f} with attention after "
    f"{scale.length_curve_epochs} epochs "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
