"""The Transformer's blocks (Vaswani et al., 2017, sections 3.1 and 3.3).

Every block is a stack of sublayers, each wrapped the same way: a residual
connection around it and a layer normalization. Two placements:

- **post-norm** (the paper): `x = LayerNorm(x + Dropout(Sublayer(x)))`;
- **pre-norm** (`norm_first=True`, common since): `x = x + Dropout(Sublayer(
  LayerNorm(x)))`, which leaves the residual path untouched and tends to train
  more stably in deep stacks; the stack then needs one final `LayerNorm`.

`LayerNorm` normalizes **each token's vector on its own**: over its `d_model`
features it subtracts their mean and divides by their standard deviation, then
applies a learned gain and bias per feature. It does not mix tokens, sentences
or batch entries (unlike batch normalization, which normalizes each feature over
the batch).

- `FeedForward`: `Dense(d_ff, relu)` then `Dense(d_model)`, the same two
  matrices at every position.
- `EncoderBlock`: self-attention over the source, then the feed-forward block.
- `DecoderBlock`: causal self-attention over the target so far, attention over
  the encoder's outputs (cross-attention), then the feed-forward block; `step`
  does the same for one new token, with a cache of the earlier tokens' keys and
  values.
"""

import keras
from keras import ops

from chapters.ch05_transformer.attention import MultiHeadAttention
from chapters.common.arguments import positive_int
from chapters.common.masks import causal_mask, combine_masks


def _check_rate(rate, name):
    if isinstance(rate, bool) or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{name} must be in [0, 1). Received: {name}={rate!r}")
    return float(rate)


@keras.saving.register_keras_serializable(package="course")
class FeedForward(keras.layers.Layer):
    """`Dense(d_model)(relu(Dense(d_ff)(x)))` at every position: `(B, T, d_model)`
    in and out."""

    def __init__(self, d_model, d_ff, **kwargs):
        super().__init__(**kwargs)
        self.d_model = positive_int(d_model, "d_model")
        self.d_ff = positive_int(d_ff, "d_ff")
        self.expand = keras.layers.Dense(
            self.d_ff, activation="relu", dtype=self.dtype_policy, name="expand"
        )
        self.contract = keras.layers.Dense(
            self.d_model, dtype=self.dtype_policy, name="contract"
        )

    def build(self, input_shape):
        self.expand.build(input_shape)
        self.contract.build((*input_shape[:-1], self.d_ff))
        self.built = True

    def call(self, x):
        return self.contract(self.expand(x))

    def get_config(self):
        config = super().get_config()
        config.update(d_model=self.d_model, d_ff=self.d_ff)
        return config


class _Residual(keras.layers.Layer):
    """Shared by the blocks: dropout, residual and layer norm around a sublayer,
    post-norm or pre-norm."""

    def __init__(
        self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.d_model = positive_int(d_model, "d_model")
        self.num_heads = positive_int(num_heads, "num_heads")
        if self.d_model % self.num_heads:
            raise ValueError(
                "d_model must split evenly into num_heads heads. Received: "
                f"d_model={self.d_model}, num_heads={self.num_heads}"
            )
        self.d_ff = positive_int(d_ff, "d_ff")
        self.dropout_rate = _check_rate(dropout, "dropout")
        self.norm_first = bool(norm_first)
        self.dropout = keras.layers.Dropout(self.dropout_rate, dtype=self.dtype_policy)

    def _attention(self, name):
        return MultiHeadAttention(
            self.num_heads,
            self.d_model // self.num_heads,
            dtype=self.dtype_policy,
            name=name,
        )

    def _norm(self, name):
        return keras.layers.LayerNormalization(
            epsilon=1e-6, dtype=self.dtype_policy, name=name
        )

    def _wrapped(self, x, sublayer, norm, training):
        """One sublayer with its residual connection and layer norm."""
        if self.norm_first:
            return x + self.dropout(sublayer(norm(x)), training=training)
        return norm(x + self.dropout(sublayer(x), training=training))

    def get_config(self):
        config = super().get_config()
        config.update(
            d_model=self.d_model,
            num_heads=self.num_heads,
            d_ff=self.d_ff,
            dropout=self.dropout_rate,
            norm_first=self.norm_first,
        )
        return config


@keras.saving.register_keras_serializable(package="course")
class EncoderBlock(_Residual):
    """Self-attention, then the feed-forward block, each with its residual
    connection and layer norm.

    Args:
        d_model: width of every token's vector.
        num_heads: attention heads, each `d_model / num_heads` wide.
        d_ff: width of the feed-forward block's hidden layer.
        dropout: rate applied to each sublayer's output before the residual sum.
        norm_first: pre-norm instead of the paper's post-norm.

    Call arguments:
        x: `(B, S, d_model)`.
        padding_mask: bool `(B, S)`, True at real tokens, or None.
        training: Python bool, for dropout.
        return_attention_scores: also return the self-attention weights.

    Returns:
        `(B, S, d_model)`, or `(outputs, weights (B, h, S, S))` with
        `return_attention_scores=True`.
    """

    def __init__(
        self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False, **kwargs
    ):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first, **kwargs)
        self.self_attention = self._attention("self_attention")
        self.feed_forward = FeedForward(
            self.d_model, self.d_ff, dtype=self.dtype_policy, name="feed_forward"
        )
        self.attention_norm = self._norm("attention_norm")
        self.feed_forward_norm = self._norm("feed_forward_norm")

    def build(self, input_shape):
        self.self_attention.build(input_shape, input_shape)
        self.feed_forward.build(input_shape)
        self.attention_norm.build(input_shape)
        self.feed_forward_norm.build(input_shape)
        self.built = True

    def call(self, x, padding_mask=None, training=None, return_attention_scores=False):
        weights = []

        def attend(inputs):
            output, scores = self.self_attention(
                inputs, inputs, value_mask=padding_mask, return_attention_scores=True
            )
            weights.append(scores)
            return output

        x = self._wrapped(x, attend, self.attention_norm, training)
        x = self._wrapped(x, self.feed_forward, self.feed_forward_norm, training)
        return (x, weights[0]) if return_attention_scores else x


@keras.saving.register_keras_serializable(package="course")
class DecoderBlock(_Residual):
    """Causal self-attention, cross-attention to the encoder, then the
    feed-forward block, each with its residual connection and layer norm.

    Args: those of `EncoderBlock`.

    Call arguments:
        x: `(B, T, d_model)`, the target so far.
        encoder_outputs: `(B, S, d_model)`.
        target_mask: bool `(B, T)`, True at real target tokens, or None.
        source_mask: bool `(B, S)`, True at real source tokens, or None.
        training: Python bool, for dropout.
        return_attention_scores: also return the weights of both attentions.

    Returns:
        `(B, T, d_model)`. Position `t` depends on target positions `<= t` only.
        With `return_attention_scores=True`, `(outputs, {"self": (B, h, T, T),
        "cross": (B, h, T, S)})`.
    """

    def __init__(
        self, d_model, num_heads, d_ff, dropout=0.1, norm_first=False, **kwargs
    ):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first, **kwargs)
        self.self_attention = self._attention("self_attention")
        self.cross_attention = self._attention("cross_attention")
        self.feed_forward = FeedForward(
            self.d_model, self.d_ff, dtype=self.dtype_policy, name="feed_forward"
        )
        self.self_attention_norm = self._norm("self_attention_norm")
        self.cross_attention_norm = self._norm("cross_attention_norm")
        self.feed_forward_norm = self._norm("feed_forward_norm")

    def build(self, x_shape, encoder_outputs_shape):
        self.self_attention.build(x_shape, x_shape)
        self.cross_attention.build(x_shape, encoder_outputs_shape)
        self.feed_forward.build(x_shape)
        for norm in (
            self.self_attention_norm,
            self.cross_attention_norm,
            self.feed_forward_norm,
        ):
            norm.build(x_shape)
        self.built = True

    def call(
        self,
        x,
        encoder_outputs,
        target_mask=None,
        source_mask=None,
        training=None,
        return_attention_scores=False,
    ):
        batch, length = keras.ops.shape(x)[0], keras.ops.shape(x)[1]
        causal = causal_mask(length)  # (T, T): query t sees keys <= t
        if target_mask is None:
            self_mask = keras.ops.broadcast_to(causal[None], (batch, length, length))
        else:
            # A key is seen if it is a real token and not in the future.
            self_mask = combine_masks(target_mask[:, None, :], causal)  # (B, T, T)

        weights = {}

        def attend_to_target(inputs):
            output, weights["self"] = self.self_attention(
                inputs, inputs, attention_mask=self_mask, return_attention_scores=True
            )
            return output

        def attend_to_source(inputs):
            output, weights["cross"] = self.cross_attention(
                inputs,
                encoder_outputs,
                value_mask=source_mask,
                return_attention_scores=True,
            )
            return output

        x = self._wrapped(x, attend_to_target, self.self_attention_norm, training)
        x = self._wrapped(x, attend_to_source, self.cross_attention_norm, training)
        x = self._wrapped(x, self.feed_forward, self.feed_forward_norm, training)
        return (x, weights) if return_attention_scores else x

    def step(self, x, cache, positions, encoder_outputs, source_mask=None):
        """The block for one new token per sentence, reading the earlier tokens'
        keys and values from `cache` instead of recomputing them.

        Args:
            x: `(B, 1, d_model)`, the new token's vector.
            cache: `{"keys": (B, L, d_model), "values": (B, L, d_model)}`, the
                self-attention's projected keys and values of every earlier
                position, `L` slots preallocated (zeros where not yet written).
            positions: int `(B,)`, the new token's position in each sentence.
            encoder_outputs, source_mask: as for `call`.

        Returns:
            `(y (B, 1, d_model), cache with this position written, cross-attention
            weights (B, h, 1, S))`: `y` is what `call` gives at that position.
        """
        slots = ops.arange(ops.shape(cache["keys"])[1])[None, :]  # (1, L)
        here = ops.equal(slots, positions[:, None])[:, :, None]  # (B, L, 1)
        seen = ops.less_equal(slots, positions[:, None])  # (B, L): the past and now
        written, cross_weights = {}, []

        def attend_to_target(inputs):
            new_keys, new_values = self.self_attention.project_keys_and_values(
                inputs, inputs
            )  # (B, 1, d_model) each
            written["keys"] = ops.where(here, new_keys, cache["keys"])
            written["values"] = ops.where(here, new_values, cache["values"])
            output, _ = self.self_attention.attend_projected(
                inputs, written["keys"], written["values"], value_mask=seen
            )
            return output

        def attend_to_source(inputs):
            output, weights = self.cross_attention(
                inputs,
                encoder_outputs,
                value_mask=source_mask,
                return_attention_scores=True,
            )
            cross_weights.append(weights)
            return output

        x = self._wrapped(x, attend_to_target, self.self_attention_norm, False)
        x = self._wrapped(x, attend_to_source, self.cross_attention_norm, False)
        x = self._wrapped(x, self.feed_forward, self.feed_forward_norm, False)
        return x, written, cross_weights[0]
