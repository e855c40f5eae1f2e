"""Exporting a translator: strings in, strings out, one SavedModel, no course code.

`Translator` (chapter 2) runs its steps in Python: tokenize, look the ids up,
pad, search, turn the ids back into text. Only the search is a TensorFlow graph.
To use the model outside this course (from a command, a web server, TensorFlow
Serving, another language), every step must be in the graph, so that the file
holds the whole translator and nothing else is needed to run it:

1. Tokenize and look up the ids: the tokenizers' `tf_encode` (tensorflow-text).
2. Refuse a sentence without a token: a graph cannot raise a Python
   `ValueError`, so a `tf.debugging` assertion stops the call instead.
3. Cut each source to `max_source_tokens` and pad the batch with `[PAD]`.
4. Search: chapter 2's `greedy_search` or `beam_search`, the same compiled
   `tf.while_loop` `Translator` runs.
5. Ids back to text: `graph_text.tf_decode_outputs`, the graph twin of
   `Translator`'s Python.

Keras' `ExportArchive` writes it: it tracks the model's variables and the
tokenizers' lookup tables, and saves each endpoint as a SavedModel signature.
Each signature takes `sentences`, a `(B,)` string tensor, and returns
`translations` `(B,)` strings and `scores` `(B,)`, the length-normalized
log-probability `Translator` reports. `greedy` (also `serving_default`) and
`beam` are the two searches.

Loading needs TensorFlow and tensorflow-text (whose ops the graph uses), nothing
of this course:

    import tensorflow as tf
    import tensorflow_text  # registers the tokenizers' ops

    translator = tf.saved_model.load("zh_en_export")
    translator.signatures["greedy"](sentences=tf.constant(["我爱你。"]))

The command `python -m chapters.ch06_beyond_the_notebook.export` exports a
translator file written by `Translator.save`.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import textwrap

import keras
import tensorflow as tf

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch05_transformer import comparison
from chapters.ch05_transformer.experiments import toy_transformer_factory
from chapters.ch06_beyond_the_notebook.graph_text import tf_decode_outputs
from chapters.common import decoding, evaluation, scales, training
from chapters.common.arguments import positive_int
from chapters.common.translator import Translator
from chapters.common.vocabulary import PAD_ID

# The input every signature takes and the outputs it returns.
INPUT = "sentences"
OUTPUTS = ("translations", "scores")
# Signature names: the first is also TensorFlow Serving's `serving_default`.
METHODS = ("greedy", "beam")


def translation_function(translator, method="greedy", beam_width=4, length_penalty=0.6):
    """`fn(sentences) -> {"translations", "scores"}`, every step in TensorFlow.

    Args:
        translator: a `Translator` whose tokenizers have `tf_encode` and a
            vocabulary (a `WordTokenizer` or `SubwordTokenizer`).
        method: `"greedy"` or `"beam"`.
        beam_width, length_penalty: as in `Translator.translate`.

    Returns:
        A function of a `(B,)` string tensor, to call inside a graph.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}. Received: {method!r}")
    options = {
        "max_length": translator.max_output_tokens,
        "length_penalty": float(length_penalty),
    }
    if method == "beam":
        options["beam_width"] = positive_int(beam_width, "beam_width")
    search = decoding.compile_search(
        decoding.greedy_search if method == "greedy" else decoding.beam_search,
        translator.model,
        **options,
    )

    def translate(sentences):
        # 1. Text to source ids, (B, None) ragged.
        source_ids = translator.source_tokenizer.tf_encode(sentences)
        # 2. Every sentence needs a token to translate; the search waits for
        # the check, so an empty sentence gets this message, not a later error.
        check = tf.debugging.assert_positive(
            source_ids.row_lengths(),
            message="Every sentence must hold a visible character; "
            "remove the empty or blank ones",
        )
        # 3. Truncated and padded, (B, S).
        with tf.control_dependencies([check]):
            padded = source_ids[:, : translator.max_source_tokens].to_tensor(
                default_value=PAD_ID
            )
        # 4. The search.
        output = search(padded)
        if method == "beam":  # the best hypothesis of each sentence
            output = {key: value[:, 0] for key, value in output.items()}
        # 5. Ids to text.
        return {
            "translations": tf_decode_outputs(
                translator.target_tokenizer, output["tokens"], output["lengths"]
            ),
            "scores": output["normalized_scores"],
        }

    return translate


def export_translator(translator, folder, beam_width=4, length_penalty=0.6):
    """Writes `translator` as a SavedModel with the signatures `greedy`
    (= `serving_default`) and `beam`; see the module docstring.

    Args:
        translator: a `Translator` with a Keras model, on the TensorFlow backend.
        folder: where to write the SavedModel (created; replaced if it exists).
        beam_width, length_penalty: fixed in the `beam` signature (and the
            length penalty in both `scores`).

    Returns:
        The folder, a `pathlib.Path`.
    """
    if not isinstance(translator, Translator):
        raise TypeError(
            f"translator must be a Translator. Received: {type(translator).__name__}"
        )
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "Exporting a translator needs the TensorFlow backend, for the "
            "tokenizers' and searches' TensorFlow ops. Received: KERAS_BACKEND="
            f"{keras.backend.backend()}"
        )
    archive = keras.export.ExportArchive()
    # The endpoints find the model's variables themselves; tracking the model
    # too would save every weight twice, once per kind of variable object.
    for tokenizer in (translator.source_tokenizer, translator.target_tokenizer):
        for resource in tokenizer.tf_resources():
            archive.track(resource)
    for method in METHODS:
        archive.add_endpoint(
            method,
            translation_function(translator, method, beam_width, length_penalty),
            input_signature=[tf.TensorSpec([None], tf.string, name=INPUT)],
        )
    folder = pathlib.Path(folder)
    # TensorFlow logs "Assets written to ..." at INFO level; the return value
    # says where.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        archive.write_out(str(folder), verbose=False)
    finally:
        logger.setLevel(level)
    return folder


def folder_size(folder):
    """Bytes of every file under `folder`."""
    return sum(path.stat().st_size for path in pathlib.Path(folder).rglob("*"))


# What `translate_in_fresh_process` runs: TensorFlow and tensorflow-text only.
_FRESH_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import tensorflow as tf
    import tensorflow_text  # registers the ops of the tokenizers

    request = json.loads(sys.stdin.read())
    started = time.perf_counter()
    loaded = tf.saved_model.load(request["folder"])
    answer = {"load_seconds": time.perf_counter() - started, "signatures": {}}
    for name in request["signatures"]:
        started = time.perf_counter()
        result = loaded.signatures[name](sentences=tf.constant(request["sentences"]))
        answer["signatures"][name] = {
            "translations": [t.decode() for t in result["translations"].numpy()],
            "scores": result["scores"].numpy().tolist(),
            "seconds": time.perf_counter() - started,
        }
    try:
        loaded.signatures["serving_default"](sentences=tf.constant(["  "]))
        answer["blank_sentence"] = "translated"
    except tf.errors.InvalidArgumentError as error:
        lines = error.message.splitlines()
        failed = [line for line in lines if "assertion failed" in line]
        answer["blank_sentence"] = (failed or lines)[0].strip()
    course = [name for name in sys.modules if name.startswith("chapters")]
    answer["course_modules"] = sorted(course)
    print(json.dumps(answer))
    """
)


def translate_in_fresh_process(folder, sentences, signatures=METHODS):
    """Loads an exported translator in a new Python process that imports only
    TensorFlow and tensorflow-text, and translates `sentences` with it.

    Returns:
        A dict: `"load_seconds"` (`tf.saved_model.load` alone), `"signatures"`
        (per signature: `"translations"`, `"scores"`, `"seconds"` of the call,
        the first one, which also builds the graph's kernels), `"blank_sentence"`
        (the error a blank sentence gets) and `"course_modules"` (the course's
        modules that process imported: none).
    """
    request = {
        "folder": str(folder),
        "sentences": list(sentences),
        "signatures": list(signatures),
    }
    completed = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS_SCRIPT],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"The fresh process failed to translate with {folder}:\n"
            f"{completed.stderr[-2000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def chapter5_translator(scale=None, verbose=0):
    """The translator the lessons of chapter 6 export, and what it is.

    Chapter 5's Tatoeba Transformer when its comparison has stored it
    (`python -m chapters.ch05_transformer.comparison tatoeba`; the tests store
    the `ci` one). Otherwise the toy-grammar Transformer of lesson 05c, trained
    here on chapter 2's length-curve data (about 2 minutes at `cpu`), so that the
    lessons run anywhere.

    Returns:
        `(translator, description)`.
    """
    scale = scale or scales.current_scale()
    path = comparison.default_results_folder(scale) / comparison.TRANSLATOR_FILE
    if path.is_file():
        return Translator.load(path), f"chapter 5's Tatoeba Transformer ({path})"
    data = chapter2.length_curve_data(scale)
    model = toy_transformer_factory(scale)(data)
    training.train(
        model, data, scale.length_curve_epochs, scale.batch_size, verbose=verbose
    )
    description = (
        f"the toy-grammar Transformer, trained here: {path} holds no stored "
        "Tatoeba Transformer"
    )
    return evaluation.make_translator(model, data), description


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--translator",
        type=pathlib.Path,
        help="a file written by Translator.save; default: chapter 5's "
        "Transformer stored by its comparison at the current scale",
    )
    parser.add_argument("--out", type=pathlib.Path, required=True, help="folder")
    parser.add_argument("--beam-width", type=int, default=4)
    args = parser.parse_args(argv)
    path = args.translator
    if path is None:
        scale = scales.current_scale()
        path = comparison.default_results_folder(scale) / comparison.TRANSLATOR_FILE
    try:
        translator = Translator.load(path)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    folder = export_translator(translator, args.out, args.beam_width)
    print(f"Exported {path} to {folder} ({folder_size(folder) / 1e6:.1f} MB).")


if __name__ == "__main__":
    main()
