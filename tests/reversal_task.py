"""A translation task that needs attention, for the attention models' tests.

`"one two three"` -> `"three two one"`: the word to write at step `t` is the
source's word `-1 - t`, so a trained model's attention should point there. The
checks below hold for any attention model with the translation protocol.
"""

import warnings

import keras
import numpy as np
import pytest

from chapters.common import metrics
from chapters.common.pipeline import make_dataset
from chapters.common.tokenizers import WordTokenizer
from chapters.common.translator import Translator
from chapters.common.vocabulary import Vocabulary

# `Translator` and the searches run in TensorFlow (`tf.function`, `tf.data`); the
# models' own tests also run under JAX (see the Makefile).
tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="Translator and the searches need the TensorFlow backend",
)
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]


def reverse_pairs(count, seed):
    """`count` pairs of 2 to 6 words and their reversal."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        words = [WORDS[i] for i in rng.integers(0, 8, rng.integers(2, 7))]
        pairs.append((" ".join(words), " ".join(reversed(words))))
    return pairs


def trained_translator(model_class, epochs=6, seed=7, **options):
    """A `Translator` around `model_class(V, V, 16, 32, **options)` trained on
    1,536 reversal pairs."""
    keras.utils.set_random_seed(seed)
    vocabulary = Vocabulary.build([WORDS])
    tokenizer = WordTokenizer(vocabulary, "en")
    dataset = make_dataset(reverse_pairs(1536, 0), tokenizer, tokenizer, 32)
    model = model_class(
        len(vocabulary), len(vocabulary), embedding_dim=16, hidden_units=32, **options
    )
    model.compile(keras.optimizers.Adam(0.01), loss=metrics.masked_loss)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        model.fit(dataset, epochs=epochs, verbose=0)
    # Sentences have at most 6 words: short caps fit every model, the
    # Transformer's 16 positions included.
    return Translator(
        model, tokenizer, tokenizer, max_source_tokens=10, max_output_tokens=10
    )


def assert_reverses_and_attends_to_the_mirrored_word(translator):
    pairs = reverse_pairs(40, 1)
    outputs = translator.translate([source for source, _ in pairs])
    outcomes = zip(outputs, pairs, strict=True)
    exact = sum(output == reference for output, (_, reference) in outcomes)
    assert exact >= 30, list(zip(outputs, pairs, strict=True))
    (translation,) = translator.translate_with_scores(["one two three four five"])
    hits = sum(
        int(np.argmax(row) == 4 - step)
        for step, row in enumerate(translation.attention[:5])
    )
    assert hits >= 3, translation.attention.round(2)


def assert_weights_agree_eager_compiled_alone_batched(translator, method):
    sentences = ["one two", "three four five six seven", "eight one eight"]
    eager = Translator(
        translator.model,
        translator.source_tokenizer,
        translator.target_tokenizer,
        max_source_tokens=10,
        max_output_tokens=10,
        compiled=False,
    )
    batched = translator.translate_with_scores(sentences, method=method)
    for index, sentence in enumerate(sentences):
        (alone,) = translator.translate_with_scores([sentence], method=method)
        (uncompiled,) = eager.translate_with_scores([sentence], method=method)
        for other in (alone, uncompiled):
            assert other.text == batched[index].text
            np.testing.assert_allclose(
                other.attention, batched[index].attention, atol=1e-5
            )
        weights = batched[index].attention
        assert weights.shape == (len(batched[index].tokens), len(sentence.split()))
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
