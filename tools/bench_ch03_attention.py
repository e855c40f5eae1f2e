"""Chapter 3's additive attention against its NumPy reference and Keras' own layer.

Prints, in one run on one machine (TensorFlow backend):

(a) the largest absolute difference of `AdditiveAttention` from the NumPy reference,
    and, with identity projections, from `keras.layers.AdditiveAttention`, on
    random inputs with padding masks;
(b) the median time of a forward and backward pass (gradients with respect to the
    inputs and the trainable weights), each compiled with `tf.function`:
    - ours (`W_a`, `U_a`, `v_a`) against the same work in Keras:
      two `Dense(units, use_bias=False)` projections of query and key, then
      `keras.layers.AdditiveAttention` (its `scale` playing `v_a`);
    - ours with `W_a = U_a =` identity, frozen, against Keras' bare layer. Not
      quite like for like: ours still multiplies by the two identity matrices.
    The variants take turns at every repetition, so that a busy machine slows
    them all alike.

    python tools/bench_ch03_attention.py --batch-size 64 --length 32 --units 256
"""

import argparse
import pathlib
import sys
import time

import keras
import numpy as np

from chapters.ch03_attention import numpy_attention
from chapters.ch03_attention.attention import AdditiveAttention

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tools/bench_ch03_attention.py` from anywhere
    sys.path.insert(0, str(ROOT))

from tools import bench_summary  # noqa: E402 (needs the root)

# What the layer returns with `return_attention_scores=True`, in order.
NAMES = ("context", "weights")


def random_inputs(random, batch, target, source, query_dim, key_dim, value_dim):
    """Float32 query, value and key, and a value mask with padding in most rows."""
    query = random.normal(size=(batch, target, query_dim)).astype("float32")
    value = random.normal(size=(batch, source, value_dim)).astype("float32")
    key = random.normal(size=(batch, source, key_dim)).astype("float32")
    lengths = random.integers(1, source + 1, size=batch)
    value_mask = np.arange(source)[None, :] < lengths[:, None]  # (B, S)
    return query, value, key, value_mask


def identity_attention(units, width, trainable_projections=True):
    """Our layer with `W_a = U_a = I`: Keras' additive score, with v_a to set."""
    layer = AdditiveAttention(units)
    layer.build((None, None, width), (None, None, width))
    layer.query_projection.kernel.assign(np.eye(width))
    layer.key_projection.kernel.assign(np.eye(width))
    layer.query_projection.trainable = trainable_projections
    layer.key_projection.trainable = trainable_projections
    return layer


def largest_differences(random):
    """(a): max |ours - reference| and max |ours - Keras|, contexts and weights.

    Returns:
        `(against the reference, against Keras)`, each `{"context": largest
        difference, "weights": largest difference}`.
    """
    to_numpy = keras.ops.convert_to_numpy
    query, value, key, value_mask = random_inputs(random, 4, 6, 7, 5, 6, 3)
    layer = AdditiveAttention(8)
    context, weights = layer(
        query, value, key, value_mask=value_mask, return_attention_scores=True
    )
    reference = numpy_attention.additive_attention(
        query.astype("float64"),
        value,
        to_numpy(layer.query_projection.kernel),
        to_numpy(layer.key_projection.kernel),
        to_numpy(layer.score_vector),
        keys=key,
        value_mask=value_mask,
    )
    ours = (to_numpy(context), to_numpy(weights))
    from_reference = {
        name: float(np.abs(mine - theirs).max())
        for name, mine, theirs in zip(NAMES, ours, reference, strict=True)
    }
    print(
        "max |ours - NumPy reference|:        context "
        f"{from_reference['context']:.2e}, weights {from_reference['weights']:.2e}"
    )
    query, value, key, value_mask = random_inputs(random, 4, 6, 7, 8, 8, 3)
    query_mask = np.ones((4, 6), bool)
    query_mask[:, -1] = False
    keras_layer = keras.layers.AdditiveAttention(use_scale=True)
    # A (B, 1, S) value mask: Keras 3.10 does not expand a (B, S) one.
    expected = keras_layer(
        [query, value, key],
        mask=[query_mask, value_mask[:, None, :]],
        return_attention_scores=True,
    )
    layer = identity_attention(8, 8)
    layer.score_vector.assign(keras_layer.scale)
    ours = layer(
        query,
        value,
        key,
        query_mask=query_mask,
        value_mask=value_mask,
        return_attention_scores=True,
    )
    from_keras = {
        name: float(np.abs(to_numpy(mine) - to_numpy(theirs)).max())
        for name, mine, theirs in zip(NAMES, ours, expected, strict=True)
    }
    print(
        "max |ours - Keras AdditiveAttention| (W_a = U_a = I): context "
        f"{from_keras['context']:.2e}, weights {from_keras['weights']:.2e}"
    )
    return from_reference, from_keras


def compiled_training_step(forward, variables):
    """`tf.function` of a forward pass and its gradients, for timing."""
    import tensorflow as tf

    @tf.function
    def step(query, value, key):
        with tf.GradientTape() as tape:
            tape.watch([query, value, key])
            loss = tf.reduce_sum(forward(query, value, key))
        return loss, tape.gradient(loss, [query, value, key, *variables])

    return step


def timing_variants(units):
    """(b): name -> (forward function of query, value, key; layers it uses)."""
    ours = AdditiveAttention(units)
    query_projection = keras.layers.Dense(units, use_bias=False)
    key_projection = keras.layers.Dense(units, use_bias=False)
    keras_layer = keras.layers.AdditiveAttention(use_scale=True)
    identity = identity_attention(units, units, trainable_projections=False)
    bare_keras = keras.layers.AdditiveAttention(use_scale=True)

    def keras_with_projections(query, value, key):
        return keras_layer([query_projection(query), value, key_projection(key)])

    def keras_bare(query, value, key):
        return bare_keras([query, value, key])

    return {
        "ours (W_a, U_a, v_a)": (ours, [ours]),
        "Keras: 2 Dense + AdditiveAttention": (
            keras_with_projections,
            [query_projection, key_projection, keras_layer],
        ),
        "ours, W_a = U_a = I (frozen)": (identity, [identity]),
        "Keras AdditiveAttention, bare": (keras_bare, [bare_keras]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--length", type=int, default=32, help="S = T")
    parser.add_argument("--units", type=int, default=256, help="A = Dq = Dk = Dv")
    parser.add_argument("--repetitions", type=int, default=20)
    arguments = parser.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        raise SystemExit(
            "This benchmark compiles with tf.function: run it with "
            f"KERAS_BACKEND=tensorflow. Received: {keras.backend.backend()!r}"
        )
    keras.utils.set_random_seed(0)
    random = np.random.default_rng(0)
    from_reference, from_keras = largest_differences(random)

    size, units = arguments.length, arguments.units
    query, value, key, _ = random_inputs(
        random, arguments.batch_size, size, size, units, units, units
    )
    inputs = [keras.ops.convert_to_tensor(array) for array in (query, value, key)]
    steps = {}
    for name, (forward, layers) in timing_variants(units).items():
        forward(*inputs)  # Builds the layers, so their weights exist.
        variables = [weight for layer in layers for weight in layer.trainable_weights]
        steps[name] = compiled_training_step(forward, variables)
        steps[name](*inputs)  # Traces.
    seconds = {name: [] for name in steps}
    for _ in range(arguments.repetitions):
        for name, step in steps.items():
            started = time.perf_counter()
            float(step(*inputs)[0])
            seconds[name].append(time.perf_counter() - started)
    medians = {name: float(np.median(times)) for name, times in seconds.items()}
    sizes = (
        f"B={arguments.batch_size}, S=T={size}, A={units}, median of "
        f"{arguments.repetitions}"
    )
    print(f"forward+backward, tf.function, {sizes}:")
    for name, median in medians.items():
        print(f"  {name:36s} {median * 1e3:8.2f} ms")
    names = list(medians)
    ratios = {}
    for mine, theirs in ((names[0], names[1]), (names[2], names[3])):
        ratios[mine] = medians[mine] / medians[theirs]
        print(f"  ratio {mine} / {theirs}: {ratios[mine]:.2f}")
    bench_summary.emit(
        "layers",
        [
            (
                "AdditiveAttention",
                "NumPy reference",
                bench_summary.differences(**from_reference),
                bench_summary.NOT_MEASURED,
            ),
            (
                "AdditiveAttention, W_a = U_a = I",
                "keras.layers.AdditiveAttention",
                bench_summary.differences(**from_keras),
                bench_summary.ratio(ratios[names[2]]),
            ),
            (
                "AdditiveAttention (W_a, U_a, v_a)",
                "2 Dense + keras.layers.AdditiveAttention",
                bench_summary.NOT_MEASURED,
                bench_summary.ratio(ratios[names[0]]),
            ),
        ],
        sizes,
    )


if __name__ == "__main__":
    main()
