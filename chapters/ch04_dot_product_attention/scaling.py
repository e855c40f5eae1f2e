"""Why scaled dot-product attention divides by `√d_k`, measured (Vaswani et al.,
2017, "Attention Is All You Need", section 3.2.1).

Let a query `q` and a key `k` have `d_k` independent entries of mean 0 and
variance 1. Their dot product `q · k = Σ_i q_i k_i` sums `d_k` independent terms
of variance 1, so its variance is `d_k`: the wider the keys, the further apart the
scores of one row. The softmax of scores that far apart puts nearly all the
weight on the largest (it *saturates*), and its gradient

    ∂α/∂e = diag(α) - α α^T

then nearly vanishes: `α_i (1 - α_i)` and `α_i α_j` are all close to 0 when `α`
is close to one-hot, so the scores, and the queries and keys behind them, stop
learning. Dividing the scores by `√d_k` brings their variance back to 1 for every
`d_k`, and the softmax stays where it learns.

`measure_scaling` draws such queries and keys for several widths and measures,
with and without the scale, (a) the variance of the scores, (b) how saturated
their softmax is (the mean largest weight and the mean entropy of a row) and
(c) the mean Frobenius norm of the softmax's Jacobian above. NumPy only, seeded,
well under a second. `python -m chapters.ch04_dot_product_attention.scaling`
prints the table.
"""

import dataclasses

import numpy as np

from chapters.common.arguments import positive_int

KEY_DIMS = (4, 8, 16, 32, 64, 128, 256, 512, 1024)
STATISTICS = ("variance", "max_weight", "entropy", "gradient")


def softmax(scores):
    """Softmax over the last axis of a NumPy array."""
    # Subtracting the row's largest score changes no weight and keeps exp <= 1.
    exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def softmax_jacobian(weights):
    """`∂α_i/∂e_j = α_i (δ_ij - α_j)` for softmax weights `(..., S)`: `(..., S, S)`."""
    identity = np.eye(weights.shape[-1])
    return weights[..., :, None] * (identity - weights[..., None, :])


@dataclasses.dataclass(frozen=True)
class ScoreStatistics:
    """What the softmax makes of rows of scores `e`, averaged over the rows."""

    variance: float  # Of the scores themselves, all rows together.
    max_weight: float  # Largest weight of a row: 1/S if uniform, 1 if one-hot.
    entropy: float  # Of a row's weights, in nats: log S if uniform, 0 if one-hot.
    gradient: float  # Frobenius norm of ∂α/∂e: 0 when the softmax saturates.


def score_statistics(scores):
    """Variance, saturation and gradient of the softmax of `scores` `(rows, S)`.

    Args:
        scores: float array `(rows, S)`, one row of scores per query.

    Returns:
        A `ScoreStatistics` of Python floats.
    """
    scores = np.asarray(scores, dtype="float64")
    if scores.ndim != 2 or scores.shape[-1] < 2:
        raise ValueError(
            "scores must have shape (rows, S) with S >= 2 scores per row. "
            f"Received: scores with shape {scores.shape}"
        )
    weights = softmax(scores)  # (rows, S)
    # 0 log 0 = 0: a weight that underflowed to 0 adds no entropy.
    logs = np.log(np.where(weights > 0, weights, 1.0))
    jacobian = softmax_jacobian(weights)  # (rows, S, S)
    return ScoreStatistics(
        variance=float(scores.var()),
        max_weight=float(weights.max(axis=-1).mean()),
        entropy=float(-(weights * logs).sum(axis=-1).mean()),
        gradient=float(np.sqrt((jacobian**2).sum(axis=(-2, -1))).mean()),
    )


def random_scores(key_dim, rows, source_length, random):
    """Dot products of `rows` queries with `source_length` keys each, every entry
    drawn from a standard normal: `(rows, S)` scores of variance about `key_dim`."""
    query = random.standard_normal((rows, key_dim), dtype="float32")
    keys = random.standard_normal((rows, source_length, key_dim), dtype="float32")
    return np.einsum("rd,rsd->rs", query, keys).astype("float64")  # (rows, S)


@dataclasses.dataclass(frozen=True)
class ScalingMeasurements:
    """`ScoreStatistics` against the keys' width, without and with `1/√d_k`."""

    key_dims: tuple  # The widths d_k measured.
    source_length: int  # S: scores per row, one row per query.
    rows: int  # Queries per width.
    raw: tuple  # One ScoreStatistics per width, for q · k.
    scaled: tuple  # The same, for q · k / √d_k.

    def series(self, statistic):
        """`(raw, scaled)`: two arrays of one statistic against `key_dims`, to
        plot; `statistic` is one of `STATISTICS`."""
        if statistic not in STATISTICS:
            raise ValueError(
                f"statistic must be one of {STATISTICS}. "
                f"Received: statistic={statistic!r}"
            )
        return tuple(
            np.array([getattr(row, statistic) for row in measured])
            for measured in (self.raw, self.scaled)
        )

    def table(self):
        """The measurements as a text table, one line per width."""
        header = (
            f"{'d_k':>5}  {'variance':>17}  {'max weight':>13}  "
            f"{'entropy (nats)':>14}  {'|∂α/∂e|':>13}"
        )
        lines = [
            header,
            f"{'':>5}  {'raw':>8} {'scaled':>8}  "
            + "  ".join(f"{'raw':>6} {'scaled':>6}" for _ in range(3)),
        ]
        for key_dim, raw, scaled in zip(
            self.key_dims, self.raw, self.scaled, strict=True
        ):
            lines.append(
                f"{key_dim:>5}  {raw.variance:8.2f} {scaled.variance:8.3f}  "
                + "  ".join(
                    f"{getattr(raw, name):6.3f} {getattr(scaled, name):6.3f}"
                    for name in STATISTICS[1:]
                )
            )
        return "\n".join(lines)


def measure_scaling(key_dims=KEY_DIMS, source_length=16, rows=512, seed=0):
    """Score variance, softmax saturation and gradient, with and without `1/√d_k`.

    Steps, for every width `d_k`:
    1. Draw `rows` queries and `rows * S` keys with standard normal entries.
    2. Score every query against its `S` keys: `e = q · k`, `(rows, S)`.
    3. Measure `score_statistics` of `e` and of `e / √d_k`.

    Args:
        key_dims: the widths `d_k` to measure, positive integers.
        source_length: `S`, the keys scored by each query (at least 2).
        rows: queries per width.
        seed: seed of NumPy's generator: the same seed gives the same numbers.

    Returns:
        A `ScalingMeasurements`; `.table()` prints it, `.series(name)` plots it.
    """
    key_dims = tuple(positive_int(key_dim, "key_dims") for key_dim in key_dims)
    if not key_dims:
        raise ValueError("key_dims must hold at least one width. Received: ()")
    source_length = positive_int(source_length, "source_length", minimum=2)
    rows = positive_int(rows, "rows")
    random = np.random.default_rng(seed)
    raw, scaled = [], []
    for key_dim in key_dims:
        scores = random_scores(key_dim, rows, source_length, random)  # (rows, S)
        raw.append(score_statistics(scores))
        scaled.append(score_statistics(scores / np.sqrt(key_dim)))
    return ScalingMeasurements(
        key_dims=key_dims,
        source_length=source_length,
        rows=rows,
        raw=tuple(raw),
        scaled=tuple(scaled),
    )


def mean_largest_weight(weights_per_pair):
    """How peaked trained attention is: the mean, over every row of every
    sentence, of the row's largest weight (1 for one-hot rows, `1/S` for
    uniform ones). The measure `score_statistics` takes of random scores, taken
    of a model's weights.

    Args:
        weights_per_pair: one `(target tokens, source tokens)` array per sentence.

    Raises:
        ValueError: no rows, or an array that is not 2-D.
    """
    largest = []
    for index, weights in enumerate(weights_per_pair):
        weights = np.asarray(weights, dtype="float64")
        if weights.ndim != 2:
            raise ValueError(
                "Each sentence's weights must be (target tokens, source tokens). "
                f"Received: shape {weights.shape} for sentence {index}"
            )
        largest.append(weights.max(axis=1, initial=0.0))
    if not largest or not sum(len(rows) for rows in largest):
        raise ValueError("weights_per_pair must hold at least one row of weights.")
    return float(np.concatenate(largest).mean())


if __name__ == "__main__":
    # python -m chapters.ch04_dot_product_attention.scaling
    print(measure_scaling().table())
