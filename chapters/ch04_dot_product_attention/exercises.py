"""Checks for the exercises of chapter 4: dot-product attention (Luong et al., 2015,
"Effective Approaches to Attention-based Neural Machine Translation"; Vaswani et al.,
2017, "Attention Is All You Need").

The exercises, in the lessons' order: Luong's three scores (dot, general, concat),
scaled dot-product attention, the causal mask, the causal mask combined with the
padding mask, and one step of Luong's decoder. Each check runs a learner's function
(NumPy in, NumPy out) on small cases chosen so that common slips show: every size
different from every other (so that `√d_k`, `√d_v` and `√S` differ, and a missing
transpose fails), several sentences with different padding, a query row with
nothing to attend to, scores near ±1000 in exact arithmetic. The expected answers
come from plain NumPy here and from chapter 3's `numpy_attention` (tested against
Keras); never from the worked solutions in `solutions/ch04_solutions.py`. Where a
wrong answer matches what a known slip gives, the hint names the slip.
"""

import numpy as np

# Chapter 3's helpers serve these checks unchanged: the array test, the call that
# turns a shape error into a hint, and the search for the slip a result matches.
from chapters.ch03_attention.numpy_attention import attend, masked_softmax
from chapters.common.checks import (
    Hint,
    call_named,
    exercise_check,
    expect_array,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_shape,
    first_slip,
)

# Float32 inputs, so a learner's float32 arithmetic must pass.
_ATOL = 1e-5


def _float64(*arrays):
    return tuple(np.asarray(array, "float64") for array in arrays)


def _dot_scores(query, keys):
    """`score(h_t, h̄_s) = h_t · h̄_s`: `(B, D)` against `(B, S, D)` gives `(B, S)`."""
    query, keys = _float64(query, keys)
    return np.einsum("bd,bsd->bs", query, keys)


def _general_scores(query, keys, key_weights):
    """`h_t · (h̄_s W_a)`, with `W_a` of shape `(D', D)` on the keys' right."""
    query, keys, key_weights = _float64(query, keys, key_weights)
    return _dot_scores(query, keys @ key_weights)


def _concat_hidden(query, keys, concat_weights):
    """`[h_t; h̄_s] @ W_a` before the tanh: `(B, S, A)`."""
    query, keys, concat_weights = _float64(query, keys, concat_weights)
    # The query's rows of W_a act once per sentence; the keys' rows per token.
    query_dim = query.shape[-1]
    from_query = query @ concat_weights[:query_dim]  # (B, A)
    return from_query[:, None, :] + keys @ concat_weights[query_dim:]  # (B, S, A)


def _concat_scores(query, keys, concat_weights, score_vector):
    """`v_a · tanh([h_t; h̄_s] @ W_a)`: `(B, S)`."""
    hidden = _concat_hidden(query, keys, concat_weights)
    return np.tanh(hidden) @ np.asarray(score_vector, "float64")


def _first_query_for_all(query):
    """The query of sentence 0 in every row: what an index slip gives."""
    return np.broadcast_to(query[:1], query.shape)


def _common_score_slips(expected, scaled_by: float | None, first_query_scores) -> dict:
    """Slips that all three scores share, keyed by the hint for each."""
    slips = {
        "every sentence got the scores of sentence 0's query: each sentence has "
        "its own decoder state, query[b].": first_query_scores,
        "those are attention weights (each row sums to 1): return the raw scores; "
        "the softmax comes later.": masked_softmax(expected),
    }
    if scaled_by is not None:
        slips[
            f"the scores are divided by √D = {scaled_by:.4g}. Luong's scores are "
            "not scaled; the scaling is Vaswani's, in scaled dot-product attention."
        ] = expected / scaled_by
    return slips


def _expect_scores(result, expected, slips: dict, summed: tuple, what: str) -> None:
    """Raise `Hint` unless `result` is the `(B, S)` array `expected`. `summed` is
    the name and size of the axis the score sums over (`("D", 4)`): a result of
    shape `(B, size)` was summed over the source axis instead."""
    expect_array(result, what)
    batch, source_length = expected.shape
    shape = np.shape(result)
    if shape in ((batch, batch, source_length), (batch, source_length, batch)):
        raise Hint(
            f"{what} has shape {shape}: every sentence's query met every sentence's "
            "keys. Score each query against its own sentence's keys only: "
            "(keys * query[:, None, :]).sum(-1), or np.einsum('bd,bsd->bs', ...)."
        )
    name, size = summed
    if shape == (batch, size) != expected.shape:
        raise Hint(
            f"{what} has shape (B, {name}) = {shape}: you summed over the source "
            f"axis S. The sum runs over {name} (the last axis): one score per source "
            "token, (B, S)."
        )
    expect_shape(result, expected.shape, what)
    result = np.asarray(result, "float64")
    if not np.allclose(result, expected, atol=_ATOL):
        first_slip(result, slips, what)
    expect_close(result, expected, what, atol=_ATOL)


@exercise_check("Luong's dot score")
def check_dot_score(dot_score):
    """`dot_score(query (B, D), keys (B, S, D)) -> scores (B, S)`,
    `score(h_t, h̄_s) = h_t · h̄_s`: the query is the decoder state `h_t`, the keys
    are the encoder states `h̄_s`."""
    rng = np.random.default_rng(41)
    # B, S and D all different; then D = S, where query @ keys runs.
    for batch, source_length, width in ((3, 5, 4), (2, 4, 4)):
        arguments = {
            "query": rng.normal(size=(batch, width)).astype("float32"),
            "keys": rng.normal(size=(batch, source_length, width)).astype("float32"),
        }
        what = f"dot_score with B={batch}, S={source_length}, D={width}"
        result = call_named(
            dot_score,
            arguments,
            "query (B, D) needs a source axis, query[:, None, :] (B, 1, D), to "
            "multiply every key (B, S, D); then sum over D.",
        )
        expected = _dot_scores(**arguments)
        slips = _common_score_slips(
            expected,
            np.sqrt(width),
            _dot_scores(_first_query_for_all(arguments["query"]), arguments["keys"]),
        )
        _expect_scores(result, expected, slips, ("D", width), what)


@exercise_check("Luong's general score")
def check_general_score(general_score):
    """`general_score(query (B, D), keys (B, S, D'), key_weights (D', D)) -> scores
    (B, S)`, `score(h_t, h̄_s) = h_t · (W_a h̄_s)`: with row vectors `W_a` acts from
    the right, `keys @ key_weights` `(B, S, D)`, then a dot product with the query."""
    rng = np.random.default_rng(43)
    # First D = D' with a W_a that is not symmetric, where W_a on the query (that
    # is, W_a transposed) runs and gives other scores; then D != D'.
    for batch, source_length, query_dim, key_dim in ((3, 5, 4, 4), (2, 4, 3, 6)):
        arguments = {
            "query": rng.normal(size=(batch, query_dim)),
            "keys": rng.normal(size=(batch, source_length, key_dim)),
            "key_weights": rng.normal(size=(key_dim, query_dim)),
        }
        arguments = {name: value.astype("float32") for name, value in arguments.items()}
        what = (
            f"general_score with B={batch}, S={source_length}, D={query_dim}, "
            f"D'={key_dim}"
        )
        result = call_named(
            general_score,
            arguments,
            "key_weights (D', D) multiplies the keys: keys @ key_weights is "
            "(B, S, D), as wide as the query; then a dot product with "
            "query[:, None, :] (B, 1, D), summed over D.",
        )
        query, keys, key_weights = _float64(*arguments.values())
        expected = _general_scores(query, keys, key_weights)
        slips = _common_score_slips(
            expected,
            np.sqrt(query_dim),
            _general_scores(_first_query_for_all(query), keys, key_weights),
        )
        if query_dim == key_dim:
            slips[
                "W_a multiplies the keys, keys @ key_weights (B, S, D). Applied to "
                "the query (query @ key_weights, or keys @ key_weights.T) it is W_a "
                "transposed, which gives other scores unless W_a is symmetric."
            ] = _dot_scores(query @ key_weights, keys)
            slips[
                "key_weights is unused: that is the dot score. The general score "
                "puts W_a between them: h_t · (h̄_s W_a)."
            ] = _dot_scores(query, keys)
        _expect_scores(result, expected, slips, ("D", query_dim), what)


@exercise_check("Luong's concat score")
def check_concat_score(concat_score):
    """`concat_score(query (B, D), keys (B, S, D'), concat_weights (D + D', A),
    score_vector (A,)) -> scores (B, S)`, `score(h_t, h̄_s) = v_a · tanh([h_t; h̄_s]
    @ W_a)`: the query first in the concatenation, so the first D rows of W_a
    multiply the query and the last D' the key."""
    rng = np.random.default_rng(47)
    # D != D' first, then D = D'; B, S and A differ from each other throughout.
    for batch, source_length, query_dim, key_dim, attention_dim in (
        (3, 5, 2, 4, 6),
        (2, 4, 3, 3, 7),
    ):
        arguments = {
            "query": rng.normal(size=(batch, query_dim)),
            "keys": rng.normal(size=(batch, source_length, key_dim)),
            "concat_weights": 0.7
            * rng.normal(size=(query_dim + key_dim, attention_dim)),
            "score_vector": rng.normal(size=(attention_dim,)),
        }
        arguments = {name: value.astype("float32") for name, value in arguments.items()}
        what = (
            f"concat_score with B={batch}, S={source_length}, D={query_dim}, "
            f"D'={key_dim}, A={attention_dim}"
        )
        result = call_named(
            concat_score,
            arguments,
            "repeat the query for every source token, np.broadcast_to(query[:, None, "
            ":], (B, S, D)), and concatenate it before the keys on the last axis, "
            "(B, S, D + D'); concat_weights (D + D', A) then gives (B, S, A).",
        )
        query, keys, concat_weights, score_vector = _float64(*arguments.values())
        expected = _concat_scores(query, keys, concat_weights, score_vector)
        hidden = _concat_hidden(query, keys, concat_weights)
        # [h̄_s; h_t] @ W_a: the keys meet W_a's first D' rows, the query its last D.
        swapped = np.concatenate(
            [keys, np.broadcast_to(query[:, None, :], (*keys.shape[:2], query_dim))],
            axis=-1,
        )
        slips = {
            "the halves are swapped: [h_t; h̄_s] puts the query first, so the first "
            "D rows of concat_weights multiply the query and the last D' the "
            "key.": np.tanh(swapped @ concat_weights) @ score_vector,
            "tanh is missing: v_a · tanh([h_t; h̄_s] @ W_a); without it the score "
            "is linear in h_t and h̄_s.": hidden @ score_vector,
            "v_a comes after tanh: tanh([h_t; h̄_s] @ W_a) @ v_a, not "
            "tanh(([h_t; h̄_s] @ W_a) @ v_a).": np.tanh(hidden @ score_vector),
            "the sum over A must be weighted by score_vector: tanh(...) @ v_a, not "
            "tanh(...).sum(-1).": np.tanh(hidden).sum(-1),
            **_common_score_slips(
                expected,
                None,
                _concat_scores(
                    _first_query_for_all(query), keys, concat_weights, score_vector
                ),
            ),
        }
        _expect_scores(result, expected, slips, ("A", attention_dim), what)


def _scaled_attention(query, key, value, mask=None, scale=None):
    """`softmax(Q K^T / scale) V` with chapter 3's masked softmax, `scale = √d_k`
    unless given: `(output (B, T, d_v), weights (B, T, S))`."""
    query, key, value = _float64(query, key, value)
    scale = np.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ np.swapaxes(key, -1, -2) / scale  # (B, T, S)
    weights = masked_softmax(scores, mask)
    return attend(weights, value), weights


def _attention_slips(query, key, value, mask) -> dict:
    """The weights `(B, T, S)` that common slips give, keyed by the hint for each."""
    query, key, value = _float64(query, key, value)
    key_dim, value_dim = query.shape[-1], value.shape[-1]
    target_length, source_length = query.shape[1], key.shape[1]
    root = f"√d_k = √{key_dim} ≈ {np.sqrt(key_dim):.3g}"

    def weights(scale=None, weights_mask=mask):
        return _scaled_attention(query, key, value, weights_mask, scale)[1]

    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(key_dim)  # (B, T, S)
    wrong_widths = {
        "√d_v": value_dim,
        "√S": source_length,
        "√T": target_length,
    }
    slips = {
        f"the scores are not scaled: divide Q K^T by {root} before the softmax.": (
            weights(1.0)
        ),
        f"the scores are divided by d_k = {key_dim}, not by {root}. A dot product "
        "of d_k terms of variance 1 has variance d_k, so dividing by √d_k brings "
        "its spread back to 1; dividing by d_k flattens every softmax.": weights(
            float(key_dim)
        ),
        **{
            f"the scores are divided by {name} = √{size}; the scale is {root}, from "
            "the width the dot product sums over (query.shape[-1]).": weights(
                np.sqrt(size)
            )
            for name, size in wrong_widths.items()
            if size != key_dim
        },
        "those weights are the scaled scores Q K^T / √d_k: apply the masked softmax "
        "to them.": scores,
        f"the weights are divided by √d_k after the softmax, so each row sums to "
        f"1/√d_k ≈ {1 / np.sqrt(key_dim):.3g}. Divide the scores by {root} before "
        "the softmax.": weights(1.0) / np.sqrt(key_dim),
    }
    if mask is None:
        return slips
    return {
        **slips,
        "the mask is ignored: a position where the mask is False must get exactly "
        "0.": weights(weights_mask=None),
        "the mask is inverted: True marks a position that may be attended to, "
        "False one to hide.": weights(weights_mask=~mask),
        "multiplying a score by the mask makes it 0, not -inf, and exp(0) = 1 still "
        "counts. Set the hidden scores to -inf (np.where(mask, scores, -np.inf)) "
        "or a large negative number before the softmax.": masked_softmax(scores * mask),
        "the mask was applied after the softmax without renormalising: each row "
        "must sum to 1 over the keys it may attend to. Hide the scores before the "
        "softmax.": masked_softmax(scores) * mask,
        "the softmax runs over the query axis (axis -2), so each column sums to 1; "
        "take it over the keys, axis -1.": np.swapaxes(
            masked_softmax(np.swapaxes(scores, -1, -2), np.swapaxes(mask, -1, -2)),
            -1,
            -2,
        ),
    }


def _expect_softmax_rows(weights, mask, what: str) -> None:
    """Raise `Hint` where `weights` is not a masked softmax over the last axis: a
    hidden position with weight, a row with nothing to attend to that is not all
    zeros, a row that does not sum to 1."""
    allowed = np.ones(weights.shape, bool) if mask is None else mask
    live_rows = allowed.any(axis=-1)  # (B, T)
    at_hidden = (weights != 0) & ~allowed & live_rows[..., None]
    if at_hidden.any():
        index = tuple(int(i) for i in np.argwhere(at_hidden)[0])
        raise Hint(
            f"{what}: the mask is False at {index} but that position gets weight "
            f"{weights[index]:.3g}; a hidden position must get exactly 0."
        )
    if (weights[~live_rows] != 0).any():
        row = tuple(int(i) for i in np.argwhere(~live_rows)[0])
        raise Hint(
            f"{what}: query {row} may attend to nothing (its mask row is all False) "
            f"and its weights sum to {weights[row].sum():.3g}. Return zeros for such "
            "a row, and so a zero output, as chapter 3's masked softmax does: e.g. "
            "multiply the weights by the mask at the end."
        )
    sums = weights.sum(axis=-1)  # (B, T)
    wrong_rows = live_rows & ~np.isclose(sums, 1.0, atol=_ATOL)
    if not wrong_rows.any():
        return
    zero_rows = wrong_rows & (sums == 0)
    if zero_rows.any():
        row = tuple(int(i) for i in np.argwhere(zero_rows)[0])
        raise Hint(
            f"{what}: query {row} may attend to some keys but all its weights are "
            "0: every exp underflowed, as it does when a larger max (another row's, "
            "or the whole batch's) is subtracted. Subtract each row's own max over "
            "the keys it may attend to."
        )
    live_keys = allowed.any(axis=0)  # (T, S)
    if np.allclose(weights.sum(axis=0)[live_keys], 1.0, atol=_ATOL):
        raise Hint(
            f"{what}: the weights sum to 1 over the batch axis (axis 0), across "
            "sentences. Take the softmax over the keys, axis -1."
        )
    if np.isclose(weights.sum(), 1.0, atol=_ATOL) or np.allclose(
        weights.sum(axis=(-2, -1)), 1.0, atol=_ATOL
    ):
        raise Hint(
            f"{what}: the weights of a whole sentence (or of the whole batch) sum to "
            "1. Take the softmax over each row, axis -1 with keepdims=True."
        )
    row = tuple(int(i) for i in np.argwhere(wrong_rows)[0])
    raise Hint(
        f"{what}: the weights of each query should sum to 1 over the keys it may "
        f"attend to; query {row} sums to {sums[row]:.3g}. Did you apply the mask "
        "after the softmax without renormalising?"
    )


def _check_attention_case(attention, arguments: dict, what: str) -> None:
    query, key, value = (arguments[name] for name in ("query", "key", "value"))
    mask = arguments["mask"]
    batch, target_length, key_dim = query.shape
    source_length, value_dim = key.shape[1], value.shape[-1]
    try:
        result = call_named(
            attention,
            arguments,
            "the scores are query @ key.transpose(0, 2, 1), (B, T, d_k) @ (B, d_k, "
            "S) = (B, T, S) (key.T reverses every axis, the batch axis too); the "
            "output is weights (B, T, S) @ value (B, S, d_v).",
        )
    except TypeError as error:
        if mask is not None:
            raise
        raise Hint(
            f"{what}: your code raised TypeError ({error}). mask=None means no mask: "
            "every query may attend to every key. Check `if mask is None` first, "
            "e.g. mask = np.ones(scores.shape, dtype=bool)."
        ) from error
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise Hint(f"{what}: return two arrays, (output, weights).")
    for value_returned, name in zip(result, ("output", "weights"), strict=True):
        expect_array(value_returned, f"the {name} returned by {what}")
    output_shape, weights_shape = (np.shape(value) for value in result)
    expected_shapes = [
        (batch, target_length, value_dim),
        (batch, target_length, source_length),
    ]
    if [output_shape, weights_shape] == expected_shapes[::-1]:
        raise Hint(
            f"{what} returned arrays of shapes {[output_shape, weights_shape]}: "
            "return (output (B, T, d_v), weights (B, T, S)), in that order."
        )
    if weights_shape == (batch, source_length, target_length):
        raise Hint(
            f"the weights returned by {what} have shape (B, S, T) = {weights_shape}: "
            "that is K Q^T. Queries go on the rows: query @ key.transpose(0, 2, 1), "
            "(B, T, S)."
        )
    if output_shape == (batch, target_length, key_dim) != expected_shapes[0]:
        raise Hint(
            f"the output returned by {what} has shape (B, T, d_k) = {output_shape}: "
            "the weights multiply value (B, S, d_v), not key."
        )
    expect_shape(output_shape, expected_shapes[0], f"the output returned by {what}")
    expect_shape(weights_shape, expected_shapes[1], f"the weights returned by {what}")
    output, weights = (np.asarray(value, "float64") for value in result)
    expected_output, expected_weights = _scaled_attention(query, key, value, mask)
    if mask is None and (np.isnan(weights).all() or (weights == 0).all()):
        raise Hint(
            f"{what}: with mask=None every weight is 0 or NaN, as if every key were "
            "hidden (np.where(None, ...) takes None as False). mask=None means no "
            "mask: every query may attend to every key."
        )
    nan_rows = np.isnan(weights).any(axis=-1)  # (B, T)
    if nan_rows.any():
        row = tuple(int(i) for i in np.argwhere(nan_rows)[0])
        if mask is not None and not mask[row].any():
            raise Hint(
                f"{what}: query {row} may attend to nothing (its mask row is all "
                "False) and its weights are NaN (0 / 0). Return zeros for such a "
                "row: divide only where the sum is positive, or use chapter 3's "
                "masked softmax."
            )
        raise Hint(
            f"{what}: the weights of query {row} contain NaN. exp(1000) overflows, "
            "and exp(-1000) underflows to 0 at every position (then 0 / 0): subtract "
            "each row's own max over the keys it may attend to before exp (the "
            "softmax does not change)."
        )
    if not np.allclose(weights, expected_weights, atol=_ATOL):
        first_slip(weights, _attention_slips(query, key, value, mask), what)
        _expect_softmax_rows(weights, mask, f"the weights returned by {what}")
    expect_close(weights, expected_weights, f"the weights of {what}", atol=_ATOL)
    expect_close(
        output, expected_output, f"the output (weights @ value) of {what}", atol=_ATOL
    )


def _attention_arguments(rng, batch, target_length, source_length, key_dim, value_dim):
    return {
        "query": rng.normal(size=(batch, target_length, key_dim)).astype("float32"),
        "key": rng.normal(size=(batch, source_length, key_dim)).astype("float32"),
        "value": rng.normal(size=(batch, source_length, value_dim)).astype("float32"),
    }


@exercise_check("scaled dot-product attention")
def check_scaled_dot_product_attention(scaled_dot_product_attention):
    """`scaled_dot_product_attention(query (B, T, d_k), key (B, S, d_k), value (B, S,
    d_v), mask=None) -> (output (B, T, d_v), weights (B, T, S))`, `weights =
    softmax(Q K^T / √d_k)` over the keys (axis -1) and `output = weights @ value`.
    `mask` is bool `(B, T, S)`, True where query t may attend to key s, or None for
    no mask. A hidden position gets weight exactly 0; a query whose mask row is all
    False gets all-zero weights and a zero output; scores near ±1000 must not give
    NaN."""
    rng = np.random.default_rng(53)
    # B, T, S, d_k and d_v all differ: √d_k, √d_v, √S and √T are four scales, and
    # query @ key without the transpose cannot run.
    sizes = {
        "batch": 2,
        "target_length": 3,
        "source_length": 4,
        "key_dim": 5,
        "value_dim": 6,
    }
    # Query t may see keys s <= t + 1, and sentence 1 has 3 real tokens of 4.
    positions = np.arange(4)
    mask = (positions <= np.arange(3)[:, None] + 1) & (
        positions < np.array([4, 3])[:, None, None]
    )  # (B, T, S)
    _check_attention_case(
        scaled_dot_product_attention,
        {**_attention_arguments(rng, **sizes), "mask": mask},
        "scaled_dot_product_attention with B=2, T=3, S=4, d_k=5, d_v=6 and a mask",
    )
    _check_attention_case(
        scaled_dot_product_attention,
        {**_attention_arguments(rng, **sizes), "mask": None},
        "scaled_dot_product_attention with mask=None",
    )
    # Scores near +1000 in one row and -1000 in the next, in exact float32 arithmetic
    # (small integers, √d_k = 2): the first feature of every key is 1, so the first
    # feature of a query shifts its whole row.
    large = {
        "query": np.array(
            [
                [[2000, 2, 0, -2], [-2000, 0, 4, 2]],
                [[1996, -2, 2, 0], [-1990, 4, -2, 2]],
            ],
            "float32",
        ),
        "key": np.array(
            [
                [[1, 1, 0, 0], [1, 0, 1, 1], [1, -1, 0, 1]],
                [[1, 0, 1, 0], [1, 1, 1, -1], [1, 0, -1, 1]],
            ],
            "float32",
        ),
        "value": np.array(
            [[[1, 0], [0, 2], [3, -1]], [[-1, 1], [2, 0], [0, 3]]], "float32"
        ),
        "mask": np.array(
            [
                [[False, True, True], [True, True, True]],
                [[True, True, True], [True, True, False]],
            ]
        ),
    }
    _check_attention_case(
        scaled_dot_product_attention,
        large,
        "scaled_dot_product_attention on scores near ±1000",
    )
    empty_row = mask.copy()
    empty_row[1, 0] = False
    _check_attention_case(
        scaled_dot_product_attention,
        {**_attention_arguments(rng, **sizes), "mask": empty_row},
        "scaled_dot_product_attention where query (1, 0) may attend to nothing",
    )


def _expect_mask(result, expected, slips: dict, what: str) -> None:
    """Raise `Hint` unless `result` is the bool mask `expected`; a result that
    equals a slip's mask (as True/False, whatever its dtype) gets that slip's hint."""
    expect_array(result, what)
    expect_shape(result, expected.shape, what)
    values = np.asarray(result)
    if values.dtype.kind == "f" and (values < -1e8).any():
        raise Hint(
            f"{what} holds -inf (or a large negative number) where a position is "
            "hidden: that is an additive mask, to add to the scores. The course's "
            "masks are boolean, True where a position may be attended to; the "
            "attention turns False into -inf inside its softmax."
        )
    pattern = values if values.dtype == bool else values != 0
    right_pattern = np.array_equal(pattern, expected)
    for hint, slipped in slips.items():
        # A small case may make a slip's mask the right one (at length 1 the
        # upper triangle is the lower).
        if not right_pattern and np.array_equal(pattern, slipped):
            raise Hint(f"{what}: {hint}")
    if values.dtype != bool and right_pattern:
        raise Hint(
            f"{what} has the right pattern, as {values.dtype} 0s and 1s: return "
            "booleans (True = may attend), e.g. with .astype(bool) or from a "
            "comparison. The course's masks are bool: they combine with & and pick "
            "with np.where, where 0.0 & 1.0 raises a TypeError."
        )
    expect_dtype(values, "bool", what)
    expect_equal(values, expected, what)


@exercise_check("the causal mask")
def check_causal_mask(causal_mask):
    """`causal_mask(length) -> mask (T, T)` bool, with T = length: `mask[t, s]` is
    True where key position s <= query position t, the diagonal included. Query t
    sees itself and the past, never the future."""
    for length in (5, 1):
        what = f"causal_mask({length})"
        result = call_named(
            causal_mask,
            {"length": length},
            "np.arange(length) gives the positions: compare a column of query "
            "positions, [:, None], with a row of key positions, [None, :].",
        )
        expect_array(result, what)
        if np.shape(result) == (1, length, length):
            raise Hint(
                f"{what} has shape (1, T, T) = {np.shape(result)}: return (T, T). "
                "The batch axis comes in where the causal mask meets the padding "
                "mask (the next exercise)."
            )
        positions = np.arange(length)
        query_positions = positions[:, None]  # (T, 1)
        expected = positions[None, :] <= query_positions  # (T, T)
        slips = {
            "that is the upper triangle. Row t is query position t, and it may see "
            "the key positions s <= t, left of the diagonal: the lower triangle "
            "(np.tril). Yours lets each query see the future.": expected.T,
            "the diagonal is missing: a query may attend to its own position, "
            "s = t.": positions[None, :] < query_positions,
            "one position too many: query t also sees key t + 1, the very token it "
            "is to predict. Keep s <= t.": positions[None, :] <= query_positions + 1,
            "True and False are swapped: True marks a position that may be "
            "attended to (the past and the present), False one to hide (the "
            "future).": ~expected,
            "every position is True: the future (s > t) must be hidden.": np.ones(
                (length, length), bool
            ),
        }
        _expect_mask(result, expected, slips, what)


@exercise_check("combining the padding and causal masks")
def check_combine_masks(combine_masks):
    """`combine_masks(padding_mask (B, S), causal (T, S)) -> mask (B, T, S)`, all
    bool: `mask[b, t, s] = padding_mask[b, s] and causal[t, s]`. padding_mask is
    True at the real tokens of each sentence's keys; causal is True where query t
    may see key s (a causal mask is square, T = S; any (T, S) mask combines the
    same way)."""
    cases = {
        "B=3, T=S=5, sentences of 5, 3 and 1 tokens": (
            np.arange(5) < np.array([5, 3, 1])[:, None],
            np.tri(5, dtype=bool),
        ),
        # T != S: a padding mask on the wrong axis, or without a query axis, cannot
        # run; the queries are key positions 2, 3 and 4.
        "B=2, T=3, S=5, queries at key positions 2 to 4, sentences of 4 and 2 tokens": (
            np.arange(5) < np.array([4, 2])[:, None],
            np.tri(3, 5, k=2, dtype=bool),
        ),
    }
    for case, (padding_mask, causal) in cases.items():
        what = f"combine_masks with {case}"
        result = call_named(
            combine_masks,
            {"padding_mask": padding_mask, "causal": causal},
            "padding_mask (B, S) marks keys: give it a query axis, "
            "padding_mask[:, None, :] (B, 1, S), to line up with causal (T, S) "
            "into (B, T, S).",
        )
        expect_array(result, what)
        batch, source_length = padding_mask.shape
        target_length = causal.shape[0]
        expected = np.array(
            [
                [
                    [
                        bool(padding_mask[b, s] and causal[t, s])
                        for s in range(source_length)
                    ]
                    for t in range(target_length)
                ]
                for b in range(batch)
            ]
        )
        shape = np.shape(result)
        if shape == causal.shape:
            raise Hint(
                f"{what} has the causal mask's shape (T, S) = {shape}: the padding "
                "differs from sentence to sentence, so the result has a batch axis, "
                "(B, T, S)."
            )
        if shape == padding_mask.shape:
            raise Hint(
                f"{what} has the padding mask's shape (B, S) = {shape}: each query "
                "t has its own row of keys it may see, so the result is (B, T, S)."
            )
        padding_keys = padding_mask[:, None, :]  # (B, 1, S)
        slips = {
            "a position may be attended to only when both masks allow it: & "
            "(np.logical_and), not | (OR).": padding_keys | causal,
            "the causal mask is ignored: query t must not see keys s > t.": (
                np.broadcast_to(padding_keys, expected.shape)
            ),
            "the padding mask is ignored: no query may attend to a padding key.": (
                np.broadcast_to(causal, expected.shape)
            ),
        }
        if target_length == source_length:
            slips.update(
                {
                    # With right padding, hiding the padding queries' rows alone
                    # or with the padding keys' columns gives the same mask.
                    "padding_mask hides the rows of padding queries, "
                    "padding_mask[:, :, None]. It is the keys' mask: it hides "
                    "columns, padding_mask[:, None, :] (B, 1, S).": (
                        padding_mask[:, :, None] & causal
                    ),
                    "the last two axes are swapped: axis 1 is the query t, axis 2 "
                    "the key s.": expected.transpose(0, 2, 1),
                    "causal is transposed: causal[t, s] is True where query t may "
                    "see key s; use it as given.": padding_keys & causal.T,
                }
            )
        _expect_mask(result, expected, slips, what)


# The SimpleRNN's arguments of the decoder step, in the order of its formula.
_RNN_ARGUMENTS = (
    "embedding",
    "previous_state",
    "rnn_kernel",
    "rnn_recurrent_kernel",
    "rnn_bias",
)


def _luong_state(arguments: dict, activation=np.tanh, use_bias=True):
    """`h_t = tanh(x_t @ W + h_{t-1} @ U + b)`: the SimpleRNN step, `(B, H)`."""
    embedding, previous_state, kernel, recurrent_kernel, bias = _float64(
        *(arguments[name] for name in _RNN_ARGUMENTS)
    )
    bias = bias if use_bias else 0.0
    return activation(embedding @ kernel + previous_state @ recurrent_kernel + bias)


def _luong_attend(state, arguments: dict, use_mask=True):
    """`(context c_t (B, H), weights α_t (B, S))` of a state by the dot score."""
    (encoder_states,) = _float64(arguments["encoder_states"])
    scores = _dot_scores(state, encoder_states)  # (B, S)
    weights = masked_softmax(scores, arguments["mask"] if use_mask else None)
    return attend(weights[:, None, :], encoder_states)[:, 0, :], weights


def _attentional_state(context, state, combine_weights, activation=np.tanh):
    """`h̃_t = tanh([c_t; h_t] @ W_c)`: `(B, H)`."""
    combined = np.concatenate([context, state], axis=-1)  # (B, D + H)
    return activation(combined @ np.asarray(combine_weights, "float64"))


def _state_slips(arguments: dict) -> dict:
    """The state `h_t` that common slips give, keyed by the hint for each."""
    return {
        "tanh is missing: h_t = tanh(x_t @ W + h_{t-1} @ U + b).": _luong_state(
            arguments, activation=lambda values: values
        ),
        "the bias is missing: h_t = tanh(x_t @ W + h_{t-1} @ U + b).": _luong_state(
            arguments, use_bias=False
        ),
        "that is previous_state unchanged: return the new state h_t of the RNN "
        "step.": arguments["previous_state"],
    }


def _weights_slips(arguments: dict, state) -> dict:
    """The weights `α_t` that common slips give from the right state `h_t`."""
    encoder_states = np.asarray(arguments["encoder_states"], "float64")
    scores = _dot_scores(state, encoder_states)  # (B, S)
    hidden_units = state.shape[-1]
    first_sentence = np.broadcast_to(encoder_states[:1], encoder_states.shape)
    return {
        "the weights come from the previous state h_{t-1}, as in Bahdanau's "
        "decoder (chapter 3). Luong's decoder attends after the RNN step, with the "
        "current state h_t.": _luong_attend(arguments["previous_state"], arguments)[1],
        "the mask is ignored: padding tokens must get weight 0.": _luong_attend(
            state, arguments, use_mask=False
        )[1],
        "those weights are the raw scores h_t · h̄_s: apply the masked softmax to "
        "them.": scores,
        f"the scores are divided by √H = {np.sqrt(hidden_units):.3g}. Luong's dot "
        "score is not scaled.": masked_softmax(
            scores / np.sqrt(hidden_units), arguments["mask"]
        ),
        "every state was scored against sentence 0's encoder states: score each "
        "sentence's state against its own, e.g. np.einsum('bh,bsh->bs', state, "
        "encoder_states).": _luong_attend(
            state, {**arguments, "encoder_states": first_sentence}
        )[1],
    }


def _attentional_slips(arguments: dict, state, context, weights) -> dict:
    """The attentional state `h̃_t` that common slips give from the right `h_t`,
    `c_t` and `α_t`."""
    combine_weights = arguments["combine_weights"]
    encoder_states = np.asarray(arguments["encoder_states"], "float64")
    # weights @ encoder_states is (B, B, H); its first slice gives every sentence
    # a context made of sentence 0's encoder states.
    first_sentence_context = (weights @ encoder_states)[0]
    return {
        "the concatenation is [h_t; c_t]; Luong's is tanh(W_c [c_t; h_t]), the "
        "context first: combine_weights' first D rows multiply c_t, its last H rows "
        "h_t.": np.tanh(np.concatenate([state, context], axis=-1) @ combine_weights),
        "tanh is missing: h̃_t = tanh([c_t; h_t] @ W_c).": _attentional_state(
            context, state, combine_weights, activation=lambda values: values
        ),
        "that is the context c_t: return h̃_t = tanh([c_t; h_t] @ W_c).": context,
        "weights @ encoder_states is (B, B, H), every sentence's weights over every "
        "sentence's states: take each sentence's own, np.einsum('bs,bsh->bh', "
        "weights, encoder_states).": _attentional_state(
            first_sentence_context, state, combine_weights
        ),
    }


@exercise_check("one step of Luong's decoder")
def check_luong_decoder_step(luong_decoder_step):
    """`luong_decoder_step(embedding (B, E), previous_state (B, H), encoder_states
    (B, S, D), mask (B, S), rnn_kernel (E, H), rnn_recurrent_kernel (H, H),
    rnn_bias (H,), combine_weights (D + H, H)) -> (state (B, H), attentional_state
    (B, H), weights (B, S))`, with D = H for the dot score:

    1. `h_t = tanh(x_t @ rnn_kernel + h_{t-1} @ rnn_recurrent_kernel + rnn_bias)`;
    2. `α_t = masked_softmax(h_t · h̄_s)`, with the current state h_t;
    3. `c_t = Σ_s α_ts h̄_s`;
    4. `h̃_t = tanh([c_t; h_t] @ combine_weights)`, the context first.

    No input feeding: h̃_t goes to the output layer, and h_t is the state the next
    step's RNN continues from."""
    rng = np.random.default_rng(59)
    # E != H, so that the two kernels cannot be swapped silently; B, S, H differ.
    batch, embedding_dim, hidden_units, source_length = 3, 2, 4, 5
    arguments = {
        "embedding": rng.normal(size=(batch, embedding_dim)),
        "previous_state": rng.uniform(-1, 1, size=(batch, hidden_units)),
        "encoder_states": rng.uniform(-1, 1, size=(batch, source_length, hidden_units)),
        "mask": np.arange(source_length) < np.array([[5], [2], [4]]),
        "rnn_kernel": rng.normal(size=(embedding_dim, hidden_units)),
        "rnn_recurrent_kernel": rng.normal(size=(hidden_units, hidden_units)),
        "rnn_bias": rng.normal(size=(hidden_units,)),
        "combine_weights": rng.normal(size=(2 * hidden_units, hidden_units)),
    }
    arguments = {
        name: value if value.dtype == bool else value.astype("float32")
        for name, value in arguments.items()
    }
    what = (
        f"luong_decoder_step with B={batch}, E={embedding_dim}, H=D={hidden_units}, "
        f"S={source_length}"
    )
    result = call_named(
        luong_decoder_step,
        arguments,
        "rnn_kernel (E, H) multiplies the embedding x_t, rnn_recurrent_kernel "
        "(H, H) the previous state h_{t-1}; combine_weights (D + H, H) multiplies "
        "[c_t; h_t], (B, D + H).",
    )
    names = ("state", "attentional_state", "weights")
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise Hint(f"{what}: return three arrays, (state, attentional_state, weights).")
    for value, name in zip(result, names, strict=True):
        expect_array(value, f"the {name} returned by {what}")
    shapes = [np.shape(value) for value in result]
    expected_shapes = [
        (batch, hidden_units),
        (batch, hidden_units),
        (batch, source_length),
    ]
    if shapes != expected_shapes and sorted(shapes) == sorted(expected_shapes):
        raise Hint(
            f"{what} returned arrays of shapes {shapes}: return (state (B, H), "
            "attentional_state (B, H), weights (B, S)), in that order."
        )
    if shapes[2] == (batch, batch, source_length):
        raise Hint(
            f"the weights returned by {what} have shape (B, B, S): every state met "
            "every sentence's encoder states. Score each state against its own "
            "sentence: np.einsum('bh,bsh->bs', state, encoder_states)."
        )
    for value, shape, name in zip(result, expected_shapes, names, strict=True):
        expect_shape(value, shape, f"the {name} returned by {what}")
    state, attentional_state, weights = (
        np.asarray(value, "float64") for value in result
    )
    expected_state = _luong_state(arguments)
    expected_context, expected_weights = _luong_attend(expected_state, arguments)
    expected_attentional = _attentional_state(
        expected_context, expected_state, arguments["combine_weights"]
    )
    if not np.allclose(state, expected_state, atol=_ATOL):
        if np.allclose(state, expected_attentional, atol=_ATOL):
            if np.allclose(attentional_state, expected_state, atol=_ATOL):
                raise Hint(
                    f"{what}: the state and the attentional state are swapped; "
                    "return (state h_t, attentional_state h̃_t, weights), in that "
                    "order."
                )
            raise Hint(
                f"{what} returned h̃_t as the state. Without input feeding h̃_t goes "
                "only to the output layer; the state the next step's RNN continues "
                "from is h_t, the RNN's own."
            )
        first_slip(state, _state_slips(arguments), f"the state returned by {what}")
    expect_close(state, expected_state, f"the state h_t of {what}", atol=_ATOL)
    if not np.allclose(weights, expected_weights, atol=_ATOL):
        slips = _weights_slips(arguments, expected_state)
        first_slip(weights, slips, f"the weights returned by {what}")
    expect_close(weights, expected_weights, f"the weights α_t of {what}", atol=_ATOL)
    if not np.allclose(attentional_state, expected_attentional, atol=_ATOL):
        slips = _attentional_slips(
            arguments, expected_state, expected_context, expected_weights
        )
        first_slip(attentional_state, slips, f"the attentional state of {what}")
    expect_close(
        attentional_state,
        expected_attentional,
        f"the attentional state h̃_t of {what}",
        atol=_ATOL,
    )
