"""The RNN encoder-decoder with Luong's attention (Luong et al., 2015).

Chapter 2's encoder, `LuongDecoder`, and everything chapter 3's attention model
shares (`AttentionEncoderDecoder`: the translation model protocol, attention
weights in the decoder state for `Translator`, teacher-forced weights for the
alignment scores). Only the decoder differs from chapter 3's model, so the two can
be compared on equal terms.
"""

import keras

from chapters.ch03_attention.model import AttentionEncoderDecoder
from chapters.ch04_dot_product_attention.decoder import LuongDecoder
from chapters.common.arguments import positive_int


@keras.saving.register_keras_serializable(package="course")
class LuongSeq2Seq(AttentionEncoderDecoder):
    """A GRU encoder and a Luong attention decoder.

    Args:
        source_vocabulary_size: number of source token ids.
        target_vocabulary_size: number of target token ids, `V`.
        embedding_dim: width of both embeddings.
        hidden_units: units of the encoder and decoder GRUs.
        score: `"dot"`, `"general"` or `"concat"`.
        attention_units: width of the `concat` score's hidden layer.
        scaled: divide the `dot` or `general` score by `√H`.
        input_feeding: feed the previous attentional state to the decoder's RNN
            (see `LuongDecoder`; off by default).
        **kwargs: passed on to `keras.Model`.

    Call arguments and returns: those of `AttentionEncoderDecoder`.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=128,
        hidden_units=256,
        score="general",
        attention_units=None,
        scaled=False,
        input_feeding=False,
        **kwargs,
    ):
        decoder = LuongDecoder(
            positive_int(target_vocabulary_size, "target_vocabulary_size"),
            positive_int(embedding_dim, "embedding_dim"),
            positive_int(hidden_units, "hidden_units"),
            score=score,
            attention_units=attention_units,
            scaled=scaled,
            input_feeding=input_feeding,
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
            score=self.decoder.score,
            attention_units=self.decoder.attention_units,
            scaled=self.decoder.attention.scaled,
            input_feeding=self.decoder.input_feeding,
        )
        return config
