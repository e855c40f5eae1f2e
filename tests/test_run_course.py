"""The headless course runner: key figures and the clean-up of backend logs."""

import json
import pathlib
import subprocess
import sys

import nbformat
import pytest

from tools import run_course


def make_notebook(*outputs):
    cell = nbformat.v4.new_code_cell("print('hi')")
    cell.outputs = [nbformat.v4.new_output(**output) for output in outputs]
    return nbformat.v4.new_notebook(cells=[cell])


def test_key_figure_is_the_last_printed_key_line():
    notebook = make_notebook(
        {"output_type": "stream", "name": "stdout", "text": "Key figure: 1\n"},
        {"output_type": "stream", "name": "stdout", "text": "x\nKey figure: BLEU 9\n"},
    )
    assert run_course.key_figure(notebook) == "BLEU 9"
    assert run_course.key_figure(make_notebook()) == "-"


def test_backend_logs_are_dropped_and_real_warnings_kept():
    log = (
        "WARNING: All log messages before absl::InitializeLog() is called are written\n"
        "I0000 00:00:1795833185.723570   16418 port.cc:153] oneDNN custom operations\n"
        "E0000 00:00:1795833167.013644   16034 cuda_platform.cc:52] failed call\n"
        "2026-11-28 17:36:32.604040: I tensorflow/core/framework/local_rendezvous"
        ".cc:405] Local rendezvous recv item cancelled.\n"
    )
    notebook = make_notebook(
        {"output_type": "stream", "name": "stderr", "text": log},
        {
            "output_type": "stream",
            "name": "stderr",
            "text": log + "UserWarning: real\n",
        },
        {"output_type": "stream", "name": "stdout", "text": "I0000 00:00:17 kept\n"},
    )
    run_course.drop_backend_logs(notebook)
    outputs = notebook.cells[0].outputs
    assert [output["text"] for output in outputs] == [
        "UserWarning: real\n",
        "I0000 00:00:17 kept\n",
    ]


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course of empty twins in tmp_path; running one records it and writes it."""
    for name in ("lessons/01a_text.py", "lessons/02c_beam.py", "solutions/ch02.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
        (tmp_path / name).with_suffix(".ipynb").write_text("", encoding="utf-8")
    monkeypatch.setattr(run_course, "ROOT", tmp_path)
    ran = []

    def run_notebook(source, target):
        ran.append(source.relative_to(tmp_path).as_posix())
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(), target)
        return 12.5, 345.6

    monkeypatch.setattr(run_course, "run_notebook", run_notebook)
    return tmp_path, ran


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["02C"], ["lessons/02c_beam.py"]),
        (["lessons/02c_beam.py"], ["lessons/02c_beam.py"]),
        (["LESSONS/02C_BEAM.IPYNB"], ["lessons/02c_beam.py"]),
        (["02c", "01A", "02c_beam"], ["lessons/01a_text.py", "lessons/02c_beam.py"]),
        (["solutions/ch02.ipynb"], ["solutions/ch02.py"]),
        ([], ["lessons/01a_text.py", "lessons/02c_beam.py"]),
    ],
)
def test_lessons_are_named_in_any_case_or_by_path(course, names, expected):
    _, ran = course
    assert run_course.main(names) == 0
    assert ran == expected


def test_an_absolute_path_names_its_lesson(course):
    root, ran = course
    assert run_course.main([str(root / "lessons" / "01a_text.ipynb")]) == 0
    assert ran == ["lessons/01a_text.py"]


@pytest.mark.parametrize("names", [["zz"], ["02c", "zz"], ["lessons/02c.py"], ["ch02"]])
def test_a_name_that_matches_nothing_runs_nothing_and_fails(course, capsys, names):
    _, ran = course
    with pytest.raises(SystemExit) as exited:
        run_course.main(names)
    assert exited.value.code != 0
    assert ran == []
    error = capsys.readouterr().err
    assert f"Received: name={names[-1]!r}" in error
    # It lists what there is to run, solutions included (with --solutions).
    for name in ("01a_text", "02c_beam", "ch02", "--solutions"):
        assert name in error


def test_the_runner_runs_as_a_script(tmp_path):
    # `python tools/run_course.py` puts tools/, not the root, on the path.
    script = pathlib.Path(run_course.__file__)
    finished = subprocess.run(
        [sys.executable, str(script), "zz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 2, finished.stderr
    assert "02c_greedy_beam_bleu" in finished.stderr


def test_record_keeps_each_lessons_costs_and_writes_the_readme_table(
    course, monkeypatch, capsys
):
    root, ran = course
    (root / "lessons" / "01a_text.py").write_text(
        "# %% [markdown]\n# # Lesson 1a: text\n", encoding="utf-8"
    )
    (root / "README.md").write_text(
        "Before.\n<!-- lessons:start -->\nold\n<!-- lessons:end -->\nAfter.\n",
        encoding="utf-8",
    )
    from tools import provenance

    box = {"processor": "a CPU", "cores": 2, "memory_gib": 8.0, "gpu": False}
    monkeypatch.setattr(provenance, "machine", lambda: box)
    monkeypatch.setenv("COURSE_SCALE", "ci")
    assert run_course.main(["01a", "--record"]) == 0
    assert "12.5 s, peak 346 MiB at scale ci" in capsys.readouterr().out
    stored = json.loads(
        (root / "data" / "results" / "ci" / "lessons.json").read_text("utf-8")
    )
    assert list(stored) == ["01a_text"]
    assert stored["01a_text"]["seconds"] == 12.5
    assert stored["01a_text"]["machine"] == box
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("Before.\n<!-- lessons:start -->\n| lesson |")
    assert readme.endswith("<!-- lessons:end -->\nAfter.\n") and "old" not in readme
    # The lesson run has its title and figures; the other one is not measured.
    assert "| 1a: text | 12 s | 346 MiB |" in readme
    assert "| 02c_beam | – | – |" in readme
