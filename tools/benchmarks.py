"""Every benchmark of the course, each in a fresh Python process, in one command.

    COURSE_SCALE=cpu COURSE_CORPUS_DIR=<folder> python -m tools.benchmarks
    python -m tools.benchmarks --only padding --only cache

Writes what each printed, with its command and wall time, to
`data/results/<scale>/benchmarks.md` (`--out` to change the folder), and prints
it as it goes. Benchmarks time things; tests never do (the tests only run them).
Timings on a shared 2-core machine are noisy: each benchmark reports medians
and compares ratios measured in the same run.
"""

import argparse
import datetime
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chapters.common import scales  # noqa: E402 (needs the root)

# name: (what it measures, the module and its arguments)
BENCHMARKS = {
    "additive": (
        "chapter 3's AdditiveAttention against Keras' and NumPy: max difference, "
        "forward + backward time",
        ["tools.bench_ch03_attention"],
    ),
    "dot-product": (
        "chapter 4's scaled dot-product attention against keras.layers.Attention "
        "and keras.ops.dot_product_attention",
        ["tools.bench_ch04_attention"],
    ),
    "multi-head": (
        "chapter 5's MultiHeadAttention against keras.layers.MultiHeadAttention",
        ["tools.bench_ch05_attention"],
    ),
    "decoding": (
        "greedy and beam search, Python loop against compiled (chapter 2's model)",
        ["tools.bench_ch02_decoding", "--sentences", "256"],
    ),
    "cache": (
        "the Transformer's greedy search with and without its key/value cache",
        ["tools.bench_ch05_decoding", "--tokens", "32", "--sentences", "32"],
    ),
    "padding": (
        "training throughput and padded share, length bucketing against fixed padding",
        ["tools.bench_training_padding"],
    ),
}


def run(name, timeout=1800):
    """Runs one benchmark in a fresh process; returns its report as Markdown."""
    description, command = BENCHMARKS[name]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - started
    output = completed.stdout.strip()
    if completed.returncode != 0:
        output += f"\n\nFAILED (exit status {completed.returncode}):\n"
        output += completed.stderr.strip()[-2000:]
    shown = " ".join(["python -m", *command])
    return (
        f"## {name}: {description}\n\n    {shown}\n\n"
        + "\n".join(f"    {line}" for line in output.splitlines())
        + f"\n\n({seconds:.0f} s)\n"
    ), completed.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="repeatable"
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "data" / "results")
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    names = arguments.only or list(BENCHMARKS)
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    reports, failures = [f"# Benchmarks, scale {scale.name}, {date}\n"], 0
    for name in names:
        print(f"[benchmarks] {name}", flush=True)
        report, status = run(name)
        print(report, flush=True)
        reports.append(report)
        failures += status != 0
    folder = arguments.out / scale.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "benchmarks.md"
    path.write_text("\n".join(reports), encoding="utf-8")
    print(f"[benchmarks] wrote {path}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
