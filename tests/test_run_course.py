"""The headless course runner: key figures and the clean-up of backend logs."""

import nbformat

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
