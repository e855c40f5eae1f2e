"""What dropping the RNN buys: the time of one training step against sentence
length, for chapter 3's GRU + additive attention model and the Transformer.

    python -m chapters.ch05_transformer.parallelism

An RNN computes position `t` from position `t - 1`: its `T` steps run one after
the other, however many cores wait. A Transformer layer computes all `T`
positions at once, as a few large matrix products; its attention does `T²` work,
but in parallel. `training_step_seconds` times one step (forward, backward and
update) on random token ids of each length, with the source and target equally
long, so that both models see the same batches.
"""

import argparse
import dataclasses
import statistics
import time

import numpy as np

from chapters.ch03_attention.model import AttentionSeq2Seq
from chapters.ch05_transformer import experiments as chapter5
from chapters.ch05_transformer.model import PRESETS, Transformer
from chapters.common import scales, training
from chapters.common.arguments import positive_int, positive_int_argument

LENGTHS = (8, 16, 32, 64)
# Vocabulary sizes like those of the Tatoeba models at the `cpu` scale.
SOURCE_VOCABULARY, TARGET_VOCABULARY = 2000, 4000


def training_step_seconds(model, batch_size, lengths=LENGTHS, repetitions=5, seed=0):
    """Median seconds of one training step at each length.

    Args:
        model: a compiled translation model, called on `(source_ids,
            decoder_input_ids)`.
        batch_size: sentences per batch.
        lengths: source and target lengths `T` to time.
        repetitions: timed steps per length, after one untimed step that traces
            and compiles the step for that shape.
        seed: seeds the random ids.

    Returns:
        `{T: median seconds}`.
    """
    batch_size = positive_int(batch_size, "batch_size")
    repetitions = positive_int(repetitions, "repetitions")
    random = np.random.default_rng(seed)
    source_size = model.get_config()["source_vocabulary_size"]
    target_size = model.get_config()["target_vocabulary_size"]
    seconds = {}
    for length in lengths:
        length = positive_int(length, "length")
        source = random.integers(4, source_size, (batch_size, length), dtype="int32")
        decoder_inputs = random.integers(
            4, target_size, (batch_size, length), dtype="int32"
        )
        targets = random.integers(4, target_size, (batch_size, length), dtype="int32")
        model.train_on_batch((source, decoder_inputs), targets)  # traces
        times = []
        for _ in range(repetitions):
            started = time.perf_counter()
            model.train_on_batch((source, decoder_inputs), targets)
            times.append(time.perf_counter() - started)
        seconds[length] = statistics.median(times)
    return seconds


def compared_models(scale):
    """`{name: compiled model}`: chapter 3's model with the scale's sizes and the
    Transformer with its preset, both for `SOURCE_VOCABULARY` and
    `TARGET_VOCABULARY` tokens."""
    rnn = AttentionSeq2Seq(
        SOURCE_VOCABULARY,
        TARGET_VOCABULARY,
        embedding_dim=scale.embedding_dim,
        hidden_units=scale.hidden_units,
    )
    rnn.build(((None, None), (None, None)))
    transformer = Transformer(
        SOURCE_VOCABULARY,
        TARGET_VOCABULARY,
        **dataclasses.asdict(PRESETS[scale.name]),
    )
    transformer.build(((None, None), (None, None)))
    return {
        "GRU + additive (ch. 3)": training.compile_translation_model(rnn),
        "Transformer (ch. 5)": chapter5.compile_transformer(transformer),
    }


def step_time_table(times):
    """`{name: {T: seconds}}` as text: milliseconds per step, and each time as a
    multiple of the model's time at the shortest length."""
    names = list(times)
    lengths = list(times[names[0]])
    lines = ["     T  " + "  ".join(f"{name:>24s}" for name in names)]
    for length in lengths:
        cells = []
        for name in names:
            growth = times[name][length] / times[name][lengths[0]]
            cells.append(f"{1000 * times[name][length]:9.1f} ms ({growth:4.1f}×)")
        lines.append(f"{length:6d}  " + "  ".join(f"{c:>24s}" for c in cells))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=positive_int_argument, default=5)
    parser.add_argument(
        "--lengths", type=positive_int_argument, nargs="+", default=list(LENGTHS)
    )
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    scales.set_seed(0)
    times = {
        name: training_step_seconds(
            model, scale.batch_size, arguments.lengths, arguments.repetitions
        )
        for name, model in compared_models(scale).items()
    }
    print(
        f"scale {scale.name}, batch {scale.batch_size}, median of "
        f"{arguments.repetitions} steps"
    )
    print(step_time_table(times))


if __name__ == "__main__":
    main()
