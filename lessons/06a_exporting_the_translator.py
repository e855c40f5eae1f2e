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
# # Lesson 6a: exporting the translator
#
# **Description:** a `Translator` lives in this course's Python: it tokenizes,
# searches and writes text with our classes. To use the model anywhere else (a
# command, a web server, TensorFlow Serving, a program in another language), we
# export it as a TensorFlow SavedModel that takes a batch of sentences and gives
# back their translations, every step inside the graph. We check that the file,
# loaded in a fresh Python process that never imports the course, translates
# exactly as the `Translator` does.
#
# **You will learn**
# - which steps of `Translator` run in Python, and their graph twins;
# - how detokenizing (pieces into words, punctuation attached) is written with
#   ragged tensors and no loop;
# - what a SavedModel signature is, and how Keras' `ExportArchive` writes one;
# - how big the export is, how long it takes to load, and that it gives the same
#   translations as the Python `Translator`.
#
# **Time:** about 2½ minutes on CPU (`cpu` scale, 147 s measured: 1,000 test
# sentences translated four times); on a Colab GPU not measured yet.

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
#
# The translator is chapter 5's Transformer, trained on Tatoeba zh→en by
# `python -m chapters.ch05_transformer.comparison tatoeba` (which stores it).
# Where it is not stored, `chapter5_translator` trains lesson 5c's toy-grammar
# Transformer instead (about two minutes at `cpu`), and the lesson runs on that.

# %%
import pathlib
import tempfile
import time

import tensorflow as tf

from chapters.ch05_transformer.subwords import join_pieces
from chapters.ch06_beyond_the_notebook import exercises, export, graph_text
from chapters.common import sampling, tatoeba
from chapters.common.scales import current_scale, set_seed
from chapters.common.tokenizers import detokenize

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(0)
translator, description = export.chapter5_translator(scale)
print(f"scale {scale.name}; translating with {description}")
print(translator.source_tokenizer, translator.target_tokenizer, sep="\n")

# %% [markdown]
# ## Data
#
# Test sentences drawn at random from the Tatoeba test split (the corpus file
# is ordered by length, so a slice of it would hold only the shortest). Without
# the corpus, `load_corpus_or_toy` gives the toy grammar's pairs instead.

# %%
corpus = tatoeba.load_corpus_or_toy()
test_pairs = tatoeba.split_corpus(corpus.pairs)["test"]
sample = sampling.seeded_sample(test_pairs, scale.eval_sentences, seed=0)
sentences = [pair.chinese for pair in sample]
print(
    f"{len(sentences)} test sentences of {corpus.name}:",
    sampling.length_statistics(sentences, "zh"),
)
print(sentences[:5])

# %% [markdown]
# ## What runs in Python, and what in the graph
#
# `Translator.translate` runs five steps:
#
# 1. Tokenize each sentence and look its tokens up: `source_tokenizer.tokenize`
#    and `tokens_to_ids`, Python.
# 2. Refuse an empty sentence: a Python `ValueError`.
# 3. Cut each sentence to `max_source_tokens` and pad the batch with `[PAD]`: NumPy.
# 4. Search: `greedy_search` or `beam_search`, a compiled `tf.function` already.
# 5. Ids back to text: `ids_to_tokens`, then `detokenize`, Python.
#
# Steps 1 and 3 have graph twins since chapter 2: every tokenizer's `tf_encode`
# tokenizes a batch with tensorflow-text's ops, and a ragged tensor is cut and
# padded in two calls. Step 2 becomes a `tf.debugging` assertion. Step 5 is the
# new one.

# %%
ids = translator.source_tokenizer.tf_encode(tf.constant(sentences[:3]))
print("ragged ids:", ids)
print("cut and padded:\n", ids[:, : translator.max_source_tokens].to_tensor(0).numpy())
print("Python:", [translator.source_tokenizer.encode(s) for s in sentences[:3]])

# %% [markdown]
# ### Detokenizing without a loop
#
# Python's `detokenize` walks the tokens one by one, deciding for each whether a
# space goes before it. In a graph we decide for all tokens at once: a token is
# preceded by a space unless it is the first of its row, is punctuation that
# clings to the word before (`.,!?;:%)]}`), or follows one that clings to the
# word after (`([{$`). A `"` opens and closes in turn: it opens when it is the
# 1st, 3rd, … quote of its row, a running count. The English side of the
# Transformer is WordPiece: first, a piece that starts with `##` is glued to the
# word before it; numbering words with a running count of "starts a word" lets
# `tf.strings.unsorted_segment_join` glue them.

# %%
pieces = [["he", "said", '"', "it", "is", "un", "##believ", "##able", "!", '"'],
          ["(", "tom", "paid", "$", "5", ")", "."]]  # fmt: skip
ragged = tf.ragged.constant(pieces)
words = graph_text.tf_join_pieces(ragged)
print("words:", words.to_list())
print("graph: ", graph_text.tf_detokenize(words, "en").numpy())
print("Python:", [detokenize(join_pieces(row), "en") for row in pieces])

# %% [markdown]
# The tests check both twins against the Python functions on 500 random token
# sequences and on 300 corpus sentences (`tests/test_ch06_export.py`).
#
# ## Exporting
#
# `export_translator` builds one function per search (`greedy`, `beam`) from the
# five steps, hands it to Keras' `ExportArchive` with an input signature (a
# batch of any size of strings, named `sentences`), tracks the tokenizers' lookup
# tables, and writes the SavedModel. The model's weights go in `variables/`, the
# graphs in `saved_model.pb`.

# %%
folder = pathlib.Path(tempfile.mkdtemp()) / "zh_en_export"
started = time.perf_counter()
export.export_translator(translator, folder)
export_seconds = time.perf_counter() - started
for path in sorted(folder.rglob("*")):
    if path.is_file():
        print(f"{path.stat().st_size / 1e6:8.2f} MB  {path.relative_to(folder)}")
export_megabytes = export.folder_size(folder) / 1e6
print(f"export: {export_megabytes:.1f} MB, written in {export_seconds:.1f} s")
print(f"the model's {translator.model.count_params():,} weights as float32: "
      f"{translator.model.count_params() * 4 / 1e6:.1f} MB")  # fmt: skip

# %% [markdown]
# A signature records names, dtypes and shapes, not Python: `(None,)` is a batch
# of any size.

# %%
loaded_here = tf.saved_model.load(str(folder))
for name, function in loaded_here.signatures.items():
    inputs = function.structured_input_signature[1]
    outputs = function.structured_outputs
    print(
        name,
        inputs,
        "->",
        {key: (value.dtype.name, value.shape) for key, value in outputs.items()},
    )

# %% [markdown]
# ## Reloading without the course
#
# `translate_in_fresh_process` starts a new Python that imports TensorFlow and
# tensorflow-text (whose ops the graph holds) and nothing else, loads the folder,
# and translates the sample with each signature. We compare with the Python
# `Translator` on the same sentences.

# %%
fresh = export.translate_in_fresh_process(folder, sentences)
print(f"tf.saved_model.load: {fresh['load_seconds']:.2f} s in the fresh process")
print("course modules it imported:", fresh["course_modules"])
print("a blank sentence:", fresh["blank_sentence"])
identical = {}
for method in export.METHODS:
    python_texts = translator.translate(sentences, method)
    exported = fresh["signatures"][method]
    pairs = zip(python_texts, exported["translations"], strict=True)
    same = identical[method] = sum(a == b for a, b in pairs)
    print(f"{method}: {same} of {len(sentences)} translations identical; "
          f"first call {exported['seconds']:.2f} s")  # fmt: skip
beam_texts = fresh["signatures"]["beam"]["translations"]
for source, text in zip(sentences[:6], beam_texts, strict=False):
    print(f"  {source} -> {text}")

# %% [markdown]
# On 1,000 test sentences drawn from Tatoeba (3 to 34 characters, 9.6 on
# average), the exported Transformer gave the same translation as `Translator`
# for every sentence, greedy and beam. The process that loaded it imported none of
# the course's modules; `tf.saved_model.load` took 1.7 s. The export is 35.9 MB:
# the 7.9 million float32 weights (31.6 MB) and 4.2 MB of graphs. A blank
# sentence stops the call with the assertion's message. The first call of a
# signature also builds its kernels; here each call translated all 1,000
# sentences in one batch (greedy 17 s, beam 52 s).
#
# ## Summary
#
# - A SavedModel holds graphs and weights, not Python: every step of the
#   translator must be a TensorFlow op to be exported.
# - Tokenizing has been in the graph since chapter 2 (`tf_encode`); the way back
#   (ids to pieces to words to text) is written with ragged tensors and running
#   counts instead of a loop.
# - Keras' `ExportArchive` writes it: one signature per search, strings in and
#   strings out.
# - Reloaded in a process that never imported the course, it gives the same
#   translations as `Translator`.
#
# ## Exercises
#
# ### A serving signature's source ids
#
# Write the signature's steps 1 and 3: `signature_source_ids(sentences,
# tokenizer, max_source_tokens)` takes a `(B,)` string tensor and returns the
# `(B, S)` int32 ids the model reads, each sentence cut to `max_source_tokens`
# and padded with `[PAD]` (0) to the longest. The check also runs it inside a
# `tf.function` whose input signature is a batch of any size, as an export does.


# %%
def signature_source_ids(sentences, tokenizer, max_source_tokens):
    raise NotImplementedError  # your code here


exercises.check_signature_source_ids(signature_source_ids)

# %% [markdown]
# More to try:
# - Export chapter 3's attention model (`python -m
#   chapters.ch03_attention.experiments tatoeba` trains it; `Translator.save`
#   stores it) with `python -m chapters.ch06_beyond_the_notebook.export
#   --translator FILE --out FOLDER`, and compare the sizes.
# - List the signatures from the shell: `saved_model_cli show --dir FOLDER --all`.

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: export {export_megabytes:.1f} MB, reloaded in "
    f"{fresh['load_seconds']:.1f} s, identical greedy translations "
    f"{identical['greedy']}/{len(sentences)}, beam {identical['beam']}/"
    f"{len(sentences)} (scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
