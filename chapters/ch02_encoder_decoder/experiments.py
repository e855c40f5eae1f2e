"""Chapter 2's experiments: its model builder and its command line.

The experiments themselves (training, BLEU, the length curve) are the course's
shared ones, `chapters.common.experiments`; this module hands them a factory of the
chapter's `Seq2Seq`, so that every number the chapter reports can be regenerated:

    python -m chapters.ch02_encoder_decoder.experiments tatoeba       # BLEU, zh->en
    python -m chapters.ch02_encoder_decoder.experiments length-curve  # the bottleneck
    python -m chapters.ch02_encoder_decoder.experiments length-curve --by-position

Both read their sizes from `chapters.common.scales.current_scale()`
(`COURSE_SCALE=ci|cpu|gpu`); `--epochs` overrides the scale's epochs, and the length
curve also takes `--train-pairs` and `--context-units 128 256`.

The length curve measures one weakness of the plain encoder-decoder (Cho et al.,
2014, "On the Properties of Neural Machine Translation: Encoder-Decoder
Approaches"): the whole source must pass through one fixed-size context vector, so
translation quality falls as sources grow. It counts a source's length in the
English words of its translation, the unit of the papers' English sentences.
`--by-position` also prints the accuracy of each target word by where the source
word it translates lies (`chapters.common.alignment_curves`).
"""

import argparse
import functools

import matplotlib.pyplot as plt

from chapters.ch02_encoder_decoder.model import Seq2Seq
from chapters.common import (
    alignment_curves,
    experiments,
    scales,
    toy_grammar,
    translation_data,
)
from chapters.common.arguments import positive_int_argument

# Buckets of the length curve, in English words: the toy sentences have 3 to
# `length_curve_max_words` of them.
ENGLISH_WORD_EDGES = (5, 10, 15, 20, 25, 30, 35, 40, 45)
# The classic papers see quality fall past about 20 words; the per-word curves
# split sentences there.
LONG_AFTER_WORDS = 20


def build_seq2seq(data, embedding_dim, hidden_units, learning_rate=3e-3, **options):
    """A `Seq2Seq` sized for `data`, compiled with the masked loss and accuracy.

    Args:
        data: a `TranslationData`; its tokenizers give the vocabulary sizes.
        embedding_dim, hidden_units: the model's sizes.
        learning_rate: Adam's (see `training.compile_translation_model`).
        **options: passed on to `Seq2Seq` (e.g. `concat_context=False`).
    """
    return experiments.build_translation_model(
        Seq2Seq, data, embedding_dim, hidden_units, learning_rate, **options
    )


def tatoeba_experiment(scale=None, epochs=None, verbose=2):
    """Trains the chapter's model on Tatoeba zh->en; greedy and beam BLEU.

    Returns:
        `(results, model, data)`; see `experiments.tatoeba_experiment`.
    """
    return experiments.tatoeba_experiment(build_seq2seq, scale, epochs, verbose)


def length_curve_data(scale, train_pairs=None):
    """The toy-grammar pairs of the length curve: every length up to the scale's."""
    return translation_data.toy_data(
        train_pairs or scale.length_curve_train_pairs,
        scale.toy_eval_pairs,
        max_words=scale.length_curve_max_words,
    )


def english_word_edges(scale):
    """`ENGLISH_WORD_EDGES` below the scale's longest sentence: no empty bucket."""
    return tuple(
        edge for edge in ENGLISH_WORD_EDGES if edge < scale.length_curve_max_words
    )


def length_curve_toy_pairs(scale, data):
    """The test split of `length_curve_data` as `ToyPair`s, gold alignments included.

    `toy_splits` draws the test split first, from its own seeded stream, so it
    does not depend on how many training pairs were asked for.

    Raises:
        ValueError: `data`'s test split is not the scale's toy test split.
    """
    pairs = toy_grammar.toy_splits(
        0, 0, scale.toy_eval_pairs, max_words=scale.length_curve_max_words
    )["test"]
    if [(pair.chinese, pair.english) for pair in pairs] != data.splits["test"]:
        raise ValueError(
            "data's test split is not the toy test split of scale "
            f"{scale.name!r}; make it with length_curve_data(scale). Received: "
            f"{data.describe('test')}"
        )
    return pairs


def length_curve_experiment(
    scale=None, train_pairs=None, epochs=None, context_units=None, verbose=0, data=None
):
    """BLEU by source length for encoder-decoders with contexts of several sizes.

    Every model sees the same toy-grammar data and test sentences, and has the
    same decoder (`scale.hidden_units`); only the encoder's units, the size of the
    context vector, change, and with them the weights that read the context (see
    `parameter_breakdown`). Lengths are counted in English words.

    Args:
        scale: sizes; default `scales.current_scale()`.
        train_pairs, epochs: override the scale's.
        context_units: the context sizes; default
            `scale.length_curve_context_units`.
        verbose: Keras' progress display.
        data: the `length_curve_data` to use, when it is already made.

    Returns:
        An `experiments.LengthCurve` with one curve per context size, named
        `"context 128"` etc., and the trained models.
    """
    scale = scale or scales.current_scale()
    data = data or length_curve_data(scale, train_pairs)
    factories = {
        f"context {units}": functools.partial(
            build_seq2seq,
            embedding_dim=scale.embedding_dim,
            hidden_units=scale.hidden_units,
            encoder_units=units,
        )
        for units in context_units or scale.length_curve_context_units
    }
    return toy_length_curve(factories, scale, data, epochs, verbose)


def toy_length_curve(factories, scale, data, epochs=None, verbose=0):
    """`experiments.length_curve` of `factories` on `length_curve_data`, as every
    chapter draws it: the scale's epochs (unless `epochs`) and batch size, BLEU by
    English reference length in `english_word_edges` buckets."""
    return experiments.length_curve(
        factories,
        data,
        epochs or scale.length_curve_epochs,
        scale.batch_size,
        verbose=verbose,
        length_language="en",
        edges=english_word_edges(scale),
    )


def parameter_breakdown(model):
    """`{part: parameters}` of a built `Seq2Seq`: where the context size adds weights.

    The parts are the two embeddings, the encoder's RNN (whose final state is the
    context vector), the bridge `s_0 = tanh(W_s c + b_s)`, the decoder's RNN
    (which reads the context at every step) and the output layer.
    """
    encoder, decoder = model.encoder, model.decoder
    return {
        "embeddings": encoder.embedding.count_params()
        + decoder.embedding.count_params(),
        "encoder RNN": encoder.rnn.count_params(),
        "bridge": sum(bridge.count_params() for bridge in decoder.bridges),
        "decoder RNN": decoder.rnn.count_params(),
        "output layer": decoder.output_projection.count_params(),
    }


def aligned_word_records(curve, data, toy_pairs, batch_size=64):
    """`{model name: alignment_curves.score_target_tokens records}` for the
    models of a `LengthCurve`, on the toy pairs of its test split."""
    return {
        name: alignment_curves.score_target_tokens(model, toy_pairs, data, batch_size)
        for name, model in curve.models.items()
    }


def aligned_word_curves(records, long_after=LONG_AFTER_WORDS, last_words=5):
    """The per-word curves of every model, from `aligned_word_records`.

    Returns:
        Three groups of curves, each `{model name: accuracy_by dict}`, under what
        they measure: the accuracy of target content words (see
        `alignment_curves`) by where the source word they translate sits (fifths
        of the source), in sentences of at most `long_after` English words and in
        longer ones; and the accuracy of those that translate one of the
        `last_words` last source words, by sentence length.
    """
    groups = {}
    for name, model_records in records.items():
        by_position = alignment_curves.position_curves(model_records, long_after)
        for length, curve in by_position.items():
            measure = f"of content words by source position, sentences of {length}"
            groups.setdefault(measure, {})[name] = curve
    last = f"of content words translating one of the last {last_words} source words"
    groups[f"{last}, by sentence length (English words)"] = {
        name: alignment_curves.last_words_curve(model_records, last_words)
        for name, model_records in records.items()
    }
    return groups


def plot_aligned_word_curves(curves, long_after=LONG_AFTER_WORDS, last_words=5):
    """The three groups of `aligned_word_curves` side by side, every model on
    each panel, on one accuracy scale from 0 to 1.

    Returns:
        The matplotlib `Figure`.
    """
    panels = [
        (f"(a) at most {long_after} English words", "where the source word sits"),
        (f"(a) more than {long_after} English words", "where the source word sits"),
        (
            f"(b) translating the last {last_words} source words",
            "sentence length (English words)",
        ),
    ]
    figure, axes = plt.subplots(
        1, 3, figsize=(15, 4.5), sharey=True, layout="constrained"
    )
    for ax, group, (title, xlabel) in zip(axes, curves.values(), panels, strict=True):
        alignment_curves.plot_accuracy_curves(group, ax=ax, xlabel=xlabel, title=title)
    axes[0].set_ylim(0, 1)
    return figure


def aligned_word_tables(curves):
    """One printed table per group of `aligned_word_curves`."""
    return [
        alignment_curves.curves_table(group, f"Next-word accuracy {measure}:")
        for measure, group in curves.items()
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument(
        "--epochs", type=positive_int_argument, help="override the scale's epochs"
    )
    parser.add_argument(
        "--train-pairs",
        type=positive_int_argument,
        help="length curve: override the pairs",
    )
    parser.add_argument(
        "--context-units",
        type=positive_int_argument,
        nargs="+",
        help="length curve: context sizes (encoder units; the decoder keeps the "
        "scale's hidden_units)",
    )
    parser.add_argument(
        "--by-position",
        action="store_true",
        help="length curve: also the accuracy of each target word by where the "
        "source word it translates lies",
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.experiment == "tatoeba":
        results, _, data = tatoeba_experiment(scale, epochs=arguments.epochs)
        print(data.describe("test"))
        print("\n".join(experiments.results_lines(results)))
        return
    data = length_curve_data(scale, arguments.train_pairs)
    curve = length_curve_experiment(
        scale,
        epochs=arguments.epochs,
        context_units=arguments.context_units,
        verbose=2,
        data=data,
    )
    print(curve.table())
    print("\n".join(curve.model_lines()))
    if arguments.by_position:
        records = aligned_word_records(curve, data, length_curve_toy_pairs(scale, data))
        for table in aligned_word_tables(aligned_word_curves(records)):
            print(table)


if __name__ == "__main__":
    main()
