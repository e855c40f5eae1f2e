"""Run sizes for every lesson, in one place: the `ci`, `cpu` and `gpu` scales.

A lesson asks for `current_scale()` and reads every size it uses from the
returned `Scale`. `ci` runs in seconds (tests, nbval), `cpu` gives results worth
looking at on a laptop in minutes, `gpu` gives the full results on a Colab GPU.
The environment variable `COURSE_SCALE` overrides the default, which is `gpu`
when TensorFlow sees a GPU and `cpu` otherwise.
"""

import dataclasses
import os

SCALE_VARIABLE = "COURSE_SCALE"


@dataclasses.dataclass(frozen=True)
class Scale:
    """Every size a lesson uses, for one scale."""

    name: str
    # Real corpus: how many training pairs to keep (None = all of them).
    tatoeba_train_pairs: int | None
    # Sentence pairs longer than this many tokens on either side are dropped.
    max_tokens: int
    # A token enters the vocabulary once it occurs this often in training data.
    min_token_count: int
    # Toy grammar: generated pairs in each evaluation split.
    toy_eval_pairs: int
    # Width of token embeddings.
    embedding_dim: int
    # Units of each recurrent layer; also the size of the context vector.
    hidden_units: int
    # Sentences per batch.
    batch_size: int
    # Test-split sentences used for BLEU and other evaluations (None = all).
    eval_sentences: int | None
    # Hypotheses kept by beam search.
    beam_width: int
    # Chapter 1 task-shape models: training examples per task (corpus sentences
    # or toy pairs), units of their recurrent layers, and passes over the data.
    task_shape_examples: int
    task_shape_hidden_units: int
    task_shape_epochs: int
    # Chapter 1 number-to-words model (1→N): the most passes over its 700 training
    # numbers (early stopping usually ends training sooner).
    number_words_epochs: int
    # Chapter 2 encoder-decoder on Tatoeba: passes over the data (its CPU budget).
    seq2seq_epochs: int
    # Chapter 3 attention model on Tatoeba in lesson 3c: passes over the data (its
    # CPU budget; the chapter's command line uses `seq2seq_epochs`, chapter 2's).
    attention_epochs: int
    # Chapter 3 cost of attention (lesson 3a): the source and target lengths
    # timed, and the calls whose median time is kept.
    attention_cost_lengths: tuple[int, ...]
    attention_cost_repetitions: int
    # Chapter 2 length curve (toy grammar): training pairs, passes over them,
    # longest source in English words, and the context sizes compared (encoder
    # units; the decoder keeps `hidden_units`).
    length_curve_train_pairs: int
    length_curve_epochs: int
    length_curve_max_words: int
    length_curve_context_units: tuple[int, ...]


SCALES = {
    "ci": Scale(
        name="ci",
        tatoeba_train_pairs=2_000,
        max_tokens=12,
        min_token_count=1,
        toy_eval_pairs=100,
        embedding_dim=16,
        hidden_units=32,
        batch_size=64,
        eval_sentences=50,
        beam_width=3,
        task_shape_examples=400,
        task_shape_hidden_units=16,
        task_shape_epochs=1,
        number_words_epochs=3,
        seq2seq_epochs=1,
        attention_epochs=1,
        attention_cost_lengths=(8, 16, 32),
        attention_cost_repetitions=3,
        length_curve_train_pairs=300,
        length_curve_epochs=1,
        length_curve_max_words=20,
        length_curve_context_units=(16, 32),
    ),
    "cpu": Scale(
        name="cpu",
        tatoeba_train_pairs=None,
        max_tokens=20,
        min_token_count=2,
        toy_eval_pairs=1_000,
        embedding_dim=128,
        hidden_units=256,
        batch_size=64,
        eval_sentences=1_000,
        beam_width=4,
        task_shape_examples=12_000,
        task_shape_hidden_units=128,
        task_shape_epochs=8,
        number_words_epochs=80,
        seq2seq_epochs=5,
        attention_epochs=3,
        attention_cost_lengths=(16, 32, 64, 96),
        attention_cost_repetitions=9,
        length_curve_train_pairs=8_000,
        length_curve_epochs=8,
        length_curve_max_words=50,
        length_curve_context_units=(128, 256),
    ),
    "gpu": Scale(
        name="gpu",
        tatoeba_train_pairs=None,
        max_tokens=30,
        min_token_count=1,
        toy_eval_pairs=2_000,
        embedding_dim=256,
        hidden_units=512,
        batch_size=128,
        eval_sentences=None,
        beam_width=5,
        task_shape_examples=40_000,
        task_shape_hidden_units=256,
        task_shape_epochs=20,
        number_words_epochs=200,
        seq2seq_epochs=30,
        attention_epochs=30,
        attention_cost_lengths=(16, 32, 64, 96),
        attention_cost_repetitions=9,
        length_curve_train_pairs=40_000,
        length_curve_epochs=20,
        length_curve_max_words=50,
        length_curve_context_units=(128, 512),
    ),
}


def gpu_available() -> bool:
    """Whether TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def current_scale() -> Scale:
    """The scale chosen by `COURSE_SCALE`, else `gpu` with a GPU, else `cpu`."""
    name = os.environ.get(SCALE_VARIABLE, "").strip().lower()
    if not name:
        name = "gpu" if gpu_available() else "cpu"
    if name not in SCALES:
        raise ValueError(
            f"{SCALE_VARIABLE} must be one of {sorted(SCALES)}. Received: {name!r}"
        )
    return SCALES[name]


# The first Keras whose `set_random_seed` also resets the global `SeedGenerator`.
KERAS_RESETS_SEED_GENERATOR = (3, 13)


def set_seed(seed: int = 42, deterministic: bool = False) -> None:
    """Seeds Python, NumPy and the backend so that runs repeat.

    Unseeded `keras.random` draws repeat too: after each call they start again
    from the same state, on every Keras this course supports.

    Args:
        seed: the seed for every random generator.
        deterministic: also ask TensorFlow for deterministic kernels, which CI
            needs for identical outputs and which costs some speed.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if _keras_version() < KERAS_RESETS_SEED_GENERATOR:
        _reset_global_seed_generator()
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _keras_version() -> tuple[int, int]:
    import keras

    major, minor = keras.__version__.split(".")[:2]
    return int(major), int(minor)


def _reset_global_seed_generator() -> None:
    """Drops Keras' global `SeedGenerator`, as `set_random_seed` does from 3.13 on.

    Unseeded `keras.random` draws take their seeds from that generator. Keras
    creates it on first use, seeded from Python's `random`, and before 3.13 keeps
    it for the whole session, so re-seeding did not repeat the draws. Dropping it
    lets Keras create it anew from the Python seed just set. No public API drops
    it alone: `keras.utils.clear_session()` would, but it also resets the layer
    names, the dtype policy and the rest of Keras' global state in the middle of
    a lesson, so we clear only the attribute that Keras 3.13 clears itself.
    """
    from keras.src.backend.common import global_state

    global_state.set_global_attribute("global_seed_generator", None)
