"""Checks for the exercises of chapter 6: beyond the notebook.

A serving signature's first steps (strings to padded ids, in the graph), the
loss each replica contributes under data parallelism, and a softmax over masked
scores that stays finite in `float16`. Each check runs the learner's function on
cases chosen so that common slips show: a Python loop that works eagerly but not
in a graph, a sentence longer than the cap, a batch whose replicas hold different
numbers of real tokens, scores large enough to overflow `float16`, a row with
every position masked. The expected answers are computed here, never from the
worked solutions in `solutions/ch06_solutions.py`; where a wrong answer matches a
known slip, the hint names it.
"""

import numpy as np
import tensorflow as tf

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
from chapters.common.tokenizers import WordTokenizer
from chapters.common.vocabulary import PAD_ID

# A small Chinese tokenizer for the signature check: 爱, 北 and 京 are unknown.
_TOKENIZER_SENTENCES = ["我喜欢你。", "欢迎来上海！", "你们好吗？", "他在家。"]
_SIGNATURE_CASES = (
    (["我爱你。", "欢迎来北京，你们好吗？", "他。"], 6),
    (["你们在家吗？"], 4),
    (["他在家。", "我喜欢你们。"], 10),
    (["他在家。", "我喜欢你们。", "你们好。", "欢迎！", "我在上海。"], 3),
)


def _expected_source_ids(tokenizer, sentences, max_source_tokens):
    rows = [tokenizer.encode(sentence)[:max_source_tokens] for sentence in sentences]
    ids = np.full((len(rows), max(map(len, rows))), PAD_ID, np.int32)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
    return ids


@exercise_check("a serving signature's source ids")
def check_signature_source_ids(signature_source_ids):
    """`signature_source_ids(sentences, tokenizer, max_source_tokens)`: a `(B,)`
    string tensor to `(B, S)` int32 ids, each sentence cut to
    `max_source_tokens` and padded with `[PAD]` to the longest; it must also run
    inside a `tf.function` whose input signature is a batch of any size."""
    tokenizer = WordTokenizer.build(_TOKENIZER_SENTENCES, "zh")
    in_graph = tf.function(
        lambda sentences, cap: signature_source_ids(sentences, tokenizer, cap),
        input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.int32)],
    )
    for sentences, cap in _SIGNATURE_CASES:
        expected = _expected_source_ids(tokenizer, sentences, cap)
        what = f"signature_source_ids({sentences}, tokenizer, {cap})"
        result = signature_source_ids(tf.constant(sentences), tokenizer, cap)
        _check_ids(result, expected, tokenizer, sentences, cap, what)
        try:
            traced = in_graph(tf.constant(sentences), tf.constant(cap))
        except Exception as error:  # the learner's code, traced
            first_line = (str(error).strip().splitlines() or [""])[0][:200]
            raise Hint(
                f"{what} works eagerly but not inside a tf.function "
                f"({type(error).__name__}: {first_line}). A signature is a graph: "
                "no .numpy(), no Python loop over the sentences. "
                "tokenizer.tf_encode(sentences) tokenizes the whole batch in "
                "TensorFlow."
            ) from error
        _check_ids(traced, expected, tokenizer, sentences, cap, f"in a graph, {what}")


def _check_ids(result, expected, tokenizer, sentences, cap, what):
    expect_array(result, what)
    if isinstance(result, tf.RaggedTensor):
        raise Hint(f"{what} is ragged; the model reads a padded tensor: .to_tensor().")
    batch, longest = expected.shape
    untruncated = max(len(tokenizer.tokenize(sentence)) for sentence in sentences)
    if tuple(np.shape(result)) == (batch, untruncated) != expected.shape:
        raise Hint(
            f"{what} has {untruncated} columns: the longest sentence was not cut "
            f"to max_source_tokens={cap}. Slice every row: ids[:, :max_source_tokens] "
            "(ids[:max_source_tokens] would cut the batch, not the sentences)."
        )
    if tuple(np.shape(result)) == (batch, cap) != expected.shape:
        raise Hint(
            f"{what} is padded to max_source_tokens={cap} columns; pad only to the "
            f"longest sentence of the batch ({longest} here), as Translator does."
        )
    if tuple(np.shape(result))[0] != batch:
        raise Hint(
            f"{what} has {np.shape(result)[0]} rows for {batch} sentences: "
            "ids[:max_source_tokens] cuts the batch, ids[:, :max_source_tokens] "
            "each sentence."
        )
    expect_shape(result, expected.shape, what)
    expect_dtype(result, "int32", what)
    result = np.asarray(result)
    padding = expected == PAD_ID
    if not np.array_equal(result[~padding], expected[~padding]):
        raise Hint(
            f"{what} holds other ids than tokenizer.encode gives for the sentences."
        )
    expect_equal(result, expected, f"{what} (the padding, [PAD] = {PAD_ID})")


def _token_losses(seed, real_tokens, length, garbage=50.0):
    """Per-token losses `(B, T)` with `real_tokens[b]` real ones at the front of
    row `b`; padded positions hold large losses that must be ignored."""
    generator = np.random.default_rng(seed)
    mask = np.arange(length)[None, :] < np.asarray(real_tokens)[:, None]
    losses = generator.uniform(0.1, 5.0, (len(real_tokens), length))
    return np.where(mask, losses, garbage), mask


@exercise_check("the loss each replica contributes")
def check_replica_losses(replica_losses):
    """`replica_losses(token_losses, mask, num_replicas) -> (R,)`: the global
    batch `(B, T)` is split into `R` consecutive slices of `B / R` sentences;
    replica `r`'s loss is the sum of its real tokens' losses divided by the real
    tokens of the whole global batch, so that the sum over replicas (what
    all-reducing the gradients adds up) is the single-device loss."""
    cases = ((2, (5, 4, 1, 2), 6), (4, (3, 1, 7, 2, 2, 6, 1, 5), 8), (1, (2, 3), 4))
    for seed, (replicas, real_tokens, length) in enumerate(cases):
        token_losses, mask = _token_losses(seed, real_tokens, length)
        what = f"replica_losses(token_losses {token_losses.shape}, mask, {replicas})"
        result = call_named(
            replica_losses,
            {"token_losses": token_losses, "mask": mask, "num_replicas": replicas},
            "Reshape the batch axis into (R, B / R) to get each replica's slice.",
        )
        expect_array(result, what)
        expect_shape(result, (replicas,), what)
        sums = np.where(mask, token_losses, 0.0).reshape(replicas, -1, length)
        sums = sums.sum(axis=(1, 2))  # (R,)
        counts = mask.reshape(replicas, -1, length).sum(axis=(1, 2))  # (R,)
        global_tokens = mask.sum()
        if replicas > 1:
            interleaved_sums = np.array(
                [
                    np.where(mask, token_losses, 0.0)[r::replicas].sum()
                    for r in range(replicas)
                ]
            )
            first_slip(
                result,
                {
                    "each replica's loss is the mean over its own tokens; the sum "
                    "over replicas then counts each replica's mean once, whatever its "
                    "token count. Divide by the global batch's real tokens.": sums
                    / counts,
                    "the mean of the replicas' own token means (what dividing each "
                    "by R gives) weighs a replica with few tokens as much as one with "
                    "many. Divide each replica's sum by the global batch's real "
                    "tokens.": sums / counts / replicas,
                    "replicas take consecutive slices of the batch (rows 0..B/R-1 "
                    "go to replica 0), not every R-th row.": interleaved_sums
                    / global_tokens,
                },
                what,
            )
        first_slip(
            result,
            {
                "padded positions were counted: multiply by the mask (or use "
                "np.where) before summing, and count only real tokens.": np.reshape(
                    token_losses, (replicas, -1)
                ).sum(axis=1)
                / token_losses.size,
                "dividing by the number of sentences (tf.nn.compute_average_loss's "
                "global_batch_size) averages per sentence; our loss averages per "
                "real token.": sums / mask.shape[0],
            },
            what,
        )
        expect_close(result, sums / global_tokens, what)
        expect_close(
            np.sum(result), token_losses[mask].mean(), f"the sum of {what}", atol=1e-6
        )


def _stable_softmax(scores, mask):
    """The reference, in float64: masked positions weigh 0, a row masked
    everywhere gets zeros."""
    scores = scores.astype(np.float64)
    shifted = np.where(mask, scores, -np.inf)
    top = np.max(shifted, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    exponentials = np.where(mask, np.exp(shifted - top), 0.0)
    totals = exponentials.sum(axis=-1, keepdims=True)
    return np.where(totals > 0, exponentials / np.where(totals > 0, totals, 1.0), 0.0)


@exercise_check("a softmax over masked scores that float16 cannot break")
def check_masked_softmax(masked_softmax):
    """`masked_softmax(scores, mask)` over the last axis, in the scores' dtype
    (`float16` here): weights of masked positions exactly 0, no inf or NaN even
    for scores above 11 (whose exponential overflows `float16`) or for a row whose
    positions are all masked (all-zero weights)."""
    scores = np.array(
        [
            [12.0, -3.0, 20.0, 0.5],
            [-8.0, -30.0, 2.0, -5.0],
            [4.0, 1.0, 3.0, 9.0],
        ],
        dtype=np.float16,
    )
    mask = np.array(
        [
            [True, True, False, True],
            [False, True, True, False],
            [False, False, False, False],
        ]
    )
    what = "masked_softmax(scores float16 (3, 4), mask)"
    result = call_named(
        masked_softmax,
        {"scores": scores, "mask": mask},
        "np.where(mask, scores, low) keeps the shapes; keepdims=True keeps the "
        "max's axis for broadcasting.",
    )
    expect_array(result, what)
    expect_shape(result, scores.shape, what)
    expect_dtype(result, "float16", what)
    result = np.asarray(result)
    if not np.all(np.isfinite(result)):
        rows = sorted({int(row) for row in np.argwhere(~np.isfinite(result))[:, 0]})
        advice = {
            0: "row 0 has a score of 20, and exp(20) is far above float16's largest "
            "value, 65,504: subtract each row's largest unmasked score first.",
            2: "row 2 has every position masked. A large negative constant "
            "(-1e9 is -inf in float16) or -inf gives exp(-inf - (-inf)) = NaN; "
            "fill with np.finfo(scores.dtype).min, and give masked positions weight 0.",
        }
        hints = [advice.get(row, f"row {row} has inf or NaN weights.") for row in rows]
        raise Hint(f"{what} has inf or NaN in rows {rows}: " + " ".join(hints))
    expected = _stable_softmax(scores, mask)
    if np.any(result[~mask] != 0):
        raise Hint(
            f"{what} gives weight to masked positions. Set their weights to exactly "
            "0 after the softmax: np.where(mask, weights, 0); a row masked "
            "everywhere then has no weight anywhere."
        )
    expect_close(result, expected, what, atol=2e-3, rtol=2e-3)
