"""The attention decoder of Luong et al. (2015, "Effective Approaches to
Attention-based Neural Machine Translation").

Chapter 3's decoder (Bahdanau et al., 2015) attends *before* its RNN step, with
the previous state `s_{t-1}`. Luong's attends *after* it, with the current one:

1. **Step the RNN** on the previous word's embedding (joined, with input feeding,
   to the previous attentional state `h̃_{t-1}`): `h_t = RNN(x_t, h_{t-1})`.
2. **Attend with the current state:** `α_t = softmax_s(score(h_t, h̄_s))`,
   `c_t = Σ_s α_ts h̄_s`, with Luong's `dot`, `general` or `concat` score.
3. **The attentional state** `h̃_t = tanh(W_c [c_t; h_t])` joins what the decoder
   knows and what it just read.
4. **Predict the word** from it: `logits_t = W_s h̃_t + b_s`.

Without input feeding nothing in step 1 depends on attention, so training runs
the RNN over the whole target in one Keras GRU call and attends for all steps at
once: teacher forcing is as parallel as in chapter 2. Input feeding (the paper's
default; off by default here) gives the RNN the previous `h̃_{t-1}`, so that it
knows where it looked before; then the steps run one after the other, in a
`keras.ops.scan`, as in chapter 3.
"""

import keras
from keras import ops

from chapters.ch04_dot_product_attention.attention import LuongAttention
from chapters.common.arguments import positive_int
from chapters.common.decoding import ATTENTION_WEIGHTS
from chapters.common.masks import padding_mask

RNN_STATE = "rnn"
ATTENTIONAL_STATE = "attentional"


@keras.saving.register_keras_serializable(package="course")
class LuongDecoder(keras.layers.Layer):
    """A GRU decoder that attends with its current state (Luong et al., 2015).

    Args:
        vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of the target embeddings, `E`.
        hidden_units: units of the decoder GRU, `H`; also the width of the
            attentional state. The encoder's states must have `H` units too, for
            `s_0 = h_m` and for the `dot` score.
        score: `"dot"`, `"general"` or `"concat"` (see `LuongAttention`).
        attention_units: width of the `concat` score's hidden layer; default
            `hidden_units`.
        scaled: divide the `dot` or `general` score by `√H` (see
            `LuongAttention`).
        input_feeding: feed `h̃_{t-1}` to the RNN with the embedding (the
            paper's default). Off by default here: with our GRU and Adam it
            made training much slower (lesson 4b measures it).
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments and returns: those of chapter 3's `AttentionDecoder`, whose
    interface `AttentionEncoderDecoder` relies on.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_units,
        score="general",
        attention_units=None,
        scaled=False,
        input_feeding=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.hidden_units = positive_int(hidden_units, "hidden_units")
        self.attention_units = positive_int(
            hidden_units if attention_units is None else attention_units,
            "attention_units",
        )
        self.input_feeding = bool(input_feeding)
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="embedding"
        )
        self.rnn = keras.layers.GRU(
            self.hidden_units, return_sequences=True, return_state=True, name="rnn"
        )
        self.attention = LuongAttention(
            score=score,
            units=self.attention_units if score == "concat" else None,
            scaled=scaled,
            name="attention",
        )
        self.combine = keras.layers.Dense(
            self.hidden_units, activation="tanh", use_bias=False, name="combine"
        )
        self.output_projection = keras.layers.Dense(self.vocabulary_size, name="logits")

    @property
    def score(self):
        return self.attention.score_name

    def build(self, token_ids_shape, encoder_outputs_shape):
        batch, context_width = encoder_outputs_shape[0], encoder_outputs_shape[-1]
        self.embedding.build(token_ids_shape)
        input_width = self.embedding_dim + (
            self.hidden_units if self.input_feeding else 0
        )
        self.rnn.build((batch, None, input_width))
        self.attention.build(
            (batch, None, self.hidden_units), tuple(encoder_outputs_shape)
        )
        self.combine.build((batch, None, context_width + self.hidden_units))
        self.output_projection.build((batch, None, self.hidden_units))
        self.built = True

    def memory_from(self, encoder_outputs, padding_mask):
        """The encoder's states `(B, S, C)`, their keys (`W_a h̄_s` for `general`,
        computed once here) and the source padding mask `(B, S)`."""
        return {
            "values": encoder_outputs,
            "keys": self.attention.project_keys(encoder_outputs),
            "padding_mask": padding_mask,
        }

    def initial_state_from(self, last_encoder_state, padding_mask):
        """`h_0 = h_m`, a zero attentional state `h̃_0`, and zero weights.

        Raises:
            ValueError: the encoder's state does not have `hidden_units` units.
        """
        width = last_encoder_state.shape[-1]
        if width is not None and width != self.hidden_units:
            raise ValueError(
                "The Luong decoder starts from the encoder's last state, so it "
                f"needs {self.hidden_units} units. Received: width {width}"
            )
        state = {
            RNN_STATE: last_encoder_state,
            ATTENTION_WEIGHTS: ops.zeros(
                ops.shape(padding_mask), dtype=last_encoder_state.dtype
            ),
        }
        if self.input_feeding:
            state[ATTENTIONAL_STATE] = ops.zeros_like(last_encoder_state)
        return state

    def _attend_and_combine(self, rnn_outputs, memory):
        # 2. Attend with the current states: (B, T, C) contexts, (B, T, S) weights.
        context, weights = self.attention.attend(
            rnn_outputs,
            memory["values"],
            memory["keys"],
            value_mask=memory["padding_mask"],
        )
        # 3. The attentional state tanh(W_c [c_t; h_t]): (B, T, H).
        attentional = self.combine(ops.concatenate([context, rnn_outputs], axis=-1))
        return attentional, weights

    def _fed_step(self, embedding, previous, memory, training=None):
        # 1. One RNN step on [embed(y_{t-1}); h̃_{t-1}]: (B, E + H) -> (B, H).
        rnn_input = ops.concatenate([embedding, previous[ATTENTIONAL_STATE]], -1)
        state, _ = self.rnn.cell(rnn_input, [previous[RNN_STATE]], training=training)
        attentional, weights = self._attend_and_combine(state[:, None], memory)
        return state, attentional[:, 0], weights[:, 0]

    def call(self, token_ids, state, memory, training=None):
        embedded = self.embedding(token_ids)  # (B, T, E)
        if self.input_feeding:
            attentional, weights, last = self._scan(embedded, state, memory, training)
        else:
            # 1. The whole target in one GRU call: no step depends on attention.
            rnn_outputs, last_state = self.rnn(
                embedded,
                initial_state=[state[RNN_STATE]],
                mask=padding_mask(token_ids),
                training=training,
            )
            attentional, weights = self._attend_and_combine(rnn_outputs, memory)
            last = {RNN_STATE: last_state}
        # 4. Every word from its attentional state, all steps at once.
        logits = self.output_projection(attentional)  # (B, T, V)
        last[ATTENTION_WEIGHTS] = weights[:, -1]
        return logits, weights, last

    def _scan(self, embedded, state, memory, training):
        def scan_step(previous, embedding):
            # The carry has the structure of the outputs (Keras' TensorFlow scan
            # needs that).
            new_state, attentional, weights = self._fed_step(
                embedding,
                {RNN_STATE: previous[0], ATTENTIONAL_STATE: previous[1]},
                memory,
                training,
            )
            outputs = (new_state, attentional, weights)
            return outputs, outputs

        carry = (
            state[RNN_STATE],
            state[ATTENTIONAL_STATE],
            state[ATTENTION_WEIGHTS],
        )
        (last, last_attentional, _), (_, attentional, weights) = ops.scan(
            scan_step, carry, ops.transpose(embedded, (1, 0, 2))
        )
        last_state = {RNN_STATE: last, ATTENTIONAL_STATE: last_attentional}
        return (
            ops.transpose(attentional, (1, 0, 2)),  # (B, T, H)
            ops.transpose(weights, (1, 0, 2)),  # (B, T, S)
            last_state,
        )

    def step(self, token_ids, state, memory):
        """One decoding step, as `call` computes it at that position.

        Args:
            token_ids: `(B,)` the previous token of every sentence.
            state: the dict from `initial_state_from` or the last step.
            memory: the dict from `memory_from`.

        Returns:
            `(logits, state)`: logits `(B, V)` and the new state, whose
            `"attention_weights"` `(B, S)` are this step's.
        """
        embedding = self.embedding(token_ids)  # (B, E)
        if self.input_feeding:
            new_state, attentional, weights = self._fed_step(
                embedding, state, memory, training=False
            )
        else:
            new_state, _ = self.rnn.cell(embedding, [state[RNN_STATE]], training=False)
            attentional, weights = self._attend_and_combine(new_state[:, None], memory)
            attentional, weights = attentional[:, 0], weights[:, 0]
        new = {RNN_STATE: new_state, ATTENTION_WEIGHTS: weights}
        if self.input_feeding:
            new[ATTENTIONAL_STATE] = attentional
        return self.output_projection(attentional), new

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
            score=self.score,
            attention_units=self.attention_units,
            scaled=self.attention.scaled,
            input_feeding=self.input_feeding,
        )
        return config
