"""The chapter 1 exercise checks accept the solutions and reject common mistakes."""

import collections

import keras
import numpy as np

from chapters.ch01_sequence_tasks import exercises
from chapters.common.vocabulary import RESERVED_TOKENS
from solutions import ch01_solutions as solutions
from tests.check_testing import assert_check_behaviour


def _counted(sentences):
    return collections.Counter(token for sentence in sentences for token in sentence)


def test_build_vocabulary_check():
    def without_reserved(sentences, min_count):
        return solutions.build_vocabulary(sentences, min_count)[len(RESERVED_TOKENS) :]

    def reserved_last(sentences, min_count):
        tokens = solutions.build_vocabulary(sentences, min_count)
        return tokens[len(RESERVED_TOKENS) :] + list(RESERVED_TOKENS)

    def ignores_min_count(sentences, min_count):
        return solutions.build_vocabulary(sentences, 1)

    def alphabetical(sentences, min_count):
        counts = _counted(sentences)
        kept = sorted(token for token in counts if counts[token] >= min_count)
        return [*RESERVED_TOKENS, *kept]

    def in_order_of_appearance(sentences, min_count):
        counts = _counted(sentences)
        return [*RESERVED_TOKENS, *(t for t in counts if counts[t] >= min_count)]

    def every_occurrence(sentences, min_count):
        return [*RESERVED_TOKENS, *(t for sentence in sentences for t in sentence)]

    assert_check_behaviour(
        exercises.check_build_vocabulary,
        solutions.build_vocabulary,
        {
            "no reserved tokens": without_reserved,
            "reserved tokens at the end": reserved_last,
            "min_count ignored": ignores_min_count,
            "alphabetical, not by count": alphabetical,
            "order of appearance": in_order_of_appearance,
            "duplicates": every_occurrence,
        },
        expected_hints={"no reserved tokens": "reserved", "duplicates": "twice"},
    )


def test_padding_mask_check():
    assert_check_behaviour(
        exercises.check_padding_mask,
        solutions.padding_mask,
        {
            "inverted": lambda ids: np.asarray(ids) == 0,
            "integers, not booleans": lambda ids: (np.asarray(ids) != 0).astype(int),
            "[UNK] treated as padding": lambda ids: np.asarray(ids) > 1,
            "one mask per sentence": lambda ids: (np.asarray(ids) != 0).all(axis=1),
        },
        expected_hints={
            "integers, not booleans": "dtype",
            "one mask per sentence": "shape",
        },
    )


def test_rnn_step_check():
    def no_tanh(x, h, kernel, recurrent_kernel, bias):
        return x @ kernel + h @ recurrent_kernel + bias

    def sigmoid(x, h, kernel, recurrent_kernel, bias):
        return 1 / (1 + np.exp(-(x @ kernel + h @ recurrent_kernel + bias)))

    def no_state(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel + bias)

    def no_bias(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel + h @ recurrent_kernel)

    def transposed_recurrence(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel + h @ recurrent_kernel.T + bias)

    def tanh_of_each_term(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel) + np.tanh(h @ recurrent_kernel) + bias

    assert_check_behaviour(
        exercises.check_rnn_step,
        solutions.rnn_step,
        {
            "no tanh": no_tanh,
            "sigmoid": sigmoid,
            "previous state ignored": no_state,
            "no bias": no_bias,
            "recurrent kernel transposed": transposed_recurrence,
            "tanh of each term": tanh_of_each_term,
        },
    )


def test_last_real_output_check():
    def last_step(sequences, mask):
        return np.asarray(sequences)[:, -1]

    def off_by_one(sequences, mask):
        index = np.asarray(mask).sum(axis=1)
        sequences = np.asarray(sequences)
        return sequences[np.arange(len(sequences)), np.minimum(index, 3)]

    def first_step(sequences, mask):
        return np.asarray(sequences)[:, 0]

    def masked_mean(sequences, mask):
        mask = np.asarray(mask)[..., None]
        return (np.asarray(sequences) * mask).sum(1) / mask.sum(1)

    def every_step(sequences, mask):
        return np.asarray(sequences) * np.asarray(mask)[..., None]

    assert_check_behaviour(
        exercises.check_last_real_output,
        solutions.last_real_output,
        {
            "last step, padded or not": last_step,
            "off by one": off_by_one,
            "first step": first_step,
            "mean over real steps": masked_mean,
            "all steps": every_step,
        },
        expected_hints={"all steps": "shape"},
    )


def test_task_output_shape_check():
    solution = solutions.task_output_shape

    def n_to_n_by_target(task_shape, batch, source, target, classes):
        if task_shape == "N->N":
            return (batch, target, classes)
        return solution(task_shape, batch, source, target, classes)

    def n_to_one_keeps_time(task_shape, batch, source, target, classes):
        if task_shape == "N->1":
            return (batch, source, classes)
        return solution(task_shape, batch, source, target, classes)

    def n_to_m_by_source(task_shape, batch, source, target, classes):
        if task_shape == "N->M":
            return (batch, source, classes)
        return solution(task_shape, batch, source, target, classes)

    def no_batch_axis(task_shape, batch, source, target, classes):
        return solution(task_shape, batch, source, target, classes)[1:]

    def unknown_accepted(task_shape, batch, source, target, classes):
        if task_shape not in ("1->N", "N->1", "N->N", "N->M"):
            return (batch, target, classes)
        return solution(task_shape, batch, source, target, classes)

    assert_check_behaviour(
        exercises.check_task_output_shape,
        solution,
        {
            "N->N sized by the target": n_to_n_by_target,
            "N->1 keeps the time axis": n_to_one_keeps_time,
            "N->M sized by the source": n_to_m_by_source,
            "batch axis missing": no_batch_axis,
            "unknown task shape accepted": unknown_accepted,
            "list, not tuple": lambda *args: list(solution(*args)),
        },
        expected_hints={"unknown task shape accepted": "ValueError"},
    )


def _classifier(mask_zero=True, return_sequences=False, activation="softmax"):
    def build(vocabulary_size, embedding_dim, hidden_units, classes):
        token_ids = keras.Input(shape=(None,), dtype="int32")
        vectors = keras.layers.Embedding(
            vocabulary_size, embedding_dim, mask_zero=mask_zero
        )(token_ids)
        summary = keras.layers.GRU(hidden_units, return_sequences=return_sequences)(
            vectors
        )
        outputs = keras.layers.Dense(classes, activation=activation)(summary)
        return keras.Model(token_ids, outputs)

    return build


def test_many_to_one_classifier_check():
    assert_check_behaviour(
        exercises.check_many_to_one_classifier,
        solutions.build_classifier,
        {
            "return_sequences=True": _classifier(return_sequences=True),
            "no mask": _classifier(mask_zero=False),
            "logits, no softmax": _classifier(activation=None),
            "sigmoid per class": _classifier(activation="sigmoid"),
        },
        expected_hints={
            "return_sequences=True": "shape",
            "no mask": "mask_zero",
            "logits, no softmax": "softmax",
        },
    )


def test_cosine_similarity_check():
    def dot_product(embeddings, vector):
        return np.asarray(embeddings) @ np.asarray(vector)

    def rows_only(embeddings, vector):
        embeddings = np.asarray(embeddings)
        return embeddings @ vector / np.linalg.norm(embeddings, axis=1)

    def query_only(embeddings, vector):
        return np.asarray(embeddings) @ vector / np.linalg.norm(vector)

    def euclidean_distance(embeddings, vector):
        return np.linalg.norm(np.asarray(embeddings) - vector, axis=1)

    def whole_matrix_norm(embeddings, vector):
        embeddings = np.asarray(embeddings)
        return (
            embeddings @ vector / (np.linalg.norm(embeddings) * np.linalg.norm(vector))
        )

    assert_check_behaviour(
        exercises.check_cosine_similarity,
        solutions.cosine_similarity,
        {
            "plain dot product": dot_product,
            "only rows normalized": rows_only,
            "only the query normalized": query_only,
            "euclidean distance": euclidean_distance,
            "one norm for the whole matrix": whole_matrix_norm,
        },
    )
