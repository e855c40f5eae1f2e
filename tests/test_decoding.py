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


def follow_parents(trace, row, slot):
    """The tokens of the hypothesis in `slot` at the last step, read back to step 0."""
    tokens = []
    for step in reversed(range(trace["tokens"].shape[1])):
        tokens.append(int(trace["tokens"][row, step, slot]))
        slot = int(trace["parents"][row, step, slot])
    return tokens[::-1]


@pytest.mark.parametrize("compiled", [False, True])
def test_beam_trace_by_hand(compiled):
    options = {"max_length": 5, "beam_width": 2, "length_penalty": 0.0, "trace": True}
    if compiled:
        result = compile_search(beam_search, MarkovModel(), **options)(SOURCE)
    else:
        result = beam_search(MarkovModel(), SOURCE, **options)
    trace = {name: np.asarray(value) for name, value in result["trace"].items()}
    for name in ["tokens", "parents", "scores", "pruned_tokens", "pruned_scores"]:
        assert trace[name].shape == (2, 2, 2), name  # (B, L, K)
    # Step 0, from [START]: a (0.6) and b (0.4) are kept; every other token has
    # p = 1e-9 (ties go to the lower id: [PAD], [UNK]).
    # Step 1: a [END] 0.24, a a 0.18, a b 0.18; b [END] 0.36, b a 0.02, b b 0.02.
    # Kept: b [END] (from slot 1), a [END] (from slot 0); dropped: a a, a b.
    np.testing.assert_array_equal(trace["tokens"][0], [[4, 5], [END_ID, END_ID]])
    np.testing.assert_array_equal(trace["parents"][0], [[0, 0], [1, 0]])
    np.testing.assert_allclose(
        np.exp(trace["scores"][0]), [[0.6, 0.4], [0.36, 0.24]], rtol=1e-5
    )
    np.testing.assert_array_equal(trace["pruned_tokens"][0], [[0, 1], [4, 5]])
    np.testing.assert_array_equal(trace["pruned_parents"][0], [[0, 0], [0, 0]])
    np.testing.assert_allclose(
        np.exp(trace["pruned_scores"][0]), [[1e-9, 1e-9], [0.18, 0.18]], rtol=1e-4
    )
    np.testing.assert_array_equal(trace["final_slots"][0], [0, 1])


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("beam_width", [2, 3])
@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_following_parents_back_spells_every_hypothesis(
    compiled, beam_width, length_penalty
):
    model = AttendingMarkovModel()
    options = {
        "max_length": 4,
        "beam_width": beam_width,
        "length_penalty": length_penalty,
        "trace": True,
    }
    if compiled:
        result = compile_search(beam_search, model, **options)(PADDED_SOURCE)
    else:
        result = beam_search(model, PADDED_SOURCE, **options)
    trace = result["trace"]
    for row in range(2):
        for rank in range(beam_width):
            slot = int(trace["final_slots"][row, rank])
            np.testing.assert_array_equal(
                follow_parents(trace, row, slot), result["tokens"][row, rank]
            )
            np.testing.assert_allclose(
                trace["scores"][row, -1, slot], result["scores"][row, rank]
            )
    # The dropped candidates never beat the kept ones.
    worst_kept = np.min(trace["scores"], axis=-1)  # (B, L)
    assert np.all(np.max(trace["pruned_scores"], axis=-1) <= worst_kept)


@pytest.mark.parametrize("compiled", [False, True])
def test_trace_leaves_the_search_unchanged(compiled):
    options = {"max_length": 5, "beam_width": 3, "length_penalty": 0.6}
    model = AttendingMarkovModel()
    if compiled:
        plain = compile_search(beam_search, model, **options)(PADDED_SOURCE)
        traced = compile_search(beam_search, model, trace=True, **options)(
            PADDED_SOURCE
        )
    else:
        plain = beam_search(model, PADDED_SOURCE, **options)
        traced = beam_search(model, PADDED_SOURCE, trace=True, **options)
    assert "trace" not in plain
    assert set(traced) == set(plain) | {"trace"}
    for name, value in plain.items():
        np.testing.assert_array_equal(traced[name], value, err_msg=name)
