"""Chapter 2's experiments: its model builder and its command line.

The experiments themselves (training, BLEU, the length curve) are the course's
shared ones, `chapters.common.experiments`; this module hands them a factory of the
chapter's `Seq2Seq`, so that every number the chapter reports can be regenerated:

    python -m chapters.ch02_encoder_decoder.experiments tatoeba       # BLEU, zh->en
    python -m chapters.ch02_encoder_decoder.experiments length-curve  # the bottleneck

Both read their sizes from `chapters.common.scales.current_scale()`
(`COURSE_SCALE=ci|cpu|gpu`); `--epochs` overrides the scale's epochs, and the length
curve also takes `--train-pairs` and `--hidden-units 128 256`.

The length curve measures one weakness of the plain encoder-decoder (Cho et al.,
2014, "On the Properties of Neural Machine Translation"): the whole source must pass
through one fixed-size context vector, so translation quality falls as sources grow.
"""

import argparse
import functools

from chapters.ch02_encoder_decoder.model import Seq2Seq
from chapters.common import experiments, scales, training, translation_data


def build_seq2seq(data, embedding_dim, hidden_units, learning_rate=3e-3, **options):
    """A `Seq2Seq` sized for `data`, compiled with the masked loss and accuracy.

    Args:
        data: a `TranslationData`; its tokenizers give the vocabulary sizes.
        embedding_dim, hidden_units: the model's sizes.
        learning_rate: Adam's (see `training.compile_translation_model`).
        **options: passed on to `Seq2Seq` (e.g. `concat_context=False`).
    """
    model = Seq2Seq(
        data.source_tokenizer.vocabulary_size,
        data.target_tokenizer.vocabulary_size,
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
        **options,
    )
    model.build(((None, None), (None, None)))  # (B, S) source, (B, T) target ids
    return training.compile_translation_model(model, learning_rate)


def tatoeba_experiment(scale=None, epochs=None, verbose=2):
    """Trains the chapter's model on Tatoeba zh->en; greedy and beam BLEU.

    Returns:
        `(results, model, data)`: the dict of `experiments.translation_experiment`
        (with `"scale"` added), the trained model and its `TranslationData`.
    """
    scale = scale or scales.current_scale()
    data = translation_data.tatoeba_data(scale)
    factory = functools.partial(
        build_seq2seq,
        embedding_dim=scale.embedding_dim,
        hidden_units=scale.hidden_units,
    )
    results, model = experiments.translation_experiment(
        factory,
        data,
        epochs or scale.seq2seq_epochs,
        scale.batch_size,
        beam_width=scale.beam_width,
        verbose=verbose,
    )
    return {"scale": scale.name, **results}, model, data


def length_curve_data(scale, train_pairs=None):
    """The toy-grammar pairs of the length curve: every length up to the scale's."""
    return translation_data.toy_data(
        train_pairs or scale.length_curve_train_pairs,
        scale.toy_eval_pairs,
        max_words=scale.length_curve_max_words,
    )


def length_curve_experiment(
    scale=None, train_pairs=None, epochs=None, hidden_units=None, verbose=0
):
    """BLEU by source length for encoder-decoders of several context sizes.

    Every model sees the same toy-grammar data and test sentences; only the
    context size (`hidden_units`) changes.

    Returns:
        An `experiments.LengthCurve` with one curve per context size, named
        `"context 128"` etc.
    """
    scale = scale or scales.current_scale()
    data = length_curve_data(scale, train_pairs)
    factories = {
        f"context {units}": functools.partial(
            build_seq2seq, embedding_dim=scale.embedding_dim, hidden_units=units
        )
        for units in hidden_units or scale.length_curve_hidden_units
    }
    return experiments.length_curve(
        factories,
        data,
        epochs or scale.length_curve_epochs,
        scale.batch_size,
        verbose=verbose,
    )


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument("--epochs", type=_positive, help="override the scale's epochs")
    parser.add_argument(
        "--train-pairs", type=_positive, help="length curve: override the pairs"
    )
    parser.add_argument(
        "--hidden-units", type=_positive, nargs="+", help="length curve: sizes"
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.experiment == "tatoeba":
        results, _, data = tatoeba_experiment(scale, epochs=arguments.epochs)
        print(data.describe("test"))
        for key, value in results.items():
            print(
                f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}"
            )
        return
    curve = length_curve_experiment(
        scale,
        arguments.train_pairs,
        arguments.epochs,
        arguments.hidden_units,
        verbose=2,
    )
    print(curve.table())
    for name in curve.bleu:
        print(
            f"{name}: {curve.parameters[name]:,} parameters, "
            f"trained in {curve.seconds[name]:.0f} s"
        )


if __name__ == "__main__":
    main()
