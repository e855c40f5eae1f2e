"""Each chapter 6 check accepts the worked solution and rejects plausible
mistakes, each named after the slip it makes."""

import numpy as np
import pytest
import tensorflow as tf

from chapters.ch06_beyond_the_notebook import exercises
from solutions import ch06_solutions as solutions
from tests.check_testing import (
    assert_check_behaviour,
    assert_reported_as_not_attempted,
)

CHECKS = [
    exercises.check_signature_source_ids,
    exercises.check_replica_losses,
    exercises.check_masked_softmax,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_stubs_are_reported_as_not_attempted(check, capsys):
    assert_reported_as_not_attempted(check, capsys)


def test_the_solutions_by_hand():
    # Two replicas of one sentence each: 1 + 2 and 4 over the 3 real tokens.
    losses = np.array([[1.0, 2.0, 9.0], [4.0, 9.0, 9.0]])
    mask = np.array([[True, True, False], [True, False, False]])
    np.testing.assert_allclose(solutions.replica_losses(losses, mask, 2), [1.0, 4 / 3])
    weights = solutions.masked_softmax(
        np.array([[0.0, np.log(3.0), 30.0]], np.float16), np.array([[1, 1, 0]], bool)
    )
    np.testing.assert_allclose(weights, [[0.25, 0.75, 0.0]], atol=1e-3)


def python_loop_ids(sentences, tokenizer, max_source_tokens):
    rows = [tokenizer.encode(s.decode())[:max_source_tokens] for s in sentences.numpy()]
    return tf.ragged.constant(rows, dtype=tf.int32).to_tensor()


def pad_to(ids, columns):
    dense = ids.to_tensor()
    return tf.pad(dense, [[0, 0], [0, columns - tf.shape(dense)[1]]])


def test_the_signature_check():
    def encode(sentences, tokenizer):
        return tokenizer.tf_encode(sentences)

    assert_check_behaviour(
        exercises.check_signature_source_ids,
        solutions.signature_source_ids,
        {
            "a Python loop with .numpy()": python_loop_ids,
            "not truncated": lambda s, t, m: encode(s, t).to_tensor(),
            "the batch truncated": lambda s, t, m: encode(s, t)[:m].to_tensor(),
            "padded to the cap": lambda s, t, m: pad_to(encode(s, t)[:, :m], m),
            "padded with -1": lambda s, t, m: encode(s, t)[:, :m].to_tensor(-1),
            "ragged": lambda s, t, m: encode(s, t)[:, :m],
            "int64 ids": lambda s, t, m: tf.cast(
                encode(s, t)[:, :m].to_tensor(), tf.int64
            ),
            "the vocabulary's ids without lowering": lambda s, t, m: (
                encode(s, t)[:, :m].to_tensor() + 1
            ),
        },
        {
            "a Python loop with .numpy()": "tf.function",
            "not truncated": "cut",
            "the batch truncated": "cut the batch",
            "padded to the cap": "longest",
            "padded with -1": "padding",
            "ragged": "ragged",
            "int64 ids": "int32",
        },
    )


def each_replica_own_mean(token_losses, mask, num_replicas):
    real = np.where(mask, token_losses, 0.0).reshape(num_replicas, -1)
    return real.sum(axis=1) / mask.reshape(num_replicas, -1).sum(axis=1)


def test_the_replica_loss_check():
    def global_tokens(token_losses, mask, num_replicas):
        real = np.where(mask, token_losses, 0.0).reshape(num_replicas, -1)
        return real.sum(axis=1) / mask.sum()

    def in_place(token_losses, mask, num_replicas):
        token_losses[~mask] = 0.0
        return token_losses.reshape(num_replicas, -1).sum(axis=1) / mask.sum()

    assert_check_behaviour(
        exercises.check_replica_losses,
        solutions.replica_losses,
        {
            "each replica's own mean": each_replica_own_mean,
            "the mean of means (Keras' division by R)": lambda t, m, r: (
                each_replica_own_mean(t, m, r) / r
            ),
            "every R-th row": lambda t, m, r: np.array(
                [np.where(m, t, 0.0)[k::r].sum() for k in range(r)]
            )
            / m.sum(),
            "padding counted": lambda t, m, r: t.reshape(r, -1).sum(axis=1) / t.size,
            "per sentence": lambda t, m, r: global_tokens(t, m, r) * m.sum() / len(m),
            "the global mean on every replica": lambda t, m, r: np.full(r, t[m].mean()),
            "edits the losses in place": in_place,
            "a list": lambda t, m, r: list(global_tokens(t, m, r)),
        },
        {
            "each replica's own mean": "global batch",
            "the mean of means (Keras' division by R)": "weighs",
            "every R-th row": "consecutive",
            "padding counted": "padded",
            "per sentence": "sentence",
            "edits the losses in place": "in place",
        },
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers overflow
def test_the_masked_softmax_check():
    def additive(constant):
        def softmax(scores, mask):
            filled = scores + np.where(mask, 0, constant).astype(scores.dtype)
            shifted = filled - filled.max(axis=-1, keepdims=True)
            weights = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
            return weights.astype(scores.dtype)

        return softmax

    def unshifted(scores, mask):
        filled = np.where(mask, scores, np.finfo(scores.dtype).min)
        weights = np.exp(filled) / np.exp(filled).sum(axis=-1, keepdims=True)
        return np.where(mask, weights, 0).astype(scores.dtype)

    def not_zeroed(scores, mask):
        filled = np.where(mask, scores, np.finfo(scores.dtype).min)
        shifted = filled - filled.max(axis=-1, keepdims=True)
        weights = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        return weights.astype(scores.dtype)

    def float64(scores, mask):
        return solutions.masked_softmax(scores.astype(np.float64), mask)

    def wrong_axis(scores, mask):
        filled = np.where(mask, scores, np.finfo(scores.dtype).min)
        shifted = filled - filled.max(axis=0, keepdims=True)
        weights = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
        return np.where(mask, weights, 0).astype(scores.dtype)

    def in_place(scores, mask):
        scores[~mask] = np.finfo(scores.dtype).min
        return solutions.masked_softmax(scores, mask)

    assert_check_behaviour(
        exercises.check_masked_softmax,
        solutions.masked_softmax,
        {
            "adds -1e9": additive(-1e9),
            "adds float16's lowest": additive(np.finfo(np.float16).min),
            "no max subtracted": unshifted,
            "masked rows left uniform": not_zeroed,
            "returns float64": float64,
            "softmax over the batch axis": wrong_axis,
            "edits the scores in place": in_place,
        },
        {
            "adds -1e9": "NaN",
            "no max subtracted": "65,504",
            "masked rows left uniform": "masked positions",
            "returns float64": "float16",
            "edits the scores in place": "in place",
        },
    )
