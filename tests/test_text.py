"""Tests of tokenization, vocabularies and the tf.data pipeline, by hand and on data."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.common import tatoeba
from chapters.common.text import (
    END_ID,
    PAD,
    PAD_ID,
    RESERVED_TOKENS,
    START_ID,
    UNK_ID,
    Vocabulary,
    detokenize,
    make_dataset,
    normalize,
    padding_fraction,
    padding_mask,
    teacher_forcing_shift,
    tf_tokenize,
    tokenize,
    tokenize_chinese,
    tokenize_english,
)

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


@functools.cache
def corpus_or_none():
    try:
        return tatoeba.load_corpus(download=False)
    except FileNotFoundError:
        return None


@pytest.fixture(scope="module")
def corpus():
    found = corpus_or_none()
    if found is None:
        pytest.skip("The Tatoeba corpus is not available offline.")
    return found


def test_reserved_ids_are_fixed():
    assert RESERVED_TOKENS == ("[PAD]", "[UNK]", "[START]", "[END]")
    assert (PAD_ID, UNK_ID, START_ID, END_ID) == (0, 1, 2, 3)
    vocabulary = Vocabulary.build([["b", "a", "b"]])
    assert vocabulary.tokens[:4] == list(RESERVED_TOKENS)
    assert vocabulary.encode(list(RESERVED_TOKENS)) == [0, 1, 2, 3]


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


def test_vocabulary_counts_orders_and_limits():
    sentences = [["b", "a", "c"], ["b", "a"], ["b", "d"]]
    vocabulary = Vocabulary.build(sentences)
    # Most frequent first, ties broken alphabetically.
    assert vocabulary.tokens[4:] == ["b", "a", "c", "d"]
    assert len(vocabulary) == 8
    assert Vocabulary.build(sentences, min_count=2).tokens[4:] == ["b", "a"]
    assert Vocabulary.build(sentences, max_size=5).tokens[4:] == ["b"]
    # Reserved tokens in the data are not added twice.
    assert Vocabulary.build([[PAD, "x"]]).tokens == [*RESERVED_TOKENS, "x"]
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(sentences, min_count=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.build(sentences, max_size=3)
    with pytest.raises(TypeError, match="list of tokens"):
        Vocabulary.build(["a sentence"])
    with pytest.raises(ValueError, match="start with"):
        Vocabulary(["a", "b"])


def test_encode_decode_round_trip_and_unknown_tokens():
    vocabulary = Vocabulary.build([tokenize_english("I like apples.")])
    ids = vocabulary.encode(tokenize_english("I like pears."), add_start_end=True)
    assert ids[0] == START_ID and ids[-1] == END_ID
    assert ids[3] == UNK_ID
    tokens = tokenize_english("I like apples.")
    assert vocabulary.decode(vocabulary.encode(tokens)) == tokens
    # Decoding stops at END and skips PAD and START; strip_special=False keeps all.
    padded = [START_ID, *vocabulary.encode(tokens), END_ID, PAD_ID, PAD_ID]
    assert detokenize(vocabulary.decode(padded), "en") == "i like apples."
    assert vocabulary.decode(np.array(padded), strip_special=False)[-3:] == [
        "[END]",
        "[PAD]",
        "[PAD]",
    ]
    with pytest.raises(ValueError, match="out of range"):
        vocabulary.decode([len(vocabulary)])
    with pytest.raises(TypeError, match="tokenize first"):
        vocabulary.encode("i like")


def test_vocabulary_config_round_trip():
    vocabulary = Vocabulary.build([["我", "爱", "你"]])
    restored = Vocabulary.from_config(vocabulary.get_config())
    assert restored.tokens == vocabulary.tokens
    serialized = keras.saving.serialize_keras_object(vocabulary)
    assert keras.saving.deserialize_keras_object(serialized).tokens == vocabulary.tokens


def test_lookup_matches_encode_inside_tf_data():
    vocabulary = Vocabulary.build([["i", "like", "tea"]])
    sentences = ["I like tea", "you like coffee"]
    dataset = tf.data.Dataset.from_tensor_slices(sentences).map(
        lambda sentence: vocabulary.lookup(tf_tokenize(sentence, "en"))
    )
    looked_up = [ids.tolist() for ids in dataset.as_numpy_iterator()]
    assert looked_up == [vocabulary.encode(tokenize_english(s)) for s in sentences]
    ragged = vocabulary.lookup(tf_tokenize(sentences, "en"))
    assert ragged.to_list() == looked_up
    assert vocabulary.lookup(["tea", "milk"]).numpy().tolist() == [6, UNK_ID]


def test_teacher_forcing_shift_by_hand():
    inputs, targets = teacher_forcing_shift([5, 6, 7])
    assert inputs.numpy().tolist() == [START_ID, 5, 6, 7]
    assert targets.numpy().tolist() == [5, 6, 7, END_ID]
    # A padded batch: END goes right after each sentence, padding after it.
    inputs, targets = teacher_forcing_shift(np.array([[5, 6, 0], [7, 0, 0]]))
    assert inputs.numpy().tolist() == [[2, 5, 6, 0], [2, 7, 0, 0]]
    assert targets.numpy().tolist() == [[5, 6, 3, 0], [7, 3, 0, 0]]
    inputs, targets = teacher_forcing_shift(tf.ragged.constant([[5, 6], [7]]))
    assert inputs.to_list() == [[2, 5, 6], [2, 7]]
    assert targets.to_list() == [[5, 6, 3], [7, 3]]


def test_padding_mask_by_hand():
    mask = padding_mask([[4, 5, 0], [6, 0, 0]])
    assert mask.dtype == tf.bool
    assert mask.numpy().tolist() == [[True, True, False], [True, False, False]]


def small_pairs():
    # (Chinese, English) pairs of 1 to 7 Chinese tokens.
    chinese = [
        "好。",
        "猫爱鱼。",
        "猫在画画。",
        "你今天有空吗？",
        "我们跑吧！",
        "猫睡了。",
    ]
    english = [
        "Good.",
        "The cat adores fish.",
        "The cat is painting.",
        "Are you free today?",
    ]
    english += ["Let us run now!", "The cat slept."]
    return list(zip(chinese, english, strict=True))


def small_vocabularies(pairs):
    source = Vocabulary.build([tokenize_chinese(zh) for zh, _ in pairs])
    target = Vocabulary.build([tokenize_english(en) for _, en in pairs])
    return source, target


def test_make_dataset_pads_each_batch_to_its_longest_sentence():
    pairs = small_pairs()
    source_vocabulary, target_vocabulary = small_vocabularies(pairs)
    dataset = make_dataset(
        pairs, source_vocabulary, target_vocabulary, "zh", "en", batch_size=2
    )
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == 3
    for index, ((source, decoder_inputs), decoder_targets) in enumerate(batches):
        batch_pairs = pairs[2 * index : 2 * index + 2]
        source_lengths = [len(tokenize_chinese(zh)) for zh, _ in batch_pairs]
        target_lengths = [len(tokenize_english(en)) + 1 for _, en in batch_pairs]
        assert source.dtype == np.int32
        assert source.shape == (2, max(source_lengths))
        assert decoder_inputs.shape == decoder_targets.shape == (2, max(target_lengths))
        assert padding_mask(source).numpy().sum(axis=1).tolist() == source_lengths
        assert (decoder_inputs[:, 0] == START_ID).all()
        for row, (_, english) in enumerate(batch_pairs):
            length = target_lengths[row]
            assert decoder_targets[row, length - 1] == END_ID
            words = target_vocabulary.decode(decoder_targets[row])
            assert detokenize(words, "en") == detokenize(
                tokenize_english(english), "en"
            )
            np.testing.assert_array_equal(
                decoder_inputs[row, 1:length], decoder_targets[row, : length - 1]
            )


def test_make_dataset_shuffles_repeatably_and_buckets():
    pairs = small_pairs()
    source_vocabulary, target_vocabulary = small_vocabularies(pairs)

    def epochs(dataset, count):
        return [
            [batch[0][0].tolist() for batch in dataset.as_numpy_iterator()]
            for _ in range(count)
        ]

    def shuffled(seed):
        return make_dataset(
            pairs,
            source_vocabulary,
            target_vocabulary,
            "zh",
            "en",
            6,
            shuffle=True,
            seed=seed,
        )

    first, second = epochs(shuffled(3), 2)
    # A new order every epoch, and the same orders again from the same seed.
    assert first != second
    assert epochs(shuffled(3), 1) == [first]
    # Bucket boundary 4: sentences of 1-3 source tokens and of 4 or more apart.
    dataset = make_dataset(
        pairs,
        source_vocabulary,
        target_vocabulary,
        "zh",
        "en",
        batch_size=6,
        bucket_boundaries=[4],
    )
    widths = sorted(batch[0][0].shape[1] for batch in dataset)
    assert widths == [2, 7]


def test_make_dataset_refuses_bad_pairs():
    pairs = small_pairs()
    source_vocabulary, target_vocabulary = small_vocabularies(pairs)

    def build(bad_pairs, **options):
        return make_dataset(
            bad_pairs, source_vocabulary, target_vocabulary, "zh", "en", 2, **options
        )

    with pytest.raises(ValueError, match="Pair 1 has an empty sentence"):
        build([pairs[0], ("我。", "  ")])
    with pytest.raises(TypeError, match="index 0"):
        build([("我。",)])
    with pytest.raises(ValueError, match="at least one"):
        build([])
    with pytest.raises(ValueError, match="bucket_boundaries"):
        build(pairs, bucket_boundaries=[5, 3])
    # A sentence of invisible characters alone gives no tokens and is dropped.
    assert sum(1 for _ in build([pairs[0], ("\u200b", "Robot.")]).unbatch()) == 1


def test_padding_fraction_by_hand():
    dataset = tf.data.Dataset.from_tensors(
        (tf.constant([[4, 0], [5, 6]]), tf.constant([[7, 0, 0]]))
    )
    assert padding_fraction(dataset) == pytest.approx(3 / 7)


def length_mixed_pairs():
    """Real training pairs when the corpus is there, else a synthetic length mix."""
    found = corpus_or_none()
    if found is not None:
        # Every fourth pair: the file is sorted by length, its head is all short.
        train = tatoeba.split_corpus(found)["train"][::4]
        return tatoeba.translation_pairs(train, "zh-en")
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, size=3000)
    return [("好" * n, " ".join(["go"] * (n // 2 + 1))) for n in lengths]


def test_bucketing_cuts_padding():
    pairs = length_mixed_pairs()
    source_vocabulary, target_vocabulary = small_vocabularies(pairs)
    options = dict(batch_size=64, shuffle=True)
    plain = make_dataset(
        pairs, source_vocabulary, target_vocabulary, "zh", "en", **options
    )
    bucketed = make_dataset(
        pairs,
        source_vocabulary,
        target_vocabulary,
        "zh",
        "en",
        bucket_boundaries=[6, 8, 10, 12, 15, 20, 30],
        **options,
    )
    without, with_buckets = padding_fraction(plain), padding_fraction(bucketed)
    print(
        f"padding fraction: {without:.3f} without buckets, {with_buckets:.3f} with "
        f"(ratio {with_buckets / without:.2f}) on {len(pairs)} pairs"
    )
    assert with_buckets < 0.75 * without
