"""Tests of the argument checks that every public function shares."""

import numpy as np
import pytest

from chapters.common.arguments import positive_int


def test_positive_int_accepts_python_and_numpy_integers():
    assert positive_int(3, "beam_width") == 3
    converted = positive_int(np.int64(4), "batch_size")
    assert converted == 4 and type(converted) is int
    assert positive_int(np.uint8(1), "count") == 1
    assert positive_int(0, "count", minimum=0) == 0
    assert positive_int(5, "max_size", minimum=5) == 5


@pytest.mark.parametrize("value", [True, False, 2.0, "3", None, np.float32(2)])
def test_positive_int_refuses_what_is_not_an_integer(value):
    with pytest.raises(TypeError, match=r"beam_width must be an integer.*beam_width="):
        positive_int(value, "beam_width")


@pytest.mark.parametrize("value", [0, -1, np.int32(-5)])
def test_positive_int_refuses_what_is_too_small(value):
    with pytest.raises(ValueError, match="hidden_units must be a positive integer"):
        positive_int(value, "hidden_units")


def test_positive_int_names_its_minimum():
    with pytest.raises(ValueError, match=r"max_size must be an integer >= 4.*=3"):
        positive_int(3, "max_size", minimum=4)
    with pytest.raises(ValueError, match=r"count must be an integer >= 0.*=-1"):
        positive_int(-1, "count", minimum=0)
