"""The attention decoder of Bahdanau et al. (2015, "Neural Machine Translation by
Jointly Learning to Align and Translate").

Chapter 2's decoder received one context vector for the whole sentence. This one
keeps all the encoder's states `h_1 ... h_m` and, before every step, asks which of
them matter now. At output step `t`:

1. **Attend with the previous state.** Score every encoder state against the
   decoder's previous state, `e_ti = v_a^T tanh(W_a s_{t-1} + U_a h_i)`, turn the
   scores into weights with a softmax over the source, `α_t = softmax(e_t)`, and
   take the weighted sum `c_t = Σ_i α_ti h_i`: a context vector of its own for
   this step.
2. **Step the RNN.** Its input is the previous target word's embedding joined to
   that context, `[embed(y_{t-1}); c_t]`, so `s_t = RNN([embed(y_{t-1}); c_t],
   s_{t-1})`.
3. **Predict the word** from the new state and the context it was given:
   `logits_t = W_o [s_t; c_t] + b_o`.

The weights `α_t` are those used for the word written at step `t`; `Translator`
returns them per output token. The decoder starts from `s_0 = h_m`, the encoder's
last state, by default (`initial_state="encoder"`), or from
`s_0 = tanh(W_s h_m + b_s)` (`"projection"`, as in the paper).

Because the context of step `t` depends on the state of step `t - 1`, the steps
run one after the other in training too: `call` loops over the target with
`keras.ops.scan`, which every Keras backend compiles into one loop. The
`W_a s_{t-1}` part of the score changes at every step; the `U_a h_i` part does not,
so `memory` computes it once per sentence (`AdditiveAttention.project_keys`).
"""

import keras
from keras import ops

from chapters.ch03_attention.attention import AdditiveAttention
from chapters.common.arguments import positive_int
from chapters.common.decoding import ATTENTION_WEIGHTS

CELL_TYPES = ("gru", "simple_rnn")
INITIAL_STATES = ("encoder", "projection")
RNN_STATE = "rnn"


@keras.saving.register_keras_serializable(package="course")
class AttentionDecoder(keras.layers.Layer):
    """Writes target logits one step at a time, attending to the encoder's states.

    Args:
        vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of the target embeddings, `E`.
        hidden_units: units of the decoder RNN, `H`.
        attention_units: width `A` of the additive score's hidden layer; default
            `hidden_units`.
        cell_type: `"gru"` (what the experiments train) or `"simple_rnn"`,
            `s_t = tanh(A' [x_t; c_t; s_{t-1}] + b)`, the form lesson 3b writes
            out by hand.
        initial_state: `"encoder"`, `s_0 = h_m` (the encoder needs `H` units), or
            `"projection"`, `s_0 = tanh(W_s h_m + b_s)`.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        token_ids: int tensor `(B, T)`: `[START]` and the target tokens (teacher
            forcing), right-padded with `[PAD]`.
        state: the dict from `initial_state_from` (or a previous call).
        memory: the dict from `memory_from`.
        training: Python bool.

    Returns:
        `(logits, weights, state)`: logits `(B, T, V)`, attention weights
        `(B, T, S)` (row `t` is what the word of step `t` attended to), and the
        state after the last step.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_units,
        attention_units=None,
        cell_type="gru",
        initial_state="encoder",
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
        if cell_type not in CELL_TYPES:
            raise ValueError(
                f"cell_type must be one of {CELL_TYPES}. Received: "
                f"cell_type={cell_type!r}"
            )
        if initial_state not in INITIAL_STATES:
            raise ValueError(
                f"initial_state must be one of {INITIAL_STATES}. Received: "
                f"initial_state={initial_state!r}"
            )
        self.cell_type = cell_type
        self.initial_state = initial_state
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="embedding"
        )
        self.attention = AdditiveAttention(self.attention_units, name="attention")
        cell_class = (
            keras.layers.GRUCell if cell_type == "gru" else keras.layers.SimpleRNNCell
        )
        self.cell = cell_class(self.hidden_units, name="cell")
        self.bridge = (
            keras.layers.Dense(self.hidden_units, activation="tanh", name="bridge")
            if initial_state == "projection"
            else None
        )
        self.output_projection = keras.layers.Dense(self.vocabulary_size, name="logits")

    def build(self, token_ids_shape, encoder_outputs_shape):
        batch, context_width = encoder_outputs_shape[0], encoder_outputs_shape[-1]
        self.embedding.build(token_ids_shape)
        self.attention.build(
            (batch, None, self.hidden_units), tuple(encoder_outputs_shape)
        )
        if self.bridge is not None:
            self.bridge.build((batch, context_width))
        self.cell.build((batch, self.embedding_dim + context_width))
        self.output_projection.build((batch, None, self.hidden_units + context_width))
        self.built = True

    def memory_from(self, encoder_outputs, padding_mask):
        """What every step reads and none changes: the encoder's states `(B, S, C)`,
        their keys `U_a h_i` `(B, S, A)`, computed once here, and the source
        padding mask `(B, S)`."""
        return {
            "values": encoder_outputs,
            "keys": self.attention.project_keys(encoder_outputs),
            "padding_mask": padding_mask,
        }

    def initial_state_from(self, last_encoder_state, padding_mask):
        """The state before the first step: `s_0`, and zero attention weights.

        Args:
            last_encoder_state: `(B, C)` the encoder's last state `h_m`.
            padding_mask: `(B, S)`, for the shape of the weights.

        Raises:
            ValueError: `initial_state="encoder"` and `C` is not `hidden_units`.
        """
        if self.bridge is not None:
            first = self.bridge(last_encoder_state)
        else:
            width = last_encoder_state.shape[-1]
            if width is not None and width != self.hidden_units:
                raise ValueError(
                    "initial_state='encoder' copies the encoder's last state, so it "
                    f"needs {self.hidden_units} units. Received: width {width}; use "
                    "initial_state='projection' or equal sizes."
                )
            first = last_encoder_state
        return {
            RNN_STATE: first,
            ATTENTION_WEIGHTS: ops.zeros(ops.shape(padding_mask), dtype=first.dtype),
        }

    def _step(self, embedding, previous, memory, training=None):
        # 1. Attend with the previous state: one query per sentence, (B, 1, H).
        query = ops.expand_dims(previous, 1)
        context, weights = self.attention.attend(
            query,
            memory["values"],
            memory["keys"],
            value_mask=memory["padding_mask"],
        )
        context, weights = context[:, 0], weights[:, 0]  # (B, C), (B, S)
        # 2. Step the RNN on [embed(y_{t-1}); c_t].
        rnn_input = ops.concatenate([embedding, context], axis=-1)  # (B, E + C)
        state, _ = self.cell(rnn_input, [previous], training=training)
        return state, context, weights  # (B, H), (B, C), (B, S)

    def call(self, token_ids, state, memory, training=None):
        embedded = self.embedding(token_ids)  # (B, T, E)
        time_major = ops.transpose(embedded, (1, 0, 2))  # (T, B, E)

        def scan_step(previous, embedding):
            # The carry has the structure of the outputs (Keras' TensorFlow scan
            # needs that); only its state is read.
            outputs = self._step(embedding, previous[0], memory, training)
            return outputs, outputs

        first = state[RNN_STATE]
        values = memory["values"]
        carry = (
            first,
            ops.zeros((ops.shape(values)[0], ops.shape(values)[2]), first.dtype),
            state[ATTENTION_WEIGHTS],
        )
        (last, _, _), (states, contexts, weights) = ops.scan(
            scan_step, carry, time_major
        )
        # 3. Predict every word from [s_t; c_t], all steps at once.
        outputs = ops.concatenate([states, contexts], axis=-1)  # (T, B, H + C)
        logits = self.output_projection(ops.transpose(outputs, (1, 0, 2)))
        weights = ops.transpose(weights, (1, 0, 2))  # (B, T, S)
        return logits, weights, {RNN_STATE: last, ATTENTION_WEIGHTS: weights[:, -1]}

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
        new_state, context, weights = self._step(
            embedding, state[RNN_STATE], memory, training=False
        )
        logits = self.output_projection(ops.concatenate([new_state, context], -1))
        return logits, {RNN_STATE: new_state, ATTENTION_WEIGHTS: weights}

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
            attention_units=self.attention_units,
            cell_type=self.cell_type,
            initial_state=self.initial_state,
        )
        return config
