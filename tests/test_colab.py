"""The Colab set-up: tensorflow-text matched to TensorFlow, a CJK font, best effort."""

import subprocess
import sys

import pytest
import tensorflow as tf
from matplotlib import font_manager

from chapters.common import colab


class FakeRun:
    """Stands in for `subprocess.run`: records commands, answers with `returncode`."""

    def __init__(self, returncode=0, stderr=""):
        self.returncode = returncode
        self.stderr = stderr
        self.commands = []

    def __call__(self, command, **kwargs):
        self.commands.append(list(command))
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


@pytest.fixture
def fake_run(monkeypatch):
    run = FakeRun()
    monkeypatch.setattr(colab.subprocess, "run", run)
    return run


@pytest.fixture
def no_cache_write(monkeypatch):
    saved = []
    monkeypatch.setattr(colab, "save_font_cache", lambda: saved.append(True))
    return saved


@pytest.mark.parametrize(
    "version, requirement",
    [
        ("2.19.0", "tensorflow-text==2.19.*"),
        ("2.21.1", "tensorflow-text==2.21.*"),
        ("2.20.0-rc1", "tensorflow-text==2.20.*"),
        ("3.0.0", "tensorflow-text==3.0.*"),
    ],
)
def test_tensorflow_text_matches_the_runtime_major_minor(version, requirement):
    assert colab.tensorflow_text_requirement(version) == requirement


def test_pip_command_installs_the_matching_release_with_this_python():
    command = colab.tensorflow_text_command("2.19.1")
    assert command == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "tensorflow-text==2.19.*",
    ]


@pytest.mark.parametrize("version", ["nightly", "", "2"])
def test_bad_tensorflow_version_is_rejected(version):
    with pytest.raises(ValueError, match="tensorflow_version"):
        colab.tensorflow_text_requirement(version)


def test_tensorflow_text_install_runs_pip(fake_run):
    assert colab.install_tensorflow_text("2.19.0")
    assert fake_run.commands == [colab.tensorflow_text_command("2.19.0")]


def test_no_matching_tensorflow_text_warns_and_goes_on(fake_run):
    fake_run.returncode = 1
    fake_run.stderr = "ERROR: No matching distribution found for tensorflow-text"
    with pytest.warns(UserWarning, match="tf.data") as caught:
        assert not colab.install_tensorflow_text("2.99.0")
    message = str(caught[0].message)
    assert "tensorflow-text==2.99.*" in message
    assert "No matching distribution" in message


def test_font_step_updates_apt_before_installing(fake_run, no_cache_write, monkeypatch):
    found = iter([None, "Noto Sans CJK JP"])
    monkeypatch.setattr(colab, "find_cjk_font", lambda: next(found))
    assert colab.install_cjk_font() == "Noto Sans CJK JP"
    assert [command[:2] for command in fake_run.commands] == [
        ["apt-get", "update"],
        ["apt-get", "install"],
    ]
    assert colab.FONT_PACKAGE in fake_run.commands[1]
    assert no_cache_write == [True]


def test_font_step_keeps_a_font_already_there(fake_run, no_cache_write, monkeypatch):
    monkeypatch.setattr(colab, "find_cjk_font", lambda: "WenQuanYi Micro Hei")
    assert colab.install_cjk_font() == "WenQuanYi Micro Hei"
    assert fake_run.commands == []


def test_no_usable_font_warns_that_labels_render_as_boxes(
    fake_run, no_cache_write, monkeypatch
):
    fake_run.returncode = 100
    fake_run.stderr = "E: Could not open lock file - are you root?"
    monkeypatch.setattr(colab, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="boxes") as caught:
        assert colab.install_cjk_font() is None
    message = str(caught[0].message)
    assert "are you root?" in message
    assert f"apt-get install -y {colab.FONT_PACKAGE}" in message
    assert no_cache_write == [True]


def test_font_step_without_apt_get_warns_and_does_not_raise(
    no_cache_write, monkeypatch
):
    def missing_program(command, **kwargs):
        raise FileNotFoundError(command[0])

    monkeypatch.setattr(colab.subprocess, "run", missing_program)
    monkeypatch.setattr(colab, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="not found"):
        assert colab.install_cjk_font() is None


def test_font_cache_is_written_where_matplotlib_loads_it(tmp_path, monkeypatch):
    monkeypatch.setattr(colab.matplotlib, "get_cachedir", lambda: str(tmp_path))
    path = colab.save_font_cache()
    assert path.parent == tmp_path
    saved = font_manager.json_load(path)
    assert saved._version == font_manager.fontManager._version
    assert {entry.fname for entry in saved.ttflist} == {
        entry.fname for entry in font_manager.fontManager.ttflist
    }


def test_setup_colab_runs_both_steps_and_raises_nothing(
    fake_run, no_cache_write, monkeypatch
):
    fake_run.returncode = 1
    monkeypatch.setattr(colab, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning) as caught:
        colab.setup_colab()
    assert fake_run.commands[0] == colab.tensorflow_text_command(tf.__version__)
    assert [command[0] for command in fake_run.commands[1:]] == ["apt-get"] * 2
    assert len(caught) == 2
