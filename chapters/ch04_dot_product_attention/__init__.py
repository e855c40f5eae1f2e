"""Chapter 4: dot-product attention (Luong et al., 2015; Vaswani et al., 2017).

- `attention`: `LuongAttention` (the `dot`, `general` and `concat` scores) and
  `ScaledDotProductAttention` (`softmax(Q K^T / √d_k) V`), both on chapter 3's
  `BaseAttention`.
- `scaling`: why `√d_k`, measured: score variance, softmax saturation and its
  gradient against the keys' width.
- `LuongDecoder`, `LuongSeq2Seq`: the decoder that attends after its RNN step,
  with the current state, and the translation model around it.
- `experiments`: the chapter's builder and command line (Luong against additive).
"""

from chapters.ch04_dot_product_attention.attention import (
    LuongAttention,
    ScaledDotProductAttention,
)
from chapters.ch04_dot_product_attention.decoder import LuongDecoder
from chapters.ch04_dot_product_attention.model import LuongSeq2Seq

__all__ = [
    "LuongAttention",
    "LuongDecoder",
    "LuongSeq2Seq",
    "ScaledDotProductAttention",
]
