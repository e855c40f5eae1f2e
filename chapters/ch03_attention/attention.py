"""Additive attention (Bahdanau et al., 2015, "Neural Machine Translation by Jointly
Learning to Align and Translate"), on a base layer that later chapters reuse.

At decoder step `t`, the query `s_t` is compared with every encoder state `h_i`; the
scores become weights by a softmax over the source, and the context is the weighted
sum of the values:

    e_ti = score(s_t, h_i)          alpha_ti = softmax_i(e_ti)
    c_t = sum_i alpha_ti h_i

`BaseAttention` does everything but the score. Its subclasses define
`score(query, keys)`, and `project_keys(key)` for the part of the score that
depends on the keys alone. `AdditiveAttention` is Bahdanau's score,
`v_a^T tanh(W_a s_t + U_a h_i)`; chapter 4 subclasses the same base for Luong's
scores and scaled dot-product attention.

Masks follow `chapters.common.masks`: boolean, True where a key may be attended to.
"""

import keras
import ml_dtypes
from keras import ops

from chapters.common.arguments import positive_int


def masked_softmax(scores, mask=None):
    """Softmax over the last axis that gives masked positions exactly zero weight.

    Masked scores are replaced by the lowest finite value of the scores' dtype
    before the softmax, not by a constant such as `-1e9` (which is `-inf` in
    `float16`); the weights of masked positions are then set to exactly 0. A row
    whose positions are all masked thus gets all-zero weights, never NaN, and
    attends to nothing: its context is a zero vector.

    Args:
        scores: float tensor, typically `(B, T, S)`.
        mask: bool tensor broadcastable to `scores` (e.g. `(B, 1, S)` or
            `(B, T, S)`), True where a position may be attended to; None for none.

    Returns:
        Weights of the shape of `scores`: each row sums to 1 over its unmasked
        positions, or to 0 when it has none.
    """
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.cast(mask, "bool")
    dtype = keras.backend.standardize_dtype(scores.dtype)
    lowest = ops.convert_to_tensor(ml_dtypes.finfo(dtype).min, dtype=dtype)
    weights = ops.softmax(ops.where(mask, scores, lowest), axis=-1)
    return ops.where(mask, weights, ops.zeros_like(weights))


def check_shape(tensor, name, axes, meaning):
    """Raises a `ValueError` if `tensor`'s rank or a known size is not as expected.

    Args:
        tensor: the tensor to check (eager or symbolic).
        name: the argument's name, quoted in the error.
        axes: one `(symbol, size)` pair per expected axis, e.g.
            `(("B", 2), ("S", None))`; None where any size will do. A batch size
            of 1 is accepted too, since it broadcasts.
        meaning: what the tensor holds, quoted in the error.
    """
    shape = tuple(tensor.shape)
    fits = len(shape) == len(axes) and all(
        want is None or got is None or got == want or (axis == 0 and got == 1)
        for axis, (got, (_, want)) in enumerate(zip(shape, axes, strict=True))
    )
    if not fits:
        expected = ", ".join(
            symbol if size is None else f"{symbol}={size}" for symbol, size in axes
        )
        raise ValueError(
            f"{name} must have shape ({expected}): {meaning}. "
            f"Received: {name} with shape {shape}"
        )


def check_inputs(query, value, key, key_name="key"):
    """Checks that query, value and key are rank 3 and agree on `B` and `S`."""
    rank_3 = "a rank-3 tensor"
    check_shape(query, "query", (("B", None), ("T", None), ("Dq", None)), rank_3)
    batch = query.shape[0]
    check_shape(value, "value", (("B", batch), ("S", None), ("Dv", None)), rank_3)
    check_shape(
        key,
        key_name,
        (("B", batch), ("S", value.shape[1]), ("Dk", None)),
        "a rank-3 tensor with as many positions S as value",
    )


@keras.saving.register_keras_serializable(package="course")
class BaseAttention(keras.layers.Layer):
    """Attention with the score left to subclasses: mask, softmax, weighted sum.

    Steps:
    0. `keys = project_keys(key)`: the part of the score that depends on the keys
       alone (the identity here).
    1. Scores `(B, T, S)` = `score(query, keys)`.
    2. The value mask `(B, S)` and the attention mask `(B, T, S)` combine.
    3. A softmax over the source axis turns the scores into weights `(B, T, S)`;
       masked positions get exactly zero weight (see `masked_softmax`).
    4. The context is the weighted sum of the values, `(B, T, Dv)`; it is zeroed
       at masked query positions, as in `keras.layers.Attention`.

    Steps 1-4 are the public method `attend`, which takes keys already
    projected, so a decoder can call `project_keys` once per sentence and
    `attend` at every step, instead of projecting the same keys again each step.

    Subclasses override `score` and, where part of the score depends on the keys
    alone, `project_keys`; nothing here assumes that query and keys have the same
    width.

    Args:
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        query: `(B, T, Dq)`, e.g. the decoder states.
        value: `(B, S, Dv)`, e.g. the encoder states.
        key: `(B, S, Dk)`; `value` when None, the usual case.
        query_mask: bool `(B, T)`, True at real target positions; the outputs
            are zero elsewhere. Defaults to the Keras mask of `query`, if any.
        value_mask: bool `(B, S)`, True at real source tokens, the only ones
            attended to. Defaults to the Keras mask of `value`, if any (the keys
            share the values' positions, so the value mask covers them too).
        attention_mask: bool `(B, T, S)`, True where query `t` may attend to key
            `s` (chapter 4 passes causal masks here). Combined with `value_mask`.
        return_attention_scores: also return the attention weights.
        training: accepted for Keras' signature; nothing here depends on it.

    Returns:
        The context `(B, T, Dv)`, or `(context, weights)` with the softmax
        weights `(B, T, S)` when `return_attention_scores=True` (what Keras'
        attention layers return under that name). The output carries the query's
        Keras mask.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The output keeps the query's Keras mask, as in `keras.layers.Attention`.
        self.supports_masking = True

    def build(self, query_shape, value_shape, key_shape=None):
        self.built = True

    def project_keys(self, key):
        """Key `(B, S, Dk)` -> keys `(B, S, Dk')` for `score`: the part of the score
        that depends on the keys alone. The identity here."""
        return key

    def score(self, query, keys):
        """Query `(B, T, Dq)` and keys `(B, S, Dk')` -> unnormalised scores
        `(B, T, S)`, one per query and key. Defined by subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} must define score(query, keys): BaseAttention "
            "leaves the score to its subclasses."
        )

    def attend(self, query, value, keys, value_mask=None, attention_mask=None):
        """Steps 1-4 on keys already projected by `project_keys`.

        Args:
            query: `(B, T, Dq)`; `T = 1` for one decoder step.
            value: `(B, S, Dv)`.
            keys: `(B, S, Dk')`, from `project_keys(key)`.
            value_mask: bool `(B, S)`, True at real source tokens, or None.
            attention_mask: bool `(B, T, S)`, True where query `t` may attend to
                key `s`, or None.

        Returns:
            `(context, weights)`: context `(B, T, Dv)` and weights `(B, T, S)`.
            A query row with no key to attend to gets zero weights and a zero
            context.
        """
        check_inputs(query, value, keys, key_name="keys")
        batch, target_length, source_length = (*query.shape[:2], value.shape[1])
        # 1. One score per query and key.
        scores = self.score(query, keys)  # (B, T, S)
        # 2. A key may be attended to where every given mask allows it.
        mask = None
        if value_mask is not None:
            check_shape(
                value_mask,
                "value_mask",
                (("B", batch), ("S", source_length)),
                "True at real source tokens",
            )
            mask = ops.expand_dims(ops.cast(value_mask, "bool"), 1)  # (B, 1, S)
        if attention_mask is not None:
            check_shape(
                attention_mask,
                "attention_mask",
                (("B", batch), ("T", target_length), ("S", source_length)),
                "True where query t may attend to key s (a padding mask (B, S) "
                "goes in value_mask)",
            )
            attention_mask = ops.cast(attention_mask, "bool")
            mask = (
                attention_mask
                if mask is None
                else ops.logical_and(mask, attention_mask)  # (B, T, S)
            )
        # 3. Softmax over the source axis; masked keys get exactly zero weight.
        weights = masked_softmax(scores, mask)  # (B, T, S)
        # 4. The context is the weighted sum of the values.
        context = ops.matmul(weights, value)  # (B, T, Dv)
        return context, weights

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        key = value if key is None else key
        check_inputs(query, value, key)
        # 0. The part of the score that depends on the keys alone.
        keys = self.project_keys(key)  # (B, S, Dk')
        # 1-4. Score, mask, softmax, weighted sum.
        context, weights = self.attend(query, value, keys, value_mask, attention_mask)
        if query_mask is not None:
            check_shape(
                query_mask,
                "query_mask",
                (("B", query.shape[0]), ("T", query.shape[1])),
                "True at real query positions",
            )
            real_queries = ops.cast(ops.expand_dims(query_mask, -1), context.dtype)
            context = context * real_queries  # (B, T, Dv)
        if return_attention_scores:
            return context, weights
        return context


@keras.saving.register_keras_serializable(package="course")
class AdditiveAttention(BaseAttention):
    """Bahdanau's additive attention: `score(s_t, h_i) = v_a^T tanh(W_a s_t + U_a h_i)`.

    `W_a` (`query_projection`) maps a query to `A = units` numbers, `U_a`
    (`key_projection`) does the same for a key, and the vector `v_a`
    (`score_vector`) reads one score off the `tanh` of their sum: a one-hidden-
    layer network that scores each (query, key) pair. `U_a h_i` depends on the
    keys alone, so `project_keys` computes it once for all queries.

    Keras' own `keras.layers.AdditiveAttention` has no `W_a` or `U_a`: it adds
    query and key directly (so they need the same width) and its optional
    `scale` vector plays the part of `v_a` (with `use_scale=False`, `v_a` is all
    ones). With `W_a = U_a =` identity and `v_a =` Keras' `scale`, the two layers
    compute the same thing.

    Steps, after those of `BaseAttention`:
    0. `project_keys`: `U_a h_i`, `(B, S, A)`.
    1. `score`: `W_a s_t` `(B, T, A)` is added to every projected key,
       `(B, T, S, A)`; `tanh`, then a dot product with `v_a` gives `(B, T, S)`.

    Args:
        units: width `A` of the score's hidden layer.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments and returns: those of `BaseAttention`.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units")
        # The sublayers follow this layer's dtype policy (e.g. mixed_float16).
        self.query_projection = keras.layers.Dense(
            self.units, use_bias=False, dtype=self.dtype_policy, name="query_projection"
        )
        self.key_projection = keras.layers.Dense(
            self.units, use_bias=False, dtype=self.dtype_policy, name="key_projection"
        )

    def build(self, query_shape, value_shape, key_shape=None):
        self.query_projection.build(query_shape)
        self.key_projection.build(value_shape if key_shape is None else key_shape)
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform"
        )
        self.built = True

    def project_keys(self, key):
        return self.key_projection(key)  # U_a h_i: (B, S, A)

    def score(self, query, keys):
        projected_query = self.query_projection(query)  # W_a s_t: (B, T, A)
        hidden = ops.tanh(
            ops.expand_dims(projected_query, 2) + ops.expand_dims(keys, 1)
        )  # (B, T, S, A)
        # Keras casts weights to the compute dtype only inside `__call__`; a decoder
        # calling `attend` directly needs the cast (e.g. under mixed_float16).
        score_vector = ops.cast(self.score_vector, hidden.dtype)
        return ops.matmul(hidden, score_vector)  # (B, T, S)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units)
        return config


BahdanauAttention = AdditiveAttention
