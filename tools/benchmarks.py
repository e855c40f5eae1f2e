"""Every benchmark of the course, each in a fresh Python process, in one command.

    COURSE_SCALE=cpu COURSE_CORPUS_DIR=<folder> python -m tools.benchmarks
    python -m tools.benchmarks --only padding --only cache [--readme '']

Writes, in `data/results/<scale>/` (`--out` to change the folder):

- `benchmarks.md`: what each benchmark printed, with its command and wall time
  (also printed as it goes);
- `benchmarks.json`: the scale, the date, the machine, the library versions and,
  per benchmark, its command, wall time, exit status and the rows it gave each
  of the README's tables (`tools.bench_summary`: every benchmark ends its
  printout with one summary line, which is read back here and left out of
  `benchmarks.md`), with the same rows gathered per table;

and rewrites the README's block between `<!-- benchmarks:<scale>:start -->` and
`<!-- benchmarks:<scale>:end -->` (`--readme`, '' for none) with those tables.

With `--only`, the benchmarks that did not run keep the rows stored for them in
the existing `benchmarks.json`: `--only padding` updates the training table and
leaves the others as they were (the README line names their dates). A
benchmark that fails gives no rows, stored or new, and the command exits with
the number of failures.

Benchmarks time things; tests never do (the tests only run them). Timings on a
shared 2-core machine are noisy: each benchmark reports medians and compares
ratios measured in the same run.
"""

import argparse
import datetime
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chapters.common import scales  # noqa: E402 (needs the root)
from tools import bench_summary, readme_blocks  # noqa: E402
from tools.provenance import machine, versions  # noqa: E402

SCHEMA_VERSION = 1

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
    """Runs one benchmark in a fresh process.

    Returns:
        `(entry, printout)`: its `benchmarks.json` entry (`command`, `seconds`,
        `exit_status`, `rows`: `{table: rows}`, empty if it failed) and what it
        printed, without its summary lines, with the end of its errors if it
        failed.
    """
    command = BENCHMARKS[name][1]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - started
    summaries, printout = bench_summary.parse(completed.stdout.strip())
    rows = {}
    if completed.returncode == 0:
        for summary in summaries:
            rows.setdefault(summary["table"], []).extend(summary["rows"])
    else:
        printout += f"\n\nFAILED (exit status {completed.returncode}):\n"
        printout += completed.stderr.strip()[-2000:]
    entry = {
        "command": " ".join(["python -m", *command]),
        "seconds": round(seconds, 1),
        "exit_status": completed.returncode,
        "rows": rows,
    }
    return entry, printout


def report(name, entry, printout):
    """One benchmark's section of `benchmarks.md`."""
    description = BENCHMARKS[name][0]
    return (
        f"## {name}: {description}\n\n    {entry['command']}\n\n"
        + "\n".join(f"    {line}" for line in printout.splitlines())
        + f"\n\n({entry['seconds']:.0f} s)\n"
    )


def stored_benchmarks(path):
    """The per-benchmark entries of an existing `benchmarks.json` (none if
    there is no such file), for the benchmarks that still exist."""
    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8")).get("benchmarks", {})
    return {name: entry for name, entry in stored.items() if name in BENCHMARKS}


def merge(stored, ran):
    """The entries of the benchmarks that ran, and the stored entries of those
    that did not, in the order of `BENCHMARKS`."""
    entries = {**stored, **ran}
    return {name: entries[name] for name in BENCHMARKS if name in entries}


def gather_tables(entries):
    """`{table: rows}` of every benchmark's rows, in the order of `TABLES` and
    `BENCHMARKS`; tables no benchmark gave rows to are left out."""
    tables = {}
    for table in bench_summary.TABLES:
        rows = [
            row for entry in entries.values() for row in entry["rows"].get(table, [])
        ]
        if rows:
            tables[table] = rows
    return tables


def make_record(scale_name, date, entries):
    """The whole `benchmarks.json`: where and when, then the rows by table and
    by benchmark."""
    return {
        "schema_version": SCHEMA_VERSION,
        "scale": scale_name,
        "date": date,
        "machine": machine(),
        "versions": versions(),
        "tables": gather_tables(entries),
        "benchmarks": entries,
    }


def markdown_table(table, rows):
    """A table's title and its Markdown rows."""
    title, columns = bench_summary.TABLES[table]

    def line(cells):
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [
        f"**{title}**",
        "",
        line(columns),
        "|" + "---|" * len(columns),
        *(line([row[column] for column in columns]) for row in rows),
    ]


def readme_block(record):
    """The README's benchmarks block of `record`, as Markdown."""
    computer, library = record["machine"], record["versions"]
    header = (
        f"Scale `{record['scale']}`, {record['date'][:10]}; "
        f"{computer['processor']}, {computer['cores']} cores; TensorFlow "
        f"{library['tensorflow']}, Keras {library['keras']}; each figure is one run."
    )
    entries = record["benchmarks"]
    earlier = {}  # date of an earlier run: the benchmarks whose rows it gave
    for name, entry in entries.items():
        if entry["date"] != record["date"] and entry["rows"]:
            earlier.setdefault(entry["date"], []).append(f"`{name}`")
    for date, names in earlier.items():
        minute = date[:16].replace("T", " ")
        header += f" Rows of {', '.join(names)}: the run of {minute} UTC."
    failed = [name for name, entry in entries.items() if entry["exit_status"] != 0]
    if failed:
        header += f" Failed, so no rows: {', '.join(f'`{name}`' for name in failed)}."
    lines = [header]
    for table, rows in record["tables"].items():
        lines += ["", *markdown_table(table, rows)]
    command = (
        f"COURSE_SCALE={record['scale']} COURSE_CORPUS_DIR=<folder> "
        "python -m tools.benchmarks"
    )
    lines += ["", f"    {command}"]
    return "\n".join(lines)


def markers(scale_name):
    """The README lines that open and close the scale's benchmarks block."""
    return (
        f"<!-- benchmarks:{scale_name}:start -->",
        f"<!-- benchmarks:{scale_name}:end -->",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="repeatable"
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "data" / "results")
    parser.add_argument(
        "--readme",
        default=str(ROOT / "README.md"),
        help="README to write the tables into ('' for none)",
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    if arguments.readme:
        try:
            readme_blocks.check_block(arguments.readme, *markers(scale.name))
        except (OSError, ValueError) as error:
            parser.error(str(error))  # Exits with status 2, before anything runs.
    names = list(dict.fromkeys(arguments.only or BENCHMARKS))
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    reports, ran = [f"# Benchmarks, scale {scale.name}, {date}\n"], {}
    for name in names:
        print(f"[benchmarks] {name}", flush=True)
        entry, printout = run(name)
        reports.append(report(name, entry, printout))
        print(reports[-1], flush=True)
        ran[name] = {"date": date, **entry}
    folder = arguments.out / scale.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "benchmarks.md"
    path.write_text("\n".join(reports), encoding="utf-8")
    print(f"[benchmarks] wrote {path}")
    path = folder / "benchmarks.json"
    record = make_record(scale.name, date, merge(stored_benchmarks(path), ran))
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"[benchmarks] wrote {path}")
    if arguments.readme:
        start, end = markers(scale.name)
        readme_blocks.replace_block(arguments.readme, start, end, readme_block(record))
        print(f"[benchmarks] wrote the {scale.name} block of {arguments.readme}")
    return sum(entry["exit_status"] != 0 for entry in ran.values())


if __name__ == "__main__":
    sys.exit(main())
