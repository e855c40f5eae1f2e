"""Tests of chapter 5's training set-up and Tatoeba command: the compiled model
saved and loaded with its schedule and loss, English subwords, the command."""

import dataclasses

import keras
import numpy as np
import pytest

from chapters.ch05_transformer import experiments
from chapters.ch05_transformer.model import PRESETS
from chapters.ch05_transformer.subwords import SubwordTokenizer
from chapters.ch05_transformer.training import LabelSmoothedLoss, WarmupSchedule
from chapters.common import translation_data
from chapters.common.tokenizers import WordTokenizer


@pytest.fixture(scope="module")
def toy():
    return translation_data.toy_data(200, 20, max_words=8)


def test_with_subwords_changes_the_english_side_only(toy):
    data = experiments.with_subwords(toy, 100)
    assert isinstance(data.target_tokenizer, SubwordTokenizer)
    assert data.source_tokenizer is toy.source_tokenizer
    assert data.splits is toy.splits
    backwards = translation_data.toy_data(50, 5, direction="en-zh", max_words=6)
    flipped = experiments.with_subwords(backwards, 100)
    assert isinstance(flipped.source_tokenizer, SubwordTokenizer)
    assert isinstance(flipped.target_tokenizer, WordTokenizer)
    chinese_only = dataclasses.replace(toy, target_tokenizer=toy.source_tokenizer)
    with pytest.raises(ValueError, match="English side"):
        experiments.with_subwords(chinese_only)


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_a_compiled_model_saves_its_schedule_and_loss(toy, tmp_path):
    keras.utils.set_random_seed(0)
    choices = experiments.TrainingChoices(warmup_steps=7, smoothing=0.2)
    model = experiments.build_transformer(toy, PRESETS["ci"], choices)
    model.fit(toy.dataset("train", 16).take(3), verbose=0)
    path = tmp_path / "compiled.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    schedule = restored.optimizer._learning_rate
    assert isinstance(schedule, WarmupSchedule)
    assert (schedule.d_model, schedule.warmup_steps) == (PRESETS["ci"].d_model, 7)
    steps = int(model.optimizer.iterations)
    assert int(restored.optimizer.iterations) == steps > 0
    # The rate the next step uses: step `steps + 1` of a 7-step warm-up.
    expected = PRESETS["ci"].d_model ** -0.5 * (steps + 1) * 7**-1.5
    np.testing.assert_allclose(float(restored.optimizer.learning_rate), expected, 1e-6)
    assert isinstance(restored.loss, LabelSmoothedLoss)
    assert restored.loss.smoothing == 0.2
    assert restored.optimizer.beta_2 == pytest.approx(0.98)
    batch = next(iter(toy.dataset("validation", 8)))[0]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(batch)),
        keras.ops.convert_to_numpy(model(batch)),
        atol=1e-6,
    )


def test_the_tatoeba_command_runs_with_subwords_and_averaging(capsys, tmp_path):
    path = tmp_path / "zh_en.translator"
    experiments.main(
        ["tatoeba", "--subwords", "300", "--epochs", "2", "--average", "2"]
        + ["--save", str(path)]
    )
    printed = capsys.readouterr().out
    assert "english_tokens: WordPiece, 300 asked" in printed
    assert "averaged_epochs: 2" in printed
    for line in ("bleu_beam:", "bleu_greedy_last_epoch:", "bleu_beam_last_epoch:"):
        assert line in printed
    assert path.is_file()


def test_the_model_comes_back_averaged_after_the_last_epoch_is_scored(monkeypatch):
    made = []

    class Recorded(experiments.CheckpointAverage):
        def __init__(self, last):
            super().__init__(last)
            made.append(self)

    monkeypatch.setattr(experiments, "CheckpointAverage", Recorded)
    results, model, _ = experiments.tatoeba_experiment(
        epochs=2, subwords=300, average=2, verbose=0
    )
    (averager,) = made
    snapshots = list(averager.snapshots)
    assert results["averaged_epochs"] == len(snapshots) == 2
    assert "bleu_beam_last_epoch" in results
    for weight, first, second in zip(model.trainable_weights, *snapshots, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(weight), (first + second) / 2, atol=1e-6
        )
    # The last epoch's weights differ from the average the model keeps.
    assert any(
        not np.allclose(final, kept)
        for final, kept in zip(averager.final_weights, model.get_weights(), strict=True)
    )


def test_longest_counts_the_ids_of_the_longest_sentences(toy):
    pairs = toy.splits["validation"]
    source, target = toy.longest("validation")
    assert source == max(len(toy.source_tokenizer.encode(zh)) for zh, _ in pairs)
    assert target == max(len(toy.target_tokenizer.encode(en)) for _, en in pairs)
    ((sources, inputs), _) = next(iter(toy.dataset("validation", 3, fixed=True)))
    assert sources.shape[1] == source and inputs.shape[1] == target + 1


def test_the_command_trains_the_plain_recipe(capsys):
    # Word-level English, a constant rate, no smoothing, no averaging, fixed
    # padding: every choice of the chapter switched off.
    experiments.main(
        ["tatoeba", "--subwords", "0", "--learning-rate", "0.001", "--smoothing", "0"]
        + ["--average", "1", "--fixed-padding"]
    )
    printed = capsys.readouterr().out
    for line in (
        "english_tokens: words",
        "learning_rate: 0.001",
        "smoothing: 0.000",
        "batches: fixed padding",
        "averaged_epochs: 1",
    ):
        assert line in printed
    assert "bleu_beam_last_epoch" not in printed


def test_the_command_refuses_a_negative_vocabulary():
    with pytest.raises(SystemExit):
        experiments.main(["tatoeba", "--subwords", "-1"])


def test_the_length_curve_command_prints_the_transformer_curve(capsys):
    with pytest.raises(SystemExit):
        experiments.main(["length-curve", "--layers", "4", "--average", "2"])
    assert "takes only --epochs. Received: --layers --average" in (
        capsys.readouterr().err
    )
    experiments.main(["length-curve", "--epochs", "1"])
    printed = capsys.readouterr().out
    lines = [line.split() for line in printed.splitlines()]
    assert any(line[:1] == ["all"] and len(line) == 3 for line in lines)
    assert "Transformer: " in printed and " parameters, trained in " in printed
