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
# # Lesson 6b: serving the translator
#
# **Description:** lesson 6a wrote the translator as a SavedModel: strings in,
# strings out. Here we use that folder the way an application would: from Python
# with nothing but TensorFlow, from the command line, and over HTTP from any
# language. We time what a request costs.
#
# **You will learn**
# - how to load an exported translator and check it is one;
# - the `translate` command: arguments or standard input, and its errors;
# - a minimal HTTP endpoint on Python's standard library, called like any web
#   service, and what it answers to bad requests;
# - the latency of a served request, measured.
#
# **Time:** about 1½ minutes on CPU (`cpu` scale; 94 s measured); on a Colab GPU
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
#
# We export the same translator as lesson 6a (chapter 5's Tatoeba Transformer
# where its comparison stored it; otherwise lesson 5c's toy-grammar model,
# trained here) into a temporary folder.

# %%
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from chapters.ch06_beyond_the_notebook import export, serving
from chapters.common import sampling, tatoeba
from chapters.common.scales import current_scale, set_seed

lesson_started = time.perf_counter()
scale = current_scale()
set_seed(0)
translator, description = export.chapter5_translator(scale)
folder = export.export_translator(
    translator, pathlib.Path(tempfile.mkdtemp()) / "zh_en_export"
)
print(f"scale {scale.name}; exported {description} to {folder}")

# %% [markdown]
# ## Loading it from Python
#
# `load_exported` checks the folder before TensorFlow loads it (a missing path
# or a folder without `saved_model.pb` fails at once, with what to do), then
# checks that the signatures take `sentences` and return `translations`.

# %%
exported = serving.load_exported(folder)
print(exported.translate(["我爱你。", "欢迎来北京。"]))
print(exported.translate(["我爱你。", "欢迎来北京。"], method="beam"))
for bad in (pathlib.Path("no/such/folder"), pathlib.Path(tempfile.mkdtemp())):
    try:
        serving.load_exported(bad)
    except (FileNotFoundError, ValueError) as error:
        print(f"{type(error).__name__}: {error}")
try:
    exported.translate(["我爱你。", "   "])
except ValueError as error:
    print(f"ValueError: {error}")

# %% [markdown]
# ## The command
#
# `python -m chapters.ch06_beyond_the_notebook.serving translate` prints one
# translation per line, of its arguments or, without them, of standard input
# (one sentence per line). `--model` names the folder; the environment variable
# `COURSE_TRANSLATOR_DIR` can name it instead. We run it as a shell would.

# %%
command = [sys.executable, "-m", "chapters.ch06_beyond_the_notebook.serving"]
environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(arguments, stdin=None):
    completed = subprocess.run(
        command + arguments,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
    )
    print(f"$ ... serving {' '.join(arguments)}  (exit status {completed.returncode})")
    print(completed.stdout.strip() or completed.stderr.strip().splitlines()[-1])


run(["translate", "我爱你。", "欢迎来北京。", "--model", str(folder)])
run(
    ["translate", "--method", "beam", "--model", str(folder)],
    stdin="他们在家吗？\n我饿了。\n",
)
run(["translate", "我爱你。", "--model", "no/such/folder"])
run(["translate", "--model", str(folder)], stdin="\n")

# %% [markdown]
# ## Over HTTP
#
# `make_server` builds a server from Python's standard library
# (`http.server.ThreadingHTTPServer`) around the loaded translator:
# `POST /translate` takes JSON `{"sentences": [...], "method": "greedy"}` and
# answers `{"translations": [...]}`; `GET /health` answers `{"status": "ok"}`.
# From a shell, `python -m chapters.ch06_beyond_the_notebook.serving serve
# --model FOLDER --port 8000` runs it until Ctrl-C, and any language's HTTP
# client can call it:
#
#     curl -s http://127.0.0.1:8000/translate -H 'Content-Type: application/json' \
#          -d '{"sentences": ["我爱你。"], "method": "beam"}'
#
# Here we start it in a thread of this notebook, on a free port.

# %%
server = serving.make_server(exported, port=0)
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()
url = serving.server_url(server)
with urllib.request.urlopen(f"{url}/health") as response:
    print("GET /health ->", json.loads(response.read()))
print(serving.request_translations(url, ["我爱你。", "欢迎来北京。"], "beam"))
for sentences, method in (
    (["我爱你。", ""], "greedy"),
    (["我爱你。"], "sampling"),
    ([], "greedy"),
):
    try:
        serving.request_translations(url, sentences, method)
    except RuntimeError as error:
        print(error)

# %% [markdown]
# ## What a request costs
#
# A client sends sentences drawn from the Tatoeba test split, one request at a
# time: first one sentence per request, then batches of 32. Each latency is the
# time from sending to reading the answer, so it includes HTTP and JSON, not
# only the model.

# %%
corpus = tatoeba.load_corpus_or_toy()
test_pairs = tatoeba.split_corpus(corpus.pairs)["test"]
requests = sampling.seeded_sample(test_pairs, scale.eval_sentences, seed=1)
sentences = [pair.chinese for pair in requests]
serving.request_translations(url, sentences[:2])  # the first call builds kernels


def latencies(batches, method):
    seconds = []
    for batch in batches:
        started = time.perf_counter()
        serving.request_translations(url, batch, method)
        seconds.append(time.perf_counter() - started)
    return seconds


single = [[sentence] for sentence in sentences[:50]]
batches = [sentences[start : start + 32] for start in range(0, len(sentences), 32)]
rows = {}
for method in ("greedy", "beam"):
    for name, requests_of in (("1 sentence", single), ("32 sentences", batches)):
        seconds = latencies(requests_of, method)
        rows[method, name] = statistics.median(seconds)
        print(
            f"{method:6s} {name:12s}: {len(seconds)} requests, median "
            f"{1000 * rows[method, name]:7.1f} ms, "
            f"{sum(map(len, requests_of)) / sum(seconds):6.1f} sentences/s"
        )
server.shutdown()
server.server_close()

# %% [markdown]
# With chapter 5's Tatoeba Transformer on this 2-core CPU, a request of one
# sentence took a median of 30.6 ms greedy and 36.3 ms with beam search (50
# requests each), HTTP and JSON included. A request of 32 sentences took 487 ms
# greedy: 71.5 sentences per second, against 26.3 one at a time. With beam
# search it took 1.48 s, 23.5 sentences per second, no more than one at a time
# (23.8). These are one run's figures on a 2-core machine: read them as rough.
# Every answer is the model's own: the
# server, the command and `Translator` write the same translations (lesson 6a),
# mistakes included (欢迎来北京。 became "welcome to tokyo.").
#
# ## Summary
#
# - The exported folder is all a server needs: TensorFlow, tensorflow-text and
#   the SavedModel, no course code.
# - Check input before it reaches the graph: a blank sentence, a bad method or a
#   missing model get a message that says what to do, not a stack trace.
# - Python's standard library is enough for a small endpoint; for production,
#   TensorFlow Serving loads the same folder and serves its signatures.
#
# ## Exercises
#
# There is no check here; try these:
# - Serve the translator from a terminal (`serve --model FOLDER`) and call it with
#   `curl`, or from another language.
# - Send 10 requests at once from threads (`concurrent.futures`), and compare
#   the time with sending them one after the other. What do two cores allow?
# - Make the server answer `GET /` with a short usage text.

# %%
seconds = time.perf_counter() - lesson_started
print(
    f"Key figure: served greedy latency {1000 * rows['greedy', '1 sentence']:.0f} ms "
    f"per 1-sentence request, {1000 * rows['greedy', '32 sentences']:.0f} ms per "
    f"32 (median; scale {scale.name}, lesson ran in {seconds:.0f} s)"
)
