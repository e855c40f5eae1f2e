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
