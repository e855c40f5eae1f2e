"""Greedy decoding and beam search for any model that follows the translation model
protocol (`encode` and `decode_step`, see `translator.py`).

Chapter 2 teaches both searches; every later chapter decodes with them.

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

Attention weights: when a model's decoding `state` is a dict holding
`ATTENTION_WEIGHTS` (`"attention_weights"`, shape `(B, ..., S)`), every
`decode_step` leaves there the weights it used for the token it scores, and both
searches collect them, aligned with the tokens they return.

Tracing: `beam_search(..., trace=True)` also returns what the search kept at every
step (and the best candidates it dropped), so that the tree it grew can be drawn
(`chapters.ch02_encoder_decoder.drawings.draw_beam_tree`).
"""

import functools

import tensorflow as tf

from chapters.common.vocabulary import END_ID, PAD_ID, START_ID

# The key of a decoding state under which a model exposes its attention weights.
ATTENTION_WEIGHTS = "attention_weights"


def _attention_weights(state):
    """The attention weights a decoding state exposes, or None."""
    if isinstance(state, dict):
        return state.get(ATTENTION_WEIGHTS)
    return None


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
        once every sentence is finished. When the model exposes attention weights
        (see the module docstring), also `"attention_weights"` `(B, L, ..., S)`:
        row `t` holds the weights the model used to choose token `t`.
    """
    memory, state = model.encode(source_ids)
    batch = tf.shape(source_ids)[0]
    tokens = tf.fill([batch], START_ID)
    finished = tf.zeros([batch], tf.bool)
    token_history = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    log_prob_history = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    collects_attention = _attention_weights(state) is not None
    if collects_attention:
        attention_rank = len(_attention_weights(state).shape)  # (B, ..., S)
    attention_history = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for step in tf.range(max_length):
        logits, state = model.decode_step(tokens, state, memory)
        if collects_attention:
            attention_history = attention_history.write(
                step, tf.cast(_attention_weights(state), tf.float32)
            )  # (B, ..., S) at this step
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
    output = {
        "tokens": tokens,
        "token_log_probs": token_log_probs,
        "scores": scores,
        "lengths": lengths,
        "finished": finished,
        "normalized_scores": _length_normalized(scores, lengths, length_penalty),
    }
    if collects_attention:
        output[ATTENTION_WEIGHTS] = tf.transpose(
            attention_history.stack(), [1, 0, *range(2, attention_rank + 1)]
        )  # (L, B, ..., S) -> (B, L, ..., S)
    return output


# What `beam_search(..., trace=True)` records at every step, each `(B, K)`.
TRACE_FIELDS = {
    "tokens": tf.int32,
    "parents": tf.int32,
    "scores": tf.float32,
    "pruned_tokens": tf.int32,
    "pruned_parents": tf.int32,
    "pruned_scores": tf.float32,
}


def _reorder_beams(values, parents):
    """`values[b, parents[b, k]]`: reorders `(B, K, ...)` along the beam axis."""
    return tf.gather(values, parents, batch_dims=1)


def beam_search(
    model, source_ids, max_length, beam_width, length_penalty=0.6, trace=False
):
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
        trace: also return, under `"trace"`, what every step kept and dropped.

    Returns:
        The dict of `greedy_search` with a beam axis after the batch axis, every
        sentence's hypotheses sorted best first by `normalized_scores`: `"tokens"`
        `(B, K, L)`, `"token_log_probs"` `(B, K, L)`, `"scores"`, `"lengths"`,
        `"finished"` and `"normalized_scores"` `(B, K)`; with attention weights,
        `"attention_weights"` `(B, K, L, ..., S)`, each hypothesis' own, reordered
        with it whenever hypotheses swap places.

        With `trace=True`, also `"trace"`, a dict of `(B, L, K)` tensors in the beam
        slots of each step, as the search left them (best score first, before the
        final ranking): `"tokens"` the token each kept hypothesis added (`[PAD]`
        when it had already finished), `"parents"` the slot, one step earlier, of
        the hypothesis it extends (0, the `[START]`, at step 0), `"scores"` its
        total log-probability; `"pruned_tokens"`, `"pruned_parents"` and
        `"pruned_scores"` the same for the `K` best candidates that did not make the
        beam (score `-inf` when there were fewer). `"final_slots"` `(B, K)`: the
        last step's slot of each returned hypothesis, so that following
        `"parents"` back from it spells its tokens.
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
    collects_attention = _attention_weights(state) is not None
    invariants = [
        (token_history, tf.TensorShape([None, beam_width, None])),
        (log_prob_history, tf.TensorShape([None, beam_width, None])),
    ]
    if collects_attention:
        # (B, K, L, ..., S), empty along L until the first step.
        weights_shape = tf.shape(_attention_weights(state))[1:]  # (..., S)
        attention_history = tf.zeros(
            tf.concat([[batch, beam_width, 0], weights_shape], 0), tf.float32
        )
        extra_axes = [None] * (len(_attention_weights(state).shape) - 1)
        invariants.append(
            (attention_history, tf.TensorShape([None, beam_width, None, *extra_axes]))
        )
    else:
        attention_history = tf.zeros([0])
    batch_offsets = tf.range(batch)[:, tf.newaxis] * beam_width  # (B, 1)
    # One (B, K) entry per step and trace field; left empty unless `trace`.
    trace_history = {
        name: tf.TensorArray(dtype, size=0, dynamic_size=True)
        for name, dtype in TRACE_FIELDS.items()
    }
    for _ in tf.range(max_length):
        tf.autograph.experimental.set_loop_options(shape_invariants=invariants)
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
        if trace:
            # Ties go to the lower index in both top_k calls, so the first K of
            # these are the kept ones and the rest the best of the dropped.
            best_scores, best_indices = tf.math.top_k(
                tf.reshape(candidates, [batch, -1]), k=2 * beam_width
            )  # (B, 2K)
            pruned = best_indices[:, beam_width:]  # (B, K)
            step_trace = {
                "tokens": new_tokens,
                "parents": parents,
                "scores": scores,
                "pruned_tokens": pruned % vocabulary_size,
                "pruned_parents": pruned // vocabulary_size,
                "pruned_scores": best_scores[:, beam_width:],
            }
            trace_history = {
                name: history.write(history.size(), step_trace[name])
                for name, history in trace_history.items()
            }
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
        if collects_attention:
            step_weights = _attention_weights(state)  # (B*K, ..., S)
            step_weights = tf.reshape(
                tf.cast(step_weights, tf.float32),
                tf.concat([[batch, beam_width], tf.shape(step_weights)[1:]], 0),
            )  # (B, K, ..., S), by the parents' slots
            attention_history = tf.concat(
                [
                    _reorder_beams(attention_history, parents),
                    _reorder_beams(step_weights, parents)[:, :, tf.newaxis],
                ],
                axis=2,
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
    output = {
        "tokens": token_history,
        "token_log_probs": log_prob_history,
        "scores": scores,
        "lengths": lengths,
        "finished": finished,
        "normalized_scores": normalized,
    }
    if collects_attention:
        output[ATTENTION_WEIGHTS] = attention_history
    output = {key: _reorder_beams(value, order) for key, value in output.items()}
    if trace:
        output["trace"] = {
            name: tf.transpose(history.stack(), [1, 0, 2])  # (L, B, K) -> (B, L, K)
            for name, history in trace_history.items()
        }
        output["trace"]["final_slots"] = order
    return output


def compile_search(search, model, **options):
    """`search(model, source_ids, **options)` as one compiled `tf.function`.

    The model and the options are fixed; the function accepts any `(B, S)` int32
    batch without retracing.
    """
    return tf.function(
        functools.partial(search, model, **options),
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )
