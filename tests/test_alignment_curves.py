"""The per-word curves: gold alignments per target token, teacher-forced hits from a
scripted model, and accuracy grouped by hand-computed buckets."""

import functools
import math
import re

import numpy as np
import pytest

from chapters.ch02_encoder_decoder import experiments as chapter_experiments
from chapters.common import (
    alignment_curves,
    evaluation,
    experiments,
    scales,
    translation_data,
)
from chapters.common.toy_sentences import ToyPair
from chapters.common.translator import Translation

# I ate apples yesterday. / 我昨天吃了苹果。: time before the verb in Chinese, and
# 了 linked to the past tense of "ate".
ATE = ToyPair(
    ("I", "ate", "apples", "yesterday", "."),
    ("我", "昨天", "吃", "了", "苹果", "。"),
    ((0, 0), (1, 3), (2, 1), (3, 1), (4, 2), (5, 4)),
)
# "The" has no counterpart in Chinese.
SLEPT = ToyPair(
    ("The", "cat", "slept", "."),
    ("猫", "睡觉", "了", "。"),
    ((0, 1), (1, 2), (2, 2), (3, 3)),
)
# "Lucy" is not in the vocabulary built from ATE, SLEPT and NOT: its reference is
# [UNK].
LUCY = ToyPair(
    ("Lucy", "slept", "."),
    ("露西", "睡觉", "了", "。"),
    ((0, 0), (1, 1), (2, 1), (3, 2)),
)
# "did" and "not" translate 没, a function word.
NOT = ToyPair(
    ("I", "did", "not", "eat", "."),
    ("我", "没", "吃", "。"),
    ((0, 0), (1, 1), (1, 2), (2, 3), (3, 4)),
)


def test_aligned_source_words_in_both_directions():
    words, tokens, links = alignment_curves.aligned_source_words(ATE, "zh-en")
    assert words == 6
    assert tokens == ["i", "ate", "apples", "yesterday", "."]
    assert links == [[0], [2, 3], [4], [1], [5]]
    words, tokens, links = alignment_curves.aligned_source_words(ATE, "en-zh")
    assert words == 5
    assert tokens == ["我", "昨", "天", "吃", "了", "苹", "果", "。"]
    # Every character inherits its word's links.
    assert links == [[0], [3], [3], [1], [1], [2], [2], [4]]
    assert alignment_curves.aligned_source_words(SLEPT, "zh-en")[2][0] == []


def test_content_flags_follow_the_chinese_side():
    assert alignment_curves.content_flags(NOT) == [True, False, False, True, False]
    assert alignment_curves.content_flags(ATE) == [True, True, True, True, False]
    # en-zh: a character is a content word when its word is: 我 吃 yes, 没 。 no.
    assert alignment_curves.content_flags(NOT, "en-zh") == [True, False, True, False]
    # 我 昨 天 吃 了 苹 果 。: 了 is a function word.
    flags = alignment_curves.content_flags(ATE, "en-zh")
    assert flags == [True, True, True, True, False, True, True, False]
    assert "苹果" in alignment_curves.CONTENT_WORDS
    assert "了" not in alignment_curves.CONTENT_WORDS


def test_aligned_source_words_refuses_bad_input():
    with pytest.raises(TypeError, match="ToyPair.*Received: tuple"):
        alignment_curves.aligned_source_words(("我爱你。", "I love you."))
    with pytest.raises(ValueError, match="direction.*'zh-fr'"):
        alignment_curves.aligned_source_words(ATE, "zh-fr")


class ScriptedModel:
    """Predicts, at each teacher-forced position, the token a script gives for its
    source; positions past the script get `[PAD]`, which is always wrong."""

    def __init__(self, data, script):
        self.vocabulary_size = data.target_tokenizer.vocabulary_size
        self.predictions = {
            tuple(data.source_tokenizer.encode(source)): (
                data.target_tokenizer.tokens_to_ids(tokens)
            )
            for source, tokens in script.items()
        }
        self.batches = 0

    def __call__(self, inputs, training=False):
        assert training is False
        source_ids, decoder_input_ids = (np.asarray(x) for x in inputs)
        self.batches += 1
        logits = np.zeros((*decoder_input_ids.shape, self.vocabulary_size))
        for row, ids in enumerate(source_ids):
            predicted = self.predictions[tuple(int(i) for i in ids if i)]
            logits[row, np.arange(len(predicted)), predicted] = 1.0
        return logits


def _data(pairs, direction="zh-en"):
    splits = {
        name: [(pair.chinese, pair.english) for pair in pairs]
        for name in ("train", "validation", "test")
    }
    if direction == "en-zh":
        splits = {name: [p[::-1] for p in split] for name, split in splits.items()}
    return translation_data.make_translation_data(splits, direction, "hand-made")


@pytest.fixture(scope="module")
def records():
    data = _data([ATE, SLEPT, NOT])
    model = ScriptedModel(
        data,
        {
            ATE.chinese: ["i", "ate", "yesterday", "yesterday", "."],
            SLEPT.chinese: ["the", "cat", "ate", "."],
            LUCY.chinese: ["i", "slept"],
            NOT.chinese: ["i", "did", "not", "ate", "."],
        },
    )
    # Two batches, of unequal padding: the rows must stay in order.
    scored = alignment_curves.score_target_tokens(
        model, [ATE, SLEPT, LUCY, NOT], data, batch_size=2
    )
    assert model.batches == 2
    return scored


def test_each_aligned_word_is_scored_where_its_last_source_word_lies(records):
    summary = [
        (
            r["sentence"],
            r["token"],
            r["correct"],
            r["position_from_start"],
            r["position_from_end"],
            r["english_words"],
            r["content"],
        )
        for r in records
    ]
    # "the" (no link), "." (punctuation) and "lucy" ([UNK]) are left out; "ate"
    # is filed under 了 (word 3 of 6), the later of its two source words.
    assert summary == [
        (0, "i", True, 1, 6, 5, True),
        (0, "ate", True, 4, 3, 5, True),
        (0, "apples", False, 5, 2, 5, True),
        (0, "yesterday", True, 2, 5, 5, True),
        (1, "cat", True, 1, 4, 4, True),
        (1, "slept", False, 3, 2, 4, True),
        (2, "slept", True, 3, 2, 3, True),
        (3, "i", True, 1, 4, 5, True),
        (3, "did", True, 2, 3, 5, False),
        (3, "not", True, 2, 3, 5, False),
        (3, "eat", False, 3, 2, 5, True),
    ]
    relative = [r["relative_position"] for r in records]
    expected = [0.5 / 6, 3.5 / 6, 4.5 / 6, 1.5 / 6, 0.5 / 4, 2.5 / 4, 2.5 / 4]
    expected += [0.5 / 4, 1.5 / 4, 1.5 / 4, 2.5 / 4]
    np.testing.assert_allclose(relative, expected)


def test_accuracy_by_buckets_by_hand(records):
    curve = alignment_curves.accuracy_by(records, "position_from_end", (2, 4))
    # <= 2: apples x, slept x, slept v, eat x; 3-4: ate v, cat v, i v, did v,
    # not v; 5+: i v, yesterday v.
    assert curve["labels"] == ["1-2", "3-4", "5+"]
    assert curve["counts"] == [4, 5, 2] and curve["correct"] == [1, 5, 2]
    np.testing.assert_allclose(curve["accuracy"], [1 / 4, 1.0, 1.0])
    only_first = alignment_curves.accuracy_by(
        records, "position_from_end", (2, 4), where=lambda r: r["sentence"] == 0
    )
    assert only_first["counts"] == [1, 1, 2] and only_first["correct"] == [0, 1, 2]


def test_position_curves_split_short_and_long_sentences(records):
    curves = alignment_curves.position_curves(records, long_after=4)
    assert list(curves) == ["at most 4 English words", "more than 4 English words"]
    short, long = curves.values()
    assert short["labels"] == list(alignment_curves.RELATIVE_POSITION_LABELS)
    # Long (5 words), content words: ATE's i 0.08, yesterday 0.25, ate 0.58,
    # apples 0.75 (wrong); NOT's i 0.125, eat 0.625 (wrong).
    assert long["counts"] == [2, 1, 1, 2, 0] and long["correct"] == [2, 1, 1, 0, 0]
    # Short: cat 0.125 right; slept 0.625 wrong in SLEPT, right in LUCY.
    assert short["counts"] == [1, 0, 0, 2, 0]
    assert short["accuracy"][0] == 1.0 and short["accuracy"][3] == 0.5
    assert math.isnan(short["accuracy"][1]) and math.isnan(long["accuracy"][4])
    # With function words, did and not (0.375, both right) join the long ones.
    every = alignment_curves.position_curves(records, 4, content_only=False)
    assert every["more than 4 English words"]["counts"] == [2, 3, 1, 2, 0]


def test_last_words_curve_keeps_words_near_the_end(records):
    curve = alignment_curves.last_words_curve(records, last_words=2, edges=(3, 4))
    # Within 2 words of the end: slept in LUCY (3 words) right, slept in SLEPT
    # (4) wrong, apples in ATE and eat in NOT (5) wrong.
    assert curve["counts"] == [1, 1, 2] and curve["correct"] == [1, 0, 0]
    # Within 3 words, NOT's did and not (right) are function words: left out.
    wider = alignment_curves.last_words_curve(records, 3, (3, 4))
    assert wider["counts"] == [1, 1, 3] and wider["correct"] == [1, 0, 1]
    every = alignment_curves.last_words_curve(records, 3, (3, 4), content_only=False)
    assert every["counts"] == [1, 1, 5] and every["correct"] == [1, 0, 3]


def test_tables_print_every_bucket_and_a_dash_for_empty_ones(records):
    curves = alignment_curves.position_curves(records, long_after=4)
    table = alignment_curves.curves_table(curves, "by position")
    lines = table.splitlines()
    assert lines[0] == "by position" and len(lines) == 2 + 5
    # Short sentences first, then long ones: accuracy (target words).
    assert lines[2].split() == ["0-20%", "100.0%", "(", "1)", "100.0%", "(", "2)"]
    assert lines[3].split() == ["20-40%", "-", "100.0%", "(", "1)"]
    assert lines[5].split() == ["60-80%", "50.0%", "(", "2)", "0.0%", "(", "2)"]
    with pytest.raises(ValueError, match="buckets"):
        alignment_curves.curves_table(
            {
                "a": curves["at most 4 English words"],
                "b": alignment_curves.accuracy_by(records, "english_words", (3,)),
            },
            "mixed",
        )


def test_plot_accuracy_curves_draws_one_line_per_curve(records):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    curves = alignment_curves.position_curves(records, long_after=4)
    ax = alignment_curves.plot_accuracy_curves(curves, xlabel="where", title="t")
    short, long = ax.get_lines()
    np.testing.assert_array_equal(short.get_ydata()[[0, 3]], [1.0, 0.5])
    assert np.isnan(short.get_ydata()[1]) and ax.get_xlabel() == "where"
    ticks = [tick.get_text() for tick in ax.get_xticklabels()]
    assert ticks == list(alignment_curves.RELATIVE_POSITION_LABELS)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="at least one curve"):
        alignment_curves.plot_accuracy_curves({})


def test_accuracy_by_refuses_bad_buckets(records):
    with pytest.raises(ValueError, match="increasing.*\\(4, 2\\)"):
        alignment_curves.accuracy_by(records, "position_from_end", (4, 2))
    with pytest.raises(ValueError, match="3 names. Received: 2"):
        alignment_curves.accuracy_by(records, "position_from_end", (2, 4), ["a", "b"])
    with pytest.raises(ValueError, match="no 'length'"):
        alignment_curves.accuracy_by(records, "length", (2, 4))


def test_the_english_to_chinese_direction_scores_characters():
    data = _data([ATE], "en-zh")
    model = ScriptedModel(data, {ATE.english: list("我昨天吃了苹苹。")})
    records = alignment_curves.score_target_tokens(model, [ATE], data)
    # 果 (the second character of 苹果) is wrong; 。 is punctuation.
    assert [(r["token"], r["correct"]) for r in records] == [
        ("我", True),
        ("昨", True),
        ("天", True),
        ("吃", True),
        ("了", True),
        ("苹", True),
        ("果", False),
    ]
    assert [r["position_from_end"] for r in records] == [5, 2, 2, 4, 4, 3, 3]


def test_score_target_tokens_refuses_mismatched_tokens_and_logits():
    # The tokenizer keeps "Tom" whole; the grammar's characters would split it.
    tom = ToyPair(
        ("I", "like", "Tom", "."),
        ("我", "喜欢", "Tom", "。"),
        ((0, 0), (1, 1), (2, 2), (3, 3)),
    )
    data = _data([tom], "en-zh")
    with pytest.raises(ValueError, match="splits pair 0 into"):
        alignment_curves.score_target_tokens(None, [tom], data)
    data = _data([ATE])
    with pytest.raises(TypeError, match="ToyPairs.*index 1: tuple"):
        alignment_curves.score_target_tokens(None, [ATE, ("a", "b")], data)

    def flat(inputs, training=False):
        return np.zeros((len(inputs[0]), 7))

    with pytest.raises(ValueError, match="logits \\(B, T, V\\).*shape \\(1, 7\\)"):
        alignment_curves.score_target_tokens(flat, [ATE], data)


def test_bleu_by_length_counts_given_lengths():
    result = evaluation.Evaluation(
        bleu=0.0,
        unknown_rate=0.0,
        mean_log_prob=0.0,
        sentences_per_second=1.0,
        translations=[
            Translation("我" * 30, text, (), (), 0.0, 0.0, True, (), 0, False)
            for text in ("a b c d", "x", "a b c d")
        ],
        references=["a b c d"] * 3,
    )
    # By their 30 characters all would share one bucket; by the lengths given,
    # the first two share "1-5" and the third is alone in "6+".
    counts, scores = evaluation.bleu_by_length(result, "zh", "en", (5,), [4, 5, 6])
    assert counts == [2, 1] and scores[1] == pytest.approx(100)
    assert 0 < scores[0] < 100
    with pytest.raises(ValueError, match="one length per translation, 3"):
        evaluation.bleu_by_length(result, "zh", "en", (5,), [4, 5])


def test_length_curve_in_english_words_keeps_its_models():
    data = translation_data.toy_data(32, 12, max_words=12)
    factories = {
        "h=8": functools.partial(
            chapter_experiments.build_seq2seq, embedding_dim=8, hidden_units=8
        )
    }
    curve = experiments.length_curve(
        factories, data, 1, 16, length_language="en", edges=(5, 8)
    )
    # Words and punctuation marks, as the English tokenizer counts them.
    english = [len(re.findall(r"\w+|[.,?]", t)) for _, t in data.splits["test"]]
    expected = [sum(n <= 5 for n in english), sum(5 < n <= 8 for n in english)]
    assert curve.counts == [*expected, len(english) - sum(expected)]
    assert curve.labels == ["1-5", "6-8", "9+"] and curve.source_unit == "English words"
    assert curve.test_lengths["max"] == max(english)
    assert curve.table().splitlines()[1].lstrip().startswith("source English words")
    assert list(curve.models) == ["h=8"]
    assert curve.models["h=8"].count_params() == curve.parameters["h=8"]
    with pytest.raises(ValueError, match="length_language.*'fr'"):
        experiments.length_curve(factories, data, 1, 16, length_language="fr")


def test_chapter_two_per_word_tables_at_ci_scale():
    scale = scales.SCALES["ci"]
    data = chapter_experiments.length_curve_data(scale)
    toy_pairs = chapter_experiments.length_curve_toy_pairs(scale, data)
    assert [(p.chinese, p.english) for p in toy_pairs] == data.splits["test"]
    curve = chapter_experiments.length_curve_experiment(scale, epochs=1, data=data)
    # ci sentences stop at 20 words: no empty buckets past them.
    assert curve.labels == ["1-5", "6-10", "11-15", "16+"]
    records = chapter_experiments.aligned_word_records(curve, data, toy_pairs)
    assert list(records) == list(curve.models)
    curves = chapter_experiments.aligned_word_curves(records)
    assert list(curves) == [
        "of content words by source position, sentences of at most 20 English words",
        "of content words by source position, sentences of more than 20 English words",
        "of content words translating one of the last 5 source words, by sentence "
        "length (English words)",
    ]
    assert all(list(group) == list(curve.models) for group in curves.values())
    tables = chapter_experiments.aligned_word_tables(curves)
    assert tables[0].startswith("Next-word accuracy of content words by source ")
    assert "1-10" in tables[2] and "context 16" in tables[2]
    parts = chapter_experiments.parameter_breakdown(curve.models["context 32"])
    assert sum(parts.values()) == curve.parameters["context 32"]
    other = chapter_experiments.length_curve_data(scale, train_pairs=50)
    other.splits["test"] = other.splits["test"][1:]
    with pytest.raises(ValueError, match="not the toy test split"):
        chapter_experiments.length_curve_toy_pairs(scale, other)
