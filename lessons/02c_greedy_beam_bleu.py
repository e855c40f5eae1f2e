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
# # Lesson 2c: translating Tatoeba — greedy decoding, beam search, BLEU
#
# **Description:** we train the encoder–decoder on real Chinese–English sentence
# pairs (Tatoeba), then translate with it: greedy decoding, beam search, and how
# to score translations with BLEU.
#
# **You will learn**
# - greedy decoding: feed the most likely word back in, until `[END]`;
# - beam search: keep the `K` most likely partial translations instead of one, and
#   rank finished ones by a length-normalized score;
# - why decoding runs inside one compiled `tf.function`, and how much faster it is;
# - BLEU with sacrebleu on the test split, and how often `[UNK]` appears in outputs.
#
# **Time:** about 3 to 4 minutes on a busy 2-core CPU (`cpu` scale: 5 epochs of
# training dominate); on a Colab GPU (`gpu` scale: 30 epochs) not measured yet.

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
import time

import matplotlib.pyplot as plt
import numpy as np

from chapters.ch02_encoder_decoder import drawings, exercises, experiments
from chapters.common import evaluation, metrics, plots, training, translation_data
from chapters.common.decoding import beam_search, compile_search, greedy_search
from chapters.common.scales import current_scale, set_seed
from chapters.common.vocabulary import UNK_ID

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(42)
# Set COURSE_LONG_RUN=1 to train for more epochs in the optional cell below.
LONG_RUN = os.environ.get("COURSE_LONG_RUN") == "1"
print(
    f"scale {scale.name}: {scale.seq2seq_epochs} epochs, "
    f"hidden_units={scale.hidden_units}"
)

# %% [markdown]
# ## Data
#
# Tatoeba pairs, Chinese → English. Training pairs have at most `max_tokens` tokens
# a side, which keeps training cheap; the test sentences are a seeded random sample
# of the whole test split, long ones included (the corpus file is sorted by length,
# so its first sentences would all be short). The English side is lower-cased by
# the tokenizer, so our BLEU is case-insensitive.

# %%
data = translation_data.tatoeba_data(scale)
print({name: len(pairs) for name, pairs in data.splits.items()})
print(data.describe("train"))
print(data.describe("test"))
print(
    f"vocabularies: {data.source_tokenizer.vocabulary_size} characters, "
    f"{data.target_tokenizer.vocabulary_size} English words"
)

# %% [markdown]
# ## Model and training
#
# A GRU encoder–decoder with the context joined to every decoder input (lesson
# 2b), trained with teacher forcing and the masked loss.

# %%
set_seed(42)
model = experiments.build_seq2seq(data, scale.embedding_dim, scale.hidden_units)
run = training.train(model, data, scale.seq2seq_epochs, scale.batch_size)
print(f"{run.parameters:,} parameters, trained in {run.seconds:.0f} s")

# %%
plots.plot_history(run.history, metrics=("loss", "masked_accuracy"))
plt.show()

# %% [markdown]
# **Optional, longer run** (skipped unless `COURSE_LONG_RUN=1`): after 5 epochs the
# validation loss is still falling, so more epochs help; watch for the epoch where
# it turns up, the sign that the model starts to memorise the ~20k training pairs
# (in the README's 12-epoch run that is after epoch 7).

# %%
if LONG_RUN:
    more = training.train(model, data, 10, scale.batch_size)
    print(
        f"10 more epochs in {more.seconds:.0f} s; "
        f"validation loss {more.history['val_loss'][-1]:.3f}"
    )
else:
    print("skipped (set COURSE_LONG_RUN=1 to run it)")

# %% [markdown]
# ## Inference: greedy decoding
#
# At inference there is no true previous word. Greedy decoding takes the most
# likely word at every step and feeds it back:
#
# 1. encode the source once: `memory, state = model.encode(source_ids)`;
# 2. start with `[START]`;
# 3. `logits, state = model.decode_step(token, state, memory)`;
# 4. pick `argmax(logits)`, record its log-probability, feed it back;
# 5. stop at `[END]` or at the length cap.
#
# `Translator` does the tokenizing, batching, padding and detokenizing around it.
# It only needs the two protocol methods `encode` and `decode_step`, so chapters 3
# to 5 reuse it for attention models and the Transformer.

# %%
translator = evaluation.make_translator(model, data)
examples = ["我爱你。", "欢迎来北京！", "他是我的朋友。", "今天很冷。"]
for example in examples:
    unknown = [
        token
        for token in data.source_tokenizer.tokenize(example)
        if data.source_tokenizer.tokens_to_ids([token]) == [UNK_ID]
    ]
    print(example, "unknown characters:", unknown or "none")
for translation in translator.translate_with_scores(examples):
    print(
        f"{translation.source}  ->  {translation.text}   "
        f"(log p = {translation.log_prob:.2f})"
    )

# %% [markdown]
# ### Compiled vs Python loop
#
# `greedy_search` is written once with TensorFlow ops and a Python `for` loop.
# Called directly it runs eagerly, one Python-level model call per word: easy to
# read and debug. Wrapped in `tf.function`, AutoGraph turns the loop into a
# `tf.while_loop` and the whole search runs as one graph. Same tokens, much faster:

# %%
test_sources = [source for source, _ in data.splits["test"][:64]]
source_ids = translator.source_ids(test_sources)
compiled_greedy = compile_search(greedy_search, model, max_length=50)
compiled_greedy(source_ids)  # The first call traces the graph.
timings = {}
for name, search in {
    "python loop": lambda ids: greedy_search(model, ids, max_length=50),
    "compiled": compiled_greedy,
}.items():
    started = time.perf_counter()
    result = search(source_ids)
    timings[name] = time.perf_counter() - started
    print(f"{name:12s} {len(test_sources) / timings[name]:7.1f} sentences/s")
eager_tokens = greedy_search(model, source_ids, max_length=50)["tokens"]
np.testing.assert_array_equal(result["tokens"], eager_tokens)
print(
    "same tokens; compiled is "
    f"{timings['python loop'] / timings['compiled']:.1f}x faster"
)

# %% [markdown]
# ## Beam search
#
# Greedy decoding can commit to a word that looks best now and leads nowhere.
# Beam search keeps the `K` best partial translations (the beam) of every
# sentence. At each step it extends each of them by every word (`K × V`
# candidates, scored by total log-probability), keeps the best `K`, and records
# which hypothesis each came from (its parent). A hypothesis that produced `[END]`
# stays in the beam with its score frozen. Raw log-probabilities favour short
# outputs (every word lowers them), so finished hypotheses are ranked by
# `log p(y) / |y|^α` (α = `length_penalty`, 0.6 by default).
#
# Here are all `K` hypotheses for one sentence, then the tree the search grew
# (`trace=True` records what every step kept): a column per step, a box per kept
# hypothesis with the word it added and its total log-probability, the red path
# to the best one (`show_pruned=True` also draws the candidates each step dropped).

# %%
sentence_ids = translator.source_ids(["他是我的朋友。"])
beams = beam_search(model, sentence_ids, 50, beam_width=scale.beam_width)
for rank in range(scale.beam_width):
    length = int(beams["lengths"][0, rank])
    words = data.target_tokenizer.decode(beams["tokens"][0, rank, :length])
    print(
        f"{rank}: {words:40s} log p = "
        f"{float(beams['scores'][0, rank]):6.2f}  normalized = "
        f"{float(beams['normalized_scores'][0, rank]):6.2f}"
    )

# %%
traced = beam_search(model, sentence_ids, 50, beam_width=scale.beam_width, trace=True)
np.testing.assert_array_equal(traced["tokens"], beams["tokens"])  # Only recorded.
drawings.draw_beam_tree(
    traced, data.target_tokenizer, title="beam search: 他是我的朋友。"
)
plt.show()

# %% [markdown]
# Beam width 1 is greedy decoding. With more beams the model's own score of its
# output (`log p`, compared here without length normalization) usually goes up, but
# not always: beam search can drop greedy's prefix when `K` other prefixes score
# higher at some step, and those may end worse. Beam search finds better, not best.

# %%
sample = [source for source, _ in data.splits["test"][:100]]
greedy = translator.translate_with_scores(sample)
beam_one = translator.translate_with_scores(sample, method="beam", beam_width=1)
beam = translator.translate_with_scores(
    sample, method="beam", beam_width=scale.beam_width, length_penalty=0.0
)
print(
    "beam width 1 == greedy:",
    [t.tokens for t in beam_one] == [t.tokens for t in greedy],
)
better = np.mean(
    [b.log_prob >= g.log_prob - 1e-5 for b, g in zip(beam, greedy, strict=True)]
)
print(
    f"beam {scale.beam_width} scores at least greedy on {better:.0%} of "
    f"{len(sample)} sentences; "
    f"mean log p {np.mean([t.log_prob for t in greedy]):.2f} (greedy) vs "
    f"{np.mean([t.log_prob for t in beam]):.2f} (beam)"
)

# %% [markdown]
# ## BLEU on the test split
#
# BLEU compares n-grams (n = 1..4) of each output with its reference: the
# geometric mean of the clipped n-gram precisions, times a brevity penalty for
# outputs shorter than the references. We use sacrebleu (`13a` tokenizer for
# English) through `chapters.common.metrics.corpus_bleu`, on the sampled test
# sentences (`eval_sentences` at this scale).

# %%
greedy_eval = evaluation.evaluate(translator, data.splits["test"], "greedy")
beam_eval = evaluation.evaluate(
    translator, data.splits["test"], "beam", scale.beam_width
)
print(data.describe("test"))
print(
    f"BLEU greedy      {greedy_eval.bleu:5.1f}   "
    f"[UNK] in outputs {greedy_eval.unknown_rate:.2%}"
)
print(
    f"BLEU beam (K={scale.beam_width}) {beam_eval.bleu:5.1f}   [UNK] in outputs "
    f"{beam_eval.unknown_rate:.2%}"
)
shown = zip(beam_eval.translations[:8], beam_eval.references[:8], strict=True)
for translation, reference in shown:
    print(
        f"  {translation.source}\n    model: {translation.text}\n    ref:   {reference}"
    )

# %% [markdown]
# Single-sentence BLEU is noisy, but it shows what BLEU rewards. On one short
# sentence an n-gram precision is often 0 (no 4-gram in common, or fewer than four
# words), and one zero makes the geometric mean, and so BLEU, 0 however good the
# rest. Corpus BLEU rarely meets this, because it adds up the n-gram counts of all
# sentences before dividing. Sentence-level BLEU therefore changes two things (Chen
# and Cherry, 2014, "A Systematic Comparison of Smoothing Techniques for
# Sentence-Level BLEU"): it *smooths* zero counts (sacrebleu's default gives an
# order with no match a small precision that halves with each such order instead
# of 0), and with *effective order* it uses only the n-gram orders the sentence is
# long enough to have. `metrics.sentence_bleu` does both:

# %%
shown = zip(beam_eval.translations[:4], beam_eval.references[:4], strict=True)
for translation, reference in shown:
    print(
        f"{metrics.sentence_bleu(translation.text, reference):5.1f}  "
        f"{translation.text!r} vs {reference!r}"
    )

# %% [markdown]
# ## Summary
#
# - Greedy decoding feeds its own best guess back; beam search keeps `K` guesses
#   and ranks finished ones by a length-normalized score.
# - The same search code runs eagerly (reference) or compiled (fast).
# - BLEU on the test split measures the whole system; the `[UNK]` rate says how
#   often the English vocabulary ran out.
#
# After 5 epochs on ~20k pairs the plain encoder–decoder translates three of our
# four short examples right ("i love you.", "he is my friend.", "it's cold
# today.") and misses the fourth (欢迎来北京！). On the sampled test sentences, long
# ones included, most outputs are still wrong, as its BLEU says. The same model
# trained for 12 epochs (`python -m chapters.ch02_encoder_decoder.experiments
# tatoeba --epochs 12`, about 11 minutes here) reaches BLEU 14.6 greedy and 16.9
# with beam search on the same test sentences (the README's results). Lesson 2d
# measures one reason it stays low, the fixed-size context.
#
# ## Exercises
#
# **Exercise 1: one greedy step.** Given logits `(B, V)` and a boolean `finished`
# `(B,)`, return the chosen tokens `(B,)`, integer ids (a tie goes to the lowest
# id, as `np.argmax` gives it), and their log-probabilities `(B,)`, from a stable
# log-softmax (the check's logits reach 1000). A finished sentence gets `[PAD]`
# (0) and log-probability 0, whatever its arg-max.


# %%
def greedy_step(logits, finished):
    raise NotImplementedError  # your code here


exercises.check_greedy_step(greedy_step)

# %% [markdown]
# **Exercise 2: the greedy decoding loop.** Write `greedy_decode(model,
# source_ids, max_length)` for any model that follows the translation model
# protocol (see "Inference: greedy decoding" above):
#
# 1. `memory, state = model.encode(source_ids)`, once;
# 2. feed `[START]` to every sentence, then each step's chosen tokens:
#    `logits, state = model.decode_step(tokens, state, memory)`, tokens `(B,)`,
#    always with the state the last call returned;
# 3. choose with your `greedy_step`: a sentence that has written `[END]` gets
#    `[PAD]` from then on;
# 4. stop as soon as every sentence has written `[END]`, or after `max_length`
#    tokens.
#
# Return the tokens `(B, L)`, one row per sentence, integer ids, `[END]` included.
# The check runs your loop on a small model made by hand that copies its source;
# once it passes, `greedy_decode(model, translator.source_ids(["我爱你。"]), 50)`
# gives the tokens `greedy_search` gives.


# %%
def greedy_decode(model, source_ids, max_length):
    raise NotImplementedError  # your code here


exercises.check_greedy_decode(greedy_decode)

# %% [markdown]
# **Exercise 3: beam search's top-k bookkeeping.** Given beam scores `(B, K)` and
# next-token log-probabilities `(B, K, V)`, return the `K` best extended scores
# `(B, K)`, best first, with their parent beams and their tokens (integer arrays).
# A candidate's score is its parent's score plus the token's log-probability; the
# best `K` may all extend the same parent. Ties go to the lower flat index
# `parent * V + token`, as `tf.math.top_k` and a stable `np.argsort` of the
# negated scores give them.


# %%
def beam_step(scores, log_probs, beam_width):
    raise NotImplementedError  # your code here


exercises.check_beam_step(beam_step)

# %% [markdown]
# **Exercise 4: sentence BLEU by hand.** Given hypothesis and reference token
# lists, return `100 · BP · exp(mean_n log p_n)` for n = 1..4, with clipped n-gram
# precisions `p_n` and brevity penalty `BP = min(1, exp(1 - r / c))`, unsmoothed:
# when some `p_n` is 0, `log p_n` is undefined and BLEU is 0. The check compares
# with sacrebleu without smoothing, on sentences where that happens too.


# %%
def bleu_by_hand(hypothesis, reference):
    raise NotImplementedError  # your code here


exercises.check_bleu_by_hand(bleu_by_hand)

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: {data.corpus} zh->en test BLEU {greedy_eval.bleu:.1f} greedy, "
    f"{beam_eval.bleu:.1f} beam (K={scale.beam_width}); {run.parameters:,} parameters "
    f"trained in {run.seconds:.0f} s "
    f"(scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
