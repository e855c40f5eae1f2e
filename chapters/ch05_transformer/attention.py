"""Multi-head attention (Vaswani et al., 2017, section 3.2.2), on chapter 4's
scaled dot-product attention.

One head compares queries and keys in one learned subspace. `h` heads compare
them in `h` subspaces side by side, each `d_k` wide, and mix what they found:

    head_j = Attention(Q W_j^Q, K W_j^K, V W_j^V)        j = 1 ... h
    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O

Computed in four steps, each a few lines below:

1. **Project** the queries, keys and values with one matrix each, `h · d_k` (or
   `h · d_v`) wide: all heads at once.
2. **Split the heads**: `(B, T, h · d_k)` -> `(B, h, T, d_k)`, then fold the head
   axis into the batch, `(B · h, T, d_k)`, so that every head is one more
   "sentence" for chapter 4's `ScaledDotProductAttention`.
3. **Attend**: scaled dot-product attention, per head, with the masks repeated
   for every head.
4. **Merge the heads** back, `(B · h, T, d_v)` -> `(B, T, h · d_v)`, and mix them
   with the output projection `W^O`.

The weights have the shapes of `keras.layers.MultiHeadAttention`'s once its
`(D, h, d_k)` kernels are flattened to `(D, h · d_k)`, so that the two can be
compared with the same weights (`copy_keras_weights`).
"""

import keras
from keras import ops

from chapters.ch03_attention.attention import check_shape
from chapters.ch04_dot_product_attention.attention import ScaledDotProductAttention
from chapters.common.arguments import positive_int


def split_heads(x, num_heads):
    """`(B, T, h · d)` -> `(B · h, T, d)`: head `j` of sentence `b` becomes row
    `b · h + j`.

    Raises:
        ValueError: the last axis is not a multiple of `num_heads`.
    """
    batch, length, width = ops.shape(x)[0], ops.shape(x)[1], x.shape[-1]
    if width is not None and width % num_heads:
        raise ValueError(
            f"The last axis must hold num_heads={num_heads} heads of equal width. "
            f"Received: width {width}"
        )
    depth = width // num_heads
    x = ops.reshape(x, (batch, length, num_heads, depth))  # (B, T, h, d)
    x = ops.transpose(x, (0, 2, 1, 3))  # (B, h, T, d)
    return ops.reshape(x, (batch * num_heads, length, depth))  # (B·h, T, d)


def merge_heads(x, num_heads):
    """`(B · h, T, d)` -> `(B, T, h · d)`, the inverse of `split_heads`: the
    heads of one position side by side, head 0 first."""
    length, depth = ops.shape(x)[1], x.shape[-1]
    x = ops.reshape(x, (-1, num_heads, length, depth))  # (B, h, T, d)
    x = ops.transpose(x, (0, 2, 1, 3))  # (B, T, h, d)
    return ops.reshape(x, (-1, length, num_heads * depth))  # (B, T, h·d)


def repeat_for_heads(mask, num_heads):
    """A mask `(B, ...)` repeated for every head, `(B · h, ...)`, in the order
    of `split_heads`."""
    return ops.repeat(mask, num_heads, axis=0)


@keras.saving.register_keras_serializable(package="course")
class MultiHeadAttention(keras.layers.Layer):
    """`h` heads of scaled dot-product attention, with their projections.

    Args:
        num_heads: `h`.
        key_dim: `d_k`, the width of each head's queries and keys.
        value_dim: `d_v`, the width of each head's values; default `key_dim`.
        output_dim: width of the output; default the query's width.
        use_bias: biases in the four projections (Keras' default, True).
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        query: `(B, T, Dq)`.
        value: `(B, S, Dv)`.
        key: `(B, S, Dk)`; default `value`.
        value_mask: bool `(B, S)`, True at real source tokens, or None.
        attention_mask: bool `(B, T, S)`, True where query `t` may attend to key
            `s` (e.g. a causal mask combined with padding), or None.
        return_attention_scores: also return the weights `(B, h, T, S)`.

    Returns:
        `(B, T, output_dim)`, and the weights if asked.
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        output_dim=None,
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = positive_int(num_heads, "num_heads")
        self.key_dim = positive_int(key_dim, "key_dim")
        self.value_dim = (
            self.key_dim if value_dim is None else positive_int(value_dim, "value_dim")
        )
        self.output_dim = (
            None if output_dim is None else positive_int(output_dim, "output_dim")
        )
        self.use_bias = bool(use_bias)
        heads_wide = self.num_heads * self.key_dim
        self.query_projection = self._dense(heads_wide, "query_projection")
        self.key_projection = self._dense(heads_wide, "key_projection")
        self.value_projection = self._dense(
            self.num_heads * self.value_dim, "value_projection"
        )
        # Chapter 4's layer, without projections of its own: it scales by
        # 1/√d_k, masks, and takes the softmax over the keys.
        self.attention = ScaledDotProductAttention(
            dtype=self.dtype_policy, name="attention"
        )

    def _dense(self, width, name):
        return keras.layers.Dense(
            width, use_bias=self.use_bias, dtype=self.dtype_policy, name=name
        )

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self.query_projection.build(query_shape)
        self.key_projection.build(key_shape)
        self.value_projection.build(value_shape)
        self.output_projection = self._dense(
            self.output_dim or query_shape[-1], "output_projection"
        )
        self.output_projection.build(
            (*query_shape[:-1], self.num_heads * self.value_dim)
        )
        self.built = True

    def project_keys_and_values(self, key, value):
        """Step 1 for the keys and values: `(B, S, h·d_k)` and `(B, S, h·d_v)`,
        every head side by side. A decoder that caches them calls this once per
        new token."""
        return self.key_projection(key), self.value_projection(value)

    def attend_projected(
        self, query, keys, values, value_mask=None, attention_mask=None
    ):
        """Steps 1 (the queries) to 4, on keys and values from
        `project_keys_and_values`.

        Returns:
            `(output (B, T, output_dim), weights (B, h, T, S))`.
        """
        batch, target_length = ops.shape(query)[0], ops.shape(query)[1]
        source_length = ops.shape(keys)[1]
        # 1. All heads' queries at once: (B, T, h·d_k).
        queries = self.query_projection(query)
        # 2. One "sentence" per head: (B·h, T, d_k), (B·h, S, d_k), (B·h, S, d_v).
        heads = [split_heads(x, self.num_heads) for x in (queries, keys, values)]
        # 3. Scaled dot-product attention in every head, the masks repeated.
        if value_mask is not None:
            check_shape(
                value_mask,
                "value_mask",
                (("B", query.shape[0]), ("S", keys.shape[1])),
                "True at real source tokens",
            )
            value_mask = repeat_for_heads(value_mask, self.num_heads)
        if attention_mask is not None:
            check_shape(
                attention_mask,
                "attention_mask",
                (("B", query.shape[0]), ("T", query.shape[1]), ("S", keys.shape[1])),
                "True where query t may attend to key s",
            )
            attention_mask = repeat_for_heads(attention_mask, self.num_heads)
        context, weights = self.attention(
            heads[0],
            heads[2],
            heads[1],
            value_mask=value_mask,
            attention_mask=attention_mask,
            return_attention_scores=True,
        )  # (B·h, T, d_v), (B·h, T, S)
        # 4. The heads side by side, mixed by W^O: (B, T, output_dim).
        output = self.output_projection(merge_heads(context, self.num_heads))
        weights = ops.reshape(
            weights, (batch, self.num_heads, target_length, source_length)
        )
        return output, weights  # (B, h, T, S)

    def call(
        self,
        query,
        value,
        key=None,
        value_mask=None,
        attention_mask=None,
        return_attention_scores=False,
    ):
        key = value if key is None else key
        keys, values = self.project_keys_and_values(key, value)
        output, weights = self.attend_projected(
            query, keys, values, value_mask, attention_mask
        )
        if return_attention_scores:
            return output, weights
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            output_dim=self.output_dim,
            use_bias=self.use_bias,
        )
        return config


def copy_keras_weights(ours, theirs):
    """Sets `ours` (a built `MultiHeadAttention`) to the weights of `theirs`, a
    built `keras.layers.MultiHeadAttention` of the same sizes: Keras keeps each
    projection's kernel as `(D, h, d)` and ours as `(D, h · d)`, the same numbers
    in the same order."""
    pairs = (
        (ours.query_projection, theirs.query_dense),
        (ours.key_projection, theirs.key_dense),
        (ours.value_projection, theirs.value_dense),
        (ours.output_projection, theirs.output_dense),
    )
    for layer, keras_layer in pairs:
        weights = [ops.convert_to_numpy(w) for w in keras_layer.weights]
        layer.set_weights(
            [
                weight.reshape(target.shape)
                for weight, target in zip(weights, layer.get_weights(), strict=True)
            ]
        )
