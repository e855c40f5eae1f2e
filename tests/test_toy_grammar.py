"""Tests of the toy corpus: seeded pairs of every length, well formed and aligned."""

import numpy as np
import pytest

from chapters.common import toy_grammar
from chapters.common.tokenizers import tokenize_chinese, tokenize_english

# English words that may have no Chinese counterpart, and Chinese ones that may
# have no English counterpart (see the convention in toy_sentences' docstring).
UNALIGNED_ENGLISH = {"the", "and", "be", "do", "does"}
UNALIGNED_CHINESE = {"所以", "，"}


@pytest.fixture(scope="module")
def pairs():
    return toy_grammar.generate_pairs(400, seed=7)


def test_same_seed_same_pairs_other_seed_other_pairs():
    first = toy_grammar.generate_pairs(30, seed=3)
    assert first == toy_grammar.generate_pairs(30, seed=3)
    assert first != toy_grammar.generate_pairs(30, seed=4)
    assert len({pair.english for pair in first}) > 20


def test_alignment_indices_are_valid_and_cover_the_content_words(pairs):
    for pair in pairs:
        assert pair.alignment == tuple(sorted(set(pair.alignment)))
        for chinese, english in pair.alignment:
            assert 0 <= chinese < len(pair.chinese_words)
            assert 0 <= english < len(pair.english_words)
        aligned_chinese = {chinese for chinese, _ in pair.alignment}
        aligned_english = {english for _, english in pair.alignment}
        for index, word in enumerate(pair.chinese_words):
            assert index in aligned_chinese or word in UNALIGNED_CHINESE, pair
        for index, word in enumerate(pair.english_words):
            assert index in aligned_english or word.lower() in UNALIGNED_ENGLISH, pair
        characters = pair.chinese_characters()
        for character, english in pair.character_alignment():
            assert 0 <= character < len(characters)
            assert 0 <= english < len(pair.english_words)


def test_word_order_differs(pairs):
    def crossing(pair):
        # Read in Chinese order, English positions go back at least once.
        positions = [english for _, english in pair.alignment]
        return any(
            later < earlier
            for earlier, later in zip(positions, positions[1:], strict=False)
        )

    assert sum(map(crossing, pairs)) > 0.7 * len(pairs)
    # In one clause, a time phrase comes before the verb in Chinese and after it
    # in English: 我昨天吃了苹果 / I ate apples yesterday.
    short = toy_grammar.generate_pairs(300, seed=8, min_words=4, max_words=9)
    checked = 0
    for pair in short:
        words = pair.chinese_words
        if "昨天" in words and words.count("了") == 1 and not {"，", "的"} & set(words):
            time, verb = words.index("昨天"), words.index("了") - 1
            links = {chinese: [] for chinese in range(len(words))}
            for chinese, english in pair.alignment:
                links[chinese].append(english)
            assert time < verb and min(links[time]) > max(links[verb]), pair
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("min_words, max_words", [(3, 6), (10, 20), (50, 60)])
def test_lengths_stay_in_range(min_words, max_words):
    generated = toy_grammar.generate_pairs(60, 1, min_words, max_words)
    lengths = {len(pair.english_words) for pair in generated}
    assert min(lengths) >= min_words and max(lengths) <= max_words
    assert len(lengths) > (max_words - min_words) // 2  # Spread over the range.


def test_every_length_from_3_to_60_is_reachable():
    for length in range(3, 61):
        (pair,) = toy_grammar.generate_pairs(
            1, seed=length, min_words=length, max_words=length
        )
        assert len(pair.english_words) == length
    long_pair = toy_grammar.generate_pairs(1, seed=0, min_words=60, max_words=60)[0]
    assert len(long_pair.chinese_characters()) > 60


def test_chinese_is_well_formed(pairs):
    for pair in pairs:
        chinese = pair.chinese
        assert chinese.isprintable() and not any(c.isascii() for c in chinese), chinese
        assert chinese[-1] in "。？" and chinese[-2] not in "。？，", chinese
        assert "，，" not in chinese and not chinese.startswith("，")
        is_question = pair.english_words[-1] == "?"
        assert (chinese[-1] == "？") == is_question
        if is_question:
            assert chinese.endswith("吗？") or any(w in chinese for w in "什谁哪")
    assert any(pair.chinese.endswith("吗？") for pair in pairs)
    assert any(
        "本" in pair.chinese_words or "个" in pair.chinese_words for pair in pairs
    )


def test_english_is_well_formed(pairs):
    for pair in pairs:
        words = pair.english_words
        assert words[0][0].isupper() and words[-1] in ".?"
        for word, following in zip(words, words[1:], strict=False):
            if word.lower() in ("a", "an"):
                assert (word.lower() == "an") == (following[0] in "aeiou"), words


def test_words_match_the_text_tokenizers(pairs):
    for pair in pairs:
        english = tokenize_english(pair.english, lowercase=False)
        assert tuple(english) == pair.english_words
        assert tuple(tokenize_chinese(pair.chinese)) == pair.chinese_characters()


def test_splits_are_disjoint_sized_and_keep_held_out_data_stable():
    splits = toy_grammar.toy_splits(200, 50, 50, seed=5, min_words=3, max_words=12)
    assert {name: len(pairs) for name, pairs in splits.items()} == {
        "train": 200,
        "validation": 50,
        "test": 50,
    }
    keys = {
        name: {(pair.english, pair.chinese) for pair in pairs}
        for name, pairs in splits.items()
    }
    assert sum(map(len, keys.values())) == 300  # No duplicates anywhere.
    assert not keys["train"] & keys["validation"]
    assert not keys["train"] & keys["test"]
    assert not keys["validation"] & keys["test"]
    bigger = toy_grammar.toy_splits(400, 50, 50, seed=5, min_words=3, max_words=12)
    assert bigger["test"] == splits["test"]
    assert bigger["validation"] == splits["validation"]


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"count": -1}, ValueError, "count=-1"),
        ({"count": 2.5}, TypeError, "count=2.5"),
        ({"count": True}, TypeError, "count=True"),
        ({"count": 5, "min_words": 9, "max_words": 8}, ValueError, "max_words=8"),
        ({"count": 5, "min_words": 2}, ValueError, "min_words=2"),
    ],
)
def test_generate_pairs_rejects_bad_arguments(arguments, error, message):
    with pytest.raises(error, match=f"Received: {message}"):
        toy_grammar.generate_pairs(**arguments)


def test_generate_pairs_accepts_numpy_integers():
    pairs = toy_grammar.generate_pairs(np.int64(2), min_words=np.int64(4), max_words=6)
    assert len(pairs) == 2
    assert all(4 <= len(pair.english_words) <= 6 for pair in pairs)


def test_toy_splits_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: validation=-3"):
        toy_grammar.toy_splits(10, -3, 10)
    with pytest.raises(ValueError, match="Received: min_words=1"):
        toy_grammar.toy_splits(10, 10, 10, min_words=1)
    # Three-word sentences are too few for this many distinct pairs.
    with pytest.raises(ValueError, match="Received: test=5000"):
        toy_grammar.toy_splits(0, 0, 5000, min_words=3, max_words=3)
