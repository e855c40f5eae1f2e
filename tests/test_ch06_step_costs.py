"""Tests of chapter 6's measurement of step time and memory under each dtype
policy, with and without XLA."""

import keras
import numpy as np
import pytest

from chapters.ch05_transformer.model import TransformerConfig
from chapters.ch06_beyond_the_notebook import step_costs
from chapters.common.vocabulary import PAD_ID, START_ID

TINY = TransformerConfig(num_layers=1, d_model=8, num_heads=2, d_ff=8)
SOURCE = np.array([[5, 0, 0, 0, 0], [5, 6, 7, 8, 9], [7, 8, 0, 0, 0]], "int32")
DECODER_INPUTS = np.array([[2, 0, 0, 0], [2, 9, 10, 11], [2, 12, 13, 0]], "int32")
TARGETS = np.array([[3, 0, 0, 0], [9, 10, 11, 3], [12, 13, 3, 0]], "int32")
SOURCE_VOCABULARY, TARGET_VOCABULARY = 30, 40


def tiny_batch():
    return step_costs.TrainingBatch(
        SOURCE, DECODER_INPUTS, TARGETS, SOURCE_VOCABULARY, TARGET_VOCABULARY
    )


def test_a_batch_round_trips_through_a_file(tmp_path):
    batch = tiny_batch()
    batch.save(tmp_path / "batch.npz")
    loaded = step_costs.TrainingBatch.load(tmp_path / "batch.npz")
    for name in ("source_ids", "decoder_input_ids", "target_ids"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(batch, name))
    assert loaded.source_vocabulary_size == SOURCE_VOCABULARY
    assert loaded.target_vocabulary_size == TARGET_VOCABULARY


def test_training_batch_is_padded_to_a_fixed_length():
    from chapters.common import translation_data

    data = translation_data.toy_data(20, 5, max_words=8)
    batch = step_costs.training_batch(data, 6)
    longest = data.longest("train")
    assert batch.source_ids.shape == (6, longest[0])
    assert batch.decoder_input_ids.shape == batch.target_ids.shape
    assert batch.decoder_input_ids.shape[0] == 6
    # Teacher forcing: the decoder inputs start with [START], and each later
    # real one is the target before it (whose last real one is [END]).
    assert np.all(batch.decoder_input_ids[:, 0] == START_ID)
    real = batch.decoder_input_ids[:, 1:] != PAD_ID
    np.testing.assert_array_equal(
        batch.decoder_input_ids[:, 1:][real], batch.target_ids[:, :-1][real]
    )
    assert batch.source_vocabulary_size == data.source_tokenizer.vocabulary_size


def test_the_configurations_put_the_baseline_first():
    assert step_costs.configurations("mixed_float16") == [
        ("float32", False),
        ("float32", True),
        ("mixed_float16", False),
        ("mixed_float16", True),
    ]
    with pytest.raises(ValueError, match="policy must be one of"):
        step_costs.configurations("float16")


def test_measuring_refuses_bad_arguments():
    with pytest.raises(ValueError, match="policy must be one of"):
        step_costs.measure_training_steps("fp16", False, tiny_batch(), TINY)
    with pytest.raises(ValueError, match="steps"):
        step_costs.measure_training_steps("float32", False, tiny_batch(), TINY, 0)
    with pytest.raises(TypeError, match="TrainingBatch"):
        step_costs.measure_training_steps("float32", False, SOURCE, TINY)
    with pytest.raises(TypeError, match="TransformerConfig"):
        step_costs.compare_precision_and_xla(tiny_batch(), {"d_model": 8})
    with pytest.raises(ValueError, match="policy must be one of"):
        step_costs.compare_precision_and_xla(tiny_batch(), TINY, half_policy="fp16")
    with pytest.raises(SystemExit):
        step_costs.main(["--steps", "0"])


def test_one_configuration_measured_in_this_process():
    row = step_costs.measure_training_steps(
        "mixed_bfloat16", False, tiny_batch(), TINY, steps=2, warmup_steps=1
    )
    assert row["policy"] == "mixed_bfloat16" and row["jit_compile"] is False
    assert row["optimizer"] == "Adam"
    assert row["median_step_seconds"] > 0 and row["first_step_seconds"] > 0
    assert row["peak_memory_mb"] > 0 and np.isfinite(row["loss"])
    assert keras.config.dtype_policy().name == "float32"


def test_the_four_configurations_each_in_a_fresh_process():
    """The one expensive test: four Python processes, each importing TensorFlow."""
    rows = step_costs.compare_precision_and_xla(
        tiny_batch(), TINY, steps=1, warmup_steps=1, half_policy="mixed_bfloat16"
    )
    assert [(row["policy"], row["jit_compile"]) for row in rows] == [
        ("float32", False),
        ("float32", True),
        ("mixed_bfloat16", False),
        ("mixed_bfloat16", True),
    ]
    assert rows[0]["step_time_ratio"] == 1.0
    # Models this small add nothing above TensorFlow's own peak: no ratio then.
    assert rows[0]["memory_ratio"] in (1.0, None)
    # The same seed, batch and initial weights: the losses agree to bfloat16's
    # precision (one step of training, so the loss is the initial one).
    losses = [row["loss"] for row in rows]
    assert np.allclose(losses, losses[0], rtol=0.02)
    for row in rows:
        assert row["median_step_seconds"] > 0 and row["peak_memory_mb"] > 0
        assert row["step_time_ratio"] > 0 and row["optimizer"] == "Adam"
    table = step_costs.format_table(rows).splitlines()
    assert len(table) == 6 and "1.00" in table[1]
    assert table[3].startswith("mixed_bfloat16  no")
