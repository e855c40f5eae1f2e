"""Tests of the final comparison: it trains every model once, writes its results
with their settings, and reads them back instead of training again."""

import dataclasses
import json
import types

import pytest

from chapters.ch05_transformer import comparison
from chapters.common import experiments, scales

CI = scales.SCALES["ci"]


@pytest.fixture(scope="module")
def first_run():
    """The ci comparison, stored where the lessons run after the tests (`make
    test`) read it back."""
    folder = comparison.default_results_folder(CI)
    table = comparison.tatoeba_comparison(CI, retrain=True, verbose=0)
    fields = comparison.length_curve_comparison(CI, retrain=True)
    return folder, table, fields


def test_every_model_is_scored_and_written_with_its_settings(first_run):
    folder, table, fields = first_run
    assert list(table) == list(comparison.MODELS)
    for results in table.values():
        for key in ("bleu_greedy", "bleu_beam", "parameters", "training_seconds"):
            assert isinstance(results[key], (int, float))
        assert results["test_pairs"] == CI.eval_sentences
    files = sorted(path.name for path in folder.iterdir())
    assert len(files) == 9 and "length-curve.json" in files
    translators = comparison.translator_files(CI)
    assert list(translators) == list(comparison.MODELS)
    assert translators[comparison.TRANSFORMER].name == comparison.TRANSLATOR_FILE
    assert {path.name for path in translators.values()} <= set(files)
    for path in folder.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        assert set(record) == {"settings", "date", "versions", "results"}
        assert record["settings"]["scale"]["name"] == "ci"
        assert {"tensorflow", "keras", "python"} <= set(record["versions"])
    transformer = table[comparison.TRANSFORMER]
    assert transformer["english_tokens"].startswith("WordPiece")
    curve = comparison.length_curve_from_fields(fields)
    assert list(curve.bleu) == list(comparison.MODELS)
    assert sum(curve.counts) == CI.toy_eval_pairs
    assert "all" in curve.table()
    alignment = fields["alignment"]
    assert alignment["sentences"] == CI.toy_eval_pairs
    attention_models = [comparison.ADDITIVE, comparison.LUONG, comparison.TRANSFORMER]
    assert set(alignment) == {"sentences", "diagonal baseline", *attention_models}
    for name in [*attention_models, "diagonal baseline"]:
        scores = alignment[name]
        assert 0 <= scores["agreement"] <= 1 and scores["tokens"] > 0
        # One link per token: no AER below that of full agreement.
        assert scores["alignment_error_rate"] >= scores["lowest_alignment_error_rate"]


def test_each_saved_translator_loads_in_one_line(first_run):
    from chapters.common.translator import Translator

    for name, path in comparison.translator_files(CI).items():
        translation = Translator.load(path).translate(["我爱你。"])
        assert len(translation) == 1 and isinstance(translation[0], str), name
    with pytest.raises(ValueError, match="name must be one of"):
        comparison.translator_file("GRU")


def test_a_second_run_reads_the_results_instead_of_training(first_run, monkeypatch):
    folder, table, fields = first_run

    def no_training(*args, **kwargs):
        raise AssertionError("a stored result was trained again")

    monkeypatch.setattr(experiments, "translation_experiment", no_training)
    monkeypatch.setattr(experiments, "length_curve", no_training)
    assert comparison.tatoeba_comparison(CI) == table
    assert comparison.length_curve_comparison(CI) == fields


def test_changed_settings_train_that_model_again(first_run, monkeypatch):
    folder, table, _ = first_run
    trained = []

    def fake_experiment(factory, data, epochs, *args, **kwargs):
        trained.append(epochs)
        return {"bleu_greedy": 1.0}, None

    monkeypatch.setattr(experiments, "translation_experiment", fake_experiment)
    unsaved = types.SimpleNamespace(save=lambda path: None)
    monkeypatch.setattr(comparison.evaluation, "make_translator", lambda *a: unsaved)
    changed = dataclasses.replace(CI, seq2seq_epochs=2)
    with pytest.raises(comparison.MissingResults, match="other settings"):
        comparison.tatoeba_comparison(
            dataclasses.replace(CI, seq2seq_epochs=2), folder, train_missing=False
        )
    new_folder = folder.parent / "changed"
    for path in folder.glob("tatoeba-*.json"):
        (new_folder / path.name).parent.mkdir(exist_ok=True)
        (new_folder / path.name).write_bytes(path.read_bytes())
    new_table = comparison.tatoeba_comparison(changed, new_folder)
    # The three RNN models train with the scale's epochs; the Transformer's
    # settings hold the whole scale too, so it is trained again as well.
    assert trained[:3] == [2, 2, 2] and len(trained) == 4
    assert new_table[comparison.GRU] == {"bleu_greedy": 1.0}
    assert comparison.tatoeba_comparison(changed, new_folder) == new_table
    assert len(trained) == 4


def test_missing_results_say_which_command_makes_them(tmp_path):
    with pytest.raises(comparison.MissingResults, match="are missing.*comparison"):
        comparison.length_curve_comparison(CI, tmp_path, train_missing=False)
