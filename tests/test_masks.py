"""Tests of the one mask convention: boolean, True at real tokens."""

import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from chapters.common.masks import padding_mask
from chapters.common.vocabulary import PAD_ID

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_padding_mask_by_hand():
    mask = padding_mask(np.array([[4, 5, PAD_ID], [6, PAD_ID, PAD_ID]]))
    assert keras.backend.standardize_dtype(mask.dtype) == "bool"
    assert keras.ops.convert_to_numpy(mask).tolist() == [
        [True, True, False],
        [True, False, False],
    ]
    # A list works too, and any integer dtype.
    assert keras.ops.convert_to_numpy(padding_mask([7, 0])).tolist() == [True, False]


def test_padding_mask_equals_keras_embedding_mask():
    keras.utils.set_random_seed(0)
    ids = np.random.default_rng(0).integers(1, 9, size=(4, 6))
    ids[1, 3:] = PAD_ID
    ids[2, 1:] = PAD_ID
    embedding = keras.layers.Embedding(9, 3, mask_zero=True)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(padding_mask(ids)),
        keras.ops.convert_to_numpy(embedding.compute_mask(ids)),
    )


def test_padding_mask_inside_a_functional_model():
    # Symbolic tensors: the mask must be built with keras.ops, not tf.
    ids = keras.Input(shape=(None,), dtype="int32")
    model = keras.Model(ids, keras.layers.Lambda(padding_mask)(ids))
    mask = model(np.array([[3, 0]], dtype="int32"))
    assert keras.ops.convert_to_numpy(mask).tolist() == [[True, False]]


def test_padding_mask_under_the_jax_backend():
    pytest.importorskip("jax")
    # A fresh interpreter: the backend is fixed when Keras is first imported.
    code = (
        "import keras, numpy as np\n"
        "from chapters.common.masks import padding_mask\n"
        "assert keras.backend.backend() == 'jax'\n"
        "ids = np.array([[4, 5, 0], [6, 0, 0]])\n"
        "mask = padding_mask(ids)\n"
        "expected = keras.layers.Embedding(9, 3, mask_zero=True).compute_mask(ids)\n"
        "assert type(mask).__module__.startswith('jax'), type(mask)\n"
        "np.testing.assert_array_equal(np.asarray(mask), np.asarray(expected))\n"
        "assert np.asarray(mask).tolist() == [[1, 1, 0], [1, 0, 0]]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
