"""Greedy decoding and beam search, by hand, for any model with the protocol.

A hand-built Markov "model" (any object with `encode` and `decode_step` will do) gives
outputs and scores computed by hand; a variant that exposes attention weights shows
that both searches collect them, aligned with each hypothesis' tokens even when
beam hypotheses swap places.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from chapters.common.decoding import (
    ATTENTION_WEIGHTS,
    beam_search,
    compile_search,
    greedy_search,
)
from chapters.common.vocabulary import END_ID
from tests.fake_models import AttendingMarkovModel, MarkovModel, expected_weights

SOURCE = tf.constant([[4, 5], [5, 0]], tf.int32)


@pytest.mark.parametrize("compiled", [False, True])
def test_greedy_by_hand(compiled):
    search = greedy_search
    if compiled:
        search = compile_search(greedy_search, MarkovModel(), max_length=5)
        result = search(SOURCE)
    else:
        result = search(MarkovModel(), SOURCE, max_length=5)
    np.testing.assert_array_equal(result["tokens"], [[4, END_ID], [4, END_ID]])
    np.testing.assert_allclose(result["scores"], [math.log(0.24)] * 2, rtol=1e-5)
    np.testing.assert_array_equal(result["lengths"], [2, 2])
    assert np.all(result["finished"])


@pytest.mark.parametrize("compiled", [False, True])
def test_beam_search_finds_the_better_sequence_by_hand(compiled):
    options = {"max_length": 5, "beam_width": 2, "length_penalty": 0.0}
    if compiled:
        result = compile_search(beam_search, MarkovModel(), **options)(SOURCE)
    else:
        result = beam_search(MarkovModel(), SOURCE, **options)
    # Best first: b [END] (0.36), then a [END] (0.24).
    np.testing.assert_array_equal(result["tokens"][0], [[5, END_ID], [4, END_ID]])
    np.testing.assert_allclose(
        result["scores"][0], [math.log(0.36), math.log(0.24)], rtol=1e-5
    )
    np.testing.assert_allclose(
        result["token_log_probs"][0, 0], [math.log(0.4), math.log(0.9)], rtol=1e-5
    )


def test_length_normalization_by_hand():
    result = beam_search(MarkovModel(), SOURCE, 5, beam_width=2, length_penalty=1.0)
    # Both hypotheses have 2 tokens: the normalized score is the mean log-probability.
    np.testing.assert_allclose(
        result["normalized_scores"][0],
        [math.log(0.36) / 2, math.log(0.24) / 2],
        rtol=1e-5,
    )


def test_length_cap_leaves_sentences_unfinished():
    result = greedy_search(MarkovModel(), SOURCE, max_length=1)
    np.testing.assert_array_equal(result["tokens"], [[4], [4]])
    assert not np.any(result["finished"])


# Real lengths 3 and 1: the second sentence is padded.
PADDED_SOURCE = tf.constant([[4, 5, 4], [5, 0, 0]], tf.int32)


@pytest.mark.parametrize("compiled", [False, True])
def test_greedy_collects_the_weights_of_each_step(compiled):
    model = AttendingMarkovModel()
    if compiled:
        result = compile_search(greedy_search, model, max_length=5)(PADDED_SOURCE)
    else:
        result = greedy_search(model, PADDED_SOURCE, max_length=5)
    weights = np.asarray(result[ATTENTION_WEIGHTS])
    assert weights.shape == (2, result["tokens"].shape[1], 3)  # (B, L, S)
    for row, length in enumerate([3, 1]):
        steps = int(result["lengths"][row])
        tokens = np.asarray(result["tokens"][row, :steps]).tolist()
        np.testing.assert_array_equal(
            weights[row, :steps], expected_weights(tokens, length, 3)
        )


@pytest.mark.parametrize("compiled", [False, True])
def test_beam_search_keeps_each_hypothesis_weights_through_swaps(compiled):
    model = AttendingMarkovModel()
    options = {"max_length": 5, "beam_width": 2, "length_penalty": 0.0}
    if compiled:
        result = compile_search(beam_search, model, **options)(PADDED_SOURCE)
    else:
        result = beam_search(model, PADDED_SOURCE, **options)
    weights = np.asarray(result[ATTENTION_WEIGHTS])
    assert weights.shape[:2] == (2, 2) and weights.shape[-1] == 3  # (B, K, L, S)
    # The best hypothesis, b [END], grew from the second beam slot of step 1: its
    # weights must have moved with it.
    np.testing.assert_array_equal(result["tokens"][0, 0], [5, END_ID])
    for row, length in enumerate([3, 1]):
        for rank in range(2):
            steps = int(result["lengths"][row, rank])
            tokens = np.asarray(result["tokens"][row, rank, :steps]).tolist()
            np.testing.assert_array_equal(
                weights[row, rank, :steps], expected_weights(tokens, length, 3)
            )


def test_models_without_attention_return_no_weights():
    assert ATTENTION_WEIGHTS not in greedy_search(MarkovModel(), SOURCE, 3)
    assert ATTENTION_WEIGHTS not in beam_search(MarkovModel(), SOURCE, 3, 2)
