"""The benchmark commands run, and refuse arguments they cannot honour. Their
timings are never asserted: speed goals live in the benchmarks, not in tests."""

import pytest

from tools import bench_ch05_decoding, bench_summary


def test_the_cache_benchmark_runs_and_finds_the_same_tokens(capsys):
    bench_ch05_decoding.main(
        ["--scale", "ci", "--tokens", "4", "--sentences", "2"]
        + ["--source-length", "3", "--repetitions", "1"]
    )
    printed = capsys.readouterr().out
    assert "same tokens: yes" in printed


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--tokens", "129", "at most the model's 128 positions"),
        ("--source-length", "500", "at most the model's 128 positions"),
        ("--sentences", "0", "positive integer"),
    ],
)
def test_the_cache_benchmark_refuses_what_the_model_cannot_decode(
    capsys, flag, value, message
):
    with pytest.raises(SystemExit):
        bench_ch05_decoding.main(["--scale", "ci", flag, value])
    assert message in capsys.readouterr().err


README_BEFORE = "# Course\n\nText above the tables.\n\n<!-- benchmarks:ci:start -->\n"
README_AFTER = "<!-- benchmarks:ci:end -->\n\nText below the tables.\n"
# A stored run's entries: the cache benchmark's rows must survive `--only
# padding`; its stale padding rows must not.
STORED_CACHE_ROW = {
    "model": "chapter 5 Transformer",
    "search": "greedy",
    "variant": "with the cache",
    "sentences/s": "115",
    "speed-up": "3.4×",
    "measured on": "an earlier run",
}
STALE_PADDING_ROW = {
    "pipeline": "stale",
    "padded share of all ids": "99.9%",
    "real target tokens/s": "1",
    "measured on": "an earlier run",
}


def stored_entry(rows):
    return {
        "date": "2026-01-01T00:00:00+00:00",
        "command": "python -m tools.earlier",
        "seconds": 1.0,
        "exit_status": 0,
        "rows": rows,
    }


def test_the_summary_line_round_trips(capsys):
    rows = [("bucketed by length", "29.3%", "4,208 (1.30× fixed padding)")]
    print("pipeline  padded share")
    bench_summary.emit("training", rows, "batches of 64")
    print("bucketing trains 1.30x")
    summaries, text = bench_summary.parse(capsys.readouterr().out)
    assert summaries == [
        {
            "table": "training",
            "rows": [
                {
                    "pipeline": "bucketed by length",
                    "padded share of all ids": "29.3%",
                    "real target tokens/s": "4,208 (1.30× fixed padding)",
                    "measured on": "batches of 64",
                }
            ],
        }
    ]
    assert text == "pipeline  padded share\nbucketing trains 1.30x"


@pytest.mark.parametrize(
    ("table", "row", "message"),
    [
        ("speed", ("a", "b", "c"), "table must be one of"),
        ("training", ("a", "b"), "has 3 cells before 'measured on'"),
        ("training", ("a", "b", "c", "d"), "has 3 cells before 'measured on'"),
    ],
)
def test_a_summary_refuses_an_unknown_table_or_a_row_of_the_wrong_length(
    table, row, message
):
    with pytest.raises(ValueError, match=message):
        bench_summary.emit(table, [row], "here")


def test_the_benchmark_runner_writes_json_and_the_readme_block(tmp_path):
    import json

    from tools import benchmarks

    readme = tmp_path / "README.md"
    readme.write_text(README_BEFORE + "old block\n" + README_AFTER, encoding="utf-8")
    stored = {
        "benchmarks": {
            "cache": stored_entry({"decoding": [STORED_CACHE_ROW]}),
            "padding": stored_entry({"training": [STALE_PADDING_ROW]}),
        }
    }
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "benchmarks.json").write_text(json.dumps(stored))

    failures = benchmarks.main(
        ["--only", "padding", "--out", str(tmp_path), "--readme", str(readme)]
    )
    assert failures == 0
    report = (tmp_path / "ci" / "benchmarks.md").read_text(encoding="utf-8")
    assert "python -m tools.bench_training_padding" in report
    assert bench_summary.SUMMARY_PREFIX not in report
    shares = {}
    for line in report.splitlines():
        for name in ("bucketed by length", "fixed padding"):
            if line.strip().startswith(name):
                shares[name] = float(line.split()[len(name.split())].rstrip("%"))
    # Bucketing pads less than padding every batch to the split's longest.
    assert 0 <= shares["bucketed by length"] < shares["fixed padding"] < 100

    record = json.loads((tmp_path / "ci" / "benchmarks.json").read_text())
    assert record["scale"] == "ci"
    assert record["versions"]["keras"] and record["machine"]["cores"] >= 1
    padding = record["benchmarks"]["padding"]
    assert padding["command"] == "python -m tools.bench_training_padding"
    assert padding["exit_status"] == 0 and padding["seconds"] > 0
    training = padding["rows"]["training"]
    assert [row["pipeline"] for row in training] == [
        "bucketed by length",
        "fixed padding",
    ]
    # The JSON holds the shares the benchmark printed, not typed-in ones.
    for row in training:
        share = float(row["padded share of all ids"].rstrip("%"))
        assert share == pytest.approx(shares[row["pipeline"]], abs=0.05)
    assert record["tables"]["training"] == training
    # The benchmark that did not run keeps its stored rows.
    assert record["benchmarks"]["cache"] == stored["benchmarks"]["cache"]
    assert record["tables"]["decoding"] == [STORED_CACHE_ROW]
    assert "layers" not in record["tables"]

    text = readme.read_text(encoding="utf-8")
    assert text.startswith(README_BEFORE) and text.endswith(README_AFTER)
    block = text[len(README_BEFORE) : -len(README_AFTER)]
    assert "old block" not in block and "stale" not in block
    assert block.startswith(f"Scale `ci`, {record['date'][:10]}; ")
    assert "each figure is one run" in block
    assert "Rows of `cache`: the run of 2026-01-01 00:00 UTC." in block
    assert (
        "| pipeline | padded share of all ids | real target tokens/s | measured on |"
        in block
    )
    assert f"| bucketed by length | {training[0]['padded share of all ids']} |" in block
    assert "| chapter 5 Transformer | greedy | with the cache | 115 | 3.4× |" in block
    assert "| layer |" not in block
    assert "python -m tools.benchmarks" in block.splitlines()[-1]


def test_the_benchmark_runner_refuses_a_readme_without_markers(tmp_path, capsys):
    from tools import benchmarks

    readme = tmp_path / "README.md"
    readme.write_text("# Course\n\n<!-- benchmarks:cpu:start -->\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        benchmarks.main(
            ["--only", "padding", "--out", str(tmp_path), "--readme", str(readme)]
        )
    assert "has no block <!-- benchmarks:ci:start -->" in capsys.readouterr().err
    # Refused before anything ran.
    assert not (tmp_path / "ci").exists()


def test_a_failed_benchmark_gives_no_rows(monkeypatch, capsys):
    import subprocess

    from tools import benchmarks

    bench_summary.emit("decoding", [("m", "greedy", "v", "1", "–")], "here")
    printed = capsys.readouterr().out

    def finished(exit_status):
        def fake_run(command, **options):
            return subprocess.CompletedProcess(command, exit_status, printed, "boom")

        return fake_run

    monkeypatch.setattr(benchmarks.subprocess, "run", finished(0))
    entry, _ = benchmarks.run("cache")
    assert entry["rows"]["decoding"][0]["model"] == "m"
    monkeypatch.setattr(benchmarks.subprocess, "run", finished(1))
    entry, printout = benchmarks.run("cache")
    assert entry["exit_status"] == 1 and entry["rows"] == {}
    assert "FAILED (exit status 1)" in printout and "boom" in printout
    # Merged over a stored success, the failure wins: no stale rows.
    merged = benchmarks.merge(
        {"cache": stored_entry({"decoding": ["old"]})},
        {"cache": {"date": "now", **entry}},
    )
    assert benchmarks.gather_tables(merged) == {}


def test_the_padding_benchmark_refuses_zero_steps(capsys):
    from tools import bench_training_padding

    with pytest.raises(SystemExit):
        bench_training_padding.main(["--steps", "0"])
    assert "positive integer" in capsys.readouterr().err
