"""Each notebook matches its jupytext twin and has outputs from a real run.

That each opens with the canonical Colab cell is tested in test_colab_cell.py.
"""

import pathlib
import re

import jupytext
import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path
    for folder in ("lessons", "solutions")
    for path in (ROOT / folder).glob("*.ipynb")
)
TWINS = sorted(
    path for folder in ("lessons", "solutions") for path in (ROOT / folder).glob("*.py")
)


def cell_sources(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_there_are_notebooks_and_each_twin_has_one():
    assert NOTEBOOKS, "no notebooks found in lessons/ or solutions/"
    notebook_stems = {path.with_suffix("") for path in NOTEBOOKS}
    missing = [
        str(path) for path in TWINS if path.with_suffix("") not in notebook_stems
    ]
    assert not missing, f"twins without a notebook (run make notebooks): {missing}"


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_agrees_with_its_text_twin(notebook_path):
    twin = notebook_path.with_suffix(".py")
    assert twin.exists(), f"{notebook_path.name} has no jupytext twin {twin.name}"
    from_notebook = cell_sources(nbformat.read(notebook_path, as_version=4))
    from_twin = cell_sources(jupytext.read(twin))
    assert from_notebook == from_twin, (
        f"{notebook_path.name} and {twin.name} differ; regenerate the notebook with "
        "`make notebooks` (or `jupytext --sync`) after editing the twin"
    )


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_stored_outputs_from_a_real_run(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    executed = [cell for cell in code_cells if cell.get("execution_count")]
    assert len(executed) == len(code_cells), "some code cells were never run"
    errors = [
        output
        for cell in code_cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, f"stored outputs contain errors: {errors[:1]}"


@pytest.mark.parametrize(
    "notebook_path",
    [path for path in NOTEBOOKS if path.parent.name == "lessons"],
    ids=lambda p: p.name,
)
def test_lesson_outputs_come_from_a_cpu_or_gpu_run(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    printed = "".join(
        str(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    found = re.findall(r"\bscale:?\s+(ci|cpu|gpu)\b", printed, re.I)
    stored_scales = {name.lower() for name in found}
    assert stored_scales, "a lesson prints the scale it ran at (e.g. 'Scale: cpu')"
    assert stored_scales <= {"cpu", "gpu"}, (
        f"stored outputs must come from a cpu or gpu run; found {stored_scales}"
    )
