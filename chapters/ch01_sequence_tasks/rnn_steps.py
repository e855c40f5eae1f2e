"""One recurrent step by hand, and what Keras' recurrent layers give back.

An RNN step takes two inputs, one element of the sequence `x_t` and the hidden
state `h_{t-1}`, and returns the new state `h_t` (Elman, 1990):

    SimpleRNN:  h_t = tanh(x_t W + h_{t-1} U + b)

The GRU (Cho et al., 2014) adds an update gate `z` and a reset gate `r`. Keras'
default (`reset_after=True`) applies the reset gate after the recurrent product:

    z   = sigmoid(x_t W_z + b_z + h_{t-1} U_z + b'_z)
    r   = sigmoid(x_t W_r + b_r + h_{t-1} U_r + b'_r)
    h~  = tanh(x_t W_h + b_h + r * (h_{t-1} U_h + b'_h))
    h_t = z * h_{t-1} + (1 - z) * h~

The NumPy functions here use Keras' weight layout, so the weights of a trained
`keras.layers.SimpleRNN` or `GRU` plug straight in and the results agree.
"""

import keras
import numpy as np


def _as_matrix(array, name: str, rank: int) -> np.ndarray:
    array = np.asarray(array, dtype="float64")
    if array.ndim != rank:
        raise ValueError(f"{name} must have rank {rank}. Received shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty. Received shape {array.shape}")
    return array


def _check_step_shapes(inputs, state, kernel, recurrent_kernel, gates: int):
    batch, features = inputs.shape
    hidden_units = state.shape[1]
    if state.shape[0] != batch:
        raise ValueError(
            f"inputs and state must have the same batch size. Received inputs "
            f"{inputs.shape} and state {state.shape}"
        )
    if kernel.shape != (features, gates * hidden_units):
        raise ValueError(
            f"kernel must have shape {(features, gates * hidden_units)} for inputs "
            f"{inputs.shape} and state {state.shape}. Received {kernel.shape}"
        )
    if recurrent_kernel.shape != (hidden_units, gates * hidden_units):
        raise ValueError(
            f"recurrent_kernel must have shape "
            f"{(hidden_units, gates * hidden_units)}. Received {recurrent_kernel.shape}"
        )


def simple_rnn_step(inputs, state, kernel, recurrent_kernel, bias) -> np.ndarray:
    """One SimpleRNN step in NumPy: `h_t = tanh(x_t W + h_{t-1} U + b)`.

    Args:
        inputs: `x_t`, shape `(B, F)`: one element of each sequence in the batch.
        state: `h_{t-1}`, shape `(B, H)`.
        kernel: `W`, shape `(F, H)`.
        recurrent_kernel: `U`, shape `(H, H)`.
        bias: `b`, shape `(H,)`.

    Returns:
        The new state `h_t`, shape `(B, H)`. A SimpleRNN's output is its state.
    """
    inputs = _as_matrix(inputs, "inputs", 2)
    state = _as_matrix(state, "state", 2)
    kernel = _as_matrix(kernel, "kernel", 2)
    recurrent_kernel = _as_matrix(recurrent_kernel, "recurrent_kernel", 2)
    bias = _as_matrix(bias, "bias", 1)
    _check_step_shapes(inputs, state, kernel, recurrent_kernel, gates=1)
    return np.tanh(inputs @ kernel + state @ recurrent_kernel + bias)


def _sigmoid(values):
    return 1.0 / (1.0 + np.exp(-values))


def gru_step(inputs, state, kernel, recurrent_kernel, bias) -> np.ndarray:
    """One GRU step in NumPy, with Keras' layout and `reset_after=True`.

    Args:
        inputs: `x_t`, shape `(B, F)`.
        state: `h_{t-1}`, shape `(B, H)`.
        kernel: `[W_z | W_r | W_h]`, shape `(F, 3H)`.
        recurrent_kernel: `[U_z | U_r | U_h]`, shape `(H, 3H)`.
        bias: shape `(2, 3H)`: row 0 is added to the input products, row 1 to
            the recurrent products.

    Returns:
        The new state `h_t`, shape `(B, H)`.
    """
    inputs = _as_matrix(inputs, "inputs", 2)
    state = _as_matrix(state, "state", 2)
    kernel = _as_matrix(kernel, "kernel", 2)
    recurrent_kernel = _as_matrix(recurrent_kernel, "recurrent_kernel", 2)
    bias = _as_matrix(bias, "bias", 2)
    _check_step_shapes(inputs, state, kernel, recurrent_kernel, gates=3)
    hidden_units = state.shape[1]
    if bias.shape != (2, 3 * hidden_units):
        raise ValueError(
            f"bias must have shape {(2, 3 * hidden_units)}. Received {bias.shape}"
        )
    # 1. Both inputs are projected for all three gates at once: (B, 3H) each.
    from_inputs = inputs @ kernel + bias[0]
    from_state = state @ recurrent_kernel + bias[1]
    input_z, input_r, input_h = np.split(from_inputs, 3, axis=1)
    state_z, state_r, state_h = np.split(from_state, 3, axis=1)
    # 2. The gates.
    update = _sigmoid(input_z + state_z)
    reset = _sigmoid(input_r + state_r)
    # 3. The candidate state; the reset gate decides how much of the past it sees.
    candidate = np.tanh(input_h + reset * state_h)
    # 4. Keep part of the old state, take the rest from the candidate.
    return update * state + (1.0 - update) * candidate


def run_steps(step, inputs, initial_state, weights, mask=None):
    """Runs a step function over whole sequences, as a Keras RNN layer does.

    Args:
        step: `simple_rnn_step` or `gru_step`.
        inputs: shape `(B, S, F)`.
        initial_state: `h_0`, shape `(B, H)`.
        weights: `(kernel, recurrent_kernel, bias)`, e.g. `layer.get_weights()`.
        mask: optional boolean `(B, S)`, True at real elements. At a masked
            step the state is carried over unchanged, which is what Keras does,
            so padding at the end of a row never changes its final state.

    Returns:
        `(sequences, final_state)` with shapes `(B, S, H)` and `(B, H)`.
    """
    inputs = _as_matrix(inputs, "inputs", 3)
    state = _as_matrix(initial_state, "initial_state", 2)
    if len(weights) != 3:
        raise ValueError(
            f"weights must be (kernel, recurrent_kernel, bias). Received "
            f"{len(weights)} arrays"
        )
    if mask is None:
        mask = np.ones(inputs.shape[:2], dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != inputs.shape[:2]:
        raise ValueError(
            f"mask must have shape {inputs.shape[:2]} (batch, steps) to match "
            f"inputs {inputs.shape}. Received {mask.shape}"
        )
    outputs = []
    for t in range(inputs.shape[1]):
        new_state = step(inputs[:, t], state, *weights)
        state = np.where(mask[:, t, None], new_state, state)  # (B, H)
        outputs.append(state)
    return np.stack(outputs, axis=1), state


def rnn_outputs(layer, inputs, mask=None) -> dict[str, np.ndarray]:
    """Calls a Keras recurrent layer and names each thing it gives back.

    `return_sequences=False` gives the last output `(B, H)`; `True` gives every
    step's output `(B, S, H)`. `return_state=True` adds the final state(s):
    one `(B, H)` array for SimpleRNN and GRU, two (`h` and `c`) for LSTM.

    Args:
        layer: a `keras.layers.SimpleRNN`, `GRU` or `LSTM` (or any `keras.layers.RNN`).
        inputs: float array `(B, S, F)`.
        mask: optional boolean `(B, S)`, True at real elements.

    Returns:
        A dict from names ("sequences" or "last_output", then "state" or
        "state_h" and "state_c") to NumPy arrays.
    """
    if not isinstance(layer, keras.layers.RNN):
        raise TypeError(
            "layer must be a Keras recurrent layer such as keras.layers.GRU. "
            f"Received: {type(layer).__name__}"
        )
    inputs = np.asarray(inputs, dtype="float32")
    if inputs.ndim != 3:
        raise ValueError(
            "inputs must have rank 3 (batch, steps, features). Received shape "
            f"{inputs.shape}"
        )
    if inputs.size == 0:
        raise ValueError(f"inputs is empty. Received shape {inputs.shape}")
    results = layer(inputs, mask=None if mask is None else np.asarray(mask, bool))
    if not layer.return_state:
        results = [results]
    names = ["sequences" if layer.return_sequences else "last_output"]
    states = len(results) - 1
    names += ["state"] if states == 1 else ["state_h", "state_c"][:states]
    return {
        name: keras.ops.convert_to_numpy(value)
        for name, value in zip(names, results, strict=True)
    }
