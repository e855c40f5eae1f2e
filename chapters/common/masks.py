"""The course's one mask convention: boolean, True where a position may be used.

Every mask in the course, whichever chapter builds it, reads the same way:

* A mask is boolean, never 0/1 floats or additive `-inf` biases.
* `True` means "a real token: compute with it, attend to it". `False` means
  "padding: skip it". This is Keras' own convention, for the masks that
  `Embedding(mask_zero=True)` attaches and that recurrent layers read, and for
  the `attention_mask` of its attention layers.
* Padding is `PAD_ID` (0), at the end of each sentence.

Two masks combine with `ops.logical_and`. An attention layer turns `False` into a
large negative score only inside its softmax, so masks stay boolean until then.
"""

from keras import ops

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
