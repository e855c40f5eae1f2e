"""Chapter 3's experiments: the attention model against chapter 2's, on the same
data, buckets and budget.

    python -m chapters.ch03_attention.experiments tatoeba        # BLEU, zh->en
    python -m chapters.ch03_attention.experiments length-curve   # both models
    python -m chapters.ch03_attention.experiments length-curve --by-position

`tatoeba` trains the attention model with chapter 2's Tatoeba budget (the scale's
`seq2seq_epochs`), so its BLEU sits next to
`python -m chapters.ch02_encoder_decoder.experiments tatoeba`. `length-curve`
trains chapter 2's encoder-decoder and the attention model on chapter 2's
toy-grammar length-curve data and scores both in the same buckets of English words
(Bahdanau et al., 2015, Figure 2); `--by-position` adds the per-word curves and
the agreement of the attention with the gold word alignments. Sizes come from
`COURSE_SCALE`; `--epochs` and `--train-pairs` override the scale's.
"""

import argparse
import functools

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch03_attention.model import AttentionSeq2Seq
from chapters.common import (
    alignment_quality,
    experiments,
    scales,
)
from chapters.common.arguments import positive_float_argument, positive_int_argument

NO_ATTENTION = "encoder-decoder"
ATTENTION = "attention"


def build_attention_model(
    data, embedding_dim, hidden_units, learning_rate=3e-3, **options
):
    """An `AttentionSeq2Seq` sized for `data`, compiled like chapter 2's model.

    Args:
        data: a `TranslationData`; its tokenizers give the vocabulary sizes.
        embedding_dim, hidden_units: the model's sizes.
        learning_rate: Adam's (see `training.compile_translation_model`).
        **options: passed on to `AttentionSeq2Seq` (e.g. `attention_units`).
    """
    return experiments.build_translation_model(
        AttentionSeq2Seq, data, embedding_dim, hidden_units, learning_rate, **options
    )


def tatoeba_experiment(scale=None, epochs=None, verbose=2, learning_rate=3e-3):
    """Trains the attention model on Tatoeba zh->en with chapter 2's budget.

    Args:
        scale, epochs, verbose: see `experiments.tatoeba_experiment`.
        learning_rate: Adam's; chapter 4 compares its models at several.

    Returns:
        `(results, model, data)`; see `experiments.tatoeba_experiment`.
    """
    builder = functools.partial(build_attention_model, learning_rate=learning_rate)
    return experiments.tatoeba_experiment(builder, scale, epochs, verbose)


def length_curve_experiment(
    scale=None, train_pairs=None, epochs=None, verbose=0, data=None
):
    """BLEU by sentence length for chapter 2's encoder-decoder and the attention
    model, both with the scale's `hidden_units`, on chapter 2's length-curve data.

    Returns:
        An `experiments.LengthCurve` with the curves `NO_ATTENTION` and
        `ATTENTION` and both trained models.
    """
    scale = scale or scales.current_scale()
    data = data or chapter2.length_curve_data(scale, train_pairs)
    sizes = {"embedding_dim": scale.embedding_dim, "hidden_units": scale.hidden_units}
    factories = {
        NO_ATTENTION: functools.partial(chapter2.build_seq2seq, **sizes),
        ATTENTION: functools.partial(build_attention_model, **sizes),
    }
    return chapter2.toy_length_curve(factories, scale, data, epochs, verbose)


def alignment_results(model, data, toy_pairs):
    """`{name: AlignmentScores}` for the model's teacher-forced attention and the
    diagonal baseline, on the same toy pairs."""
    weights = alignment_quality.teacher_forced_attention(model, toy_pairs, data)
    diagonal = [alignment_quality.diagonal_weights(*rows.shape) for rows in weights]
    return {
        ATTENTION: alignment_quality.alignment_scores(weights, toy_pairs, data),
        "diagonal baseline": alignment_quality.alignment_scores(
            diagonal, toy_pairs, data
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument(
        "--epochs", type=positive_int_argument, help="override the scale's"
    )
    parser.add_argument(
        "--learning-rate",
        type=positive_float_argument,
        default=3e-3,
        help="tatoeba: Adam's learning rate (default 3e-3)",
    )
    parser.add_argument(
        "--train-pairs",
        type=positive_int_argument,
        help="length curve: override the scale's training pairs",
    )
    parser.add_argument(
        "--by-position",
        action="store_true",
        help="length curve: also the per-word curves and the alignment agreement",
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.experiment == "tatoeba":
        results, _, data = tatoeba_experiment(
            scale, epochs=arguments.epochs, learning_rate=arguments.learning_rate
        )
        print(data.describe("test"))
        print("\n".join(experiments.results_lines(results)))
        return
    data = chapter2.length_curve_data(scale, arguments.train_pairs)
    curve = length_curve_experiment(
        scale, epochs=arguments.epochs, verbose=2, data=data
    )
    print(curve.table())
    print("\n".join(curve.model_lines()))
    if arguments.by_position:
        toy_pairs = chapter2.length_curve_toy_pairs(scale, data)
        records = chapter2.aligned_word_records(curve, data, toy_pairs)
        for table in chapter2.aligned_word_tables(
            chapter2.aligned_word_curves(records)
        ):
            print(table)
        scores = alignment_results(curve.models[ATTENTION], data, toy_pairs)
        print(alignment_quality.alignment_table(scores))


if __name__ == "__main__":
    main()
