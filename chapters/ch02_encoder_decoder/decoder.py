"""The RNN decoder of a sequence-to-sequence model, with the context vector fed to
every step (Cho et al., 2014, "Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation").

The decoder starts from the context vector `c`, in one of two ways
(`initial_state`): `"projection"` (the default), `s_0 = tanh(W_s c + b_s)`, as in Cho
et al. (2014) and Bahdanau et al. (2015); or `"encoder"`, `s_0 = h_m`, the encoder's
last state itself, as in Sutskever et al. (2014, "Sequence to Sequence Learning with
Neural Networks"). The projection is the default because it lets the decoder's size
differ from the encoder's (a bidirectional encoder's context has twice the units)
and learns how to read the summary; copying needs equal sizes and no weights. At
step `t` it reads the embedding of the previous target
token `y_{t-1}` (the `[START]` token at the first step) and, when
`concat_context=True`, the same context vector again: the RNN input is
`[embed(y_{t-1}); c]`, so the sentence summary cannot fade from the state as the
output grows. With `concat_context=False` the context only sets the initial state
(the design of Sutskever et al., 2014). A dense layer turns each RNN output into
logits over the target vocabulary.
"""

import keras
from keras import ops

from chapters.ch02_encoder_decoder.encoder import check_cell_type, make_rnn
from chapters.common.arguments import positive_int
from chapters.common.masks import padding_mask

INITIAL_STATES = ("projection", "encoder")


@keras.saving.register_keras_serializable(package="course")
class Decoder(keras.layers.Layer):
    """Generates target logits from previous target tokens and a context vector.

    Steps (the same in `call`, for a whole teacher-forced sequence, and in `step`,
    for one token at a time):
    1. Previous tokens `(B, T)` become embeddings `(B, T, E)`.
    2. With `concat_context=True`, the context `(B, C)` is repeated over time and
       concatenated: `(B, T, E + C)`.
    3. The RNN runs from the given states and returns its outputs `(B, T, H)`.
    4. A dense layer gives logits `(B, T, V)`.

    Args:
        vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of the target embeddings, `E`.
        hidden_units: units of the decoder RNN, `H`.
        cell_type: `"gru"` or `"lstm"`.
        concat_context: feed the context vector to the RNN at every step.
        initial_state: `"projection"`, `s_0 = tanh(W_s c + b_s)`, or `"encoder"`,
            `s_0 = h_m` (the encoder's final states, which must have `H` units).
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        token_ids: int tensor `(B, T)`: `[START]` followed by the target tokens
            (teacher forcing), right-padded with `[PAD]`.
        states: list of initial states, each `(B, H)`, from `initial_states`.
        context: `(B, C)` context vector.
        training: Python bool.

    Returns:
        `(logits, states)`: logits `(B, T, V)` and the list of final states.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_units,
        cell_type="gru",
        concat_context=True,
        initial_state="projection",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.hidden_units = positive_int(hidden_units, "hidden_units")
        self.cell_type = check_cell_type(cell_type)
        self.concat_context = bool(concat_context)
        if initial_state not in INITIAL_STATES:
            raise ValueError(
                f"initial_state must be one of {INITIAL_STATES}. "
                f"Received: initial_state={initial_state!r}"
            )
        self.initial_state = initial_state
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="embedding"
        )
        # One bridge per state: h for a GRU, h and the cell state for an LSTM;
        # none when the encoder's states are copied.
        self.state_count = 1 if self.cell_type == "gru" else 2
        self.bridges = [
            keras.layers.Dense(
                self.hidden_units, activation="tanh", name=f"bridge_{index}"
            )
            for index in range(self.state_count if initial_state == "projection" else 0)
        ]
        self.rnn = make_rnn(self.cell_type, self.hidden_units, name="rnn")
        self.output_projection = keras.layers.Dense(self.vocabulary_size, name="logits")

    def build(self, token_ids_shape, states_shape, context_shape):
        batch = token_ids_shape[0]
        self.embedding.build(token_ids_shape)
        for bridge in self.bridges:
            # `initial_states` may have run (and built the bridges) already.
            if not bridge.built:
                bridge.build(context_shape)
        input_width = self.embedding_dim
        if self.concat_context:
            input_width += context_shape[-1]
        self.rnn.build((batch, None, input_width))
        self.output_projection.build((batch, None, self.hidden_units))
        self.built = True

    def initial_states(self, context, encoder_states=None):
        """The decoder's initial states, each `(B, H)`.

        Args:
            context: `(B, C)` the context vector, the encoder's last `h`.
            encoder_states: the encoder's final states (`[h]`, or `[h, cell]` for an
                LSTM); needed only by `initial_state="encoder"` with an LSTM.

        Returns:
            `[tanh(W_s c + b_s)]` per state with `"projection"`; the encoder's
            final states themselves (`s_0 = h_m`) with `"encoder"`.
        """
        if self.initial_state == "projection":
            return [bridge(context) for bridge in self.bridges]
        states = list(encoder_states) if encoder_states is not None else [context]
        if len(states) != self.state_count:
            raise ValueError(
                f"A {self.cell_type.upper()} decoder copying the encoder's states "
                f"needs {self.state_count} of them. Received: {len(states)}"
            )
        width = states[0].shape[-1]
        if width is not None and width != self.hidden_units:
            raise ValueError(
                "initial_state='encoder' copies the encoder's last state, so the "
                f"decoder needs as many units as the context has. Received: "
                f"context width {width}, hidden_units={self.hidden_units}; use "
                "initial_state='projection' or equal sizes."
            )
        return states

    def _rnn_inputs(self, token_ids, context):
        embedded = self.embedding(token_ids)  # (B, T, E)
        if not self.concat_context:
            return embedded
        steps = ops.shape(token_ids)[1]
        repeated = ops.repeat(ops.expand_dims(context, 1), steps, axis=1)  # (B, T, C)
        return ops.concatenate([embedded, repeated], axis=-1)  # (B, T, E + C)

    def call(self, token_ids, states, context, training=None):
        inputs = self._rnn_inputs(token_ids, context)
        outputs, *final_states = self.rnn(
            inputs,
            initial_state=list(states),
            mask=padding_mask(token_ids),
            training=training,
        )
        return self.output_projection(outputs), final_states  # (B, T, V)

    def step(self, token_ids, states, context):
        """One decoding step, as `call` would compute it at that position.

        Args:
            token_ids: `(B,)` the previous token of every sentence.
            states: list of states, each `(B, H)`.
            context: `(B, C)`.

        Returns:
            `(logits, states)`: logits `(B, V)` and the new list of states.
        """
        inputs = self._rnn_inputs(ops.expand_dims(token_ids, 1), context)[:, 0]
        # The cell alone runs one step without the RNN layer's time loop.
        output, new_states = self.rnn.cell(inputs, list(states), training=False)
        return self.output_projection(output), list(new_states)  # (B, V)

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
            cell_type=self.cell_type,
            concat_context=self.concat_context,
            initial_state=self.initial_state,
        )
        return config
