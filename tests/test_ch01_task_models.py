"""The four task-shape models: shapes, padding that changes nothing, bad input."""

import keras
import numpy as np
import pytest

from chapters.ch01_sequence_tasks import (
    TASK_SHAPES,
    build_encoder_decoder,
    build_many_to_many,
    build_many_to_one,
    build_one_to_many,
    build_task_model,
    greedy_translate,
)
from chapters.common.vocabulary import END_ID, PAD_ID

IDS = np.array([[5, 6, 7, 8], [9, 4, 0, 0]], dtype="int32")  # (B=2, S=4)


def _numpy(values):
    return keras.ops.convert_to_numpy(values)


def _more_padding(ids, extra=3):
    return np.pad(ids, ((0, 0), (0, extra)), constant_values=PAD_ID)


def test_one_to_many_shapes():
    keras.utils.set_random_seed(0)
    model = build_one_to_many(30, 6, 40, 8)
    assert model.output_shape == (None, 6, 40)
    assert _numpy(model(np.zeros((3, 30), "float32"))).shape == (3, 6, 40)


def test_many_to_one_shapes_and_padding():
    keras.utils.set_random_seed(0)
    model = build_many_to_one(20, 4, 8, 2)
    logits = _numpy(model(IDS))
    assert logits.shape == (2, 2)
    np.testing.assert_allclose(_numpy(model(_more_padding(IDS))), logits, atol=1e-6)
    # Row 1 alone, unpadded, gives what it gives inside the padded batch.
    np.testing.assert_allclose(_numpy(model(IDS[1:, :2]))[0], logits[1], atol=1e-6)


def test_many_to_many_shapes_and_padding():
    keras.utils.set_random_seed(0)
    model = build_many_to_many(20, 4, 8, 5)
    logits = _numpy(model(IDS))
    assert logits.shape == (2, 4, 5)
    padded = _numpy(model(_more_padding(IDS)))
    assert padded.shape == (2, 7, 5)
    # The backward direction must not start from the padding.
    np.testing.assert_allclose(padded[0, :4], logits[0], atol=1e-6)
    np.testing.assert_allclose(padded[1, :2], logits[1, :2], atol=1e-6)
    np.testing.assert_allclose(_numpy(model(IDS[1:, :2]))[0], logits[1, :2], atol=1e-6)


def test_encoder_decoder_shapes_and_padding():
    keras.utils.set_random_seed(0)
    model = build_encoder_decoder(20, 30, 4, 8)
    decoder_ids = np.array([[2, 11, 12], [2, 13, 0]], dtype="int32")  # (B=2, T=3)
    logits = _numpy(model([IDS, decoder_ids]))
    assert logits.shape == (2, 3, 30)
    padded = _numpy(model([_more_padding(IDS), _more_padding(decoder_ids, 2)]))
    np.testing.assert_allclose(padded[:, :3], logits, atol=1e-6)


def test_build_task_model_dispatches_and_rejects_unknown_shapes():
    keras.utils.set_random_seed(0)
    assert TASK_SHAPES == ("1->N", "N->1", "N->N", "N->M")
    model = build_task_model(
        "N->1", vocabulary_size=10, embedding_dim=3, hidden_units=4, num_classes=2
    )
    assert model.output_shape == (None, 2)
    for wrong in ("N->K", "1->1", "n->m", "N→M"):
        with pytest.raises(ValueError, match="task_shape must be one of"):
            build_task_model(wrong, vocabulary_size=10)


@pytest.mark.parametrize(
    ("sizes", "error"),
    [
        ({"hidden_units": 0}, ValueError),
        ({"hidden_units": 2.5}, TypeError),
        ({"num_classes": -1}, ValueError),
        ({"embedding_dim": True}, TypeError),
    ],
)
def test_builders_reject_bad_sizes(sizes, error):
    arguments = {
        "vocabulary_size": 10,
        "embedding_dim": 3,
        "hidden_units": 4,
        "num_classes": 2,
    }
    arguments.update(sizes)
    with pytest.raises(error, match=next(iter(sizes))):
        build_many_to_one(**arguments)


def test_greedy_translate_is_batch_independent_and_pads_after_end():
    keras.utils.set_random_seed(0)
    model = build_encoder_decoder(20, 6, 4, 8)
    # Make [END] likely so that rows finish at different steps.
    logits_layer = model.get_layer("logits")
    kernel, bias = logits_layer.get_weights()
    bias[END_ID] = 0.5
    logits_layer.set_weights([kernel, bias])
    generated = greedy_translate(model, IDS, max_length=6)
    assert generated.shape == (2, 6) and generated.dtype == np.int32
    for row in generated:
        ends = np.flatnonzero(row == END_ID)
        if ends.size:
            assert (row[ends[0] + 1 :] == PAD_ID).all()
    alone = greedy_translate(model, IDS[1:, :2], max_length=6)
    np.testing.assert_array_equal(alone[0], generated[1])


def test_greedy_translate_rejects_bad_input():
    keras.utils.set_random_seed(0)
    model = build_encoder_decoder(20, 6, 4, 8)
    with pytest.raises(ValueError, match="batch, steps"):
        greedy_translate(model, np.array([5, 6]), max_length=3)
    with pytest.raises(ValueError, match="batch, steps"):
        greedy_translate(model, np.zeros((0, 3), "int32"), max_length=3)
    with pytest.raises(ValueError, match="max_length"):
        greedy_translate(model, IDS, max_length=0)


SMALL_SIZES = {
    "1->N": dict(num_features=5, output_length=3, vocabulary_size=7, hidden_units=4),
    "N->1": dict(vocabulary_size=20, embedding_dim=3, hidden_units=4, num_classes=2),
    "N->N": dict(vocabulary_size=20, embedding_dim=3, hidden_units=4, num_tags=3),
    "N->M": dict(
        source_vocabulary_size=20,
        target_vocabulary_size=9,
        embedding_dim=3,
        hidden_units=4,
    ),
}


@pytest.mark.parametrize("task_shape", TASK_SHAPES)
def test_keras_save_and_load_gives_identical_outputs(task_shape, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_task_model(task_shape, **SMALL_SIZES[task_shape])
    inputs = {
        "1->N": np.eye(5, dtype="float32")[:2],
        "N->1": IDS,
        "N->N": IDS,
        "N->M": [IDS, np.array([[2, 4, 5], [2, 6, 0]], dtype="int32")],
    }[task_shape]
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(_numpy(restored(inputs)), _numpy(model(inputs)))


def test_fit_until_converged_stops_and_keeps_the_best_epoch(capsys):
    from chapters.ch01_sequence_tasks import fit_until_converged

    keras.utils.set_random_seed(0)
    inputs = np.eye(4, dtype="float32")
    targets = np.arange(4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    # Learning rate 0 never improves: patience 1 stops after the second epoch,
    # and the first epoch's weights are kept.
    model.compile(
        keras.optimizers.SGD(0.0),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    weights = [w.copy() for w in model.get_weights()]
    history, seconds = fit_until_converged(
        model,
        inputs,
        targets,
        monitor="val_accuracy",
        max_epochs=10,
        validation_data=(inputs, targets),
    )
    assert len(history.epoch) == 2 and seconds >= 0
    for kept, original in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(kept, original)
    assert "ran 2 of at most 10 epochs" in capsys.readouterr().out
    with pytest.raises(ValueError, match="monitor must be a metric"):
        fit_until_converged(model, inputs, targets, monitor="val_bleu", max_epochs=1)
    with pytest.raises(TypeError, match="max_epochs"):
        fit_until_converged(model, inputs, targets, monitor="accuracy", max_epochs=True)
