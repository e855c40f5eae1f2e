"""Each chapter 4 check accepts the worked solution and rejects plausible mistakes.

Each wrong variant is a mistake a learner plausibly makes, named after it. Some
answers that differ from the worked solution but are right (`np.einsum`, a split
`W_a`, a `-1e9` fill with the weights multiplied by the mask, `np.tri`, Keras' own
ops) must pass.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention.numpy_attention import masked_softmax
from chapters.ch04_dot_product_attention import exercises
from solutions import ch04_solutions as solutions
from tests.check_testing import (
    assert_check_behaviour,
    assert_reported_as_not_attempted,
    mutating,
)

CHECKS = [
    exercises.check_dot_score,
    exercises.check_general_score,
    exercises.check_concat_score,
    exercises.check_scaled_dot_product_attention,
    exercises.check_causal_mask,
    exercises.check_combine_masks,
    exercises.check_luong_decoder_step,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_stubs_are_reported_as_not_attempted(check, capsys):
    assert_reported_as_not_attempted(check, capsys)


def test_solutions_on_hand_computed_cases():
    keys = np.array([[[3.0, 4.0], [0.0, 1.0]]])
    np.testing.assert_allclose(
        solutions.dot_score(np.array([[1.0, 2.0]]), keys), [[11, 2]]
    )
    # W_a swaps the keys' two features: (3, 4) becomes (4, 3), and 1·4 + 2·3 = 10;
    # (0, 1) becomes (1, 0), and 1·1 = 1.
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(
        solutions.general_score(np.array([[1.0, 2.0]]), keys, swap), [[10, 1]]
    )
    # W_a adds the query and the key; v_a = 2: scores 2 tanh(1 + h̄_s).
    scores = solutions.concat_score(
        np.array([[1.0]]), np.array([[[0.0], [1.0]]]), np.ones((2, 1)), np.array([2.0])
    )
    np.testing.assert_allclose(scores, [[2 * np.tanh(1.0), 2 * np.tanh(2.0)]])
    # d_k = 4: a query of (2 log 3, 0, 0, 0) scores the keys 0 and log 3 after the
    # division by √4 = 2, so the weights are 1 : 3; the third key is hidden.
    query = np.array([[[2 * np.log(3.0), 0.0, 0.0, 0.0]]])
    key = np.array([[[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0]]])
    value = np.array([[[4.0], [8.0], [100.0]]])
    output, weights = solutions.scaled_dot_product_attention(
        query, key, value, np.array([[[True, True, False]]])
    )
    np.testing.assert_allclose(weights, [[[0.25, 0.75, 0.0]]])
    np.testing.assert_allclose(output, [[[7.0]]])
    # A query with nothing to attend to gets zeros, not NaN.
    output, weights = solutions.scaled_dot_product_attention(
        query, key, value, np.zeros((1, 1, 3), bool)
    )
    np.testing.assert_array_equal(weights, np.zeros((1, 1, 3)))
    np.testing.assert_array_equal(output, np.zeros((1, 1, 1)))
    causal = solutions.causal_mask(3)
    np.testing.assert_array_equal(
        causal, [[True, False, False], [True, True, False], [True, True, True]]
    )
    assert causal.dtype == bool
    np.testing.assert_array_equal(
        solutions.combine_masks(np.array([[True, True, False]]), causal),
        [[[True, False, False], [True, True, False], [True, True, False]]],
    )
    # Zero kernels give h_t = tanh(b) = (0.5, 0); its dot scores with the two real
    # encoder states are 1 and 0. W_c keeps the state's half only, so h̃_t =
    # tanh(h_t): with [h_t; c_t] it would read the context instead.
    state, attentional_state, weights = solutions.luong_decoder_step(
        np.ones((1, 1)),
        np.ones((1, 2)),
        np.array([[[2.0, 0.0], [0.0, 2.0], [9.0, 9.0]]]),
        np.array([[True, True, False]]),
        np.zeros((1, 2)),
        np.zeros((2, 2)),
        np.array([np.arctanh(0.5), 0.0]),
        np.concatenate([np.zeros((2, 2)), np.eye(2)]),
    )
    np.testing.assert_allclose(state, [[0.5, 0.0]])
    e = np.e
    np.testing.assert_allclose(weights, [[e / (e + 1), 1 / (e + 1), 0.0]])
    np.testing.assert_allclose(attentional_state, [[np.tanh(0.5), 0.0]])


def test_solutions_agree_with_keras():
    """`keras.ops.dot_product_attention` (with a heads axis of 1) for the scaled
    attention; `keras.layers.Attention`'s dot score for Luong's dot score."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 3, 5)).astype("float32")
    key = rng.normal(size=(2, 4, 5)).astype("float32")
    value = rng.normal(size=(2, 4, 6)).astype("float32")
    mask = np.arange(4) <= np.arange(3)[:, None] + 1  # (T, S)
    mask = mask & (np.arange(4) < np.array([4, 2])[:, None, None])  # (B, T, S)
    output, _ = solutions.scaled_dot_product_attention(query, key, value, mask)
    keras_output = keras.ops.dot_product_attention(
        query[:, :, None, :],
        key[:, :, None, :],
        value[:, :, None, :],
        mask=mask[:, None, :, :],
    )
    np.testing.assert_allclose(
        output, keras.ops.convert_to_numpy(keras_output)[:, :, 0, :], atol=1e-5
    )
    decoder_state = query[:, 0, :]  # (B, D)
    padding = np.array([[True] * 4, [True, True, False, False]])
    weights = masked_softmax(solutions.dot_score(decoder_state, key), padding)
    _, keras_weights = keras.layers.Attention()(
        [decoder_state[:, None, :], key],
        # (B, 1, S): Keras 3.10 subtracts a (B, S) value mask from (B, T, S)
        # scores without expanding it.
        mask=[None, padding[:, None, :]],
        return_attention_scores=True,
    )
    np.testing.assert_allclose(
        weights, keras.ops.convert_to_numpy(keras_weights)[:, 0], atol=1e-6
    )


def _softmax(scores, axis=-1):
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)


def test_dot_score():
    assert_check_behaviour(
        exercises.check_dot_score,
        solutions.dot_score,
        {
            "query @ keys": lambda query, keys: query @ keys,
            "keys @ query.T": lambda query, keys: keys @ query.T,
            "np.dot(keys, query)": lambda query, keys: np.dot(keys, query),
            "summed over the source axis": lambda query, keys: (
                query[:, None, :] * keys
            ).sum(axis=1),
            "keys summed over every sentence": lambda query, keys: np.einsum(
                "bd,csd->bs", query, keys
            ),
            "the first sentence's query for all": lambda query, keys: (
                solutions.dot_score(np.repeat(query[:1], len(query), axis=0), keys)
            ),
            "softmax of the scores returned": lambda query, keys: _softmax(
                solutions.dot_score(query, keys)
            ),
            "scaled by √D": lambda query, keys: solutions.dot_score(query, keys)
            / np.sqrt(query.shape[-1]),
            "a source axis kept, (B, S, 1)": lambda query, keys: keys
            @ query[:, :, None],
            "a list": lambda query, keys: solutions.dot_score(query, keys).tolist(),
        },
        expected_hints={
            "query @ keys": "query[:, None, :]",
            "keys @ query.T": "every sentence's query",
            "np.dot(keys, query)": "shapes",
            "summed over the source axis": "summed over the source axis",
            "the first sentence's query for all": "sentence 0's query",
            "softmax of the scores returned": "raw scores",
            "scaled by √D": "not scaled",
            "a source axis kept, (B, S, 1)": "rank",
            "a list": "NumPy array",
        },
    )


def test_general_score():
    def first_query_for_all(query, keys, key_weights):
        first = np.repeat(query[:1], len(query), axis=0)
        return solutions.general_score(first, keys, key_weights)

    assert_check_behaviour(
        exercises.check_general_score,
        solutions.general_score,
        {
            "W_a on the query": lambda query, keys, key_weights: solutions.dot_score(
                query @ key_weights, keys
            ),
            "W_a transposed on the keys": lambda query, keys, key_weights: (
                solutions.dot_score(query, keys @ key_weights.T)
            ),
            "W_a unused": lambda query, keys, key_weights: solutions.dot_score(
                query, keys
            ),
            "W_a on both": lambda query, keys, key_weights: solutions.dot_score(
                query @ key_weights, keys @ key_weights
            ),
            "summed over the source axis": lambda query, keys, key_weights: (
                query[:, None, :] * (keys @ key_weights)
            ).sum(axis=1),
            "the first sentence's query for all": first_query_for_all,
            "softmax of the scores returned": lambda *arguments: _softmax(
                solutions.general_score(*arguments)
            ),
            "scaled by √D": lambda query, keys, key_weights: solutions.general_score(
                query, keys, key_weights
            )
            / np.sqrt(query.shape[-1]),
            "a list": lambda *arguments: solutions.general_score(*arguments).tolist(),
        },
        expected_hints={
            "W_a on the query": "Applied to the query",
            "W_a transposed on the keys": "W_a transposed",
            "W_a unused": "that is the dot score",
            "summed over the source axis": "summed over the source axis",
            "the first sentence's query for all": "sentence 0's query",
            "softmax of the scores returned": "raw scores",
            "scaled by √D": "not scaled",
            "a list": "NumPy array",
        },
    )


def test_general_score_accepts_other_right_answers():
    def query_times_transposed_weights(query, keys, key_weights):
        return np.einsum("bd,bsd->bs", query @ key_weights.T, keys)

    def with_keras_ops(query, keys, key_weights):
        projected_keys = keras.ops.matmul(keys, key_weights)  # (B, S, D)
        return keras.ops.sum(projected_keys * query[:, None, :], axis=-1)

    for right in (query_times_transposed_weights, with_keras_ops):
        assert exercises.check_general_score(right).passed


def _pairs(first, second):
    """`[first; second]` for every source token: one of them is `(B, D)`, repeated."""
    source_length = max(np.shape(first)[1:2] + np.shape(second)[1:2])
    first, second = (
        np.repeat(part[:, None, :], source_length, axis=1) if part.ndim == 2 else part
        for part in (first, second)
    )
    return np.concatenate([first, second], axis=-1)


def test_concat_score():
    def split_at_the_keys_width(query, keys, concat_weights, score_vector):
        key_dim = keys.shape[-1]
        hidden = (query @ concat_weights[:key_dim])[:, None, :]
        hidden = hidden + keys @ concat_weights[key_dim:]
        return np.tanh(hidden) @ score_vector

    def tanh_of_each_half(query, keys, concat_weights, score_vector):
        query_dim = query.shape[-1]
        from_query = np.tanh(query @ concat_weights[:query_dim])[:, None, :]
        return (from_query + np.tanh(keys @ concat_weights[query_dim:])) @ score_vector

    def first_query_for_all(query, *arguments):
        first = np.repeat(query[:1], len(query), axis=0)
        return solutions.concat_score(first, *arguments)

    def hidden(query, keys, concat_weights):
        return _pairs(query, keys) @ concat_weights

    assert_check_behaviour(
        exercises.check_concat_score,
        solutions.concat_score,
        {
            "halves swapped": lambda q, k, w, v: np.tanh(_pairs(k, q) @ w) @ v,
            "tanh missing": lambda q, k, w, v: hidden(q, k, w) @ v,
            "v_a applied before tanh": lambda q, k, w, v: np.tanh(hidden(q, k, w) @ v),
            "v_a ignored, tanh summed": lambda q, k, w, v: np.tanh(hidden(q, k, w)).sum(
                -1
            ),
            "sigmoid instead of tanh": lambda q, k, w, v: (
                1 / (1 + np.exp(-hidden(q, k, w)))
            )
            @ v,
            "tanh of each half, then summed": tanh_of_each_half,
            "query not repeated": lambda q, k, w, v: np.tanh(
                np.concatenate([q, k], axis=-1) @ w
            )
            @ v,
            "W_a split at D' rows": split_at_the_keys_width,
            "summed over the source axis": lambda q, k, w, v: (
                np.tanh(hidden(q, k, w)) * v
            ).sum(axis=1),
            "the first sentence's query for all": first_query_for_all,
            "softmax of the scores returned": lambda *arguments: _softmax(
                solutions.concat_score(*arguments)
            ),
            "a list": lambda *arguments: solutions.concat_score(*arguments).tolist(),
        },
        expected_hints={
            "halves swapped": "the halves are swapped",
            "tanh missing": "tanh is missing",
            "v_a applied before tanh": "v_a comes after tanh",
            "v_a ignored, tanh summed": "weighted by score_vector",
            "query not repeated": "np.broadcast_to",
            "W_a split at D' rows": "shapes",
            "summed over the source axis": "summed over the source axis",
            "the first sentence's query for all": "sentence 0's query",
            "softmax of the scores returned": "raw scores",
            "a list": "NumPy array",
        },
    )


def test_concat_score_accepts_other_right_answers():
    def weights_split_at_the_query_width(query, keys, concat_weights, score_vector):
        query_dim = query.shape[-1]
        from_query = (query @ concat_weights[:query_dim])[:, None, :]  # (B, 1, A)
        from_keys = keys @ concat_weights[query_dim:]  # (B, S, A)
        return np.tanh(from_query + from_keys) @ score_vector

    def with_einsum(query, keys, concat_weights, score_vector):
        pairs = _pairs(query, keys)
        hidden = np.tanh(np.einsum("bsi,ia->bsa", pairs, concat_weights))
        return np.einsum("bsa,a->bs", hidden, score_vector)

    for right in (weights_split_at_the_query_width, with_einsum):
        assert exercises.check_concat_score(right).passed


def _allowed(scores, mask):
    return np.ones(scores.shape, bool) if mask is None else mask


def _safe_softmax(scores, mask, axis=-1):
    """Chapter 3's worked masked softmax over `axis`: -inf at hidden positions, its
    own max, and no division by a zero sum."""
    hidden = np.where(_allowed(scores, mask), scores, -np.inf)
    top = hidden.max(axis=axis, keepdims=True)
    exponentials = np.exp(hidden - np.where(np.isfinite(top), top, 0.0))
    totals = exponentials.sum(axis=axis, keepdims=True)
    return exponentials / np.where(totals > 0, totals, 1.0)


def _filled_softmax(fill=-np.inf, subtract="own max", safe=False, times_mask=False):
    """A softmax over the keys of the scores with the hidden ones set to `fill`;
    `subtract` is `"own max"`, `"global max"` or `"nothing"`; `safe` divides only
    by positive sums; `times_mask` multiplies the weights by the mask at the end."""

    def weights_of(scores, mask):
        allowed = _allowed(scores, mask)
        hidden = np.where(allowed, scores, fill)
        top = {
            "own max": hidden.max(axis=-1, keepdims=True),
            "global max": hidden.max(),
            "nothing": 0.0,
        }[subtract]
        exponentials = np.exp(hidden - top)
        totals = exponentials.sum(axis=-1, keepdims=True)
        weights = exponentials / (np.where(totals > 0, totals, 1.0) if safe else totals)
        return weights * allowed if times_mask else weights

    return weights_of


def _attention(scale=None, weights_of=_safe_softmax):
    """Scaled dot-product attention whose scores are divided by `scale(query, key,
    value)` (√d_k when None) and whose weights are `weights_of(scores, mask)`."""

    def attention(query, key, value, mask=None):
        divisor = (
            np.sqrt(query.shape[-1]) if scale is None else scale(query, key, value)
        )
        scores = query @ np.swapaxes(key, -1, -2) / divisor  # (B, T, S)
        weights = weights_of(scores, mask)
        return weights @ value, weights

    return attention


def _flattened(shape_of_rows):
    """A safe masked softmax over each row of `scores.reshape(shape_of_rows(...))`."""

    def weights_of(scores, mask):
        rows = shape_of_rows(scores)
        flat = _safe_softmax(scores.reshape(rows), _allowed(scores, mask).reshape(rows))
        return flat.reshape(scores.shape)

    return weights_of


def test_attention_variant_without_slips_is_the_solution():
    rng = np.random.default_rng(0)
    query, key, value = (
        rng.normal(size=shape) for shape in ((2, 3, 5), (2, 4, 5), (2, 4, 6))
    )
    mask = rng.random((2, 3, 4)) < 0.7
    for ours, theirs in zip(
        _attention()(query, key, value, mask),
        solutions.scaled_dot_product_attention(query, key, value, mask),
        strict=True,
    ):
        np.testing.assert_allclose(ours, theirs)


def test_scaled_dot_product_attention():
    def query_key_without_transpose(query, key, value, mask=None):
        weights = _safe_softmax(query @ key / np.sqrt(query.shape[-1]), mask)
        return weights @ value, weights

    def key_dot_t(query, key, value, mask=None):
        weights = _safe_softmax(query @ key.T / np.sqrt(query.shape[-1]), mask)
        return weights @ value, weights

    def key_query_transposed(query, key, value, mask=None):
        scores = key @ np.swapaxes(query, -1, -2) / np.sqrt(query.shape[-1])
        allowed = None if mask is None else np.swapaxes(mask, -1, -2)
        weights = _safe_softmax(scores, allowed, axis=-2)  # (B, S, T)
        return np.swapaxes(weights, -1, -2) @ value, weights

    def weights_times_key(query, key, value, mask=None):
        _, weights = solutions.scaled_dot_product_attention(query, key, value, mask)
        return weights @ key, weights

    def scaled_after_the_softmax(query, key, value, mask=None):
        weights = _safe_softmax(query @ np.swapaxes(key, -1, -2), mask)
        weights = weights / np.sqrt(query.shape[-1])
        return weights @ value, weights

    def raw_scores_as_weights(query, key, value, mask=None):
        output, _ = solutions.scaled_dot_product_attention(query, key, value, mask)
        return output, query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])

    def mask_none_not_handled(query, key, value, mask=None):
        scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
        weights = _safe_softmax(np.where(~mask, -np.inf, scores), None)
        return weights @ value, weights

    def mask_none_hides_everything(query, key, value, mask=None):
        scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
        weights = _safe_softmax(np.where(mask, scores, -np.inf), None)
        return weights @ value, weights

    def query_scaled_in_place(query, key, value, mask=None):
        query /= np.sqrt(query.shape[-1])
        weights = _safe_softmax(query @ np.swapaxes(key, -1, -2), mask)
        return weights @ value, weights

    def swapped_outputs(*arguments):
        output, weights = solutions.scaled_dot_product_attention(*arguments)
        return weights, output

    def weights_as_a_list(*arguments):
        output, weights = solutions.scaled_dot_product_attention(*arguments)
        return output, weights.tolist()

    def sentence_rows(scores):
        return (scores.shape[0], -1)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert_check_behaviour(
            exercises.check_scaled_dot_product_attention,
            solutions.scaled_dot_product_attention,
            {
                "no scaling": _attention(scale=lambda q, k, v: 1.0),
                "divided by d_k": _attention(scale=lambda q, k, v: q.shape[-1]),
                "divided by √d_v": _attention(
                    scale=lambda q, k, v: np.sqrt(v.shape[-1])
                ),
                "divided by √S": _attention(scale=lambda q, k, v: np.sqrt(k.shape[1])),
                "divided by √T": _attention(scale=lambda q, k, v: np.sqrt(q.shape[1])),
                "mask applied after the softmax, not renormalised": _attention(
                    weights_of=lambda s, m: _softmax(s) * _allowed(s, m)
                ),
                "mask ignored": _attention(weights_of=lambda s, m: _softmax(s)),
                "mask inverted": _attention(
                    weights_of=lambda s, m: _safe_softmax(s, None if m is None else ~m)
                ),
                "scores multiplied by the mask": _attention(
                    weights_of=lambda s, m: _softmax(s * _allowed(s, m))
                ),
                "hidden scores set to 0": _attention(
                    weights_of=lambda s, m: _softmax(np.where(_allowed(s, m), s, 0.0))
                ),
                "hidden scores set to -10 only": _attention(
                    weights_of=_filled_softmax(fill=-10.0)
                ),
                "softmax over the query axis": _attention(
                    weights_of=lambda s, m: _safe_softmax(s, m, axis=-2)
                ),
                "softmax over the batch axis": _attention(
                    weights_of=lambda s, m: _safe_softmax(s, m, axis=0)
                ),
                "softmax over the whole array": _attention(
                    weights_of=_flattened(lambda scores: (1, -1))
                ),
                "softmax over each sentence": _attention(
                    weights_of=_flattened(sentence_rows)
                ),
                "Q K without the transpose": query_key_without_transpose,
                "key.T": key_dot_t,
                "K Q^T": key_query_transposed,
                "weights @ key": weights_times_key,
                "softmax without the max (overflows)": _attention(
                    weights_of=_filled_softmax(subtract="nothing")
                ),
                "one max for the whole array": _attention(
                    weights_of=_filled_softmax(subtract="global max")
                ),
                "one max for the whole array, safe division": _attention(
                    weights_of=_filled_softmax(subtract="global max", safe=True)
                ),
                "-inf fill: NaN where nothing may be attended to": _attention(
                    weights_of=_filled_softmax()
                ),
                "-1e9 fill: uniform where nothing may be attended to": _attention(
                    weights_of=_filled_softmax(fill=-1e9)
                ),
                "unscaled, and the mask applied after the softmax": _attention(
                    scale=lambda q, k, v: 1.0,
                    weights_of=lambda s, m: _softmax(s) * _allowed(s, m),
                ),
                "weights scaled after the softmax": scaled_after_the_softmax,
                "raw scores as weights": raw_scores_as_weights,
                "mask=None not handled (TypeError)": mask_none_not_handled,
                "mask=None read as every key hidden": mask_none_hides_everything,
                "query scaled in place": query_scaled_in_place,
                "(weights, output)": swapped_outputs,
                "only the output": lambda *arguments: (
                    solutions.scaled_dot_product_attention(*arguments)[0]
                ),
                "weights as a list": weights_as_a_list,
            },
            expected_hints={
                "no scaling": "not scaled",
                "divided by d_k": "divided by d_k = 5",
                "divided by √d_v": "√d_v",
                "divided by √S": "√S",
                "divided by √T": "√T",
                "mask applied after the softmax, not renormalised": (
                    "without renormalising"
                ),
                "mask ignored": "mask is ignored",
                "mask inverted": "inverted",
                "scores multiplied by the mask": "not -inf",
                "hidden scores set to 0": "not -inf",
                "hidden scores set to -10 only": "must get exactly 0",
                "softmax over the query axis": "query axis",
                "softmax over the batch axis": "batch axis",
                "softmax over the whole array": "whole",
                "softmax over each sentence": "whole sentence",
                "Q K without the transpose": "key.transpose(0, 2, 1)",
                "key.T": "key.T reverses every axis",
                "K Q^T": "K Q^T",
                "weights @ key": "not key",
                "softmax without the max (overflows)": "overflows",
                "one max for the whole array": "own max",
                "one max for the whole array, safe division": "underflowed",
                "-inf fill: NaN where nothing may be attended to": "0 / 0",
                "-1e9 fill: uniform where nothing may be attended to": (
                    "may attend to nothing"
                ),
                "unscaled, and the mask applied after the softmax": (
                    "without renormalising"
                ),
                "weights scaled after the softmax": "divided by √d_k after the softmax",
                "raw scores as weights": "apply the masked softmax",
                "mask=None not handled (TypeError)": "mask=None means no mask",
                "mask=None read as every key hidden": "mask=None means no mask",
                "query scaled in place": "in place",
                "(weights, output)": "in that order",
                "only the output": "two arrays",
                "weights as a list": "NumPy array",
            },
        )


def test_scaled_dot_product_attention_accepts_other_right_answers():
    def minus_1e9_times_mask(query, key, value, mask=None):
        return _attention(weights_of=_filled_softmax(fill=-1e9, times_mask=True))(
            query, key, value, mask
        )

    def with_einsum(query, key, value, mask=None):
        scores = np.einsum("btk,bsk->bts", query, key) / np.sqrt(key.shape[-1])
        weights = masked_softmax(scores, mask)
        return np.einsum("bts,bsv->btv", weights, value), weights

    def with_keras_softmax(query, key, value, mask=None):
        scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
        weights = keras.layers.Softmax()(scores, mask=mask)
        weights = keras.ops.convert_to_numpy(weights)
        if mask is not None:
            weights = weights * mask  # Keras spreads a row with nothing evenly.
        return weights @ value, weights

    for right in (minus_1e9_times_mask, with_einsum, with_keras_softmax):
        assert exercises.check_scaled_dot_product_attention(right).passed


def test_causal_mask():
    assert_check_behaviour(
        exercises.check_causal_mask,
        solutions.causal_mask,
        {
            "upper triangle": lambda length: np.triu(np.ones((length, length), bool)),
            "diagonal excluded": lambda length: np.tri(length, k=-1, dtype=bool),
            "one position of the future": lambda length: np.tri(
                length, k=1, dtype=bool
            ),
            "inverted: True where hidden": lambda length: np.triu(
                np.ones((length, length), bool), k=1
            ),
            "every position True": lambda length: np.ones((length, length), bool),
            "0/1 integers": lambda length: np.tri(length, dtype=int),
            "0/1 floats": lambda length: np.tril(np.ones((length, length))),
            "upper triangle of floats": lambda length: np.triu(
                np.ones((length, length))
            ),
            "additive mask of -inf": lambda length: np.triu(
                np.full((length, length), -np.inf), k=1
            ),
            "a batch axis, (1, T, T)": lambda length: np.tri(length, dtype=bool)[None],
            "one row and column too many": lambda length: np.tri(
                length + 1, dtype=bool
            ),
            "a fixed size": lambda length: np.tri(5, dtype=bool),
            "a list": lambda length: np.tri(length, dtype=bool).tolist(),
        },
        expected_hints={
            "upper triangle": "upper triangle",
            "diagonal excluded": "diagonal is missing",
            "one position of the future": "one position too many",
            "inverted: True where hidden": "True and False are swapped",
            "every position True": "every position is True",
            "0/1 integers": "right pattern",
            "0/1 floats": "right pattern",
            "upper triangle of floats": "upper triangle",
            "additive mask of -inf": "additive mask",
            "a batch axis, (1, T, T)": "(1, T, T)",
            "one row and column too many": "shape",
            "a fixed size": "causal_mask(1) has shape",
            "a list": "NumPy array",
        },
    )


def test_causal_mask_accepts_other_right_answers():
    for right in (
        lambda length: np.tri(length, dtype=bool),
        lambda length: np.tril(np.ones((length, length))).astype(bool),
        lambda length: keras.ops.tril(keras.ops.ones((length, length), "bool")),
    ):
        assert exercises.check_causal_mask(right).passed


def test_combine_masks():
    def padding_on_both_axes(padding_mask, causal):
        return padding_mask[:, :, None] & padding_mask[:, None, :] & causal

    assert_check_behaviour(
        exercises.check_combine_masks,
        solutions.combine_masks,
        {
            "OR": lambda padding, causal: padding[:, None, :] | causal,
            "padding on the query axis": lambda padding, causal: padding[:, :, None]
            & causal,
            "padding on both axes": padding_on_both_axes,
            "padding without a query axis": lambda padding, causal: padding & causal,
            "causal only": lambda padding, causal: causal,
            "padding only": lambda padding, causal: padding,
            "padding broadcast, causal ignored": lambda padding, causal: (
                np.broadcast_to(padding[:, None, :], (len(padding), *causal.shape))
            ),
            "causal broadcast, padding ignored": lambda padding, causal: (
                np.broadcast_to(causal, (len(padding), *causal.shape))
            ),
            "last two axes swapped": lambda padding, causal: solutions.combine_masks(
                padding, causal
            ).transpose(0, 2, 1),
            "causal transposed": lambda padding, causal: padding[:, None, :] & causal.T,
            "0/1 integers": lambda padding, causal: solutions.combine_masks(
                padding, causal
            ).astype(int),
            "a product of floats": lambda padding, causal: padding[:, None, :].astype(
                "float32"
            )
            * causal,
            "inverted": lambda padding, causal: ~solutions.combine_masks(
                padding, causal
            ),
            "a list": lambda padding, causal: solutions.combine_masks(
                padding, causal
            ).tolist(),
        },
        expected_hints={
            "OR": "not | (OR)",
            "padding on the query axis": "hides the rows",
            "padding on both axes": "hides the rows",
            "padding without a query axis": "padding_mask[:, None, :]",
            "causal only": "causal mask's shape",
            "padding only": "padding mask's shape",
            "padding broadcast, causal ignored": "causal mask is ignored",
            "causal broadcast, padding ignored": "padding mask is ignored",
            "last two axes swapped": "axes are swapped",
            "causal transposed": "causal is transposed",
            "0/1 integers": "right pattern",
            "a product of floats": "right pattern",
            "a list": "NumPy array",
        },
    )


def test_combine_masks_accepts_other_right_answers():
    for right in (
        lambda padding, causal: np.logical_and(padding[:, None, :], causal[None]),
        lambda padding, causal: np.einsum("bs,ts->bts", padding, causal),
        lambda padding, causal: keras.ops.logical_and(
            keras.ops.expand_dims(padding, 1), causal
        ),
    ):
        assert exercises.check_combine_masks(right).passed


# The decoder step's arguments, in order.
DECODER_ARGUMENTS = (
    "embedding",
    "previous_state",
    "encoder_states",
    "mask",
    "rnn_kernel",
    "rnn_recurrent_kernel",
    "rnn_bias",
    "combine_weights",
)


def _luong_variant(
    rnn_activation=np.tanh,
    use_bias=True,
    attend_with="current state",
    scores_of=None,
    use_mask=True,
    normalise=True,
    context_of=None,
    context_first=True,
    combine_activation=np.tanh,
):
    """A Luong decoder step with one slip: the RNN's activation and bias, which
    state attends (`"current state"` or `"previous state"`), the scores
    (`scores_of(state, encoder_states)`, the dot score when None), the mask, the
    softmax, the context (`context_of(weights, encoder_states)`, the weighted sum
    when None), the order of `[c_t; h_t]` and its activation."""

    def step(*values):
        arguments = dict(zip(DECODER_ARGUMENTS, values, strict=True))
        encoder_states = arguments["encoder_states"]
        bias = arguments["rnn_bias"] if use_bias else 0.0
        state = rnn_activation(
            arguments["embedding"] @ arguments["rnn_kernel"]
            + arguments["previous_state"] @ arguments["rnn_recurrent_kernel"]
            + bias
        )
        query = state if attend_with == "current state" else arguments["previous_state"]
        scores = (scores_of or solutions.dot_score)(query, encoder_states)
        mask = arguments["mask"] if use_mask else None
        weights = masked_softmax(scores, mask) if normalise else scores
        if context_of is None:
            context = np.einsum("bs,bsh->bh", weights, encoder_states)
        else:
            context = context_of(weights, encoder_states)
        parts = [context, state] if context_first else [state, context]
        combined = np.concatenate(parts, axis=-1) @ arguments["combine_weights"]
        return state, combine_activation(combined), weights

    return step


def _decoder_values(rng):
    return (
        rng.normal(size=(2, 3)),
        rng.normal(size=(2, 4)),
        rng.normal(size=(2, 5, 4)),
        np.array([[True] * 5, [True, True, False, False, False]]),
        rng.normal(size=(3, 4)),
        rng.normal(size=(4, 4)),
        rng.normal(size=(4,)),
        rng.normal(size=(8, 4)),
    )


def test_luong_variant_without_slips_is_the_solution():
    values = _decoder_values(np.random.default_rng(0))
    for ours, theirs in zip(
        _luong_variant()(*values), solutions.luong_decoder_step(*values), strict=True
    ):
        np.testing.assert_allclose(ours, theirs)


def test_luong_decoder_step():
    def first_sentence_keys(state, encoder_states):
        return solutions.dot_score(
            state, np.broadcast_to(encoder_states[:1], encoder_states.shape)
        )

    def every_state_against_every_sentence(*values):
        arguments = dict(zip(DECODER_ARGUMENTS, values, strict=True))
        state, attentional_state, _ = solutions.luong_decoder_step(*values)
        scores = state @ arguments["encoder_states"].transpose(0, 2, 1)  # (B, B, S)
        return state, attentional_state, _softmax(scores)

    def reordered(order):
        def step(*values):
            results = solutions.luong_decoder_step(*values)
            return tuple(results[index] for index in order)

        return step

    def attentional_state_as_the_state(*values):
        _, attentional_state, weights = solutions.luong_decoder_step(*values)
        return attentional_state, attentional_state, weights

    def previous_state_returned(*values):
        _, attentional_state, weights = solutions.luong_decoder_step(*values)
        return values[1], attentional_state, weights

    def context_as_the_attentional_state(*values):
        state, _, weights = solutions.luong_decoder_step(*values)
        return state, np.einsum("bs,bsh->bh", weights, values[2]), weights

    def kernels_swapped(*values):
        embedding, previous_state, encoder_states, mask, kernel, recurrent = values[:6]
        return solutions.luong_decoder_step(
            embedding,
            previous_state,
            encoder_states,
            mask,
            recurrent,
            kernel,
            *values[6:],
        )

    def attentional_state_from_the_previous_state(*values):
        state, _, weights = solutions.luong_decoder_step(*values)
        context = np.einsum("bs,bsh->bh", weights, values[2])
        combined = np.concatenate([context, values[1]], axis=-1)
        return state, np.tanh(combined @ values[7]), weights

    def state_written_into_previous_state(*values):
        state, attentional_state, weights = solutions.luong_decoder_step(*values)
        values[1][...] = state
        return values[1], attentional_state, weights

    def state_as_a_list(*values):
        state, attentional_state, weights = solutions.luong_decoder_step(*values)
        return state.tolist(), attentional_state, weights

    def sigmoid(values):
        return 1 / (1 + np.exp(-values))

    assert_check_behaviour(
        exercises.check_luong_decoder_step,
        solutions.luong_decoder_step,
        {
            "attends with the previous state (Bahdanau's timing)": _luong_variant(
                attend_with="previous state"
            ),
            "[h_t; c_t]": _luong_variant(context_first=False),
            "tanh missing in h̃_t": _luong_variant(combine_activation=lambda x: x),
            "h̃_t returned as the state": attentional_state_as_the_state,
            "state and h̃_t swapped": reordered((1, 0, 2)),
            "weights first": reordered((2, 0, 1)),
            "scores against sentence 0's encoder states": _luong_variant(
                scores_of=first_sentence_keys
            ),
            "context of weights @ encoder_states, first slice": _luong_variant(
                context_of=lambda weights, encoder_states: (weights @ encoder_states)[0]
            ),
            "every state against every sentence, (B, B, S)": (
                every_state_against_every_sentence
            ),
            "mask ignored": _luong_variant(use_mask=False),
            "raw scores as weights": _luong_variant(normalise=False),
            "scores scaled by √H": _luong_variant(
                scores_of=lambda state, encoder_states: solutions.dot_score(
                    state, encoder_states
                )
                / np.sqrt(state.shape[-1])
            ),
            "tanh missing in h_t": _luong_variant(rnn_activation=lambda x: x),
            "sigmoid instead of tanh in h_t": _luong_variant(rnn_activation=sigmoid),
            "bias missing": _luong_variant(use_bias=False),
            "kernels swapped": kernels_swapped,
            "previous state returned": previous_state_returned,
            "context returned as h̃_t": context_as_the_attentional_state,
            "h̃_t from [c_t; h_{t-1}]": attentional_state_from_the_previous_state,
            "only state and h̃_t": lambda *values: (
                solutions.luong_decoder_step(*values)[:2]
            ),
            "state written into previous_state": state_written_into_previous_state,
            "state as a list": state_as_a_list,
        },
        expected_hints={
            "attends with the previous state (Bahdanau's timing)": (
                "previous state h_{t-1}"
            ),
            "[h_t; c_t]": "the context first",
            "tanh missing in h̃_t": "h̃_t = tanh",
            "h̃_t returned as the state": "returned h̃_t as the state",
            "state and h̃_t swapped": "swapped",
            "weights first": "in that order",
            "scores against sentence 0's encoder states": "sentence 0's encoder states",
            "context of weights @ encoder_states, first slice": "(B, B, H)",
            "every state against every sentence, (B, B, S)": "(B, B, S)",
            "mask ignored": "mask is ignored",
            "raw scores as weights": "raw scores",
            "scores scaled by √H": "not scaled",
            "tanh missing in h_t": "tanh is missing",
            "bias missing": "bias is missing",
            "kernels swapped": "rnn_kernel (E, H)",
            "previous state returned": "previous_state unchanged",
            "context returned as h̃_t": "that is the context",
            "only state and h̃_t": "three arrays",
            "state written into previous_state": "in place",
            "state as a list": "NumPy array",
        },
    )


def test_luong_decoder_step_accepts_other_right_answers():
    def combine_weights_split(*values):
        state, _, weights = solutions.luong_decoder_step(*values)
        encoder_states, combine_weights = values[2], values[7]
        context = weights @ encoder_states  # (B, B, H): the diagonal is each own.
        context = context[np.arange(len(state)), np.arange(len(state))]
        width = encoder_states.shape[-1]
        hidden = context @ combine_weights[:width] + state @ combine_weights[width:]
        return state, np.tanh(hidden), weights

    assert exercises.check_luong_decoder_step(combine_weights_split).passed


@pytest.mark.parametrize(
    ("check", "solution", "position"),
    [
        (exercises.check_dot_score, solutions.dot_score, 0),
        (exercises.check_general_score, solutions.general_score, 2),
        (exercises.check_concat_score, solutions.concat_score, 1),
        (
            exercises.check_scaled_dot_product_attention,
            solutions.scaled_dot_product_attention,
            0,
        ),
        (
            exercises.check_scaled_dot_product_attention,
            solutions.scaled_dot_product_attention,
            2,
        ),
        (exercises.check_combine_masks, solutions.combine_masks, 0),
        (exercises.check_combine_masks, solutions.combine_masks, 1),
        (exercises.check_luong_decoder_step, solutions.luong_decoder_step, 1),
        (exercises.check_luong_decoder_step, solutions.luong_decoder_step, 3),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_checks_reject_solutions_that_edit_their_inputs(check, solution, position):
    result = check(mutating(solution, position))
    assert result.attempted and not result.passed
    assert "in place" in result.message
