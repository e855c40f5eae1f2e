"""Tests of vocabularies: reserved ids, counting, encoding and the in-graph lookup."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.common.tokenizers import detokenize, tf_tokenize, tokenize_english
from chapters.common.vocabulary import (
    END_ID,
    PAD,
    PAD_ID,
    RESERVED_TOKENS,
    START_ID,
    UNK_ID,
    Vocabulary,
    strip_special_ids,
)


def test_reserved_ids_are_fixed():
    assert RESERVED_TOKENS == ("[PAD]", "[UNK]", "[START]", "[END]")
    assert (PAD_ID, UNK_ID, START_ID, END_ID) == (0, 1, 2, 3)
    vocabulary = Vocabulary.build([["b", "a", "b"]])
    assert vocabulary.tokens[:4] == list(RESERVED_TOKENS)
    assert vocabulary.encode(list(RESERVED_TOKENS)) == [0, 1, 2, 3]


def test_vocabulary_counts_orders_and_limits():
    sentences = [["b", "a", "c"], ["b", "a"], ["b", "d"]]
    vocabulary = Vocabulary.build(sentences)
    # Most frequent first, ties broken alphabetically.
    assert vocabulary.tokens[4:] == ["b", "a", "c", "d"]
    assert len(vocabulary) == 8
    assert Vocabulary.build(sentences, min_count=2).tokens[4:] == ["b", "a"]
    assert Vocabulary.build(sentences, max_size=5).tokens[4:] == ["b"]
    assert Vocabulary.build(sentences, max_size=np.int64(4)).tokens[4:] == []
    # Reserved tokens in the data are not added twice.
    assert Vocabulary.build([[PAD, "x"]]).tokens == [*RESERVED_TOKENS, "x"]
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(sentences, min_count=0)
    with pytest.raises(TypeError, match="min_count"):
        Vocabulary.build(sentences, min_count=1.5)
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.build(sentences, max_size=3)
    with pytest.raises(TypeError, match="list of tokens"):
        Vocabulary.build(["a sentence"])
    with pytest.raises(ValueError, match="start with"):
        Vocabulary(["a", "b"])


def test_a_token_that_is_not_a_string_is_named():
    # Sorting would otherwise fail with "'<' not supported between ..." far from
    # the cause.
    with pytest.raises(TypeError, match=r"sentence 1 must be a string.*None"):
        Vocabulary.build([["a", "b"], ["a", None]])
    with pytest.raises(TypeError, match=r"vocabulary must be a string.*7.*int"):
        Vocabulary([*RESERVED_TOKENS, "a", 7])
    with pytest.raises(TypeError, match="None"):
        Vocabulary([None, *RESERVED_TOKENS])


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


def test_strip_special_ids_by_hand():
    assert strip_special_ids([START_ID, 5, PAD_ID, 6, UNK_ID, END_ID, 7]) == [5, 6, 1]
    assert strip_special_ids(np.array([END_ID, 5])) == []
    assert strip_special_ids([]) == []
    with pytest.raises(ValueError, match="1-D"):
        strip_special_ids([[5, 6]])
    with pytest.raises(ValueError, match="integer"):
        strip_special_ids([5.0, 6.0])


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
