"""Runs every lesson in reading order, headless, and prints one line per lesson.

    python -m tools.run_course              # executed copies go to build/course/
    python -m tools.run_course --in-place   # rewrite the notebooks' stored outputs
    python -m tools.run_course 01a 02b      # only lessons whose names start so

Each notebook is rebuilt from its jupytext `.py` twin, executed on a fresh kernel
at the current scale (`COURSE_SCALE`), and summarised by its wall time and its
key figure: the last printed line that starts with `Key figure:`.
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

from chapters.common.scales import current_scale

ROOT = pathlib.Path(__file__).resolve().parents[1]
KEY_FIGURE = "Key figure:"
# TensorFlow's C++ runtime logs to stderr before Python can silence it
# (TF_CPP_MIN_LOG_LEVEL does not reach these lines); they say nothing about the
# lesson, so stored outputs leave them out.
BACKEND_LOG_LINE = re.compile(
    r"^([IWE]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages before absl"
    r"|To enable the following instructions|$)"
)


def lesson_sources(folder: str, prefixes: list[str]) -> list[pathlib.Path]:
    """The `.py` twins in `folder`, in reading order, filtered by name prefixes."""
    sources = sorted((ROOT / folder).glob("*.py"))
    sources = [path for path in sources if not path.name.startswith("_")]
    if prefixes:
        sources = [p for p in sources if any(p.name.startswith(x) for x in prefixes)]
    return sources


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


def run_notebook(source: pathlib.Path, target: pathlib.Path) -> float:
    """Executes the twin of `source` on a fresh kernel; writes it to `target`."""
    notebook = jupytext.read(source)
    notebook.metadata.setdefault(
        "kernelspec",
        {"name": "python3", "display_name": "Python 3", "language": "python"},
    )
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=3600,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.parent)}},
    ).execute(
        stderr=subprocess.DEVNULL
    )  # the kernel's own logs; cells' go to the notebook
    elapsed = time.perf_counter() - start
    drop_backend_logs(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only lessons starting so")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="write outputs into lessons/ and solutions/ instead of build/course/",
    )
    parser.add_argument("--solutions", action="store_true", help="run solutions too")
    args = parser.parse_args(argv)

    folders = ["lessons"] + (["solutions"] if args.solutions or args.in_place else [])
    scale = current_scale().name
    failures = 0
    for folder in folders:
        for source in lesson_sources(folder, args.prefixes):
            if args.in_place:
                target = source.with_suffix(".ipynb")
            else:
                target = ROOT / "build" / "course" / folder / f"{source.stem}.ipynb"
            try:
                elapsed = run_notebook(source, target)
            except Exception as error:  # noqa: BLE001 (report and go on to the next)
                failures += 1
                print(f"{folder}/{source.stem}: FAILED ({type(error).__name__})")
                print(str(error)[-2000:], file=sys.stderr)
                continue
            figure = key_figure(nbformat.read(target, as_version=4))
            print(
                f"{folder}/{source.stem}: {elapsed:6.1f} s at scale {scale}; {figure}",
                flush=True,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
