"""The RNN encoder-decoder with additive attention (Bahdanau et al., 2015).

The encoder is chapter 2's: a GRU over the source characters that returns its
state at every step, `h_1 ... h_m`, zeros at padding, and a padding mask. Chapter
2's decoder kept only the last state; `AttentionDecoder` keeps them all and picks
from them at every step. Training (`call`) is teacher forcing, as in chapter 2;
inference goes through the translation model protocol (see
`chapters/common/README.md`), and every decoder state carries the step's attention
weights, so `Translator` returns one row of weights per output token.

`AttentionEncoderDecoder` holds what does not depend on the decoder (the encoder,
the protocol, teacher-forced weights); chapter 4's Luong model reuses it with its
own decoder.
"""

import keras

from chapters.ch02_encoder_decoder.encoder import Encoder
from chapters.ch03_attention.decoder import AttentionDecoder
from chapters.common.arguments import positive_int


class AttentionEncoderDecoder(keras.Model):
    """Chapter 2's GRU encoder and an attention decoder: what every attention
    model of the course shares. Subclasses choose the decoder.

    The decoder must offer `memory_from(encoder_outputs, padding_mask)`,
    `initial_state_from(last_encoder_state, padding_mask)`,
    `call(token_ids, state, memory) -> (logits, weights, state)`,
    `step(token_ids, state, memory) -> (logits, state)` and
    `build(token_ids_shape, encoder_outputs_shape)`, as `AttentionDecoder` does.

    Args:
        source_vocabulary_size: number of source token ids.
        target_vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of the source embeddings (the decoder has its own).
        hidden_units: units of the encoder GRU.
        decoder: the attention decoder layer.
        **kwargs: passed on to `keras.Model`.

    Call arguments:
        inputs: a pair `(source_ids, decoder_input_ids)` of int tensors `(B, S)`
            and `(B, T)`, right-padded with `[PAD]`; the decoder inputs start with
            `[START]` (teacher forcing).
        training: Python bool.

    Returns:
        Logits `(B, T, V)` for the next target token at every position.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim,
        hidden_units,
        decoder,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.source_vocabulary_size = positive_int(
            source_vocabulary_size, "source_vocabulary_size"
        )
        self.target_vocabulary_size = positive_int(
            target_vocabulary_size, "target_vocabulary_size"
        )
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.hidden_units = positive_int(hidden_units, "hidden_units")
        self.encoder = Encoder(
            self.source_vocabulary_size,
            self.embedding_dim,
            self.hidden_units,
            name="encoder",
        )
        self.decoder = decoder

    def build(self, input_shape):
        source_shape, target_shape = input_shape
        self.encoder.build(source_shape)
        outputs_shape = (source_shape[0], source_shape[1], self.encoder.context_size)
        self.decoder.build(target_shape, outputs_shape)
        self.built = True

    def _encode(self, source_ids, training):
        encoded = self.encoder(source_ids, training=training)
        memory = self.decoder.memory_from(encoded["outputs"], encoded["padding_mask"])
        state = self.decoder.initial_state_from(
            encoded["context"], encoded["padding_mask"]
        )
        return memory, state

    def call(self, inputs, training=None):
        logits, _ = self._teacher_forced(inputs, training)
        return logits  # (B, T, V)

    def _teacher_forced(self, inputs, training=None):
        source_ids, decoder_input_ids = inputs
        memory, state = self._encode(source_ids, training)
        logits, weights, _ = self.decoder(
            decoder_input_ids, state, memory, training=training
        )
        return logits, weights

    def attention_weights(self, inputs):
        """The weights `(B, T, S)` each teacher-forced step puts on the source.

        Args:
            inputs: `(source_ids, decoder_input_ids)`, as for `call`.
        """
        return self._teacher_forced(inputs, training=False)[1]

    def encode(self, source_ids):
        """Protocol method: reads the source once.

        Returns:
            `(memory, state)`: `memory` holds the encoder's states `"values"`
            `(B, S, H)`, their projected `"keys"` and the `"padding_mask"`
            `(B, S)`; `state` holds the decoder's states and zero
            `"attention_weights"` `(B, S)`.
        """
        return self._encode(source_ids, training=False)

    def decode_step(self, token_ids, state, memory):
        """Protocol method: one decoder step; see the decoder's `step`."""
        return self.decoder.step(token_ids, state, memory)

    def get_config(self):
        config = super().get_config()
        config.update(
            source_vocabulary_size=self.source_vocabulary_size,
            target_vocabulary_size=self.target_vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
        )
        return config


@keras.saving.register_keras_serializable(package="course")
class AttentionSeq2Seq(AttentionEncoderDecoder):
    """A GRU encoder and an additive-attention decoder (`AttentionDecoder`).

    Args:
        source_vocabulary_size: number of source token ids.
        target_vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of both embeddings.
        hidden_units: units of the encoder GRU and of the decoder RNN.
        attention_units: width of the additive score's hidden layer; default
            `hidden_units`.
        cell_type: the decoder's RNN, `"gru"` or `"simple_rnn"`.
        initial_state: `"encoder"`, `s_0 = h_m`, or `"projection"`,
            `s_0 = tanh(W_s h_m + b_s)`.
        **kwargs: passed on to `keras.Model`.

    Call arguments and returns: those of `AttentionEncoderDecoder`.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=128,
        hidden_units=256,
        attention_units=None,
        cell_type="gru",
        initial_state="encoder",
        **kwargs,
    ):
        decoder = AttentionDecoder(
            positive_int(target_vocabulary_size, "target_vocabulary_size"),
            positive_int(embedding_dim, "embedding_dim"),
            positive_int(hidden_units, "hidden_units"),
            attention_units=attention_units,
            cell_type=cell_type,
            initial_state=initial_state,
            name="decoder",
        )
        super().__init__(
            source_vocabulary_size,
            target_vocabulary_size,
            embedding_dim,
            hidden_units,
            decoder,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            attention_units=self.decoder.attention_units,
            cell_type=self.decoder.cell_type,
            initial_state=self.decoder.initial_state,
        )
        return config
