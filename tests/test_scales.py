"""The scale presets and the knob that picks one."""

import dataclasses

import numpy as np
import pytest

from chapters.common import scales


def test_every_preset_sets_every_field_and_grows_from_ci_to_gpu():
    ci, cpu, gpu = (scales.SCALES[name] for name in ("ci", "cpu", "gpu"))
    for scale in (ci, cpu, gpu):
        assert scale.name in scales.SCALES
    for field in dataclasses.fields(scales.Scale):
        values = [getattr(scale, field.name) for scale in (ci, cpu, gpu)]
        if field.type in (int, "int") and field.name != "min_token_count":
            assert values[0] <= values[1] <= values[2], field.name


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setenv(scales.SCALE_VARIABLE, "CPU")
    assert scales.current_scale().name == "cpu"
    monkeypatch.setenv(scales.SCALE_VARIABLE, "tiny")
    with pytest.raises(ValueError, match="tiny"):
        scales.current_scale()


def test_default_follows_gpu_visibility(monkeypatch):
    monkeypatch.delenv(scales.SCALE_VARIABLE, raising=False)
    monkeypatch.setattr(scales, "gpu_available", lambda: True)
    assert scales.current_scale().name == "gpu"
    monkeypatch.setattr(scales, "gpu_available", lambda: False)
    assert scales.current_scale().name == "cpu"


def test_set_seed_repeats_random_draws():
    import keras

    scales.set_seed(7)
    first = keras.random.normal((3,)), np.random.rand(3)
    scales.set_seed(7)
    second = keras.random.normal((3,)), np.random.rand(3)
    np.testing.assert_array_equal(np.asarray(first[0]), np.asarray(second[0]))
    np.testing.assert_array_equal(first[1], second[1])


def test_set_seed_keeps_the_rest_of_keras_state():
    """Only the random generators restart; layer names go on counting."""
    import keras

    first = keras.layers.Dense(1).name
    scales.set_seed(7)
    assert keras.layers.Dense(1).name != first
