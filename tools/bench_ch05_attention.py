"""Chapter 5's multi-head attention against `keras.layers.MultiHeadAttention`.

Prints, in one run on one machine (TensorFlow backend):

(a) the largest absolute difference of our `MultiHeadAttention` from Keras' with
    the same weights copied across, for the outputs and the per-head weights,
    with a padding mask;
(b) the median time of a forward and backward pass (gradients with respect to
    query, value and key), compiled with `tf.function`, for both layers, without
    a mask and with a padding mask, self-attention at B=64, T=32, D=256, 8 heads
    of 32 by default. The variants take turns at every repetition.

    python -m tools.bench_ch05_attention --length 32 --width 256 --heads 8
"""

import argparse

import keras
import numpy as np

from chapters.ch05_transformer import MultiHeadAttention, copy_keras_weights
from tools import bench_summary
from tools.bench_ch04_attention import (
    median_times,
    print_ratios,
    random_inputs,
    ratios_by_mask,
)


def layer_pair(heads, width):
    """Our layer and Keras', self-attention of `width` features, `heads` heads of
    `width / heads`, with Keras' weights copied into ours."""
    key_dim = width // heads
    theirs = keras.layers.MultiHeadAttention(heads, key_dim)
    theirs.build((None, None, width), (None, None, width))
    ours = MultiHeadAttention(heads, key_dim)
    ours.build((None, None, width), (None, None, width))
    copy_keras_weights(ours, theirs)
    return ours, theirs


def keras_mask(value_mask, target_length):
    """Keras' `(B, T, S)` attention mask of a `(B, S)` value mask."""
    if value_mask is None:
        return None
    return keras.ops.repeat(value_mask[:, None, :], target_length, axis=1)


def largest_differences(random, heads, width):
    """(a): max |ours - Keras| of outputs and weights, with a padding mask.

    Returns:
        `{"output": largest difference, "weights": largest difference}`.
    """
    to_numpy = keras.ops.convert_to_numpy
    ours, theirs = layer_pair(heads, width)
    query, value, key, value_mask = random_inputs(random, 4, 6, 7, width)
    output, weights = ours(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    expected, expected_weights = theirs(
        query,
        value,
        key,
        attention_mask=keras_mask(value_mask, 6),
        return_attention_scores=True,
    )
    differences = {
        "output": float(np.abs(to_numpy(output) - to_numpy(expected)).max()),
        "weights": float(np.abs(to_numpy(weights) - to_numpy(expected_weights)).max()),
    }
    print(
        "max |ours - keras.layers.MultiHeadAttention|, same weights: output "
        f"{differences['output']:.2e}, weights {differences['weights']:.2e}"
    )
    return differences


def timing_variants(heads, width):
    """(b): name -> forward function of query, value, key and value mask."""
    ours, theirs = layer_pair(heads, width)

    def ours_forward(query, value, key, value_mask):
        return ours(query, value, key, value_mask=value_mask)

    def keras_forward(query, value, key, value_mask):
        mask = keras_mask(value_mask, keras.ops.shape(query)[1])
        return theirs(query, value, key, attention_mask=mask)

    return {"ours": ours_forward, "keras.layers.MultiHeadAttention": keras_forward}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--length", type=int, default=32, help="S = T")
    parser.add_argument("--width", type=int, default=256, help="D")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--repetitions", type=int, default=100)
    arguments = parser.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        raise SystemExit(
            "This benchmark compiles with tf.function: run it with "
            f"KERAS_BACKEND=tensorflow. Received: {keras.backend.backend()!r}"
        )
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # one Python function, several tf.functions
    keras.utils.set_random_seed(0)
    random = np.random.default_rng(0)
    differences = largest_differences(random, arguments.heads, arguments.width)
    size, width = arguments.length, arguments.width
    query, _, _, value_mask = random_inputs(
        random, arguments.batch_size, size, size, width
    )
    # Self-attention: the query is also the value and the key.
    tensor = keras.ops.convert_to_tensor(query)
    masks = {"no mask": None, "padding mask": keras.ops.convert_to_tensor(value_mask)}
    medians = median_times(
        timing_variants(arguments.heads, width),
        [tensor, tensor, tensor],
        masks,
        arguments.repetitions,
    )
    sizes = (
        f"self-attention, B={arguments.batch_size}, T={size}, D={width}, "
        f"{arguments.heads} heads, median of {arguments.repetitions}"
    )
    print_ratios(medians, f"forward+backward, tf.function, {sizes}:")
    bench_summary.emit(
        "layers",
        [
            (
                "MultiHeadAttention (chapter 5)",
                "keras.layers.MultiHeadAttention, same weights",
                bench_summary.differences(**differences),
                ratios_by_mask(medians, "keras.layers.MultiHeadAttention"),
            )
        ],
        sizes,
    )


if __name__ == "__main__":
    main()
