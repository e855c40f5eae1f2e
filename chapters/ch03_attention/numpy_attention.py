"""Additive attention (Bahdanau et al., 2015) in plain NumPy, to read line by line.

The same computation as `chapters.ch03_attention.attention.AdditiveAttention`,
one formula per function, with no Keras: the lessons show it first and the tests
check the layer against it.

    e_ti = v_a^T tanh(W_a s_t + U_a h_i)      the score of key i for query t
    alpha_ti = softmax_i(e_ti)                its weight, over the source
    c_t = sum_i alpha_ti h_i                  the context of query t

Here `W_a` is `query_weights` `(Dq, A)` and `U_a` is `key_weights` `(Dk, A)`, stored
as matrices that multiply row vectors on their right (Keras' convention for a
`Dense` kernel), so `W_a s_t` is `query @ query_weights`.
"""

import numpy as np


def additive_scores(query, keys, query_weights, key_weights, score_vector):
    """Additive scores `e_ti = v_a^T tanh(W_a s_t + U_a h_i)` of every query and key.

    Args:
        query: `(B, T, Dq)` the queries `s_t`.
        keys: `(B, S, Dk)` the keys `h_i`.
        query_weights: `(Dq, A)` the matrix `W_a`.
        key_weights: `(Dk, A)` the matrix `U_a`.
        score_vector: `(A,)` the vector `v_a`.

    Returns:
        Scores `(B, T, S)`.
    """
    projected_query = query @ query_weights  # (B, T, A)
    projected_keys = keys @ key_weights  # (B, S, A)
    # Every query meets every key: broadcast (B, T, 1, A) + (B, 1, S, A).
    hidden = np.tanh(projected_query[:, :, None, :] + projected_keys[:, None, :, :])
    return hidden @ score_vector  # (B, T, S, A) @ (A,) -> (B, T, S)


def masked_softmax(scores, mask=None):
    """Softmax over the last axis, with exactly zero weight at masked positions.

    Masked scores become the lowest finite number of their dtype (not `-inf`, which
    would make `inf - inf = NaN` in a row where everything is masked); after the
    softmax, masked weights are set to exactly 0. A row with every position masked
    gets all-zero weights, and so a zero context.

    Args:
        scores: `(..., S)` float array.
        mask: bool array broadcastable to `scores`, True where a position may be
            attended to; None for no mask.

    Returns:
        Weights of the shape of `scores`.
    """
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(mask, scores.shape)
    lowest = np.finfo(scores.dtype).min
    masked_scores = np.where(mask, scores, lowest)
    # Subtracting the row's largest score changes no weight and keeps exp <= 1.
    shifted = masked_scores - masked_scores.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    weights = exponentials / exponentials.sum(axis=-1, keepdims=True)
    return np.where(mask, weights, 0.0)


def attend(weights, values):
    """Contexts `c_t = sum_i alpha_ti h_i`: one weighted sum of the values per query.

    Args:
        weights: `(B, T, S)` attention weights.
        values: `(B, S, Dv)`.

    Returns:
        Contexts `(B, T, Dv)`.
    """
    return weights @ values  # (B, T, S) @ (B, S, Dv)


def additive_attention(
    query,
    values,
    query_weights,
    key_weights,
    score_vector,
    keys=None,
    value_mask=None,
    attention_mask=None,
):
    """Scores, masked softmax and weighted sum: the whole additive attention.

    Args:
        query: `(B, T, Dq)`.
        values: `(B, S, Dv)`.
        query_weights: `(Dq, A)` the matrix `W_a`.
        key_weights: `(Dk, A)` the matrix `U_a`.
        score_vector: `(A,)` the vector `v_a`.
        keys: `(B, S, Dk)`; `values` when None.
        value_mask: bool `(B, S)`, True at real source tokens, or None.
        attention_mask: bool `(B, T, S)`, True where query `t` may attend to
            key `s`, or None.

    Returns:
        `(contexts, weights)`: `(B, T, Dv)` and `(B, T, S)`.
    """
    keys = values if keys is None else keys
    scores = additive_scores(query, keys, query_weights, key_weights, score_vector)
    mask = np.ones(scores.shape, dtype=bool)
    if value_mask is not None:
        mask = mask & np.asarray(value_mask, dtype=bool)[:, None, :]  # (B, 1, S)
    if attention_mask is not None:
        mask = mask & np.asarray(attention_mask, dtype=bool)  # (B, T, S)
    weights = masked_softmax(scores, mask)
    return attend(weights, values), weights
