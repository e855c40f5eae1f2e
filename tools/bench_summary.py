"""The one machine-readable line each benchmark prints at the end of its run.

A benchmark prints its figures for people, then one line

    benchmark summary: {"table": "training", "rows": [{"pipeline": ..., ...}]}

that `tools.benchmarks` reads back to write `benchmarks.json` and the README's
tables. Each row is a dict from the table's columns (`TABLES`) to cells already
formatted for reading ("1.43e-07", "0.62", "4,208", "29.3%", "6.7×"), made from
the numbers the benchmark measured in that run.
"""

import json

SUMMARY_PREFIX = "benchmark summary: "
NOT_MEASURED = "–"

# name: (the README's title of the table, its columns). Every table ends with
# "measured on": the sizes and repetitions behind the row's figures.
TABLES = {
    "layers": (
        "Our layers against Keras' built-ins and NumPy",
        (
            "layer",
            "compared with",
            "max abs difference",
            "forward+backward time, ours / theirs",
            "measured on",
        ),
    ),
    "decoding": (
        "Decoding throughput",
        ("model", "search", "variant", "sentences/s", "speed-up", "measured on"),
    ),
    "training": (
        "Training throughput, length bucketing against fixed padding",
        (
            "pipeline",
            "padded share of all ids",
            "real target tokens/s",
            "measured on",
        ),
    ),
}


def emit(table, rows, measured_on):
    """Prints the summary line of `rows` of `table`.

    Args:
        table: a name in `TABLES`.
        rows: one sequence of cells per row, in the order of the table's
            columns, all but the last ("measured on").
        measured_on: the last cell of every row.

    Raises:
        ValueError: an unknown table, or a row of the wrong length.
    """
    if table not in TABLES:
        raise ValueError(f"table must be one of {sorted(TABLES)}. Received: {table!r}")
    columns = TABLES[table][1]
    records = []
    for row in rows:
        cells = [*row, measured_on]
        if len(cells) != len(columns):
            raise ValueError(
                f"a row of {table!r} has {len(columns) - 1} cells before "
                f"'measured on' ({', '.join(columns[:-1])}). Received: {list(row)}"
            )
        records.append(dict(zip(columns, map(str, cells), strict=True)))
    print(SUMMARY_PREFIX + json.dumps({"table": table, "rows": records}), flush=True)


def parse(output):
    """Splits a benchmark's printout into its summaries and the rest.

    Returns:
        `(summaries, text)`: the summary lines' dicts (`"table"`, `"rows"`), in
        the order printed, and the printout without those lines.
    """
    summaries, lines = [], []
    for line in output.splitlines():
        if line.startswith(SUMMARY_PREFIX):
            summaries.append(json.loads(line[len(SUMMARY_PREFIX) :]))
        else:
            lines.append(line)
    return summaries, "\n".join(lines)


def differences(**named):
    """`"context 1.43e-07, weights 9.11e-08"`: largest differences, by name."""
    return ", ".join(f"{name} {value:.2e}" for name, value in named.items())


def ratio(value):
    """`"0.62"`: a ratio of two times."""
    return f"{value:.2f}"


def speed_up(value):
    """`"6.7×"`: how many times faster."""
    return f"{value:.1f}×"


def count(value):
    """`"4,208"`: a rate, to the unit, with thousands separated."""
    return f"{value:,.0f}"
