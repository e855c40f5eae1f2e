"""Greedy decoding, beam search and the Translator of chapter 2.

A hand-built Markov "model" (any object with `encode` and `decode_step` will do) gives
outputs and scores computed by hand; a tiny trained Seq2Seq checks the quality bars:
eager = compiled, beam width 1 = greedy, beam >= greedy in model score, a sentence
alone = inside a batch, deterministic output.
"""

import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.ch02_encoder_decoder import (
    Seq2Seq,
    Translator,
    beam_search,
    compile_search,
    greedy_search,
)
from chapters.common import metrics
from chapters.common.text import END_ID, PAD_ID, START_ID, Vocabulary, make_dataset


class MarkovModel:
    """Next-token probabilities depend only on the previous token.

    Tokens: 0 [PAD], 1 [UNK], 2 [START], 3 [END], 4 "a", 5 "b". From [START]: a 0.6,
    b 0.4. After a: [END] 0.4, a 0.3, b 0.3. After b: [END] 0.9, a 0.05, b 0.05.
    Greedy: a [END], p = 0.24. The best sequence: b [END], p = 0.36.
    """

    def __init__(self):
        table = np.full((6, 6), 1e-9)
        table[START_ID, [4, 5]] = [0.6, 0.4]
        table[4, [END_ID, 4, 5]] = [0.4, 0.3, 0.3]
        table[5, [END_ID, 4, 5]] = [0.9, 0.05, 0.05]
        table[[PAD_ID, END_ID], PAD_ID] = 1.0
        table /= table.sum(axis=1, keepdims=True)
        self.log_table = tf.constant(np.log(table), tf.float32)

    def encode(self, source_ids):
        batch = tf.shape(source_ids)[0]
        memory = {"padding_mask": tf.not_equal(source_ids, PAD_ID)}
        return memory, {"steps": tf.zeros([batch], tf.int32)}

    def decode_step(self, token_ids, state, memory):
        return tf.gather(self.log_table, token_ids), {"steps": state["steps"] + 1}


SOURCE = tf.constant([[4, 5], [5, 0]], tf.int32)


@pytest.mark.parametrize("compiled", [False, True])
def test_greedy_by_hand(compiled):
    search = greedy_search
    if compiled:
        search = compile_search(greedy_search, MarkovModel(), max_length=5)
        result = search(SOURCE)
    else:
        result = search(MarkovModel(), SOURCE, max_length=5)
    np.testing.assert_array_equal(result["tokens"], [[4, END_ID], [4, END_ID]])
    np.testing.assert_allclose(result["scores"], [math.log(0.24)] * 2, rtol=1e-5)
    np.testing.assert_array_equal(result["lengths"], [2, 2])
    assert np.all(result["finished"])


@pytest.mark.parametrize("compiled", [False, True])
def test_beam_search_finds_the_better_sequence_by_hand(compiled):
    options = {"max_length": 5, "beam_width": 2, "length_penalty": 0.0}
    if compiled:
        result = compile_search(beam_search, MarkovModel(), **options)(SOURCE)
    else:
        result = beam_search(MarkovModel(), SOURCE, **options)
    # Best first: b [END] (0.36), then a [END] (0.24).
    np.testing.assert_array_equal(result["tokens"][0], [[5, END_ID], [4, END_ID]])
    np.testing.assert_allclose(
        result["scores"][0], [math.log(0.36), math.log(0.24)], rtol=1e-5
    )
    np.testing.assert_allclose(
        result["token_log_probs"][0, 0], [math.log(0.4), math.log(0.9)], rtol=1e-5
    )


def test_length_normalization_by_hand():
    result = beam_search(MarkovModel(), SOURCE, 5, beam_width=2, length_penalty=1.0)
    # Both hypotheses have 2 tokens: the normalized score is the mean log-probability.
    np.testing.assert_allclose(
        result["normalized_scores"][0],
        [math.log(0.36) / 2, math.log(0.24) / 2],
        rtol=1e-5,
    )


def test_length_cap_leaves_sentences_unfinished():
    result = greedy_search(MarkovModel(), SOURCE, max_length=1)
    np.testing.assert_array_equal(result["tokens"], [[4], [4]])
    assert not np.any(result["finished"])


SOURCE_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
TARGET_CHARACTERS = "一二三四五六七八"


def number_pairs(count, seed):
    """`"three one four"` -> `"三一四"`: a copy task with a change of script."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        digits = rng.integers(0, 8, size=rng.integers(1, 7))
        pairs.append(
            (
                " ".join(SOURCE_WORDS[d] for d in digits),
                "".join(TARGET_CHARACTERS[d] for d in digits),
            )
        )
    return pairs


@pytest.fixture(scope="module")
def translator():
    keras.utils.set_random_seed(0)
    source_vocabulary = Vocabulary.build([SOURCE_WORDS])
    target_vocabulary = Vocabulary.build([list(TARGET_CHARACTERS)])
    dataset = make_dataset(
        number_pairs(1024, 0), source_vocabulary, target_vocabulary, "en", "zh", 32
    )
    model = Seq2Seq(len(source_vocabulary), len(target_vocabulary), 16, 32)
    model.compile(keras.optimizers.Adam(0.01), loss=metrics.masked_loss)
    with warnings.catch_warnings():
        # Keras cannot count a filtered dataset's batches and warns after each epoch.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        model.fit(dataset, epochs=8, verbose=0)
    return Translator(
        model,
        source_vocabulary,
        target_vocabulary,
        "en",
        "zh",
        max_source_tokens=12,
        max_output_tokens=10,
    )


TEST_SENTENCES = [source for source, _ in number_pairs(24, 1)]


def test_the_trained_model_translates(translator):
    pairs = number_pairs(24, 1)
    outputs = translator.translate([source for source, _ in pairs])
    correct = sum(
        output == target for output, (_, target) in zip(outputs, pairs, strict=True)
    )
    assert correct >= 12, outputs


def test_compiled_greedy_equals_the_python_loop(translator):
    source_ids = translator.source_ids(TEST_SENTENCES)
    eager = greedy_search(translator.model, source_ids, max_length=10)
    compiled = compile_search(greedy_search, translator.model, max_length=10)(
        source_ids
    )
    np.testing.assert_array_equal(compiled["tokens"], eager["tokens"])
    np.testing.assert_allclose(compiled["scores"], eager["scores"], atol=1e-5)
    eager_beam = beam_search(translator.model, source_ids, 10, beam_width=3)
    compiled_beam = compile_search(
        beam_search, translator.model, max_length=10, beam_width=3
    )(source_ids)
    np.testing.assert_array_equal(compiled_beam["tokens"], eager_beam["tokens"])
    np.testing.assert_allclose(compiled_beam["scores"], eager_beam["scores"], atol=1e-5)


def test_eager_translator_equals_compiled_translator(translator):
    eager = Translator(
        translator.model,
        translator.source_vocabulary,
        translator.target_vocabulary,
        "en",
        "zh",
        max_source_tokens=12,
        max_output_tokens=10,
        compiled=False,
    )
    assert eager.translate(TEST_SENTENCES[:6]) == translator.translate(
        TEST_SENTENCES[:6]
    )


def test_beam_width_one_equals_greedy(translator):
    greedy = translator.translate_with_scores(TEST_SENTENCES)
    beam = translator.translate_with_scores(TEST_SENTENCES, method="beam", beam_width=1)
    assert [t.tokens for t in beam] == [t.tokens for t in greedy]
    np.testing.assert_allclose(
        [t.log_prob for t in beam], [t.log_prob for t in greedy], atol=1e-5
    )


def test_beam_scores_at_least_greedy(translator):
    greedy = translator.translate_with_scores(TEST_SENTENCES)
    beam = translator.translate_with_scores(
        TEST_SENTENCES, method="beam", beam_width=4, length_penalty=0.0
    )
    for greedy_translation, beam_translation in zip(greedy, beam, strict=True):
        assert beam_translation.log_prob >= greedy_translation.log_prob - 1e-5


def test_a_sentence_alone_or_in_a_batch_gives_the_same_output(translator):
    batch = translator.translate_with_scores(TEST_SENTENCES, method="beam")
    for sentence, in_batch in zip(TEST_SENTENCES[:5], batch, strict=False):
        alone = translator.translate_with_scores([sentence], method="beam")[0]
        assert alone.tokens == in_batch.tokens
        assert alone.log_prob == pytest.approx(in_batch.log_prob, abs=1e-5)


def test_greedy_is_deterministic(translator):
    assert translator.translate(TEST_SENTENCES) == translator.translate(TEST_SENTENCES)


def test_translation_fields_are_consistent(translator):
    for translation in translator.translate_with_scores(TEST_SENTENCES[:4]):
        assert translation.finished and translation.tokens[-1] == "[END]"
        assert len(translation.token_log_probs) == len(translation.tokens)
        assert sum(translation.token_log_probs) == pytest.approx(translation.log_prob)
        assert translation.text == "".join(translation.tokens[:-1])
        assert translation.unknown_source_tokens == 0 and not translation.truncated


@pytest.mark.parametrize(
    ("sentences", "error", "match"),
    [
        ("one two", TypeError, "not a single string"),
        ([], ValueError, "must not be empty"),
        (["one", 3], TypeError, r"sentences\[1\]"),
        (["one", "  "], ValueError, r"sentences\[1\] is empty"),
        ({"one"}, TypeError, "set"),
    ],
)
def test_bad_input_is_rejected_clearly(translator, sentences, error, match):
    with pytest.raises(error, match=match):
        translator.translate(sentences)


def test_bad_options_are_rejected(translator):
    with pytest.raises(ValueError, match="method"):
        translator.translate(["one"], method="sampling")
    with pytest.raises(ValueError, match="beam_width"):
        translator.translate(["one"], method="beam", beam_width=0)
    with pytest.raises(TypeError, match="decode_step"):
        Translator(object(), None, None)


def test_unknown_words_are_translated_and_counted(translator):
    translation = translator.translate_with_scores(["zebra giraffe"])[0]
    assert translation.unknown_source_tokens == 2
    assert translation.source_tokens == ("zebra", "giraffe")
    assert isinstance(translation.text, str)
    # The model reads [UNK] ids, so any unknown words of the same length agree.
    assert translator.translate(["lion tiger"]) == [translation.text]


def test_long_sources_are_truncated_with_a_warning(translator):
    long_sentence = " ".join(["one"] * 20)
    with pytest.warns(UserWarning, match=r"positions \[1\].*max_source_tokens=12"):
        translations = translator.translate_with_scores(["two", long_sentence])
    assert translations[1].truncated and len(translations[1].source_tokens) == 12
    assert translations[1].text == translator.translate([" ".join(["one"] * 12)])[0]


def test_translations_survive_a_keras_round_trip(translator, tmp_path):
    path = tmp_path / "translator_model.keras"
    translator.model.save(path)
    restored = Translator(
        keras.saving.load_model(path),
        translator.source_vocabulary,
        translator.target_vocabulary,
        "en",
        "zh",
        max_source_tokens=12,
        max_output_tokens=10,
    )
    expected = translator.translate_with_scores(TEST_SENTENCES, method="beam")
    restored_translations = restored.translate_with_scores(
        TEST_SENTENCES, method="beam"
    )
    assert [t.tokens for t in restored_translations] == [t.tokens for t in expected]
    np.testing.assert_array_equal(
        [t.log_prob for t in restored_translations], [t.log_prob for t in expected]
    )


def test_lstm_bidirectional_models_decode_the_same_alone_and_in_a_batch(translator):
    keras.utils.set_random_seed(7)
    model = Seq2Seq(
        len(translator.source_vocabulary),
        len(translator.target_vocabulary),
        8,
        12,
        cell_type="lstm",
        bidirectional=True,
    )
    lstm_translator = Translator(
        model,
        translator.source_vocabulary,
        translator.target_vocabulary,
        "en",
        "zh",
        max_output_tokens=6,
    )
    batch = lstm_translator.translate_with_scores(TEST_SENTENCES[:6], method="beam")
    for sentence, in_batch in zip(TEST_SENTENCES[:6], batch, strict=True):
        alone = lstm_translator.translate_with_scores([sentence], method="beam")[0]
        assert alone.tokens == in_batch.tokens
        assert alone.log_prob == pytest.approx(in_batch.log_prob, abs=1e-5)


def test_source_ids_are_right_padded(translator):
    ids = translator.source_ids(["one two three", "four"])
    assert ids.dtype == np.int32 and ids.shape == (2, 3)
    assert ids[1, 1:].tolist() == [PAD_ID, PAD_ID] and (ids[0] != PAD_ID).all()
    with pytest.raises(TypeError, match="single string"):
        translator.source_ids("one")
