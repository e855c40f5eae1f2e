"""Training and evaluation metrics for translation: masked loss, masked accuracy, BLEU.

A batch of target sentences is padded with `PAD_ID` to its longest sentence.
Those padding positions are not words the model should learn to predict, so the
loss and the accuracy below count only the real (non-padding) target tokens.

BLEU (Papineni et al., 2002, "BLEU: a Method for Automatic Evaluation of Machine
Translation") is computed with sacrebleu (Post, 2018, "A Call for Clarity in
Reporting BLEU Scores"), so our numbers are comparable with published ones. The
score depends on how sentences are cut into tokens, so the tokenizer follows the
target language: `13a` (sacrebleu's default, the WMT `mteval-v13a` rules) for
English, and `zh` (each Chinese character on its own) for Chinese.
"""

import keras
import sacrebleu
from keras import ops

# Keras has no public accessor for the mask a tensor carries; this is the one
# its own losses and metrics read.
from keras.src.backend import get_keras_mask

from chapters.common.text import PAD_ID

BLEU_TOKENIZERS = {"en": "13a", "zh": "zh"}


def _labels_and_mask(y_true, y_pred):
    # Targets may arrive as (B, T, 1) from some pipelines; the logits are (B, T, V).
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    # compile() hands the targets over as floats; ids are exact in float32.
    y_true = ops.cast(y_true, "int32")
    return y_true, ops.not_equal(y_true, PAD_ID)


def _masked_mean(values, mask):
    mask = ops.cast(mask, values.dtype)
    # A batch made only of padding has nothing to average; it counts as zero
    # rather than the NaN of 0 / 0.
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)


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

    Args:
        y_true: Target token ids, `(B, T)` (or `(B, T, 1)`), any integer dtype.
        y_pred: Logits over the target vocabulary, `(B, T, V)`. They are cast
            to float32, so the loss stays accurate under mixed precision.

    Returns:
        A scalar float32 tensor.
    """
    y_true, mask = _labels_and_mask(y_true, y_pred)
    token_losses = keras.losses.sparse_categorical_crossentropy(
        y_true, ops.cast(y_pred, "float32"), from_logits=True
    )  # (B, T)
    return _masked_mean(token_losses, mask)


@keras.saving.register_keras_serializable(package="course")
def masked_accuracy(y_true, y_pred):
    """Fraction of non-padding target tokens whose arg-max prediction is right.

    Called on arrays, or on tensors without a Keras mask, it returns that
    fraction as a scalar. When `y_pred` carries a Keras mask (a decoder built
    with `mask_zero=True`), `compile()`'s metric wrapper weights the returned
    values by that `(B, T)` mask, which a scalar cannot be; the function then
    returns `(B, T)` values instead: 1 or 0 at real tokens, and the batch's
    accuracy at padding, so that any mean of them, masked or not, is the
    accuracy. Take `keras.ops.mean` of the result to get the scalar in that case.

    Args:
        y_true: Target token ids, `(B, T)` (or `(B, T, 1)`), any integer dtype.
        y_pred: Logits or probabilities over the target vocabulary, `(B, T, V)`.

    Returns:
        A float32 scalar in `[0, 1]` (0 for a batch that is all padding), or the
        `(B, T)` values described above when `y_pred` carries a Keras mask.
    """
    y_true, mask = _labels_and_mask(y_true, y_pred)
    predictions = ops.cast(ops.argmax(y_pred, axis=-1), "int32")  # (B, T)
    correct = ops.cast(ops.equal(y_true, predictions), "float32")
    accuracy = _masked_mean(correct, mask)
    if get_keras_mask(y_pred) is None:
        return accuracy
    return ops.where(mask, correct, accuracy)  # (B, T)


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
                "first, e.g. with text.detokenize). Received: "
                f"{type(sentence).__name__} {sentence!r}"
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
    return metric.corpus_score(list(hypotheses), [list(references)])


def sentence_bleu(hypothesis: str, reference: str, target_language: str = "en"):
    """BLEU of one translation against its reference, as a float from 0 to 100.

    Single sentences often lack any matching 4-gram, which would make BLEU 0;
    sacrebleu's sentence BLEU therefore smooths the zero counts and uses only
    the n-gram orders the sentence is long enough to have. Use it to look at
    examples, and `corpus_bleu` to report results.
    """
    for argument, sentence in (("hypothesis", hypothesis), ("reference", reference)):
        if not isinstance(sentence, str):
            raise TypeError(
                f"{argument} must be a string. Received: "
                f"{type(sentence).__name__} {sentence!r}"
            )
    metric = bleu_metric(target_language, sentence_level=True)
    return float(metric.sentence_score(hypothesis, [reference]).score)
