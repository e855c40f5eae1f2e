"""Tests of normalization, tokenization and the `Tokenizer` interface, by hand and
on data."""

import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.common.tokenizers import (
    Tokenizer,
    WordTokenizer,
    detokenize,
    normalize,
    tf_tokenize,
    tokenize,
    tokenize_chinese,
    tokenize_english,
)
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID, Vocabulary

# Sentences written for these tests, with the cases the tokenizers must handle:
# full-width forms, ASCII punctuation in Chinese, Latin runs, contractions,
# numbers, quotes, curly apostrophes, invisible characters and odd spaces.
FIXTURE_SENTENCES = {
    "zh": [
        "我的机器人会画画。",
        "你今天有空吗?",
        "他买了２个ＡＰＰ，花了3.5元！",
        "Zoë说：「我在Shanghai Tower工作。」",
        "这是第100号（旧的）房间；请进\u200b。",
        "我\u3000爱  你",
    ],
    "en": [
        "My robot can paint.",
        "Don't you think it's twenty-one?",
        "She paid $3.50 for 1,000 stamps at 3:30, didn't she?",
        'He said, "I\'m fine" (mostly).',
        "The O’Neils’ dog… barks!",
        "Ｆｕｌｌ-width\u00a0text and a zero\u200bwidth space; OK",
        "Café naïve résumé -- İstanbul",
    ],
}


def test_chinese_is_split_into_characters():
    assert tokenize_chinese("我喜欢苹果。") == ["我", "喜", "欢", "苹", "果", "。"]
    # Whitespace of any width is dropped; Latin words and numbers stay whole.
    assert tokenize_chinese("我\u3000叫 Tom，25岁。") == [
        "我",
        "叫",
        "Tom",
        "，",
        "25",
        "岁",
        "。",
    ]
    # Full-width letters and digits fold to ASCII (NFKC).
    assert tokenize_chinese("２个ＡＰＰ") == ["2", "个", "APP"]
    # Chinese text is never lowercased, whatever the option says.
    assert tokenize("Tom来了", "zh", lowercase=True)[0] == "Tom"


def test_chinese_punctuation_has_one_form():
    # NFKC would turn ？ into ?, but Chinese keeps its full-width punctuation
    # whichever form was typed, so both spellings give the same tokens.
    assert tokenize_chinese("你好吗?") == tokenize_chinese("你好吗？")
    assert tokenize_chinese("对,是:的;(么)!") == list("对，是：的；（么）！")
    assert normalize("你好吗?", "zh") == "你好吗？"
    assert normalize("好。", "zh") == "好。"


def test_english_words_and_punctuation():
    assert tokenize_english("I like apples.") == ["i", "like", "apples", "."]
    assert tokenize_english("I like apples.", lowercase=False) == [
        "I",
        "like",
        "apples",
        ".",
    ]
    assert tokenize_english("Don't you're Tom's twenty-one?") == [
        "don't",
        "you're",
        "tom's",
        "twenty-one",
        "?",
    ]
    assert tokenize_english("It costs $3.50, 1,000 at 3:30.") == [
        "it",
        "costs",
        "$",
        "3.50",
        ",",
        "1,000",
        "at",
        "3:30",
        ".",
    ]
    # A curly apostrophe is the same contraction; quotes are their own tokens.
    assert tokenize_english("Don’t") == ["don't"]
    assert tokenize_english('"Hi," he said') == ['"', "hi", ",", '"', "he", "said"]


def test_detokenize_gives_clean_sentences():
    assert detokenize(["i", "like", "apples", "."], "en") == "i like apples."
    assert detokenize(["我", "喜", "欢", "苹", "果", "。"], "zh") == "我喜欢苹果。"
    tokens = ["he", "said", ",", '"', "hi", "(", "$", "5", ")", '"', "!"]
    assert detokenize(tokens, "en") == 'he said, "hi ($5)"!'
    # Two Latin words inside Chinese keep a space between them.
    assert detokenize(["在", "New", "York", "。"], "zh") == "在New York。"
    assert detokenize([], "en") == ""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_tokenize_then_detokenize_gives_the_normalized_sentence(language):
    sentences = [
        {"zh": "我叫Tom，今年25岁。", "en": "i don't like apples, do you?"}[language],
        {"zh": "你在New York吗？", "en": 'he said, "it costs $3.50."'}[language],
    ]
    for sentence in sentences:
        assert detokenize(tokenize(sentence, language), language) == sentence


def test_bad_input_is_refused_clearly():
    for empty in ["", "   ", "\u3000\n", "\u200b"]:
        with pytest.raises(ValueError, match="visible characters"):
            tokenize(empty, "en")
    with pytest.raises(ValueError, match="'fr'"):
        tokenize("Bonjour", "fr")
    with pytest.raises(ValueError, match="'fr'"):
        tf_tokenize(["Bonjour"], "fr")
    with pytest.raises(TypeError, match="int"):
        tokenize(42, "en")
    with pytest.raises(TypeError):
        tf_tokenize([1, 2], "en")
    with pytest.raises(TypeError, match="list of strings"):
        detokenize("i like", "en")


def test_tf_tokenize_gives_empty_rows_for_empty_sentences():
    tokens = tf_tokenize(["", "  ", "hi"], "en")
    assert tokens.to_list() == [[], [], [b"hi"]]


def python_and_graph_tokens(sentences, language, lowercase=True):
    expected = [tokenize(s, language, lowercase=lowercase) for s in sentences]
    graph = tf_tokenize(tf.constant(sentences), language, lowercase=lowercase)
    actual = [[token.decode("utf-8") for token in row] for row in graph.to_list()]
    return expected, actual


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("lowercase", [True, False])
def test_graph_tokenizer_agrees_with_python_on_fixtures(language, lowercase):
    expected, actual = python_and_graph_tokens(
        FIXTURE_SENTENCES[language], language, lowercase
    )
    assert actual == expected
    # A scalar gives the tokens of one sentence as a 1-D tensor.
    scalar = tf_tokenize(FIXTURE_SENTENCES[language][0], language, lowercase)
    assert [t.decode("utf-8") for t in scalar.numpy()] == expected[0]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_graph_tokenizer_agrees_with_python_on_the_corpus(corpus, language):
    side = "chinese" if language == "zh" else "english"
    sentences = [getattr(pair, side) for pair in corpus.pairs]
    expected, actual = python_and_graph_tokens(sentences, language)
    differences = [
        i for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if e != a
    ]
    assert not differences, f"{len(differences)} sentences differ"


def test_importing_the_tokenizers_does_not_import_tensorflow_text():
    # Lessons that never build a tf.data pipeline must run on a TensorFlow for
    # which no tensorflow-text release exists yet.
    code = (
        "import sys; import chapters.common.tokenizers, chapters.common.pipeline; "
        "import chapters.common.metrics, chapters.common.masks; "
        "assert 'tensorflow_text' not in sys.modules, 'imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=pathlib.Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]


# The `Tokenizer` interface, through `WordTokenizer`.


@pytest.fixture(scope="module")
def word_tokenizers():
    return {
        language: WordTokenizer.build(FIXTURE_SENTENCES[language], language)
        for language in ("zh", "en")
    }


@pytest.mark.parametrize("language", ["zh", "en"])
def test_word_tokenizer_encode_decode_round_trip(word_tokenizers, language):
    tokenizer = word_tokenizers[language]
    assert tokenizer.language == language
    for sentence in FIXTURE_SENTENCES[language]:
        ids = tokenizer.encode(sentence)
        assert UNK_ID not in ids  # Every token was seen when building.
        assert all(0 <= i < tokenizer.vocabulary_size for i in ids)
        expected = detokenize(tokenize(sentence, language), language)
        assert tokenizer.decode(ids) == expected
        assert tokenizer.ids_to_tokens(ids) == tokenizer.tokenize(sentence)


def test_word_tokenizer_by_hand():
    tokenizer = WordTokenizer.build(["I like tea.", "You like milk."], "en")
    # Counts: "like" and "." twice, then i, milk, tea, you once; ties alphabetical.
    assert tokenizer.vocabulary.tokens[4:] == [".", "like", "i", "milk", "tea", "you"]
    assert tokenizer.vocabulary_size == 10
    assert tokenizer.tokenize("I like coffee.") == ["i", "like", "coffee", "."]
    # An unknown token becomes UNK_ID.
    assert tokenizer.encode("I like coffee.") == [6, 5, UNK_ID, 4]
    assert tokenizer.tokens_to_ids(["tea", "juice"]) == [8, UNK_ID]
    assert "WordTokenizer(language='en', vocabulary_size=10" in repr(tokenizer)


def test_decode_stops_at_end_and_drops_padding_and_start(word_tokenizers):
    tokenizer = word_tokenizers["en"]
    ids = tokenizer.encode("My robot can paint.")
    generated = [START_ID, ids[0], PAD_ID, *ids[1:], END_ID, ids[0], PAD_ID]
    assert tokenizer.decode(generated) == "my robot can paint."
    assert tokenizer.decode(np.array(generated)) == "my robot can paint."
    assert tokenizer.decode(tf.constant(generated)) == "my robot can paint."
    assert tokenizer.decode([END_ID, *ids]) == ""
    # An unknown token stays visible.
    assert tokenizer.decode([ids[0], UNK_ID]) == "my [UNK]"


def test_ids_to_tokens_keeps_special_tokens_and_refuses_bad_ids(word_tokenizers):
    tokenizer = word_tokenizers["zh"]
    ids = [START_ID, *tokenizer.encode("我爱你"), END_ID, PAD_ID]
    assert tokenizer.ids_to_tokens(ids) == [
        "[START]",
        "我",
        "爱",
        "你",
        "[END]",
        "[PAD]",
    ]
    with pytest.raises(ValueError, match="out of range"):
        tokenizer.ids_to_tokens([4, tokenizer.vocabulary_size])
    with pytest.raises(ValueError, match="out of range"):
        tokenizer.decode([-1])
    with pytest.raises(ValueError, match="1-D"):
        tokenizer.decode([[4, 5]])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_tf_encode_equals_encode(word_tokenizers, corpus_or_none, language):
    tokenizer = word_tokenizers[language]
    sentences = FIXTURE_SENTENCES[language]
    if corpus_or_none is not None:
        side = "chinese" if language == "zh" else "english"
        sentences = sentences + [
            getattr(pair, side) for pair in corpus_or_none.pairs[::500]
        ]
    encoded = tokenizer.tf_encode(tf.constant(sentences))
    assert isinstance(encoded, tf.RaggedTensor)
    assert encoded.dtype == tf.int32
    assert encoded.to_list() == [tokenizer.encode(s) for s in sentences]


def test_word_tokenizer_config_round_trip(word_tokenizers):
    tokenizer = WordTokenizer.build(
        FIXTURE_SENTENCES["en"], "en", max_size=12, lowercase=False
    )
    restored = WordTokenizer.from_config(tokenizer.get_config())
    assert restored.vocabulary.tokens == tokenizer.vocabulary.tokens
    assert (restored.language, restored.lowercase) == ("en", False)
    serialized = keras.saving.serialize_keras_object(word_tokenizers["zh"])
    deserialized = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(deserialized, WordTokenizer)
    sentence = FIXTURE_SENTENCES["zh"][2]
    assert deserialized.encode(sentence) == word_tokenizers["zh"].encode(sentence)


def test_word_tokenizer_refuses_bad_arguments():
    vocabulary = Vocabulary.build([["a"]])
    with pytest.raises(TypeError, match="vocabulary must be a Vocabulary"):
        WordTokenizer(["a"], "en")
    with pytest.raises(ValueError, match="'fr'"):
        WordTokenizer(vocabulary, "fr")
    with pytest.raises(TypeError, match="not one string"):
        WordTokenizer.build("I like tea.", "en")
    with pytest.raises(ValueError, match="min_count"):
        WordTokenizer.build(["I like tea."], "en", min_count=0)
    with pytest.raises(TypeError, match="Tokenizer"):
        Tokenizer()  # The interface alone cannot tokenize anything.
