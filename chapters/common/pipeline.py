"""The `tf.data` input pipeline of a seq2seq model: teacher forcing, batches, padding.

`make_dataset` turns `(source, target)` sentence pairs into padded batches that a
`compile()`d encoder-decoder trains on. Its targets are shifted for teacher
forcing (Williams and Zipser, 1989, "A Learning Algorithm for Continually Running
Fully Recurrent Neural Networks"): the decoder reads the true previous token and
predicts the next one. Text becomes ids through any `Tokenizer`, inside the graph,
so that tokenizing never holds the accelerator up.
"""

import itertools

import numpy as np
import tensorflow as tf

from chapters.common.arguments import positive_int
from chapters.common.tokenizers import Tokenizer, check_tokenizers
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID


def teacher_forcing_shift(target_ids):
    """Decoder inputs and targets for teacher forcing: `[START] + ids`, `ids + [END]`.

    At step t the decoder reads the true token t-1 and must predict token t.

    Args:
        target_ids: target ids without START/END: a `(T,)` sequence, a ragged
            `(B, None)` batch, or a dense `(B, T)` batch padded at the end
            with `PAD_ID` (END then goes right after each sentence).

    Returns:
        `(decoder_inputs, decoder_targets)`, each one longer than `target_ids`.
    """
    if not isinstance(target_ids, tf.RaggedTensor):
        target_ids = tf.convert_to_tensor(target_ids)
    if target_ids.shape.rank not in (1, 2):
        raise ValueError(
            f"target_ids must have rank 1 or 2. Received shape {target_ids.shape}"
        )

    def column(token_id):
        # A (B, 1) column, or a (1,) sequence for a single sentence.
        if isinstance(target_ids, tf.RaggedTensor):
            shape = tf.stack([target_ids.nrows(out_type=tf.int32), 1])
        else:
            shape = tf.concat([tf.shape(target_ids)[:-1], [1]], axis=0)
        return tf.fill(shape, tf.constant(token_id, target_ids.dtype))

    if isinstance(target_ids, tf.RaggedTensor) or target_ids.shape.rank == 1:
        start = column(START_ID)
        end = column(END_ID)
        return (
            tf.concat([start, target_ids], axis=-1),
            tf.concat([target_ids, end], axis=-1),
        )
    decoder_inputs = tf.concat([column(START_ID), target_ids], axis=-1)
    padded_targets = tf.concat([target_ids, column(PAD_ID)], axis=-1)
    lengths = tf.reduce_sum(tf.cast(target_ids != PAD_ID, tf.int32), axis=-1)
    positions = tf.range(tf.shape(padded_targets)[-1])
    is_end = positions[tf.newaxis, :] == lengths[:, tf.newaxis]  # (B, T + 1)
    decoder_targets = tf.where(
        is_end, tf.constant(END_ID, target_ids.dtype), padded_targets
    )
    return decoder_inputs, decoder_targets


def _checked_pairs(pairs) -> tuple[list[str], list[str]]:
    pairs = list(pairs)
    if not pairs:
        raise ValueError("make_dataset needs at least one (source, target) pair.")
    sources, targets = [], []
    for index, pair in enumerate(pairs):
        if (
            not isinstance(pair, (tuple, list))
            or len(pair) != 2
            or not all(isinstance(text, str) for text in pair)
        ):
            raise TypeError(
                f"pairs must hold (source_text, target_text) string pairs. "
                f"Received at index {index}: {pair!r:.80}"
            )
        if not pair[0].strip() or not pair[1].strip():
            raise ValueError(
                f"Pair {index} has an empty sentence, which has nothing to "
                f"translate; drop it first. Received: {pair!r:.80}"
            )
        sources.append(pair[0])
        targets.append(pair[1])
    return sources, targets


def make_dataset(
    pairs,
    source_tokenizer: Tokenizer,
    target_tokenizer: Tokenizer,
    batch_size: int,
    shuffle: bool = False,
    bucket_boundaries=None,
    seed: int = 0,
    pad_to=None,
) -> tf.data.Dataset:
    """A `tf.data` pipeline of padded training batches for a seq2seq model.

    Steps: (1) shuffle the sentence pairs, (2) encode them to ids in the graph
    with each side's `Tokenizer.tf_encode`, a few hundred sentences at a time,
    (3) drop pairs that give no tokens, (4) shift the target for teacher
    forcing, (5) batch, padding each batch only to its own longest sentence;
    with `bucket_boundaries`, batch sentences of similar source length together
    so that little padding is left; with `pad_to`, pad every batch to the same
    fixed lengths, as the simplest pipelines do.

    Args:
        pairs: a list of `(source_text, target_text)`; an empty or whitespace
            sentence raises `ValueError`.
        source_tokenizer, target_tokenizer: the `Tokenizer` of each side.
        batch_size: sentences per batch.
        shuffle: reshuffle the pairs every epoch, seeded by `seed`.
        bucket_boundaries: increasing source lengths that separate the buckets,
            e.g. `[5, 10, 20]`; None batches in order of arrival.
        seed: the shuffle seed.
        pad_to: `(source_length, target_length)`, the most source and target
            ids (before the shift) of any pair: every batch is padded to
            `(B, source_length)` and `(B, target_length + 1)`. A longer pair
            stops the pipeline with an error. Not with `bucket_boundaries`.

    Returns:
        A dataset of `((source_ids, decoder_input_ids), decoder_target_ids)`,
        int32 tensors of shapes `(B, S)`, `(B, T)`, `(B, T)`.
    """
    check_tokenizers(source_tokenizer, target_tokenizer)
    batch_size = positive_int(batch_size, "batch_size")
    if bucket_boundaries is not None:
        bucket_boundaries = list(bucket_boundaries)
        increasing = all(a < b for a, b in itertools.pairwise(bucket_boundaries))
        if not bucket_boundaries or not increasing or bucket_boundaries[0] < 1:
            raise ValueError(
                "bucket_boundaries must be increasing positive lengths. "
                f"Received: {bucket_boundaries}"
            )
    if pad_to is not None:
        if bucket_boundaries is not None:
            raise ValueError("Pass bucket_boundaries or pad_to, not both.")
        if len(pad_to) != 2:
            raise ValueError(
                f"pad_to must be (source_length, target_length). Received: {pad_to!r}"
            )
        pad_to = (
            positive_int(pad_to[0], "pad_to[0]"),
            positive_int(pad_to[1], "pad_to[1]"),
        )
    sources, targets = _checked_pairs(pairs)

    # These functions branch only on Python values, never on tensors, so
    # AutoGraph has nothing to convert; skipping it makes tracing faster.
    @tf.autograph.experimental.do_not_convert
    def encode(source_texts, target_texts):
        return (
            source_tokenizer.tf_encode(source_texts),
            target_tokenizer.tf_encode(target_texts),
        )

    @tf.autograph.experimental.do_not_convert
    def to_model_inputs(source_ids, target_ids):
        decoder_inputs, decoder_targets = teacher_forcing_shift(target_ids)
        return (source_ids, decoder_inputs), decoder_targets

    dataset = tf.data.Dataset.from_tensor_slices((sources, targets))
    if shuffle:
        dataset = dataset.shuffle(
            len(sources), seed=seed, reshuffle_each_iteration=True
        )
    # Tokenizing a few hundred sentences per call is much faster than one by one.
    dataset = dataset.batch(256).map(encode, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.unbatch()
    # Text made only of invisible characters passes the check above but has no
    # tokens; an all-padding sentence would teach the model nothing.
    dataset = dataset.filter(
        lambda source_ids, target_ids: tf.logical_and(
            tf.size(source_ids) > 0, tf.size(target_ids) > 0
        )
    )
    dataset = dataset.map(to_model_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    padding_value = tf.constant(PAD_ID, tf.int32)
    if pad_to is not None:
        source_length, target_length = pad_to
        dataset = dataset.padded_batch(
            batch_size,
            padded_shapes=(([source_length], [target_length + 1]), [target_length + 1]),
            padding_values=padding_value,
        )
    elif bucket_boundaries is None:
        dataset = dataset.padded_batch(batch_size, padding_values=padding_value)
    else:
        dataset = dataset.bucket_by_sequence_length(
            element_length_func=lambda inputs, targets: tf.shape(inputs[0])[0],
            bucket_boundaries=bucket_boundaries,
            bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
            padding_values=padding_value,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def padding_fraction(dataset) -> float:
    """Share of `PAD_ID` among all ids of a dataset of padded batches.

    Every padded position is computed and thrown away, so this is the share of
    work that batching wastes.
    """
    padded, total = 0, 0
    for element in dataset.as_numpy_iterator():
        for ids in tf.nest.flatten(element):
            padded += int(np.count_nonzero(ids == PAD_ID))
            total += ids.size
    if total == 0:
        raise ValueError("padding_fraction received an empty dataset.")
    return padded / total
