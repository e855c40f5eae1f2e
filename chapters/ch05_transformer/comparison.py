"""The course's final comparison: one model of each of chapters 2-5, on the same
Tatoeba test split and on the same toy-grammar length curve.

    python -m chapters.ch05_transformer.comparison            # both parts
    python -m chapters.ch05_transformer.comparison tatoeba    # one part
    python -m chapters.ch05_transformer.comparison length-curve

Each model is trained with its own chapter's settings: the RNN models with the
scale's sizes and Tatoeba budget (`seq2seq_epochs`), the Transformer with its
preset, English subwords, `experiments.TATOEBA_EPOCHS` and the mean of its last
`experiments.AVERAGED_EPOCHS` epochs' weights. Every trained Tatoeba model is
saved as a `Translator` file (`translator_files`), and every result is
written as JSON into `--results` (default: see `default_results_folder`), with the
settings that produced it, the date and the library versions. A later run with
the same settings reads the file instead of training again, so an interrupted
run resumes where it stopped; delete a file (or pass `--retrain`) to train that
model anew.
"""

import argparse
import dataclasses
import datetime
import functools
import json
import os
import pathlib
import platform
import re

from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch03_attention import experiments as chapter3
from chapters.ch04_dot_product_attention import experiments as chapter4
from chapters.ch05_transformer import experiments as chapter5
from chapters.ch05_transformer.model import PRESETS
from chapters.common import (
    alignment_quality,
    evaluation,
    experiments,
    scales,
    translation_data,
)

GRU = "GRU (ch. 2)"
ADDITIVE = "GRU + additive (ch. 3)"
LUONG = "GRU + Luong (ch. 4)"  # general score, scaled by 1/√H
TRANSFORMER = "Transformer (ch. 5)"
MODELS = (GRU, ADDITIVE, LUONG, TRANSFORMER)
TRANSLATOR_FILE = "transformer-zh-en.translator"
# What the length curve measures; stored results made without one are retrained.
LENGTH_CURVE_MEASURES = ("bleu by length", "alignment agreement")
RESULTS_VARIABLE = "COURSE_RESULTS_DIR"


class MissingResults(FileNotFoundError):
    """The comparison's results are not stored, and training was not asked for."""


def _slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _versions():
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "machine": platform.machine(),
    }


def default_results_folder(scale):
    """`$COURSE_RESULTS_DIR/<scale>`, else `results/<scale>` in the course's
    download cache (see `tatoeba.cache_directory`): the same folder from the
    command line and from a notebook, whatever the working directory."""
    from chapters.common import tatoeba

    root = os.environ.get(RESULTS_VARIABLE) or tatoeba.cache_directory() / "results"
    return pathlib.Path(root).expanduser() / scale.name


def _cached(path, settings, compute, retrain=False, train_missing=True):
    """The `"results"` stored at `path` for the same settings, or `compute()`'s,
    written there with the settings, the date and the versions.

    Raises:
        MissingResults: nothing is stored for these settings and
            `train_missing` is False.
    """
    settings = json.loads(json.dumps(settings))  # tuples as JSON gives them back
    stored = None
    if path.is_file() and not retrain:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("settings") == settings:
            print(f"reused: {path}")
            return stored["results"]
    if not train_missing:
        reason = "were made with other settings" if stored else "are missing"
        raise MissingResults(
            f"The results {path} {reason}. Run `python -m "
            f"chapters.ch05_transformer.comparison` at this scale first."
        )
    if stored:
        print(f"settings changed, training again: {path}")
    results = compute()
    record = {
        "settings": settings,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "results": results,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8")
        print(f"wrote: {path}")
    except OSError as error:  # a read-only home: the results are still returned
        print(f"could not store the results ({error}); set {RESULTS_VARIABLE}")
    return results


def stored_provenance(scale=None, folder=None):
    """When and with what each stored result was made: `{file name: {"date",
    "versions"}}` for every JSON result in `folder` (default
    `default_results_folder(scale)`)."""
    scale = scale or scales.current_scale()
    folder = pathlib.Path(folder or default_results_folder(scale))
    provenance = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        provenance[path.name] = {
            "date": record.get("date"),
            "versions": record.get("versions"),
        }
    return provenance


def translator_file(name):
    """The file name of a model's saved Tatoeba `Translator`, e.g.
    `gru-additive-ch-3-zh-en.translator`; the Transformer's is `TRANSLATOR_FILE`."""
    if name not in MODELS:
        raise ValueError(f"name must be one of {MODELS}. Received: name={name!r}")
    return TRANSLATOR_FILE if name == TRANSFORMER else f"{_slug(name)}-zh-en.translator"


def translator_files(scale=None, folder=None):
    """`{model name: path}` of the saved Tatoeba translators that exist in
    `folder` (default `default_results_folder(scale)`). Each loads in one line:
    `Translator.load(path)`."""
    scale = scale or scales.current_scale()
    folder = pathlib.Path(folder or default_results_folder(scale))
    paths = {name: folder / translator_file(name) for name in MODELS}
    return {name: path for name, path in paths.items() if path.is_file()}


def _save_translator(model, data, path):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        evaluation.make_translator(model, data).save(path)
    except OSError as error:  # a read-only home: the results are still returned
        print(f"could not save {path.name} ({error}); set {RESULTS_VARIABLE}")


def rnn_factories(scale):
    """`{name: factory(data)}` of the three RNN models, with the scale's sizes."""
    sizes = {"embedding_dim": scale.embedding_dim, "hidden_units": scale.hidden_units}
    return {
        GRU: functools.partial(chapter2.build_seq2seq, **sizes),
        ADDITIVE: functools.partial(chapter3.build_attention_model, **sizes),
        LUONG: functools.partial(
            chapter4.build_luong_model, score="general", scaled=True, **sizes
        ),
    }


def transformer_settings(scale):
    """The Transformer's Tatoeba settings, as stored beside its results."""
    return {
        "config": dataclasses.asdict(PRESETS[scale.name]),
        "choices": dataclasses.asdict(chapter5.DEFAULT_CHOICES),
        "subwords": chapter5.SUBWORD_VOCABULARY_SIZE,
        "epochs": chapter5.TATOEBA_EPOCHS[scale.name],
        "averaged_epochs": chapter5.AVERAGED_EPOCHS,
    }


def tatoeba_comparison(
    scale=None, folder=None, retrain=False, verbose=2, train_missing=True
):
    """Every model's Tatoeba zh->en results, trained or read back from `folder`.

    Each model trained here is also saved there as a `Translator`
    (`translator_file(name)`), for lessons and learners to look into.

    Returns:
        `{model name: results dict}` (see `experiments.translation_experiment`).
    """
    scale = scale or scales.current_scale()
    folder = pathlib.Path(folder or default_results_folder(scale))
    base = {"scale": dataclasses.asdict(scale), "corpus": "Tatoeba zh-en"}
    table = {}
    data = None
    for name, factory in rnn_factories(scale).items():

        def train(factory=factory, name=name):
            nonlocal data
            data = data or translation_data.tatoeba_data(scale)
            results, model = experiments.translation_experiment(
                factory,
                data,
                scale.seq2seq_epochs,
                scale.batch_size,
                beam_width=scale.beam_width,
                verbose=verbose,
            )
            _save_translator(model, data, folder / translator_file(name))
            return results

        settings = {**base, "model": name, "epochs": scale.seq2seq_epochs}
        table[name] = _cached(
            folder / f"tatoeba-{_slug(name)}.json",
            settings,
            train,
            retrain,
            train_missing,
        )

    def train_transformer():
        results, model, data = chapter5.tatoeba_experiment(scale, verbose=verbose)
        _save_translator(model, data, folder / TRANSLATOR_FILE)
        return results

    settings = {**base, "model": TRANSFORMER, **transformer_settings(scale)}
    table[TRANSFORMER] = _cached(
        folder / f"tatoeba-{_slug(TRANSFORMER)}.json",
        settings,
        train_transformer,
        retrain,
        train_missing,
    )
    return table


def tatoeba_table(table):
    """The comparison as text, one line per model."""
    lines = [
        f"{'model':22s} {'parameters':>11s} {'training':>9s} {'greedy':>7s} "
        f"{'beam':>6s} {'greedy/s':>9s} {'beam/s':>7s}"
    ]
    for name, results in table.items():
        lines.append(
            f"{name:22s} {results['parameters']:11,d} "
            f"{results['training_seconds']:8.0f}s {results['bleu_greedy']:7.1f} "
            f"{results['bleu_beam']:6.1f} "
            f"{results['sentences_per_second_greedy']:9.1f} "
            f"{results['sentences_per_second_beam']:7.1f}"
        )
    return "\n".join(lines)


def length_curve_comparison(
    scale=None, folder=None, retrain=False, verbose=0, train_missing=True
):
    """All four models' BLEU by sentence length on chapter 2's toy data, and how
    well the attention of the three attention models agrees with the gold
    alignments of the same test pairs.

    The Transformer reads word-level toy English (the toy vocabulary is small),
    with `experiments.TOY_PRESETS`' sizes and `TOY_CHOICES`; the RNN models
    train as in chapters 2-4.

    Returns:
        A dict with the `experiments.LengthCurve`'s fields (models left out)
        and `"alignment"` (see `alignment_agreement`).
    """
    scale = scale or scales.current_scale()
    folder = pathlib.Path(folder or default_results_folder(scale))
    factories = {
        **rnn_factories(scale),
        TRANSFORMER: chapter5.toy_transformer_factory(scale),
    }

    def train():
        data = chapter2.length_curve_data(scale)
        curve = chapter2.toy_length_curve(factories, scale, data, verbose=verbose)
        fields = dataclasses.asdict(dataclasses.replace(curve, models={}))
        del fields["models"]
        toy_pairs = chapter2.length_curve_toy_pairs(scale, data)
        fields["alignment"] = alignment_agreement(curve.models, data, toy_pairs)
        return fields

    settings = {
        "scale": dataclasses.asdict(scale),
        "corpus": "toy grammar zh-en",
        "measures": list(LENGTH_CURVE_MEASURES),
        "models": list(factories),
        "transformer": {
            "config": dataclasses.asdict(chapter5.TOY_PRESETS[scale.name]),
            "choices": dataclasses.asdict(chapter5.TOY_CHOICES),
        },
    }
    return _cached(
        folder / "length-curve.json", settings, train, retrain, train_missing
    )


def alignment_agreement(models, data, toy_pairs):
    """Arg-max agreement and AER of each model's teacher-forced attention against
    the toy grammar's gold alignments (`alignment_quality`), beside the diagonal
    baseline; a model without attention (chapter 2's) is left out.

    Returns:
        `{"sentences": pairs, name: {"agreement", "alignment_error_rate",
        "lowest_alignment_error_rate", "tokens"}}`, rates as fractions.
    """
    weights = {
        name: alignment_quality.teacher_forced_attention(model, toy_pairs, data)
        for name, model in models.items()
        if callable(getattr(model, "attention_weights", None))
    }
    if not weights:
        raise ValueError(
            "alignment_agreement needs a model with attention_weights. Received: "
            f"{list(models)}"
        )
    any_weights = next(iter(weights.values()))
    weights["diagonal baseline"] = [
        alignment_quality.diagonal_weights(*rows.shape) for rows in any_weights
    ]
    table = {"sentences": len(toy_pairs)}
    for name, model_weights in weights.items():
        scores = alignment_quality.alignment_scores(model_weights, toy_pairs, data)
        table[name] = {
            "agreement": scores.agreement,
            "alignment_error_rate": scores.alignment_error_rate,
            "lowest_alignment_error_rate": scores.lowest_alignment_error_rate,
            "tokens": scores.tokens,
        }
    return table


def length_curve_from_fields(fields):
    """An `experiments.LengthCurve` (without models) from stored fields."""
    names = {field.name for field in dataclasses.fields(experiments.LengthCurve)}
    return experiments.LengthCurve(**{k: v for k, v in fields.items() if k in names})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "part", nargs="?", choices=("all", "tatoeba", "length-curve"), default="all"
    )
    parser.add_argument("--results", help="folder of the JSON results")
    parser.add_argument(
        "--retrain", action="store_true", help="train again even where results exist"
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    print(f"scale: {scale.name}")
    if arguments.part in ("all", "tatoeba"):
        table = tatoeba_comparison(scale, arguments.results, arguments.retrain)
        print(tatoeba_table(table))
    if arguments.part in ("all", "length-curve"):
        fields = length_curve_comparison(scale, arguments.results, arguments.retrain)
        curve = length_curve_from_fields(fields)
        print(curve.table())
        print("\n".join(curve.model_lines()))


if __name__ == "__main__":
    main()
