"""Runs every lesson in reading order, headless, and prints one line per lesson.

    python -m tools.run_course              # executed copies go to build/course/
    python -m tools.run_course --in-place   # rewrite the notebooks' stored outputs
    python -m tools.run_course 01a 02B      # only lessons whose names start so
    python tools/run_course.py lessons/02c_greedy_beam_bleu.ipynb  # one, by path
    python -m tools.run_course --record     # also keep each lesson's costs

A lesson is named by the start of its name, in any case, or by the path of its
`.py` twin or its notebook (a solution's path runs it without `--solutions`). A
name that matches nothing stops the run before it starts, with the list of what
there is.

Each notebook is rebuilt from its jupytext `.py` twin, executed on a fresh kernel
at the current scale (`COURSE_SCALE`), and summarised by its wall time and its
key figure: the last printed line that starts with `Key figure:`. With
`--record`, each lesson's wall time and its kernel's peak memory go into
`data/results/<scale>/lessons.json` and the README's lesson table (see
`tools.lesson_costs`).
"""

import argparse
import pathlib
import re
import subprocess
import sys
import time

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
# `python tools/run_course.py` puts tools/ on the path where `python -m` puts the
# root; without an editable install of the course, `chapters` would be missing.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chapters.common.scales import current_scale  # noqa: E402 (needs the root)
from tools import lesson_costs  # noqa: E402

# Lessons first, then the worked solutions: the reading order.
FOLDERS = ("lessons", "solutions")
NOTEBOOK_SUFFIXES = (".py", ".ipynb")
KEY_FIGURE = "Key figure:"
# TensorFlow's C++ runtime logs to stderr before Python can silence it
# (TF_CPP_MIN_LOG_LEVEL does not reach these lines); they say nothing about the
# lesson, so stored outputs leave them out.
BACKEND_LOG_LINE = re.compile(
    r"^([IWE]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages before absl"
    # Older TensorFlow (2.19, Colab's) dates its lines:
    # "2026-11-28 17:36:32.604040: I tensorflow/core/.../local_rendezvous.cc:405]".
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S+\.cc:\d+\]"
    r"|To enable the following instructions|$)"
)


def lesson_sources(folder: str) -> list[pathlib.Path]:
    """The `.py` twins in `folder`, in reading order."""
    sources = sorted((ROOT / folder).glob("*.py"))
    return [path for path in sources if not path.name.startswith("_")]


def select_sources(names: list[str], folders: list[str]) -> list[pathlib.Path]:
    """The twins that `names` name, in reading order; all of `folders` for none.

    A name is the start of a twin's name in `folders`, in any case (`02C`), or
    the path of a twin or its notebook (`lessons/02c_greedy_beam_bleu.ipynb`),
    which names that one file in whichever folder it is.

    Raises:
        ValueError: a name matches nothing; the message lists what there is.
    """
    available = {folder: lesson_sources(folder) for folder in FOLDERS}
    if not names:
        return [source for folder in folders for source in available[folder]]
    chosen = set()
    for name in names:
        matches = _named_by(name, available, folders)
        if not matches:
            raise ValueError(_nothing_matches(name, available))
        chosen.update(matches)
    return [s for folder in FOLDERS for s in available[folder] if s in chosen]


def _named_by(name: str, available, folders) -> list[pathlib.Path]:
    """The twins that one name names (see `select_sources`)."""
    path = pathlib.PurePath(name)
    folder = path.parent.name.lower()
    if path.suffix.lower() in NOTEBOOK_SUFFIXES:
        # The path of a file names that one twin, whichever folder it is in.
        searched = [folder] if folder in FOLDERS else FOLDERS
        stem = path.stem.lower()
        return [s for f in searched for s in available[f] if s.stem.lower() == stem]
    searched = [folder] if folder in FOLDERS else folders
    start = path.name.lower()
    return [
        s for f in searched for s in available[f] if s.stem.lower().startswith(start)
    ]


def _nothing_matches(name: str, available: dict[str, list[pathlib.Path]]) -> str:
    def listed(folder):
        return ", ".join(source.stem for source in available[folder]) or "none"

    return (
        f"no lesson matches {name!r}. Name a lesson by the start of its name, in "
        "any case (such as 02c), or by the path of its .py or .ipynb. Lessons: "
        f"{listed('lessons')}. Solutions (with --solutions, or by path): "
        f"{listed('solutions')}. Received: name={name!r}"
    )


def key_figure(notebook: nbformat.NotebookNode) -> str:
    """The last `Key figure:` line the notebook printed, or a dash."""
    found = "-"
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in str(output.get("text", "")).splitlines():
                if line.startswith(KEY_FIGURE):
                    found = line[len(KEY_FIGURE) :].strip()
    return found


def drop_backend_logs(notebook: nbformat.NotebookNode) -> None:
    """Removes TensorFlow's C++ start-up log lines from stderr outputs."""
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                kept = [line for line in lines if not BACKEND_LOG_LINE.match(line)]
                if not kept:
                    continue
                output["text"] = "".join(kept)
            outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs


def run_notebook(
    source: pathlib.Path, target: pathlib.Path
) -> tuple[float, float | None]:
    """Executes the twin of `source` on a fresh kernel; writes it to `target`.

    Returns:
        `(seconds, peak memory)`: the wall time, and the kernel's peak resident
        memory in MiB (`lesson_costs.kernel_peak_memory_mib`, or `None`).
    """
    notebook = jupytext.read(source)
    notebook.metadata.setdefault(
        "kernelspec",
        {"name": "python3", "display_name": "Python 3", "language": "python"},
    )
    client = NotebookClient(
        notebook,
        timeout=3600,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.parent)}},
    )
    peaks = []

    def sample_memory(**_):  # after each cell, while the kernel is alive
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        peaks.append(lesson_costs.kernel_peak_memory_mib(pid))

    client.on_cell_executed = sample_memory
    start = time.perf_counter()
    # The kernel's own logs are dropped; the cells' go to the notebook.
    client.execute(stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    drop_backend_logs(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    known = [peak for peak in peaks if peak is not None]
    return elapsed, max(known) if known else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names",
        nargs="*",
        help="only these lessons: the start of a name in any case, or a path",
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="write outputs into lessons/ and solutions/ instead of build/course/",
    )
    parser.add_argument("--solutions", action="store_true", help="run solutions too")
    parser.add_argument(
        "--record",
        action="store_true",
        help="keep each lesson's time and peak memory in data/results/<scale>/ "
        "and the README's lesson table",
    )
    args = parser.parse_args(argv)

    folders = ["lessons"] + (["solutions"] if args.solutions or args.in_place else [])
    try:
        sources = select_sources(args.names, folders)
    except ValueError as error:
        parser.error(str(error))  # Exits with status 2, before anything runs.
    scale = current_scale().name
    if args.record:
        from tools.provenance import machine

        this_machine = machine()
    failures = 0
    for source in sources:
        folder = source.parent.name
        if args.in_place:
            target = source.with_suffix(".ipynb")
        else:
            target = ROOT / "build" / "course" / folder / f"{source.stem}.ipynb"
        try:
            elapsed, peak = run_notebook(source, target)
        except Exception as error:  # noqa: BLE001 (report and go on to the next)
            failures += 1
            print(f"{folder}/{source.stem}: FAILED ({type(error).__name__})")
            print(str(error)[-2000:], file=sys.stderr)
            continue
        figure = key_figure(nbformat.read(target, as_version=4))
        memory = "" if peak is None else f", peak {peak:,.0f} MiB"
        print(
            f"{folder}/{source.stem}: {elapsed:6.1f} s{memory} at scale {scale}; "
            f"{figure}",
            flush=True,
        )
        if args.record:
            results = ROOT / "data" / "results"
            lesson_costs.record(
                results / scale, source.stem, elapsed, peak, this_machine
            )
            lesson_costs.write_readme(
                ROOT / "README.md", results, lesson_sources("lessons")
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
