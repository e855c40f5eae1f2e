"""Chapter 2: the RNN encoder-decoder (seq2seq) and how to decode with it.

- `Encoder`, `Decoder`, `Seq2Seq`: the model (Cho et al., 2014), trained with teacher
  forcing and the masked loss of `chapters.common.metrics`.
- `greedy_search`, `beam_search`: decoding for any model with the translation model
  protocol (`encode`, `decode_step`), eager or compiled (`compile_search`).
- `Translator`, `Translation`: sentences in, translations and scores out.
- `experiments`: data preparation, training, BLEU, and the length-curve experiment.
"""

from chapters.ch02_encoder_decoder.decoder import Decoder
from chapters.ch02_encoder_decoder.decoding import (
    beam_search,
    compile_search,
    greedy_search,
)
from chapters.ch02_encoder_decoder.encoder import Encoder
from chapters.ch02_encoder_decoder.model import Seq2Seq
from chapters.ch02_encoder_decoder.translator import (
    Translation,
    TranslationModel,
    Translator,
)

__all__ = [
    "Decoder",
    "Encoder",
    "Seq2Seq",
    "Translation",
    "TranslationModel",
    "Translator",
    "beam_search",
    "compile_search",
    "greedy_search",
]
