"""One file for a trained translator: `Translator.save` and `Translator.load`.

A tiny chapter-2 `Seq2Seq`, trained for one epoch on toy-grammar pairs: a round
trip gives the same translations, here and in a fresh Python process that
imported only the translator module; tokenizers from another run are refused,
when the translator is built and when it is loaded; so are paths that hold no
translator.
"""

import json
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from chapters.ch02_encoder_decoder.experiments import build_seq2seq
from chapters.common import scales, training, translation_data
from chapters.common.translator import SETTINGS_FILE, Translator
from tests.fake_models import MarkovModel

OPTIONS = {"max_source_tokens": 20, "max_output_tokens": 12, "batch_size": 4}


@pytest.fixture(scope="module")
def data():
    return translation_data.toy_data(64, 8, max_words=6, seed=0)


@pytest.fixture(scope="module")
def other_data():
    """Another run's data: the same grammar, another sample, other vocabularies."""
    return translation_data.toy_data(16, 8, max_words=4, seed=1)


@pytest.fixture(scope="module")
def translator(data):
    scales.set_seed(0)
    model = build_seq2seq(data, embedding_dim=8, hidden_units=8)
    training.train(model, data, epochs=1, batch_size=16, validation=False, verbose=0)
    return Translator(model, data.source_tokenizer, data.target_tokenizer, **OPTIONS)


@pytest.fixture(scope="module")
def saved(translator, tmp_path_factory):
    path = tmp_path_factory.mktemp("artifact") / "zh_en.translator"
    translator.save(path)
    return path


@pytest.fixture(scope="module")
def sentences(data):
    return [source for source, _ in data.splits["test"]]


def summary(translations):
    """What must survive a round trip: texts, tokens and scores."""
    return [
        (item.text, list(item.tokens), round(item.log_prob, 4)) for item in translations
    ]


def test_a_round_trip_gives_the_same_translations(translator, saved, sentences):
    loaded = Translator.load(saved)
    for name in OPTIONS:
        assert getattr(loaded, name) == getattr(translator, name), name
    for side in ("source_tokenizer", "target_tokenizer"):
        before, after = getattr(translator, side), getattr(loaded, side)
        assert after.vocabulary.tokens == before.vocabulary.tokens
        assert after.language == before.language
    for method in ("greedy", "beam"):
        assert summary(loaded.translate_with_scores(sentences, method)) == summary(
            translator.translate_with_scores(sentences, method)
        ), method
    np.testing.assert_array_equal(
        loaded.model.get_weights()[0], translator.model.get_weights()[0]
    )


def test_the_file_holds_the_model_and_the_settings(saved):
    with zipfile.ZipFile(saved) as archive:
        assert set(archive.namelist()) == {"model.keras", SETTINGS_FILE}
        settings = json.loads(archive.read(SETTINGS_FILE))
    assert settings["options"] == OPTIONS
    assert "chapters.ch02_encoder_decoder.model" in settings["modules"]


LOAD_IN_A_FRESH_PROCESS = """
import json, sys
from chapters.common.translator import Translator
assert not any(name.startswith("chapters.ch02") for name in sys.modules)
translator = Translator.load(sys.argv[1])
sentences = json.loads(sys.argv[2])
print(json.dumps([
    (item.text, list(item.tokens), round(item.log_prob, 4))
    for item in translator.translate_with_scores(sentences)
]))
"""


def test_a_fresh_process_loads_it_with_one_import(translator, saved, sentences):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_IN_A_FRESH_PROCESS,
            str(saved),
            json.dumps(sentences),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    expected = summary(translator.translate_with_scores(sentences))
    assert [tuple(item) for item in printed] == [tuple(item) for item in expected]


def test_tokenizers_of_another_run_are_refused(translator, other_data):
    other = other_data.source_tokenizer
    assert other.vocabulary_size != translator.model.source_vocabulary_size
    message = (
        rf"{other.vocabulary_size} ids .* source_vocabulary_size is "
        rf"{translator.model.source_vocabulary_size}: .*another run"
    )
    with pytest.raises(ValueError, match=message):
        Translator(translator.model, other, translator.target_tokenizer)
    with pytest.raises(ValueError, match="target_vocabulary_size"):
        Translator(
            translator.model, translator.source_tokenizer, other_data.target_tokenizer
        )


def test_a_file_with_tokenizers_of_another_run_is_refused(saved, other_data, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        model_bytes = archive.read("model.keras")
        settings = json.loads(archive.read(SETTINGS_FILE))
    settings["target_tokenizer"] = keras.saving.serialize_keras_object(
        other_data.target_tokenizer
    )
    mixed = tmp_path / "mixed.translator"
    with zipfile.ZipFile(mixed, "w") as archive:
        archive.writestr("model.keras", model_bytes)
        archive.writestr(SETTINGS_FILE, json.dumps(settings))
    with pytest.raises(ValueError, match="another run"):
        Translator.load(mixed)


def test_paths_without_a_translator_are_refused(translator, tmp_path):
    with pytest.raises(FileNotFoundError, match="No translator file"):
        Translator.load(tmp_path / "missing.translator")
    with pytest.raises(ValueError, match="not a translator file"):
        Translator.load(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not a zip")
    with pytest.raises(ValueError, match="not a translator file"):
        Translator.load(text)
    # A bare Keras model is a zip too, but without tokenizers.
    model_only = tmp_path / "model.keras"
    translator.model.save(model_only)
    with pytest.raises(ValueError, match="translator.json"):
        Translator.load(model_only)
    with pytest.raises(ValueError, match="folder"):
        translator.save(tmp_path)


def test_only_a_keras_model_can_be_saved(data, tmp_path):
    fake = Translator(MarkovModel(), data.source_tokenizer, data.target_tokenizer)
    with pytest.raises(TypeError, match="MarkovModel"):
        fake.save(tmp_path / "fake.translator")
