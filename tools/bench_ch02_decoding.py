"""Decoding throughput of chapter 2's encoder-decoder: Python loop vs compiled.

Trains the chapter's model briefly on Tatoeba zh->en (sizes from `COURSE_SCALE`),
then translates the same test sentences four ways, in one run on one machine:
greedy and beam search, each eager (one Python-level model call per token, the
reference) and compiled (`tf.function`, the whole search one graph). It checks that
eager and compiled give the same tokens and prints sentences per second.

    COURSE_SCALE=cpu python tools/bench_ch02_decoding.py --sentences 256
"""

import argparse
import pathlib
import sys
import time

import numpy as np

from chapters.ch02_encoder_decoder import experiments
from chapters.common import (
    evaluation,
    sampling,
    scales,
    training,
    translation_data,
)
from chapters.common.decoding import beam_search, compile_search, greedy_search

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tools/bench_ch02_decoding.py` from anywhere
    sys.path.insert(0, str(ROOT))

from tools import bench_summary  # noqa: E402 (needs the root)


def measure(search, source_batches, repeats):
    """Best-of-`repeats` sentences per second of `search` over all batches."""
    sentences = sum(len(batch) for batch in source_batches)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        outputs = [search(batch) for batch in source_batches]
        best = min(best, time.perf_counter() - started)
    return sentences / best, outputs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=256, help="test sentences")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1, help="training epochs")
    parser.add_argument("--max-length", type=int, default=50, help="output cap")
    parser.add_argument("--repeats", type=int, default=2)
    arguments = parser.parse_args(argv)

    scale = scales.current_scale()
    scales.set_seed(42)
    data = translation_data.tatoeba_data(scale)
    model = experiments.build_seq2seq(data, scale.embedding_dim, scale.hidden_units)
    run = training.train(model, data, arguments.epochs, scale.batch_size, verbose=0)
    translator = evaluation.make_translator(model, data)
    # The test split is a seeded sample in random order: its head spans all lengths.
    sources = [source for source, _ in data.splits["test"][: arguments.sentences]]
    batches = [
        translator.source_ids(sources[start : start + arguments.batch_size])
        for start in range(0, len(sources), arguments.batch_size)
    ]
    print(
        f"scale {scale.name}: {run.parameters:,} parameters, trained "
        f"{arguments.epochs} epoch(s) in {run.seconds:.0f} s; {len(sources)} test "
        f"sentences in batches of {arguments.batch_size}, output cap "
        f"{arguments.max_length}"
    )
    statistics = sampling.length_statistics(sources, data.source_language)
    unit = "characters" if data.source_language == "zh" else "words"
    print(f"{data.corpus} test sources: {sampling.describe_lengths(statistics, unit)}")
    searches = {
        "greedy": (greedy_search, {}),
        f"beam (K={scale.beam_width})": (beam_search, {"beam_width": scale.beam_width}),
    }
    rows, model_name = [], "chapter 2 GRU"
    for name, (search, options) in searches.items():
        options = {"max_length": arguments.max_length, **options}
        compiled = compile_search(search, model, **options)
        started = time.perf_counter()
        compiled(batches[0])
        trace_seconds = time.perf_counter() - started
        eager_speed, eager_outputs = measure(
            lambda batch, s=search, o=options: s(model, batch, **o), batches, 1
        )
        compiled_speed, compiled_outputs = measure(compiled, batches, arguments.repeats)
        for eager, fast in zip(eager_outputs, compiled_outputs, strict=True):
            np.testing.assert_array_equal(eager["tokens"], fast["tokens"])
        print(
            f"{name:12s} python loop {eager_speed:8.1f} sentences/s | compiled "
            f"{compiled_speed:8.1f} sentences/s | speed-up "
            f"{compiled_speed / eager_speed:5.1f}x | first call (tracing) "
            f"{trace_seconds:.1f} s | same tokens: yes"
        )
        rows += [
            (
                model_name,
                name,
                "Python loop",
                bench_summary.count(eager_speed),
                bench_summary.NOT_MEASURED,
            ),
            (
                model_name,
                name,
                "compiled",
                bench_summary.count(compiled_speed),
                bench_summary.speed_up(compiled_speed / eager_speed),
            ),
        ]
    bench_summary.emit(
        "decoding",
        rows,
        f"{len(sources)} {data.corpus} test sentences of {statistics['min']}–"
        f"{statistics['max']} {unit}, batches of {arguments.batch_size}, output cap "
        f"{arguments.max_length}; trained {arguments.epochs} epoch(s) at scale "
        f"{scale.name}; compiled: best of {arguments.repeats}",
    )


if __name__ == "__main__":
    main()
