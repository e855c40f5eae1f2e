"""Tests of chapter 6's data parallelism (`ch06_beyond_the_notebook/distributed.py`).

The CPU can be split into logical devices only before TensorFlow sets its devices
up, which this test process has done long before; so the two-replica checks run
in fresh processes (`distributed_step_check.py` for `tf.distribute`,
`keras_data_parallel_check.py` for Keras' distribution API on JAX), once each,
and report JSON that the tests below read.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from chapters.ch05_transformer.training import LabelSmoothedLoss
from chapters.ch06_beyond_the_notebook import distributed
from chapters.common.metrics import masked_loss

TESTS = pathlib.Path(__file__).resolve().parent
# One SGD step of rate 1 moves weights by up to about 0.26 (the check reports
# `largest_update`); two replicas done right differ from one device by float32
# rounding (1.2e-7 measured), done wrong by about 0.09.
TOLERANCE = 1e-5


def run_check(script, **environment):
    """Runs a check script in a fresh Python process; its last line's JSON."""
    completed = subprocess.run(
        [sys.executable, str(TESTS / script)],
        cwd=TESTS.parent,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent), **environment},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_replicas():
    return run_check("distributed_step_check.py")


def test_the_two_halves_hold_different_numbers_of_tokens(two_replicas):
    short, long = two_replicas["real_tokens"]
    assert two_replicas["devices"] == ["/device:CPU:0", "/device:CPU:1"]
    assert long > 2 * short


def test_two_replicas_make_the_single_device_step(two_replicas):
    differences = two_replicas["max_difference"]
    assert differences["global_tokens"] < TOLERANCE
    assert differences["global_tokens_xla"] < TOLERANCE
    assert two_replicas["largest_update"] > 1000 * TOLERANCE


def test_the_mean_of_replica_means_is_a_different_step(two_replicas):
    assert two_replicas["max_difference"]["replica_means"] > 100 * TOLERANCE


def test_fit_on_one_replica_is_our_single_device_step(two_replicas):
    assert two_replicas["max_difference"]["fit_one_replica"] < TOLERANCE


def test_fit_on_two_replicas_steps_twice_the_mean_of_replica_means(two_replicas):
    """The module docstring's reading of Keras' sources, measured: with a loss
    that returns a scalar, `fit` divides by nothing and the optimizer sums."""
    ratio = two_replicas["fit_two_replicas_over_replica_means"]
    assert ratio["weights_compared"] > 1000
    assert ratio["median"] == pytest.approx(2.0, abs=1e-3)
    assert ratio["spread"] < 1e-2
    # Its reported loss is doubled too: near twice our global token mean.
    ours = np.mean(two_replicas["trained"]["losses"])
    assert 1.8 < two_replicas["fitted"][0] / ours < 2.2


def test_global_batches_split_evenly_across_replicas(two_replicas):
    sizes = two_replicas["replica_batch_sizes"]
    full = [split for split in sizes if sum(split) == 6]
    assert full and all(split == [3, 3] for split in full)
    # A bucket's last, smaller batch: as even as it goes, the first one first.
    assert any(sum(split) < 6 for split in sizes)
    assert all(0 <= split[0] - split[1] <= 1 for split in sizes)


def test_train_on_strategy_runs_compiled_steps(two_replicas):
    trained = two_replicas["trained"]
    assert trained["replicas"] == 2 and trained["steps_timed"] == 3
    assert np.all(np.isfinite(trained["losses"]))


def test_logical_devices_too_late_say_what_to_do(two_replicas):
    assert "came too late" in two_replicas["too_late_error"]
    assert "Restart the kernel" in two_replicas["too_late_error"]
    assert two_replicas["same_count_again"] == two_replicas["devices"]


def test_logical_devices_too_late_in_this_process():
    already = len(tf.config.list_logical_devices("CPU"))
    assert distributed.use_logical_cpu_devices(already) == [
        device.name for device in tf.config.list_logical_devices("CPU")
    ]
    with pytest.raises(RuntimeError, match="Restart the kernel"):
        distributed.use_logical_cpu_devices(already + 1)
    with pytest.raises(ValueError, match="count=0"):
        distributed.use_logical_cpu_devices(0)


def test_token_loss_sum_by_hand():
    """Zero logits over V words: every real token costs log V, smoothed or not."""
    targets = tf.constant([[4, 2, 0, 0], [1, 3, 2, 0]])  # 5 real tokens
    logits = tf.zeros((2, 4, 6))
    for loss in (masked_loss, LabelSmoothedLoss(0.1)):
        total, tokens = distributed.token_loss_sum(loss, targets, logits)
        assert float(tokens) == 5.0
        assert float(total) == pytest.approx(5 * np.log(6), rel=1e-6)


def test_token_loss_sum_refuses_a_per_token_loss():
    targets = tf.constant([[4, 2, 0]])
    per_token = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=0
    )
    with pytest.raises(ValueError, match="a scalar"):
        distributed.token_loss_sum(per_token, targets, tf.zeros((1, 3, 6)))


def test_token_loss_sum_with_label_smoothing_against_numpy():
    targets = np.array([[4, 2, 5, 0], [1, 0, 0, 0]])
    logits = np.random.default_rng(0).normal(size=(2, 4, 6)).astype("float32")
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    smoothing = 0.2
    token_losses = -(1 - smoothing) * np.take_along_axis(log_p, targets[..., None], -1)[
        ..., 0
    ] - smoothing * log_p.mean(-1)
    expected = token_losses[targets != 0].sum()
    total, tokens = distributed.token_loss_sum(
        LabelSmoothedLoss(smoothing), tf.constant(targets), tf.constant(logits)
    )
    assert float(tokens) == 4.0
    assert float(total) == pytest.approx(expected, rel=1e-5)


def test_the_step_refuses_what_it_cannot_train():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.ops.one_hot(inputs, 3)))
    with pytest.raises(ValueError, match="compiled model"):
        distributed.make_distributed_train_step(strategy, model)
    model.compile(optimizer="sgd", loss=masked_loss)
    with pytest.raises(ValueError, match="strategy.scope"):
        distributed.make_distributed_train_step(strategy, model)
    with pytest.raises(ValueError, match="loss_scaling='mean'"):
        distributed.make_distributed_train_step(strategy, model, loss_scaling="mean")


def test_keras_distribution_needs_jax():
    if keras.backend.backend() == "jax":
        pytest.skip("This process runs on JAX.")
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=jax"):
        distributed.keras_data_parallel()


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed."
)
def test_keras_data_parallel_on_two_jax_devices_makes_the_single_device_step():
    """Keras' DataParallel shards the batch and mirrors the weights; one fit
    step on two devices is the single-device step, with no loss to rescale."""
    results = run_check(
        "keras_data_parallel_check.py",
        KERAS_BACKEND="jax",
        JAX_PLATFORMS="cpu",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    assert results["backend"] == "jax"
    assert len(results["devices"]) == 2
    assert results["weight_devices"] == 2
    assert results["batch_layout"] == ["batch", None]
    assert results["max_difference"] < TOLERANCE
    assert results["largest_update"] > 1000 * TOLERANCE
    assert "divisible by 2" in results["odd_batch_error"]
