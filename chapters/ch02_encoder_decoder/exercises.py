"""Checks for the exercises of chapter 2 (a GRU step, teacher forcing, the masked
loss, greedy decoding, beam search, BLEU, length buckets).

Each check runs a learner's function on small cases whose answers come from a hand
computation, from Keras or the chapter's own code, or from sacrebleu, and prints a
pass or a hint. The greedy loop is checked on `_CopyingModel`, a translation model
made by hand whose every output is known. The worked solutions are in
`solutions/ch02_solutions.py`.
"""

import keras
import numpy as np
import sacrebleu

from chapters.common.checks import (
    Hint,
    call_with_copies,
    exercise_check,
    expect_close,
    expect_equal,
    expect_shape,
)
from chapters.common.pipeline import teacher_forcing_shift
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID


def _log_softmax(logits):
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _expect_integers(value, what: str, needed_for: str) -> None:
    """Raise `Hint` unless `value` holds integers (any width), as ids must be."""
    if not np.issubdtype(np.asarray(value).dtype, np.integer):
        raise Hint(
            f"{what} has dtype {np.asarray(value).dtype}, expected integers: "
            f"{needed_for}. Keep integer arrays integer (// rather than / and "
            "np.floor, np.zeros(..., dtype=int)), or cast with .astype(int)."
        )


def _sigmoid(values):
    return 0.5 * (1.0 + np.tanh(0.5 * values))  # Never overflows.


def _gru_slips(inputs, state, kernel, recurrent_kernel, bias) -> dict:
    """What three common slips make of a GRU step, keyed by the hint for each."""
    units = state.shape[1]
    input_z, input_r, input_h = np.split(inputs @ kernel + bias[0], 3, axis=1)
    state_z, state_r, state_h = np.split(state @ recurrent_kernel + bias[1], 3, axis=1)
    update = _sigmoid(input_z + state_z)
    reset = _sigmoid(input_r + state_r)
    candidate = np.tanh(input_h + reset * state_h)
    reset_first = np.tanh(
        input_h
        + (reset * state) @ recurrent_kernel[:, 2 * units :]
        + bias[1, 2 * units :]
    )
    swapped_update = _sigmoid(input_r + state_r)
    swapped_candidate = np.tanh(input_h + _sigmoid(input_z + state_z) * state_h)
    return {
        "the update gate works the other way round here: Keras keeps z of the old "
        "state, h_t = z * h_{t-1} + (1 - z) * h~ (some papers swap z and 1 - z).": (
            (1 - update) * state + update * candidate
        ),
        "with reset_after=True (Keras' default) the reset gate multiplies the "
        "recurrent product, r * (h_{t-1} U_h + b'_h), not h_{t-1} before it.": (
            update * state + (1 - update) * reset_first
        ),
        "z and r are swapped: the kernel's three column blocks are z, r, h, in "
        "that order (kernel[:, :H] is z).": (
            swapped_update * state + (1 - swapped_update) * swapped_candidate
        ),
    }


@exercise_check("one GRU step from its weights")
def check_gru_step(gru_step):
    """`gru_step(inputs (B, F), state (B, H), kernel (F, 3H), recurrent_kernel
    (H, 3H), bias (2, 3H)) -> (B, H)`, as `keras.layers.GRU` computes it."""
    rng = np.random.default_rng(11)
    batch, features, units = 3, 2, 4
    kernel = rng.normal(size=(features, 3 * units)).astype("float32")
    recurrent_kernel = rng.normal(size=(units, 3 * units)).astype("float32")
    bias = rng.normal(size=(2, 3 * units)).astype("float32")
    layer = keras.layers.GRU(units, return_state=True)
    layer.build((batch, 1, features))
    layer.set_weights([kernel, recurrent_kernel, bias])
    names = ("inputs", "state", "kernel", "recurrent_kernel", "bias")
    # The non-zero state first: from a zero state several slips give the same.
    for name, state_scale in (("a non-zero state", 1.0), ("a zero state", 0.0)):
        inputs = rng.normal(size=(batch, features)).astype("float32")
        state = state_scale * rng.uniform(-1, 1, size=(batch, units)).astype("float32")
        _, expected = layer(inputs[:, None, :], initial_state=state)
        weights = (inputs, state, kernel, recurrent_kernel, bias)
        result = call_with_copies(gru_step, *weights, names=names)
        what = f"gru_step from {name}"
        expect_shape(result, (batch, units), what)
        result = np.asarray(result, dtype="float64")
        expected = keras.ops.convert_to_numpy(expected)
        if not np.allclose(result, expected, atol=1e-5):
            for hint, slipped in _gru_slips(*weights).items():
                if np.allclose(result, slipped, atol=1e-5):
                    raise Hint(f"{what}: {hint}")
        expect_close(
            result, expected, f"{what} (compared with keras.layers.GRU)", atol=1e-5
        )


@exercise_check("teacher-forcing shift")
def check_shift_for_teacher_forcing(shift_for_teacher_forcing):
    """`shift_for_teacher_forcing(target_ids (B, T)) -> (inputs, targets)`, each
    `(B, T + 1)` integer ids."""
    # Lengths 2, 4, 1 (not sorted); id 1 is [UNK], a real token.
    target_ids = np.array(
        [[7, 8, PAD_ID, PAD_ID], [5, 1, 6, 9], [4, PAD_ID, PAD_ID, PAD_ID]], "int32"
    )
    inputs, targets = call_with_copies(
        shift_for_teacher_forcing, target_ids, names=("target_ids",)
    )
    expected_inputs, expected_targets = (
        np.asarray(x) for x in teacher_forcing_shift(target_ids)
    )
    expect_shape(inputs, (3, 5), "decoder inputs")
    expect_shape(targets, (3, 5), "decoder targets")
    for value, what in ((inputs, "decoder inputs"), (targets, "decoder targets")):
        _expect_integers(value, what, "they are ids the embedding looks up")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if np.array_equal(inputs, expected_targets):
        raise Hint("inputs and targets are swapped: the inputs start with [START].")
    expect_equal(inputs[:, 0], np.full(3, START_ID), "first decoder input")
    expect_equal(inputs, expected_inputs, "decoder inputs ([START] + ids)")
    if targets[0, -1] == END_ID:
        raise Hint(
            "[END] must follow each sentence's last real token, not fill the last "
            "column: a padded sentence ends earlier."
        )
    if targets[1, 3] == END_ID:
        raise Hint(
            "[END] comes too early in the second sentence: [UNK] (id 1) is a real "
            "token, so count every id that is not PAD_ID (0)."
        )
    expect_equal(targets, expected_targets, "decoder targets (ids + [END])")


@exercise_check("context concatenated to every decoder input")
def check_concatenate_context(concatenate_context):
    """`concatenate_context(embedded (B, T, E), context (B, C)) -> (B, T, E + C)`."""
    rng = np.random.default_rng(0)
    embedded = rng.normal(size=(2, 3, 4)).astype("float32")
    context = rng.normal(size=(2, 5)).astype("float32")
    result = call_with_copies(
        concatenate_context, embedded, context, names=("embedded", "context")
    )
    result = np.asarray(result)
    expect_shape(result, (2, 3, 9), "concatenate_context(embedded, context)")
    expect_close(result[..., :4], embedded, "the first E features (the embeddings)")
    expected = np.broadcast_to(context[:, None, :], (2, 3, 5))
    expect_close(
        result[..., 4:],
        expected,
        "the last C features (each sentence's own context, at every step)",
    )


@exercise_check("masked loss")
def check_masked_loss(masked_loss):
    """`masked_loss(target_ids (B, T), logits (B, T, V)) -> float`."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 4, 6)).astype("float32")
    # Lengths 2, 1, 4; token 4 repeated; [UNK] (1) and the last id (5) are real.
    targets = np.array(
        [[4, 4, PAD_ID, PAD_ID], [3, PAD_ID, PAD_ID, PAD_ID], [5, 1, 2, 4]], "int32"
    )
    names = ("target_ids", "logits")
    log_probs = _log_softmax(logits)
    token_losses = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    mask = targets != PAD_ID
    expected = token_losses[mask].mean()  # Seven real tokens.
    result = call_with_copies(masked_loss, targets, logits, names=names)
    if np.size(result) != 1:
        raise Hint(
            f"masked_loss returned {np.shape(result)} values; return one number, "
            "the mean over the real tokens of the whole batch."
        )
    result = float(np.asarray(result).reshape(()))
    if np.isclose(result, token_losses.mean(), atol=1e-4):
        raise Hint("the [PAD] positions count in your mean; mask them out.")
    if np.isclose(result, token_losses[mask].sum() / targets.size, atol=1e-4):
        raise Hint("divide by the number of real tokens, not by all positions.")
    if np.isclose(result, token_losses[targets > 1].mean(), atol=1e-4):
        raise Hint("[UNK] (id 1) is a real target token; only [PAD] (0) is left out.")
    per_sentence = (token_losses * mask).sum(1) / mask.sum(1)
    if np.isclose(result, per_sentence.mean(), atol=1e-4):
        raise Hint(
            "that is the mean of each sentence's mean: every real token must weigh "
            "the same, so divide the batch's summed loss by its number of real tokens."
        )
    expect_close(result, expected, "masked_loss(targets, logits)", atol=1e-4)
    # Logits near 1000, as a confident model gives: exp overflows without the
    # max subtracted first.
    large = 1000 * logits
    expected = -np.take_along_axis(_log_softmax(large), targets[..., None], -1)[..., 0]
    result = call_with_copies(masked_loss, targets, large, names=names)
    result = float(np.asarray(result).reshape(()))
    if not np.isfinite(result):
        raise Hint(
            f"masked_loss(targets, 1000 * logits) is {result}: exp(1000) overflows, "
            "and the log of a softmax that underflowed to 0 is -inf. Compute the "
            "log-softmax directly: shifted = logits - max, then shifted - "
            "log(sum(exp(shifted))) (the shift leaves it unchanged)."
        )
    expect_close(
        result, expected[mask].mean(), "masked_loss(targets, 1000 * logits)", rtol=1e-4
    )


@exercise_check("one greedy decoding step")
def check_greedy_step(greedy_step):
    """`greedy_step(logits (B, V), finished (B,)) -> (tokens (B,), log_probs (B,))`;
    a tie goes to the lowest id, as `np.argmax` gives it."""
    logits = np.array(
        [
            [0.1, 0.0, 0.0, 0.2, 1.0, 2.0],  # The last id wins.
            [0.0, 0.0, 0.0, 3.0, 1.0, 0.5],  # [END] wins.
            [0.0, 0.0, 0.0, 0.0, 4.0, 1.0],  # Finished: [PAD], whatever wins.
            [990.0, 0.0, 0.0, 0.0, 1000.0, 995.0],  # exp(1000) overflows.
        ],
        "float32",
    )
    finished = np.array([False, False, True, False])
    tokens, log_probs = call_with_copies(
        greedy_step, logits, finished, names=("logits", "finished")
    )
    expect_shape(tokens, (4,), "tokens")
    expect_shape(log_probs, (4,), "log_probs")
    _expect_integers(tokens, "tokens", "they are fed back to the model as ids")
    tokens = np.asarray(tokens)
    if tokens[2] == 4:
        raise Hint(
            "the finished sentence (row 2) got its arg-max, 4: a finished sentence "
            "must get [PAD] (0) whatever the logits say."
        )
    expect_equal(tokens, np.array([5, 3, PAD_ID, 4]), "tokens (the arg-max per row)")
    expected = _log_softmax(logits)[[0, 1, 3], [5, 3, 4]]
    result = np.asarray(log_probs, dtype="float64")
    if np.allclose(result[[0, 1]], logits[[0, 1], [5, 3]]):
        raise Hint("those are the logits; return log-probabilities (log-softmax).")
    if not np.isfinite(result[3]):
        raise Hint(
            f"the log-probability of row 3 (logits near 1000) is {result[3]}: "
            "exp(1000) overflows. Subtract the row's max before exp."
        )
    expect_close(
        result[[0, 1, 3]], expected, "log-probabilities of the chosen tokens", atol=1e-5
    )
    expect_close(result[2], 0.0, "log-probability added for a finished sentence")


class _CopyingModel:
    """A translation model made by hand, for the check of the greedy loop.

    It follows the translation model protocol and copies its source: at step `t`
    a sentence of `n` real tokens gets logits that peak at its source token `t`
    for `t < n`, at `[END]` for `t = n`, and after that at the vocabulary's last
    id, 9, not at `[PAD]`. The peaks are 1000 high and `[UNK]` always scores 990,
    so a softmax written without subtracting the max turns both into NaN (and
    `argmax` picks `[UNK]`, the first NaN). It also watches how it is called and
    raises `Hint` when a loop feeds it what greedy decoding would not.
    """

    vocabulary_size = 10

    def encode(self, source_ids):
        source_ids = np.asarray(source_ids)
        batch = len(source_ids)
        self.calls = 0
        memory = {"source_ids": keras.ops.convert_to_tensor(source_ids, "int32")}
        state = {
            "step": keras.ops.zeros((batch,), "int32"),
            # What this step must be fed: [START], then the last arg-max.
            "expected_input": keras.ops.full((batch,), START_ID, "int32"),
        }
        return memory, state

    def decode_step(self, token_ids, state, memory):
        if not isinstance(memory, dict) or "source_ids" not in memory:
            raise Hint(
                "decode_step got a memory that encode did not return: "
                "memory, state = model.encode(source_ids), memory first."
            )
        if not isinstance(state, dict) or "step" not in state:
            raise Hint(
                "decode_step got a state that neither encode nor decode_step "
                "returned: logits, state = model.decode_step(tokens, state, memory)."
            )
        source = keras.ops.convert_to_numpy(memory["source_ids"])
        batch, source_length = source.shape
        tokens = np.asarray(keras.ops.convert_to_numpy(token_ids))
        if tokens.shape != (batch,):
            raise Hint(
                f"decode_step takes one token per sentence, shape (B,) = ({batch},); "
                f"your loop gave it shape {tokens.shape}."
            )
        step = keras.ops.convert_to_numpy(state["step"])
        expected_input = keras.ops.convert_to_numpy(state["expected_input"])
        if self.calls and (step == 0).all():
            raise Hint(
                "decode_step got the state that encode returned a second time: pass "
                "each call the state that the previous decode_step returned."
            )
        lengths = (source != PAD_ID).sum(axis=1)
        # A finished sentence may be fed anything ([PAD] by convention).
        wrong = (step <= lengths) & (tokens != expected_input)
        if wrong.any():
            row = int(np.argmax(wrong))
            should = (
                "[START] (2), the first input of every sentence"
                if step[row] == 0
                else f"{int(expected_input[row])}, the arg-max of the step before"
            )
            raise Hint(
                f"at step {int(step[row])} sentence {row} was fed token "
                f"{int(tokens[row])}; greedy decoding feeds {should}. Take the "
                "arg-max of the logits themselves (a softmax changes nothing, and "
                "one written with exp overflows on logits this large)."
            )
        rows = np.arange(batch)
        word = source[rows, np.minimum(step, source_length - 1)]
        last_id = self.vocabulary_size - 1
        best = np.where(
            step < lengths, word, np.where(step == lengths, END_ID, last_id)
        )
        logits = np.zeros((batch, self.vocabulary_size), "float32")
        logits[:, UNK_ID] = 990.0
        logits[rows, best] = 1000.0
        self.calls += 1
        new_state = {
            "step": keras.ops.convert_to_tensor(step + 1, "int32"),
            "expected_input": keras.ops.convert_to_tensor(best, "int32"),
        }
        return keras.ops.convert_to_tensor(logits), new_state


_E, _P = END_ID, PAD_ID
_SOURCES = np.array([[4, 5, 0, 0], [6, 9, 6, 7], [8, 0, 0, 0]], "int32")
# (source ids, max_length, the tokens greedy decoding writes), worked by hand.
_GREEDY_CASES = {
    "three sentences of lengths 2, 4 and 1": (
        _SOURCES,
        10,
        [[4, 5, _E, _P, _P], [6, 9, 6, 7, _E], [8, _E, _P, _P, _P]],
    ),
    "the same sentences with max_length=3": (
        _SOURCES,
        3,
        [[4, 5, _E], [6, 9, 6], [8, _E, _P]],
    ),
    "a single sentence": (np.array([[7, 4, 5]], "int32"), 10, [[7, 4, 5, _E]]),
}


@exercise_check("the greedy decoding loop")
def check_greedy_decode(greedy_decode):
    """`greedy_decode(model, source_ids (B, S), max_length) -> tokens (B, L)`,
    integer ids, `[END]` included and `[PAD]` after it; the loop stops once every
    sentence has written `[END]`, or after `max_length` tokens."""
    for case, (source_ids, max_length, expected) in _GREEDY_CASES.items():
        expected = np.array(expected)
        what = f"greedy_decode on {case}"
        tokens = call_with_copies(
            greedy_decode,
            _CopyingModel(),
            source_ids,
            max_length,
            names=("model", "source_ids", "max_length"),
        )
        tokens = np.asarray(keras.ops.convert_to_numpy(tokens))
        if tokens.ndim == 2 and tokens.shape == expected.shape[::-1] != expected.shape:
            raise Hint(
                f"{what} has shape {tokens.shape}, steps first; return (B, L), one "
                "row per sentence (np.stack(steps, axis=1))."
            )
        if tokens.ndim == 2 and len(tokens) == len(expected):
            if (tokens[:, 0] == START_ID).all():
                raise Hint(
                    f"{what} starts with [START]: it is the first input, not an "
                    "output; return only the tokens the loop chose."
                )
            steps, needed = tokens.shape[1], expected.shape[1]
            if steps > max_length:
                raise Hint(
                    f"{what} wrote {steps} tokens per sentence; at most "
                    f"max_length={max_length}, [END] included."
                )
            if steps > needed and (tokens[:, needed:] == PAD_ID).all():
                raise Hint(
                    f"{what} ran {steps} steps, but every sentence had written [END] "
                    f"after {needed}: stop the loop as soon as all are finished."
                )
            if steps < needed:
                raise Hint(
                    f"{what} stopped after {steps} steps, but a sentence was still "
                    f"writing: stop only when every sentence has written [END] (or "
                    f"after max_length={max_length} tokens)."
                )
        expect_shape(tokens, expected.shape, what)
        _expect_integers(tokens, what, "target_tokenizer.decode reads integer ids")
        if not (tokens == END_ID).any():
            raise Hint(
                f"{what} has no [END]: the [END] a sentence writes is part of its "
                "output, followed by [PAD]."
            )
        after_end = expected == PAD_ID
        if (tokens[after_end] == _CopyingModel.vocabulary_size - 1).any():
            raise Hint(
                f"{what}: after [END] a sentence still wrote its arg-max (9 here). A "
                "finished sentence must get [PAD] (0) at every later step."
            )
        expect_equal(tokens, expected, what)


def _best_candidates(scores, log_probs, beam_width):
    """The reference: `(scores, parents, tokens)` of the best candidates."""
    batch, beams, size = log_probs.shape
    candidates = (scores[..., None] + log_probs).reshape(batch, beams * size)
    # A stable sort keeps ties in the order of their flat index, as top_k does.
    best = np.argsort(-candidates, axis=-1, kind="stable")[:, :beam_width]
    return np.take_along_axis(candidates, best, -1), best // size, best % size


def _beam_case(scores, probabilities, beam_width):
    """The arguments of one case, from probabilities, and its answer."""
    with np.errstate(divide="ignore"):  # log(0) = -inf: a hypothesis not alive.
        scores = np.log(np.asarray(scores, dtype="float64"))
    log_probs = np.log(np.asarray(probabilities, dtype="float64"))
    return (scores, log_probs, beam_width), _best_candidates(
        scores, log_probs, beam_width
    )


_BEAM_CASES = {
    # Sentence 0: both best children come from hypothesis 0. Sentence 1: the
    # previous scores reverse what the log-probabilities alone would choose.
    "two sentences": _beam_case(
        [[0.7, 0.3], [0.2, 0.8]],
        [
            [[0.02, 0.03, 0.05, 0.5, 0.4], [0.01, 0.02, 0.03, 0.04, 0.9]],
            [[0.01, 0.01, 0.01, 0.07, 0.9], [0.1, 0.1, 0.1, 0.2, 0.5]],
        ],
        2,
    ),
    # The first step of a search: only hypothesis 0 is alive (score -inf for
    # the others); three of five tokens are kept.
    "the first step (only hypothesis 0 alive)": _beam_case(
        [[1.0, 0.0, 0.0]],
        [[[0.05, 0.1, 0.15, 0.3, 0.4]] * 3],
        3,
    ),
    # Two hypotheses with the same score and the same next-token distribution: the
    # tie goes to the lower flat index, hypothesis 0.
    "a tie": _beam_case(
        [[0.5, 0.5]],
        [[[0.1, 0.1, 0.2, 0.6, 0.0001], [0.1, 0.1, 0.2, 0.6, 0.0001]]],
        2,
    ),
}


@exercise_check("beam search's top-k bookkeeping")
def check_beam_step(beam_step):
    """`beam_step(scores (B, K), log_probs (B, K, V), beam_width) -> (scores, parents,
    tokens)`, each `(B, K)`, best first; ties go to the lower flat index
    `parent * V + token`."""
    for case, (arguments, expected) in _BEAM_CASES.items():
        result = call_with_copies(
            beam_step, *arguments, names=("scores", "log_probs", "beam_width")
        )
        expected_scores, expected_parents, expected_tokens = expected
        shape = expected_scores.shape
        for value, what in zip(result, ("scores", "parents", "tokens"), strict=True):
            expect_shape(value, shape, f"{what} for {case}")
        new_scores, parents, tokens = (np.asarray(value) for value in result)
        for value, what in ((parents, "parents"), (tokens, "tokens")):
            _expect_integers(
                value, f"{what} for {case}", "beam search indexes with them"
            )
        if np.array_equal(parents, expected_tokens) and np.array_equal(
            tokens, expected_parents
        ):
            raise Hint(
                "parents and tokens are swapped: parent = index // V, token = "
                "index % V."
            )
        reversed_scores = expected_scores[:, ::-1]
        if np.allclose(new_scores, reversed_scores) and not np.allclose(
            expected_scores, reversed_scores
        ):
            raise Hint(
                f"for {case} you kept the right {shape[1]} candidates, worst first: "
                "return them best first (sort by descending score)."
            )
        if (
            not np.allclose(new_scores, expected_scores, atol=1e-6)
            and (np.diff(new_scores, axis=-1) >= 0).all()
        ):
            raise Hint(
                f"for {case} your scores {np.round(new_scores, 3).tolist()} go up: "
                "keep the highest-scoring candidates, best first."
            )
        if case == "a tie" and np.array_equal(parents, expected_parents[:, ::-1]):
            raise Hint(
                "for a tie (two hypotheses with the same score and next-token "
                "probabilities) the lower flat index parent * V + token comes first, "
                "as tf.math.top_k and a stable np.argsort(-candidates) give it."
            )
        _, parents_by_log_probs, tokens_by_log_probs = _best_candidates(
            np.zeros_like(arguments[0]), *arguments[1:]
        )
        if (
            not np.array_equal(parents, expected_parents)
            and np.array_equal(parents, parents_by_log_probs)
            and np.array_equal(tokens, tokens_by_log_probs)
        ):
            raise Hint(
                f"for {case} you ranked the candidates by the new token's "
                "log-probability alone: a candidate's score is its hypothesis's "
                "score plus that log-probability."
            )
        expect_equal(parents, expected_parents, f"parents for {case}")
        expect_equal(tokens, expected_tokens, f"tokens for {case}")
        expect_close(new_scores, expected_scores, f"scores for {case}", atol=1e-6)


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
            result = float(
                call_with_copies(
                    bleu_by_hand,
                    hypothesis.split(),
                    reference.split(),
                    names=("hypothesis", "reference"),
                )
            )
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
    cases = [
        ([1, 9, 10, 11, 20, 21, 30, 31, 75], (10, 20, 30), [0, 0, 0, 1, 1, 2, 2, 3, 3]),
        # Buckets of uneven widths, lengths in no order.
        ([13, 2, 40, 6, 5, 41, 3, 12, 4], (3, 5, 12, 40), [3, 0, 3, 2, 1, 4, 0, 2, 1]),
        ([5, 15], (4, 8, 12, 16), [1, 3]),
    ]
    for lengths, edges, expected in cases:
        what = f"assign_buckets({lengths}, {edges})"
        result = call_with_copies(
            assign_buckets, lengths, edges, names=("lengths", "edges")
        )
        if np.shape(result) != (len(lengths),):
            raise Hint(
                f"{what} returned shape {np.shape(result)}; return one bucket per "
                f"length, {len(lengths)} here."
            )
        _expect_integers(result, what, "a bucket is an index")
        result = [int(bucket) for bucket in result]
        at_edges = [index for index, length in enumerate(lengths) if length in edges]
        if any(result[i] == expected[i] + 1 for i in at_edges) and all(
            result[i] == expected[i] for i in range(len(lengths)) if i not in at_edges
        ):
            raise Hint(
                f"{what}: a length equal to an edge belongs to the bucket that edge "
                "closes: 10 tokens with edges (10, 20, 30) is in 1-10, not in 11-20."
            )
        expect_equal(result, expected, what)
