"""Chapter 2: the RNN encoder-decoder (seq2seq) and how to decode with it.

- `Encoder`, `Decoder`, `Seq2Seq`: the model (Cho et al., 2014), trained with teacher
  forcing and the masked loss of `chapters.common.metrics`.
- `experiments`: the chapter's model builder and command line, on the course's
  shared experiments.

Decoding (`greedy_search`, `beam_search`) and `Translator` are taught here but live
in `chapters.common.decoding` and `chapters.common.translator`, because every later
chapter decodes with them.
"""

from chapters.ch02_encoder_decoder.decoder import Decoder
from chapters.ch02_encoder_decoder.encoder import Encoder
from chapters.ch02_encoder_decoder.model import Seq2Seq

__all__ = ["Decoder", "Encoder", "Seq2Seq"]
