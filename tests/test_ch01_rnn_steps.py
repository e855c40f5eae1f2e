"""NumPy RNN steps against hand-computed values and Keras' layers; `rnn_outputs`."""

import keras
import numpy as np
import pytest

from chapters.ch01_sequence_tasks import (
    gru_step,
    rnn_outputs,
    run_steps,
    simple_rnn_step,
)


def test_simple_rnn_step_hand_computed():
    # tanh(x W + h U + b) with x = [1, 2], h = [0.5], W = [[1], [-1]], U = [[2]],
    # b = [0.25]: tanh(1 - 2 + 1 + 0.25) = tanh(0.25).
    state = simple_rnn_step([[1.0, 2.0]], [[0.5]], [[1.0], [-1.0]], [[2.0]], [0.25])
    np.testing.assert_allclose(state, [[np.tanh(0.25)]], rtol=1e-12)


def test_gru_step_hand_computed():
    # With all weights zero both gates are sigmoid(0) = 1/2 and the candidate is
    # tanh(0) = 0, so the new state is half the old one.
    state = np.array([[0.8, -0.4]])
    new_state = gru_step(
        [[1.0, 2.0, 3.0]], state, np.zeros((3, 6)), np.zeros((2, 6)), np.zeros((2, 6))
    )
    np.testing.assert_allclose(new_state, 0.5 * state)
    # A candidate bias of 1 on the input side: h = 1/2 h + 1/2 tanh(1).
    bias = np.zeros((2, 6))
    bias[0, 4:] = 1.0
    new_state = gru_step(
        [[0.0, 0.0, 0.0]], state, np.zeros((3, 6)), np.zeros((2, 6)), bias
    )
    np.testing.assert_allclose(new_state, 0.5 * state + 0.5 * np.tanh(1.0))


@pytest.mark.parametrize(
    ("layer_class", "step"),
    [(keras.layers.SimpleRNN, simple_rnn_step), (keras.layers.GRU, gru_step)],
)
def test_numpy_steps_match_keras_layers(layer_class, step):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(3, 5, 4)).astype("float32")
    initial_state = rng.normal(size=(3, 6)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    layer = layer_class(6, return_sequences=True, return_state=True)
    layer.build(inputs.shape)
    # Keras initialises the bias to zeros; random values make it count.
    weights = layer.get_weights()
    weights[2] = rng.normal(size=weights[2].shape).astype("float32")
    layer.set_weights(weights)
    sequences, state = layer(inputs, initial_state=initial_state, mask=mask)
    numpy_sequences, numpy_state = run_steps(step, inputs, initial_state, weights, mask)
    np.testing.assert_allclose(numpy_state, state, atol=1e-5)
    # At real steps the outputs agree; at padding Keras repeats the last output.
    np.testing.assert_allclose(numpy_sequences, sequences, atol=1e-5)


def test_padding_at_the_end_keeps_the_final_state():
    rng = np.random.default_rng(2)
    weights = (rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=3))
    inputs = rng.normal(size=(1, 4, 2))
    padded = np.concatenate([inputs, rng.normal(size=(1, 3, 2))], axis=1)
    mask = np.array([[True] * 4 + [False] * 3])
    _, state = run_steps(simple_rnn_step, inputs, np.zeros((1, 3)), weights)
    _, padded_state = run_steps(
        simple_rnn_step, padded, np.zeros((1, 3)), weights, mask
    )
    np.testing.assert_allclose(padded_state, state)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([1.0, 2.0], [[0.0]], [[1.0], [1.0]], [[1.0]], [0.0]), "rank 2"),
        (
            (np.zeros((0, 2)), np.zeros((0, 1)), np.ones((2, 1)), [[1.0]], [0.0]),
            "empty",
        ),
        (
            ([[1.0, 2.0]], [[0.0]], [[1.0, 1.0]], [[1.0]], [0.0]),
            "kernel must have shape",
        ),
        (([[1.0, 2.0]], [[0.0], [0.0]], [[1.0], [1.0]], [[1.0]], [0.0]), "batch size"),
    ],
)
def test_simple_rnn_step_rejects_bad_shapes(arguments, message):
    with pytest.raises(ValueError, match=message):
        simple_rnn_step(*arguments)


def test_gru_step_rejects_a_one_row_bias():
    with pytest.raises(ValueError, match="rank 2"):
        gru_step(
            np.ones((1, 2)),
            np.ones((1, 3)),
            np.ones((2, 9)),
            np.ones((3, 9)),
            np.ones(9),
        )


def test_run_steps_rejects_bad_inputs():
    weights = (np.ones((2, 3)), np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="rank 3"):
        run_steps(simple_rnn_step, np.ones((4, 2)), np.zeros((1, 3)), weights)
    with pytest.raises(ValueError, match="mask must have shape"):
        run_steps(
            simple_rnn_step, np.ones((1, 4, 2)), np.zeros((1, 3)), weights, [[1, 1]]
        )
    with pytest.raises(ValueError, match="weights"):
        run_steps(simple_rnn_step, np.ones((1, 4, 2)), np.zeros((1, 3)), weights[:2])


def test_rnn_outputs_names_what_each_setting_gives_back():
    keras.utils.set_random_seed(0)
    inputs = np.random.default_rng(0).normal(size=(2, 5, 3))
    plain = rnn_outputs(keras.layers.GRU(4), inputs)
    assert {name: value.shape for name, value in plain.items()} == {
        "last_output": (2, 4)
    }
    both = rnn_outputs(
        keras.layers.GRU(4, return_sequences=True, return_state=True), inputs
    )
    assert {name: value.shape for name, value in both.items()} == {
        "sequences": (2, 5, 4),
        "state": (2, 4),
    }
    np.testing.assert_allclose(both["sequences"][:, -1], both["state"])
    lstm = rnn_outputs(keras.layers.LSTM(4, return_state=True), inputs)
    assert list(lstm) == ["last_output", "state_h", "state_c"]
    np.testing.assert_allclose(lstm["last_output"], lstm["state_h"])


def test_rnn_outputs_with_a_mask_gives_the_state_at_the_last_real_step():
    keras.utils.set_random_seed(0)
    inputs = np.random.default_rng(0).normal(size=(1, 5, 3))
    layer = keras.layers.SimpleRNN(4, return_sequences=True, return_state=True)
    outputs = rnn_outputs(layer, inputs, mask=[[True, True, False, False, False]])
    np.testing.assert_allclose(outputs["state"], outputs["sequences"][:, 1])
    short = rnn_outputs(layer, inputs[:, :2])
    np.testing.assert_allclose(outputs["state"], short["state"], atol=1e-6)


def test_rnn_outputs_rejects_bad_input():
    with pytest.raises(TypeError, match="recurrent layer"):
        rnn_outputs(keras.layers.Dense(3), np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="rank 3"):
        rnn_outputs(keras.layers.GRU(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        rnn_outputs(keras.layers.GRU(3), np.ones((1, 0, 3)))
