"""Tests of chapter 5's training pieces: the warm-up schedule and the
label-smoothed loss."""

import keras
import numpy as np
import pytest

from chapters.ch05_transformer.training import (
    CheckpointAverage,
    LabelSmoothedLoss,
    WarmupSchedule,
    average_weights,
)
from chapters.common.metrics import masked_loss

to_numpy = keras.ops.convert_to_numpy


def test_schedule_by_hand():
    schedule = WarmupSchedule(d_model=16, warmup_steps=4)
    # 16^-0.5 = 0.25 and 4^-1.5 = 0.125. Iterations count from 0, steps from 1.
    expected = {
        0: 0.25 * min(1.0, 1 * 0.125),  # step 1: 0.03125
        2: 0.25 * min(3**-0.5, 3 * 0.125),  # step 3: still warming up
        3: 0.25 * min(4**-0.5, 4 * 0.125),  # step 4 = warmup_steps: the peak, 0.125
        15: 0.25 * 16**-0.5,  # step 16: decaying, 0.0625
    }
    for iterations, rate in expected.items():
        assert float(schedule(iterations)) == pytest.approx(rate, rel=1e-6)


def test_schedule_rises_until_warmup_then_falls():
    schedule = WarmupSchedule(d_model=64, warmup_steps=10)
    rates = np.array([float(schedule(i)) for i in range(40)])
    peak = int(np.argmax(rates))
    assert peak == 9  # iterations 9 is step 10
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:]) < 0)


def test_schedule_survives_saving_with_the_optimizer():
    schedule = WarmupSchedule(d_model=32, warmup_steps=7)
    copy = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(schedule)
    )
    assert isinstance(copy, WarmupSchedule)
    assert copy.get_config() == {"d_model": 32, "warmup_steps": 7}
    optimizer = keras.optimizers.Adam(schedule)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    # Before any step, the rate an optimizer reports is the schedule's first one.
    assert float(restored.learning_rate) == pytest.approx(float(schedule(0)))
    with pytest.raises(ValueError, match="warmup_steps must be a positive integer"):
        WarmupSchedule(8, warmup_steps=0)


def random_batch(seed=0, vocabulary=7):
    random = np.random.default_rng(seed)
    logits = random.normal(size=(2, 4, vocabulary)).astype("float32") * 3
    targets = np.array([[3, 1, 6, 0], [2, 5, 0, 0]])  # 0 is padding
    return targets, logits


def test_without_smoothing_it_is_the_masked_loss():
    targets, logits = random_batch()
    np.testing.assert_allclose(
        float(LabelSmoothedLoss(0.0)(targets, logits)),
        float(masked_loss(targets, logits)),
        rtol=1e-6,
    )


def test_smoothing_equals_keras_categorical_crossentropy_on_real_tokens():
    targets, logits = random_batch(seed=1)
    real = targets != 0
    keras_loss = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1
    )
    one_hot = np.eye(7, dtype="float32")[targets[real]]
    expected = float(keras_loss(one_hot, logits[real]))
    assert float(LabelSmoothedLoss(0.1)(targets, logits)) == pytest.approx(
        expected, rel=1e-5
    )


def test_padding_logits_change_nothing_and_certainty_is_penalized():
    targets, logits = random_batch(seed=2)
    changed = logits.copy()
    changed[targets == 0] = 1e4
    loss = LabelSmoothedLoss(0.2)
    assert float(loss(targets, changed)) == pytest.approx(float(loss(targets, logits)))
    # Perfectly confident, right logits: zero masked loss, but not smoothed loss.
    confident = np.where(np.eye(7)[targets] > 0, 50.0, -50.0).astype("float32")
    assert float(masked_loss(targets, confident)) == pytest.approx(0.0, abs=1e-6)
    assert float(loss(targets, confident)) > 1.0


def test_loss_config_round_trip_and_bad_smoothing():
    loss = LabelSmoothedLoss(0.15)
    assert LabelSmoothedLoss.from_config(loss.get_config()).smoothing == 0.15
    with pytest.raises(ValueError, match=r"smoothing must be in \[0, 1\)"):
        LabelSmoothedLoss(1.0)


def test_average_weights_by_hand_and_bad_snapshots():
    first = [np.array([1.0, -2.0]), np.array([[4.0]])]
    second = [np.array([2.0, 7.0]), np.array([[-1.0]])]
    third = [np.array([6.0, 1.0]), np.array([[0.5]])]
    mean = average_weights([first, second, third])
    np.testing.assert_allclose(mean[0], [3.0, 2.0])
    np.testing.assert_allclose(mean[1], [[3.5 / 3]])
    with pytest.raises(ValueError, match="at least one"):
        average_weights([])
    with pytest.raises(ValueError, match="same weights"):
        average_weights([first, [np.zeros(3), np.zeros((1, 1))]])


def _fit_with_average(last, epochs):
    """A small regression model trained `epochs` epochs (one batch each, with a
    rate high enough that every epoch moves the weights), its weights at every
    epoch end, and the averager."""
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ np.array([[2.0], [-1.0], [0.5]]) + 0.3).astype("float32")
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.SGD(0.05), "mse")
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.get_weights())
    )
    averager = CheckpointAverage(last)
    model.fit(
        x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=[record, averager]
    )
    return model, seen, averager


def test_checkpoint_average_keeps_the_mean_of_the_last_epochs():
    model, seen, averager = _fit_with_average(last=3, epochs=5)
    expected = [np.mean(np.stack(w), axis=0) for w in zip(*seen[-3:], strict=True)]
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # Not the mean of every epoch, nor of a window shifted by one.
    for window in (seen, seen[-4:-1], seen[-4:]):
        wrong = [np.mean(np.stack(w), axis=0) for w in zip(*window, strict=True)]
        assert (
            max(
                np.abs(g - w).max()
                for g, w in zip(model.get_weights(), wrong, strict=True)
            )
            > 1e-4
        )
    for got, want in zip(averager.final_weights, seen[-1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_checkpoint_average_of_one_epoch_or_a_short_run():
    model, seen, _ = _fit_with_average(last=1, epochs=3)
    for got, want in zip(model.get_weights(), seen[-1], strict=True):
        np.testing.assert_array_equal(got, want)
    model, seen, averager = _fit_with_average(last=5, epochs=2)
    assert len(averager.snapshots) == 2
    expected = [np.mean(np.stack(w), axis=0) for w in zip(*seen, strict=True)]
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="last"):
        CheckpointAverage(0)
