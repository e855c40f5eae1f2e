"""Numbers 0..999 written out in English or Chinese words: data for the 1→N task.

A number is one input; its words are a sequence of outputs. The rules are the
ordinary ones: English without "and" or hyphens ("three hundred forty two"), so
every word is a single token; Chinese with 零 for an inner zero ("一百零五") and
一十 after a hundred ("一百一十二"). Chinese words are split into characters, the
course's Chinese tokens.
"""

import numpy as np

from chapters.common.arguments import positive_int

LARGEST_NUMBER = 999
NUMBER_LANGUAGES = ("en", "zh")
# The digits of a number are its input features: one one-hot block per place.
DIGIT_PLACES = 3
NUMBER_FEATURES = DIGIT_PLACES * 10

_ENGLISH_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_ENGLISH_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_CHINESE_DIGITS = "零一二三四五六七八九"


def _check_number(number) -> int:
    number = positive_int(number, "number", minimum=0)
    if number > LARGEST_NUMBER:
        raise ValueError(
            f"number must be between 0 and {LARGEST_NUMBER}. Received: {number}"
        )
    return number


def english_number_words(number: int) -> list[str]:
    """English words of `number` (0..999), e.g. 342 -> three hundred forty two."""
    number = _check_number(number)
    hundreds, rest = divmod(number, 100)
    words = [_ENGLISH_UNITS[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(_ENGLISH_TENS[tens])
        if units:
            words.append(_ENGLISH_UNITS[units])
    elif rest or not words:
        words.append(_ENGLISH_UNITS[rest])
    return words


def chinese_number_words(number: int) -> list[str]:
    """Chinese characters of `number` (0..999), e.g. 105 -> 一 百 零 五."""
    number = _check_number(number)
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    if not hundreds:
        if not tens:
            return [_CHINESE_DIGITS[units]]
        # 10..19 are read 十, 十一 ... without a leading 一.
        characters = ([_CHINESE_DIGITS[tens]] if tens > 1 else []) + ["十"]
        return characters + ([_CHINESE_DIGITS[units]] if units else [])
    characters = [_CHINESE_DIGITS[hundreds], "百"]
    if tens:
        characters += [_CHINESE_DIGITS[tens], "十"]
    elif units:
        characters.append("零")
    if units:
        characters.append(_CHINESE_DIGITS[units])
    return characters


def number_words(number: int, language: str) -> list[str]:
    """The word tokens of `number` in `language` ("en" or "zh")."""
    if language == "en":
        return english_number_words(number)
    if language == "zh":
        return chinese_number_words(number)
    raise ValueError(
        f"language must be one of {NUMBER_LANGUAGES}. Received: {language!r}"
    )


def number_features(numbers) -> np.ndarray:
    """One-hot digits of each number: the single input vector of the 1→N model.

    Args:
        numbers: a 1-D sequence of integers in 0..999.

    Returns:
        float32 array of shape `(B, 30)`: ten slots for the hundreds digit, ten
        for the tens, ten for the units. Digits (rather than one id per number)
        let the model answer numbers it never saw during training.
    """
    numbers = np.asarray(numbers)
    if numbers.ndim != 1:
        raise ValueError(
            f"numbers must be a 1-D sequence of integers. Received shape "
            f"{numbers.shape}"
        )
    if numbers.size == 0:
        raise ValueError("numbers is empty: give at least one number.")
    if not np.issubdtype(numbers.dtype, np.integer):
        raise TypeError(f"numbers must be integers. Received dtype {numbers.dtype}")
    if numbers.min() < 0 or numbers.max() > LARGEST_NUMBER:
        raise ValueError(
            f"numbers must lie in 0..{LARGEST_NUMBER}. Received values from "
            f"{numbers.min()} to {numbers.max()}"
        )
    digits = np.stack([numbers // 100, numbers // 10 % 10, numbers % 10], axis=1)
    features = np.zeros((len(numbers), DIGIT_PLACES, 10), dtype="float32")
    rows = np.arange(len(numbers))[:, None]
    features[rows, np.arange(DIGIT_PLACES)[None, :], digits] = 1.0
    return features.reshape(len(numbers), NUMBER_FEATURES)  # (B, 30)


def split_numbers(test_fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """A fixed random split of 0..999 into "train" and "test" numbers."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"test_fraction must be between 0 and 1. Received: {test_fraction}"
        )
    shuffled = np.random.default_rng(seed).permutation(LARGEST_NUMBER + 1)
    test_size = round(len(shuffled) * test_fraction)
    return {
        "train": np.sort(shuffled[test_size:]),
        "test": np.sort(shuffled[:test_size]),
    }
