"""Each chapter 2 check accepts the worked solution and rejects plausible mistakes.

Each wrong variant is a mistake a learner plausibly makes, named after it.
"""

import collections
import math

import numpy as np
import pytest

from chapters.ch02_encoder_decoder import exercises
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID
from solutions import ch02_solutions as solutions
from tests.check_testing import assert_check_behaviour, mutating


def not_attempted(*args):
    raise NotImplementedError


def test_stubs_are_reported_as_not_attempted(capsys):
    result = exercises.check_greedy_step(not_attempted)
    assert not result.attempted and not result.passed
    assert "not attempted yet" in capsys.readouterr().out


def _sigmoid(values):
    return 1 / (1 + np.exp(-values))


def _gru_variant(
    order="zrh",
    keep_old="z",
    reset_after=True,
    recurrent_bias="inside",
    reset_gate=True,
    state_in_gates=True,
    candidate_activation=np.tanh,
):
    """A GRU step with one slip: the gate order of the kernel's blocks, which of
    z and 1 - z keeps the old state, where the reset gate and the recurrent bias
    go, whether the gates see the state, the candidate's activation."""

    def step(inputs, state, kernel, recurrent_kernel, bias):
        units = state.shape[1]

        def block(matrix, gate):
            index = order.index(gate)
            return matrix[..., index * units : (index + 1) * units]

        def gate(name, activation=_sigmoid):
            from_state = state @ block(recurrent_kernel, name) + block(bias[1], name)
            total = inputs @ block(kernel, name) + block(bias[0], name)
            return activation(total + (from_state if state_in_gates else 0))

        update, reset = gate("z"), gate("r")
        if not reset_gate:
            reset = np.ones_like(reset)
        input_h = inputs @ block(kernel, "h") + block(bias[0], "h")
        recurrent_h_bias = block(bias[1], "h")
        if recurrent_bias == "ignored":
            recurrent_h_bias = 0
        if reset_after:
            recurrent = reset * (
                state @ block(recurrent_kernel, "h") + recurrent_h_bias
            )
            if recurrent_bias == "outside":
                recurrent = reset * (state @ block(recurrent_kernel, "h"))
                recurrent = recurrent + block(bias[1], "h")
        else:
            recurrent = (reset * state) @ block(
                recurrent_kernel, "h"
            ) + recurrent_h_bias
        candidate = candidate_activation(input_h + recurrent)
        if keep_old == "z":
            return update * state + (1 - update) * candidate
        if keep_old == "1 - z":
            return (1 - update) * state + update * candidate
        return candidate  # no update gate at all

    return step


def test_gru_variant_without_slips_is_the_solution():
    rng = np.random.default_rng(0)
    weights = (
        rng.normal(size=(2, 3)),
        rng.normal(size=(2, 4)),
        rng.normal(size=(3, 12)),
        rng.normal(size=(4, 12)),
        rng.normal(size=(2, 12)),
    )
    np.testing.assert_allclose(_gru_variant()(*weights), solutions.gru_step(*weights))


def test_gru_step():
    def split_by_rows(inputs, state, kernel, recurrent_kernel, bias):
        # np.split over the rows of the kernel, not its columns.
        w_z, w_r, w_h = np.split(kernel, 3, axis=0)
        return solutions.gru_step(inputs, state, kernel, recurrent_kernel, bias)

    def updates_the_state_in_place(inputs, state, kernel, recurrent_kernel, bias):
        new_state = solutions.gru_step(inputs, state, kernel, recurrent_kernel, bias)
        state[...] = new_state
        return state

    assert_check_behaviour(
        exercises.check_gru_step,
        solutions.gru_step,
        {
            "(1 - z) keeps the old state": _gru_variant(keep_old="1 - z"),
            "reset gate before the recurrent product": _gru_variant(reset_after=False),
            "gates in the order r, z, h": _gru_variant(order="rzh"),
            "gates in the order h, z, r": _gru_variant(order="hzr"),
            "recurrent bias of the candidate ignored": _gru_variant(
                recurrent_bias="ignored"
            ),
            "recurrent bias outside the reset gate": _gru_variant(
                recurrent_bias="outside"
            ),
            "no reset gate": _gru_variant(reset_gate=False),
            "gates from the inputs only": _gru_variant(state_in_gates=False),
            "sigmoid for the candidate": _gru_variant(candidate_activation=_sigmoid),
            "no update gate": _gru_variant(keep_old="nothing"),
            "kernel split along its rows": split_by_rows,
            "new state written into the old one": updates_the_state_in_place,
        },
        expected_hints={
            "(1 - z) keeps the old state": "keeps z of the old state",
            "reset gate before the recurrent product": "reset_after=True",
            "gates in the order r, z, h": "z, r, h",
            "no reset gate": "not close",
            "new state written into the old one": "in place",
        },
    )


def _shift_without_end(target_ids):
    batch = len(target_ids)
    inputs = np.concatenate([np.full((batch, 1), START_ID), target_ids], 1)
    return inputs, np.concatenate([target_ids, np.full((batch, 1), PAD_ID)], 1)


def _shift_end_in_last_column(target_ids):
    inputs, targets = _shift_without_end(target_ids)
    targets[:, -1] = END_ID
    return inputs, targets


def _shift_end_at(lengths_of):
    """The shift with `[END]` written where `lengths_of(target_ids)` says."""

    def shift(target_ids):
        inputs, targets = _shift_without_end(target_ids)
        targets[np.arange(len(targets)), lengths_of(target_ids)] = END_ID
        return inputs, targets

    return shift


def test_shift_for_teacher_forcing():
    def float_arrays(target_ids):
        batch, steps = target_ids.shape
        inputs = np.zeros((batch, steps + 1))  # float64
        targets = np.zeros((batch, steps + 1))
        expected_inputs, expected_targets = solutions.shift_for_teacher_forcing(
            target_ids
        )
        inputs[:], targets[:] = expected_inputs, expected_targets
        return inputs, targets

    def end_into_the_ids(target_ids):
        lengths = (target_ids != PAD_ID).sum(axis=1)
        padded = np.flatnonzero(lengths < target_ids.shape[1])
        target_ids[padded, lengths[padded]] = END_ID  # the caller's array
        last = np.where(lengths == target_ids.shape[1], END_ID, PAD_ID)[:, None]
        inputs = np.concatenate(
            [np.full((len(target_ids), 1), START_ID), target_ids], 1
        )
        inputs[inputs == END_ID] = PAD_ID
        return inputs, np.concatenate([target_ids, last], 1)

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
            "[UNK] counted as padding": _shift_end_at(lambda ids: (ids > 1).sum(1)),
            "[END] at the first [PAD] found by argmax": _shift_end_at(
                lambda ids: np.argmax(ids == PAD_ID, axis=1)
            ),
            "the first sentence's length for all": _shift_end_at(
                lambda ids: np.full(len(ids), (ids[0] != PAD_ID).sum())
            ),
            "float arrays": float_arrays,
            "[END] written into target_ids": end_into_the_ids,
        },
        expected_hints={
            "inputs and targets swapped": "swapped",
            "[END] in the last column": "last column",
            "[UNK] counted as padding": "[UNK]",
            "float arrays": "integers",
            "[END] written into target_ids": "in place",
        },
    )


def test_concatenate_context():
    def tiled_over_the_batch(embedded, context):
        batch, steps, _ = embedded.shape
        tiled = np.tile(context, (steps, 1)).reshape(batch, steps, -1)
        return np.concatenate([embedded, tiled], -1)

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
            "tiled, then reshaped: sentences' contexts mixed": tiled_over_the_batch,
            "the first sentence's context for all": lambda embedded, context: (
                solutions.concatenate_context(embedded, context[:1].repeat(2, 0))
            ),
        },
        expected_hints={
            "concatenated over time": "shape",
            "tiled, then reshaped: sentences' contexts mixed": "own context",
        },
    )


def _token_losses(target_ids, logits):
    """Per-token cross-entropy, with the log-softmax written naively."""
    logits = np.asarray(logits, "float64")
    with np.errstate(over="ignore", invalid="ignore"):
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -np.take_along_axis(log_probs, target_ids[..., None], -1)[..., 0]


def _stable_token_losses(target_ids, logits):
    log_probs = solutions.log_softmax(logits)
    return -np.take_along_axis(log_probs, target_ids[..., None], -1)[..., 0]


def test_masked_loss():
    def log_of_a_stable_softmax(y, logits):
        logits = np.asarray(logits, "float64")
        exponentials = np.exp(logits - logits.max(-1, keepdims=True))
        with np.errstate(divide="ignore"):
            log_probs = np.log(exponentials / exponentials.sum(-1, keepdims=True))
        losses = -np.take_along_axis(log_probs, y[..., None], -1)[..., 0]
        return losses[y != PAD_ID].mean()

    def per_sentence_means(y, logits):
        mask = y != PAD_ID
        return ((_stable_token_losses(y, logits) * mask).sum(1) / mask.sum(1)).mean()

    def subtracts_the_max_in_place(y, logits):
        logits -= logits.max(axis=-1, keepdims=True)
        return solutions.masked_loss(y, logits)

    assert_check_behaviour(
        exercises.check_masked_loss,
        solutions.masked_loss,
        {
            "padding counted": lambda y, logits: _stable_token_losses(y, logits).mean(),
            "divided by all positions": lambda y, logits: (
                _stable_token_losses(y, logits) * (y != PAD_ID)
            ).sum()
            / y.size,
            "logits used as log-probabilities": lambda y, logits: -np.take_along_axis(
                logits, y[..., None], -1
            )[..., 0][y != PAD_ID].mean(),
            "sum instead of mean": lambda y, logits: _stable_token_losses(y, logits)[
                y != PAD_ID
            ].sum(),
            "mean of each sentence's mean": per_sentence_means,
            "[UNK] masked too": lambda y, logits: _stable_token_losses(y, logits)[
                y > 1
            ].mean(),
            "log-softmax without the max (overflows)": lambda y, logits: (
                _token_losses(y, logits)[y != PAD_ID].mean()
            ),
            "log of a stable softmax (underflows)": log_of_a_stable_softmax,
            "per-token losses, not their mean": lambda y, logits: (
                _stable_token_losses(y, logits) * (y != PAD_ID)
            ),
            "subtracts the max in place": subtracts_the_max_in_place,
        },
        expected_hints={
            "padding counted": "[PAD]",
            "divided by all positions": "real",
            "mean of each sentence's mean": "each sentence's mean",
            "[UNK] masked too": "[UNK]",
            "log-softmax without the max (overflows)": "overflows",
            "log of a stable softmax (underflows)": "underflowed",
            "per-token losses, not their mean": "one number",
            "subtracts the max in place": "in place",
        },
    )


def _greedy_from_logits(logits, finished):
    tokens = np.asarray(logits).argmax(-1)
    chosen = np.asarray(logits)[np.arange(len(tokens)), tokens]
    return np.where(finished, PAD_ID, tokens), np.where(finished, 0.0, chosen)


def test_greedy_step():
    def unmasked(logits, finished):
        return solutions.greedy_step(logits, np.zeros_like(finished))

    def tokens_unmasked(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return np.asarray(logits).argmax(-1), log_probs

    def wrong_axis(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return np.asarray(logits).argmax(0), log_probs

    def probabilities(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return tokens, np.exp(log_probs) * (~finished)

    def naive_log_softmax(logits, finished):
        logits = np.asarray(logits)
        with np.errstate(over="ignore", invalid="ignore"):
            probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            log_probs = np.log(probabilities.max(-1))
        tokens = logits.argmax(-1)
        return np.where(finished, PAD_ID, tokens), np.where(finished, 0.0, log_probs)

    def float_tokens(logits, finished):
        tokens, log_probs = solutions.greedy_step(logits, finished)
        return np.where(finished, 0.0, tokens), log_probs

    def subtracts_the_max_in_place(logits, finished):
        logits -= logits.max(axis=-1, keepdims=True)
        return solutions.greedy_step(logits, finished)

    assert_check_behaviour(
        exercises.check_greedy_step,
        solutions.greedy_step,
        {
            "finished sentences keep generating": unmasked,
            "finished sentences keep their arg-max": tokens_unmasked,
            "arg-max over the batch axis": wrong_axis,
            "logits instead of log-probabilities": _greedy_from_logits,
            "probabilities instead of log-probabilities": probabilities,
            "softmax without the max (overflows)": naive_log_softmax,
            "float tokens": float_tokens,
            "subtracts the max in place": subtracts_the_max_in_place,
        },
        expected_hints={
            "finished sentences keep their arg-max": "[PAD]",
            "logits instead of log-probabilities": "log-softmax",
            "softmax without the max (overflows)": "overflows",
            "float tokens": "integers",
            "subtracts the max in place": "in place",
        },
    )


def _greedy_loop(
    mask_finished=True,
    stop_early=True,
    stop_when="all",
    thread_state=True,
    feed="chosen",
    softmax=False,
    extra_step=False,
    keep_end=True,
    keep_start=False,
    steps_first=False,
    dtype=None,
    swap_encode=False,
    token_shape=None,
):
    """The greedy loop with one slip (each argument names one)."""

    def decode(model, source_ids, max_length):
        memory, state = model.encode(source_ids)
        if swap_encode:
            memory, state = state, memory
        initial_state = state
        batch = len(source_ids)
        tokens = np.full(batch, START_ID)
        finished = np.zeros(batch, dtype=bool)
        steps = [tokens] if keep_start else []
        for _ in range(max_length + (1 if extra_step else 0)):
            fed = np.full(batch, START_ID) if feed == "start" else tokens
            if token_shape is not None:
                fed = fed.reshape(token_shape(batch))
            logits, new_state = model.decode_step(fed, state, memory)
            state = new_state if thread_state else initial_state
            logits = np.asarray(logits)
            if softmax:
                with np.errstate(over="ignore", invalid="ignore"):
                    logits = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tokens = logits.argmax(-1)
            if mask_finished:
                tokens = np.where(finished, PAD_ID, tokens)
            ended = tokens == END_ID
            if not keep_end:
                tokens = np.where(ended, PAD_ID, tokens)
            steps.append(tokens)
            finished = finished | ended
            if stop_early and (
                finished.all() if stop_when == "all" else finished.any()
            ):
                break
        result = np.stack(steps, axis=0 if steps_first else 1)
        return result if dtype is None else result.astype(dtype)

    return decode


def test_greedy_loop_without_slips_is_the_solution():
    assert exercises.check_greedy_decode(_greedy_loop()).passed


def test_greedy_decode():
    assert_check_behaviour(
        exercises.check_greedy_decode,
        solutions.greedy_decode,
        {
            "finished sentences keep writing": _greedy_loop(mask_finished=False),
            "always runs max_length steps": _greedy_loop(stop_early=False),
            "stops when the first sentence finishes": _greedy_loop(stop_when="any"),
            "passes encode's state at every step": _greedy_loop(thread_state=False),
            "feeds [START] at every step": _greedy_loop(feed="start"),
            "softmax without the max before the arg-max": _greedy_loop(softmax=True),
            "max_length + 1 steps": _greedy_loop(stop_early=False, extra_step=True),
            "[END] left out of the output": _greedy_loop(keep_end=False),
            "[START] kept in the output": _greedy_loop(keep_start=True),
            "steps first, (L, B)": _greedy_loop(steps_first=True),
            "float tokens": _greedy_loop(dtype="float32"),
            "memory and state swapped": _greedy_loop(swap_encode=True),
            "tokens fed as (B, 1)": _greedy_loop(token_shape=lambda b: (b, 1)),
        },
        expected_hints={
            "finished sentences keep writing": "[PAD]",
            "[END] left out of the output": "no [END]",
            "[START] kept in the output": "starts with [START]",
            "always runs max_length steps": "as soon as all are finished",
            "stops when the first sentence finishes": "still writing",
            "passes encode's state at every step": "previous decode_step returned",
            "feeds [START] at every step": "arg-max of the step before",
            "softmax without the max before the arg-max": "overflows",
            "max_length + 1 steps": "at most max_length",
            "steps first, (L, B)": "steps first",
            "float tokens": "integers",
            "memory and state swapped": "memory first",
            "tokens fed as (B, 1)": "shape (B,)",
        },
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

    def flat(scores, log_probs, order):
        batch, beams, size = log_probs.shape
        candidates = (scores[..., None] + log_probs).reshape(batch, -1)
        best = order(candidates)
        return np.take_along_axis(candidates, best, -1), best // size, best % size

    def worst_first(scores, log_probs, beam_width):
        return flat(scores, log_probs, lambda c: np.argsort(c, -1)[:, :beam_width])

    def best_k_ascending(scores, log_probs, beam_width):
        return flat(scores, log_probs, lambda c: np.argsort(c, -1)[:, -beam_width:])

    def ties_reversed(scores, log_probs, beam_width):
        return flat(
            scores,
            log_probs,
            lambda c: np.argsort(c, -1, kind="stable")[:, ::-1][:, :beam_width],
        )

    def parent_by_beam_width(scores, log_probs, beam_width):
        new_scores, parents, tokens = solutions.beam_step(scores, log_probs, beam_width)
        flat_index = parents * log_probs.shape[-1] + tokens
        return new_scores, flat_index // beam_width, tokens

    def float_indices(scores, log_probs, beam_width):
        new_scores, parents, tokens = solutions.beam_step(scores, log_probs, beam_width)
        flat_index = parents * log_probs.shape[-1] + tokens
        size = log_probs.shape[-1]
        return new_scores, np.floor(flat_index / size), flat_index % size * 1.0

    def adds_scores_in_place(scores, log_probs, beam_width):
        log_probs += scores[..., None]
        batch, beams, size = log_probs.shape
        best = np.argsort(-log_probs.reshape(batch, -1), -1)[:, :beam_width]
        chosen = np.take_along_axis(log_probs.reshape(batch, -1), best, -1)
        return chosen, best // size, best % size

    assert_check_behaviour(
        exercises.check_beam_step,
        solutions.beam_step,
        {
            "top token per beam": per_beam,
            "parents and tokens swapped": swapped,
            "previous scores ignored": without_history,
            "the K worst, ascending": worst_first,
            "the K best, worst first": best_k_ascending,
            "ties to the higher flat index": ties_reversed,
            "parent = index // K": parent_by_beam_width,
            "float parents and tokens": float_indices,
            "scores added into log_probs in place": adds_scores_in_place,
        },
        expected_hints={
            "parents and tokens swapped": "swapped",
            "previous scores ignored": "score plus",
            "the K worst, ascending": "go up",
            "the K best, worst first": "best first",
            "ties to the higher flat index": "lower flat index",
            "float parents and tokens": "integers",
            "scores added into log_probs in place": "in place",
        },
    )


def _bleu_variant(
    clip=True,
    brevity=True,
    geometric=True,
    inverted=False,
    smoothing=0,
    crash_on_zero=False,
    swapped=False,
    capped=True,
    recall=False,
    max_order=4,
):
    """BLEU with one plausible mistake. `crash_on_zero` takes log(0) as a learner
    would; otherwise a zero precision gives 0, so that each variant is caught by
    its own mistake."""

    def bleu(hypothesis, reference):
        if swapped:
            hypothesis, reference = reference, hypothesis
        precisions = []
        for n in range(1, max_order + 1):
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
            total = sum((ref if recall else hyp).values()) + smoothing
            if total == 0 and not crash_on_zero:
                precisions.append(0.0)
                continue
            precisions.append((matches + smoothing) / total)
        if geometric and min(precisions) == 0 and not crash_on_zero:
            mean = 0.0
        elif geometric:
            mean = math.exp(sum(math.log(p) for p in precisions) / max_order)
        else:
            mean = sum(precisions) / max_order
        ratio = (
            len(hypothesis) / len(reference)
            if inverted
            else len(reference) / len(hypothesis)
        )
        penalty = math.exp(1 - ratio)
        if capped:
            penalty = min(1.0, penalty)
        return 100 * (penalty if brevity else 1.0) * mean

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
            "brevity penalty not capped at 1": _bleu_variant(capped=False),
            "hypothesis and reference swapped": _bleu_variant(swapped=True),
            "recall, not precision": _bleu_variant(recall=True),
            "orders 1 to 3 only": _bleu_variant(max_order=3),
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
    def walks_the_edges(lengths, edges):
        # Moves one pointer along the edges: right only for sorted lengths.
        buckets, bucket = [], 0
        for length in lengths:
            while bucket < len(edges) and length > edges[bucket]:
                bucket += 1
            buckets.append(bucket)
        return buckets

    def sorts_the_lengths(lengths, edges):
        lengths.sort()
        return solutions.assign_buckets(lengths, edges)

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
            "fixed width, the first edge's": lambda lengths, edges: [
                min((length - 1) // edges[0], len(edges)) for length in lengths
            ],
            "no overflow bucket": lambda lengths, edges: [
                min(b, len(edges) - 1) for b in solutions.assign_buckets(lengths, edges)
            ],
            "a pointer that assumes sorted lengths": walks_the_edges,
            "sorts the lengths in place": sorts_the_lengths,
            "float buckets": lambda lengths, edges: [
                float(b) for b in solutions.assign_buckets(lengths, edges)
            ],
        },
        expected_hints={
            "edges open the next bucket": "closes",
            "sorts the lengths in place": "in place",
            "float buckets": "integers",
        },
    )


@pytest.mark.parametrize(
    ("check", "solution", "position"),
    [
        (exercises.check_gru_step, solutions.gru_step, 1),
        (
            exercises.check_shift_for_teacher_forcing,
            solutions.shift_for_teacher_forcing,
            0,
        ),
        (exercises.check_concatenate_context, solutions.concatenate_context, 1),
        (exercises.check_masked_loss, solutions.masked_loss, 1),
        (exercises.check_greedy_step, solutions.greedy_step, 0),
        (exercises.check_greedy_decode, solutions.greedy_decode, 1),
        (exercises.check_beam_step, solutions.beam_step, 1),
        (exercises.check_bleu_by_hand, solutions.bleu_by_hand, 0),
        (exercises.check_assign_buckets, solutions.assign_buckets, 0),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_checks_reject_solutions_that_edit_their_inputs(check, solution, position):
    result = check(mutating(solution, position))
    assert result.attempted and not result.passed
    assert "in place" in result.message
