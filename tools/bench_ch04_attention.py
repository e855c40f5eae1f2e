"""Chapter 4's scaled dot-product attention against Keras' own two.

Prints, in one run on one machine (TensorFlow backend):

(a) the largest absolute difference of `ScaledDotProductAttention` from
    `keras.layers.Attention(use_scale=True)` with its learned scale set to
    `1 / √d_k`, and from `keras.ops.dot_product_attention` (a heads axis of 1
    added), on random inputs with padding masks; and of `LuongAttention("dot")`
    from `keras.layers.Attention()`;
(b) the median time of a forward and backward pass (gradients with respect to
    query, value and key), each compiled with `tf.function`, for the three, without
    a mask and with a padding mask. Keras' scale is frozen, so that no variant has
    a weight to differentiate. The variants take turns at every repetition, so
    that a busy machine slows them all alike.

    python tools/bench_ch04_attention.py --batch-size 64 --length 32 --width 256
"""

import argparse
import pathlib
import sys
import time

import keras
import numpy as np

from chapters.ch04_dot_product_attention.attention import (
    LuongAttention,
    ScaledDotProductAttention,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tools/bench_ch04_attention.py` from anywhere
    sys.path.insert(0, str(ROOT))

from tools import bench_summary  # noqa: E402 (needs the root)


def random_inputs(random, batch, target, source, width):
    """Float32 query, value and key of one width, and a value mask `(B, S)` with
    padding in most rows (every row keeps at least one real key)."""
    query = random.normal(size=(batch, target, width)).astype("float32")
    value = random.normal(size=(batch, source, width)).astype("float32")
    key = random.normal(size=(batch, source, width)).astype("float32")
    lengths = random.integers(1, source + 1, size=batch)
    value_mask = np.arange(source)[None, :] < lengths[:, None]  # (B, S)
    return query, value, key, value_mask


def scaled_keras_attention(width):
    """`keras.layers.Attention` with its learned scale set to `1 / √width`, frozen."""
    layer = keras.layers.Attention(use_scale=True)
    layer.build([(None, None, width), (None, None, width)])
    layer.scale.assign(1.0 / np.sqrt(width))
    layer.trainable = False
    return layer


def keras_dot_product_attention(query, value, key, value_mask=None):
    """`keras.ops.dot_product_attention` on `(B, T, D)` tensors: it takes
    `(B, T, H, D)`, here with one head, and a mask broadcastable to `(B, H, T, S)`."""
    mask = None if value_mask is None else value_mask[:, None, None, :]
    outputs = keras.ops.dot_product_attention(
        query[:, :, None, :], key[:, :, None, :], value[:, :, None, :], mask=mask
    )  # (B, T, 1, Dv)
    return outputs[:, :, 0, :]


def largest_differences(random):
    """(a): max |ours - Keras| for contexts (and weights, where Keras gives them).

    Returns:
        `{name of the comparison: {"context": largest difference, and
        "weights" where Keras gives them}}`.
    """
    to_numpy = keras.ops.convert_to_numpy
    query, value, key, value_mask = random_inputs(random, 4, 6, 7, 8)
    ours = ScaledDotProductAttention()(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    # A (B, 1, S) value mask: Keras 3.10 does not expand a (B, S) one.
    theirs = scaled_keras_attention(8)(
        [query, value, key],
        mask=[None, value_mask[:, None, :]],
        return_attention_scores=True,
    )
    context, weights = (
        np.abs(to_numpy(mine) - to_numpy(expected)).max()
        for mine, expected in zip(ours, theirs, strict=True)
    )
    print(
        "max |scaled dot-product - Keras Attention (scale = 1/√d_k)|: "
        f"context {context:.2e}, weights {weights:.2e}"
    )
    operation = keras_dot_product_attention(query, value, key, value_mask)
    from_operation = np.abs(to_numpy(ours[0]) - to_numpy(operation)).max()
    print(
        "max |scaled dot-product - keras.ops.dot_product_attention|:  "
        f"context {from_operation:.2e}"
    )
    dot = LuongAttention("dot")(query, value, key, value_mask=value_mask)
    expected = keras.layers.Attention()(
        [query, value, key], mask=[None, value_mask[:, None, :]]
    )
    from_luong = np.abs(to_numpy(dot) - to_numpy(expected)).max()
    print(
        f"max |Luong dot - Keras Attention()|:                         {from_luong:.2e}"
    )
    return {
        "keras.layers.Attention": {
            "context": float(context),
            "weights": float(weights),
        },
        "keras.ops.dot_product_attention": {"context": float(from_operation)},
        "Luong dot": {"context": float(from_luong)},
    }


def compiled_training_step(forward):
    """`tf.function` of a forward pass and its gradients with respect to the inputs."""
    import tensorflow as tf

    @tf.function
    def step(query, value, key, value_mask):
        with tf.GradientTape() as tape:
            tape.watch([query, value, key])
            loss = tf.reduce_sum(forward(query, value, key, value_mask))
        return loss, tape.gradient(loss, [query, value, key])

    return step


def timing_variants(width):
    """(b): name -> forward function of query, value, key and value mask."""
    ours = ScaledDotProductAttention()
    keras_layer = scaled_keras_attention(width)

    def ours_forward(query, value, key, value_mask):
        return ours(query, value, key, value_mask=value_mask)

    def keras_forward(query, value, key, value_mask):
        mask = None if value_mask is None else [None, value_mask[:, None, :]]
        return keras_layer([query, value, key], mask=mask)

    return {
        "ours": ours_forward,
        "keras.layers.Attention": keras_forward,
        "keras.ops.dot_product_attention": keras_dot_product_attention,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--length", type=int, default=32, help="S = T")
    parser.add_argument("--width", type=int, default=256, help="D = d_k = Dv")
    parser.add_argument("--repetitions", type=int, default=100)
    arguments = parser.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        raise SystemExit(
            "This benchmark compiles with tf.function: run it with "
            f"KERAS_BACKEND=tensorflow. Received: {keras.backend.backend()!r}"
        )
    import tensorflow as tf

    # Six tf.functions of one Python function, each traced once, read to
    # TensorFlow as one function retraced: its warning would be a false alarm.
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(0)
    random = np.random.default_rng(0)
    differences = largest_differences(random)

    size, width = arguments.length, arguments.width
    query, value, key, value_mask = random_inputs(
        random, arguments.batch_size, size, size, width
    )
    tensors = [keras.ops.convert_to_tensor(array) for array in (query, value, key)]
    masks = {"no mask": None, "padding mask": keras.ops.convert_to_tensor(value_mask)}
    medians = median_times(
        timing_variants(width), tensors, masks, arguments.repetitions
    )
    sizes = (
        f"B={arguments.batch_size}, S=T={size}, D={width}, median of "
        f"{arguments.repetitions}"
    )
    print_ratios(medians, f"forward+backward, tf.function, {sizes}:")
    layer = "ScaledDotProductAttention"
    bench_summary.emit(
        "layers",
        [
            (
                layer,
                "keras.layers.Attention, scale 1/√d_k",
                bench_summary.differences(**differences["keras.layers.Attention"]),
                ratios_by_mask(medians, "keras.layers.Attention"),
            ),
            (
                layer,
                "keras.ops.dot_product_attention",
                bench_summary.differences(
                    **differences["keras.ops.dot_product_attention"]
                ),
                ratios_by_mask(medians, "keras.ops.dot_product_attention"),
            ),
            (
                'LuongAttention("dot")',
                "keras.layers.Attention()",
                bench_summary.differences(**differences["Luong dot"]),
                bench_summary.NOT_MEASURED,
            ),
        ],
        sizes,
    )


def median_times(variants, tensors, masks, repetitions):
    """`{(variant, mask name): median seconds}` of a compiled forward and backward
    pass of every variant with every mask. The variants take turns at every
    repetition, so that a busy machine slows them all alike.

    Args:
        variants: `{name: forward(query, value, key, value_mask)}`; the first
            is "ours", the one the others are compared with.
        tensors: `[query, value, key]`.
        masks: `{mask name: value mask or None}`.
        repetitions: timed calls of each, after one that traces.
    """
    steps = {}
    for name, forward in variants.items():
        for mask_name, mask in masks.items():
            step = compiled_training_step(forward)
            step(*tensors, mask)  # Traces.
            steps[name, mask_name] = (step, mask)
    seconds = {variant: [] for variant in steps}
    for _ in range(repetitions):
        for variant, (step, mask) in steps.items():
            started = time.perf_counter()
            float(step(*tensors, mask)[0])
            seconds[variant].append(time.perf_counter() - started)
    return {variant: float(np.median(times)) for variant, times in seconds.items()}


def ours_over(medians, name):
    """`{mask name: ours' median / the median of variant `name`}`, from
    `median_times`'s medians (ours is the first variant)."""
    ours = next(iter(medians))[0]
    masks = dict.fromkeys(mask_name for _, mask_name in medians)
    return {mask: medians[ours, mask] / medians[name, mask] for mask in masks}


def ratios_by_mask(medians, name):
    """`"1.04 no mask, 1.10 padding mask"`: ours / `name`'s time, by mask."""
    return ", ".join(
        f"{bench_summary.ratio(ratio)} {mask}"
        for mask, ratio in ours_over(medians, name).items()
    )


def print_ratios(medians, header):
    """Prints `median_times`'s medians by mask, each with ours / it."""
    print(header)
    names = list(dict.fromkeys(name for name, _ in medians))
    ratios = {name: ours_over(medians, name) for name in names}
    for mask_name in dict.fromkeys(mask_name for _, mask_name in medians):
        print(f"  {mask_name}:")
        for name in names:
            median = medians[name, mask_name]
            ratio = ratios[name][mask_name]
            print(f"    {name:32s} {median * 1e3:8.2f} ms   ours / this {ratio:.2f}")


if __name__ == "__main__":
    main()
