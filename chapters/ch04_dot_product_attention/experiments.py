"""Chapter 4's experiments: Luong's attention against chapter 3's additive one, on
the same data, buckets and budget.

    python -m chapters.ch04_dot_product_attention.experiments tatoeba --score general
    python -m chapters.ch04_dot_product_attention.experiments length-curve

`tatoeba` trains a Luong model with chapters 2 and 3's Tatoeba budget (the scale's
`seq2seq_epochs`), so its BLEU sits next to
`python -m chapters.ch03_attention.experiments tatoeba`. `length-curve` trains
chapter 3's additive model and the Luong models of `LUONG_VARIANTS` on chapter
2's toy-grammar length-curve data and prints, for each, BLEU by sentence length, the
agreement of its attention with the gold word alignments, and its training time.
Sizes come from `COURSE_SCALE`; `--epochs` and `--train-pairs` override them.
"""

import argparse
import functools

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch03_attention import experiments as chapter3
from chapters.ch04_dot_product_attention import scaling
from chapters.ch04_dot_product_attention.model import LuongSeq2Seq
from chapters.common import alignment_quality, experiments, scales
from chapters.common.arguments import positive_float_argument, positive_int_argument

SCORES = ("dot", "general", "concat")


def build_luong_model(data, embedding_dim, hidden_units, learning_rate=3e-3, **options):
    """A `LuongSeq2Seq` sized for `data`, compiled like chapters 2 and 3's models.

    Args:
        data: a `TranslationData`; its tokenizers give the vocabulary sizes.
        embedding_dim, hidden_units: the model's sizes.
        learning_rate: Adam's (see `training.compile_translation_model`).
        **options: passed on to `LuongSeq2Seq` (e.g. `score="dot"`).
    """
    return experiments.build_translation_model(
        LuongSeq2Seq, data, embedding_dim, hidden_units, learning_rate, **options
    )


def tatoeba_experiment(scale=None, epochs=None, verbose=2, **options):
    """Trains a Luong model on Tatoeba zh->en with chapter 3's budget.

    Args:
        scale, epochs, verbose: see `experiments.tatoeba_experiment`.
        **options: passed on to `LuongSeq2Seq` (e.g. `score="dot"`).

    Returns:
        `(results, model, data)`; see `experiments.tatoeba_experiment`.
    """
    builder = functools.partial(build_luong_model, **options)
    return experiments.tatoeba_experiment(builder, scale, epochs, verbose)


# The Luong models the comparison trains beside chapter 3's additive one: Luong's
# two dot products, and the general score scaled as Vaswani et al. scale theirs.
LUONG_VARIANTS = {
    "Luong dot": {"score": "dot"},
    "Luong general": {"score": "general"},
    "Luong general /√H": {"score": "general", "scaled": True},
}


def comparison_factories(scale, variants=None):
    """`{name: factory}`: chapter 3's additive model and one Luong model per
    variant, all with the scale's sizes.

    Args:
        scale: gives the sizes.
        variants: `{name: LuongSeq2Seq options}`; default `LUONG_VARIANTS`.
    """
    sizes = {"embedding_dim": scale.embedding_dim, "hidden_units": scale.hidden_units}
    factories = {
        "additive (ch. 3)": functools.partial(chapter3.build_attention_model, **sizes)
    }
    for name, options in (LUONG_VARIANTS if variants is None else variants).items():
        factories[name] = functools.partial(build_luong_model, **options, **sizes)
    return factories


def length_curve_comparison(scale=None, train_pairs=None, epochs=None, verbose=0):
    """The length curve and the alignment scores of every model of
    `comparison_factories`, on chapter 2's length-curve data.

    Returns:
        `(curve, alignments, peaks)`: an `experiments.LengthCurve` with its
        trained models, `{name: AlignmentScores}` with the diagonal baseline,
        and `{name: mean largest weight}` of each model's teacher-forced
        attention (see `scaling.mean_largest_weight`).
    """
    scale = scale or scales.current_scale()
    data = chapter2.length_curve_data(scale, train_pairs)
    curve = chapter2.toy_length_curve(
        comparison_factories(scale), scale, data, epochs, verbose
    )
    toy_pairs = chapter2.length_curve_toy_pairs(scale, data)
    alignments, peaks = {}, {}
    for name, model in curve.models.items():
        weights = alignment_quality.teacher_forced_attention(model, toy_pairs, data)
        alignments[name] = alignment_quality.alignment_scores(weights, toy_pairs, data)
        peaks[name] = scaling.mean_largest_weight(weights)
    alignments["diagonal baseline"] = alignment_quality.alignment_scores(
        [alignment_quality.diagonal_weights(*rows.shape) for rows in weights],
        toy_pairs,
        data,
    )
    return curve, alignments, peaks


def comparison_table(curve, alignments, peaks):
    """One line per model: overall BLEU, the longest bucket's BLEU as a share of
    the shortest's ("-" when the shortest scores 0), arg-max agreement, AER, the
    mean largest attention weight and training time."""
    lines = [
        f"{'model':18s} {'BLEU':>6s} {'longest/shortest':>17s} "
        f"{'agreement':>10s} {'AER':>6s} {'largest α':>10s} {'training':>9s}"
    ]
    for name, bleu in curve.bleu.items():
        scores = alignments[name]
        # A model that has not learned scores 0 in the shortest bucket.
        ratio = f"{bleu[-1] / bleu[0]:.0%}" if bleu[0] > 0 else "-"
        lines.append(
            f"{name:18s} {curve.overall_bleu[name]:6.1f} "
            f"{ratio:>17s} {scores.agreement:10.1%} "
            f"{scores.alignment_error_rate:6.1%} {peaks[name]:10.3f} "
            f"{curve.seconds[name]:8.0f}s"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument("--score", choices=SCORES, default="general")
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="tatoeba: divide the dot or general score by the square root of H",
    )
    parser.add_argument(
        "--input-feeding",
        action="store_true",
        help="tatoeba: feed the previous attentional state to the RNN",
    )
    parser.add_argument(
        "--learning-rate",
        type=positive_float_argument,
        default=3e-3,
        help="tatoeba: Adam's learning rate (default 3e-3)",
    )
    parser.add_argument("--epochs", type=positive_int_argument)
    parser.add_argument("--train-pairs", type=positive_int_argument)
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.experiment == "tatoeba":
        results, _, data = tatoeba_experiment(
            scale,
            epochs=arguments.epochs,
            score=arguments.score,
            scaled=arguments.scaled,
            input_feeding=arguments.input_feeding,
            learning_rate=arguments.learning_rate,
        )
        print(data.describe("test"))
        print("\n".join(experiments.results_lines(results)))
        return
    curve, alignments, peaks = length_curve_comparison(
        scale, arguments.train_pairs, arguments.epochs, verbose=2
    )
    print(curve.table())
    print(comparison_table(curve, alignments, peaks))
    print(alignment_quality.alignment_table(alignments))


if __name__ == "__main__":
    main()
