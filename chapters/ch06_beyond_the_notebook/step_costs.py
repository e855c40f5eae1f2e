"""What mixed precision and XLA buy: the step time and memory of chapter 5's
Transformer trained under each dtype policy of `precision.py`, with and without
XLA, measured.

    python -m chapters.ch06_beyond_the_notebook.step_costs
    python -m chapters.ch06_beyond_the_notebook.step_costs --steps 5 --preset ci

**XLA** (`jit_compile=True`) compiles the whole training step, forward, backward
and optimizer update, into one program: element-wise operations (bias adds,
activations, dropout, residual sums, casts, the pieces of layer norm and
softmax, Adam's update) are fused into single kernels that read and write memory
once, and the per-operation dispatch of TensorFlow's executor disappears. On a
GPU, where each small kernel costs a launch and element-wise work is bound by
memory bandwidth, that often saves a good fraction of a step. On a CPU, the
step's time goes to matrix products that TensorFlow already hands to oneDNN, and
XLA's own CPU code for them can be slower, so it may not help at all; which is why
Keras' `jit_compile="auto"` leaves XLA off on a machine without an accelerator.
XLA compiles once per input shape: batches padded to varying lengths would
compile again and again, so the measurement uses one fixed padded batch.

**The measurement.** `measure_training_steps` times one configuration (policy,
XLA or not) on one batch. On a CPU, TensorFlow keeps no memory statistics, so
the peak memory is the process' peak resident memory, which only means something
in a process that ran that one configuration (and counts the XLA compiler's own
memory as well as the step's): `compare_precision_and_xla` runs each
configuration in a fresh Python process and divides by float32 without XLA.
"""

import argparse
import dataclasses
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from chapters.ch05_transformer.model import PRESETS, TransformerConfig
from chapters.ch06_beyond_the_notebook.precision import (
    build_transformer_under_policy,
    check_policy,
    half_precision_policy,
)
from chapters.common import scales
from chapters.common.arguments import (
    check_type,
    positive_int,
    positive_int_argument,
)

# What `compare_precision_and_xla` and each measuring process exchange, in a
# temporary folder: the batch, then the process' row of results.
BATCH_FILE, ROW_FILE = "batch.npz", "row.json"
# The folder that holds `chapters/`: the repository, or site-packages.
COURSE_ROOT = pathlib.Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class TrainingBatch:
    """One batch of teacher-forcing ids, padded to a fixed length, and the
    vocabulary sizes of the model it trains.

    Attributes:
        source_ids: int32 `(B, S)`.
        decoder_input_ids: int32 `(B, T)`, starting with `[START]`.
        target_ids: int32 `(B, T)`, the decoder inputs shifted by one.
        source_vocabulary_size, target_vocabulary_size: the tokenizers' sizes.
    """

    source_ids: np.ndarray
    decoder_input_ids: np.ndarray
    target_ids: np.ndarray
    source_vocabulary_size: int
    target_vocabulary_size: int

    def save(self, path):
        """Writes the batch to an `.npz` file, for another process to `load`."""
        np.savez(path, **dataclasses.asdict(self))

    @classmethod
    def load(cls, path):
        """The batch `save` wrote to `path`."""
        with np.load(path) as stored:
            return cls(
                stored["source_ids"],
                stored["decoder_input_ids"],
                stored["target_ids"],
                int(stored["source_vocabulary_size"]),
                int(stored["target_vocabulary_size"]),
            )


def training_batch(data, batch_size):
    """The first `batch_size` training pairs of `data` (a `TranslationData`),
    padded to the split's longest sentences as a fixed-padding epoch pads them."""
    batch_size = positive_int(batch_size, "batch_size")
    (source, decoder_inputs), targets = next(
        iter(data.dataset("train", batch_size, fixed=True))
    )
    return TrainingBatch(
        *(np.asarray(ids, "int32") for ids in (source, decoder_inputs, targets)),
        data.source_tokenizer.vocabulary_size,
        data.target_tokenizer.vocabulary_size,
    )


def _check_measurement(batch, config, steps, warmup_steps):
    """Checks the arguments every measurement takes; returns the two counts."""
    check_type(batch, TrainingBatch, "batch")
    check_type(config, TransformerConfig, "config")
    return positive_int(steps, "steps"), positive_int(warmup_steps, "warmup_steps")


def _peak_memory_bytes(reset=False):
    """`(peak bytes, what they measure)`: the GPU allocator's peak where
    TensorFlow sees a GPU (`reset` starts it again from what is in use now),
    else the peak resident memory of this whole process, which cannot be reset."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        if reset:
            tf.config.experimental.reset_memory_stats("GPU:0")
        peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
        return peak, "GPU:0 allocator peak"
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux counts ru_maxrss in KiB, macOS in bytes.
    return peak * (1 if sys.platform == "darwin" else 1024), "process peak RSS"


def measure_training_steps(
    policy, jit_compile, batch, config, steps=10, warmup_steps=2, seed=0
):
    """Times training steps of one configuration in this process.

    Steps:
    1. Seed, and read the memory peak so far (the GPU's is reset).
    2. Build the Transformer under `policy`, with or without XLA.
    3. Train `warmup_steps` untimed steps on `batch`: the first traces the step
       (and with XLA compiles it), the next ones settle the allocator.
    4. Time `steps` more steps on the same batch; keep the median.
    5. Read the memory peak again.

    Args:
        policy: one of `precision.POLICIES`.
        jit_compile: compile the step with XLA.
        batch: a `TrainingBatch`.
        config: a `TransformerConfig`.
        steps: timed steps.
        warmup_steps: untimed steps before them (at least 1).
        seed: seeds the weights and dropout, the same in every configuration.

    Returns:
        A dict: `policy`, `jit_compile`, `optimizer` (its class name),
        `first_step_seconds` (trace and compile included), `median_step_seconds`,
        `loss` (the last step's), `peak_memory_mb`, `added_memory_mb` (the peak
        minus the peak before the model was built) and `memory_source`. On a CPU
        the peak is the whole process': compare configurations only between fresh
        processes (`compare_precision_and_xla`).
    """
    check_policy(policy)
    steps, warmup_steps = _check_measurement(batch, config, steps, warmup_steps)
    # 1. The same initial weights and dropout in every configuration.
    scales.set_seed(seed)
    before, memory_source = _peak_memory_bytes(reset=True)
    # 2. The model under the policy.
    model = build_transformer_under_policy(
        batch.source_vocabulary_size,
        batch.target_vocabulary_size,
        config,
        policy,
        jit_compile,
    )
    inputs = (batch.source_ids, batch.decoder_input_ids)

    def train_step():
        return model.train_on_batch(inputs, batch.target_ids, return_dict=True)

    # 3. Warm-up: the first step traces and compiles.
    started = time.perf_counter()
    train_step()
    first_step_seconds = time.perf_counter() - started
    for _ in range(warmup_steps - 1):
        train_step()
    # 4. The timed steps; `train_on_batch` returns numbers, so each has finished.
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        logs = train_step()
        seconds.append(time.perf_counter() - started)
    # 5. The peak over the whole run.
    peak, _ = _peak_memory_bytes()
    megabyte = 2**20
    return {
        "policy": policy,
        "jit_compile": bool(jit_compile),
        "optimizer": type(model.optimizer).__name__,
        "first_step_seconds": first_step_seconds,
        "median_step_seconds": statistics.median(seconds),
        "loss": float(logs["loss"]),
        "peak_memory_mb": peak / megabyte,
        "added_memory_mb": (peak - before) / megabyte,
        "memory_source": memory_source,
    }


def configurations(half_policy=None):
    """The four configurations compared: float32 and `half_policy` (default
    `half_precision_policy()`), each without and with XLA; the baseline first."""
    half_policy = check_policy(half_policy or half_precision_policy())
    return [
        (policy, xla) for policy in ("float32", half_policy) for xla in (False, True)
    ]


def _measure_in_fresh_process(measurement, folder, timeout_seconds):
    """`measure_training_steps(**measurement)` on the batch saved in `folder`, in
    a new Python process that runs only it, so that the process' peak memory is
    this configuration's; the process writes its row to `folder`."""
    row_file = folder / ROW_FILE
    row_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "chapters.ch06_beyond_the_notebook.step_costs"]
    command += ["--measure", json.dumps(measurement), str(folder)]
    # `-m` finds the course from the working folder, installed or not.
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=COURSE_ROOT,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ},
        timeout=timeout_seconds,
        check=False,
    )
    if finished.returncode != 0 or not row_file.exists():
        raise RuntimeError(
            f"Measuring policy={measurement['policy']!r}, "
            f"jit_compile={measurement['jit_compile']} failed (exit code "
            f"{finished.returncode}). Its last output:\n{finished.stderr[-2000:]}"
        )
    return json.loads(row_file.read_text(encoding="utf-8"))


def compare_precision_and_xla(
    batch,
    config,
    steps=10,
    warmup_steps=2,
    half_policy=None,
    timeout_seconds=600,
):
    """Runs the four `configurations` on `batch`, each in its own process, one
    after the other, and divides each by float32 without XLA.

    Args:
        batch: a `TrainingBatch`.
        config: a `TransformerConfig`.
        steps, warmup_steps: as for `measure_training_steps`.
        half_policy: the 16-bit policy compared with float32; default
            `half_precision_policy()`.
        timeout_seconds: the most one configuration may take.

    Returns:
        One dict per configuration, the baseline first: the keys of
        `measure_training_steps`, plus `step_time_ratio` (its median step time
        over the baseline's) and `memory_ratio` (its added memory over the
        baseline's, None when the baseline's model added nothing measurable
        above what importing TensorFlow had already used); both are 1.0 for the
        baseline.
    """
    steps, warmup_steps = _check_measurement(batch, config, steps, warmup_steps)
    plan = configurations(half_policy)
    with tempfile.TemporaryDirectory(prefix="step-costs-") as folder:
        folder = pathlib.Path(folder)
        batch.save(folder / BATCH_FILE)
        rows = [
            _measure_in_fresh_process(
                {
                    "policy": policy,
                    "jit_compile": xla,
                    "config": dataclasses.asdict(config),
                    "steps": steps,
                    "warmup_steps": warmup_steps,
                },
                folder,
                timeout_seconds,
            )
            for policy, xla in plan
        ]
    baseline = rows[0]
    for row in rows:
        row["step_time_ratio"] = (
            row["median_step_seconds"] / baseline["median_step_seconds"]
        )
        row["memory_ratio"] = (
            row["added_memory_mb"] / baseline["added_memory_mb"]
            if baseline["added_memory_mb"] > 0
            else None
        )
    return rows


def tatoeba_comparison(scale=None, steps=10, warmup_steps=2):
    """`compare_precision_and_xla` on the first batch of Tatoeba zh->en training
    pairs at `scale`'s sizes (default the current scale), with `PRESETS`'
    Transformer for that scale.

    Returns:
        `(rows, corpus)`: the rows, and the name of the corpus the batch came
        from (the toy stand-in's when Tatoeba is not found).
    """
    from chapters.common import translation_data

    scale = scale or scales.current_scale()
    data = translation_data.tatoeba_data(scale)
    batch = training_batch(data, scale.batch_size)
    rows = compare_precision_and_xla(batch, PRESETS[scale.name], steps, warmup_steps)
    return rows, data.corpus


def format_table(rows):
    """The rows as a text table, one configuration a line."""
    lines = [
        f"{'policy':<15} {'XLA':<4} {'step (s)':>9} {'ratio':>6} {'first step':>10} "
        f"{'added MB':>9} {'ratio':>6} {'loss':>7}  optimizer"
    ]
    for row in rows:
        memory_ratio = row["memory_ratio"]
        memory_ratio = "-" if memory_ratio is None else f"{memory_ratio:.2f}"
        lines.append(
            f"{row['policy']:<15} {'yes' if row['jit_compile'] else 'no':<4} "
            f"{row['median_step_seconds']:>9.3f} {row['step_time_ratio']:>6.2f} "
            f"{row['first_step_seconds']:>10.1f} {row['added_memory_mb']:>9.0f} "
            f"{memory_ratio:>6} {row['loss']:>7.3f}  {row['optimizer']}"
        )
    lines.append(f"memory: {rows[0]['memory_source']}, above the peak before the model")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=positive_int_argument, default=10, help="timed steps"
    )
    parser.add_argument(
        "--warmup-steps",
        type=positive_int_argument,
        default=2,
        help="untimed steps first (the first one traces and compiles)",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(scales.SCALES),
        help="the scale whose batch size, data and Transformer preset are used "
        "(default: COURSE_SCALE's)",
    )
    # One configuration in this process, for `compare_precision_and_xla`.
    parser.add_argument(
        "--measure", nargs=2, metavar=("JSON", "FOLDER"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args(argv)
    if arguments.measure:
        measurement, folder = arguments.measure
        measurement, folder = json.loads(measurement), pathlib.Path(folder)
        measurement["config"] = TransformerConfig(**measurement["config"])
        batch = TrainingBatch.load(folder / BATCH_FILE)
        row = measure_training_steps(batch=batch, **measurement)
        (folder / ROW_FILE).write_text(json.dumps(row), encoding="utf-8")
        return
    scale = scales.SCALES[arguments.preset] if arguments.preset else None
    scale = scale or scales.current_scale()
    print(f"scale: {scale.name}; {PRESETS[scale.name]}; batch {scale.batch_size}")
    rows, corpus = tatoeba_comparison(scale, arguments.steps, arguments.warmup_steps)
    print(f"{corpus}, one fixed padded batch; median of {arguments.steps} steps")
    print(format_table(rows))


if __name__ == "__main__":
    main()
