"""Padding, question labels, segmentation tags and nearest neighbours."""

import numpy as np
import pytest

from chapters.ch01_sequence_tasks import (
    is_question,
    nearest_neighbours,
    pad_ids,
    question_data,
    question_examples,
    segmentation_tags,
    without_punctuation,
    words_from_tags,
)
from chapters.common.tatoeba import SentencePair
from chapters.common.tokenizers import tokenize_chinese, tokenize_english
from chapters.common.vocabulary import RESERVED_TOKENS


def test_pad_ids_pads_at_the_end_with_zero():
    np.testing.assert_array_equal(pad_ids([[5, 6, 7], [8]]), [[5, 6, 7], [8, 0, 0]])
    assert pad_ids([[5, 6, 7]], length=2).tolist() == [[5, 6]]
    assert pad_ids([[5]], length=3).dtype == np.int32


def test_pad_ids_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        pad_ids([])
    with pytest.raises(ValueError, match="1-D"):
        pad_ids([[[1, 2]], [3]])
    with pytest.raises(ValueError, match="length=0"):
        pad_ids([[1]], length=0)
    with pytest.raises(TypeError, match="length=2.0"):
        pad_ids([[1]], length=2.0)


def test_question_labels_ignore_the_removed_punctuation():
    assert is_question("Are you OK?") and is_question("你好吗？ ")
    assert not is_question("I am OK.")
    tokens, labels = question_examples(
        ["Are you OK?", "I'm fine.", "...", "Why not?"], tokenize_english
    )
    assert tokens == [["are", "you", "ok"], ["i'm", "fine"], ["why", "not"]]
    np.testing.assert_array_equal(labels, [1, 0, 1])
    assert without_punctuation(tokenize_chinese("你好吗？")) == ["你", "好", "吗"]


def test_question_examples_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        question_examples([], tokenize_english)
    with pytest.raises(TypeError, match="string"):
        is_question(None)


def test_segmentation_tags_and_back():
    words = ["我", "喜欢", "巧克力", "。"]
    tags = segmentation_tags(words)
    assert tags == ["S", "B", "E", "B", "M", "E", "S"]
    assert words_from_tags(list("".join(words)), tags) == words
    # A broken tag sequence still splits the characters into words.
    assert words_from_tags(list("abc"), ["B", "B", "M"]) == ["a", "bc"]


def test_segmentation_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        segmentation_tags([])
    with pytest.raises(ValueError, match="non-empty string"):
        segmentation_tags(["我", ""])
    with pytest.raises(ValueError, match="same length"):
        words_from_tags(["a", "b"], ["S"])


def test_nearest_neighbours_by_cosine():
    tokens = [*RESERVED_TOKENS, "cat", "dog", "car"]
    embeddings = np.array(
        [[1, 0], [1, 0.1], [0, 1], [0, 1], [1, 0], [2, 0.3], [-1, 0.2]], dtype=float
    )
    neighbours = nearest_neighbours(embeddings, tokens, "cat", count=2)
    # [PAD] lies exactly on "cat" but reserved tokens are never neighbours.
    assert [token for token, _ in neighbours] == ["dog", "car"]
    assert neighbours[0][1] == pytest.approx(2 / np.hypot(2, 0.3))


def test_nearest_neighbours_rejects_bad_input():
    tokens = ["a", "b"]
    with pytest.raises(ValueError, match="rank 2"):
        nearest_neighbours(np.ones(2), tokens, "a")
    with pytest.raises(ValueError, match="one entry per"):
        nearest_neighbours(np.ones((3, 2)), tokens, "a")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        nearest_neighbours(np.ones((2, 2)), tokens, "z")
    with pytest.raises(ValueError, match="count"):
        nearest_neighbours(np.ones((2, 2)), tokens, "a", count=0)
    with pytest.raises(TypeError, match="count=True"):
        nearest_neighbours(np.ones((2, 2)), tokens, "a", count=True)


def test_question_data_keeps_each_sentence_once_and_encodes_it():
    train = [
        SentencePair("Are you OK?", "你还好吗？"),
        SentencePair("Are you OK?", "你没事吧？"),
        SentencePair("I am OK.", "我没事。"),
    ]
    validation = [SentencePair("Are they OK?", "他们还好吗？")]
    data = question_data(train, validation)
    assert data.train_tokens == [["are", "you", "ok"], ["i", "am", "ok"]]
    np.testing.assert_array_equal(data.train_labels, [1, 0])
    assert data.train_ids.shape == (2, 3)
    # "they" is not in the training vocabulary: [UNK], id 1.
    assert data.validation_ids.tolist() == [
        [data.vocabulary.encode(["are"])[0], 1, data.vocabulary.encode(["ok"])[0]]
    ]
    assert question_data(train, validation, max_train=1).train_ids.shape == (1, 3)
