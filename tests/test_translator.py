"""The Translator: tokenizers, searches and attention weights around any model.

A tiny Seq2Seq trained on a copy task checks the quality bars: eager = compiled,
beam width 1 = greedy, beam >= greedy in model score, a sentence alone = inside a
batch, deterministic output; hand-built models check the tokenizer interface and the
attention weights each `Translation` carries; a Seq2Seq trained on Tatoeba checks
that 50 real sentences translate the same alone and in batches.
"""

import warnings

import keras
import numpy as np
import pytest

from chapters.ch02_encoder_decoder import Seq2Seq
from chapters.common import metrics
from chapters.common.decoding import beam_search, compile_search, greedy_search
from chapters.common.pipeline import make_dataset
from chapters.common.tokenizers import Tokenizer, WordTokenizer
from chapters.common.translator import Translator
from chapters.common.vocabulary import PAD_ID, Vocabulary
from tests.fake_models import AttendingMarkovModel, MarkovModel, expected_weights

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
    source_tokenizer = WordTokenizer(Vocabulary.build([SOURCE_WORDS]), "en")
    target_tokenizer = WordTokenizer(Vocabulary.build([list(TARGET_CHARACTERS)]), "zh")
    dataset = make_dataset(
        number_pairs(1024, 0), source_tokenizer, target_tokenizer, 32
    )
    model = Seq2Seq(
        source_tokenizer.vocabulary_size, target_tokenizer.vocabulary_size, 16, 32
    )
    model.compile(keras.optimizers.Adam(0.01), loss=metrics.masked_loss)
    with warnings.catch_warnings():
        # Keras cannot count a filtered dataset's batches and warns after each epoch.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        model.fit(dataset, epochs=8, verbose=0)
    return Translator(
        model,
        source_tokenizer,
        target_tokenizer,
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
        translator.source_tokenizer,
        translator.target_tokenizer,
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
    with pytest.raises(TypeError, match="beam_width"):
        translator.translate(["one"], method="beam", beam_width=True)
    with pytest.raises(ValueError, match="length_penalty"):
        translator.translate(["one"], method="beam", length_penalty=float("nan"))
    with pytest.raises(TypeError, match="decode_step"):
        Translator(object(), None, None)
    with pytest.raises(TypeError, match="source_tokenizer must be"):
        Translator(translator.model, translator.source_tokenizer.vocabulary, None)


def test_numpy_integer_sizes_are_accepted(translator):
    sized = Translator(
        translator.model,
        translator.source_tokenizer,
        translator.target_tokenizer,
        max_source_tokens=np.int64(12),
        max_output_tokens=np.int64(10),
    )
    assert sized.translate(TEST_SENTENCES[:3], method="beam", beam_width=np.int64(2))


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
        translator.source_tokenizer,
        translator.target_tokenizer,
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
        translator.source_tokenizer.vocabulary_size,
        translator.target_tokenizer.vocabulary_size,
        8,
        12,
        cell_type="lstm",
        bidirectional=True,
    )
    lstm_translator = Translator(
        model,
        translator.source_tokenizer,
        translator.target_tokenizer,
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


class SpaceTokenizer(Tokenizer):
    """A minimal tokenizer: words split at spaces, a fixed vocabulary, upper-case
    output. It shows that `Translator` needs nothing beyond the interface."""

    def __init__(self, words, language="en"):
        self.vocabulary = Vocabulary(["[PAD]", "[UNK]", "[START]", "[END]", *words])
        self.language = language

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def tokenize(self, text):
        return text.split()

    def detokenize(self, tokens):
        return " ".join(token.upper() for token in tokens)

    def tokens_to_ids(self, tokens):
        return self.vocabulary.encode(tokens)

    def ids_to_tokens(self, ids):
        return self.vocabulary.decode(ids, strip_special=False)

    def tf_encode(self, sentences):
        raise NotImplementedError("Translator never builds a tf.data pipeline.")


def test_any_tokenizer_with_the_interface_drives_the_translator():
    translator = Translator(
        MarkovModel(), SpaceTokenizer(["x", "y"]), SpaceTokenizer(["a", "b"])
    )
    # Greedy picks "a" then [END]; beam search finds the likelier "b" [END].
    assert translator.translate(["x y", "y"]) == ["A", "A"]
    beam = translator.translate_with_scores(
        ["x"], method="beam", beam_width=2, length_penalty=0.0
    )[0]
    assert beam.text == "B" and beam.tokens == ("b", "[END]")
    assert beam.source_tokens == ("x",) and beam.attention is None


@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_each_translation_carries_its_attention_weights(method):
    target = SpaceTokenizer(["a", "b"])
    translator = Translator(AttendingMarkovModel(), SpaceTokenizer(["x", "y"]), target)
    sentences = ["x y x", "y", "y x"]
    translations = translator.translate_with_scores(
        sentences, method=method, beam_width=2, length_penalty=0.0
    )
    for translation in translations:
        length = len(translation.source_tokens)
        ids = target.tokens_to_ids(list(translation.tokens))
        # (target tokens, source tokens): padding of the batch is cut away.
        assert translation.attention.shape == (len(translation.tokens), length)
        np.testing.assert_array_equal(
            translation.attention, expected_weights(ids, length, length)
        )
    if method == "beam":
        assert [t.text for t in translations] == ["B", "B", "B"]


@pytest.fixture(scope="module")
def tatoeba_translator():
    from chapters.ch02_encoder_decoder.experiments import build_seq2seq
    from chapters.common import evaluation, scales, training, translation_data

    data = translation_data.tatoeba_data(scales.SCALES["ci"])
    if data.is_stand_in:
        pytest.skip("needs the Tatoeba corpus (COURSE_CORPUS_DIR)")
    keras.utils.set_random_seed(0)
    # A bidirectional encoder: its backward pass reads the padding first, so a
    # leak of padding into the states would show here.
    model = build_seq2seq(data, 16, 32, bidirectional=True)
    training.train(model, data, epochs=1, batch_size=64, validation=False, verbose=0)
    return evaluation.make_translator(model, data, max_source_tokens=80), data


@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_real_sentences_translate_the_same_alone_and_in_a_batch(
    tatoeba_translator, method
):
    translator, data = tatoeba_translator
    sentences = [source for source, _ in data.splits["test"][:60]]
    lengths = [len(translator.source_tokenizer.tokenize(s)) for s in sentences]
    assert max(lengths) >= 3 * min(lengths)  # batches hold real padding
    batched = translator.translate_with_scores(sentences, method=method, beam_width=3)
    for sentence, in_batch in zip(sentences, batched, strict=True):
        alone = translator.translate_with_scores([sentence], method, beam_width=3)[0]
        assert alone.tokens == in_batch.tokens, sentence
        assert alone.log_prob == pytest.approx(in_batch.log_prob, abs=1e-4)
