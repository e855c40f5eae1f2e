"""A fake exported translator: a SavedModel with the signatures of chapter 6's export.

The serving tests need a SavedModel that loads in a second and behaves predictably,
so instead of a trained Transformer this module saves a `tf.Module` whose
signatures keep the real export's contract (`serving.py`'s docstring states it):

- `serving_default` and `greedy` upper-case each sentence (ASCII letters only, so
  Chinese passes through unchanged);
- `beam` reverses each sentence, character by character (`"我爱你。"` becomes
  `"。你爱我"`), which tells the two methods apart and checks that UTF-8 survives;
- every score is the sentence's length in characters;
- a batch with a blank sentence raises `tf.errors.InvalidArgumentError`, as the real
  signatures do.
"""

import pathlib

import tensorflow as tf

SIGNATURE_NAMES = ("serving_default", "greedy", "beam")
SENTENCES_SPEC = tf.TensorSpec(shape=(None,), dtype=tf.string, name="sentences")


def _refuse_blank(sentences):
    """Raises `InvalidArgumentError` in the graph when a sentence is blank."""
    lengths = tf.strings.length(tf.strings.strip(sentences))
    tf.debugging.assert_positive(lengths, message="a sentence is empty or blank")


def _result(sentences, translations):
    scores = tf.cast(tf.strings.length(sentences, unit="UTF8_CHAR"), tf.float32)
    return {"translations": translations, "scores": scores}  # both (B,)


def _reverse_one(sentence):
    characters = tf.strings.unicode_split(sentence, "UTF-8")
    return tf.strings.reduce_join(tf.reverse(characters, axis=[0]))


class FakeTranslator(tf.Module):
    """Greedy "translation" upper-cases, beam "translation" reverses."""

    @tf.function(input_signature=[SENTENCES_SPEC])
    def greedy(self, sentences):
        _refuse_blank(sentences)
        return _result(sentences, tf.strings.upper(sentences))

    @tf.function(input_signature=[SENTENCES_SPEC])
    def beam(self, sentences):
        _refuse_blank(sentences)
        reversed_sentences = tf.map_fn(
            _reverse_one, sentences, fn_output_signature=tf.string
        )
        return _result(sentences, reversed_sentences)


class NumberDoubler(tf.Module):
    """A SavedModel that is no translator: its signatures take numbers."""

    @tf.function(input_signature=[tf.TensorSpec(shape=(None,), dtype=tf.float32)])
    def double(self, numbers):
        return {"doubled": 2.0 * numbers}


def save_fake_translator(folder, signature_names=SIGNATURE_NAMES):
    """Saves a `FakeTranslator` into `folder` with the signatures named.

    Args:
        folder: where the SavedModel goes (created).
        signature_names: which of `serving_default`, `greedy` and `beam` to export;
            leave one out to make a SavedModel that `load_exported` must refuse.

    Returns:
        The folder, as a `pathlib.Path`.
    """
    module = FakeTranslator()
    functions = {
        "serving_default": module.greedy,
        "greedy": module.greedy,
        "beam": module.beam,
    }
    signatures = {name: functions[name] for name in signature_names}
    tf.saved_model.save(module, str(folder), signatures=signatures)
    return pathlib.Path(folder)


def save_number_doubler(folder):
    """Saves a `NumberDoubler` whose `serving_default` and `beam` take floats."""
    module = NumberDoubler()
    signatures = {"serving_default": module.double, "beam": module.double}
    tf.saved_model.save(module, str(folder), signatures=signatures)
    return pathlib.Path(folder)
