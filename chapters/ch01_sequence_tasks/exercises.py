"""Checks for the exercises of chapter 1 (sequence tasks, RNN steps, embeddings).

Each check runs a learner's function on small cases with answers worked out
by hand or by the chapter's reference code, and prints a pass or a hint. The
worked solutions are in `solutions/ch01_solutions.py`.
"""

import keras
import numpy as np

from chapters.ch01_sequence_tasks.rnn_steps import simple_rnn_step
from chapters.common.checks import (
    Hint,
    exercise_check,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_shape,
)
from chapters.common.vocabulary import RESERVED_TOKENS, Vocabulary


@exercise_check("build a vocabulary with reserved tokens")
def check_build_vocabulary(build_vocabulary):
    """`build_vocabulary(tokenized_sentences, min_count) -> list[str]`."""
    sentences = [["i", "like", "tea"], ["i", "like", "rice"], ["you", "like", "tea"]]
    tokens = build_vocabulary(sentences, 1)
    if not isinstance(tokens, list):
        raise Hint(f"return a list of tokens, not a {type(tokens).__name__}.")
    if tuple(tokens[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
        raise Hint(
            f"the vocabulary must start with the reserved tokens {RESERVED_TOKENS} "
            f"in that order (so [PAD] gets id 0). Yours starts {tokens[:4]}."
        )
    if len(set(tokens)) != len(tokens):
        raise Hint("a token appears twice; each token needs exactly one id.")
    # like: 3, i: 2, tea: 2, rice: 1, you: 1. Ties in alphabetical order.
    expected = [*RESERVED_TOKENS, "like", "i", "tea", "rice", "you"]
    expect_equal(tokens, expected, "build_vocabulary(sentences, min_count=1)")
    expect_equal(
        build_vocabulary(sentences, 2),
        [*RESERVED_TOKENS, "like", "i", "tea"],
        "build_vocabulary(sentences, min_count=2) (tokens seen fewer times are out)",
    )
    characters = [list("我爱你"), list("你爱我吗"), list("我们")]
    expect_equal(
        build_vocabulary(characters, 1),
        Vocabulary.build(characters).tokens,
        "build_vocabulary on Chinese characters",
    )


@exercise_check("padding mask")
def check_padding_mask(padding_mask):
    """`padding_mask(ids) -> bool array (B, S)`, True at real tokens."""
    ids = np.array([[5, 1, 9, 0, 0], [7, 3, 0, 0, 0], [4, 6, 8, 2, 11]], "int32")
    mask = padding_mask(ids)
    expect_shape(mask, ids.shape, "padding_mask(ids)")
    expect_dtype(mask, "bool", "padding_mask(ids)")
    expected = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    # Id 1 is [UNK], a real (if unknown) word: it must stay visible.
    expect_equal(mask, expected, "padding_mask(ids) (True where id != PAD_ID = 0)")


@exercise_check("one SimpleRNN step in NumPy")
def check_rnn_step(rnn_step):
    """`rnn_step(inputs, state, kernel, recurrent_kernel, bias) -> (B, H)`."""
    # Hand-computed: tanh(1*2 + 0.5*3 - 1) = tanh(2.5).
    one = rnn_step(
        np.array([[1.0]]), np.array([[0.5]]), np.array([[2.0]]),
        np.array([[3.0]]), np.array([-1.0]),
    )  # fmt: skip
    expect_close(one, np.array([[np.tanh(2.5)]]), "rnn_step on the 1-unit example")
    rng = np.random.default_rng(3)
    batch, features, hidden_units = 2, 3, 4
    weights = (
        rng.normal(size=(batch, features)),
        rng.normal(size=(batch, hidden_units)),
        rng.normal(size=(features, hidden_units)),
        rng.normal(size=(hidden_units, hidden_units)),
        rng.normal(size=(hidden_units,)),
    )
    new_state = rnn_step(*weights)
    expect_shape(new_state, (batch, hidden_units), "the new state")
    expect_close(new_state, simple_rnn_step(*weights), "the new state", atol=1e-6)


@exercise_check("output at the last real step")
def check_last_real_output(last_real_output):
    """`last_real_output(sequences (B, S, H), mask (B, S)) -> (B, H)`."""
    sequences = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    result = last_real_output(sequences, mask)
    expect_shape(result, (2, 3), "last_real_output(sequences, mask)")
    expected = np.stack([sequences[0, 1], sequences[1, 3]])
    expect_close(result, expected, "last_real_output(sequences, mask)")
    one_step = np.array([[True, False, False, False]] * 2)
    expect_close(
        last_real_output(sequences, one_step),
        sequences[:, 0],
        "last_real_output when each row has a single real step",
    )


# (task shape, batch size, source length, target length, classes) -> output shape.
# An N→N output has one step per source step, whatever target length is given.
_OUTPUT_SHAPE_CASES = {
    ("1->N", 8, 1, 5, 30): (8, 5, 30),
    ("N->1", 8, 12, 1, 2): (8, 2),
    ("N->N", 8, 12, 12, 4): (8, 12, 4),
    ("N->M", 8, 12, 9, 500): (8, 9, 500),
    ("N->N", 3, 7, 1, 5): (3, 7, 5),
    ("N->M", 2, 6, 10, 40): (2, 10, 40),
}


@exercise_check("output shape of each task shape")
def check_task_output_shape(task_output_shape):
    """`task_output_shape(task_shape, batch, source_len, target_len, classes)`."""
    for arguments, expected in _OUTPUT_SHAPE_CASES.items():
        result = task_output_shape(*arguments)
        what = f"task_output_shape{arguments}"
        if not isinstance(result, tuple):
            raise Hint(f"{what} must return a tuple, not {type(result).__name__}.")
        expect_equal(result, expected, what)
    try:
        task_output_shape("N->K", 8, 12, 9, 500)
    except ValueError:
        return
    raise Hint('an unknown task shape such as "N->K" must raise ValueError.')


@exercise_check("N→1 classifier head")
def check_many_to_one_classifier(build_classifier):
    """`build_classifier(vocabulary_size, embedding_dim, hidden_units, classes)`.

    The model maps `(B, S)` token ids to `(B, classes)` probabilities.
    """
    keras.utils.set_random_seed(0)
    model = build_classifier(20, 4, 5, 3)
    ids = np.array([[4, 7, 9, 0], [5, 6, 0, 0]], "int32")
    probabilities = keras.ops.convert_to_numpy(model(ids))
    expect_shape(
        probabilities,
        (2, 3),
        "the classifier's output for 2 sentences and 3 classes (one vector per "
        "sentence: use the final state, not return_sequences=True)",
    )
    if (probabilities < 0).any() or not np.allclose(probabilities.sum(-1), 1, 1e-4):
        raise Hint(
            "each row must hold class probabilities that sum to 1: end with a softmax."
        )
    padded = np.pad(ids, ((0, 0), (0, 3)))
    expect_close(
        keras.ops.convert_to_numpy(model(padded)),
        probabilities,
        "the output after adding more padding (use Embedding(mask_zero=True) so "
        "the GRU skips [PAD])",
        atol=1e-5,
    )


@exercise_check("cosine similarity of embeddings")
def check_cosine_similarity(cosine_similarity):
    """`cosine_similarity(embeddings (V, E), vector (E,)) -> (V,)`."""
    embeddings = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, -2.0], [-6.0, -8.0]])
    vector = np.array([2.0, 0.0])
    similarity = cosine_similarity(embeddings, vector)
    expect_shape(similarity, (4,), "cosine_similarity(embeddings, vector)")
    # cos = (e . v) / (|e| |v|): 6/10, 2/2, 0/4, -12/20.
    expect_close(
        similarity,
        np.array([0.6, 1.0, 0.0, -0.6]),
        "cosine_similarity(embeddings, vector) (divide by both vector lengths)",
    )
    expect_close(
        cosine_similarity(embeddings, 5 * vector),
        np.array([0.6, 1.0, 0.0, -0.6]),
        "cosine_similarity(embeddings, 5 * vector) (scaling must not matter)",
    )
