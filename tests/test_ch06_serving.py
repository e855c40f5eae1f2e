"""Chapter 6's serving: loading an exported translator, the HTTP endpoint, the
command line; all on the fake SavedModel of `fake_export.py`, whose greedy search
upper-cases and whose beam search reverses each sentence."""

import io
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
import tensorflow as tf

from chapters.ch06_beyond_the_notebook import serving
from tests import fake_export

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROGRAM = "python -m chapters.ch06_beyond_the_notebook.serving"
COMMAND = [sys.executable, *PROGRAM.split()[1:]]
SENTENCES = ["hello world", "我爱你。"]
GREEDY = ["HELLO WORLD", "我爱你。"]
BEAM = ["dlrow olleh", "。你爱我"]


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return fake_export.save_fake_translator(tmp_path_factory.mktemp("fake") / "model")


@pytest.fixture(scope="module")
def translator(model_folder):
    return serving.load_exported(model_folder)


# Loading.


def test_load_exported_refuses_a_missing_folder(tmp_path):
    missing = tmp_path / "nothing-here"
    with pytest.raises(FileNotFoundError, match="does not exist") as caught:
        serving.load_exported(missing)
    assert str(missing) in str(caught.value)
    assert serving.EXPORT_COMMAND in str(caught.value)


def test_load_exported_refuses_a_folder_or_file_that_is_no_saved_model(tmp_path):
    with pytest.raises(ValueError, match="a folder without saved_model.pb"):
        serving.load_exported(tmp_path)
    keras_file = tmp_path / "model.keras"
    keras_file.write_bytes(b"not a SavedModel")
    with pytest.raises(ValueError, match="it is a file"):
        serving.load_exported(keras_file)
    with pytest.raises(ValueError, match="No model folder given"):
        serving.load_exported(None)


def test_load_exported_refuses_a_corrupt_saved_model(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="Could not load the SavedModel"):
        serving.load_exported(tmp_path)


def test_load_exported_refuses_a_saved_model_without_beam(tmp_path):
    folder = fake_export.save_fake_translator(
        tmp_path / "greedy-only", signature_names=("serving_default", "greedy")
    )
    with pytest.raises(ValueError, match=r"lacks the signature\(s\) \['beam'\]"):
        serving.load_exported(folder)


def test_load_exported_refuses_signatures_that_take_no_sentences(tmp_path):
    folder = fake_export.save_number_doubler(tmp_path / "doubler")
    with pytest.raises(
        ValueError, match=r"inputs \['numbers'\], outputs \['doubled'\]"
    ):
        serving.load_exported(folder)


# Translating from Python.


def test_translate_calls_the_signature_of_each_method(translator):
    assert translator.translate(SENTENCES) == GREEDY
    assert translator.translate(SENTENCES, method="greedy") == GREEDY
    assert translator.translate(tuple(SENTENCES), method="beam") == BEAM
    assert translator.translate(["好"], method="beam") == ["好"]


@pytest.mark.parametrize(
    "sentences, error, message",
    [
        ("我爱你。", TypeError, "not a single string"),
        ({"我爱你。"}, TypeError, "of type set"),
        ([], ValueError, "must not be empty"),
        (["我爱你。", 3], TypeError, r"sentences\[1\] must be a string"),
        (["我爱你。", "ok", " \t"], ValueError, r"sentences\[2\] is empty"),
    ],
)
def test_translate_refuses_bad_sentences(translator, sentences, error, message):
    with pytest.raises(error, match=message):
        translator.translate(sentences)


def test_translate_refuses_an_unknown_method(translator):
    with pytest.raises(ValueError, match=r"one of \['greedy', 'beam'\]"):
        translator.translate(SENTENCES, method="sample")


def test_the_signature_itself_fails_on_a_blank_sentence(translator):
    """What `check_sentences` spares a caller: the fake keeps the real contract."""
    signature = translator.saved_model.signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError):
        signature(sentences=tf.constant(["ok", "  "]))


# The HTTP endpoint.


def _start(translator, **settings):
    server = serving.make_server(translator, port=0, **settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def url(translator):
    server, thread = _start(translator, max_body_bytes=2000)
    yield serving.server_url(server)
    _stop(server, thread)


def _request(address, body=None, method=None):
    """(status, JSON answer, headers) of one request; `body` is bytes or JSON."""
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        address, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers


def test_health(url):
    assert _request(url + "/health")[:2] == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "request_body, expected",
    [
        ({"sentences": SENTENCES}, GREEDY),
        ({"sentences": SENTENCES, "method": "greedy"}, GREEDY),
        ({"sentences": SENTENCES, "method": "beam"}, BEAM),
    ],
)
def test_translate_endpoint(url, request_body, expected):
    status, answer, headers = _request(url + "/translate", request_body)
    assert (status, answer) == (200, {"translations": expected})
    assert headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[" * 1500, "not valid JSON"),  # nested deeper than the parser recurses
        (["我爱你。"], "must be a JSON object"),
        ({}, "'sentences' is missing"),
        ({"sentence": ["我爱你。"]}, "Unknown field"),
        ({"sentences": []}, "must not be empty"),
        ({"sentences": "我爱你。"}, "not a single string"),
        ({"sentences": ["我爱你。", None]}, r"sentences\[1\] must be a string"),
        ({"sentences": ["我爱你。", "  "]}, r"sentences\[1\] is empty"),
        ({"sentences": ["我爱你。"], "method": "sample"}, "method must be one of"),
        ({"sentences": ["我爱你。"], "method": 4}, "method must be one of"),
        ({"sentences": ["好"] * (serving.MAX_SENTENCES + 1)}, "At most 64 sentences"),
    ],
)
def test_bad_requests_get_400_and_a_json_error(url, body, message):
    status, answer, _ = _request(url + "/translate", body)
    assert status == 400
    assert list(answer) == ["error"]
    assert re.search(message, answer["error"])
    assert "Traceback" not in answer["error"]


def test_a_body_over_the_limit_gets_413(url):
    status, answer, _ = _request(url + "/translate", {"sentences": ["好" * 1000]})
    assert status == 413
    assert "the limit is 2000" in answer["error"]
    # Refused before reading it; the server goes on answering.
    assert _request(url + "/health")[0] == 200


def test_unknown_paths_get_404_and_wrong_methods_405(url):
    assert _request(url + "/nowhere")[0] == 404
    assert _request(url + "/nowhere", {"sentences": ["好"]})[0] == 404
    status, answer, headers = _request(url + "/translate")
    assert (status, headers["Allow"]) == (405, "POST")
    assert "takes POST, not GET" in answer["error"]
    status, _, headers = _request(url + "/health", {"sentences": ["好"]})
    assert (status, headers["Allow"]) == (405, "GET")
    assert _request(url + "/translate", method="DELETE")[0] == 405


class _BrokenTranslator:
    def translate(self, sentences, method):
        raise RuntimeError("secret internal detail")


def test_a_failing_translator_gets_500_without_details(caplog):
    server, thread = _start(_BrokenTranslator())
    try:
        status, answer, _ = _request(
            serving.server_url(server) + "/translate", {"sentences": ["好"]}
        )
    finally:
        _stop(server, thread)
    assert status == 500
    assert "secret" not in answer["error"] and "Traceback" not in answer["error"]
    assert "secret internal detail" in caplog.text  # the server's log has it


# The command line.


def _run(arguments, stdin="", model_variable=None):
    environment = dict(os.environ, PYTHONIOENCODING="utf-8")
    environment.pop(serving.MODEL_VARIABLE, None)
    if model_variable is not None:
        environment[serving.MODEL_VARIABLE] = str(model_variable)
    return subprocess.run(
        COMMAND + arguments,
        input=stdin.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )


def _text(stream):
    return stream.decode("utf-8")


def test_command_translates_its_arguments(model_folder):
    result = _run(
        ["translate", *SENTENCES, "--model", str(model_folder), "--method", "beam"]
    )
    assert result.returncode == 0, _text(result.stderr)
    assert _text(result.stdout).splitlines() == BEAM


def test_command_translates_stdin_line_by_line(model_folder):
    """Blank lines stay blank, so output line N translates input line N."""
    result = _run(["translate"], "hello\n\n我爱你。\n", model_variable=model_folder)
    assert result.returncode == 0, _text(result.stderr)
    assert _text(result.stdout).splitlines() == ["HELLO", "", "我爱你。"]


def test_main_keeps_lines_aligned_across_batches(model_folder, monkeypatch, capsys):
    lines = ["" if index % 7 == 0 else f"line {index}" for index in range(75)]
    assert len(lines) > 2 * serving.BATCH_SIZE
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert serving.main(["translate", "--model", str(model_folder)]) == 0
    assert capsys.readouterr().out.splitlines() == [line.upper() for line in lines]


@pytest.mark.parametrize(
    "arguments, stdin, message",
    [
        (["translate", "好", "--model", "/no/such/model"], "", "does not exist"),
        (["translate", "好"], "", "No model folder given"),
        (
            ["translate", "--model", "/no/such/model"],
            "\n  \n",
            "standard input has none",
        ),
        (["translate", "好", " ", "--model", "/no/such/model"], "", "is empty"),
        (["serve", "--model", "/no/such/model"], "", "does not exist"),
    ],
)
def test_command_errors_are_one_line_without_traceback(arguments, stdin, message):
    result = _run(arguments, stdin)
    error = _text(result.stderr)
    assert result.returncode == 2
    assert "Traceback" not in error
    # One line from the command (TensorFlow may log lines of its own around it).
    (line,) = [line for line in error.splitlines() if line.startswith(PROGRAM)]
    assert message in line


def test_command_refuses_a_bad_port():
    result = _run(["serve", "--model", "/no/such/model", "--port", "70000"])
    assert result.returncode == 2
    assert "must be a port from 0 to 65535" in _text(result.stderr)


def test_serve_command_answers_until_interrupted(model_folder):
    environment = dict(os.environ, PYTHONIOENCODING="utf-8")
    process = subprocess.Popen(
        COMMAND + ["serve", "--model", str(model_folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=environment,
    )
    try:
        first_line = _text(process.stdout.readline())
        assert " at http://" in first_line, _text(process.stderr.read())
        curl_line = _text(process.stdout.readline())
        address = first_line.split(" at ")[1].split()[0]
        assert curl_line.startswith(f"curl -s {address}/translate")
        body = {"sentences": ["我爱你。"], "method": "beam"}
        assert _request(address + "/translate", body)[:2] == (
            200,
            {"translations": ["。你爱我"]},
        )
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, _text(stderr)
    assert "Stopped." in _text(stdout)


def test_the_client_function_gets_translations_and_quotes_errors(url):
    assert serving.request_translations(url, ["ab", "cd"]) == ["AB", "CD"]
    assert serving.request_translations(url, ["abc"], "beam") == ["cba"]
    with pytest.raises(RuntimeError, match=r"400: .*sentences\[0\] is empty"):
        serving.request_translations(url, [" "])
