"""Training and evaluation metrics for translation: masked loss, masked accuracy, BLEU.

A batch of target sentences is padded with `PAD_ID` to its longest sentence.
Those padding positions are not words the model should learn to predict, so the
loss and the accuracy below count only the real (non-padding) target tokens. They
find the padding in the targets themselves, so they give the same numbers whether
or not the logits carry a Keras mask.

BLEU (Papineni et al., 2002, "BLEU: a Method for Automatic Evaluation of Machine
Translation") is computed with sacrebleu (Post, 2018, "A Call for Clarity in
Reporting BLEU Scores"), so our numbers are comparable with published ones. The
score depends on how sentences are cut into tokens, so the tokenizer follows the
target language: `13a` (sacrebleu's default, the WMT `mteval-v13a` rules) for
English, and `zh` (each Chinese character on its own) for Chinese. Chinese
scored with the English tokenizer comes out near 0 (a whole sentence is one
"word"), so BLEU warns when most sentences it is asked to score as English
hold Chinese characters.
"""

import re
import warnings

import keras
import sacrebleu
from keras import ops

from chapters.common.masks import padding_mask

BLEU_TOKENIZERS = {"en": "13a", "zh": "zh"}
# Han characters: CJK Unified Ideographs, Extension A, the compatibility block,
# and the extensions beyond the Basic Multilingual Plane.
_HAN_CHARACTER = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
)


def labels_and_mask(y_true, y_pred):
    """Target ids `(B, T)` as int32 and their padding mask `(B, T)`, True at real
    tokens, whatever form `compile()` hands the targets over in."""
    # Targets may arrive as (B, T, 1) from some pipelines; the logits are (B, T, V).
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    # compile() hands the targets over as floats; ids are exact in float32.
    y_true = ops.cast(y_true, "int32")
    return y_true, padding_mask(y_true)


def masked_mean(values, mask):
    """The mean of `values` over the positions where `mask` is True."""
    # Selected, not multiplied by the mask: 0 * inf and 0 * NaN are NaN, so a
    # single overflow at a padded position would poison the whole mean.
    total = ops.sum(ops.where(mask, values, ops.zeros_like(values)))
    # A batch made only of padding has nothing to average; it counts as zero
    # rather than the NaN of 0 / 0.
    return total / ops.maximum(ops.sum(ops.cast(mask, values.dtype)), 1.0)


@keras.saving.register_keras_serializable(package="course")
def masked_loss(y_true, y_pred):
    """Sparse categorical cross-entropy from logits, averaged over non-padding tokens.

    `loss = Σ_{b,t} m_bt · CE(y_bt, logits_bt) / Σ_{b,t} m_bt`, where
    `m_bt = 1` when `y_bt != PAD_ID` and 0 otherwise. Every real token weighs the
    same, whatever the length of its sentence; a batch that is all padding gives 0.

    Keras' built-in
    `keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)`
    computes the same number (a test checks it); this function spells the
    masking out, which is what the lessons teach. When `y_pred` carries a
    Keras mask, `compile()` turns it into weights that average a scalar back to
    itself, so the reported loss is this same number.

    Whatever the logits hold at padded positions, even inf or NaN, changes
    neither the loss nor its gradient.

    Args:
        y_true: Target token ids, `(B, T)` (or `(B, T, 1)`), any integer dtype.
        y_pred: Logits over the target vocabulary, `(B, T, V)`. They are cast
            to float32, so the loss stays accurate under mixed precision.

    Returns:
        A scalar float32 tensor.
    """
    y_true, mask = labels_and_mask(y_true, y_pred)
    # Padded positions get zero logits before the cross-entropy. Selecting the
    # losses afterwards would keep an inf out of the value but not out of the
    # gradient: backpropagation multiplies the zero gradient of the unselected
    # branch by the NaN derivative of the cross-entropy there.
    logits = ops.where(
        ops.expand_dims(mask, -1), ops.cast(y_pred, "float32"), 0.0
    )  # (B, T, V)
    token_losses = keras.losses.sparse_categorical_crossentropy(
        y_true, logits, from_logits=True
    )  # (B, T)
    return masked_mean(token_losses, mask)


def _correct_tokens(y_true, y_pred):
    y_true, mask = labels_and_mask(y_true, y_pred)
    predictions = ops.cast(ops.argmax(y_pred, axis=-1), "int32")  # (B, T)
    return ops.cast(ops.equal(y_true, predictions), "float32"), mask


@keras.saving.register_keras_serializable(package="course")
def masked_accuracy(y_true, y_pred):
    """Fraction of non-padding target tokens whose arg-max prediction is right.

    For direct calls on one batch. To follow accuracy in `compile()`, use
    `MaskedAccuracy()`, which adds the counts of every batch up: `compile()`
    would average this function's per-batch values, and when the logits carry
    a Keras mask it tries to weigh the scalar by that `(B, T)` mask and fails.

    Args:
        y_true: Target token ids, `(B, T)` (or `(B, T, 1)`), any integer dtype.
        y_pred: Logits or probabilities over the target vocabulary, `(B, T, V)`.

    Returns:
        A float32 scalar in `[0, 1]`, 0 for a batch that is all padding.
    """
    correct, mask = _correct_tokens(y_true, y_pred)
    return masked_mean(correct, mask)


@keras.saving.register_keras_serializable(package="course")
class MaskedAccuracy(keras.metrics.Mean):
    """Token accuracy over every non-padding target token seen, for `compile()`.

    `model.compile(..., metrics=[MaskedAccuracy()])` reports it as
    `"masked_accuracy"`. Each batch adds its right predictions and its real
    tokens to two running sums, so every real token counts once, however the
    sentences fall into batches and however much padding each batch has.

    The padding mask comes from `y_true`, never from the mask a Keras layer
    attaches to the logits: `compile()` passes that mask on to weigh the values
    of a metric function, but not to a metric object's `update_state`, so this
    metric is the same with or without `mask_zero=True` upstream.

    Args:
        name: the name of the metric in logs and `History`.
        dtype: the dtype of the running sums.
    """

    def __init__(self, name="masked_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch.

        Args:
            y_true: Target token ids, `(B, T)` (or `(B, T, 1)`).
            y_pred: Logits or probabilities, `(B, T, V)`.
            sample_weight: optional weights, one per sentence `(B,)` or per
                token `(B, T)`; padding weighs 0 whatever they say.
        """
        correct, mask = _correct_tokens(y_true, y_pred)
        weights = ops.cast(mask, "float32")  # (B, T)
        if sample_weight is not None:
            sample_weight = ops.convert_to_tensor(sample_weight, "float32")
            if len(sample_weight.shape) == 1:
                sample_weight = ops.expand_dims(sample_weight, -1)  # (B, 1)
            weights = weights * sample_weight
        # Flat (B * T,) values: `Mean` would first average each sentence's
        # values over the padded width T, which differs from batch to batch.
        super().update_state(
            ops.reshape(correct, (-1,)), sample_weight=ops.reshape(weights, (-1,))
        )


def _check_sentences(sentences, argument: str) -> None:
    if isinstance(sentences, (str, bytes)) or not hasattr(sentences, "__len__"):
        raise TypeError(
            f"{argument} must be a list of sentences (strings). Received: "
            f"{argument} of type {type(sentences).__name__}"
        )
    if len(sentences) == 0:
        raise ValueError(f"{argument} is empty: BLEU needs at least one sentence.")
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(
                f"{argument}[{index}] must be a string (detokenize token lists "
                "first, e.g. with tokenizers.detokenize). Received: "
                f"{type(sentence).__name__} {sentence!r}"
            )


def _warn_if_chinese_scored_as_english(target_language: str, **sentences) -> None:
    """Warns when most sentences of a side hold Chinese but the language is "en".

    Args:
        target_language: the language BLEU was asked to tokenize for.
        **sentences: each side's sentences by name (`hypotheses=[...]`).
    """
    if target_language != "en":
        return
    chinese = []
    for name, group in sentences.items():
        count = sum(1 for sentence in group if _HAN_CHARACTER.search(sentence))
        if 2 * count > len(group):
            chinese.append(f"{count} of {len(group)} {name}")
    if chinese:
        # stacklevel 3: the line that called corpus_bleu or sentence_bleu.
        warnings.warn(
            f"Found Chinese characters in {' and '.join(chinese)}: they look "
            "Chinese, but target_language='en' scores them with the English "
            "tokenizer, which takes a whole Chinese sentence for one word, so BLEU "
            "comes out near 0. Pass target_language='zh' to score Chinese "
            f"character by character. Received: target_language={target_language!r}",
            UserWarning,
            stacklevel=3,
        )


def bleu_metric(target_language: str = "en", sentence_level: bool = False):
    """The sacrebleu `BLEU` object with the tokenizer suited to the language.

    Args:
        target_language: `"en"` or `"zh"`, the language of the translations.
        sentence_level: True to score single sentences: only the n-gram orders
            the sentence is long enough to have count ("effective order").

    Returns:
        A `sacrebleu.metrics.BLEU`.
    """
    if target_language not in BLEU_TOKENIZERS:
        raise ValueError(
            f"target_language must be one of {sorted(BLEU_TOKENIZERS)}. "
            f"Received: target_language={target_language!r}"
        )
    return sacrebleu.metrics.BLEU(
        tokenize=BLEU_TOKENIZERS[target_language], effective_order=sentence_level
    )


def corpus_bleu(hypotheses, references, target_language: str = "en"):
    """Corpus BLEU of the translations against one reference each.

    n-gram matches and lengths are summed over the whole corpus before the
    precisions and the brevity penalty are taken; this is not the mean of
    sentence BLEU scores.

    Args:
        hypotheses: The model's translations, one string per sentence.
        references: The reference translations, in the same order.
        target_language: `"en"` (tokenizer `13a`) or `"zh"` (tokenizer `zh`).

    Returns:
        A `sacrebleu.metrics.BLEUScore`: `.score` (0 to 100), `.precisions`,
        `.bp` (brevity penalty), `.sys_len`, `.ref_len`; `str()` gives the
        usual one-line summary.

    Warns (`UserWarning`) when `target_language="en"` but most hypotheses or
    most references hold Chinese characters.
    """
    _check_sentences(hypotheses, "hypotheses")
    _check_sentences(references, "references")
    if len(hypotheses) != len(references):
        raise ValueError(
            "hypotheses and references must have one sentence each per example. "
            f"Received: {len(hypotheses)} hypotheses and {len(references)} "
            "references"
        )
    metric = bleu_metric(target_language)
    _warn_if_chinese_scored_as_english(
        target_language, hypotheses=hypotheses, references=references
    )
    return metric.corpus_score(list(hypotheses), [list(references)])


def sentence_bleu(hypothesis: str, reference: str, target_language: str = "en"):
    """BLEU of one translation against its reference, as a float from 0 to 100.

    Single sentences often lack any matching 4-gram, which would make BLEU 0;
    sacrebleu's sentence BLEU therefore smooths the zero counts and uses only
    the n-gram orders the sentence is long enough to have. Use it to look at
    examples, and `corpus_bleu` to report results. Like `corpus_bleu`, it warns
    when Chinese is scored with `target_language="en"`.
    """
    for argument, sentence in (("hypothesis", hypothesis), ("reference", reference)):
        if not isinstance(sentence, str):
            raise TypeError(
                f"{argument} must be a string. Received: "
                f"{type(sentence).__name__} {sentence!r}"
            )
    metric = bleu_metric(target_language, sentence_level=True)
    _warn_if_chinese_scored_as_english(
        target_language, hypothesis=[hypothesis], reference=[reference]
    )
    return float(metric.sentence_score(hypothesis, [reference]).score)
