"""Each chapter 2 check accepts the worked solution and rejects plausible mistakes."""

import collections
import math

import numpy as np

from chapters.ch02_encoder_decoder import exercises
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID
from solutions import ch02_solutions as solutions
from tests.check_testing import assert_check_behaviour


def not_attempted(*args):
    raise NotImplementedError


def test_stubs_are_reported_as_not_attempted(capsys):
    result = exercises.check_greedy_step(not_attempted)
    assert not result.attempted and not result.passed
    assert "not attempted yet" in capsys.readouterr().out


def test_last_real_state():
    assert_check_behaviour(
        exercises.check_last_real_state,
        solutions.last_real_state,
        {
            "last time step, padding included": lambda outputs, mask: outputs[:, -1],
            "index by length, off by one": lambda outputs, mask: outputs[
                np.arange(len(outputs)), np.minimum(mask.sum(1), outputs.shape[1] - 1)
            ],
            "mean over time": lambda outputs, mask: outputs.mean(axis=1),
            "first step": lambda outputs, mask: outputs[:, 0],
        },
        expected_hints={"last time step, padding included": "padding"},
    )


def _shift_without_end(target_ids):
    batch = len(target_ids)
    inputs = np.concatenate([np.full((batch, 1), START_ID), target_ids], 1)
    return inputs, np.concatenate([target_ids, np.full((batch, 1), PAD_ID)], 1)


def _shift_end_in_last_column(target_ids):
    inputs, targets = _shift_without_end(target_ids)
    targets[:, -1] = END_ID
    return inputs, targets


def test_shift_for_teacher_forcing():
    assert_check_behaviour(
        exercises.check_shift_for_teacher_forcing,
        solutions.shift_for_teacher_forcing,
        {
            "inputs and targets swapped": lambda ids: (
                solutions.shift_for_teacher_forcing(ids)[::-1]
            ),
            "no [END] in the targets": _shift_without_end,
            "[END] in the last column": _shift_end_in_last_column,
            "[START] appended, not prepended": lambda ids: (
                np.concatenate([ids, np.full((len(ids), 1), START_ID)], 1),
                solutions.shift_for_teacher_forcing(ids)[1],
            ),
        },
        expected_hints={
            "inputs and targets swapped": "swapped",
            "[END] in the last column": "last column",
        },
    )


def test_concatenate_context():
    assert_check_behaviour(
        exercises.check_concatenate_context,
        solutions.concatenate_context,
        {
            "context first": lambda embedded, context: np.concatenate(
                [np.repeat(context[:, None], embedded.shape[1], 1), embedded], -1
            ),
            "context only at the first step": lambda embedded, context: np.concatenate(
                [
                    embedded,
                    np.pad(
                        context[:, None], ((0, 0), (0, embedded.shape[1] - 1), (0, 0))
                    ),
                ],
                -1,
            ),
            "concatenated over time": lambda embedded, context: np.concatenate(
                [embedded, context[:, None, :4]], 1
            ),
            "added, not concatenated": lambda embedded, context: embedded
            + context[:, None, :4],
        },
        expected_hints={"concatenated over time": "shape"},
    )


def _token_losses(target_ids, logits):
    logits = np.asarray(logits, "float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -np.take_along_axis(log_probs, target_ids[..., None], -1)[..., 0]


def test_masked_loss():
    assert_check_behaviour(
        exercises.check_masked_loss,
        solutions.masked_loss,
        {
            "padding counted": lambda y, logits: _token_losses(y, logits).mean(),
            "divided by all positions": lambda y, logits: (
                _token_losses(y, logits) * (y != PAD_ID)
            ).sum()
            / y.size,
            "logits used as log-probabilities": lambda y, logits: -np.take_along_axis(
                logits, y[..., None], -1
            )[..., 0][y != PAD_ID].mean(),
            "sum instead of mean": lambda y, logits: _token_losses(y, logits)[
                y != PAD_ID
            ].sum(),
        },
        expected_hints={"padding counted": "[PAD]", "divided by all positions": "real"},
    )


def _greedy_from_logits(logits, finished):
    tokens = np.asarray(logits).argmax(-1)
    chosen = np.asarray(logits)[np.arange(len(tokens)), tokens]
    return np.where(finished, PAD_ID, tokens), np.where(finished, 0.0, chosen)


def test_greedy_step():
    def unmasked(logits, finished):
        return solutions.greedy_step(logits, np.zeros_like(finished))

    def wrong_axis(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return np.asarray(logits).argmax(0), log_probs

    def probabilities(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return tokens, np.exp(log_probs) * (~finished)

    assert_check_behaviour(
        exercises.check_greedy_step,
        solutions.greedy_step,
        {
            "finished sentences keep generating": unmasked,
            "arg-max over the batch axis": wrong_axis,
            "logits instead of log-probabilities": _greedy_from_logits,
            "probabilities instead of log-probabilities": probabilities,
        },
        expected_hints={"logits instead of log-probabilities": "log-softmax"},
    )


def test_beam_step():
    def per_beam(scores, log_probs, beam_width):
        # The best token of each beam, instead of the best K overall.
        tokens = log_probs.argmax(-1)
        new_scores = scores + log_probs.max(-1)
        parents = np.tile(np.arange(scores.shape[1]), (len(scores), 1))
        return new_scores, parents, tokens

    def swapped(scores, log_probs, beam_width):
        new_scores, parents, tokens = solutions.beam_step(scores, log_probs, beam_width)
        return new_scores, tokens, parents

    def without_history(scores, log_probs, beam_width):
        return solutions.beam_step(np.zeros_like(scores), log_probs, beam_width)

    def worst_first(scores, log_probs, beam_width):
        batch, beams, size = log_probs.shape
        candidates = (scores[..., None] + log_probs).reshape(batch, -1)
        best = np.argsort(candidates, axis=-1)[:, :beam_width]
        return np.take_along_axis(candidates, best, -1), best // size, best % size

    assert_check_behaviour(
        exercises.check_beam_step,
        solutions.beam_step,
        {
            "top token per beam": per_beam,
            "parents and tokens swapped": swapped,
            "previous scores ignored": without_history,
            "ascending order": worst_first,
        },
        expected_hints={"parents and tokens swapped": "swapped"},
    )


def _bleu_variant(
    clip=True,
    brevity=True,
    geometric=True,
    inverted=False,
    smoothing=0,
    crash_on_zero=False,
):
    """BLEU with one plausible mistake. `crash_on_zero` takes log(0) as a learner
    would; otherwise a zero precision gives 0, so that each variant is caught by
    its own mistake."""

    def bleu(hypothesis, reference):
        precisions = []
        for n in range(1, 5):
            hyp = collections.Counter(
                tuple(hypothesis[i : i + n]) for i in range(len(hypothesis) - n + 1)
            )
            ref = collections.Counter(
                tuple(reference[i : i + n]) for i in range(len(reference) - n + 1)
            )
            matches = sum(
                min(c, ref[g]) if clip else (c if g in ref else 0)
                for g, c in hyp.items()
            )
            total = sum(hyp.values()) + smoothing
            if total == 0 and not crash_on_zero:
                precisions.append(0.0)
                continue
            precisions.append((matches + smoothing) / total)
        if geometric and min(precisions) == 0 and not crash_on_zero:
            mean = 0.0
        elif geometric:
            mean = math.exp(sum(math.log(p) for p in precisions) / 4)
        else:
            mean = sum(precisions) / 4
        ratio = (
            len(hypothesis) / len(reference)
            if inverted
            else len(reference) / len(hypothesis)
        )
        penalty = min(1.0, math.exp(1 - ratio)) if brevity else 1.0
        return 100 * penalty * mean

    return bleu


def test_bleu_by_hand():
    assert _bleu_variant()("a b c d e".split(), "a b c d e".split()) == 100
    assert_check_behaviour(
        exercises.check_bleu_by_hand,
        solutions.bleu_by_hand,
        {
            "no clipping": _bleu_variant(clip=False),
            "no brevity penalty": _bleu_variant(brevity=False),
            "arithmetic mean": _bleu_variant(geometric=False),
            "brevity penalty inverted": _bleu_variant(inverted=True),
            "on a 0-1 scale": lambda h, r: solutions.bleu_by_hand(h, r) / 100,
            "crashes on a zero precision": _bleu_variant(crash_on_zero=True),
            "add-one smoothing": _bleu_variant(smoothing=1),
        },
        {
            "crashes on a zero precision": "log(0)",
            "add-one smoothing": "unsmoothed BLEU is 0",
        },
    )


def test_assign_buckets():
    assert_check_behaviour(
        exercises.check_assign_buckets,
        solutions.assign_buckets,
        {
            "edges open the next bucket": lambda lengths, edges: np.digitize(
                lengths, edges
            ).tolist(),
            "counted from one": lambda lengths, edges: [
                b + 1 for b in solutions.assign_buckets(lengths, edges)
            ],
            "fixed width of ten": lambda lengths, edges: [
                min((length - 1) // 10, len(edges)) for length in lengths
            ],
            "no overflow bucket": lambda lengths, edges: [
                min(b, len(edges) - 1) for b in solutions.assign_buckets(lengths, edges)
            ],
        },
        expected_hints={"edges open the next bucket": "closes"},
    )
