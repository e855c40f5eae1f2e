"""Luong's three scores and scaled dot-product attention, on chapter 3's base layer.

Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine
Translation") compare the decoder's current state `h_t` with every encoder state
`h̄_s` in one of three ways:

    dot       score(h_t, h̄_s) = h_t^T h̄_s
    general   score(h_t, h̄_s) = h_t^T W_a h̄_s
    concat    score(h_t, h̄_s) = v_a^T tanh(W_a [h_t; h̄_s])

Vaswani et al. (2017, "Attention Is All You Need") keep the dot product and divide
it by `√d_k`, the square root of the keys' width, so that the scores keep a
variance near 1 whatever the width (`scaling.py` measures why that matters):

    Attention(Q, K, V) = softmax(Q K^T / √d_k) V

Both layers are chapter 3's `BaseAttention` with another score: the masks, the
softmax and the weighted sum are inherited unchanged. Masks follow
`chapters.common.masks` (boolean, True where a key may be attended to); a causal
mask from `causal_mask` goes in `attention_mask`.
"""

import math
import numbers

import keras
from keras import ops

from chapters.ch03_attention.attention import (
    AdditiveAttention,
    BaseAttention,
    check_inputs,
)
from chapters.common.arguments import positive_int

LUONG_SCORES = ("dot", "general", "concat")


def dot_product_scores(query, keys):
    """Every query dotted with every key: `(B, T, D)`, `(B, S, D)` -> `(B, T, S)`."""
    return ops.einsum("btd,bsd->bts", query, keys)


def check_equal_widths(query_shape, key_shape, advice):
    """Raises a `ValueError` if query and key widths are known and differ, which a
    dot product of the two cannot take; `advice` says what to use instead."""
    query_width, key_width = query_shape[-1], key_shape[-1]
    if None not in (query_width, key_width) and query_width != key_width:
        raise ValueError(
            "A dot-product score needs queries and keys of the same width D. "
            f"{advice} Received: query with shape {tuple(query_shape)} and key "
            f"with shape {tuple(key_shape)}"
        )


@keras.saving.register_keras_serializable(package="course")
class LuongAttention(BaseAttention):
    """Luong's global attention, with the `dot`, `general` or `concat` score.

    - `dot`: `h_t^T h̄_s`. No weights; query and key need the same width.
    - `general`: `h_t^T W_a h̄_s`. `W_a` (`score_matrix`, `(Dk, Dq)`) maps a key to
      the query's width; `W_a h̄_s` depends on the keys alone, so `project_keys`
      computes it once per sentence and the score is then a dot product.
    - `concat`: `v_a^T tanh(W_a [h_t; h̄_s])`. `W_a` `(Dq + Dk, A)` multiplies
      the concatenation, so its first `Dq` rows act on `h_t` and its last `Dk`
      rows on `h̄_s`: `W_a [h_t; h̄_s] = W_q h_t + W_k h̄_s`. That is Bahdanau's
      additive score, so this layer computes it with chapter 3's
      `AdditiveAttention` (sublayer `additive`): its `query_projection` is the
      query half `W_q`, its `key_projection` the key half `W_k` (applied in
      `project_keys`, once per sentence) and its `score_vector` is `v_a`.

    Steps, after those of `BaseAttention`:
    0. `project_keys`: `h̄_s` (dot), `W_a h̄_s` `(B, S, Dq)` (general) or
       `W_k h̄_s` `(B, S, A)` (concat).
    1. `score`: a dot product of queries and projected keys (dot, general), or
       `v_a^T tanh(W_q h_t + W_k h̄_s)` (concat); `(B, T, S)` in every case.

    Args:
        score: `"dot"`, `"general"` or `"concat"`.
        units: width `A` of the concat score's hidden layer, required by
            `"concat"`. The other two scores have no hidden layer (general's
            `W_a` maps the key width to the query width) and leave it unused, so
            that one configuration can switch between the three scores.
        scaled: divide the `dot` or `general` score by `√D`, `D` the query's
            width, as Vaswani et al. divide theirs by `√d_k` (not in Luong's
            paper; lesson 04d measures what it changes). The queries are scaled
            before the product, as in `ScaledDotProductAttention`. The `concat`
            score refuses it: its `v_a` sets its own scale.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments and returns: those of `BaseAttention`.
    """

    def __init__(self, score="general", units=None, scaled=False, **kwargs):
        super().__init__(**kwargs)
        if score not in LUONG_SCORES:
            raise ValueError(
                f"score must be one of {LUONG_SCORES}. Received: score={score!r}"
            )
        self.scaled = bool(scaled)
        if self.scaled and score == "concat":
            raise ValueError(
                "scaled=True divides a dot product by √D; the concat score has "
                "none. Use score='dot' or 'general', or scaled=False. Received: "
                "score='concat', scaled=True"
            )
        # Not `self.score`: that is the method every BaseAttention defines.
        self.score_name = score
        self.units = None if units is None else positive_int(units, "units")
        if score == "concat":
            if self.units is None:
                raise ValueError(
                    "score='concat' needs units, the width A of its hidden layer. "
                    "Received: units=None"
                )
            self.additive = AdditiveAttention(
                self.units, dtype=self.dtype_policy, name="additive"
            )

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if self.score_name == "dot":
            check_equal_widths(
                query_shape,
                key_shape,
                "score='general' has a matrix W_a that maps keys to the query's width.",
            )
        elif self.score_name == "general":
            self.score_matrix = self.add_weight(
                name="score_matrix",
                shape=(key_shape[-1], query_shape[-1]),
                initializer="glorot_uniform",
            )
        else:
            self.additive.build(query_shape, value_shape, key_shape)
        self.built = True

    def project_keys(self, key):
        if self.score_name == "general":
            # A decoder calls this outside `__call__`, where Keras does not cast
            # weights to the compute dtype (float16 under mixed precision).
            score_matrix = ops.cast(self.score_matrix, key.dtype)
            return ops.matmul(key, score_matrix)  # W_a h̄_s: (B, S, Dq)
        if self.score_name == "concat":
            return self.additive.project_keys(key)  # W_k h̄_s: (B, S, A)
        return key  # (B, S, Dk)

    def score(self, query, keys):
        if self.score_name == "concat":
            return self.additive.score(query, keys)  # (B, T, S)
        if self.scaled:
            query = query / math.sqrt(query.shape[-1])  # (h_t / √D) · key
        return dot_product_scores(query, keys)  # (B, T, S)

    def get_config(self):
        config = super().get_config()
        config.update(score=self.score_name, units=self.units, scaled=self.scaled)
        return config


@keras.saving.register_keras_serializable(package="course")
class ScaledDotProductAttention(BaseAttention):
    """Scaled dot-product attention, `softmax(Q K^T / √d_k) V` (Vaswani et al., 2017).

    Without projections (the default), `Q`, `K` and `V` are the query, key and
    value as given; query and key then need the same width `d_k`. With
    `use_projections=True`, three learned matrices (`Dense` without bias) map
    them first: `Q = W_Q q` and `K = W_K k` to `key_dim`, `V = W_V v` to
    `value_dim`. That is one head of multi-head attention, which runs several
    such heads side by side and mixes their outputs with one more matrix.

    Where each projection goes, so that `BaseAttention`'s steps stay as they are:
    - `W_K` in `project_keys`: it depends on the keys alone, so it is computed
      once per sentence, like `U_a` in chapter 3.
    - `W_V` in `project_values`, a method this layer adds: `attend` sums the
      values it is given, so they must be projected before it. `call` does it
      once per sentence, as it does the keys; a decoder that calls `attend` step
      by step calls `project_values` once too.
    - `W_Q` in `score`, since the queries change at every step.

    The scale multiplies the queries, before the product, rather than the scores
    after it: the same numbers up to rounding, but in `float16` (largest value
    65504) `Q K^T` can overflow to `inf` where `(Q / √d_k) K^T` does not.

    Steps, after those of `BaseAttention`:
    0. `project_keys`: `K = W_K k` `(B, S, d_k)`; `project_values`:
       `V = W_V v` `(B, S, value_dim)` (both the identity without projections).
    1. `score`: `Q = W_Q q` `(B, T, d_k)`, then `(scale * Q) K^T` `(B, T, S)`.

    Args:
        use_projections: learn `W_Q`, `W_K`, `W_V`; without them the inputs are
            used as they are.
        key_dim: width `d_k` of the projected queries and keys; required with
            `use_projections=True`, refused without.
        value_dim: width of the projected values; `key_dim` when None. Only
            with `use_projections=True`.
        scale: the positive factor of the scores; `1 / √d_k` when None, with
            `d_k` the width of the (projected) keys.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments and returns: those of `BaseAttention`. With projections the
    context has `value_dim` features, `(B, T, value_dim)`.
    """

    def __init__(
        self, use_projections=False, key_dim=None, value_dim=None, scale=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.use_projections = bool(use_projections)
        if self.use_projections:
            self.key_dim = positive_int(key_dim, "key_dim")
            self.value_dim = (
                self.key_dim
                if value_dim is None
                else positive_int(value_dim, "value_dim")
            )
        elif key_dim is not None or value_dim is not None:
            raise ValueError(
                "key_dim and value_dim size the learned projections: they need "
                f"use_projections=True. Received: key_dim={key_dim!r}, "
                f"value_dim={value_dim!r}"
            )
        else:
            self.key_dim = self.value_dim = None
        if scale is not None and (
            isinstance(scale, bool) or not isinstance(scale, numbers.Real) or scale <= 0
        ):
            raise ValueError(
                "scale must be a positive number, or None for 1 / √d_k. "
                f"Received: scale={scale!r}"
            )
        self.scale = None if scale is None else float(scale)
        if self.use_projections:
            self.query_projection = self._projection(self.key_dim, "query_projection")
            self.key_projection = self._projection(self.key_dim, "key_projection")
            self.value_projection = self._projection(self.value_dim, "value_projection")

    def _projection(self, width, name):
        # The sublayers follow this layer's dtype policy (e.g. mixed_float16).
        return keras.layers.Dense(
            width, use_bias=False, dtype=self.dtype_policy, name=name
        )

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if self.use_projections:
            self.query_projection.build(query_shape)
            self.key_projection.build(key_shape)
            self.value_projection.build(value_shape)
        else:
            check_equal_widths(
                query_shape,
                key_shape,
                "use_projections=True maps both to key_dim.",
            )
        self.built = True

    def project_keys(self, key):
        if self.use_projections:
            return self.key_projection(key)  # K = W_K k: (B, S, d_k)
        return key

    def project_values(self, value):
        """Value `(B, S, Dv)` -> the values that `attend` sums: `W_V v`
        `(B, S, value_dim)` with projections, else the value itself."""
        if self.use_projections:
            return self.value_projection(value)  # V = W_V v: (B, S, value_dim)
        return value

    def score(self, query, keys):
        if self.use_projections:
            query = self.query_projection(query)  # Q = W_Q q: (B, T, d_k)
        scale = 1.0 / math.sqrt(keys.shape[-1]) if self.scale is None else self.scale
        return dot_product_scores(query * scale, keys)  # (B, T, S)

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
        # 0. V = W_V v, once per sentence; BaseAttention projects the keys.
        return super().call(
            query,
            self.project_values(value),
            key,
            query_mask=query_mask,
            value_mask=value_mask,
            attention_mask=attention_mask,
            return_attention_scores=return_attention_scores,
            training=training,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            use_projections=self.use_projections,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            scale=self.scale,
        )
        return config
