"""Training throughput with length bucketing against fixed padding.

    COURSE_SCALE=cpu COURSE_CORPUS_DIR=<folder> python -m tools.bench_training_padding
    python -m tools.bench_training_padding --model transformer --steps 30

The course's pipeline (chapter 2, `make_dataset`) batches sentences of similar
source length together and pads each batch only to its own longest sentence.
The usual first pipeline pads every batch to the longest sentence of the whole
split. Both feed the same model the same real tokens; the padded positions are
computed and thrown away. This measures, on the Tatoeba training split at the
current scale:

- the share of padded positions each pipeline leaves, over the whole split;
- training throughput, in real target tokens per second: the same model (the
  scale's GRU with additive attention, or chapter 5's Transformer preset) trains
  `--steps` batches from each pipeline after `WARMUP_STEPS` untimed ones, one
  run.
"""

import argparse
import time

import numpy as np

from chapters.ch03_attention.experiments import build_attention_model
from chapters.ch05_transformer.experiments import build_transformer
from chapters.ch05_transformer.model import PRESETS
from chapters.common import scales, translation_data
from chapters.common.arguments import positive_int_argument
from chapters.common.pipeline import padding_fraction
from chapters.common.training import BUCKET_BOUNDARIES
from chapters.common.vocabulary import PAD_ID
from tools import bench_summary

# What `--model` trains, for the summary.
MODEL_NAMES = {
    "attention": "chapter 3's GRU with additive attention",
    "transformer": "chapter 5's Transformer",
}

# Untimed: the first steps trace the training function, once per new batch shape
# until Keras' `tf.function` relaxes the shapes (bucketed batches vary).
WARMUP_STEPS = 10


def pipelines(data, batch_size):
    """`{name: dataset}`: length-bucketed and fixed-padding training batches."""
    return {
        "bucketed by length": data.dataset(
            "train", batch_size, shuffle=True, bucket_boundaries=BUCKET_BOUNDARIES
        ),
        "fixed padding": data.dataset("train", batch_size, shuffle=True, fixed=True),
    }


def build(model_name, data, scale):
    if model_name == "transformer":
        return build_transformer(data, PRESETS[scale.name])
    return build_attention_model(data, scale.embedding_dim, scale.hidden_units)


def real_tokens_per_second(model, dataset, steps):
    """Trains `steps` batches (after `WARMUP_STEPS` untimed ones); returns real
    target tokens per second and the seconds taken."""
    batches = iter(dataset.repeat())
    for _ in range(WARMUP_STEPS):
        inputs, targets = next(batches)
        model.train_on_batch(inputs, targets)
    tokens, started = 0, time.perf_counter()
    for _ in range(steps):
        inputs, targets = next(batches)
        model.train_on_batch(inputs, targets)
        tokens += int(np.count_nonzero(targets.numpy() != PAD_ID))
    seconds = time.perf_counter() - started
    return tokens / seconds, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", choices=("attention", "transformer"), default="attention"
    )
    parser.add_argument("--steps", type=positive_int_argument, default=30)
    arguments = parser.parse_args(argv)
    scale = scales.current_scale()
    data = translation_data.tatoeba_data(scale)
    print(f"scale {scale.name}; {data.describe('train')}; batch {scale.batch_size}")
    rows = {}
    for name, dataset in pipelines(data, scale.batch_size).items():
        scales.set_seed(0)
        model = build(arguments.model, data, scale)
        throughput, seconds = real_tokens_per_second(model, dataset, arguments.steps)
        rows[name] = (padding_fraction(dataset), throughput, seconds)
    print(f"{'pipeline':20s} {'padded share':>12s} {'real target tokens/s':>21s}")
    for name, (share, throughput, seconds) in rows.items():
        print(f"{name:20s} {share:12.1%} {throughput:21,.0f}  ({seconds:.1f} s)")
    ratio = rows["bucketed by length"][1] / rows["fixed padding"][1]
    print(f"bucketing trains {ratio:.2f}x the real tokens per second of fixed padding")
    (bucketed_share, bucketed_speed, _), (fixed_share, fixed_speed, _) = (
        rows["bucketed by length"],
        rows["fixed padding"],
    )
    lengths = data.length_statistics("train")["source"]
    bench_summary.emit(
        "training",
        [
            (
                "bucketed by length",
                f"{bucketed_share:.1%}",
                f"{bench_summary.count(bucketed_speed)} ({ratio:.2f}× fixed padding)",
            ),
            ("fixed padding", f"{fixed_share:.1%}", bench_summary.count(fixed_speed)),
        ],
        f"{data.corpus} {data.source_language}->{data.target_language} training "
        f"split, {lengths['sentences']:,} pairs of {lengths['min']}–{lengths['max']} "
        f"source tokens, batches of {scale.batch_size}; "
        f"{MODEL_NAMES[arguments.model]} (scale {scale.name}), {arguments.steps} "
        f"timed steps after {WARMUP_STEPS} untimed ones; one run",
    )
    return rows


if __name__ == "__main__":
    main()
