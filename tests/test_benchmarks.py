"""The benchmark commands run, and refuse arguments they cannot honour. Their
timings are never asserted: speed goals live in the benchmarks, not in tests."""

import pytest

from tools import bench_ch05_decoding


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


def test_the_benchmark_runner_writes_each_report(tmp_path):
    from tools import benchmarks

    failures = benchmarks.main(["--only", "padding", "--out", str(tmp_path)])
    assert failures == 0
    report = (tmp_path / "ci" / "benchmarks.md").read_text(encoding="utf-8")
    assert "python -m tools.bench_training_padding" in report
    shares = {}
    for line in report.splitlines():
        for name in ("bucketed by length", "fixed padding"):
            if line.strip().startswith(name):
                shares[name] = float(line.split()[len(name.split())].rstrip("%"))
    # Bucketing pads less than padding every batch to the split's longest.
    assert 0 <= shares["bucketed by length"] < shares["fixed padding"] < 100


def test_the_padding_benchmark_refuses_zero_steps(capsys):
    from tools import bench_training_padding

    with pytest.raises(SystemExit):
        bench_training_padding.main(["--steps", "0"])
    assert "positive integer" in capsys.readouterr().err
