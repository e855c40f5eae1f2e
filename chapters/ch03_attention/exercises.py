"""Checks for the exercises of chapter 3: additive attention (Bahdanau et al., 2015,
"Neural Machine Translation by Jointly Learning to Align and Translate").

The five exercises, in the lessons' order: the additive score, the masked softmax,
the context vector, one step of a SimpleRNN attention decoder, and reading a
heatmap. Each check runs a learner's function (NumPy in, NumPy out) on small cases
chosen so that common slips show: several sentences with different rows and
different padding, source length, widths and batch size all different, scores near
±1000, ties. The expected answers come from `numpy_attention`, the chapter's NumPy
reference (tested against the Keras layer), and from a plain loop for the heatmap;
never from the worked solutions in `solutions/ch03_solutions.py`. Where a wrong
answer matches what a known slip gives, the hint names the slip.
"""

import itertools

import numpy as np

from chapters.ch03_attention import numpy_attention
from chapters.common.checks import (
    Hint,
    call_named,
    exercise_check,
    expect_array,
    expect_close,
    expect_shape,
    first_slip,
)

# Float32 inputs, so a learner's float32 arithmetic must pass.
_ATOL = 1e-5


# The chapter's NumPy reference works on T queries per sentence, `(B, T, ...)`;
# the exercises take one, the decoder state of one step: T = 1 here.


def _additive_scores(query, keys, query_weights, key_weights, score_vector):
    """`e_bi = v_a^T tanh(W_a s_b + U_a h_bi)`: `(B, S)` scores, in float64."""
    query, keys, query_weights, key_weights, score_vector = (
        np.asarray(value, "float64")
        for value in (query, keys, query_weights, key_weights, score_vector)
    )
    return numpy_attention.additive_scores(
        query[:, None, :], keys, query_weights, key_weights, score_vector
    )[:, 0, :]


def _masked_softmax(scores, mask=None):
    """A softmax over each row's real tokens; 0 at padding and in a row with none."""
    return numpy_attention.masked_softmax(np.asarray(scores, "float64"), mask)


def _context_vector(weights, values):
    """`c_b = Σ_i α_bi h_bi`: `(B, D)`."""
    weights = np.asarray(weights, "float64")[:, None, :]  # (B, 1, S)
    return numpy_attention.attend(weights, np.asarray(values, "float64"))[:, 0, :]


def _score_slips(query, keys, query_weights, key_weights, score_vector) -> dict:
    """What common slips make of the additive score, keyed by the hint for each."""
    hidden = (query @ query_weights)[:, None, :] + keys @ key_weights  # (B, S, A)
    expected = np.tanh(hidden) @ score_vector
    first_query = np.broadcast_to(query[:1], query.shape)
    slips = {
        "tanh is missing: e_i = v_a^T tanh(W_a s + U_a h_i), and without it the "
        "score is linear in s and h_i.": hidden @ score_vector,
        "v_a comes after tanh: tanh(s W_a + h_i U_a) @ v_a, not "
        "tanh((s W_a + h_i U_a) @ v_a).": np.tanh(hidden @ score_vector),
        "the sum over A must be weighted by score_vector: tanh(...) @ v_a, not "
        "tanh(...).sum(-1).": np.tanh(hidden).sum(-1),
        "every sentence got the scores of sentence 0's query: each sentence has its "
        "own decoder state, query[b].": _additive_scores(
            first_query, keys, query_weights, key_weights, score_vector
        ),
        "those are attention weights (each row sums to 1): return the raw scores; "
        "the softmax is the next exercise.": _masked_softmax(expected),
    }
    if query.shape[1] == keys.shape[2]:
        slips[
            "query_weights and key_weights are swapped: W_a (query_weights, "
            "(Dq, A)) multiplies the query s, U_a (key_weights, (Dk, A)) the keys h_i."
        ] = _additive_scores(query, keys, key_weights, query_weights, score_vector)
    return slips


@exercise_check("the additive (Bahdanau) score")
def check_additive_scores(additive_scores):
    """`additive_scores(query (B, Dq), keys (B, S, Dk), query_weights (Dq, A),
    key_weights (Dk, A), score_vector (A,)) -> scores (B, S)`,
    `e_bi = v_a^T tanh(W_a s_b + U_a h_bi)`."""
    rng = np.random.default_rng(3)
    # First Dq = Dk, where swapped weights still run (and give other scores); then
    # Dq != Dk. B, S and A differ, so that a sum over the wrong axis shows.
    for batch, source_length, query_dim, key_dim, attention_dim in (
        (3, 5, 4, 4, 6),
        (2, 4, 5, 3, 7),
    ):
        arguments = {
            "query": rng.normal(size=(batch, query_dim)),
            "keys": rng.normal(size=(batch, source_length, key_dim)),
            "query_weights": 0.5 * rng.normal(size=(query_dim, attention_dim)),
            "key_weights": 0.5 * rng.normal(size=(key_dim, attention_dim)),
            "score_vector": rng.normal(size=(attention_dim,)),
        }
        arguments = {name: value.astype("float32") for name, value in arguments.items()}
        what = (
            f"additive_scores with B={batch}, S={source_length}, Dq={query_dim}, "
            f"Dk={key_dim}, A={attention_dim}"
        )
        result = call_named(
            additive_scores,
            arguments,
            "query_weights (Dq, A) multiplies the query, key_weights (Dk, A) the "
            "keys; the projected query needs a source axis, (B, 1, A), to add to "
            "every projected key (B, S, A).",
        )
        expect_array(result, what)
        if np.shape(result) == (batch, attention_dim):
            raise Hint(
                f"{what} has shape (B, A) = {np.shape(result)}: you summed over the "
                "source axis. The sum of the score runs over A (the last axis, "
                "after tanh, weighted by v_a): one score per source token, (B, S)."
            )
        expect_shape(result, (batch, source_length), what)
        result = np.asarray(result, "float64")
        expected = _additive_scores(*arguments.values())
        if not np.allclose(result, expected, atol=_ATOL):
            first_slip(result, _score_slips(*arguments.values()), what)
        expect_close(result, expected, what, atol=_ATOL)


_SOFTMAX_ADVICE = (
    "scores and mask are both (B, S): set the padding scores apart with "
    "np.where(mask, scores, -np.inf), then a softmax over axis -1, its max and sum "
    "taken with keepdims=True so that (B, 1) lines up with (B, S)."
)


def _check_masked_softmax_case(masked_softmax, scores, mask, what: str) -> None:
    result = call_named(
        masked_softmax, {"scores": scores, "mask": mask}, _SOFTMAX_ADVICE
    )
    expect_array(result, what)
    expect_shape(result, scores.shape, what)
    result = np.asarray(result, "float64")
    real_rows = mask.any(axis=-1)
    nan_rows = np.isnan(result).any(axis=-1)
    if nan_rows.any():
        row = int(np.argmax(nan_rows))
        if not real_rows[row]:
            raise Hint(
                f"{what}: row {row} has no real token (its mask is all False) and "
                "its weights are NaN (0 / 0). Return zeros for such a row, as "
                "keras.layers.Softmax and the course's layer do: divide only where "
                "the sum is positive, or multiply the weights by the mask at the end."
            )
        raise Hint(
            f"{what}: row {row} contains NaN. exp(1000) overflows, and exp(-1000) "
            "underflows to 0 at every position (then 0 / 0): subtract each row's "
            "own max over its real tokens before exp (the softmax does not change)."
        )
    at_padding = (result != 0) & ~mask & real_rows[:, None]
    if at_padding.any():
        slips = {
            "the mask is ignored: the padding positions must get exactly 0.": (
                _masked_softmax(scores)
            ),
            "the mask is inverted: True marks a real token (may attend), False "
            "padding.": _masked_softmax(scores, ~mask),
            "multiplying a score by the mask makes it 0, not -inf, and exp(0) = 1 "
            "still counts. Set padding scores to -inf (np.where(mask, scores, "
            "-np.inf)) or a large negative number before the softmax.": (
                _masked_softmax(scores * mask)
            ),
        }
        first_slip(result, slips, what)
        row, column = (int(index) for index in np.argwhere(at_padding)[0])
        raise Hint(
            f"{what}: row {row}, column {column} is padding (mask False) but gets "
            f"weight {result[row, column]:.3g}; padding must get exactly 0."
        )
    if (result[~real_rows] != 0).any():
        row = int(np.flatnonzero(~real_rows)[0])
        raise Hint(
            f"{what}: row {row} has no real token (its mask is all False), and its "
            f"weights sum to {result[row].sum():.3g}. Return zeros for such a row, "
            "as keras.layers.Softmax and the course's layer do: e.g. multiply the "
            "weights by the mask at the end."
        )
    sums = result.sum(axis=-1)
    wrong_sums = real_rows & ~np.isclose(sums, 1.0, atol=_ATOL)
    if wrong_sums.any():
        if np.allclose(result.sum(axis=0), 1.0, atol=_ATOL):
            raise Hint(
                f"{what}: each column sums to 1, not each row. That is a softmax "
                "over the batch axis (axis 0); take it over the source axis, -1."
            )
        if np.isclose(result.sum(), 1.0, atol=_ATOL):
            raise Hint(
                f"{what}: the whole array sums to 1. That is a softmax over every "
                "score of the batch; take it over each row (axis -1, keepdims=True)."
            )
        row = int(np.argmax(wrong_sums))
        if sums[row] == 0:
            raise Hint(
                f"{what}: row {row} has real tokens but all its weights are 0: every "
                "exp underflowed, as it does when a larger max (another row's, or "
                "the whole batch's) is subtracted. Subtract each row's own max over "
                "its real tokens."
            )
        raise Hint(
            f"{what}: the weights of each sentence should sum to 1 over its real "
            f"tokens; row {row} sums to {sums[row]:.3g}. Did you apply the mask "
            "after the softmax without renormalising?"
        )
    expect_close(result, _masked_softmax(scores, mask), what, atol=1e-6)


@exercise_check("the masked softmax")
def check_masked_softmax(masked_softmax):
    """`masked_softmax(scores (B, S), mask (B, S) bool, True at real tokens) ->
    weights (B, S)`: a softmax over the source axis; padding gets exactly 0, and a
    row without any real token gets all zeros."""
    rng = np.random.default_rng(5)
    lengths = np.array([6, 2, 4])
    mask = np.arange(6) < lengths[:, None]  # (3, 6)
    scores = rng.normal(scale=2.0, size=(3, 6)).astype("float32")
    _check_masked_softmax_case(
        masked_softmax, scores, mask, "masked_softmax on sentences of 6, 2, 4 tokens"
    )
    # A softmax written without the max overflows on the first and last rows, and
    # gives 0 / 0 on the second; one max for the whole batch gives 0 / 0 there too.
    large = np.array(
        [
            [1000.0, 998.0, 1001.5, 999.0, 1002.0],
            [-1000.0, -1003.0, -999.5, -1001.0, -1000.5],
            [2.0, 1000.0, 999.0, 3.0, 998.5],
        ],
        "float32",
    )
    large_mask = np.arange(5) < np.array([4, 2, 5])[:, None]
    _check_masked_softmax_case(
        masked_softmax, large, large_mask, "masked_softmax on scores near ±1000"
    )
    empty = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 3.0, -2.0, 0.5]], "float32")
    empty_mask = np.array([[True, True, False, False], [False] * 4])
    _check_masked_softmax_case(
        masked_softmax,
        empty,
        empty_mask,
        "masked_softmax with a sentence of no real token (row 1)",
    )


@exercise_check("the context vector")
def check_context_vector(context_vector):
    """`context_vector(weights (B, S), values (B, S, D)) -> context (B, D)`,
    `c_b = Σ_i α_bi h_bi`."""
    rng = np.random.default_rng(7)
    # B, S, D all different; then B = S, where weights transposed still fit.
    for batch, source_length, width in ((3, 4, 5), (3, 3, 2)):
        # Sentences of S, S - 1 and S - 2 real tokens: different padding per row.
        lengths = np.arange(source_length, source_length - batch, -1)
        mask = np.arange(source_length) < lengths[:, None]
        weights = _masked_softmax(rng.normal(size=(batch, source_length)), mask)
        weights = weights.astype("float32")
        values = rng.normal(size=(batch, source_length, width)).astype("float32")
        what = f"context_vector with B={batch}, S={source_length}, D={width}"
        result = call_named(
            context_vector,
            {"weights": weights, "values": values},
            "weights[:, :, None] (B, S, 1) broadcasts against values (B, S, D).",
        )
        expect_array(result, what)
        shape_hints = {
            (batch, batch, width): "weights @ values multiplies every sentence's "
            "weights with every sentence's values, (B, B, D): use "
            "weights[:, None, :] @ values, (B, 1, D), and drop the middle axis.",
            (batch, 1, width): "drop the middle axis of weights[:, None, :] @ values "
            "(B, 1, D), e.g. with [:, 0, :].",
            (batch, source_length): "you summed over the feature axis D; the sum runs "
            "over the source axis S (axis 1).",
            (source_length, width): "you summed over the batch axis; the sum runs "
            "over the source axis S (axis 1).",
        }
        shape = np.shape(result)
        if shape != (batch, width) and shape in shape_hints:
            raise Hint(f"{what} has shape {shape}: {shape_hints[shape]}")
        expect_shape(result, (batch, width), what)
        result = np.asarray(result, "float64")
        expected = _context_vector(weights, values)
        if not np.allclose(result, expected, atol=_ATOL):
            slips = {
                "that is the plain mean of the values: weight each h_i by its "
                "α_i.": values.mean(axis=1),
                "that is the plain sum of the values: weight each h_i by its "
                "α_i.": values.sum(axis=1),
            }
            if batch == source_length:
                slips[
                    "sentence b was weighted by column b of the weights: weights is "
                    "(B, S), one row per sentence (not transposed)."
                ] = _context_vector(weights.T, values)
            first_slip(result, slips, what)
        expect_close(result, expected, what, atol=_ATOL)


# The parts of the decoder RNN's input, in the order the lesson writes them.
_RNN_INPUT = {
    "previous_embedding": "x_t",
    "previous_context": "c_{t-1}",
    "previous_state": "s_{t-1}",
}


def _rnn_state(arguments: dict, order=tuple(_RNN_INPUT), activation=np.tanh):
    """`activation([x_t; c_{t-1}; s_{t-1}] @ A + b)`, the input's parts in `order`."""
    rnn_input = np.concatenate(
        [np.asarray(arguments[name], "float64") for name in order], axis=-1
    )
    return activation(rnn_input @ arguments["rnn_kernel"] + arguments["rnn_bias"])


def _decoder_scores(state, arguments: dict):
    """The additive scores `(B, S)` of a decoder state over the encoder states."""
    return _additive_scores(
        state,
        arguments["encoder_states"],
        arguments["query_weights"],
        arguments["key_weights"],
        arguments["score_vector"],
    )


def _attend(state, arguments: dict, use_mask=True):
    """`(context, weights)` of a decoder state over the encoder states."""
    scores = _decoder_scores(state, arguments)
    mask = arguments["mask"] if use_mask else np.ones_like(arguments["mask"])
    weights = _masked_softmax(scores, mask)
    return _context_vector(weights, arguments["encoder_states"]), weights


def _state_slips(arguments: dict) -> dict:
    """The new state that common slips give, keyed by the hint for each."""
    slips = {}
    for order in itertools.permutations(_RNN_INPUT):
        if order == tuple(_RNN_INPUT):
            continue
        symbols = "; ".join(_RNN_INPUT[name] for name in order)
        slips[
            f"the RNN's input is [{symbols}]; it must be [x_t; c_{{t-1}}; s_{{t-1}}], "
            "in that order: rnn_kernel's first E rows multiply the embedding, the "
            "next D the previous context, the last H the previous state."
        ] = _rnn_state(arguments, order)
    slips["tanh is missing: s_t = tanh([x_t; c_{t-1}; s_{t-1}] @ A + b)."] = _rnn_state(
        arguments, activation=lambda values: values
    )
    slips["the bias b is missing: s_t = tanh([x_t; c_{t-1}; s_{t-1}] @ A + b)."] = (
        _rnn_state({**arguments, "rnn_bias": 0.0})
    )
    recomputed_context, _ = _attend(arguments["previous_state"], arguments)
    slips[
        "the RNN's input takes previous_context as given (the context the step "
        "before returned), not a context recomputed from s_{t-1}; attend after the "
        "RNN step, with the new state s_t."
    ] = _rnn_state({**arguments, "previous_context": recomputed_context})
    return slips


def _output_slips(arguments: dict, state) -> dict:
    """`(context, weights)` that common slips give from the right new state."""
    scores = _decoder_scores(state, arguments)
    return {
        "the weights and context come from the previous state s_{t-1}: score the "
        "new state s_t against the encoder states.": _attend(
            arguments["previous_state"], arguments
        ),
        "the mask is ignored: padding tokens must get weight 0.": _attend(
            state, arguments, use_mask=False
        ),
        "those weights are the raw scores: apply the masked softmax to them.": (
            _context_vector(scores, arguments["encoder_states"]),
            scores,
        ),
    }


@exercise_check("one step of the attention decoder")
def check_attention_decoder_step(attention_decoder_step):
    """`attention_decoder_step(previous_embedding (B, E), previous_state (B, H),
    previous_context (B, D), encoder_states (B, S, D), mask (B, S), rnn_kernel
    (E + D + H, H), rnn_bias (H,), query_weights (H, A), key_weights (D, A),
    score_vector (A,)) -> (state (B, H), context (B, D), weights (B, S))`:
    `s_t = tanh([x_t; c_{t-1}; s_{t-1}] @ A + b)`, then attention with `s_t`."""
    rng = np.random.default_rng(13)
    # E, D, H, S and A all differ, so that a part of the RNN input in the wrong
    # place, or swapped score weights, cannot go unnoticed.
    batch, embedding_dim, width, hidden_units = 3, 2, 3, 4
    source_length, attention_dim = 5, 6
    arguments = {
        "previous_embedding": rng.normal(size=(batch, embedding_dim)),
        "previous_state": rng.uniform(-1, 1, size=(batch, hidden_units)),
        "previous_context": rng.normal(size=(batch, width)),
        "encoder_states": rng.uniform(-1, 1, size=(batch, source_length, width)),
        "mask": np.arange(source_length) < np.array([[5], [2], [3]]),
        "rnn_kernel": 0.5
        * rng.normal(size=(embedding_dim + width + hidden_units, hidden_units)),
        "rnn_bias": rng.normal(size=(hidden_units,)),
        "query_weights": rng.normal(size=(hidden_units, attention_dim)),
        "key_weights": rng.normal(size=(width, attention_dim)),
        "score_vector": rng.normal(size=(attention_dim,)),
    }
    arguments = {
        name: value if value.dtype == bool else value.astype("float32")
        for name, value in arguments.items()
    }
    what = (
        f"attention_decoder_step with B={batch}, E={embedding_dim}, D={width}, "
        f"H={hidden_units}, S={source_length}, A={attention_dim}"
    )
    result = call_named(
        attention_decoder_step,
        arguments,
        "rnn_kernel (E + D + H, H) multiplies [x_t; c_{t-1}; s_{t-1}]; "
        "query_weights (H, A) multiplies the state, key_weights (D, A) the "
        "encoder states.",
    )
    names = ("state", "context", "weights")
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise Hint(f"{what}: return three arrays, (state, context, weights).")
    for value, name in zip(result, names, strict=True):
        expect_array(value, f"the {name} returned by {what}")
    shapes = [np.shape(value) for value in result]
    expected_shapes = [(batch, hidden_units), (batch, width), (batch, source_length)]
    if shapes != expected_shapes and sorted(shapes) == sorted(expected_shapes):
        raise Hint(
            f"{what} returned arrays of shapes {shapes}: return (state (B, H), "
            "context (B, D), weights (B, S)), in that order."
        )
    for value, shape, name in zip(result, expected_shapes, names, strict=True):
        expect_shape(value, shape, f"the {name} returned by {what}")
    state, context, weights = (np.asarray(value, "float64") for value in result)
    expected_state = _rnn_state(arguments)
    if not np.allclose(state, expected_state, atol=_ATOL):
        first_slip(state, _state_slips(arguments), f"the state returned by {what}")
    expect_close(state, expected_state, f"the state s_t of {what}", atol=_ATOL)
    expected_context, expected_weights = _attend(expected_state, arguments)
    if not (
        np.allclose(weights, expected_weights, atol=_ATOL)
        and np.allclose(context, expected_context, atol=_ATOL)
    ):
        slips = _output_slips(arguments, expected_state)
        for hint, (slipped_context, slipped_weights) in slips.items():
            if np.allclose(weights, slipped_weights, atol=_ATOL) or np.allclose(
                context, slipped_context, atol=_ATOL
            ):
                raise Hint(f"{what}: {hint}")
    expect_close(weights, expected_weights, f"the weights α_t of {what}", atol=_ATOL)
    if np.allclose(context, arguments["previous_context"], atol=_ATOL):
        raise Hint(
            f"{what} returned previous_context unchanged: return the new context "
            "c_t = Σ_i α_ti h_i, from the new weights."
        )
    expect_close(context, expected_context, f"the context c_t of {what}", atol=_ATOL)


def _best_columns(weights, ties="first") -> list[int]:
    """The column of each row's largest weight; a tie goes to the first such
    column (or the last, for the hint that names that slip)."""
    columns = []
    for row in weights:
        best = 0
        for column in range(1, len(row)):
            if row[column] > row[best] or (ties == "last" and row[column] == row[best]):
                best = column
        columns.append(best)
    return columns


_HEATMAP_CASES = {
    # Word order differs ("yesterday" comes last in English, 昨天 second), so a
    # reading along the wrong axis does not fall back on the diagonal. "bought"
    # and "this" each tie between two source tokens.
    "我 昨天 买 了 这 本 书 。 → i bought this book yesterday .": (
        [
            [0.62, 0.08, 0.05, 0.03, 0.02, 0.02, 0.08, 0.10],
            [0.05, 0.10, 0.35, 0.35, 0.05, 0.02, 0.05, 0.03],
            [0.02, 0.05, 0.05, 0.03, 0.30, 0.30, 0.20, 0.05],
            [0.03, 0.02, 0.10, 0.05, 0.10, 0.20, 0.45, 0.05],
            [0.10, 0.55, 0.10, 0.05, 0.05, 0.05, 0.05, 0.05],
            [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.10, 0.60],
        ],
        ["我", "昨天", "买", "了", "这", "本", "书", "。"],
        ["i", "bought", "this", "book", "yesterday", "."],
    ),
    # More target tokens than source tokens; "very" ties.
    "谢谢 你 。 → thank you very much .": (
        [
            [0.80, 0.10, 0.10],
            [0.30, 0.60, 0.10],
            [0.45, 0.45, 0.10],
            [0.50, 0.20, 0.30],
            [0.10, 0.20, 0.70],
        ],
        ["谢谢", "你", "。"],
        ["thank", "you", "very", "much", "."],
    ),
}


@exercise_check("reading an attention heatmap")
def check_read_heatmap(read_heatmap):
    """`read_heatmap(weights (T, S), source_tokens, target_tokens) -> list of
    (target_token, source_token)`: for each target token (a row), the source token
    (a column) it attends to most; a tie goes to the first, as `np.argmax` gives."""
    for case, (weights, source_tokens, target_tokens) in _HEATMAP_CASES.items():
        weights = np.array(weights, "float32")
        what = f"read_heatmap on {case}"
        result = call_named(
            read_heatmap,
            {
                "weights": weights,
                "source_tokens": source_tokens,
                "target_tokens": target_tokens,
            },
            "weights is (T, S): one row per target token, one column per source token.",
        )
        columns = _best_columns(weights)
        expected = [
            (target, source_tokens[column])
            for target, column in zip(target_tokens, columns, strict=True)
        ]
        if not isinstance(result, list | tuple):
            raise Hint(
                f"{what} returned a {type(result).__name__}; return a list of "
                "pairs (list(...) around a zip or a generator)."
            )
        if result and all(isinstance(item, str) for item in result):
            raise Hint(
                f"{what} returned source tokens only; return (target_token, "
                f"source_token) pairs, e.g. {expected[0]}."
            )
        if not all(
            isinstance(item, tuple | list) and len(item) == 2 for item in result
        ):
            raise Hint(
                f"{what}: each item should be a pair (target_token, source_token), "
                f"e.g. {expected[0]}."
            )
        pairs = [tuple(item) for item in result]
        if len(pairs) == len(source_tokens) != len(target_tokens):
            raise Hint(
                f"{what} returned {len(pairs)} pairs, one per source token (column); "
                f"return one per target token (row of the weights), "
                f"{len(target_tokens)} here."
            )
        if len(pairs) != len(target_tokens):
            raise Hint(
                f"{what} returned {len(pairs)} pairs; return one per target token, "
                f"{len(target_tokens)} here."
            )
        if any(not isinstance(source, str) for _, source in pairs):
            raise Hint(
                f"{what}: the second item of a pair is {pairs[0][1]!r}, not a token; "
                "return source_tokens[j], the token, not its index j."
            )
        if pairs == expected:
            continue
        if pairs == [(source, target) for target, source in expected]:
            raise Hint(f"{what}: the pairs are reversed; (target_token, source_token).")
        sources = [source for _, source in pairs]
        if sources == [
            source_tokens[column] for column in _best_columns(weights, "last")
        ]:
            raise Hint(
                f"{what}: on a tie take the first (leftmost) source token, as "
                "np.argmax does; here a row has two equal largest weights."
            )
        size = len(source_tokens)
        for shift in (1, -1):
            if sources == [
                source_tokens[(column + shift) % size] for column in columns
            ]:
                raise Hint(
                    f"{what}: your tokens are one column off: column j of the "
                    "weights is source_tokens[j] (both count from 0)."
                )
        wrong = next(
            index for index, pair in enumerate(pairs) if pair != expected[index]
        )
        raise Hint(
            f"{what}: pair {wrong} is {pairs[wrong]}, expected {expected[wrong]}: "
            "row t of the weights is target token t; take the column with the "
            "largest weight in that row."
        )
