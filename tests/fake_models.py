"""Hand-built translation models whose outputs and attention are known in advance.

Any object with `encode` and `decode_step` is a translation model; these two make the
searches and the `Translator` checkable by hand.
"""

import numpy as np
import tensorflow as tf

from chapters.common.decoding import ATTENTION_WEIGHTS
from chapters.common.vocabulary import END_ID, PAD_ID, START_ID


class MarkovModel:
    """Next-token probabilities depend only on the previous token.

    Tokens: 0 [PAD], 1 [UNK], 2 [START], 3 [END], 4 "a", 5 "b". From [START]: a 0.6,
    b 0.4. After a: [END] 0.4, a 0.3, b 0.3. After b: [END] 0.9, a 0.05, b 0.05.
    Greedy: a [END], p = 0.24. The best sequence: b [END], p = 0.36.
    """

    def __init__(self):
        table = np.full((6, 6), 1e-9)
        table[START_ID, [4, 5]] = [0.6, 0.4]
        table[4, [END_ID, 4, 5]] = [0.4, 0.3, 0.3]
        table[5, [END_ID, 4, 5]] = [0.9, 0.05, 0.05]
        table[[PAD_ID, END_ID], PAD_ID] = 1.0
        table /= table.sum(axis=1, keepdims=True)
        self.log_table = tf.constant(np.log(table), tf.float32)

    def encode(self, source_ids):
        batch = tf.shape(source_ids)[0]
        memory = {"padding_mask": tf.not_equal(source_ids, PAD_ID)}
        return memory, {"steps": tf.zeros([batch], tf.int32)}

    def decode_step(self, token_ids, state, memory):
        return tf.gather(self.log_table, token_ids), {"steps": state["steps"] + 1}


class AttendingMarkovModel(MarkovModel):
    """The Markov model, plus attention weights known in advance.

    At step `t` (from 0), after reading token `x`, it puts all its weight on source
    position `(x + t) % n`, where `n` is the sentence's real (unpadded) length, so
    the weights of every step depend on the hypothesis' own history.
    """

    def encode(self, source_ids):
        memory, state = super().encode(source_ids)
        state[ATTENTION_WEIGHTS] = tf.zeros(tf.shape(source_ids), tf.float32)
        return memory, state

    def decode_step(self, token_ids, state, memory):
        logits, new_state = super().decode_step(token_ids, state, memory)
        mask = memory["padding_mask"]  # (B, S)
        lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)  # (B,)
        position = (token_ids + state["steps"]) % lengths  # (B,)
        new_state[ATTENTION_WEIGHTS] = tf.one_hot(position, tf.shape(mask)[1])
        return logits, new_state


def expected_weights(tokens, length, source_length):
    """The weights `AttendingMarkovModel` gives while writing `tokens`."""
    previous = [START_ID, *tokens[:-1]]
    rows = np.zeros((len(tokens), source_length), np.float32)
    for step, token in enumerate(previous):
        rows[step, (token + step) % length] = 1.0
    return rows
