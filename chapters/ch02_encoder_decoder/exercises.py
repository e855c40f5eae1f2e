"""Checks for the exercises of chapter 2 (encoder, decoder, teacher forcing, decoding,
BLEU).

Each check runs a learner's function on small cases whose answers come from a hand
computation, from the chapter's own code or from sacrebleu, and prints a pass or a
hint. The worked solutions are in `solutions/ch02_solutions.py`.
"""

import numpy as np
import sacrebleu

from chapters.common.checks import (
    Hint,
    exercise_check,
    expect_close,
    expect_equal,
    expect_shape,
)
from chapters.common.pipeline import teacher_forcing_shift
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@exercise_check("final state of a padded sentence")
def check_last_real_state(last_real_state):
    """`last_real_state(outputs (B, S, H), mask (B, S)) -> (B, H)`."""
    outputs = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3) + 1.0
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    result = np.asarray(last_real_state(outputs, mask))
    expect_shape(result, (2, 3), "last_real_state(outputs, mask)")
    if np.allclose(result, outputs[:, -1]):
        raise Hint(
            "you took the last time step, which is padding for the first sentence; "
            "use the mask to find each sentence's last real step."
        )
    expect_close(result, outputs[[0, 1], [1, 3]], "last_real_state(outputs, mask)")
    single = np.asarray(last_real_state(outputs[:1, :1], mask[:1, :1]))
    expect_close(single, outputs[:1, 0], "a sentence of one token")


@exercise_check("teacher-forcing shift")
def check_shift_for_teacher_forcing(shift_for_teacher_forcing):
    """`shift_for_teacher_forcing(target_ids (B, T)) -> (inputs, targets)`, each
    `(B, T + 1)`."""
    target_ids = np.array([[7, 8, 9], [5, 6, PAD_ID], [4, PAD_ID, PAD_ID]], "int32")
    inputs, targets = shift_for_teacher_forcing(target_ids)
    expected_inputs, expected_targets = (
        np.asarray(x) for x in teacher_forcing_shift(target_ids)
    )
    expect_shape(inputs, (3, 4), "decoder inputs")
    expect_shape(targets, (3, 4), "decoder targets")
    if np.array_equal(np.asarray(inputs), expected_targets):
        raise Hint("inputs and targets are swapped: the inputs start with [START].")
    expect_equal(np.asarray(inputs)[:, 0], np.full(3, START_ID), "first decoder input")
    expect_equal(inputs, expected_inputs, "decoder inputs ([START] + ids)")
    if np.asarray(targets)[1, 3] == END_ID:
        raise Hint(
            "[END] must follow each sentence's last real token, not fill the last "
            "column: a padded sentence ends earlier."
        )
    expect_equal(targets, expected_targets, "decoder targets (ids + [END])")


@exercise_check("context concatenated to every decoder input")
def check_concatenate_context(concatenate_context):
    """`concatenate_context(embedded (B, T, E), context (B, C)) -> (B, T, E + C)`."""
    rng = np.random.default_rng(0)
    embedded = rng.normal(size=(2, 3, 4)).astype("float32")
    context = rng.normal(size=(2, 5)).astype("float32")
    result = np.asarray(concatenate_context(embedded, context))
    expect_shape(result, (2, 3, 9), "concatenate_context(embedded, context)")
    expect_close(result[..., :4], embedded, "the first E features (the embeddings)")
    expected = np.broadcast_to(context[:, None, :], (2, 3, 5))
    expect_close(
        result[..., 4:], expected, "the last C features (the context, at every step)"
    )


@exercise_check("masked loss")
def check_masked_loss(masked_loss):
    """`masked_loss(target_ids (B, T), logits (B, T, V)) -> float`."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 3, 5)).astype("float32")
    targets = np.array([[4, 2, PAD_ID], [3, PAD_ID, PAD_ID]], "int32")
    log_probs = _log_softmax(logits)
    token_losses = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    mask = targets != PAD_ID
    expected = token_losses[mask].mean()  # Three real tokens.
    result = float(np.asarray(masked_loss(targets, logits)))
    if np.isclose(result, token_losses.mean(), atol=1e-4):
        raise Hint("the [PAD] positions count in your mean; mask them out.")
    if np.isclose(result, token_losses[mask].sum() / targets.size, atol=1e-4):
        raise Hint("divide by the number of real tokens, not by all positions.")
    expect_close(result, expected, "masked_loss(targets, logits)", atol=1e-4)


@exercise_check("one greedy decoding step")
def check_greedy_step(greedy_step):
    """`greedy_step(logits (B, V), finished (B,)) -> (tokens (B,), log_probs (B,))`."""
    logits = np.array(
        [
            [0.1, 0.0, 0.0, 0.2, 2.0],
            [0.0, 0.0, 0.0, 3.0, 1.0],
            [5.0, 0.0, 0.0, 0.0, 4.0],
        ],
        "float32",
    )
    finished = np.array([False, False, True])
    tokens, log_probs = greedy_step(logits, finished)
    expect_shape(tokens, (3,), "tokens")
    expect_shape(log_probs, (3,), "log_probs")
    expect_equal(np.asarray(tokens)[:2], np.array([4, 3]), "tokens of live sentences")
    expect_equal(
        int(np.asarray(tokens)[2]), PAD_ID, "token of a finished sentence ([PAD])"
    )
    expected = _log_softmax(logits)[[0, 1], [4, 3]]
    result = np.asarray(log_probs, dtype="float64")
    if np.allclose(result[:2], logits[[0, 1], [4, 3]]):
        raise Hint("those are the logits; return log-probabilities (log-softmax).")
    expect_close(
        result[:2], expected, "log-probabilities of the chosen tokens", atol=1e-5
    )
    expect_close(result[2], 0.0, "log-probability added for a finished sentence")


@exercise_check("beam search's top-k bookkeeping")
def check_beam_step(beam_step):
    """`beam_step(scores (B, K), log_probs (B, K, V), beam_width) -> (scores, parents,
    tokens)`, each `(B, K)`, best first."""
    scores = np.log(np.array([[0.6, 0.4]], "float64"))
    # Beam 0 ("a") spreads its mass; beam 1 ("b") is sure of token 3.
    probabilities = np.array(
        [[[0.1, 0.1, 0.1, 0.4, 0.3], [0.02, 0.02, 0.02, 0.9, 0.04]]]
    )
    log_probs = np.log(probabilities)
    new_scores, parents, tokens = beam_step(scores, log_probs, 2)
    for value, what in (
        (new_scores, "scores"),
        (parents, "parents"),
        (tokens, "tokens"),
    ):
        expect_shape(value, (1, 2), what)
    candidates = (scores[..., None] + log_probs).reshape(1, -1)
    best = np.argsort(-candidates, axis=-1)[:, :2]
    expected_parents, expected_tokens = best // 5, best % 5
    if np.array_equal(np.asarray(parents), expected_tokens):
        raise Hint(
            "parents and tokens are swapped: parent = index // V, token = index % V."
        )
    expect_equal(parents, expected_parents, "parents (which hypothesis each extends)")
    expect_equal(tokens, expected_tokens, "tokens")
    expect_close(
        new_scores, np.take_along_axis(candidates, best, -1), "scores", atol=1e-6
    )


@exercise_check("sentence BLEU by hand")
def check_bleu_by_hand(bleu_by_hand):
    """`bleu_by_hand(hypothesis_tokens, reference_tokens) -> float` in [0, 100]:
    unsmoothed BLEU, which is 0 when any n-gram precision is 0."""
    metric = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none")
    cases = [
        # No bigram in common: the precisions of orders 2 to 4 are 0.
        ("do you like tom ?", "can you hear me ?"),
        # Three tokens have no 4-gram at all: precision 0 of 0.
        ("thank you .", "thank you very much ."),
        ("the cat is on the mat today .", "the cat sat on the mat today ."),
        ("the the the the cat sat on the mat", "the cat sat on the mat"),
        ("i love you so much .", "i really love you so much ."),
        ("welcome to beijing , my friend .", "welcome to beijing , my friend ."),
    ]
    for hypothesis, reference in cases:
        expected = metric.corpus_score([hypothesis], [[reference]]).score
        call = f"bleu_by_hand({hypothesis!r}, {reference!r})"
        try:
            result = float(bleu_by_hand(hypothesis.split(), reference.split()))
        except (ValueError, ZeroDivisionError) as error:
            raise Hint(
                f"{call} raised {type(error).__name__} ({error}). Here an n-gram "
                "precision is 0 (or has no n-grams to count), and log(0) is "
                "undefined: unsmoothed BLEU is 0 whenever a precision is 0, so "
                "return 0.0 then."
            ) from error
        if expected == 0 and result > 0:
            raise Hint(
                f"{call} gave {result:.4g}, but one of its n-gram precisions is 0, "
                "so unsmoothed BLEU is 0. Smoothing (what sentence_bleu adds) is "
                "not part of this formula."
            )
        expect_close(result, expected, call, atol=1e-3)


@exercise_check("source-length buckets")
def check_assign_buckets(assign_buckets):
    """`assign_buckets(lengths, edges) -> list[int]`: bucket `i` holds the lengths in
    `(edges[i - 1], edges[i]]`; lengths above the last edge go to `len(edges)`."""
    edges = (10, 20, 30)
    lengths = [1, 9, 10, 11, 20, 21, 30, 31, 75]
    result = [int(bucket) for bucket in assign_buckets(lengths, edges)]
    expected = [0, 0, 0, 1, 1, 2, 2, 3, 3]
    if result == [0, 0, 1, 1, 2, 2, 3, 3, 3]:
        raise Hint(
            "a length equal to an edge belongs to the bucket that edge closes: "
            "10 tokens is in 1-10, not in 11-20."
        )
    expect_equal(result, expected, f"assign_buckets({lengths}, {edges})")
    expect_equal(
        [int(b) for b in assign_buckets([5, 15], (4, 8, 12, 16))],
        [1, 3],
        "assign_buckets([5, 15], (4, 8, 12, 16))",
    )
