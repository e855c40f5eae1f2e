"""The four shapes of sequence task as small Keras functional models.

Classified by how many elements go in and come out:

- 1→N: one input, a sequence out (a number to its words; a topic to a text).
- N→1: a sequence in, one output (classify a sentence).
- N→N: a sequence in, one output per input element (tag every token).
- N→M: a sequence in, a sequence of another length out (translate): the
  encoder–decoder of Sutskever et al. (2014) and Cho et al. (2014), previewed
  here and built properly in chapter 2.

Every model returns logits (no softmax), to be trained with a loss
`from_logits=True`. Token inputs use id 0 (`PAD_ID`) for padding and an
`Embedding(mask_zero=True)`, so padding never changes a result: the recurrent
layers skip padded steps and the loss ignores padded outputs.
"""

import time

import keras
import numpy as np

from chapters.common.arguments import positive_int
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID

ONE_TO_MANY, MANY_TO_ONE, MANY_TO_MANY, ENCODER_DECODER = "1->N", "N->1", "N->N", "N->M"
TASK_SHAPES = (ONE_TO_MANY, MANY_TO_ONE, MANY_TO_MANY, ENCODER_DECODER)


def _check_sizes(**sizes) -> None:
    for name, value in sizes.items():
        positive_int(value, name)


def build_one_to_many(num_features, output_length, vocabulary_size, hidden_units):
    """1→N: one feature vector in, `output_length` token logits out.

    The single input sets the GRU's initial state and is also repeated as the
    GRU's input at every step, so each output step sees it.

    Args:
        num_features: width F of the one input vector.
        output_length: number of output steps T (room for the words and [END]).
        vocabulary_size: V, the size of the output vocabulary.
        hidden_units: H, the GRU's units.

    Returns:
        A `keras.Model` from `(B, F)` floats to `(B, T, V)` logits.
    """
    _check_sizes(
        num_features=num_features,
        output_length=output_length,
        vocabulary_size=vocabulary_size,
        hidden_units=hidden_units,
    )
    features = keras.Input(shape=(num_features,), name="features")  # (B, F)
    initial_state = keras.layers.Dense(hidden_units, activation="tanh")(features)
    repeated = keras.layers.RepeatVector(output_length)(features)  # (B, T, F)
    sequences = keras.layers.GRU(hidden_units, return_sequences=True, name="rnn")(
        repeated, initial_state=initial_state
    )  # (B, T, H)
    logits = keras.layers.Dense(vocabulary_size, name="logits")(sequences)
    return keras.Model(features, logits, name="one_to_many")


def build_many_to_one(vocabulary_size, embedding_dim, hidden_units, num_classes):
    """N→1: token ids in, one vector of class logits out.

    The GRU's final state, a summary of the whole sentence of size
    `hidden_units`, feeds the classifier.

    Returns:
        A `keras.Model` from `(B, S)` int ids to `(B, num_classes)` logits.
    """
    _check_sizes(
        vocabulary_size=vocabulary_size,
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
        num_classes=num_classes,
    )
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")  # (B, S)
    vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=True, name="embedding"
    )(token_ids)  # (B, S, E)
    summary = keras.layers.GRU(hidden_units, name="rnn")(vectors)  # (B, H)
    logits = keras.layers.Dense(num_classes, name="logits")(summary)  # (B, C)
    return keras.Model(token_ids, logits, name="many_to_one")


def build_many_to_many(vocabulary_size, embedding_dim, hidden_units, num_tags):
    """N→N: token ids in, one vector of tag logits per token out.

    A bidirectional GRU lets each tag depend on the tokens on both sides.

    Returns:
        A `keras.Model` from `(B, S)` int ids to `(B, S, num_tags)` logits,
        carrying the padding mask so a Keras loss skips padded positions.
    """
    _check_sizes(
        vocabulary_size=vocabulary_size,
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
        num_tags=num_tags,
    )
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")  # (B, S)
    vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=True, name="embedding"
    )(token_ids)  # (B, S, E)
    sequences = keras.layers.Bidirectional(
        keras.layers.GRU(hidden_units, return_sequences=True), name="rnn"
    )(vectors)  # (B, S, 2H)
    logits = keras.layers.Dense(num_tags, name="logits")(sequences)  # (B, S, C)
    return keras.Model(token_ids, logits, name="many_to_many")


def build_encoder_decoder(
    source_vocabulary_size, target_vocabulary_size, embedding_dim, hidden_units
):
    """N→M: a GRU encoder whose final state starts a GRU decoder.

    The decoder is trained with teacher forcing: its input is the target
    shifted right behind [START], and it predicts the target followed by [END].

    Returns:
        A `keras.Model` from `[(B, S) source ids, (B, T) decoder input ids]` to
        `(B, T, target_vocabulary_size)` logits.
    """
    _check_sizes(
        source_vocabulary_size=source_vocabulary_size,
        target_vocabulary_size=target_vocabulary_size,
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
    )
    source_ids = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    decoder_ids = keras.Input(shape=(None,), dtype="int32", name="decoder_input_ids")
    source_vectors = keras.layers.Embedding(
        source_vocabulary_size, embedding_dim, mask_zero=True, name="embedding"
    )(source_ids)  # (B, S, E)
    _, context = keras.layers.GRU(hidden_units, return_state=True, name="encoder")(
        source_vectors
    )  # context: (B, H), the whole source sentence in one vector.
    target_vectors = keras.layers.Embedding(
        target_vocabulary_size, embedding_dim, mask_zero=True, name="target_embedding"
    )(decoder_ids)  # (B, T, E)
    sequences = keras.layers.GRU(hidden_units, return_sequences=True, name="decoder")(
        target_vectors, initial_state=context
    )  # (B, T, H)
    logits = keras.layers.Dense(target_vocabulary_size, name="logits")(sequences)
    return keras.Model([source_ids, decoder_ids], logits, name="encoder_decoder")


_BUILDERS = {
    ONE_TO_MANY: build_one_to_many,
    MANY_TO_ONE: build_many_to_one,
    MANY_TO_MANY: build_many_to_many,
    ENCODER_DECODER: build_encoder_decoder,
}


def build_task_model(task_shape: str, **sizes) -> keras.Model:
    """Builds the model for `task_shape` ("1->N", "N->1", "N->N" or "N->M")."""
    if task_shape not in _BUILDERS:
        raise ValueError(
            f"task_shape must be one of {TASK_SHAPES}. Received: {task_shape!r}"
        )
    return _BUILDERS[task_shape](**sizes)


def greedy_translate(model, source_ids, max_length: int) -> np.ndarray:
    """Generates target ids with an encoder–decoder, one most likely token a step.

    Each step reruns the model on the tokens generated so far (simple, and
    fast enough for short toy sentences; chapter 2 keeps the state instead).

    Args:
        model: a model from `build_encoder_decoder`.
        source_ids: int array `(B, S)`, padded with `PAD_ID`.
        max_length: the most tokens to generate per sentence.

    Returns:
        int array `(B, max_length)`: generated ids, `PAD_ID` after each [END].
    """
    source_ids = np.asarray(source_ids)
    if source_ids.ndim != 2 or source_ids.size == 0:
        raise ValueError(
            "source_ids must be a non-empty (batch, steps) array of ids. Received "
            f"shape {source_ids.shape}"
        )
    _check_sizes(max_length=max_length)
    batch = source_ids.shape[0]
    decoder_ids = np.full((batch, 1), START_ID, dtype="int32")
    finished = np.zeros(batch, dtype=bool)
    generated = np.full((batch, max_length), PAD_ID, dtype="int32")
    for step in range(max_length):
        logits = model([source_ids, decoder_ids], training=False)  # (B, t, V)
        next_ids = np.argmax(keras.ops.convert_to_numpy(logits[:, -1]), axis=-1)
        generated[:, step] = np.where(finished, PAD_ID, next_ids)
        finished |= next_ids == END_ID
        if finished.all():
            break
        decoder_ids = np.concatenate([decoder_ids, next_ids[:, None]], axis=1)
    return generated


def fit_until_converged(
    model, inputs, targets=None, *, monitor, max_epochs, patience=1, **fit_arguments
):
    """Fits `model` until `monitor` (a metric to maximize) stops improving.

    The epochs are an upper bound: `keras.callbacks.EarlyStopping` ends training
    `patience` epochs after the best value of `monitor`, and the model keeps that
    epoch's weights. Prints how many epochs ran and which one was kept.

    Args:
        model: a compiled Keras model.
        inputs, targets: what `model.fit` takes (targets may be `None` for a
            dataset).
        monitor: the logged metric to watch, e.g. `"val_masked_accuracy"`.
        max_epochs: the most epochs to run.
        patience: epochs without improvement before stopping.
        **fit_arguments: go on to `model.fit` (validation data, batch size).

    Returns:
        `(history, seconds)`: the Keras `History` and the training wall time.
    """
    max_epochs = positive_int(max_epochs, "max_epochs")
    patience = positive_int(patience, "patience", minimum=0)
    stop_early = keras.callbacks.EarlyStopping(
        monitor=monitor, mode="max", patience=patience, restore_best_weights=True
    )
    started = time.perf_counter()
    history = model.fit(
        inputs,
        targets,
        epochs=max_epochs,
        callbacks=[stop_early],
        verbose=2,
        **fit_arguments,
    )
    seconds = time.perf_counter() - started
    if monitor not in history.history:
        raise ValueError(
            f"monitor must be a metric the model logs: {sorted(history.history)}. "
            f"Received: monitor={monitor!r}"
        )
    best = history.history[monitor][stop_early.best_epoch]
    print(
        f"ran {len(history.epoch)} of at most {max_epochs} epochs in {seconds:.0f} s; "
        f"kept epoch {stop_early.best_epoch + 1} ({monitor} {best:.4f})"
    )
    return history, seconds
