"""Greedy decoding and beam search for any model that follows the translation model
protocol (`encode` and `decode_step`, see `translator.py`).

Both searches are written once, with TensorFlow ops and ordinary Python control flow.
Called as they are, they run eagerly: a readable Python loop with one model call per
generated token, the reference. Wrapped in `tf.function` (see `compile_search`),
AutoGraph turns the same loop into a `tf.while_loop`, so the whole search runs as
one compiled graph. Tests check that both give the same tokens.

Beam search keeps the `K` best partial translations of every sentence by total
log-probability. A finished hypothesis (one that produced `[END]`) stays in the beam
with its score frozen; at the end, hypotheses are ranked by the length-normalized
score `log p(y) / |y| ** alpha` (Wu et al., 2016, use a smoothed variant), because raw
log-probabilities favour short outputs.
"""

import functools

import tensorflow as tf

from chapters.common.text import END_ID, PAD_ID, START_ID


def _length_normalized(scores, lengths, length_penalty):
    """`scores / lengths ** length_penalty`, with lengths of at least one token."""
    lengths = tf.cast(tf.maximum(lengths, 1), scores.dtype)
    return scores / lengths**length_penalty


def greedy_search(model, source_ids, max_length, length_penalty=0.0):
    """Picks the most probable next token at every step.

    Args:
        model: a translation model (`encode`, `decode_step`).
        source_ids: `(B, S)` int32 source ids, right-padded.
        max_length: most tokens generated per sentence, `[END]` included.
        length_penalty: `alpha` of the reported `normalized_scores`.

    Returns:
        A dict of tensors: `"tokens"` `(B, L)` int32 (`[PAD]` after `[END]`),
        `"token_log_probs"` `(B, L)` (0 after `[END]`), `"scores"` `(B,)` the sum of
        the token log-probabilities, `"lengths"` `(B,)` tokens generated, `[END]`
        included, `"finished"` `(B,)` whether `[END]` came before the length cap,
        and `"normalized_scores"` `(B,)`. `L <= max_length`: the loop stops early
        once every sentence is finished.
    """
    memory, state = model.encode(source_ids)
    batch = tf.shape(source_ids)[0]
    tokens = tf.fill([batch], START_ID)
    finished = tf.zeros([batch], tf.bool)
    token_history = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    log_prob_history = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for step in tf.range(max_length):
        logits, state = model.decode_step(tokens, state, memory)
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))  # (B, V)
        best = tf.argmax(log_probs, axis=-1, output_type=tf.int32)  # (B,)
        best_log_probs = tf.gather(log_probs, best, batch_dims=1)  # (B,)
        # Finished sentences only pad, at no cost.
        tokens = tf.where(finished, PAD_ID, best)
        token_history = token_history.write(step, tokens)
        log_prob_history = log_prob_history.write(
            step, tf.where(finished, 0.0, best_log_probs)
        )
        finished = finished | tf.equal(tokens, END_ID)
        if tf.reduce_all(finished):
            break
    tokens = tf.transpose(token_history.stack())  # (B, L)
    token_log_probs = tf.transpose(log_prob_history.stack())  # (B, L)
    lengths = tf.reduce_sum(tf.cast(tf.not_equal(tokens, PAD_ID), tf.int32), axis=1)
    scores = tf.reduce_sum(token_log_probs, axis=1)
    return {
        "tokens": tokens,
        "token_log_probs": token_log_probs,
        "scores": scores,
        "lengths": lengths,
        "finished": finished,
        "normalized_scores": _length_normalized(scores, lengths, length_penalty),
    }


def _reorder_beams(values, parents):
    """`values[b, parents[b, k]]`: reorders `(B, K, ...)` along the beam axis."""
    return tf.gather(values, parents, batch_dims=1)


def beam_search(model, source_ids, max_length, beam_width, length_penalty=0.6):
    """Keeps the `beam_width` best partial translations of every sentence.

    Steps, at every position:
    1. Run the decoder once for all `B * K` hypotheses.
    2. Candidate score = hypothesis score + log p(token); a finished hypothesis has a
       single candidate, `[PAD]`, at no cost, so it keeps its score.
    3. Keep the top `K` of the `K * V` candidates of each sentence; `index // V` is
       the hypothesis it extends (its parent), `index % V` the new token.
    4. Reorder the states and histories by parent, then append the new tokens.

    Args:
        model: a translation model (`encode`, `decode_step`).
        source_ids: `(B, S)` int32 source ids, right-padded.
        max_length: most tokens generated per hypothesis, `[END]` included.
        beam_width: hypotheses kept per sentence, `K`.
        length_penalty: `alpha` in `score / length ** alpha`, used to rank the final
            hypotheses; 0 ranks by total log-probability.

    Returns:
        The dict of `greedy_search` with a beam axis after the batch axis, every
        sentence's hypotheses sorted best first by `normalized_scores`: `"tokens"`
        `(B, K, L)`, `"token_log_probs"` `(B, K, L)`, `"scores"`, `"lengths"`,
        `"finished"` and `"normalized_scores"` `(B, K)`.
    """
    memory, state = model.encode(source_ids)
    batch = tf.shape(source_ids)[0]

    def tile(tensor):  # (B, ...) -> (B * K, ...), each sentence's copies adjacent
        return tf.repeat(tensor, beam_width, axis=0)

    memory = tf.nest.map_structure(tile, memory)
    state = tf.nest.map_structure(tile, state)
    tokens = tf.fill([batch * beam_width], START_ID)
    # Only the first copy of each sentence is live at the start, so that the first
    # step does not pick the same token K times.
    first_live = tf.constant([0.0] + [-float("inf")] * (beam_width - 1))
    scores = tf.tile(first_live[tf.newaxis], [batch, 1])  # (B, K)
    finished = tf.zeros([batch, beam_width], tf.bool)
    lengths = tf.zeros([batch, beam_width], tf.int32)
    token_history = tf.zeros([batch, beam_width, 0], tf.int32)
    log_prob_history = tf.zeros([batch, beam_width, 0], tf.float32)
    batch_offsets = tf.range(batch)[:, tf.newaxis] * beam_width  # (B, 1)
    for _ in tf.range(max_length):
        tf.autograph.experimental.set_loop_options(
            shape_invariants=[
                (token_history, tf.TensorShape([None, beam_width, None])),
                (log_prob_history, tf.TensorShape([None, beam_width, None])),
            ]
        )
        # 1. One decoder step for every hypothesis.
        logits, state = model.decode_step(tokens, state, memory)
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32))  # (B*K, V)
        vocabulary_size = tf.shape(log_probs)[-1]
        log_probs = tf.reshape(log_probs, [batch, beam_width, -1])  # (B, K, V)
        # 2. Finished hypotheses may only add [PAD], for free.
        pad_only = tf.where(
            tf.equal(tf.range(vocabulary_size), PAD_ID), 0.0, -float("inf")
        )  # (V,)
        log_probs = tf.where(finished[..., tf.newaxis], pad_only, log_probs)
        candidates = scores[..., tf.newaxis] + log_probs  # (B, K, V)
        # 3. Top K over the K * V continuations of each sentence.
        scores, indices = tf.math.top_k(
            tf.reshape(candidates, [batch, -1]), k=beam_width
        )  # (B, K)
        parents = indices // vocabulary_size  # (B, K)
        new_tokens = indices % vocabulary_size  # (B, K)
        new_log_probs = tf.gather(
            tf.reshape(log_probs, [batch, -1]), indices, batch_dims=1
        )  # (B, K)
        # 4. Follow the parents, then extend.
        was_finished = _reorder_beams(finished, parents)
        lengths = _reorder_beams(lengths, parents) + tf.cast(~was_finished, tf.int32)
        token_history = tf.concat(
            [_reorder_beams(token_history, parents), new_tokens[..., tf.newaxis]], -1
        )
        log_prob_history = tf.concat(
            [
                _reorder_beams(log_prob_history, parents),
                tf.where(was_finished, 0.0, new_log_probs)[..., tf.newaxis],
            ],
            -1,
        )
        flat_parents = tf.reshape(batch_offsets + parents, [-1])  # (B*K,)
        state = tf.nest.map_structure(
            functools.partial(tf.gather, indices=flat_parents), state
        )
        finished = was_finished | tf.equal(new_tokens, END_ID)
        tokens = tf.reshape(new_tokens, [-1])
        if tf.reduce_all(finished):
            break
    normalized = _length_normalized(scores, lengths, length_penalty)
    order = tf.argsort(normalized, axis=-1, direction="DESCENDING", stable=True)
    return {
        "tokens": _reorder_beams(token_history, order),
        "token_log_probs": _reorder_beams(log_prob_history, order),
        "scores": _reorder_beams(scores, order),
        "lengths": _reorder_beams(lengths, order),
        "finished": _reorder_beams(finished, order),
        "normalized_scores": _reorder_beams(normalized, order),
    }


def compile_search(search, model, **options):
    """`search(model, source_ids, **options)` as one compiled `tf.function`.

    The model and the options are fixed; the function accepts any `(B, S)` int32
    batch without retracing.
    """
    return tf.function(
        functools.partial(search, model, **options),
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )
