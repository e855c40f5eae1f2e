"""Tests of the masked loss and accuracy and of BLEU, against hand-computed values."""

import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.common.metrics import (
    MaskedAccuracy,
    corpus_bleu,
    masked_accuracy,
    masked_loss,
    sentence_bleu,
)
from chapters.common.vocabulary import PAD_ID


def test_padding_id_is_zero():
    # The hand-computed cases below write padding as 0.
    assert PAD_ID == 0


def test_masked_loss_by_hand():
    # Three real tokens: two predicted from uniform logits over 3 classes (ln 3
    # each), one from logits [ln 2, ln 2, 0] so p(class 1) = 2 / 5. The padding
    # positions carry logits that would cost a lot if they were counted.
    y_true = np.array([[2, 1, 0], [1, 0, 0]])
    y_pred = np.array(
        [
            [[0.0, 0.0, 0.0], [math.log(2), math.log(2), 0.0], [0.0, 0.0, 9.0]],
            [[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 9.0]],
        ],
        dtype="float32",
    )
    # Token-weighted: every real token counts once, whichever sentence it is in.
    expected = (math.log(3) + math.log(5 / 2) + math.log(3)) / 3
    loss = masked_loss(y_true, y_pred)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    np.testing.assert_allclose(float(loss), expected, rtol=1e-6)


def random_batch(seed=0, batch=4, length=7, vocabulary=11):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(1, vocabulary, size=(batch, length))
    lengths = rng.integers(1, length + 1, size=batch)
    lengths[0] = length  # One sentence without padding, the rest padded.
    y_true[np.arange(length)[None, :] >= lengths[:, None]] = PAD_ID
    y_pred = rng.normal(scale=3.0, size=(batch, length, vocabulary)).astype("float32")
    return y_true, y_pred


def test_masked_loss_matches_keras_ignore_class():
    y_true, y_pred = random_batch()
    assert (y_true == PAD_ID).any()
    builtin = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=PAD_ID
    )
    np.testing.assert_allclose(
        float(masked_loss(y_true, y_pred)), float(builtin(y_true, y_pred)), rtol=1e-5
    )


def test_masked_loss_ignores_what_is_predicted_at_padding():
    y_true, y_pred = random_batch(seed=1)
    changed = y_pred.copy()
    changed[y_true == PAD_ID] = 100.0
    np.testing.assert_allclose(
        float(masked_loss(y_true, changed)), float(masked_loss(y_true, y_pred))
    )


@pytest.mark.parametrize("bad_value", [np.inf, -np.inf, np.nan])
def test_non_finite_logits_at_padding_change_neither_loss_nor_gradient(bad_value):
    # Multiplying by the mask would give 0 * inf = NaN; Keras' own loss with
    # ignore_class stays finite there, and so must ours.
    y_true, y_pred = random_batch(seed=7)
    broken = y_pred.copy()
    broken[y_true == PAD_ID] = bad_value
    expected = float(masked_loss(y_true, y_pred))
    np.testing.assert_allclose(float(masked_loss(y_true, broken)), expected, 1e-6)
    builtin = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=PAD_ID
    )
    np.testing.assert_allclose(float(builtin(y_true, broken)), expected, 1e-5)

    logits = tf.Variable(broken)
    with tf.GradientTape() as tape:
        loss = masked_loss(y_true, logits)
    gradient = tape.gradient(loss, logits).numpy()
    assert np.isfinite(gradient).all()
    assert (gradient[y_true == PAD_ID] == 0).all()


def test_targets_with_a_trailing_axis_give_the_same_values():
    y_true, y_pred = random_batch(seed=2)
    for metric in (masked_loss, masked_accuracy):
        np.testing.assert_allclose(
            float(metric(y_true[..., None], y_pred)), float(metric(y_true, y_pred))
        )


def test_masked_accuracy_by_hand_and_against_numpy():
    # Predictions 2, 1, 0, 1 (arg-max); targets 2, 2, PAD, 1: two of three right.
    y_true = np.array([[2, 2], [PAD_ID, 1]])
    y_pred = np.array([[[0, 1, 5], [0, 4, 1]], [[3, 0, 0], [0, 2, 1]]], "float32")
    np.testing.assert_allclose(float(masked_accuracy(y_true, y_pred)), 2 / 3)

    y_true, y_pred = random_batch(seed=3)
    real = y_true != PAD_ID
    expected = (y_pred.argmax(axis=-1) == y_true)[real].mean()
    np.testing.assert_allclose(float(masked_accuracy(y_true, y_pred)), expected)


def test_a_batch_of_padding_gives_zero_not_nan():
    y_true = np.zeros((2, 3), dtype="int64")
    y_pred = np.ones((2, 3, 5), dtype="float32")
    assert float(masked_loss(y_true, y_pred)) == 0.0
    assert float(masked_accuracy(y_true, y_pred)) == 0.0


def test_mixed_precision_logits_give_a_float32_loss():
    y_true, y_pred = random_batch(seed=4)
    loss = masked_loss(y_true, y_pred.astype("float16"))
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    np.testing.assert_allclose(float(loss), float(masked_loss(y_true, y_pred)), 1e-2)


def tiny_model(mask_zero, vocabulary=9):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(vocabulary, 8, mask_zero=mask_zero)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(vocabulary)(embedded))
    model.compile(optimizer="adam", loss=masked_loss, metrics=[MaskedAccuracy()])
    return model


@pytest.mark.parametrize("mask_zero", [False, True])
def test_compiled_model_reports_the_masked_values_and_reloads(tmp_path, mask_zero):
    # With mask_zero=True the outputs carry a Keras mask, which compile() also
    # applies; the reported numbers must still be the means over real tokens.
    y_true, _ = random_batch(seed=5, batch=6, length=5, vocabulary=9)
    model = tiny_model(mask_zero)
    model.fit(y_true, y_true, epochs=2, batch_size=6, verbose=0)

    logits = model.predict(y_true, verbose=0)
    loss, accuracy = model.evaluate(y_true, y_true, batch_size=6, verbose=0)
    np.testing.assert_allclose(loss, float(masked_loss(y_true, logits)), rtol=1e-5)
    np.testing.assert_allclose(accuracy, float(masked_accuracy(y_true, logits)))

    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(reloaded.predict(y_true, verbose=0), logits)
    assert reloaded.evaluate(y_true, y_true, batch_size=6, verbose=0) == [
        loss,
        accuracy,
    ]


def test_accuracy_over_batches_of_a_masked_model_counts_every_token_once():
    y_true, _ = random_batch(seed=6, batch=6, length=5, vocabulary=9)
    model = tiny_model(mask_zero=True)
    logits = model(y_true)
    real = y_true != PAD_ID
    expected = (np.argmax(logits, axis=-1) == y_true)[real].mean()
    np.testing.assert_allclose(float(masked_accuracy(y_true, logits)), expected, 1e-6)
    # Batches of 2 sentences hold different numbers of real tokens.
    _, accuracy = model.evaluate(y_true, y_true, batch_size=2, verbose=0)
    np.testing.assert_allclose(accuracy, expected, rtol=1e-6)


def test_masked_accuracy_metric_by_hand():
    # Batch 1: 2 of 3 real tokens right. Batch 2, wider: 1 of 1 right, and a
    # right guess at padding that must not count. Overall 3 of 4, where the
    # mean of the two batch accuracies would be (2/3 + 1) / 2.
    metric = MaskedAccuracy()
    assert metric.name == "masked_accuracy"
    metric.update_state(
        np.array([[2, 2], [PAD_ID, 1]]),
        np.array([[[0, 1, 5], [0, 4, 1]], [[3, 0, 0], [0, 2, 1]]], "float32"),
    )
    metric.update_state(
        np.array([[1, PAD_ID, PAD_ID]]),
        np.array([[[0, 9, 0], [9, 0, 0], [9, 0, 0]]], "float32"),
    )
    np.testing.assert_allclose(float(metric.result()), 3 / 4)
    # Sentence weights multiply the padding mask: the first batch counted twice.
    metric.reset_state()
    metric.update_state(
        np.array([[2, 2], [PAD_ID, 1]]),
        np.array([[[0, 1, 5], [0, 4, 1]], [[3, 0, 0], [0, 2, 1]]], "float32"),
        sample_weight=np.array([2.0, 0.0]),
    )
    np.testing.assert_allclose(float(metric.result()), 1 / 2)
    restored = MaskedAccuracy.from_config(metric.get_config())
    assert restored.name == "masked_accuracy"


def batches_of_different_widths():
    # Inputs and unrelated targets, padded alike; the batches differ in width
    # and in their number of real tokens.
    rng = np.random.default_rng(8)
    batches = []
    for width in (3, 9, 5, 7):
        inputs = rng.integers(1, 6, size=(4, width))
        targets = rng.integers(1, 6, size=(4, width))
        lengths = rng.integers(1, width + 1, size=4)
        padding = np.arange(width)[None, :] >= lengths[:, None]
        inputs[padding] = PAD_ID
        targets[padding] = PAD_ID
        batches.append((inputs, targets))
    return batches


@pytest.mark.parametrize("mask_zero", [False, True])
def test_reported_training_accuracy_is_the_token_accuracy(mask_zero):
    # What compile() does in Keras 3.13: it hands a metric *function* the mask
    # the logits carry (mask_zero=True) as (B, T) weights, which Keras' `Mean`
    # first averages per sentence over the padded width T, so that batches of
    # different widths weigh wrongly; without a mask, padding counts as tokens.
    # A metric *object* gets y_true and y_pred alone, and MaskedAccuracy finds
    # the padding in y_true, so it reports the true token accuracy both ways.
    batches = batches_of_different_widths()
    dataset = tf.data.Dataset.from_tensors(batches[0])
    for batch in batches[1:]:
        dataset = dataset.concatenate(tf.data.Dataset.from_tensors(batch))
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(6, 8, mask_zero=mask_zero)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(6)(embedded))
    # A learning rate of 0 keeps the weights, so training reports the accuracy
    # of the same model on every batch.
    model.compile(
        optimizer=keras.optimizers.SGD(0.0),
        loss=masked_loss,
        metrics=[MaskedAccuracy(), keras.metrics.SparseCategoricalAccuracy("keras")],
    )
    history = model.fit(dataset, epochs=1, verbose=0).history

    right, real = 0, 0
    for batch_inputs, batch_targets in batches:
        predictions = np.argmax(model.predict(batch_inputs, verbose=0), axis=-1)
        is_real = batch_targets != PAD_ID
        right += np.count_nonzero((predictions == batch_targets) & is_real)
        real += np.count_nonzero(is_real)
    np.testing.assert_allclose(history["masked_accuracy"][0], right / real, 1e-6)
    evaluated = model.evaluate(dataset, verbose=0, return_dict=True)
    np.testing.assert_allclose(evaluated["masked_accuracy"], right / real, 1e-6)
    assert abs(history["keras"][0] - right / real) > 0.01


def test_english_bleu_by_hand():
    # Hypothesis "the cat sat on the mat" (6 tokens) against "the cat sat on a
    # mat" (6 tokens). Clipped matches: 1-grams 5/6 ("the" twice but once in the
    # reference), 2-grams 3/5, 3-grams 2/4, 4-grams 1/3; equal lengths, so the
    # brevity penalty is 1.
    precisions = [5 / 6, 3 / 5, 2 / 4, 1 / 3]
    expected = 100 * math.prod(precisions) ** (1 / 4)
    score = corpus_bleu(["the cat sat on the mat"], ["the cat sat on a mat"])
    np.testing.assert_allclose(score.precisions, [100 * p for p in precisions])
    assert score.bp == 1.0
    np.testing.assert_allclose(score.score, expected)
    np.testing.assert_allclose(
        sentence_bleu("the cat sat on the mat", "the cat sat on a mat"), expected
    )


def test_corpus_bleu_pools_counts_and_applies_the_brevity_penalty():
    # Second pair: "the cat sat on the mat" against "the cat sat on the red
    # mat" (7 tokens) matches 6/6, 4/5, 3/4, 2/3. Pooled with the first pair:
    # 11/12, 7/10, 5/8, 3/6; 12 hypothesis tokens for 13 reference tokens, so
    # the brevity penalty is exp(1 - 13/12).
    expected = (
        100 * math.exp(1 - 13 / 12) * (11 / 12 * 7 / 10 * 5 / 8 * 3 / 6) ** (1 / 4)
    )
    score = corpus_bleu(
        ["the cat sat on the mat", "the cat sat on the mat"],
        ["the cat sat on a mat", "the cat sat on the red mat"],
    )
    assert (score.sys_len, score.ref_len) == (12, 13)
    np.testing.assert_allclose(score.score, expected)


def test_chinese_bleu_counts_characters():
    # The zh tokenizer splits "我很喜欢吃苹果" into 7 characters and the reference
    # "我喜欢吃苹果" into 6. Matches: 1-grams 6/7; 2-grams 喜欢 欢吃 吃苹 苹果 4/6;
    # 3-grams 3/5; 4-grams 2/4. The hypothesis is longer: no penalty.
    expected = 100 * (6 / 7 * 4 / 6 * 3 / 5 * 2 / 4) ** (1 / 4)
    score = corpus_bleu(["我很喜欢吃苹果"], ["我喜欢吃苹果"], target_language="zh")
    np.testing.assert_allclose(score.score, expected)
    # With English tokenization each sentence would be one "word" and share
    # nothing with the other; a warning says so.
    with pytest.warns(UserWarning, match="target_language='zh'"):
        assert corpus_bleu(["我很喜欢吃苹果"], ["我喜欢吃苹果"]).score == 0.0
    perfect = sentence_bleu("我爱你。", "我爱你。", target_language="zh")
    np.testing.assert_allclose(perfect, 100.0)


@pytest.mark.parametrize(
    ("hypotheses", "references", "language", "error", "match"),
    [
        (["a b"], ["a b", "c d"], "en", ValueError, "1 hypotheses and 2 references"),
        ([], [], "en", ValueError, "hypotheses is empty"),
        ("a b", ["a b"], "en", TypeError, "hypotheses must be a list"),
        (["a b"], [["a", "b"]], "en", TypeError, r"references\[0\] must be a string"),
        (["a b"], ["a b"], "fr", ValueError, "target_language must be one of"),
    ],
)
def test_corpus_bleu_rejects_bad_input(hypotheses, references, language, error, match):
    with pytest.raises(error, match=match):
        corpus_bleu(hypotheses, references, target_language=language)


@pytest.mark.parametrize(
    ("hypotheses", "references", "looks_chinese"),
    [
        (
            ["我很喜欢吃苹果。", "他走了。"],
            ["我喜欢吃苹果。", "他走了。"],
            "hypotheses",
        ),
        (["I like apples."] * 3, ["我喜欢苹果。", "他走了。", "Tom."], "references"),
        (["他走了。", "我爱你。", "Tom left."], ["He left."] * 3, "hypotheses"),
    ],
)
def test_chinese_scored_as_english_warns(hypotheses, references, looks_chinese):
    with pytest.warns(
        UserWarning, match=rf"in \d+ of \d+ {looks_chinese}.*look Chinese"
    ) as seen:
        corpus_bleu(hypotheses, references, target_language="en")
    message = str(seen[0].message)
    assert "target_language='zh'" in message
    assert "Received: target_language='en'" in message
    assert seen[0].filename == __file__  # It points at the call, not at metrics.


def test_sentence_bleu_of_chinese_as_english_warns():
    with pytest.warns(UserWarning, match="target_language='zh'"):
        sentence_bleu("我爱你。", "我爱你。")


def test_english_and_chinese_scored_right_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Names in Chinese script in a minority of English sentences are fine.
        mixed = corpus_bleu(
            ["Tom likes 北京.", "I left.", "I ran."], ["Tom likes Beijing."] * 3
        )
        assert 0 <= mixed.score < 100
        chinese = corpus_bleu(["我爱你。"], ["我爱你。"], target_language="zh")
        assert chinese.score == pytest.approx(100)
        assert sentence_bleu(
            "我爱你。", "我爱你。", target_language="zh"
        ) == pytest.approx(100)
        assert sentence_bleu("I love you.", "I love you.") == pytest.approx(100)


def test_sentence_bleu_rejects_token_lists():
    with pytest.raises(TypeError, match="hypothesis must be a string"):
        sentence_bleu(["a", "b"], "a b")
