"""Tests of the step-time measurement of chapter 5's parallelism lesson."""

import pytest

from chapters.ch05_transformer import parallelism
from chapters.common import scales


def test_step_times_for_every_length_and_model():
    models = parallelism.compared_models(scales.SCALES["ci"])
    assert list(models) == ["GRU + additive (ch. 3)", "Transformer (ch. 5)"]
    times = {
        name: parallelism.training_step_seconds(model, 4, (3, 6), repetitions=2)
        for name, model in models.items()
    }
    for seconds in times.values():
        assert list(seconds) == [3, 6]
        assert all(value > 0 for value in seconds.values())
    table = parallelism.step_time_table(times).splitlines()
    assert len(table) == 3 and "Transformer (ch. 5)" in table[0]
    assert "( 1.0×)" in table[1]


def test_bad_sizes_are_refused():
    model = parallelism.compared_models(scales.SCALES["ci"])["Transformer (ch. 5)"]
    with pytest.raises(ValueError, match="batch_size"):
        parallelism.training_step_seconds(model, 0)
    with pytest.raises(ValueError, match="length"):
        parallelism.training_step_seconds(model, 2, (0,))
