"""Attention against gold alignments: agreement and AER by hand, perfect and
diagonal weights, teacher-forced attention from a model whose weights are known."""

import numpy as np
import pytest
import tensorflow as tf

from chapters.common import alignment_quality, toy_grammar, translation_data
from chapters.common.toy_sentences import ToyPair
from chapters.common.vocabulary import START_ID

# Characters 我 吃 了 苹 果 。: "ate" is linked to 吃 and 了 (past tense), "apples"
# to both characters of 苹果.
ATE = ToyPair(
    ("I", "ate", "apples", "."),
    ("我", "吃", "了", "苹果", "。"),
    ((0, 0), (1, 1), (2, 1), (3, 2), (4, 3)),
)
# 我 没 吃 。: "did" and "not" both translate 没, a function word.
NOT = ToyPair(
    ("I", "did", "not", "eat", "."),
    ("我", "没", "吃", "。"),
    ((0, 0), (1, 1), (1, 2), (2, 3), (3, 4)),
)
# 猫 睡 觉 了 。: "The" has no counterpart in Chinese.
SLEPT = ToyPair(
    ("The", "cat", "slept", "."),
    ("猫", "睡觉", "了", "。"),
    ((0, 1), (1, 2), (2, 2), (3, 3)),
)
# 露 西 吃 了 苹 果 。: "Lucy" is not in the vocabulary built from the pairs above.
LUCY = ToyPair(
    ("Lucy", "ate", "apples", "."),
    ("露西", "吃", "了", "苹果", "。"),
    ((0, 0), (1, 1), (2, 1), (3, 2), (4, 3)),
)
# 我 睡 觉 了 。: both languages in the same order.
SLEEP = ToyPair(
    ("I", "slept", "."),
    ("我", "睡觉", "了", "。"),
    ((0, 0), (1, 1), (2, 1), (3, 2)),
)


def _data(pairs, direction="zh-en"):
    texts = [(pair.chinese, pair.english) for pair in pairs]
    if direction == "en-zh":
        texts = [text[::-1] for text in texts]
    splits = {name: texts for name in ("train", "validation", "test")}
    return translation_data.make_translation_data(splits, direction, "hand-made")


@pytest.fixture(scope="module")
def hand_data():
    return _data([ATE, NOT, SLEPT, SLEEP])


def _perfect_weights(pairs, direction="zh-en"):
    """Weights spread evenly over each token's gold links (everywhere when none)."""
    weights = []
    for pair in pairs:
        sources, _, links = alignment_quality.gold_links(pair, direction)
        rows = np.zeros((len(links), len(sources)))
        for row, linked in zip(rows, links, strict=True):
            row[linked or slice(None)] = 1 / (len(linked) or len(sources))
        weights.append(rows)
    return weights


def test_gold_links_are_in_tokens_in_both_directions():
    sources, targets, links = alignment_quality.gold_links(ATE)
    assert sources == ["我", "吃", "了", "苹", "果", "。"]
    assert targets == ["i", "ate", "apples", "."]
    assert links == [[0], [1, 2], [3, 4], [5]]
    assert alignment_quality.gold_links(SLEPT)[2][0] == []  # "The".
    sources, targets, links = alignment_quality.gold_links(ATE, "en-zh")
    assert sources == ["i", "ate", "apples", "."]
    assert targets == ["我", "吃", "了", "苹", "果", "。"]
    assert links == [[0], [1], [1], [2], [2], [3]]


def test_agreement_and_aer_by_hand(hand_data):
    # Rows: i, ate, apples, "."; columns: 我 吃 了 苹 果 。.
    weights = np.array(
        [
            [0.7, 0.1, 0.1, 0.0, 0.0, 0.1],  # i -> 我: right.
            [0.1, 0.3, 0.4, 0.1, 0.1, 0.0],  # ate -> 了, one of its two: right.
            [0.1, 0.5, 0.1, 0.2, 0.1, 0.0],  # apples -> 吃: wrong, 0.3 on 苹果.
            [0.9, 0.0, 0.0, 0.0, 0.0, 0.1],  # "." is punctuation: not scored.
        ]
    )
    scores = alignment_quality.alignment_scores([weights], [ATE], hand_data)
    # |A| = 3 tokens, |G| = 1 (我) + 2 (吃 了) + 2 (苹 果) = 5, |A ∩ G| = 2.
    assert (scores.sentences, scores.tokens, scores.predicted_links) == (1, 3, 3)
    assert (scores.gold_links, scores.correct) == (5, 2)
    assert scores.agreement == pytest.approx(2 / 3)
    assert scores.alignment_error_rate == pytest.approx(1 - 2 * 2 / (3 + 5))
    assert scores.lowest_alignment_error_rate == pytest.approx(1 - 2 * 3 / (3 + 5))


def test_either_character_of_a_two_character_word_counts(hand_data):
    for character in (3, 4):  # 苹 or 果.
        weights = np.eye(6)[[0, 1, character, 5]]  # i 我, ate 吃, apples, . 。
        scores = alignment_quality.alignment_scores([weights], [ATE], hand_data)
        assert (scores.tokens, scores.gold_links, scores.correct) == (3, 5, 3)
        assert scores.agreement == 1.0
        assert scores.alignment_error_rate == pytest.approx(1 - 2 * 3 / (3 + 5))


def test_perfect_weights_agree_fully_but_keep_an_aer(hand_data):
    pairs = [ATE, NOT, SLEPT, LUCY]
    scores = alignment_quality.alignment_scores(
        _perfect_weights(pairs), pairs, hand_data
    )
    # Scored: ATE i ate apples (links 1 + 2 + 2); NOT i did not eat (1 + 1 + 1
    # + 1); SLEPT cat slept (1 + 3), not "The"; LUCY ate apples (2 + 2), not
    # "lucy" ([UNK]); never ".".
    assert (scores.sentences, scores.tokens, scores.gold_links) == (4, 11, 17)
    assert scores.agreement == 1.0
    assert scores.alignment_error_rate == pytest.approx(1 - 2 * 11 / (11 + 17))
    assert scores.lowest_alignment_error_rate == scores.alignment_error_rate
    # Content words leave NOT's "did" and "not" out, with their link each.
    content = alignment_quality.alignment_scores(
        _perfect_weights(pairs), pairs, hand_data, content_only=True
    )
    assert (content.tokens, content.gold_links, content.correct) == (9, 15, 9)
    assert content.alignment_error_rate == pytest.approx(1 - 2 * 9 / (9 + 15))


def test_scores_in_the_english_to_chinese_direction():
    data = _data([ATE], "en-zh")
    # Rows 我 吃 了 苹 果 。, columns i ate apples .; 了 looks at "i": wrong.
    weights = np.eye(4)[[0, 1, 0, 2, 2, 3]]
    scores = alignment_quality.alignment_scores([weights], [ATE], data)
    assert (scores.tokens, scores.gold_links, scores.correct) == (5, 5, 4)
    assert scores.alignment_error_rate == pytest.approx(1 - 2 * 4 / (5 + 5))


def test_diagonal_weights_by_hand():
    # T = 3, S = 5: floor((j + 0.5) * 5 / 3) = floor(0.83, 2.5, 4.17) = 0, 2, 4.
    np.testing.assert_array_equal(
        alignment_quality.diagonal_weights(3, 5), np.eye(5)[[0, 2, 4]]
    )
    # T = 5, S = 2: floor(0.2, 0.6, 1.0, 1.4, 1.8); the middle row is on a border.
    np.testing.assert_array_equal(
        alignment_quality.diagonal_weights(5, 2), np.eye(2)[[0, 0, 1, 1, 1]]
    )
    np.testing.assert_array_equal(alignment_quality.diagonal_weights(4, 4), np.eye(4))
    with pytest.raises(ValueError, match="source_length.*Received: source_length=0"):
        alignment_quality.diagonal_weights(3, 0)
    with pytest.raises(TypeError, match="target_length"):
        alignment_quality.diagonal_weights(2.5, 3)


def test_the_diagonal_is_right_on_a_monotone_pair(hand_data):
    # I slept. / 我 睡 觉 了 。: rows go to 我, 觉, 。 (see the case above).
    weights = alignment_quality.diagonal_weights(3, 5)
    scores = alignment_quality.alignment_scores([weights], [SLEEP], hand_data)
    assert (scores.tokens, scores.gold_links, scores.correct) == (2, 4, 2)
    assert scores.alignment_error_rate == pytest.approx(1 - 2 * 2 / (2 + 4))


@pytest.fixture(scope="module")
def toy():
    """A couple of dozen toy test pairs and the data of their direction."""
    sizes = {"train_pairs": 24, "eval_pairs": 24, "max_words": 12}
    data = translation_data.toy_data(**sizes)
    # toy_data draws its splits exactly so; it keeps only their texts.
    pairs = toy_grammar.toy_splits(24, 24, 24, max_words=12)["test"]
    assert data.splits["test"] == [(pair.chinese, pair.english) for pair in pairs]
    return pairs, data


def test_the_diagonal_on_toy_pairs_is_partly_right(toy):
    pairs, data = toy
    weights = [
        alignment_quality.diagonal_weights(len(targets), len(sources))
        for sources, targets, _ in map(alignment_quality.gold_links, pairs)
    ]
    scores = alignment_quality.alignment_scores(weights, pairs, data)
    assert scores.tokens > 50
    assert 0 < scores.agreement < 1
    assert 0 < scores.alignment_error_rate < 1
    perfect = alignment_quality.alignment_scores(_perfect_weights(pairs), pairs, data)
    assert perfect.agreement == 1.0 and perfect.tokens == scores.tokens
    assert perfect.gold_links > perfect.tokens  # So the AER stays above 0.
    expected = 1 - 2 * perfect.tokens / (perfect.tokens + perfect.gold_links)
    assert perfect.alignment_error_rate == pytest.approx(expected)
    assert 0 < expected < scores.alignment_error_rate


class PointingModel:
    """Attention known in advance: step `t`, after reading decoder input `x`, puts
    all its weight on source position `(x + t) % n`, `n` the real source length.

    Padding columns, the steps after the sentence and the step that produces
    `[END]` (the last real decoder input) get NaN: any that is kept shows.
    """

    def __init__(self):
        self.batch_sizes = []

    def attention_weights(self, inputs):
        source_ids, decoder_input_ids = (np.asarray(x) for x in inputs)
        self.batch_sizes.append(len(source_ids))
        batch, steps = decoder_input_ids.shape
        weights = np.full((batch, steps, source_ids.shape[1]), np.nan)  # (B, T, S)
        source_lengths = np.count_nonzero(source_ids, axis=1)
        end_steps = np.count_nonzero(decoder_input_ids, axis=1) - 1
        for row in range(batch):
            for step in range(end_steps[row]):
                length = source_lengths[row]
                position = (decoder_input_ids[row, step] + step) % length
                weights[row, step, :length] = np.eye(length)[position]
        return tf.constant(weights)  # A tensor, as a Keras model returns.


def test_teacher_forced_attention_keeps_each_reference_token_row(toy):
    pairs, data = toy
    model = PointingModel()
    weights = alignment_quality.teacher_forced_attention(
        model, pairs, data, batch_size=5
    )
    assert model.batch_sizes == [5, 5, 5, 5, 4]
    assert len(weights) == len(pairs)
    shapes = set()
    for pair, kept in zip(pairs, weights, strict=True):
        sources, targets, _ = alignment_quality.gold_links(pair)
        assert kept.shape == (len(targets), len(sources))
        shapes.add(kept.shape)
        # Row j produces target token j after reading [START] y_1 ... y_j.
        decoder_inputs = [START_ID, *data.target_tokenizer.encode(pair.english)]
        positions = [
            (token + step) % len(sources)
            for step, token in enumerate(decoder_inputs[: len(targets)])
        ]
        np.testing.assert_array_equal(kept, np.eye(len(sources))[positions])
    assert len(shapes) > 10  # Lengths differ within every batch: padding was cut.
    scores = alignment_quality.alignment_scores(weights, pairs, data)
    assert scores.sentences == 24 and 0 <= scores.agreement <= 1


def test_teacher_forced_attention_from_english_to_chinese():
    data = _data([ATE, NOT], "en-zh")
    weights = alignment_quality.teacher_forced_attention(
        PointingModel(), [ATE, NOT], data, batch_size=2
    )
    # Rows: the Chinese characters; columns: the English words, "." included.
    assert [w.shape for w in weights] == [(6, 4), (4, 5)]
    scores = alignment_quality.alignment_scores(weights, [ATE, NOT], data)
    assert scores.tokens == 5 + 3  # Every character but 。.


def test_alignment_table_names_the_sentences(hand_data):
    pairs = [ATE, SLEEP]
    model = alignment_quality.alignment_scores(
        _perfect_weights(pairs), pairs, hand_data
    )
    diagonal = alignment_quality.alignment_scores(
        [alignment_quality.diagonal_weights(4, 6), np.eye(5)[[0, 2, 4]]],
        pairs,
        hand_data,
    )
    table = alignment_quality.alignment_table({"additive": model, "diagonal": diagonal})
    lines = table.splitlines()
    assert "2 toy sentences" in lines[0] and lines[1].split() == [
        "agreement",
        "AER",
        "tokens",
    ]
    # Perfect: 5 tokens, 1 + 2 + 2 + 1 + 3 = 9 links, AER 1 - 10/14 = 28.6%.
    assert lines[2].split() == ["additive", "100.0%", "28.6%", "5"]
    # Diagonal on ATE: (2j + 1) * 6 // 8 = 0, 2, 3, 5: 我, 了, 苹, 。: all right.
    assert lines[3].split() == ["diagonal", "100.0%", "28.6%", "5"]
    single = alignment_quality.alignment_scores(
        [_perfect_weights([ATE])[0]], [ATE], hand_data
    )
    with pytest.raises(ValueError, match="same sentences.*'a' 2, 'b' 1"):
        alignment_quality.alignment_table({"a": model, "b": single})
    with pytest.raises(ValueError, match="at least one"):
        alignment_quality.alignment_table({})
    with pytest.raises(TypeError, match="Received for 'a': dict"):
        alignment_quality.alignment_table({"a": {"agreement": 1.0}})


def test_bad_weights_are_refused_with_the_pair_named(hand_data):
    weights = _perfect_weights([ATE, NOT])
    with pytest.raises(
        ValueError, match=r"pair 1 .* \(5, 4\). Received: shape \(4, 4\)"
    ):
        alignment_quality.alignment_scores(
            [weights[0], weights[1][:4]], [ATE, NOT], hand_data
        )
    weights[0][2, 1] = np.nan
    with pytest.raises(ValueError, match="pair 0 must be finite.*1 NaN"):
        alignment_quality.alignment_scores(weights, [ATE, NOT], hand_data)
    with pytest.raises(ValueError, match="1 arrays for 2 pairs"):
        alignment_quality.alignment_scores(weights[:1], [ATE, NOT], hand_data)
    with pytest.raises(TypeError, match="ToyPair.*Received at index 0: tuple"):
        alignment_quality.alignment_scores(weights[:1], [("我", "I")], hand_data)
    # A toy word the tokenizer splits in two: the tokens would not match.
    split = ToyPair(("I", "look for", "it", "."), ("我", "找", "它", "。"), ())
    with pytest.raises(ValueError, match="target tokenizer splits pair 0"):
        alignment_quality.alignment_scores([np.ones((4, 4))], [split], hand_data)


def test_models_without_attention_or_with_wrong_shapes_are_refused(hand_data):
    with pytest.raises(TypeError, match="attention_weights.*Received: object"):
        alignment_quality.teacher_forced_attention(object(), [ATE], hand_data)

    class WrongShape:
        def attention_weights(self, inputs):
            source_ids, decoder_input_ids = inputs
            return np.zeros((*decoder_input_ids.shape, source_ids.shape[1] + 1))

    with pytest.raises(ValueError, match=r"\(1, 5, 6\) .* Received: shape \(1, 5, 7\)"):
        alignment_quality.teacher_forced_attention(WrongShape(), [ATE], hand_data)
