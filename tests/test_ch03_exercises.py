"""Each chapter 3 check accepts the worked solution and rejects plausible mistakes.

Each wrong variant is a mistake a learner plausibly makes, named after it. Some
answers that differ from the worked solution but are right (a `-1e9` fill,
`np.einsum`, Keras' own masked softmax) must pass.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention import exercises
from solutions import ch03_solutions as solutions
from tests.check_testing import (
    assert_check_behaviour,
    assert_reported_as_not_attempted,
    mutating,
)

CHECKS = [
    exercises.check_additive_scores,
    exercises.check_masked_softmax,
    exercises.check_context_vector,
    exercises.check_attention_decoder_step,
    exercises.check_read_heatmap,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_stubs_are_reported_as_not_attempted(check, capsys):
    assert_reported_as_not_attempted(check, capsys)


def test_solutions_on_hand_computed_cases():
    # Scores: W_a = U_a = I and v_a = (1, 1), so e_i = sum(tanh(s + h_i)).
    scores = solutions.additive_scores(
        np.array([[1.0, 0.0]]),
        np.array([[[0.0, 0.0], [1.0, 1.0]]]),
        np.eye(2),
        np.eye(2),
        np.ones(2),
    )
    np.testing.assert_allclose(
        scores, [[np.tanh(1.0), np.tanh(2.0) + np.tanh(1.0)]], rtol=1e-12
    )
    np.testing.assert_allclose(scores, [[0.7615942, 1.7256218]], rtol=1e-6)
    # exp(0) : exp(log 3) = 1 : 3; the padding score 5 counts for nothing, and a
    # sentence without real tokens gets zeros.
    weights = solutions.masked_softmax(
        np.array([[0.0, np.log(3.0), 5.0], [1.0, 2.0, 3.0]]),
        np.array([[True, True, False], [False, False, False]]),
    )
    np.testing.assert_allclose(weights, [[0.25, 0.75, 0.0], [0.0, 0.0, 0.0]])
    context = solutions.context_vector(
        np.array([[0.25, 0.75]]), np.array([[[4.0, 0.0], [0.0, 8.0]]])
    )
    np.testing.assert_allclose(context, [[1.0, 6.0]])
    # A zero kernel gives s_t = tanh(b); a zero v_a scores every token 0, so the
    # two real tokens get 1/2 each and the context is their mean.
    state, context, weights = solutions.attention_decoder_step(
        np.ones((1, 1)),
        np.ones((1, 2)),
        np.ones((1, 2)),
        np.array([[[2.0, 0.0], [0.0, 2.0], [9.0, 9.0]]]),
        np.array([[True, True, False]]),
        np.zeros((5, 2)),
        np.array([np.arctanh(0.5), 0.0]),
        np.ones((2, 3)),
        np.ones((2, 3)),
        np.zeros(3),
    )
    np.testing.assert_allclose(state, [[0.5, 0.0]])
    np.testing.assert_allclose(weights, [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(context, [[1.0, 1.0]])


def test_solutions_agree_with_keras_additive_attention():
    """Keras' layer has no W_a or U_a (its query and key are the projections) and
    its `scale` plays the part of v_a; its weights are our masked softmax."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 3)).astype("float32")
    keys = rng.normal(size=(2, 4, 5)).astype("float32")
    query_weights = rng.normal(size=(3, 6)).astype("float32")
    key_weights = rng.normal(size=(5, 6)).astype("float32")
    score_vector = rng.normal(size=(6,)).astype("float32")
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    layer = keras.layers.AdditiveAttention(use_scale=True)
    projected_query = (query @ query_weights)[:, None, :]  # (B, 1, A)
    projected_keys = keys @ key_weights  # (B, S, A)
    layer.build([projected_query.shape, projected_keys.shape])
    layer.set_weights([score_vector])
    _, keras_weights = layer(
        [projected_query, projected_keys],
        # (B, 1, S): Keras 3.10 subtracts a (B, S) value mask from (B, T, S)
        # scores without expanding it.
        mask=[None, mask[:, None, :]],
        return_attention_scores=True,
    )
    weights = solutions.masked_softmax(
        solutions.additive_scores(
            query, keys, query_weights, key_weights, score_vector
        ),
        mask,
    )
    np.testing.assert_allclose(
        weights, keras.ops.convert_to_numpy(keras_weights)[:, 0], atol=1e-6
    )


def _hidden(query, keys, query_weights, key_weights):
    return (query @ query_weights)[:, None, :] + keys @ key_weights  # (B, S, A)


def _sigmoid(values):
    return 1 / (1 + np.exp(-values))


def test_additive_scores():
    def separate_tanh(query, keys, query_weights, key_weights, score_vector):
        projected_query = np.tanh(query @ query_weights)[:, None, :]
        return (projected_query + np.tanh(keys @ key_weights)) @ score_vector

    def sums_over_the_source_axis(
        query, keys, query_weights, key_weights, score_vector
    ):
        hidden = np.tanh(_hidden(query, keys, query_weights, key_weights))
        return (hidden * score_vector).sum(axis=1)

    def query_without_a_source_axis(
        query, keys, query_weights, key_weights, score_vector
    ):
        return np.tanh(query @ query_weights + keys @ key_weights) @ score_vector

    def first_query_for_all(query, keys, query_weights, key_weights, score_vector):
        first = np.repeat(query[:1], len(query), axis=0)
        return solutions.additive_scores(
            first, keys, query_weights, key_weights, score_vector
        )

    def softmax_of_the_scores(*arguments):
        scores = solutions.additive_scores(*arguments)
        return np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)

    def dot_product(query, keys, query_weights, key_weights, score_vector):
        return np.einsum("ba,bsa->bs", query @ query_weights, keys @ key_weights)

    assert_check_behaviour(
        exercises.check_additive_scores,
        solutions.additive_scores,
        {
            "tanh missing": lambda q, k, w, u, v: _hidden(q, k, w, u) @ v,
            "W_a and U_a swapped": lambda q, k, w, u, v: solutions.additive_scores(
                q, k, u, w, v
            ),
            "v_a applied before tanh": lambda q, k, w, u, v: np.tanh(
                _hidden(q, k, w, u) @ v
            ),
            "v_a ignored, tanh summed": lambda q, k, w, u, v: np.tanh(
                _hidden(q, k, w, u)
            ).sum(-1),
            "sigmoid instead of tanh": lambda q, k, w, u, v: _sigmoid(
                _hidden(q, k, w, u)
            )
            @ v,
            "tanh of each projection, then summed": separate_tanh,
            "summed over the source axis": sums_over_the_source_axis,
            "query projection without a source axis": query_without_a_source_axis,
            "the first sentence's query for all": first_query_for_all,
            "softmax of the scores returned": softmax_of_the_scores,
            "v_a as a column, (B, S, 1)": lambda q, k, w, u, v: np.tanh(
                _hidden(q, k, w, u)
            )
            @ v[:, None],
            "dot-product score": dot_product,
            "a list": lambda *arguments: solutions.additive_scores(*arguments).tolist(),
        },
        expected_hints={
            "tanh missing": "tanh is missing",
            "W_a and U_a swapped": "swapped",
            "v_a applied before tanh": "v_a comes after tanh",
            "v_a ignored, tanh summed": "weighted by score_vector",
            "summed over the source axis": "summed over the source axis",
            "query projection without a source axis": "(B, 1, A)",
            "the first sentence's query for all": "own decoder state",
            "softmax of the scores returned": "raw scores",
            "v_a as a column, (B, S, 1)": "rank",
            "a list": "NumPy array",
        },
    )


def test_additive_scores_accepts_other_right_answers():
    def with_einsum(query, keys, query_weights, key_weights, score_vector):
        hidden = np.einsum("bq,qa->ba", query, query_weights)[:, None, :]
        hidden = hidden + np.einsum("bsk,ka->bsa", keys, key_weights)
        return np.einsum("bsa,a->bs", np.tanh(hidden), score_vector)

    def with_keras_ops(query, keys, query_weights, key_weights, score_vector):
        hidden = keras.ops.expand_dims(keras.ops.matmul(query, query_weights), 1)
        hidden = keras.ops.tanh(hidden + keras.ops.matmul(keys, key_weights))
        return keras.ops.matmul(hidden, score_vector)  # a tensor, not an array

    for right in (with_einsum, with_keras_ops):
        assert exercises.check_additive_scores(right).passed


def _stable_softmax(scores, axis=-1):
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)


def _softmax_with_fill(fill, axis=-1, zero_empty_rows=False):
    """A stable softmax over `axis` with the padding scores replaced by `fill`;
    `zero_empty_rows` multiplies by the mask at the end."""

    def masked_softmax(scores, mask):
        weights = _stable_softmax(np.where(mask, scores, fill), axis)
        return weights * mask if zero_empty_rows else weights

    return masked_softmax


def test_masked_softmax():
    def naive(scores, mask):
        exponentials = np.exp(np.where(mask, scores, -np.inf))
        return exponentials / exponentials.sum(axis=-1, keepdims=True)

    def one_max_for_the_batch(scores, mask):
        exponentials = np.exp(np.where(mask, scores, -np.inf) - scores.max())
        totals = exponentials.sum(axis=-1, keepdims=True)
        return exponentials / np.where(totals > 0, totals, 1.0)

    def masked_after_the_softmax(scores, mask):
        return _stable_softmax(scores) * mask

    def sum_without_keepdims(scores, mask):
        masked_scores = np.where(mask, scores, -np.inf)
        exponentials = np.exp(masked_scores - masked_scores.max(-1, keepdims=True))
        return exponentials / exponentials.sum(axis=-1)

    def writes_minus_infinity_into_scores(scores, mask):
        scores[~mask] = -np.inf
        return solutions.masked_softmax(scores, mask)

    with np.errstate(over="ignore", invalid="ignore"):
        assert_check_behaviour(
            exercises.check_masked_softmax,
            solutions.masked_softmax,
            {
                "softmax over the batch axis": _softmax_with_fill(-np.inf, axis=0),
                "softmax over the whole array": lambda scores, mask: (
                    _stable_softmax(np.where(mask, scores, -np.inf).ravel()).reshape(
                        scores.shape
                    )
                ),
                "mask ignored": lambda scores, mask: _stable_softmax(scores),
                "sum without keepdims": sum_without_keepdims,
                "mask inverted": lambda scores, mask: solutions.masked_softmax(
                    scores, ~mask
                ),
                "scores multiplied by the mask": lambda scores, mask: (
                    _stable_softmax(scores * mask)
                ),
                "mask applied after the softmax, not renormalised": (
                    masked_after_the_softmax
                ),
                "softmax without the max (overflows)": naive,
                "one max for the whole batch": one_max_for_the_batch,
                "-inf fill: NaN for a sentence without real tokens": (
                    _softmax_with_fill(-np.inf)
                ),
                "-1e9 fill: uniform weights for a sentence without real tokens": (
                    _softmax_with_fill(-1e9)
                ),
                "-inf written into the caller's scores": (
                    writes_minus_infinity_into_scores
                ),
                "a list": lambda scores, mask: solutions.masked_softmax(
                    scores, mask
                ).tolist(),
            },
            expected_hints={
                "softmax over the batch axis": "batch axis",
                "softmax over the whole array": "whole array",
                "mask ignored": "mask is ignored",
                "sum without keepdims": "keepdims=True",
                "mask inverted": "inverted",
                "scores multiplied by the mask": "not -inf",
                "mask applied after the softmax, not renormalised": (
                    "without renormalising"
                ),
                "softmax without the max (overflows)": "overflows",
                "one max for the whole batch": "own max",
                "-inf fill: NaN for a sentence without real tokens": "0 / 0",
                "-1e9 fill: uniform weights for a sentence without real tokens": (
                    "no real token"
                ),
                "-inf written into the caller's scores": "in place",
                "a list": "NumPy array",
            },
        )


def test_masked_softmax_accepts_other_right_answers():
    def renormalised_after_the_mask(scores, mask):
        exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True)) * mask
        totals = exponentials.sum(axis=-1, keepdims=True)
        return exponentials / np.where(totals > 0, totals, 1.0)

    def keras_softmax(scores, mask):
        return keras.ops.convert_to_numpy(keras.layers.Softmax()(scores, mask=mask))

    for right in (
        _softmax_with_fill(-1e9, zero_empty_rows=True),
        renormalised_after_the_mask,
        keras_softmax,
    ):
        assert exercises.check_masked_softmax(right).passed


def test_context_vector():
    def multiplies_values_in_place(weights, values):
        values *= weights[:, :, None]
        return values.sum(axis=1)

    def softmax_again(weights, values):
        return solutions.context_vector(_stable_softmax(weights), values)

    assert_check_behaviour(
        exercises.check_context_vector,
        solutions.context_vector,
        {
            "summed over the feature axis": lambda weights, values: (
                weights[:, :, None] * values
            ).sum(axis=2),
            "summed over the batch axis": lambda weights, values: (
                weights[:, :, None] * values
            ).sum(axis=0),
            "weights @ values": lambda weights, values: weights @ values,
            "middle axis kept, (B, 1, D)": lambda weights, values: weights[:, None, :]
            @ values,
            "plain mean of the values": lambda weights, values: values.mean(axis=1),
            "plain sum of the values": lambda weights, values: values.sum(axis=1),
            "weights transposed": lambda weights, values: (
                weights.T[:, :, None] * values
            ).sum(axis=1),
            "the first sentence's weights for all": lambda weights, values: (
                weights[:1, :, None] * values
            ).sum(axis=1),
            "a softmax of the weights": softmax_again,
            "values multiplied in place": multiplies_values_in_place,
            "a list": lambda weights, values: solutions.context_vector(
                weights, values
            ).tolist(),
        },
        expected_hints={
            "summed over the feature axis": "feature axis",
            "summed over the batch axis": "batch axis",
            "weights @ values": "every sentence's values",
            "middle axis kept, (B, 1, D)": "drop the middle axis",
            "plain mean of the values": "plain mean",
            "plain sum of the values": "plain sum",
            "weights transposed": "shapes",
            "values multiplied in place": "in place",
            "a list": "NumPy array",
        },
    )


def test_context_vector_accepts_other_right_answers():
    for right in (
        lambda weights, values: np.einsum("bs,bsd->bd", weights, values),
        lambda weights, values: (weights[:, None, :] @ values)[:, 0, :],
        lambda weights, values: solutions.context_vector(
            weights / weights.sum(axis=-1, keepdims=True), values
        ),
    ):
        assert exercises.check_context_vector(right).passed


# The decoder step's arguments, in order.
DECODER_ARGUMENTS = (
    "previous_embedding",
    "previous_state",
    "previous_context",
    "encoder_states",
    "mask",
    "rnn_kernel",
    "rnn_bias",
    "query_weights",
    "key_weights",
    "score_vector",
)


def _decoder_variant(
    order=("previous_embedding", "previous_context", "previous_state"),
    activation=np.tanh,
    use_bias=True,
    attend_with="new state",
    use_mask=True,
    normalise=True,
):
    """An attention decoder step with one slip: the order of the RNN input's
    parts, its activation and bias, which state the weights come from (`"new
    state"`, `"previous state"`, or `"previous state, fed to the RNN"`, which
    attends first and feeds that context to the RNN instead of
    previous_context), whether the mask is used and the scores normalised."""

    def step(*values):
        arguments = dict(zip(DECODER_ARGUMENTS, values, strict=True))
        score_weights = [arguments[name] for name in DECODER_ARGUMENTS[7:]]
        encoder_states = arguments["encoder_states"]

        def attend(state):
            scores = solutions.additive_scores(state, encoder_states, *score_weights)
            mask = arguments["mask"] if use_mask else np.ones_like(arguments["mask"])
            weights = solutions.masked_softmax(scores, mask) if normalise else scores
            return solutions.context_vector(weights, encoder_states), weights

        if attend_with == "previous state, fed to the RNN":
            arguments["previous_context"], _ = attend(arguments["previous_state"])
        rnn_input = np.concatenate([arguments[name] for name in order], axis=-1)
        bias = arguments["rnn_bias"] if use_bias else 0.0
        state = activation(rnn_input @ arguments["rnn_kernel"] + bias)
        context, weights = attend(
            state if attend_with == "new state" else arguments["previous_state"]
        )
        return state, context, weights

    return step


def test_decoder_variant_without_slips_is_the_solution():
    rng = np.random.default_rng(0)
    values = (
        rng.normal(size=(2, 2)),
        rng.normal(size=(2, 4)),
        rng.normal(size=(2, 3)),
        rng.normal(size=(2, 5, 3)),
        np.array([[True] * 5, [True, True, False, False, False]]),
        rng.normal(size=(9, 4)),
        rng.normal(size=(4,)),
        rng.normal(size=(4, 6)),
        rng.normal(size=(3, 6)),
        rng.normal(size=(6,)),
    )
    for ours, theirs in zip(
        _decoder_variant()(*values),
        solutions.attention_decoder_step(*values),
        strict=True,
    ):
        np.testing.assert_allclose(ours, theirs)


_WRONG_ORDERS = {
    "[x; s; c]": ("previous_embedding", "previous_state", "previous_context"),
    "[c; x; s]": ("previous_context", "previous_embedding", "previous_state"),
    "[c; s; x]": ("previous_context", "previous_state", "previous_embedding"),
    "[s; x; c]": ("previous_state", "previous_embedding", "previous_context"),
    "[s; c; x]": ("previous_state", "previous_context", "previous_embedding"),
}


def test_attention_decoder_step():
    def returns_the_previous_context(*values):
        state, _, weights = solutions.attention_decoder_step(*values)
        return state, values[2], weights

    def context_and_state_swapped(*values):
        state, context, weights = solutions.attention_decoder_step(*values)
        return context, state, weights

    def score_weights_swapped(*values):
        *rest, query_weights, key_weights, score_vector = values
        return solutions.attention_decoder_step(
            *rest, key_weights, query_weights, score_vector
        )

    def state_written_into_previous_state(*values):
        state, context, weights = solutions.attention_decoder_step(*values)
        values[1][...] = state
        return values[1], context, weights

    def state_as_a_list(*values):
        state, context, weights = solutions.attention_decoder_step(*values)
        return state.tolist(), context, weights

    wrong_orders = {
        f"RNN input {name}": _decoder_variant(order=order)
        for name, order in _WRONG_ORDERS.items()
    }
    assert_check_behaviour(
        exercises.check_attention_decoder_step,
        solutions.attention_decoder_step,
        {
            **wrong_orders,
            "tanh missing": _decoder_variant(activation=lambda values: values),
            "sigmoid instead of tanh": _decoder_variant(activation=_sigmoid),
            "bias missing": _decoder_variant(use_bias=False),
            "weights of the previous state": _decoder_variant(
                attend_with="previous state"
            ),
            "attends first, previous_context unused": _decoder_variant(
                attend_with="previous state, fed to the RNN"
            ),
            "mask ignored": _decoder_variant(use_mask=False),
            "raw scores as weights": _decoder_variant(normalise=False),
            "the previous context returned": returns_the_previous_context,
            "context and state swapped": context_and_state_swapped,
            "query and key weights swapped": score_weights_swapped,
            "only state and context": lambda *values: (
                solutions.attention_decoder_step(*values)[:2]
            ),
            "state written into previous_state": state_written_into_previous_state,
            "state as a list": state_as_a_list,
        },
        expected_hints={
            **{name: "in that order" for name in wrong_orders},
            "tanh missing": "tanh is missing",
            "bias missing": "bias b is missing",
            "weights of the previous state": "previous state s_{t-1}",
            "attends first, previous_context unused": "previous_context as given",
            "mask ignored": "mask is ignored",
            "raw scores as weights": "raw scores",
            "the previous context returned": "unchanged",
            "context and state swapped": "in that order",
            "query and key weights swapped": "query_weights (H, A)",
            "only state and context": "three arrays",
            "state written into previous_state": "in place",
            "state as a list": "NumPy array",
        },
    )


def test_attention_decoder_step_accepts_other_right_answers():
    def kernel_split_in_three(*values):
        embedding, state, context, encoder_states, mask, kernel, bias = values[:7]
        rows = np.cumsum([embedding.shape[1], context.shape[1]])
        from_embedding, from_context, from_state = np.split(kernel, rows)
        new_state = np.tanh(
            embedding @ from_embedding
            + context @ from_context
            + state @ from_state
            + bias
        )
        scores = solutions.additive_scores(new_state, encoder_states, *values[7:])
        weights = solutions.masked_softmax(scores, mask)
        return new_state, np.einsum("bs,bsd->bd", weights, encoder_states), weights

    assert exercises.check_attention_decoder_step(kernel_split_in_three).passed


def test_read_heatmap():
    def per_source_token(weights, source_tokens, target_tokens):
        rows = np.argmax(weights, axis=0)  # (S,)
        return [
            (target_tokens[row], source_token)
            for row, source_token in zip(rows, source_tokens, strict=True)
        ]

    def columns_zipped_with_targets(weights, source_tokens, target_tokens):
        rows = np.argmax(weights, axis=0)
        return [
            (target_token, source_tokens[row])
            for target_token, row in zip(target_tokens, rows, strict=False)
        ]

    def with_columns(choose):
        def read(weights, source_tokens, target_tokens):
            return [
                (target_token, choose(row, source_tokens))
                for target_token, row in zip(target_tokens, weights, strict=True)
            ]

        return read

    def last_on_ties(row, source_tokens):
        return source_tokens[len(row) - 1 - int(np.argmax(row[::-1]))]

    assert_check_behaviour(
        exercises.check_read_heatmap,
        solutions.read_heatmap,
        {
            "one pair per source token": per_source_token,
            "columns' arg-max zipped with the targets": columns_zipped_with_targets,
            "indices instead of tokens": with_columns(
                lambda row, tokens: int(np.argmax(row))
            ),
            "off by one, j + 1": with_columns(
                lambda row, tokens: tokens[int(np.argmax(row)) + 1]
            ),
            "off by one, j - 1": with_columns(
                lambda row, tokens: tokens[int(np.argmax(row)) - 1]
            ),
            "last on ties": with_columns(last_on_ties),
            "arg-min": with_columns(lambda row, tokens: tokens[int(np.argmin(row))]),
            "one arg-max for the whole heatmap": lambda weights, sources, targets: [
                (target, sources[int(np.argmax(weights)) % len(sources)])
                for target in targets
            ],
            "source tokens only": lambda weights, sources, targets: [
                sources[column] for column in np.argmax(weights, axis=-1)
            ],
            "pairs reversed": lambda weights, sources, targets: [
                (source, target)
                for target, source in solutions.read_heatmap(weights, sources, targets)
            ],
            "a zip object": lambda weights, sources, targets: zip(
                targets,
                [sources[column] for column in np.argmax(weights, axis=-1)],
                strict=True,
            ),
        },
        expected_hints={
            "one pair per source token": "one per source token",
            "indices instead of tokens": "not its index",
            "off by one, j + 1": "IndexError",
            "off by one, j - 1": "one column off",
            "last on ties": "first (leftmost)",
            "source tokens only": "e.g. ('i', '我')",
            "pairs reversed": "reversed",
            "a zip object": "a list",
        },
    )


def test_read_heatmap_accepts_other_right_answers():
    def with_max_and_index(weights, source_tokens, target_tokens):
        pairs = []
        for target_token, row in zip(target_tokens, weights.tolist(), strict=True):
            pairs.append([target_token, source_tokens[row.index(max(row))]])
        return pairs

    assert exercises.check_read_heatmap(with_max_and_index).passed


@pytest.mark.parametrize(
    ("check", "solution", "position"),
    [
        (exercises.check_additive_scores, solutions.additive_scores, 1),
        (exercises.check_masked_softmax, solutions.masked_softmax, 0),
        (exercises.check_masked_softmax, solutions.masked_softmax, 1),
        (exercises.check_context_vector, solutions.context_vector, 1),
        (exercises.check_attention_decoder_step, solutions.attention_decoder_step, 1),
        (exercises.check_read_heatmap, solutions.read_heatmap, 0),
        (exercises.check_read_heatmap, solutions.read_heatmap, 1),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_checks_reject_solutions_that_edit_their_inputs(check, solution, position):
    result = check(mutating(solution, position))
    assert result.attempted and not result.passed
    assert "in place" in result.message
