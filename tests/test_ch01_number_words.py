"""Numbers written out in English and Chinese, and the 1→N input features."""

import numpy as np
import pytest

from chapters.ch01_sequence_tasks import (
    chinese_number_words,
    english_number_words,
    number_features,
    number_words,
    split_numbers,
)


@pytest.mark.parametrize(
    ("number", "english", "chinese"),
    [
        (0, "zero", "零"),
        (7, "seven", "七"),
        (10, "ten", "十"),
        (13, "thirteen", "十三"),
        (20, "twenty", "二十"),
        (42, "forty two", "四十二"),
        (100, "one hundred", "一百"),
        (105, "one hundred five", "一百零五"),
        (110, "one hundred ten", "一百一十"),
        (112, "one hundred twelve", "一百一十二"),
        (200, "two hundred", "二百"),
        (342, "three hundred forty two", "三百四十二"),
        (999, "nine hundred ninety nine", "九百九十九"),
    ],
)
def test_hand_written_numbers(number, english, chinese):
    assert english_number_words(number) == english.split()
    assert chinese_number_words(number) == list(chinese)
    assert number_words(number, "en") == english.split()
    assert number_words(number, "zh") == list(chinese)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_number_has_its_own_words(language):
    written = {tuple(number_words(number, language)) for number in range(1000)}
    assert len(written) == 1000


def test_number_features_are_one_hot_digits():
    features = number_features([0, 305, 999])
    assert features.shape == (3, 30) and features.dtype == np.float32
    digits = features.reshape(3, 3, 10).argmax(axis=-1)
    np.testing.assert_array_equal(digits, [[0, 0, 0], [3, 0, 5], [9, 9, 9]])
    np.testing.assert_array_equal(features.sum(axis=1), [3, 3, 3])


def test_split_numbers_is_fixed_and_disjoint():
    split = split_numbers()
    assert len(split["train"]) == 800 and len(split["test"]) == 200
    assert set(split["train"]).isdisjoint(split["test"])
    assert set(split["train"]) | set(split["test"]) == set(range(1000))
    np.testing.assert_array_equal(split_numbers()["test"], split["test"])


@pytest.mark.parametrize(
    ("number", "error"),
    [(-1, ValueError), (1000, ValueError), (3.5, TypeError), (True, TypeError)],
)
def test_bad_numbers_are_rejected(number, error):
    with pytest.raises(error, match="number"):
        english_number_words(number)
    with pytest.raises(error, match="number"):
        chinese_number_words(number)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="language"):
        number_words(5, "fr")
    with pytest.raises(ValueError, match="1-D"):
        number_features([[1, 2]])
    with pytest.raises(ValueError, match="empty"):
        number_features([])
    with pytest.raises(ValueError, match="0..999"):
        number_features([5, 1000])
    with pytest.raises(TypeError, match="integers"):
        number_features([1.5])
    with pytest.raises(ValueError, match="test_fraction"):
        split_numbers(test_fraction=1.5)
