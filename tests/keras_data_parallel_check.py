"""Keras' `DataParallel` on two CPU devices against one device, on the JAX backend.

Run by `tests/test_ch06_distributed.py` in a fresh Python process with
`KERAS_BACKEND=jax` and `XLA_FLAGS=--xla_force_host_platform_device_count=2`.
Prints one JSON object (the last line of its output): the devices, how the
weights and a batch are laid out, the largest weight difference between one
`fit` step on both devices and one on a single device (same weights, same global
batch, plain SGD, label smoothing), and the error a batch of 5 gives.
"""

import dataclasses
import json
import warnings

import keras
import numpy as np

from chapters.ch05_transformer.experiments import build_transformer
from chapters.ch05_transformer.model import PRESETS
from chapters.ch05_transformer.training import LabelSmoothedLoss
from chapters.ch06_beyond_the_notebook import distributed
from chapters.common.pipeline import make_dataset
from chapters.common.translation_data import toy_data


def build(data, weights):
    model = build_transformer(data, dataclasses.replace(PRESETS["ci"], dropout=0.0))
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss=LabelSmoothedLoss(0.1))
    if weights is not None:
        model.set_weights(weights)
    return model


def main():
    keras.utils.set_random_seed(0)
    data = toy_data(48, 4, max_words=14)
    # Short and long targets: the two devices' halves hold different token counts.
    pairs = sorted(data.splits["train"], key=lambda pair: len(pair[1].split()))
    chosen = pairs[:3] + pairs[-3:]
    tokenizers = (data.source_tokenizer, data.target_tokenizer)
    global_batch = make_dataset(chosen, *tokenizers, 6)

    single = build(data, None)
    initial = single.get_weights()
    single.fit(global_batch, verbose=0)

    distribution = distributed.keras_data_parallel()
    parallel = build(data, initial)
    weight_devices = len(parallel.trainable_variables[0].value.sharding.device_set)
    parallel.fit(global_batch, verbose=0)
    difference = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(single.get_weights(), parallel.get_weights(), strict=True)
    )
    try:
        parallel.fit(make_dataset(chosen[:5], *tokenizers, 5), verbose=0)
        odd_batch_error = None
    except ValueError as error:
        odd_batch_error = str(error)
    print(
        json.dumps(
            {
                "backend": keras.backend.backend(),
                "devices": keras.distribution.list_devices(),
                "weight_devices": weight_devices,
                "batch_layout": list(distribution.get_data_layout((6, 9)).axes),
                "max_difference": difference,
                "largest_update": max(
                    float(np.max(np.abs(a - b)))
                    for a, b in zip(single.get_weights(), initial, strict=True)
                ),
                "odd_batch_error": odd_batch_error,
            }
        )
    )


if __name__ == "__main__":
    warnings.filterwarnings("ignore", message="Your input ran out of data")
    main()
