"""The Colab set-up keeps the runtime's TensorFlow and matches tensorflow-text to it."""

import pathlib

import pytest

from chapters.common import colab

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_requirements_keep_runtime_and_match_tensorflow_text():
    text = (ROOT / "requirements.txt").read_text()
    packages = colab.colab_requirements(text, "2.19.1")
    names = [colab.requirement_name(p) for p in packages]
    assert packages[-1] == "tensorflow-text==2.19.*"
    assert names.count("tensorflow-text") == 1
    assert "tensorflow" not in names and "keras" not in names
    assert "ipykernel" not in names
    assert "sacrebleu" in names


def test_requirement_name_ignores_comments_and_blanks():
    assert colab.requirement_name("# a comment") is None
    assert colab.requirement_name("   ") is None
    assert colab.requirement_name("Keras==3.1  # pinned") == "keras"


def test_bad_tensorflow_version_is_rejected():
    with pytest.raises(ValueError, match="tensorflow_version"):
        colab.colab_requirements("sacrebleu==2.5.1", "nightly")
