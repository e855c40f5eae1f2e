"""Scoring a translator, the same way in every chapter: corpus BLEU, the share of
`[UNK]` in its outputs, its speed, and BLEU by source length.
"""

import dataclasses
import time

import numpy as np

from chapters.common import metrics
from chapters.common.tokenizers import detokenize, tokenize
from chapters.common.translator import Translator
from chapters.common.vocabulary import UNK

# Source lengths (in tokens) that separate the buckets of the length curve.
LENGTH_BUCKET_EDGES = (10, 20, 30, 40, 50, 60)


def make_translator(model, data, **options):
    """A `Translator` for `model` with the tokenizers of `data` (`TranslationData`).

    By default it reads the longest source of the test split whole and leaves room
    for twice the longest reference: truncating long sources would hide the very
    effects that scores by length measure. A model with a `max_positions` (the
    Transformer) caps both at it. `options` go to `Translator` and
    override those defaults.
    """
    lengths = data.length_statistics("test")
    limit = getattr(model, "max_positions", None) or float("inf")
    options.setdefault("max_source_tokens", min(lengths["source"]["max"], limit))
    options.setdefault(
        "max_output_tokens", min(2 * lengths["target"]["max"] + 10, limit)
    )
    return Translator(model, data.source_tokenizer, data.target_tokenizer, **options)


def clean_reference(sentence, language):
    """A reference in the model's own form: tokenized (English lower-cased), rejoined.

    The model writes lower-case English, so BLEU here is case-insensitive.
    """
    return detokenize(tokenize(sentence, language), language)


@dataclasses.dataclass
class Evaluation:
    """Translations of a list of pairs and how good they are."""

    bleu: float
    unknown_rate: float  # share of output tokens that are [UNK]
    mean_log_prob: float
    sentences_per_second: float
    translations: list
    references: list


def evaluate(translator, pairs, method="greedy", beam_width=4, length_penalty=0.6):
    """Translates the sources of `pairs` and scores them with corpus BLEU.

    Args:
        translator: a `Translator`.
        pairs: `(source, reference)` strings.
        method, beam_width, length_penalty: as in `Translator.translate_with_scores`.

    Returns:
        An `Evaluation`.
    """
    sources = [source for source, _ in pairs]
    references = [
        clean_reference(target, translator.target_language) for _, target in pairs
    ]
    started = time.perf_counter()
    translations = translator.translate_with_scores(
        sources, method=method, beam_width=beam_width, length_penalty=length_penalty
    )
    seconds = time.perf_counter() - started
    hypotheses = [translation.text for translation in translations]
    output_tokens = [t for translation in translations for t in translation.tokens]
    return Evaluation(
        bleu=metrics.corpus_bleu(
            hypotheses, references, translator.target_language
        ).score,
        unknown_rate=output_tokens.count(UNK) / max(len(output_tokens), 1),
        mean_log_prob=float(np.mean([t.log_prob for t in translations])),
        sentences_per_second=len(sources) / seconds,
        translations=translations,
        references=references,
    )


def bucket_label(index, edges=LENGTH_BUCKET_EDGES):
    """`"1-10"`, `"11-20"`, ..., `"61+"` for bucket `index` of `edges`."""
    low = 1 if index == 0 else edges[index - 1] + 1
    return f"{low}+" if index == len(edges) else f"{low}-{edges[index]}"


def bleu_by_length(
    evaluation, source_language, target_language, edges=None, lengths=None
):
    """Corpus BLEU of the translations in each source-length bucket.

    Args:
        evaluation: an `Evaluation`.
        source_language: how source lengths are counted (characters for `"zh"`,
            words for `"en"`).
        target_language: how BLEU tokenizes the translations.
        edges: the bucket edges in source tokens; default `LENGTH_BUCKET_EDGES`.
        lengths: one length per translation, counted in another unit, in place
            of the source's tokens (e.g. the words of each English reference).

    Returns:
        `(counts, bleu)`: two lists with one entry per bucket (`len(edges) + 1`);
        an empty bucket has BLEU `nan`.
    """
    edges = LENGTH_BUCKET_EDGES if edges is None else tuple(edges)
    if lengths is None:
        lengths = [
            len(tokenize(translation.source, source_language))
            for translation in evaluation.translations
        ]
    elif len(lengths) != len(evaluation.translations):
        raise ValueError(
            f"lengths needs one length per translation, {len(evaluation.translations)}"
            f". Received: {len(lengths)} lengths"
        )
    buckets = np.digitize(lengths, np.asarray(edges) + 0.5)
    counts, scores = [], []
    for index in range(len(edges) + 1):
        members = [i for i, bucket in enumerate(buckets) if bucket == index]
        counts.append(len(members))
        if not members:
            scores.append(float("nan"))
            continue
        hypotheses = [evaluation.translations[i].text for i in members]
        references = [evaluation.references[i] for i in members]
        scores.append(
            metrics.corpus_bleu(hypotheses, references, target_language).score
        )
    return counts, scores
