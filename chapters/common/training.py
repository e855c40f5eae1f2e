"""Training a translation model, the same way in every chapter: compiled with the
masked loss and accuracy, fitted with teacher forcing on length-bucketed batches,
timed, and counted.

A chapter builds its model and hands it to `compile_translation_model`; `train`
then fits any model whose `call((source_ids, decoder_input_ids))` returns logits
`(B, T, V)`.
"""

import dataclasses
import time
import warnings

import keras

from chapters.common import metrics
from chapters.common.arguments import positive_int

# Source lengths (tokens) that separate the buckets of training batches.
BUCKET_BOUNDARIES = tuple(range(5, 60, 5))


def compile_translation_model(model, learning_rate=3e-3):
    """Compiles `model` with Adam, the masked loss and the masked accuracy.

    Adam's learning rate is three times Keras' default: on our small data sets and
    CPU budgets it reaches a given loss in about half the epochs, and gradient
    clipping (norm 1) keeps the RNNs stable at that rate.

    Returns:
        `model`, compiled.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=metrics.masked_loss,
        metrics=[metrics.MaskedAccuracy()],
    )
    return model


@dataclasses.dataclass
class TrainingRun:
    """What `train` did: the Keras history, its wall time and the model's size."""

    history: dict
    seconds: float
    parameters: int


def train(
    model,
    data,
    epochs,
    batch_size,
    validation=True,
    verbose=2,
    callbacks=None,
    fixed_padding=False,
):
    """Fits `model` with teacher forcing on the training split, batches bucketed
    by source length (or, with `fixed_padding`, all padded to the same length).

    Args:
        model: a compiled translation model (see `compile_translation_model`).
        data: a `TranslationData`.
        epochs: passes over the training split.
        batch_size: sentences per batch.
        validation: also report the loss on the validation split after each epoch.
        verbose: Keras' progress display: 0 silent, 1 a bar, 2 a line per epoch.
        callbacks: Keras callbacks for `fit`, e.g. chapter 5's
            `CheckpointAverage`.
        fixed_padding: pad every training batch to the split's longest
            sentences instead of bucketing; to measure what bucketing saves.

    Returns:
        A `TrainingRun`.
    """
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    started = time.perf_counter()
    with warnings.catch_warnings():
        # tf.data cannot count the batches of a filtered dataset ahead of time, and
        # Keras says so after every epoch; the data did not run out.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        history = model.fit(
            data.dataset(
                "train",
                batch_size,
                shuffle=True,
                bucket_boundaries=None if fixed_padding else BUCKET_BOUNDARIES,
                fixed=fixed_padding,
            ),
            validation_data=data.dataset("validation", batch_size)
            if validation
            else None,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
        )
    seconds = time.perf_counter() - started
    return TrainingRun(history.history, seconds, model.count_params())
