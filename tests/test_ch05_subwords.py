"""Tests of chapter 5's WordPiece subwords: the split by hand, Python against the
graph, round trips, and a Translator that writes pieces."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.ch05_transformer.subwords import (
    SubwordTokenizer,
    join_pieces,
    learn_pieces,
    wordpiece,
)
from chapters.common.pipeline import make_dataset
from chapters.common.tokenizers import WordTokenizer, detokenize, tokenize
from chapters.common.vocabulary import (
    END_ID,
    RESERVED_TOKENS,
    START_ID,
    UNK,
    UNK_ID,
    Vocabulary,
)

# Sentences written for these tests: repeated stems with different endings, so
# that the learner has pieces to share, plus numbers, contractions and accents.
SENTENCES = [
    "The walkers walked to the walking club.",
    "She talks, he talked, they are talking.",
    "Unbelievably, the unbelievable story was believed.",
    "I don't think it's twenty-one; it's 3.5 or 1,000.",
    "Café owners open cafés at 7:30.",
    "Running runners run; the runner ran.",
    "Teachers teach, teaching is what a teacher does.",
    'He said, "I\'m reading" (mostly).',
]


def test_wordpiece_is_greedy_longest_match_first():
    pieces = {"a", "ab", "abc", "##b", "##bc", "##c", "##d", "un", "##believ", "##ably"}
    assert wordpiece("unbelievably", pieces) == ["un", "##believ", "##ably"]
    # Longest first: "abc" whole, not "ab" + "##c" nor "a" + "##b" + "##c".
    assert wordpiece("abc", pieces) == ["abc"]
    assert wordpiece("abcd", pieces) == ["abc", "##d"]
    # After the first piece, only ## pieces may follow: "a" is not "##a".
    assert wordpiece("aa", pieces) == [UNK]
    # A rest that starts with no piece makes the whole word unknown, not a part.
    assert wordpiece("abx", pieces) == [UNK]
    assert wordpiece("x", pieces) == [UNK]
    assert wordpiece("ab", pieces, max_bytes_per_word=1) == [UNK]


def test_join_pieces_glues_continuations_to_the_word_before():
    assert join_pieces(["un", "##believ", "##ably", "!"]) == ["unbelievably", "!"]
    assert join_pieces(["##ing", "a", "##b"]) == ["##ing", "ab"]
    assert join_pieces([]) == []


@pytest.fixture(scope="module")
def tokenizer():
    return SubwordTokenizer.build(SENTENCES, "en", vocabulary_size=60)


def test_learned_vocabulary_starts_with_the_reserved_tokens_and_has_pieces(tokenizer):
    tokens = tokenizer.vocabulary.tokens
    assert tuple(tokens[:4]) == RESERVED_TOKENS
    assert len(set(tokens)) == len(tokens)
    assert any(token.startswith("##") for token in tokens)
    # Every letter is a piece, alone and as a continuation, so no word is unknown.
    letters = {char for sentence in SENTENCES for char in sentence.lower()}
    for letter in sorted(char for char in letters if char.isalpha()):
        assert {letter, "##" + letter} <= set(tokens)
    assert learn_pieces(SENTENCES, "en", 60) == tokens


def test_every_training_sentence_round_trips_without_unknowns(tokenizer):
    for sentence in SENTENCES:
        ids = tokenizer.encode(sentence)
        assert UNK_ID not in ids
        assert tokenizer.ids_to_tokens(ids) == tokenizer.tokenize(sentence)
        expected = detokenize(tokenize(sentence, "en"), "en")
        assert tokenizer.decode([START_ID, *ids, END_ID, 7]) == expected
    # Some word is split: subwords, not words under another name.
    assert sum(len(tokenizer.tokenize(s)) for s in SENTENCES) > sum(
        len(tokenize(s, "en")) for s in SENTENCES
    )


def test_an_unseen_character_makes_its_word_unknown(tokenizer):
    assert tokenizer.tokenize("the zebra walked") == (
        tokenizer.tokenize("the") + [UNK] + tokenizer.tokenize("walked")
    )
    assert tokenizer.decode(tokenizer.encode("the zebra")) == "the [UNK]"


def test_graph_encoding_equals_python_on_the_sentences(tokenizer):
    sentences = [*SENTENCES, "the zebra walked", "Ｗａｌｋｉｎｇ\u200b talks!"]
    encoded = tokenizer.tf_encode(tf.constant(sentences))
    assert isinstance(encoded, tf.RaggedTensor)
    assert encoded.dtype == tf.int32
    assert encoded.to_list() == [tokenizer.encode(s) for s in sentences]
    assert tokenizer.tf_encode(tf.constant(["   "])).to_list() == [[]]


def test_graph_encoding_equals_python_on_the_corpus(corpus):
    english = [pair.english for pair in corpus.pairs]
    rng = np.random.default_rng(0)
    train = [english[i] for i in rng.choice(len(english), 3000, replace=False)]
    others = [english[i] for i in rng.choice(len(english), 2000, replace=False)]
    tokenizer = SubwordTokenizer.build(train, "en", vocabulary_size=500)
    assert 400 <= tokenizer.vocabulary_size <= 600
    encoded = tokenizer.tf_encode(tf.constant(others)).to_list()
    assert encoded == [tokenizer.encode(s) for s in others]
    unknown = sum(ids.count(UNK_ID) for ids in encoded)
    assert unknown / sum(map(len, encoded)) < 0.01


def test_a_dataset_of_pieces_holds_the_python_ids(tokenizer):
    chinese = WordTokenizer.build(["我走路。", "他在说话。"], "zh")
    pairs = [("我走路。", SENTENCES[0]), ("他在说话。", SENTENCES[1])]
    (source, decoder_inputs), targets = next(
        iter(make_dataset(pairs, chinese, tokenizer, batch_size=2))
    )
    for row, (_, english) in enumerate(pairs):
        ids = tokenizer.encode(english)
        assert decoder_inputs[row, : len(ids) + 1].numpy().tolist() == [START_ID, *ids]
        assert targets[row, : len(ids) + 1].numpy().tolist() == [*ids, END_ID]


def test_config_round_trip(tokenizer):
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(tokenizer)
    )
    assert isinstance(restored, SubwordTokenizer)
    assert restored.vocabulary.tokens == tokenizer.vocabulary.tokens
    assert restored.encode(SENTENCES[2]) == tokenizer.encode(SENTENCES[2])
    assert "SubwordTokenizer(language='en', vocabulary_size=" in repr(tokenizer)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="vocabulary must be a Vocabulary"):
        SubwordTokenizer(["a"], "en")
    with pytest.raises(ValueError, match="'fr'"):
        SubwordTokenizer(Vocabulary(RESERVED_TOKENS), "fr")
    with pytest.raises(TypeError, match="not one string"):
        SubwordTokenizer.build("I like tea.", "en")
    with pytest.raises(ValueError, match="vocabulary_size"):
        SubwordTokenizer.build(SENTENCES, "en", vocabulary_size=4)
    with pytest.raises(TypeError, match="list of strings"):
        SubwordTokenizer(Vocabulary(RESERVED_TOKENS), "en").detokenize("ab")
