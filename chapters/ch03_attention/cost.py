"""What additive attention (Bahdanau et al., 2015) costs as sentences grow.

Over a whole teacher-forced target, each of the `T` queries is scored against each
of the `S` keys: the score builds a `(B, T, S, A)` tensor of `tanh` activations and
the softmax a `(B, T, S)` tensor of weights. Time and memory both grow with the
number of query-key pairs, `S * T`. `attention_cost` measures the time and sizes
those two tensors for a grid of lengths; `AttentionCost.fit` checks the growth is
linear in `S * T`.

What is measured, and what is not:

* `seconds`: the median wall-clock time of one forward call of
  `AdditiveAttention` (keys projected, scores, softmax, weighted sum), with the
  context fetched as a NumPy array so that backends that run asynchronously have
  finished. Compiled with `tf.function` (TensorFlow backend) by default, or eager.
* `score_tensor_bytes`: not a measured peak (TensorFlow on CPU has no peak-memory
  counter), but the size of the two tensors the score needs, from the shape and
  dtype of the weights the layer returns: the `tanh` activations, of shape
  `(B, T, S, A)`, and the weights, `(B, T, S)`.
"""

import dataclasses
import itertools
import time

import keras
import numpy as np

from chapters.ch03_attention.attention import AdditiveAttention
from chapters.common.arguments import positive_int


@dataclasses.dataclass(frozen=True)
class LinearFit:
    """Least-squares line `y = slope * x + intercept`, and how well it fits."""

    slope: float
    intercept: float
    r_squared: float  # 1 is a perfect line; 0 explains nothing beyond the mean.


def linear_fit(x, y):
    """The least-squares line through the points `(x, y)`, with its R².

    Args:
        x: 1-D sequence of numbers.
        y: 1-D sequence of numbers, as many as `x` (at least 2).

    Returns:
        A `LinearFit`.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(
            "x and y must be 1-D and of the same length, at least 2. "
            f"Received: x with shape {x.shape}, y with shape {y.shape}"
        )
    slope, intercept = np.polyfit(x, y, deg=1)
    residual = np.sum((y - (slope * x + intercept)) ** 2)
    total = np.sum((y - y.mean()) ** 2)
    r_squared = 1.0 - residual / total if total > 0 else 1.0
    return LinearFit(float(slope), float(intercept), float(r_squared))


@dataclasses.dataclass(frozen=True)
class AttentionCost:
    """One measurement per (source length, target length), as parallel arrays."""

    source_lengths: np.ndarray  # S of each measurement.
    target_lengths: np.ndarray  # T of each measurement.
    query_key_pairs: np.ndarray  # S * T: how many scores each sentence needs.
    seconds: np.ndarray  # Median forward time of one batch.
    score_tensor_bytes: np.ndarray  # Bytes of the (B, T, S, A) and (B, T, S) tensors.
    batch_size: int
    units: int
    repetitions: int  # Timed calls per measurement, after one untimed warm-up.
    mode: str  # "tf.function" (compiled) or "eager".

    def fit(self):
        """The least-squares line of `seconds` against `query_key_pairs`."""
        return linear_fit(self.query_key_pairs, self.seconds)

    def table(self):
        """The measurements as a text table, one line per (S, T)."""
        lines = [f"{'S':>5} {'T':>5} {'S*T':>7} {'ms':>9} {'score MiB':>10}"]
        for source, target, pairs, seconds, size in zip(
            self.source_lengths,
            self.target_lengths,
            self.query_key_pairs,
            self.seconds,
            self.score_tensor_bytes,
            strict=True,
        ):
            lines.append(
                f"{source:5d} {target:5d} {pairs:7d} {seconds * 1e3:9.3f} "
                f"{size / 2**20:10.3f}"
            )
        return "\n".join(lines)


def _lengths(values, name):
    if isinstance(values, int | np.integer):
        values = [values]
    values = [positive_int(value, name) for value in values]
    if not values:
        raise ValueError(f"{name} must name at least one length. Received: {name}=[]")
    return values


def attention_cost(
    source_lengths,
    target_lengths,
    batch_size=32,
    units=128,
    repetitions=5,
    compiled=True,
    seed=0,
):
    """Times `AdditiveAttention` over every pair of the given lengths.

    Steps, for each source length `S` and target length `T`:
    1. Random queries `(B, T, A)` and values `(B, S, A)` (width = `units`).
    2. One untimed call (it traces the compiled function), then `repetitions`
       timed calls; the median is kept.
    3. The bytes of the `(B, T, S, A)` activations and `(B, T, S)` weights,
       from the shape and dtype of the weights the layer returned.

    Lengths `(16, 32, 64, 96)` for both, with the default sizes, take about 2 s on
    two CPU cores, and the line fits with R² near 0.99.

    Args:
        source_lengths: source lengths `S` to measure (an int or a sequence).
        target_lengths: target lengths `T` to measure (an int or a sequence).
        batch_size: sentences per batch, `B`.
        units: the layer's `A`, also the width of queries and values.
        repetitions: timed calls per measurement.
        compiled: time a `tf.function` of the call (TensorFlow backend only);
            False times eager calls, on any backend.
        seed: seed of the layer's weights and of the random inputs.

    Returns:
        An `AttentionCost`, one row per `(S, T)` in the order of
        `itertools.product(source_lengths, target_lengths)`.
    """
    source_lengths = _lengths(source_lengths, "source_lengths")
    target_lengths = _lengths(target_lengths, "target_lengths")
    batch_size = positive_int(batch_size, "batch_size")
    units = positive_int(units, "units")
    repetitions = positive_int(repetitions, "repetitions")
    if compiled and keras.backend.backend() != "tensorflow":
        raise ValueError(
            "compiled=True times a tf.function, which needs the TensorFlow backend. "
            f"Received: compiled=True under backend {keras.backend.backend()!r}; "
            "pass compiled=False to time eager calls."
        )
    keras.utils.set_random_seed(seed)
    random = np.random.default_rng(seed)
    layer = AdditiveAttention(units)

    def forward(query, value):
        return layer(query, value, return_attention_scores=True)

    if compiled:
        import tensorflow as tf

        forward = tf.function(forward)
    rows = []
    for source_length, target_length in itertools.product(
        source_lengths, target_lengths
    ):
        query = random.normal(size=(batch_size, target_length, units))
        value = random.normal(size=(batch_size, source_length, units))
        query = keras.ops.convert_to_tensor(query, dtype=layer.compute_dtype)
        value = keras.ops.convert_to_tensor(value, dtype=layer.compute_dtype)
        _, weights = forward(query, value)
        times = []
        for _ in range(repetitions):
            started = time.perf_counter()
            keras.ops.convert_to_numpy(forward(query, value)[0])
            times.append(time.perf_counter() - started)
        weight_bytes = keras.ops.convert_to_numpy(weights).nbytes  # (B, T, S)
        activation_bytes = weight_bytes * units  # (B, T, S, A), same dtype
        rows.append(
            (
                source_length,
                target_length,
                source_length * target_length,
                float(np.median(times)),
                activation_bytes + weight_bytes,
            )
        )
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    return AttentionCost(
        *columns,
        batch_size=batch_size,
        units=units,
        repetitions=repetitions,
        mode="tf.function" if compiled else "eager",
    )
