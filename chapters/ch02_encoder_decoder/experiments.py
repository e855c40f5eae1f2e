"""Chapter 2's experiments as functions: data, training, BLEU, and the length curve.

The lessons call these functions, and so does the command line, so that every number
the chapter reports can be regenerated:

    python -m chapters.ch02_encoder_decoder.experiments tatoeba       # BLEU, zh->en
    python -m chapters.ch02_encoder_decoder.experiments length-curve  # the bottleneck

Both read their sizes from `chapters.common.scales.current_scale()`
(`COURSE_SCALE=ci|cpu|gpu`); the length curve also takes `--train-pairs`, `--epochs`
and `--hidden-units 128 256` to override them.

The length curve measures seed 001's weaknesses of the plain encoder-decoder: the whole
source must pass through one fixed-size context vector, so translation quality falls
as sources grow, and a bigger vector only delays the fall.
"""

import argparse
import dataclasses
import time
import warnings

import keras
import numpy as np

from chapters.ch02_encoder_decoder.model import Seq2Seq
from chapters.ch02_encoder_decoder.translator import Translator
from chapters.common import metrics, scales, text

# Source lengths (in tokens) that separate the buckets of the length curve.
LENGTH_BUCKET_EDGES = (10, 20, 30, 40, 50, 60)


@dataclasses.dataclass
class TranslationData:
    """Sentence pairs of one translation direction, with their vocabularies.

    Attributes:
        source_language, target_language: `"zh"` or `"en"`.
        splits: `"train"`, `"validation"`, `"test"` lists of `(source, target)`.
        source_vocabulary, target_vocabulary: built from the training split.
    """

    source_language: str
    target_language: str
    splits: dict
    source_vocabulary: text.Vocabulary
    target_vocabulary: text.Vocabulary

    def dataset(self, split, batch_size, shuffle=False, bucket_boundaries=None):
        """The `tf.data` pipeline of one split: `((source, decoder input), target)`."""
        return text.make_dataset(
            self.splits[split],
            self.source_vocabulary,
            self.target_vocabulary,
            self.source_language,
            self.target_language,
            batch_size,
            shuffle=shuffle,
            bucket_boundaries=bucket_boundaries,
        )


def make_translation_data(
    splits, source_language, target_language, max_tokens=None, min_token_count=1
):
    """Filters pairs by length and builds both vocabularies from the training split.

    Args:
        splits: dict of split name to a list of `(source, target)` strings.
        source_language, target_language: `"zh"` or `"en"`.
        max_tokens: drop pairs with more tokens than this on either side; `None`
            keeps all.
        min_token_count: a token enters a vocabulary once seen this often.
    """

    def short_enough(pair):
        return max_tokens is None or (
            len(text.tokenize(pair[0], source_language)) <= max_tokens
            and len(text.tokenize(pair[1], target_language)) <= max_tokens
        )

    kept = {
        name: [p for p in pairs if short_enough(p)] for name, pairs in splits.items()
    }
    vocabularies = [
        text.Vocabulary.build(
            (text.tokenize(pair[side], language) for pair in kept["train"]),
            min_count=min_token_count,
        )
        for side, language in ((0, source_language), (1, target_language))
    ]
    return TranslationData(source_language, target_language, kept, *vocabularies)


def tatoeba_data(scale=None, direction="zh-en"):
    """The Tatoeba corpus in one direction, sized by `scale` (default: current)."""
    from chapters.common import tatoeba

    scale = scale or scales.current_scale()
    corpus = tatoeba.load_corpus_or_toy()
    splits = {
        name: tatoeba.translation_pairs(pairs, direction)
        for name, pairs in tatoeba.split_corpus(corpus.pairs).items()
    }
    if scale.tatoeba_train_pairs is not None:
        splits["train"] = splits["train"][: scale.tatoeba_train_pairs]
    if scale.eval_sentences is not None:
        splits["test"] = splits["test"][: scale.eval_sentences]
    source_language, target_language = direction.split("-")
    return make_translation_data(
        splits,
        source_language,
        target_language,
        scale.max_tokens,
        scale.min_token_count,
    )


def toy_data(train_pairs, eval_pairs, min_words=3, max_words=60, seed=0):
    """Toy-grammar pairs, Chinese to English, with every length kept."""
    from chapters.common import toy_grammar

    toy = toy_grammar.toy_splits(
        train_pairs,
        eval_pairs,
        eval_pairs,
        seed=seed,
        min_words=min_words,
        max_words=max_words,
    )
    splits = {
        name: [(pair.chinese, pair.english) for pair in pairs]
        for name, pairs in toy.items()
    }
    return make_translation_data(splits, "zh", "en")


def build_seq2seq(data, embedding_dim, hidden_units, learning_rate=3e-3, **options):
    """A `Seq2Seq` sized for `data`, compiled with the masked loss and accuracy.

    Adam's learning rate is three times Keras' default: on our small data sets and
    CPU budgets it reaches a given loss in about half the epochs, and gradient
    clipping (norm 1) keeps the RNNs stable at that rate.
    """
    model = Seq2Seq(
        len(data.source_vocabulary),
        len(data.target_vocabulary),
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
        **options,
    )
    model.build(((None, None), (None, None)))  # (B, S) source, (B, T) target ids
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=metrics.masked_loss,
        metrics=[metrics.masked_accuracy],
    )
    return model


@dataclasses.dataclass
class TrainingRun:
    """What `train` did: the Keras history, its wall time and the model's size."""

    history: dict
    seconds: float
    parameters: int


def train(model, data, epochs, batch_size, validation=True, verbose=2):
    """Fits `model` with teacher forcing on the training split, batches bucketed."""
    boundaries = list(range(5, 60, 5))
    started = time.perf_counter()
    with warnings.catch_warnings():
        # tf.data cannot count the batches of a filtered dataset ahead of time, and
        # Keras says so after every epoch; the data did not run out.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        history = model.fit(
            data.dataset(
                "train", batch_size, shuffle=True, bucket_boundaries=boundaries
            ),
            validation_data=data.dataset("validation", batch_size)
            if validation
            else None,
            epochs=epochs,
            verbose=verbose,
        )
    seconds = time.perf_counter() - started
    return TrainingRun(history.history, seconds, model.count_params())


def make_translator(model, data, **options):
    """A `Translator` for `model` with the languages and vocabularies of `data`."""
    return Translator(
        model,
        data.source_vocabulary,
        data.target_vocabulary,
        source_language=data.source_language,
        target_language=data.target_language,
        **options,
    )


def clean_reference(sentence, language):
    """A reference in the model's own form: tokenized (English lower-cased), rejoined.

    The model writes lower-case English, so BLEU here is case-insensitive.
    """
    return text.detokenize(text.tokenize(sentence, language), language)


@dataclasses.dataclass
class Evaluation:
    """Translations of a split and how good they are."""

    bleu: float
    unknown_rate: float  # share of output tokens that are [UNK]
    mean_log_prob: float
    sentences_per_second: float
    translations: list
    references: list


def evaluate(translator, pairs, method="greedy", beam_width=4, length_penalty=0.6):
    """Translates the sources of `pairs` and scores them with corpus BLEU."""
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
        unknown_rate=output_tokens.count(text.UNK) / max(len(output_tokens), 1),
        mean_log_prob=float(np.mean([t.log_prob for t in translations])),
        sentences_per_second=len(sources) / seconds,
        translations=translations,
        references=references,
    )


def bucket_label(index, edges=LENGTH_BUCKET_EDGES):
    """`"1-10"`, `"11-20"`, ..., `"51+"` for bucket `index` of `edges`."""
    low = 1 if index == 0 else edges[index - 1] + 1
    return f"{low}+" if index == len(edges) else f"{low}-{edges[index]}"


def bleu_by_length(evaluation, pairs, language, edges=LENGTH_BUCKET_EDGES):
    """Corpus BLEU of the translations in each source-length bucket.

    Returns:
        `(counts, bleu)`: two lists with one entry per bucket (`len(edges) + 1`);
        an empty bucket has BLEU `nan`.
    """
    lengths = [len(text.tokenize(source, language)) for source, _ in pairs]
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
        scores.append(metrics.corpus_bleu(hypotheses, references, "en").score)
    return counts, scores


@dataclasses.dataclass
class LengthCurve:
    """BLEU per source-length bucket, for encoder-decoders of several sizes.

    Attributes:
        labels: bucket names, e.g. `"11-20"` source tokens.
        counts: test sentences per bucket.
        bleu: `{hidden_units: [BLEU per bucket]}`.
        overall_bleu: `{hidden_units: BLEU on the whole test split}`.
        parameters, seconds: `{hidden_units: ...}` model size and training time.
    """

    labels: list
    counts: list
    bleu: dict
    overall_bleu: dict
    parameters: dict
    seconds: dict

    def table(self):
        """The curve as text, one row per bucket."""
        sizes = sorted(self.bleu)
        lines = [
            "source tokens  sentences  "
            + "  ".join(f"BLEU h={size:<4d}" for size in sizes)
        ]
        for index, label in enumerate(self.labels):
            cells = "  ".join(f"{self.bleu[size][index]:10.1f}" for size in sizes)
            lines.append(f"{label:>13s}  {self.counts[index]:9d}  {cells}")
        lines.append(
            f"{'all':>13s}  {sum(self.counts):9d}  "
            + "  ".join(f"{self.overall_bleu[size]:10.1f}" for size in sizes)
        )
        return "\n".join(lines)


def length_curve(
    hidden_units=(64, 256),
    train_pairs=6000,
    eval_pairs=600,
    epochs=5,
    embedding_dim=64,
    batch_size=64,
    min_words=3,
    max_words=50,
    seed=0,
    verbose=0,
    **model_options,
):
    """Trains one encoder-decoder per context size on the toy grammar (Chinese to
    English) and measures greedy BLEU per source-length bucket on its test split.

    Every model sees the same data, sentences of `min_words` to `max_words` English
    words (the Chinese sources run a little longer in characters).

    `model_options` go to `Seq2Seq` (e.g. `concat_context=False`).

    Returns:
        A `LengthCurve`.
    """
    data = toy_data(train_pairs, eval_pairs, min_words, max_words, seed)
    test_pairs = data.splits["test"]
    longest_source = max(len(text.tokenize(source, "zh")) for source, _ in test_pairs)
    curve = LengthCurve(
        [bucket_label(i) for i in range(len(LENGTH_BUCKET_EDGES) + 1)],
        [],
        {},
        {},
        {},
        {},
    )
    for units in hidden_units:
        scales.set_seed(seed)
        model = build_seq2seq(data, embedding_dim, units, **model_options)
        run = train(model, data, epochs, batch_size, validation=False, verbose=verbose)
        # Every source must be read whole: truncating would hide the very effect
        # the curve measures.
        translator = make_translator(
            model,
            data,
            max_source_tokens=longest_source,
            max_output_tokens=2 * max_words + 10,
        )
        evaluation = evaluate(translator, test_pairs)
        curve.counts, curve.bleu[units] = bleu_by_length(evaluation, test_pairs, "zh")
        curve.overall_bleu[units] = evaluation.bleu
        curve.parameters[units] = run.parameters
        curve.seconds[units] = run.seconds
    return curve


def plot_length_curve(curve, ax=None, title=None):
    """BLEU against source length, one line per context size; returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    positions = np.arange(len(curve.labels))
    for units in sorted(curve.bleu):
        ax.plot(positions, curve.bleu[units], marker="o", label=f"context size {units}")
    ax.set_xticks(positions, curve.labels)
    ax.set_xlabel("source length (tokens)")
    ax.set_ylabel("BLEU (greedy)")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "Encoder-decoder without attention: BLEU by source length")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def tatoeba_experiment(scale=None, beam_width=None, epochs=None, verbose=2):
    """Trains the chapter's model on Tatoeba zh->en and reports greedy and beam BLEU.

    `epochs` defaults to the scale's `seq2seq_epochs`.

    Returns:
        A dict of the numbers the README reports.
    """
    scale = scale or scales.current_scale()
    scales.set_seed(42)
    data = tatoeba_data(scale)
    model = build_seq2seq(data, scale.embedding_dim, scale.hidden_units)
    epochs = epochs or scale.seq2seq_epochs
    run = train(model, data, epochs, scale.batch_size, verbose=verbose)
    translator = make_translator(model, data)
    beam_width = beam_width or scale.beam_width
    greedy = evaluate(translator, data.splits["test"], "greedy")
    beam = evaluate(translator, data.splits["test"], "beam", beam_width)
    return {
        "scale": scale.name,
        "train_pairs": len(data.splits["train"]),
        "test_pairs": len(data.splits["test"]),
        "parameters": run.parameters,
        "epochs": epochs,
        "training_seconds": run.seconds,
        "bleu_greedy": greedy.bleu,
        "bleu_beam": beam.bleu,
        "beam_width": beam_width,
        "unknown_rate_greedy": greedy.unknown_rate,
        "unknown_rate_beam": beam.unknown_rate,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument(
        "--train-pairs", type=int, help="length curve: override the scale's pairs"
    )
    parser.add_argument("--epochs", type=int, help="override the scale's epochs")
    parser.add_argument(
        "--hidden-units", type=int, nargs="+", help="length curve: context sizes"
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.experiment == "tatoeba":
        for key, value in tatoeba_experiment(scale, epochs=arguments.epochs).items():
            print(
                f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}"
            )
    else:
        options = length_curve_options(scale)
        for name in ("train_pairs", "epochs", "hidden_units"):
            if getattr(arguments, name) is not None:
                options[name] = getattr(arguments, name)
        print(options)
        curve = length_curve(**options, verbose=2)
        print(curve.table())
        for units in sorted(curve.bleu):
            print(
                f"h={units}: {curve.parameters[units]:,} parameters, "
                f"trained in {curve.seconds[units]:.0f} s"
            )


def length_curve_options(scale):
    """The `length_curve` arguments that `scale` sets."""
    return {
        "hidden_units": scale.length_curve_hidden_units,
        "train_pairs": scale.length_curve_train_pairs,
        "eval_pairs": scale.toy_eval_pairs,
        "epochs": scale.length_curve_epochs,
        "embedding_dim": scale.embedding_dim,
        "batch_size": scale.batch_size,
        "max_words": scale.length_curve_max_words,
    }


if __name__ == "__main__":
    main()
