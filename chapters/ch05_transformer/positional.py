"""Where a token is: the sinusoidal positional encoding of Vaswani et al. (2017,
"Attention Is All You Need", section 3.5).

Attention alone cannot tell positions apart: it scores every pair of tokens by
their contents, so shuffling the tokens of a sentence shuffles its outputs the
same way. The Transformer adds to each embedding a vector that depends only on
the position `pos`:

    PE(pos, 2i)     = sin(pos / 10000^(2i / d_model))
    PE(pos, 2i + 1) = cos(pos / 10000^(2i / d_model))

Each pair of dimensions `(2i, 2i + 1)` is a point turning on a circle, at a speed
that falls from one radian per position (`i = 0`) to nearly nothing. Because
`sin(a + b)` and `cos(a + b)` are fixed linear mixes of `sin a` and `cos a`, the
encoding of `pos + k` is a rotation of the encoding of `pos` that depends on `k`
alone: a relative offset is a linear map the attention can learn.
"""

import keras
import numpy as np
from keras import ops

from chapters.common.arguments import positive_int


def positional_encoding(length, depth):
    """The table `PE` of shape `(length, depth)`, float32, rows = positions.

    Even columns `2i` hold `sin(pos / 10000^(2i / depth))`, odd columns `2i + 1`
    the cosine of the same angle.

    Raises:
        ValueError: `depth` is odd (each frequency needs a sine and a cosine
            column), or `length` or `depth` is not a positive integer.
    """
    length = positive_int(length, "length")
    depth = positive_int(depth, "depth")
    if depth % 2:
        raise ValueError(
            "depth must be even: each frequency fills a sine and a cosine column. "
            f"Received: depth={depth}"
        )
    positions = np.arange(length)[:, None]  # (length, 1)
    even = np.arange(0, depth, 2)[None, :]  # 2i: (1, depth / 2)
    angles = positions / np.power(10000.0, even / depth)  # (length, depth / 2)
    table = np.empty((length, depth))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles)
    return table.astype("float32")


@keras.saving.register_keras_serializable(package="course")
class PositionalEncoding(keras.layers.Layer):
    """Token embeddings, scaled by `√d_model`, plus the positional encoding.

    Args:
        vocabulary_size: number of token ids.
        d_model: width of the embeddings and of the encoding (even).
        max_length: the longest sequence the layer accepts; the table is
            computed once for it.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        token_ids: int tensor `(B, T)`, padded with 0.

    Returns:
        `(B, T, d_model)`: `embedding(token_ids) · √d_model + PE[:T]`. The paper
        multiplies the embeddings by `√d_model` so that they are not drowned by
        the encoding, whose entries lie in [-1, 1]. No Keras mask is attached:
        the model passes its padding masks to the attention layers explicitly.
    """

    def __init__(self, vocabulary_size, d_model, max_length=512, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
        self.d_model = positive_int(d_model, "d_model")
        self.max_length = positive_int(max_length, "max_length")
        self.table = positional_encoding(self.max_length, self.d_model)
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size,
            self.d_model,
            dtype=self.dtype_policy,
            name="embedding",
        )

    def build(self, token_ids_shape):
        self.embedding.build(token_ids_shape)
        self.built = True

    def call(self, token_ids):
        length = token_ids.shape[1]
        if length is not None and length > self.max_length:
            raise ValueError(
                f"The sequence has {length} tokens, more than max_length="
                f"{self.max_length}. Build the layer with a larger max_length, or "
                "cut the sequences shorter."
            )
        embedded = self.embedding(token_ids)  # (B, T, d_model)
        scaled = embedded * ops.cast(ops.sqrt(float(self.d_model)), embedded.dtype)
        table = ops.convert_to_tensor(self.table, dtype=embedded.dtype)
        return scaled + table[None, : ops.shape(token_ids)[1], :]

    def at(self, token_ids, positions):
        """One token per sentence, each at its own position: `(B,)` ids and
        `(B,)` positions -> `(B, 1, d_model)`, the rows `call` gives there. A
        decoder generating one token at a time uses it."""
        embedded = self.embedding(token_ids[:, None])  # (B, 1, d_model)
        scaled = embedded * ops.cast(ops.sqrt(float(self.d_model)), embedded.dtype)
        table = ops.convert_to_tensor(self.table, dtype=embedded.dtype)
        return scaled + ops.take(table, positions, axis=0)[:, None, :]

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            d_model=self.d_model,
            max_length=self.max_length,
        )
        return config
