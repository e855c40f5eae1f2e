"""What chapter 5's key/value cache saves in greedy decoding.

Builds an untrained `Transformer` with the sizes of a scale's preset (`cpu` by
default: 3 + 3 blocks, d_model 256), a target vocabulary of 4,000 and random
source sentences, and times compiled greedy searches of `--tokens` output tokens:
with the cache (`Transformer.decode_step`) and without it (`WithoutCache`, which
reruns the decoder over a buffer of `--tokens` positions at every step). It
checks that both pick the same tokens. Untrained weights almost never choose
`[END]`, so every search runs its full length (the script says so).

    python -m tools.bench_ch05_decoding --tokens 32 --sentences 32
"""

import argparse
import dataclasses
import time

import keras
import numpy as np

from chapters.ch05_transformer.model import PRESETS, Transformer, WithoutCache
from chapters.common import decoding
from chapters.common.arguments import positive_int_argument
from tools import bench_summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--tokens", type=positive_int_argument, default=32)
    parser.add_argument("--sentences", type=positive_int_argument, default=32)
    parser.add_argument("--source-length", type=positive_int_argument, default=20)
    parser.add_argument("--repetitions", type=positive_int_argument, default=5)
    arguments = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    sizes = dataclasses.asdict(PRESETS[arguments.scale])
    model = Transformer(2000, 4000, **sizes)
    for flag in ("tokens", "source_length"):
        if getattr(arguments, flag) > model.max_positions:
            parser.error(
                f"--{flag.replace('_', '-')} must be at most the model's "
                f"{model.max_positions} positions. Received: {getattr(arguments, flag)}"
            )
    random = np.random.default_rng(0)
    source_ids = random.integers(
        4, 2000, size=(arguments.sentences, arguments.source_length)
    ).astype("int32")
    searches = {
        "with the cache": decoding.compile_search(
            decoding.greedy_search, model, max_length=arguments.tokens
        ),
        "without the cache": decoding.compile_search(
            decoding.greedy_search,
            WithoutCache(model, arguments.tokens),
            max_length=arguments.tokens,
        ),
    }
    outputs = {name: search(source_ids) for name, search in searches.items()}  # traces
    seconds = {name: [] for name in searches}
    for _ in range(arguments.repetitions):
        for name, search in searches.items():
            started = time.perf_counter()
            search(source_ids)
            seconds[name].append(time.perf_counter() - started)
    tokens = {name: np.asarray(output["tokens"]) for name, output in outputs.items()}
    same = np.array_equal(*tokens.values())
    generated = tokens["with the cache"].shape[1]
    print(
        f"Transformer preset {arguments.scale!r} {sizes}, untrained; "
        f"{arguments.sentences} sentences of {arguments.source_length} source "
        f"tokens; greedy, {generated} of at most {arguments.tokens} output tokens; "
        f"median of {arguments.repetitions}"
    )
    medians = {name: float(np.median(times)) for name, times in seconds.items()}
    for name, median in medians.items():
        print(f"  {name:18s} {median * 1e3:9.1f} ms")
    ratio = medians["without the cache"] / medians["with the cache"]
    print(
        f"  speed-up of the cache: {ratio:.1f}x; same tokens: {'yes' if same else 'NO'}"
    )
    speed_ups = {
        "without the cache": bench_summary.NOT_MEASURED,
        "with the cache": bench_summary.speed_up(ratio),
    }
    bench_summary.emit(
        "decoding",
        [
            (
                "chapter 5 Transformer",
                "greedy",
                variant,
                bench_summary.count(arguments.sentences / medians[variant]),
                speed_up,
            )
            for variant, speed_up in speed_ups.items()
        ],
        f"preset {arguments.scale!r}, untrained; {arguments.sentences} random "
        f"sentences of {arguments.source_length} source tokens, {generated} output "
        f"tokens each; median of {arguments.repetitions}",
    )


if __name__ == "__main__":
    main()
