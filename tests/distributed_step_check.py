"""One training step on two logical CPU devices against one step on one device.

Run by `tests/test_ch06_distributed.py` in a fresh Python process, because the CPU
can be split into logical devices only before TensorFlow sets its devices up.
Prints one JSON object (the last line of its output):

- `max_difference`: the largest weight difference, after one step from the same
  weights on the same global batch, between each two-replica way and one device
  (`global_tokens`, `replica_means`, `global_tokens_xla`), and between Keras'
  `fit` on one replica and our step on one device (`fit_one_replica`);
- `fit_two_replicas_over_replica_means`: `fit`'s update on two replicas divided
  by our `replica_means` update (its median and its spread);
- `real_tokens`: the real target tokens of each half of the global batch;
- `replica_batch_sizes`: how a distributed dataset cut every batch of 6;
- `trained` and `fitted`: three XLA-compiled steps of `train_on_strategy` and an
  epoch of `fit_on_strategy` on two replicas (their losses);
- `too_late_error` and `same_count_again`: `use_logical_cpu_devices` after
  TensorFlow has started.
"""

import dataclasses
import json
import warnings

from chapters.ch06_beyond_the_notebook import distributed

DEVICES = distributed.use_logical_cpu_devices(2)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from chapters.ch05_transformer.experiments import build_transformer  # noqa: E402
from chapters.ch05_transformer.model import PRESETS  # noqa: E402
from chapters.ch05_transformer.training import LabelSmoothedLoss  # noqa: E402
from chapters.common.pipeline import make_dataset  # noqa: E402
from chapters.common.translation_data import toy_data  # noqa: E402

LEARNING_RATE = 1.0
HALF = 3


def global_batch(data):
    """The 3 pairs with the shortest and the 3 with the longest targets, in that
    order: the two replicas' halves hold very different numbers of real tokens."""
    pairs = sorted(data.splits["train"], key=lambda pair: len(pair[1].split()))
    chosen = pairs[:HALF] + pairs[-HALF:]
    return make_dataset(chosen, data.source_tokenizer, data.target_tokenizer, 2 * HALF)


def build(data, strategy, weights):
    """The seeded ci Transformer in `strategy`'s scope, with plain SGD and
    label smoothing, starting from `weights`."""
    config = dataclasses.replace(PRESETS["ci"], dropout=0.0)
    with strategy.scope():
        model = build_transformer(data, config)
        model.compile(
            optimizer=keras.optimizers.SGD(LEARNING_RATE),
            loss=LabelSmoothedLoss(0.1),
        )
        if weights is not None:
            model.set_weights(weights)
    return model


def step_with(data, strategy, weights, dataset, **options):
    model = build(data, strategy, weights)
    train_step = distributed.make_distributed_train_step(strategy, model, **options)
    for batch in strategy.experimental_distribute_dataset(dataset):
        train_step(batch)
    return model.get_weights()


def fit_with(data, strategy, weights, dataset):
    model = build(data, strategy, weights)
    model.fit(dataset, epochs=1, verbose=0)
    return model.get_weights()


def largest_difference(left, right):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(left, right, strict=True))


def main():
    keras.utils.set_random_seed(0)
    data = toy_data(48, 4, max_words=14)
    one_device = tf.distribute.MirroredStrategy(DEVICES[:1])
    two_replicas = tf.distribute.MirroredStrategy(DEVICES)
    initial = build(data, one_device, None).get_weights()
    dataset = global_batch(data)
    (_, _), targets = next(iter(dataset))
    real_tokens = np.sum(targets.numpy() != 0, axis=1)

    reference = step_with(data, one_device, initial, dataset)
    two_replica_weights = {
        "global_tokens": step_with(data, two_replicas, initial, dataset),
        "replica_means": step_with(
            data, two_replicas, initial, dataset, loss_scaling="replica_means"
        ),
        "global_tokens_xla": step_with(
            data, two_replicas, initial, dataset, jit_compile=True
        ),
    }
    max_difference = {
        name: largest_difference(weights, reference)
        for name, weights in two_replica_weights.items()
    }
    max_difference["fit_one_replica"] = largest_difference(
        fit_with(data, one_device, initial, dataset), reference
    )
    fit_update = np.concatenate(
        [
            (after - before).ravel()
            for after, before in zip(
                fit_with(data, two_replicas, initial, dataset), initial, strict=True
            )
        ]
    )
    means_update = np.concatenate(
        [
            (after - before).ravel()
            for after, before in zip(
                two_replica_weights["replica_means"], initial, strict=True
            )
        ]
    )
    moved = np.abs(means_update) > 1e-4
    ratios = fit_update[moved] / means_update[moved]

    # Buckets leave last batches of fewer than 6: how is each batch cut?
    sizes = []
    for (_, _), batch_targets in distributed.distributed_batches(
        two_replicas, data, 6, shuffle=False, bucket_boundaries=[6, 10]
    ):
        sizes.append(distributed.replica_batch_sizes(two_replicas, batch_targets))
    config = PRESETS["ci"]
    trained = distributed.train_on_strategy(
        two_replicas, data, config, 8, steps=3, jit_compile=True
    )
    _, fitted = distributed.fit_on_strategy(two_replicas, data, config, 8)

    try:
        distributed.use_logical_cpu_devices(3)
        too_late_error = None
    except RuntimeError as error:
        too_late_error = str(error)
    print(
        json.dumps(
            {
                "devices": DEVICES,
                "real_tokens": [
                    int(real_tokens[:HALF].sum()),
                    int(real_tokens[HALF:].sum()),
                ],
                "max_difference": max_difference,
                "largest_update": float(np.max(np.abs(means_update))),
                "fit_two_replicas_over_replica_means": {
                    "median": float(np.median(ratios)),
                    "spread": float(np.max(np.abs(ratios - np.median(ratios)))),
                    "weights_compared": int(moved.sum()),
                },
                "replica_batch_sizes": sizes,
                "trained": {
                    "losses": trained.losses,
                    "steps_timed": len(trained.step_seconds),
                    "replicas": trained.replicas,
                },
                "fitted": fitted["loss"],
                "too_late_error": too_late_error,
                "same_count_again": distributed.use_logical_cpu_devices(2),
            }
        )
    )


if __name__ == "__main__":
    # tf.data cannot count a filtered dataset's batches ahead, and `fit` says so.
    warnings.filterwarnings("ignore", message="Your input ran out of data")
    main()
