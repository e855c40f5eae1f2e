"""Chapter 3: additive attention (Bahdanau et al., 2015).

- `attention`: `BaseAttention`, the attention layer that chapter 4 subclasses, and
  `AdditiveAttention` (alias `BahdanauAttention`), its additive score.
- `numpy_attention`: the same formula in plain NumPy, for the lessons and tests.
- `AttentionDecoder`, `AttentionSeq2Seq`: the decoder that attends before every
  step, and the translation model around it (chapter 2's encoder).
- `experiments`: the chapter's builder and command line, on the shared experiments.
- `cost`: time and memory of attention against source and target lengths.
"""

from chapters.ch03_attention.attention import (
    AdditiveAttention,
    BahdanauAttention,
    BaseAttention,
    masked_softmax,
)
from chapters.ch03_attention.decoder import AttentionDecoder
from chapters.ch03_attention.model import AttentionSeq2Seq

__all__ = [
    "AdditiveAttention",
    "AttentionDecoder",
    "AttentionSeq2Seq",
    "BahdanauAttention",
    "BaseAttention",
    "masked_softmax",
]
