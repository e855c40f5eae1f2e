"""Chapter 5: the Transformer, from its parts.

Read in this order: `positional.py` (where a token is), `attention.py`
(multi-head attention on chapter 4's scaled dot-product attention), `blocks.py`
(the feed-forward, encoder and decoder blocks), `model.py` (the `Transformer`),
`training.py` (the warm-up schedule, label smoothing), `subwords.py` (WordPiece
for English), `experiments.py` (training it on Tatoeba), `parallelism.py` and
`comparison.py` (the measurements of lesson 05d).
"""

from chapters.ch05_transformer.attention import (
    MultiHeadAttention,
    copy_keras_weights,
    merge_heads,
    split_heads,
)
from chapters.ch05_transformer.blocks import DecoderBlock, EncoderBlock, FeedForward
from chapters.ch05_transformer.model import PRESETS, Transformer, TransformerConfig
from chapters.ch05_transformer.positional import (
    PositionalEncoding,
    positional_encoding,
)
from chapters.ch05_transformer.training import LabelSmoothedLoss, WarmupSchedule

__all__ = [
    "PRESETS",
    "LabelSmoothedLoss",
    "Transformer",
    "TransformerConfig",
    "WarmupSchedule",
    "DecoderBlock",
    "EncoderBlock",
    "FeedForward",
    "MultiHeadAttention",
    "PositionalEncoding",
    "copy_keras_weights",
    "merge_heads",
    "positional_encoding",
    "split_heads",
]
