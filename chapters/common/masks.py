"""The course's one mask convention: boolean, True where a position may be used.

Every mask in the course, whichever chapter builds it, reads the same way:

* A mask is boolean, never 0/1 floats or additive `-inf` biases.
* `True` means "a real token: compute with it, attend to it". `False` means
  "padding: skip it". This is Keras' own convention, for the masks that
  `Embedding(mask_zero=True)` attaches and that recurrent layers read, and for
  the `attention_mask` of its attention layers.
* Padding is `PAD_ID` (0), at the end of each sentence.

Masks combine with `ops.logical_and` (`combine_masks` does it for any number,
with broadcasting). An attention layer turns `False` into a large negative score
only inside its softmax, so masks stay boolean until then.

Three builders:

* `padding_mask(ids)`: True at real tokens, `(B, S)`.
* `causal_mask(target_length, source_length)`: True where query `t` may see key
  `s`, that is `s <= t`, `(T, S)`: the decoder's self-attention must not read
  the words it has not written yet (Vaswani et al., 2017).
* `combine_masks(*masks)`: True where every mask is True, e.g. a padding mask
  `(B, 1, S)` and a causal mask `(T, S)` give `(B, T, S)`.
"""

import numbers

import keras
from keras import ops

from chapters.common.arguments import positive_int
from chapters.common.vocabulary import PAD_ID


def padding_mask(ids):
    """Boolean mask of the real tokens: True where `ids` is not `PAD_ID`.

    The same mask as `keras.layers.Embedding(mask_zero=True).compute_mask(ids)`,
    for layers that embed without `mask_zero` and pass the mask on themselves.
    Written in `keras.ops`, so it works on any backend and inside a layer's
    `call`, on symbolic and eager tensors alike.

    Args:
        ids: integer token ids of any shape, typically `(B, S)`, right-padded
            with `PAD_ID`.

    Returns:
        A bool tensor of the shape of `ids`.
    """
    return ops.not_equal(ids, PAD_ID)


def _length(value, name):
    """A Python length, checked by `positive_int`; or a length known only at run
    time (a scalar integer tensor, or a symbolic dimension such as
    `ops.shape(query)[1]` while a model is traced), passed on as it is."""
    if value is None or isinstance(value, numbers.Number | str):
        return positive_int(value, name)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and "int" not in keras.backend.standardize_dtype(dtype):
        raise TypeError(
            f"{name} must be an integer or a scalar integer tensor. "
            f"Received: {name} of dtype {keras.backend.standardize_dtype(dtype)}"
        )
    return value


def causal_mask(target_length, source_length=None):
    """Boolean `(T, S)` mask, True where query position `t` may attend to key `s`.

    Query `t` may see the keys up to and including its own position, `s <= t`:
    a decoder predicting word `t + 1` from words `0..t` must not read ahead.
    Rows are queries and columns keys, as in the scores `(B, T, S)`:

        causal_mask(3) = [[T, F, F],
                          [T, T, F],
                          [T, T, T]]

    For self-attention `S == T`, the default. When `S != T`, query `t` and key
    `s` are still taken to be at positions `t` and `s` of one sequence (the
    queries are its first `T` positions): with `S > T` the last `S - T` keys are
    never seen; with `S < T` the rows `t >= S - 1` see every key. This is the
    convention of `keras.layers.Attention(use_causal_mask=True)` and of
    `keras.ops.dot_product_attention(is_causal=True)`. When the queries are
    instead the *last* `T` of `S` positions (decoding with a cache of the
    earlier keys), take the last `T` rows of the square mask:
    `causal_mask(S)[S - T:]`.

    Args:
        target_length: number of queries `T`: a positive Python integer, or a
            scalar integer tensor inside a layer whose lengths are known only at
            run time.
        source_length: number of keys `S`; `target_length` when None.

    Returns:
        A bool tensor `(T, S)`. Add a batch axis (or use `combine_masks` with a
        padding mask `(B, 1, S)`) before passing it as an `attention_mask`
        `(B, T, S)`.
    """
    target_length = _length(target_length, "target_length")
    source_length = (
        target_length
        if source_length is None
        else _length(source_length, "source_length")
    )
    query_positions = ops.expand_dims(ops.arange(target_length), 1)  # (T, 1)
    key_positions = ops.expand_dims(ops.arange(source_length), 0)  # (1, S)
    return ops.greater_equal(query_positions, key_positions)  # (T, S)


def _broadcastable(shapes):
    """Whether `shapes` broadcast together: aligned from the right, every axis has
    one size apart from 1 (None, a size unknown until run time, fits any)."""
    rank = max(len(shape) for shape in shapes)
    aligned = [(1,) * (rank - len(shape)) + tuple(shape) for shape in shapes]
    return all(
        len({size for size in sizes if size not in (None, 1)}) <= 1
        for sizes in zip(*aligned, strict=True)
    )


def combine_masks(*masks):
    """True where every given mask is True: a logical AND, with broadcasting.

    The usual case is a decoder's self-attention, where a key may be attended to
    if it is a real token *and* not in the future:

        combine_masks(padding[:, None, :], causal_mask(T))  # (B, 1, S), (T, S)
                                                            #   -> (B, T, S)

    A padding mask `(B, S)` must get its query axis first, `(B, 1, S)`: against
    a `(T, S)` mask it would otherwise be read as one row per query.

    Args:
        *masks: bool tensors (or NumPy arrays, or nested lists of bools) whose
            shapes broadcast together; None entries are skipped.

    Returns:
        A bool tensor of the broadcast shape; the mask itself when only one is
        given; None when every entry is None.

    Raises:
        TypeError: a mask is not boolean (0/1 integers or floats are refused:
            the course's masks are boolean, see this module's docstring).
        ValueError: the shapes do not broadcast together.
    """
    given = []
    for position, mask in enumerate(masks):
        if mask is None:
            continue
        if not hasattr(mask, "dtype"):
            mask = ops.convert_to_tensor(mask)
        dtype = keras.backend.standardize_dtype(mask.dtype)
        if dtype != "bool":
            raise TypeError(
                "combine_masks takes boolean masks, True where a position may be "
                f"attended to. Received: mask {position} of dtype {dtype}"
            )
        given.append(mask)
    if not given:
        return None
    if not _broadcastable([mask.shape for mask in given]):
        shapes = ", ".join(str(tuple(mask.shape)) for mask in given)
        raise ValueError(
            "combine_masks takes masks whose shapes broadcast together (a padding "
            f"mask (B, S) goes in as (B, 1, S)). Received: shapes {shapes}"
        )
    combined = given[0]
    for mask in given[1:]:
        combined = ops.logical_and(combined, mask)
    return combined
