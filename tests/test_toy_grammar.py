"""Tests of the toy English<->Chinese grammar and its gold alignments."""

import pytest

from chapters.common import text, toy_grammar
from chapters.common.toy_grammar import Clause, NounPhrase, Sentence, render
from chapters.common.toy_lexicon import (
    ADJECTIVES,
    NAMES,
    NOUNS,
    PLACES,
    PRONOUNS,
    TIMES,
    VERBS,
    lexicon_words,
)

# English words that may have no Chinese counterpart, and Chinese ones that may
# have no English counterpart (see the module docstring's convention).
UNALIGNED_ENGLISH = {"the", "and", "be", "do", "does"}
UNALIGNED_CHINESE = {"所以", "，"}


@pytest.fixture(scope="module")
def pairs():
    return toy_grammar.generate_pairs(400, seed=7)


def test_hand_checked_statement_moves_time_and_place_before_the_verb():
    sentence = Sentence(
        (
            Clause(
                NounPhrase(PRONOUNS["I"]),
                VERBS["eat"],
                NounPhrase(NOUNS["apple"], plural=True),
                tense="past",
                time=TIMES["yesterday"],
                place=PLACES["school"],
            ),
        )
    )
    pair = render(sentence)
    assert pair.english == "I ate apples at school yesterday."
    assert pair.chinese == "我昨天在学校吃了苹果。"
    assert pair.chinese_words == ("我", "昨天", "在", "学校", "吃", "了", "苹果", "。")
    # 了 goes with "ate", which carries the past tense.
    assert pair.alignment == (
        (0, 0), (1, 5), (2, 3), (3, 4), (4, 1), (5, 1), (6, 2), (7, 6)
    )  # fmt: skip
    assert pair.character_alignment() == (
        (0, 0), (1, 5), (2, 5), (3, 3), (4, 4), (5, 4),
        (6, 1), (7, 1), (8, 2), (9, 2), (10, 6),
    )  # fmt: skip


def test_hand_checked_question_with_relative_clause():
    bought = Clause(
        NounPhrase(PRONOUNS["I"]), VERBS["buy"], tense="past", time=TIMES["yesterday"]
    )
    book = NounPhrase(NOUNS["book"], determiner="the", relative=bought)
    sentence = Sentence(
        (Clause(NounPhrase(NAMES["Tom"]), VERBS["like"], book),), mood="yes-no"
    )
    pair = render(sentence)
    assert pair.english == "Does Tom like the book that I bought yesterday?"
    assert pair.chinese == "汤姆喜欢我昨天买的书吗？"
    # "the" stays unaligned; 的 goes with "that" and 吗 with the fronted "Does".
    assert pair.alignment == (
        (0, 1), (1, 2), (2, 6), (3, 8), (4, 7), (5, 5), (6, 4), (7, 0), (8, 9)
    )  # fmt: skip


def test_hand_checked_negation_measure_word_and_because():
    read = Clause(
        NounPhrase(PRONOUNS["he"]),
        VERBS["read"],
        NounPhrase(NOUNS["book"], plural=True, determiner="three"),
        tense="past",
        negated=True,
    )
    unhappy = Clause(
        NounPhrase(PRONOUNS["she"]), ADJECTIVES["happy"], tense="future", negated=True
    )
    pair = render(Sentence((read, unhappy), ("because",)))
    assert pair.english == "He did not read three books because she will not be happy."
    assert pair.chinese == "因为她不会快乐，所以他没看三本书。"
    assert pair.alignment == (
        (0, 6), (1, 7), (2, 9), (3, 8), (4, 11),
        (7, 0), (8, 1), (8, 2), (9, 3), (10, 4), (11, 4), (12, 5), (13, 12),
    )  # fmt: skip


def test_hand_checked_question_words_stay_in_place_in_chinese():
    eat = Clause(
        NounPhrase(PRONOUNS["you"]), VERBS["eat"], tense="past", time=TIMES["yesterday"]
    )
    pair = render(Sentence((eat,), mood="what"))
    assert pair.english == "What did you eat yesterday?"
    assert pair.chinese == "你昨天吃了什么？"
    assert pair.alignment == ((0, 2), (1, 4), (2, 3), (3, 1), (4, 0), (5, 5))
    swim = Clause(
        NounPhrase(NAMES["Mary"]), VERBS["swim"], tense="future", time=TIMES["tomorrow"]
    )
    pair = render(Sentence((swim,), mood="where"))
    assert pair.english == "Where will Mary swim tomorrow?"
    assert pair.chinese == "玛丽明天会在哪里游泳？"
    assert pair.alignment == (
        (0, 2), (1, 4), (2, 1), (3, 0), (4, 0), (5, 3), (6, 5)
    )  # fmt: skip


def test_render_agrees_verbs_with_their_subjects():
    def english(subject, tense="present", negated=False, mood="statement"):
        clause = Clause(subject, VERBS["swim"], tense=tense, negated=negated)
        return render(Sentence((clause,), mood=mood)).english

    tom_and_mary = NounPhrase(NAMES["Tom"], conjunct=NounPhrase(NAMES["Mary"]))
    assert english(NounPhrase(NAMES["Tom"])) == "Tom swims."
    assert english(tom_and_mary) == "Tom and Mary swim."
    assert english(NounPhrase(PRONOUNS["she"]), negated=True) == "She does not swim."
    assert english(NounPhrase(PRONOUNS["I"]), "past", True) == "I did not swim."
    assert english(NounPhrase(PRONOUNS["we"]), "future") == "We will swim."
    assert english(NounPhrase(PRONOUNS["he"]), mood="yes-no") == "Does he swim?"
    dog = NounPhrase(NOUNS["dog"], determiner="a", adjective=ADJECTIVES["old"])
    assert render(Sentence((Clause(dog, ADJECTIVES["hungry"]),))).english == (
        "An old dog is hungry."
    )


def test_render_rejects_malformed_sentences():
    clause = Clause(NounPhrase(PRONOUNS["I"]), VERBS["sleep"])
    with pytest.raises(ValueError, match="Received: mood='command'"):
        render(Sentence((clause,), mood="command"))
    with pytest.raises(ValueError, match="connectives=\\(\\)"):
        render(Sentence((clause, clause)))
    with pytest.raises(ValueError, match="Received: 'or'"):
        render(Sentence((clause, clause), ("or",)))


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
        english = text.tokenize_english(pair.english, lowercase=False)
        assert tuple(english) == pair.english_words
        assert tuple(text.tokenize_chinese(pair.chinese)) == pair.chinese_characters()


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


def test_lexicon_has_enough_words():
    assert len(lexicon_words("en")) >= 150
    assert len(lexicon_words("zh")) >= 150
    with pytest.raises(ValueError, match="Received: 'fr'"):
        lexicon_words("fr")


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"count": -1}, "count=-1"),
        ({"count": 2.5}, "count=2.5"),
        ({"count": 5, "min_words": 9, "max_words": 8}, "min_words=9, max_words=8"),
        ({"count": 5, "min_words": 2}, "min_words=2"),
    ],
)
def test_generate_pairs_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=f"Received: {message}"):
        toy_grammar.generate_pairs(**arguments)


def test_toy_splits_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: validation=-3"):
        toy_grammar.toy_splits(10, -3, 10)
    with pytest.raises(ValueError, match="Received: min_words=1"):
        toy_grammar.toy_splits(10, 10, 10, min_words=1)
    # Three-word sentences are too few for this many distinct pairs.
    with pytest.raises(ValueError, match="Received: test=5000"):
        toy_grammar.toy_splits(0, 0, 5000, min_words=3, max_words=3)
