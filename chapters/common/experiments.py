"""The two experiments every translation chapter runs, for any model.

A chapter passes a **model factory**, `factory(data) -> compiled model` (see
`training.compile_translation_model`), and the experiment does the rest:

- `translation_experiment`: train one model, then greedy and beam BLEU, `[UNK]`
  rate and speed on the test split, with the test lengths and the corpus named;
- `length_curve`: train one model per factory on the same data, then BLEU by
  source-length bucket on the same test sentences (the bottleneck curve of
  chapter 2, flattened by attention in chapter 3).
"""

import dataclasses
import functools

from chapters.common import evaluation, sampling, scales, training, translation_data
from chapters.common.tokenizers import tokenize


def build_translation_model(
    model_class, data, embedding_dim, hidden_units, learning_rate=3e-3, **options
):
    """A translation model sized for `data`, built and compiled.

    Args:
        model_class: a model class taking `(source_vocabulary_size,
            target_vocabulary_size, embedding_dim=, hidden_units=, **options)`
            and called on `(source_ids, decoder_input_ids)`, e.g. `Seq2Seq`.
        data: a `TranslationData`; its tokenizers give the vocabulary sizes.
        embedding_dim, hidden_units: the model's sizes.
        learning_rate: Adam's (see `training.compile_translation_model`).
        **options: passed on to `model_class`.
    """
    model = model_class(
        data.source_tokenizer.vocabulary_size,
        data.target_tokenizer.vocabulary_size,
        embedding_dim=embedding_dim,
        hidden_units=hidden_units,
        **options,
    )
    model.build(((None, None), (None, None)))  # (B, S) source, (B, T) target ids
    return training.compile_translation_model(model, learning_rate)


def translation_experiment(
    model_factory,
    data,
    epochs,
    batch_size,
    beam_width=4,
    seed=42,
    verbose=2,
    callbacks=None,
    fixed_padding=False,
):
    """Trains one model on `data` and scores it on the test split.

    Args:
        model_factory: `factory(data) -> compiled model`.
        data: a `TranslationData`.
        epochs, batch_size: training.
        beam_width: `K` of the beam-search evaluation.
        seed: seeds the weights and the batches.
        verbose: Keras' progress display.
        callbacks, fixed_padding: for training (see `training.train`).

    Returns:
        `(results, model)`: a dict of every number a results table reports, with
        the corpus and the test lengths it was measured on, and the trained model.
    """
    scales.set_seed(seed)
    model = model_factory(data)
    run = training.train(
        model,
        data,
        epochs,
        batch_size,
        verbose=verbose,
        callbacks=callbacks,
        fixed_padding=fixed_padding,
    )
    translator = evaluation.make_translator(model, data)
    test_pairs = data.splits["test"]
    greedy = evaluation.evaluate(translator, test_pairs, "greedy")
    beam = evaluation.evaluate(translator, test_pairs, "beam", beam_width)
    lengths = data.length_statistics("test")
    results = {
        "corpus": data.corpus,
        "direction": f"{data.source_language}-{data.target_language}",
        "train_pairs": len(data.splits["train"]),
        "test_pairs": len(test_pairs),
        "test_source_tokens_mean": lengths["source"]["mean"],
        "test_source_tokens_max": lengths["source"]["max"],
        "test_target_tokens_mean": lengths["target"]["mean"],
        "test_target_tokens_max": lengths["target"]["max"],
        "source_vocabulary": data.source_tokenizer.vocabulary_size,
        "target_vocabulary": data.target_tokenizer.vocabulary_size,
        "parameters": run.parameters,
        "epochs": epochs,
        "training_seconds": run.seconds,
        "final_val_loss": run.history["val_loss"][-1],
        "bleu_greedy": greedy.bleu,
        "bleu_beam": beam.bleu,
        "beam_width": beam_width,
        "unknown_rate_greedy": greedy.unknown_rate,
        "unknown_rate_beam": beam.unknown_rate,
        "sentences_per_second_greedy": greedy.sentences_per_second,
        "sentences_per_second_beam": beam.sentences_per_second,
    }
    return results, model


def tatoeba_experiment(builder, scale=None, epochs=None, verbose=2):
    """Trains a chapter's model on Tatoeba zh->en with the scale's sizes; greedy
    and beam BLEU on the sampled test split.

    Args:
        builder: `builder(data, embedding_dim, hidden_units) -> compiled model`,
            e.g. chapter 2's `build_seq2seq`.
        scale: sizes; default `scales.current_scale()`.
        epochs: default the scale's `seq2seq_epochs`, the budget every chapter's
            Tatoeba model is compared at.
        verbose: Keras' progress display.

    Returns:
        `(results, model, data)`: the dict of `translation_experiment` with
        `"scale"` added, the trained model and its `TranslationData`.
    """
    scale = scale or scales.current_scale()
    data = translation_data.tatoeba_data(scale)
    factory = functools.partial(
        builder, embedding_dim=scale.embedding_dim, hidden_units=scale.hidden_units
    )
    results, model = translation_experiment(
        factory,
        data,
        epochs or scale.seq2seq_epochs,
        scale.batch_size,
        beam_width=scale.beam_width,
        verbose=verbose,
    )
    return {"scale": scale.name, **results}, model, data


def results_lines(results):
    """The lines a command line prints for a `translation_experiment` result:
    floats with three decimals, or three significant digits below 0.001."""

    def shown(value):
        if not isinstance(value, float):
            return str(value)
        return f"{value:.3g}" if 0 < abs(value) < 1e-3 else f"{value:.3f}"

    return [f"{key}: {shown(value)}" for key, value in results.items()]


@dataclasses.dataclass
class LengthCurve:
    """BLEU per source-length bucket, for several models on the same test split.

    Attributes:
        corpus: what the pairs are (see `TranslationData.corpus`).
        source_unit: how lengths are counted, e.g. `"characters"`, or `"English
            words"` for a Chinese source measured by its English translation.
        labels: bucket names, e.g. `"11-20"` source tokens.
        counts: test sentences per bucket.
        bleu: `{model name: [BLEU per bucket]}`; `nan` for an empty bucket.
        overall_bleu: `{model name: BLEU on the whole test split}`.
        parameters, seconds: `{model name: ...}` size and training time.
        test_lengths: `sampling.length_statistics` of the test sources, in
            `source_unit`.
        models: `{model name: the trained model}`, for further measurements.
    """

    corpus: str
    source_unit: str
    labels: list
    counts: list
    bleu: dict = dataclasses.field(default_factory=dict)
    overall_bleu: dict = dataclasses.field(default_factory=dict)
    parameters: dict = dataclasses.field(default_factory=dict)
    seconds: dict = dataclasses.field(default_factory=dict)
    test_lengths: dict = dataclasses.field(default_factory=dict)
    models: dict = dataclasses.field(default_factory=dict, repr=False)

    def table(self):
        """The curve as text: a caption line, then one row per bucket."""
        names = list(self.bleu)
        width = max(10, *(len(name) for name in names))
        header = "source " + self.source_unit
        first = max(18, len(header))
        lines = [
            f"{self.corpus}, test sources: "
            + sampling.describe_lengths(self.test_lengths, self.source_unit),
            f"{header:>{first}s}  sentences  "
            + "  ".join(f"{name:>{width}s}" for name in names),
        ]
        rows = [*zip(self.labels, self.counts, strict=True)]
        for index, (label, count) in enumerate(rows):
            cells = "  ".join(f"{self.bleu[n][index]:{width}.1f}" for n in names)
            lines.append(f"{label:>{first}s}  {count:9d}  {cells}")
        lines.append(
            f"{'all':>{first}s}  {sum(self.counts):9d}  "
            + "  ".join(f"{self.overall_bleu[n]:{width}.1f}" for n in names)
        )
        return "\n".join(lines)

    def model_lines(self):
        """One line per model: its parameters and training time."""
        return [
            f"{name}: {self.parameters[name]:,} parameters, "
            f"trained in {self.seconds[name]:.0f} s"
            for name in self.bleu
        ]


def length_curve(
    model_factories,
    data,
    epochs,
    batch_size,
    seed=0,
    verbose=0,
    length_language=None,
    edges=None,
):
    """Trains one model per factory on `data` and measures greedy BLEU by source
    length on its test split.

    Args:
        model_factories: `{model name: factory(data) -> compiled model}`.
        data: a `TranslationData`, e.g. `translation_data.toy_data(...)` with
            sentences of every length.
        epochs, batch_size: training, the same for every model.
        seed: seeds each model's weights and batches alike.
        verbose: Keras' progress display.
        length_language: the language whose tokens measure a sentence's length:
            the source's (default), or the target's, e.g. `"en"` to count a
            Chinese source in the words of its English reference, the unit of
            the papers' English sentences.
        edges: the bucket edges; default `evaluation.LENGTH_BUCKET_EDGES`.

    Returns:
        A `LengthCurve`, its trained models included.
    """
    if not model_factories:
        raise ValueError("model_factories must name at least one model factory.")
    languages = (data.source_language, data.target_language)
    length_language = length_language or data.source_language
    if length_language not in languages:
        raise ValueError(
            f"length_language must be one of the data's languages {languages}. "
            f"Received: length_language={length_language!r}"
        )
    side = "source" if length_language == data.source_language else "target"
    unit = "characters" if length_language == "zh" else "words"
    if side == "target":
        unit = {"zh": "Chinese ", "en": "English "}[length_language] + unit
    edges = evaluation.LENGTH_BUCKET_EDGES if edges is None else tuple(edges)
    lengths = [
        len(tokenize(pair[0 if side == "source" else 1], length_language))
        for pair in data.splits["test"]
    ]
    curve = LengthCurve(
        corpus=data.corpus,
        source_unit=unit,
        labels=[evaluation.bucket_label(i, edges) for i in range(len(edges) + 1)],
        counts=[],
        test_lengths=data.length_statistics("test")[side],
    )
    for name, factory in model_factories.items():
        scales.set_seed(seed)
        model = factory(data)
        run = training.train(
            model, data, epochs, batch_size, validation=False, verbose=verbose
        )
        result = evaluation.evaluate(
            evaluation.make_translator(model, data), data.splits["test"]
        )
        curve.counts, curve.bleu[name] = evaluation.bleu_by_length(
            result, data.source_language, data.target_language, edges, lengths
        )
        curve.overall_bleu[name] = result.bleu
        curve.parameters[name] = run.parameters
        curve.seconds[name] = run.seconds
        curve.models[name] = model
    return curve
