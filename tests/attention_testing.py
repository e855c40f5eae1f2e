"""Helpers the attention layers' tests share (chapters 3 and 4), on any backend."""

import keras
import numpy as np


def padding(lengths, source=5):
    """A `(B, S)` value mask, True at the first `length` positions of each row."""
    return np.arange(source)[None, :] < np.array(lengths)[:, None]


def input_gradients(function, *inputs):
    """Gradients of `sum(function(*inputs))` with respect to each input."""
    if keras.backend.backend() == "jax":
        import jax

        def total(*tensors):
            return keras.ops.sum(function(*tensors))

        return jax.grad(total, argnums=tuple(range(len(inputs))))(*inputs)
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(value) for value in inputs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        total = tf.reduce_sum(function(*tensors))
    return tape.gradient(total, tensors)
