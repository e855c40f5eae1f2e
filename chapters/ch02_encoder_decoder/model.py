"""The RNN encoder-decoder (seq2seq) model: encoder, context vector, decoder (Cho et
al., 2014; Sutskever et al., 2014), trained with teacher forcing.

Training (`call`) is teacher forcing: the decoder reads the *true* previous target
token at every step, `[START] y_1 ... y_{T-1}`, and is scored on predicting
`y_1 ... y_T [END]`; all positions are computed in one pass. Inference cannot do
that, since the true tokens are what we want to find: it feeds the model's own
previous token back, one step at a time, through the two methods of the translation
model protocol that `Translator` relies on (see `translator.py`):

- `encode(source_ids) -> (memory, state)`
- `decode_step(token_ids, state, memory) -> (logits, state)`
"""

import keras

from chapters.ch02_encoder_decoder.decoder import Decoder
from chapters.ch02_encoder_decoder.encoder import Encoder
from chapters.common.arguments import positive_int


@keras.saving.register_keras_serializable(package="course")
class Seq2Seq(keras.Model):
    """An RNN encoder-decoder for translation.

    Args:
        source_vocabulary_size: number of source token ids.
        target_vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of both embeddings.
        hidden_units: units of the decoder RNN, and of the encoder RNN unless
            `encoder_units` is given.
        encoder_units: units of the encoder RNN, so the size of the context
            vector (twice it with `bidirectional=True`); default `hidden_units`.
            A size different from the decoder's needs
            `initial_state="projection"`, which maps one onto the other.
        cell_type: `"gru"` or `"lstm"`, for both RNNs.
        bidirectional: bidirectional encoder.
        concat_context: feed the context vector to the decoder at every step.
        initial_state: how the decoder starts: `"projection"`,
            `s_0 = tanh(W_s c + b_s)`, or `"encoder"`, `s_0 = h_m` (needs
            `bidirectional=False`); see `Decoder`.
        **kwargs: passed on to `keras.Model`.

    Call arguments:
        inputs: a pair `(source_ids, decoder_input_ids)` of int tensors `(B, S)` and
            `(B, T)`, right-padded with `[PAD]`; the decoder inputs start with
            `[START]` (teacher forcing).
        training: Python bool.

    Returns:
        Logits `(B, T, V)` for the next target token at every position.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=128,
        hidden_units=256,
        cell_type="gru",
        bidirectional=False,
        concat_context=True,
        initial_state="projection",
        encoder_units=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_units = positive_int(hidden_units, "hidden_units")
        self.encoder_units = positive_int(
            hidden_units if encoder_units is None else encoder_units, "encoder_units"
        )
        if initial_state == "encoder" and self.encoder_units != self.hidden_units:
            raise ValueError(
                "initial_state='encoder' copies the encoder's last state into the "
                "decoder, so both need the same units. Received: encoder_units="
                f"{self.encoder_units}, hidden_units={self.hidden_units}; use "
                "initial_state='projection'."
            )
        if initial_state == "encoder" and bidirectional:
            raise ValueError(
                "initial_state='encoder' copies the encoder's last state into the "
                "decoder, but a bidirectional encoder's state has twice the "
                "decoder's units. Received: bidirectional=True; use "
                "initial_state='projection'."
            )
        self.source_vocabulary_size = positive_int(
            source_vocabulary_size, "source_vocabulary_size"
        )
        self.target_vocabulary_size = positive_int(
            target_vocabulary_size, "target_vocabulary_size"
        )
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.cell_type = cell_type
        self.bidirectional = bool(bidirectional)
        self.concat_context = bool(concat_context)
        self.initial_state = initial_state
        self.encoder = Encoder(
            source_vocabulary_size,
            embedding_dim,
            self.encoder_units,
            cell_type=cell_type,
            bidirectional=bidirectional,
            name="encoder",
        )
        self.decoder = Decoder(
            target_vocabulary_size,
            embedding_dim,
            hidden_units,
            cell_type=cell_type,
            concat_context=concat_context,
            initial_state=initial_state,
            name="decoder",
        )

    def build(self, input_shape):
        source_shape, target_shape = input_shape
        self.encoder.build(source_shape)
        context_shape = (source_shape[0], self.encoder.context_size)
        self.decoder.build(target_shape, None, context_shape)
        self.built = True

    def call(self, inputs, training=None):
        source_ids, decoder_input_ids = inputs
        encoded = self.encoder(source_ids, training=training)
        context = encoded["context"]  # (B, C)
        states = self.decoder.initial_states(context, encoded["states"])
        logits, _ = self.decoder(decoder_input_ids, states, context, training=training)
        return logits  # (B, T, V)

    def encode(self, source_ids):
        """Protocol method: reads the source once.

        Args:
            source_ids: `(B, S)` int tensor, right-padded.

        Returns:
            `(memory, state)`: `memory` is a dict with `"context"` `(B, C)` and
            `"padding_mask"` `(B, S)`; `state` is the decoder's initial list of
            states, each `(B, H)`.
        """
        encoded = self.encoder(source_ids, training=False)
        memory = {
            "context": encoded["context"],
            "padding_mask": encoded["padding_mask"],
        }
        states = self.decoder.initial_states(encoded["context"], encoded["states"])
        return memory, states

    def decode_step(self, token_ids, state, memory):
        """Protocol method: one decoder step.

        Args:
            token_ids: `(B,)` the previous target token of every sentence.
            state: the list of decoder states from `encode` or the last step.
            memory: the dict from `encode`.

        Returns:
            `(logits, state)`: logits `(B, V)` and the new list of states.
        """
        return self.decoder.step(token_ids, state, memory["context"])

    def get_config(self):
        config = super().get_config()
        config.update(
            source_vocabulary_size=self.source_vocabulary_size,
            target_vocabulary_size=self.target_vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
            cell_type=self.cell_type,
            bidirectional=self.bidirectional,
            concat_context=self.concat_context,
            initial_state=self.initial_state,
            encoder_units=self.encoder_units,
        )
        return config
