"""Tests of the lesson costs: what `run_course --record` keeps and the README
table made from it."""

import json
import os
import sys

import pytest

from tools import lesson_costs

MACHINE = {"processor": "a CPU", "cores": 2, "memory_gib": 8.0, "gpu": False}


def twin(folder, name, heading):
    path = folder / f"{name}.py"
    path.write_text(f"# %% [markdown]\n# # {heading}\n#\n# # Not this one\n", "utf-8")
    return path


def test_a_new_figure_replaces_the_old_and_keeps_the_others(tmp_path):
    lesson_costs.record(tmp_path, "02c_beam", 10.04, 500.0, MACHINE)
    lesson_costs.record(tmp_path, "01a_text", 5.0, None, MACHINE)
    lesson_costs.record(tmp_path, "02c_beam", 20.0, 600.0, MACHINE)
    stored = json.loads((tmp_path / "lessons.json").read_text(encoding="utf-8"))
    assert list(stored) == ["01a_text", "02c_beam"]
    assert stored["02c_beam"]["seconds"] == 20.0
    assert stored["02c_beam"]["peak_memory_mib"] == 600.0
    assert stored["01a_text"]["peak_memory_mib"] is None


def test_the_table_has_a_column_pair_per_measured_scale(tmp_path):
    sources = [
        twin(tmp_path, "01a_text", "Lesson 1a: text"),
        twin(tmp_path, "02c_beam", "Lesson 2c: beam"),
    ]
    results = tmp_path / "results"
    lesson_costs.record(results / "cpu", "02c_beam", 201.4, 1536.2, MACHINE)
    lesson_costs.record(results / "cpu", "01a_text", 6.0, None, MACHINE)
    lesson_costs.record(results / "ci", "02c_beam", 12.0, 800.0, MACHINE)
    lines = lesson_costs.table(results, sources).splitlines()
    assert lines[0] == (
        "| lesson | `ci` time | `ci` peak memory | `cpu` time | `cpu` peak memory |"
    )
    assert lines[2] == "| 1a: text | – | – | 6 s | – |"
    assert lines[3] == "| 2c: beam | 12 s | 800 MiB | 201 s | 1,536 MiB |"
    # Totals over the lessons measured; the largest peak, not a sum.
    assert lines[4] == (
        "| all 2 lessons | 0.2 min (1 measured) | 800 MiB at most | "
        "3.5 min (2 measured) | 1,536 MiB at most |"
    )
    assert lines[6].startswith("- `ci`: measured ") and "a CPU, 2 cores" in lines[6]
    assert "COURSE_SCALE=cpu python -m tools.run_course --record" in lines[7]


def test_a_table_with_nothing_measured_says_what_to_run(tmp_path):
    with pytest.raises(ValueError, match="run_course --record"):
        lesson_costs.table(tmp_path, [])


def test_the_peak_memory_of_a_process_and_of_none(tmp_path):
    if sys.platform.startswith("linux"):
        assert lesson_costs.kernel_peak_memory_mib(os.getpid()) > 10
    assert lesson_costs.kernel_peak_memory_mib(None) is None
    assert lesson_costs.kernel_peak_memory_mib(2**30) is None  # no such process


def test_a_readme_without_the_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# No table here\n", encoding="utf-8")
    lesson_costs.record(tmp_path / "ci", "01a_text", 5.0, None, MACHINE)
    with pytest.raises(ValueError, match="lessons:start"):
        lesson_costs.write_readme(readme, tmp_path, [])
