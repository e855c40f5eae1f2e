"""Offline and without the Tatoeba file, a lesson still runs on toy-grammar pairs."""

import sys

import nbformat

from tools import run_course


def test_a_tatoeba_lesson_runs_offline(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_CORPUS_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("COURSE_SCALE", "ci")
    # The kernel is another process: make its download fail at once, as offline.
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    source = run_course.ROOT / "lessons" / "01a_from_text_to_vectors.py"
    target = tmp_path / "01a.ipynb"
    seconds, peak_memory = run_course.run_notebook(source, target)
    assert seconds > 0
    # The kernel's peak memory, read from /proc on Linux: TensorFlow alone
    # takes more than 100 MiB.
    if sys.platform.startswith("linux"):
        assert peak_memory > 100
    notebook = nbformat.read(target, as_version=4)
    printed = "".join(
        str(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "toy-grammar pairs in place of Tatoeba" in printed
    assert run_course.key_figure(notebook).endswith("scale ci")
