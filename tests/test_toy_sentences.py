"""Tests of the toy grammar's sentences: hand-checked renderings and alignments."""

import pytest

from chapters.common.toy_lexicon import (
    ADJECTIVES,
    NAMES,
    NOUNS,
    PLACES,
    PRONOUNS,
    TIMES,
    VERBS,
)
from chapters.common.toy_sentences import Clause, NounPhrase, Sentence, render


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
