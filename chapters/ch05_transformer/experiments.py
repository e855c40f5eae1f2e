"""Chapter 5's experiments: the Transformer on Tatoeba zh->en, word-level or with
English subwords, trained with the paper's schedule and label smoothing; and a
smaller one on chapter 2's toy-grammar length curve.

    python -m chapters.ch05_transformer.experiments tatoeba
    python -m chapters.ch05_transformer.experiments tatoeba --subwords 0 --epochs 10
    python -m chapters.ch05_transformer.experiments length-curve --epochs 16

`tatoeba` trains the scale's `PRESETS` Transformer on the same training pairs and
scores it on the same sampled test split as chapters 2-4's `tatoeba` commands,
so its BLEU sits next to theirs. English is split into WordPiece subwords of
about `--subwords` pieces (`0`: the chapters' word-level English); Chinese stays
in characters. Sizes come from `COURSE_SCALE`; the flags override them.

`length-curve` trains `TOY_PRESETS`' Transformer on chapter 2's length-curve data
(word-level English, the scale's `length_curve_epochs` unless `--epochs`) and
prints its BLEU by English length, as chapters 2-4's `length-curve` commands do
for theirs.
"""

import argparse
import dataclasses
import functools

import keras

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch05_transformer.model import PRESETS, Transformer, TransformerConfig
from chapters.ch05_transformer.subwords import SubwordTokenizer
from chapters.ch05_transformer.training import (
    CheckpointAverage,
    LabelSmoothedLoss,
    WarmupSchedule,
)
from chapters.common import evaluation, experiments, metrics, scales, translation_data
from chapters.common.arguments import (
    positive_float_argument,
    positive_int,
    positive_int_argument,
)

# About this many English pieces, when English is split into subwords.
SUBWORD_VOCABULARY_SIZE = 4000
# Passes over the Tatoeba training pairs per scale: at `cpu`, as many as fit in
# 30 minutes of training on two cores (15 took 2,026 s in one run).
TATOEBA_EPOCHS = {"ci": 1, "cpu": 12, "gpu": 30}
# The Tatoeba model is the mean of its weights at the end of this many last
# epochs (the paper averages its last 5 checkpoints; see `CheckpointAverage`).
AVERAGED_EPOCHS = 5


@dataclasses.dataclass(frozen=True)
class TrainingChoices:
    """How the Transformer is trained, beside its sizes (`TransformerConfig`).

    Attributes:
        warmup_steps: the schedule's warm-up (see `WarmupSchedule`).
        smoothing: label smoothing `ε` (see `LabelSmoothedLoss`).
        beta_2, epsilon: Adam's, the paper's 0.98 and 1e-9.
    """

    warmup_steps: int = 1000
    smoothing: float = 0.1
    beta_2: float = 0.98
    epsilon: float = 1e-9


DEFAULT_CHOICES = TrainingChoices()
# The Transformer on the toy grammar: its vocabulary is small and its training
# short (about 1,000 steps at `cpu`), so a smaller model with a warm-up longer
# than the run, whose rate is still rising at the end. With the Tatoeba preset
# and a 200-step warm-up (peak rate 4.4e-3) it learned almost nothing (greedy
# BLEU 0.7 in lesson 05c's first run); this one reached 61.4 there.
TOY_PRESETS = {
    "ci": PRESETS["ci"],
    "cpu": TransformerConfig(num_layers=2, d_model=128, num_heads=4, d_ff=512),
    "gpu": TransformerConfig(num_layers=2, d_model=128, num_heads=4, d_ff=512),
}
TOY_CHOICES = dataclasses.replace(DEFAULT_CHOICES, warmup_steps=2000)


def compile_transformer(model, choices=DEFAULT_CHOICES, learning_rate=None):
    """Compiles `model` with Adam on the warm-up schedule and the smoothed loss;
    the masked accuracy is reported beside it. A `learning_rate` replaces the
    schedule by that constant rate (to measure what the schedule brings)."""
    if learning_rate is None:
        learning_rate = WarmupSchedule(model.sizes.d_model, choices.warmup_steps)
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate, beta_1=0.9, beta_2=choices.beta_2, epsilon=choices.epsilon
        ),
        loss=LabelSmoothedLoss(choices.smoothing),
        metrics=[metrics.MaskedAccuracy()],
    )
    return model


def build_transformer(data, config, choices=DEFAULT_CHOICES, learning_rate=None):
    """A `Transformer` of `config`'s sizes for `data`'s vocabularies, built and
    compiled (see `compile_transformer`)."""
    model = Transformer(
        data.source_tokenizer.vocabulary_size,
        data.target_tokenizer.vocabulary_size,
        **dataclasses.asdict(config),
    )
    model.build(((None, None), (None, None)))
    return compile_transformer(model, choices, learning_rate)


def toy_transformer_factory(scale):
    """`factory(data) -> compiled model` of the toy-grammar Transformer:
    `TOY_PRESETS[scale.name]` compiled with `TOY_CHOICES`."""
    return functools.partial(
        build_transformer, config=TOY_PRESETS[scale.name], choices=TOY_CHOICES
    )


def length_curve_experiment(scale=None, epochs=None, verbose=0):
    """BLEU by English length of the toy-grammar Transformer, on chapter 2's
    length-curve data.

    Returns:
        An `experiments.LengthCurve` with the one curve `"Transformer"` and its
        trained model.
    """
    scale = scale or scales.current_scale()
    return chapter2.toy_length_curve(
        {"Transformer": toy_transformer_factory(scale)},
        scale,
        chapter2.length_curve_data(scale),
        epochs,
        verbose,
    )


def with_subwords(data, vocabulary_size=SUBWORD_VOCABULARY_SIZE):
    """`data` with its English side split into WordPiece pieces learned from the
    training split; the pairs and the other tokenizer are unchanged."""
    vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
    sides = {"source": 0, "target": 1}
    changed = {}
    for side, index in sides.items():
        tokenizer = getattr(data, f"{side}_tokenizer")
        if tokenizer.language == "en":
            changed[f"{side}_tokenizer"] = SubwordTokenizer.build(
                [pair[index] for pair in data.splits["train"]], "en", vocabulary_size
            )
    if not changed:
        raise ValueError("with_subwords needs data with an English side.")
    return dataclasses.replace(data, **changed)


def tatoeba_experiment(
    scale=None,
    epochs=None,
    subwords=SUBWORD_VOCABULARY_SIZE,
    config=None,
    choices=DEFAULT_CHOICES,
    batch_size=None,
    verbose=2,
    average=AVERAGED_EPOCHS,
    learning_rate=None,
    fixed_padding=False,
):
    """Trains a Transformer on Tatoeba zh->en; greedy and beam BLEU on the
    chapters' sampled test split.

    Args:
        scale: the course scale; default `scales.current_scale()`.
        epochs: passes over the training pairs; default `TATOEBA_EPOCHS`.
        subwords: about this many English WordPiece pieces; 0 or None keeps
            the word-level English of chapters 2-4.
        config: the sizes; default `PRESETS[scale.name]`.
        choices: a `TrainingChoices`.
        batch_size: default the scale's.
        verbose: Keras' progress display.
        average: the model is the mean of its weights at the end of this many
            last epochs (`CheckpointAverage`); 1 keeps the last epoch's.
        learning_rate: a constant Adam rate instead of the warm-up schedule.
        fixed_padding: pad every training batch to the longest training
            sentences instead of bucketing by length.

    Returns:
        `(results, model, data)`: the dict of `experiments.translation_experiment`
        with the scale, the English tokenization and the training choices added,
        the trained (averaged) model and its `TranslationData`. With averaging,
        the last epoch's own weights are scored too (`..._last_epoch`), and the
        model is given back with the averaged ones.
    """
    scale = scale or scales.current_scale()
    config = config or PRESETS[scale.name]
    data = translation_data.tatoeba_data(scale)
    if subwords:
        data = with_subwords(data, subwords)
    averager = CheckpointAverage(average)
    factory = functools.partial(
        build_transformer, config=config, choices=choices, learning_rate=learning_rate
    )
    results, model = experiments.translation_experiment(
        factory,
        data,
        epochs or TATOEBA_EPOCHS[scale.name],
        batch_size or scale.batch_size,
        beam_width=scale.beam_width,
        verbose=verbose,
        callbacks=[averager],
        fixed_padding=fixed_padding,
    )
    english = f"WordPiece, {subwords} asked" if subwords else "words"
    extra = {
        "scale": scale.name,
        "english_tokens": english,
        **{f"config_{k}": v for k, v in dataclasses.asdict(config).items()},
        **dataclasses.asdict(choices),
        "learning_rate": "warm-up schedule" if learning_rate is None else learning_rate,
        "batches": "fixed padding" if fixed_padding else "bucketed by length",
        "averaged_epochs": len(averager.snapshots),
    }
    if len(averager.snapshots) > 1:
        extra.update(_last_epoch_bleu(model, data, averager, scale.beam_width))
    return {**extra, **results}, model, data


def _last_epoch_bleu(model, data, averager, beam_width):
    """Greedy and beam BLEU of the last epoch's weights, before averaging; the
    model keeps its averaged weights afterwards."""
    averaged = model.get_weights()
    model.set_weights(averager.final_weights)
    try:
        translator = evaluation.make_translator(model, data)
        test_pairs = data.splits["test"]
        greedy = evaluation.evaluate(translator, test_pairs, "greedy")
        beam = evaluation.evaluate(translator, test_pairs, "beam", beam_width)
    finally:
        model.set_weights(averaged)
    return {"bleu_greedy_last_epoch": greedy.bleu, "bleu_beam_last_epoch": beam.bleu}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=("tatoeba", "length-curve"))
    parser.add_argument(
        "--subwords",
        type=int,
        default=SUBWORD_VOCABULARY_SIZE,
        help=f"about this many English WordPiece pieces (default "
        f"{SUBWORD_VOCABULARY_SIZE}); 0 for word-level English",
    )
    parser.add_argument("--epochs", type=positive_int_argument)
    parser.add_argument("--batch-size", type=positive_int_argument)
    parser.add_argument("--warmup", type=positive_int_argument, default=1000)
    parser.add_argument("--smoothing", type=float, default=0.1)
    parser.add_argument(
        "--learning-rate",
        type=positive_float_argument,
        help="a constant Adam rate instead of the warm-up schedule",
    )
    parser.add_argument(
        "--fixed-padding",
        action="store_true",
        help="pad every batch to the longest training sentences (no buckets)",
    )
    parser.add_argument("--layers", type=positive_int_argument)
    parser.add_argument("--d-model", type=positive_int_argument)
    parser.add_argument("--d-ff", type=positive_int_argument)
    parser.add_argument("--dropout", type=float)
    parser.add_argument("--pre-norm", action="store_true")
    parser.add_argument(
        "--average",
        type=positive_int_argument,
        default=AVERAGED_EPOCHS,
        help=f"average the weights of the last N epochs (default {AVERAGED_EPOCHS}; "
        "1: none)",
    )
    parser.add_argument("--save", help="write the trained Translator to this path")
    arguments = parser.parse_args(argv)
    if arguments.subwords < 0:
        parser.error(f"--subwords must be 0 or more. Received: {arguments.subwords}")
    scale = scales.current_scale()
    if arguments.experiment == "length-curve":
        ignored = [
            f"--{name.replace('_', '-')}"
            for name, value in vars(arguments).items()
            if name not in ("experiment", "epochs")
            and value != parser.get_default(name)
        ]
        if ignored:
            parser.error(
                "length-curve trains the toy preset and takes only --epochs. "
                f"Received: {' '.join(ignored)}"
            )
        print(f"scale: {scale.name}; {TOY_PRESETS[scale.name]}; {TOY_CHOICES}")
        curve = length_curve_experiment(scale, arguments.epochs, verbose=2)
        print(curve.table())
        print("\n".join(curve.model_lines()))
        return
    overrides = {
        "num_layers": arguments.layers,
        "d_model": arguments.d_model,
        "d_ff": arguments.d_ff,
        "dropout": arguments.dropout,
    }
    config = dataclasses.replace(
        PRESETS[scale.name],
        **{key: value for key, value in overrides.items() if value is not None},
        **({"norm_first": True} if arguments.pre_norm else {}),
    )
    choices = TrainingChoices(arguments.warmup, arguments.smoothing)
    print(f"scale: {scale.name}; {config}; {choices}")
    results, model, data = tatoeba_experiment(
        scale,
        arguments.epochs,
        arguments.subwords,
        config,
        choices,
        arguments.batch_size,
        average=arguments.average,
        learning_rate=arguments.learning_rate,
        fixed_padding=arguments.fixed_padding,
    )
    print(data.describe("test"))
    print("\n".join(experiments.results_lines(results)))
    if arguments.save:
        from chapters.common.evaluation import make_translator

        make_translator(model, data).save(arguments.save)
        print(f"saved: {arguments.save}")


if __name__ == "__main__":
    main()
