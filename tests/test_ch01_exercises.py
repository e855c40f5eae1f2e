"""The chapter 1 exercise checks accept the solutions and reject common mistakes.

Each wrong variant is a mistake a learner plausibly makes, named after it.
"""

import collections

import keras
import numpy as np
import pytest

from chapters.ch01_sequence_tasks import exercises
from chapters.common.vocabulary import RESERVED_TOKENS
from solutions import ch01_solutions as solutions
from tests.check_testing import assert_check_behaviour, mutating


def _counted(sentences):
    return collections.Counter(token for sentence in sentences for token in sentence)


def _vocabulary_sorted_by(key, count_by_sentence=False, at_least=True):
    """A vocabulary built as the solution does, with one rule changed."""

    def build(sentences, min_count):
        if count_by_sentence:
            counts = collections.Counter(
                t for sentence in sentences for t in set(sentence)
            )
        else:
            counts = _counted(sentences)
        kept = [
            token
            for token in counts
            if (counts[token] >= min_count if at_least else counts[token] > min_count)
        ]
        return [*RESERVED_TOKENS, *sorted(kept, key=lambda token: key(token, counts))]

    return build


def test_build_vocabulary_check():
    def without_reserved(sentences, min_count):
        return solutions.build_vocabulary(sentences, min_count)[len(RESERVED_TOKENS) :]

    def reserved_last(sentences, min_count):
        tokens = solutions.build_vocabulary(sentences, min_count)
        return tokens[len(RESERVED_TOKENS) :] + list(RESERVED_TOKENS)

    def ignores_min_count(sentences, min_count):
        return solutions.build_vocabulary(sentences, 1)

    def in_order_of_appearance(sentences, min_count):
        counts = _counted(sentences)
        return [*RESERVED_TOKENS, *(t for t in counts if counts[t] >= min_count)]

    def most_common(sentences, min_count):
        # Counter.most_common breaks ties by first appearance.
        pairs = _counted(sentences).most_common()
        return [*RESERVED_TOKENS, *(t for t, count in pairs if count >= min_count)]

    def reverse_sorted(sentences, min_count):
        counts = _counted(sentences)
        kept = [t for t in counts if counts[t] >= min_count]
        return [
            *RESERVED_TOKENS,
            *sorted(kept, key=lambda t: (counts[t], t), reverse=True),
        ]

    def every_occurrence(sentences, min_count):
        return [*RESERVED_TOKENS, *(t for sentence in sentences for t in sentence)]

    def extends_the_first_sentence(sentences, min_count):
        tokens = sentences[0]  # not a copy: extend() grows the caller's sentence
        for sentence in sentences[1:]:
            tokens.extend(sentence)
        counts = collections.Counter(tokens)
        kept = sorted(
            (t for t in counts if counts[t] >= min_count),
            key=lambda t: (-counts[t], t),
        )
        return [*RESERVED_TOKENS, *kept]

    def token_ids(sentences, min_count):
        tokens = solutions.build_vocabulary(sentences, min_count)
        return {token: index for index, token in enumerate(tokens)}

    assert_check_behaviour(
        exercises.check_build_vocabulary,
        solutions.build_vocabulary,
        {
            "no reserved tokens": without_reserved,
            "reserved tokens at the end": reserved_last,
            "min_count ignored": ignores_min_count,
            "alphabetical, not by count": _vocabulary_sorted_by(lambda t, c: t),
            "order of appearance": in_order_of_appearance,
            "Counter.most_common: ties in order of appearance": most_common,
            "ties in reverse alphabetical order": reverse_sorted,
            "counted once per sentence": _vocabulary_sorted_by(
                lambda t, counts: (-counts[t], t), count_by_sentence=True
            ),
            "count > min_count instead of >=": _vocabulary_sorted_by(
                lambda t, counts: (-counts[t], t), at_least=False
            ),
            "duplicates": every_occurrence,
            "extends the first sentence in place": extends_the_first_sentence,
            "a dict of ids, not a list": token_ids,
        },
        expected_hints={
            "no reserved tokens": "reserved",
            "duplicates": "twice",
            "Counter.most_common: ties in order of appearance": "alphabetical",
            "ties in reverse alphabetical order": "alphabetical",
            "counted once per sentence": "repeated within one sentence",
            "count > min_count instead of >=": "exactly min_count",
            "extends the first sentence in place": "in place",
            "a dict of ids, not a list": "list",
        },
    )


def test_padding_mask_check():
    def sets_real_ids_to_one(ids):
        ids = np.asarray(ids)  # the caller's array itself, not a copy
        ids[ids != 0] = 1
        return ids.astype(bool)

    assert_check_behaviour(
        exercises.check_padding_mask,
        solutions.padding_mask,
        {
            "inverted": lambda ids: np.asarray(ids) == 0,
            "integers, not booleans": lambda ids: (np.asarray(ids) != 0).astype(int),
            "floats, not booleans": lambda ids: (np.asarray(ids) != 0).astype(
                "float32"
            ),
            "[UNK] treated as padding": lambda ids: np.asarray(ids) > 1,
            "one mask per sentence": lambda ids: (np.asarray(ids) != 0).all(axis=1),
            "compares a list with 0": lambda ids: ids != 0,
            "sets the real ids to 1 in place": sets_real_ids_to_one,
        },
        expected_hints={
            "integers, not booleans": "dtype",
            "floats, not booleans": "dtype",
            "inverted": "swapped",
            "[UNK] treated as padding": "[UNK]",
            "one mask per sentence": "shape",
            "compares a list with 0": "np.asarray",
            "sets the real ids to 1 in place": "in place",
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

    def bias_outside_tanh(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel + h @ recurrent_kernel) + bias

    def transposed_recurrence(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel + h @ recurrent_kernel.T + bias)

    def kernels_swapped(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ recurrent_kernel + h @ kernel + bias)

    def tanh_of_each_term(x, h, kernel, recurrent_kernel, bias):
        return np.tanh(x @ kernel) + np.tanh(h @ recurrent_kernel) + bias

    def tanh_written_with_exp(x, h, kernel, recurrent_kernel, bias):
        total = x @ kernel + h @ recurrent_kernel + bias
        with np.errstate(over="ignore", invalid="ignore"):
            return (np.exp(total) - np.exp(-total)) / (np.exp(total) + np.exp(-total))

    def overwrites_the_state(x, h, kernel, recurrent_kernel, bias):
        h[...] = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
        return h

    assert_check_behaviour(
        exercises.check_rnn_step,
        solutions.rnn_step,
        {
            "no tanh": no_tanh,
            "sigmoid": sigmoid,
            "previous state ignored": no_state,
            "no bias": no_bias,
            "bias outside the tanh": bias_outside_tanh,
            "recurrent kernel transposed": transposed_recurrence,
            "kernel and recurrent kernel swapped": kernels_swapped,
            "tanh of each term": tanh_of_each_term,
            "tanh written with exp (overflows)": tanh_written_with_exp,
            "new state written into the old one": overwrites_the_state,
        },
        expected_hints={
            "tanh written with exp (overflows)": "NaN",
            "new state written into the old one": "in place",
        },
    )


def test_last_real_output_check():
    def last_step(sequences, mask):
        return np.asarray(sequences)[:, -1]

    def off_by_one(sequences, mask):
        index = np.asarray(mask).sum(axis=1)
        sequences = np.asarray(sequences)
        return sequences[np.arange(len(sequences)), np.minimum(index, 5)]

    def one_index_for_the_batch(sequences, mask):
        return np.asarray(sequences)[:, np.asarray(mask).sum(axis=1).max() - 1]

    def first_step(sequences, mask):
        return np.asarray(sequences)[:, 0]

    def masked_mean(sequences, mask):
        mask = np.asarray(mask)[..., None]
        return (np.asarray(sequences) * mask).sum(1) / mask.sum(1)

    def masked_max(sequences, mask):
        return np.where(np.asarray(mask)[..., None], sequences, -np.inf).max(axis=1)

    def every_step(sequences, mask):
        return np.asarray(sequences) * np.asarray(mask)[..., None]

    def zeroes_the_padding_first(sequences, mask):
        sequences[~mask] = 0.0  # cleans the caller's array
        return solutions.last_real_output(sequences, mask)

    assert_check_behaviour(
        exercises.check_last_real_output,
        solutions.last_real_output,
        {
            "last step, padded or not": last_step,
            "off by one": off_by_one,
            "one index for the batch (the longest row's)": one_index_for_the_batch,
            "first step": first_step,
            "mean over real steps": masked_mean,
            "max over real steps": masked_max,
            "all steps": every_step,
            "zeroes the padding in place": zeroes_the_padding_first,
        },
        expected_hints={
            "last step, padded or not": "padding",
            "off by one": "n - 1",
            "one index for the batch (the longest row's)": "own length",
            "all steps": "shape",
            "zeroes the padding in place": "in place",
        },
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

    def one_to_n_by_source(task_shape, batch, source, target, classes):
        if task_shape == "1->N":
            return (batch, source, classes)
        return solution(task_shape, batch, source, target, classes)

    def classes_before_time(task_shape, batch, source, target, classes):
        shape = solution(task_shape, batch, source, target, classes)
        return shape if len(shape) == 2 else (batch, classes, shape[1])

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
            "1->N sized by the (one-step) source": one_to_n_by_source,
            "classes before the time axis": classes_before_time,
            "batch axis missing": no_batch_axis,
            "unknown task shape accepted": unknown_accepted,
            "list, not tuple": lambda *args: list(solution(*args)),
        },
        expected_hints={"unknown task shape accepted": "ValueError"},
    )


def _classifier(
    mask_zero=True,
    return_sequences=False,
    activation="softmax",
    sizes=lambda vocabulary, embedding, hidden, classes: (
        vocabulary,
        embedding,
        hidden,
        classes,
    ),
):
    """The classifier with one mistake: a setting, or sizes taken from the wrong
    arguments (`sizes` maps the four arguments to the sizes actually used)."""

    def build(vocabulary_size, embedding_dim, hidden_units, classes):
        vocabulary_size, embedding_dim, hidden_units, outputs = sizes(
            vocabulary_size, embedding_dim, hidden_units, classes
        )
        token_ids = keras.Input(shape=(None,), dtype="int32")
        vectors = keras.layers.Embedding(
            vocabulary_size, embedding_dim, mask_zero=mask_zero
        )(token_ids)
        summary = keras.layers.GRU(hidden_units, return_sequences=return_sequences)(
            vectors
        )
        probabilities = keras.layers.Dense(outputs, activation=activation)(summary)
        return keras.Model(token_ids, probabilities)

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
            "Embedding(embedding_dim, vocabulary_size)": _classifier(
                sizes=lambda v, e, h, c: (e, v, h, c)
            ),
            "vocabulary one short": _classifier(
                sizes=lambda v, e, h, c: (v - 1, e, h, c)
            ),
            "embedding as wide as the hidden units": _classifier(
                sizes=lambda v, e, h, c: (v, h, h, c)
            ),
            "GRU with one unit per class": _classifier(
                sizes=lambda v, e, h, c: (v, e, c, c)
            ),
            "sizes copied from the lesson": _classifier(
                sizes=lambda v, e, h, c: (1000, 32, 64, c)
            ),
            "Dense sized by the hidden units": _classifier(
                sizes=lambda v, e, h, c: (v, e, h, h)
            ),
        },
        expected_hints={
            "return_sequences=True": "shape",
            "no mask": "mask_zero",
            "logits, no softmax": "softmax",
            "Embedding(embedding_dim, vocabulary_size)": "input_dim=vocabulary_size",
            "vocabulary one short": "largest id",
            "embedding as wide as the hidden units": "output_dim=embedding_dim",
            "GRU with one unit per class": "hidden_units",
            "Dense sized by the hidden units": "shape",
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

    def squared_lengths(embeddings, vector):
        embeddings = np.asarray(embeddings)
        return embeddings @ vector / ((embeddings**2).sum(1) * (vector**2).sum())

    def norm_over_columns(embeddings, vector):
        embeddings = np.asarray(embeddings)
        lengths = np.linalg.norm(embeddings, axis=0) * np.linalg.norm(vector)
        return embeddings @ vector / lengths

    def euclidean_distance(embeddings, vector):
        return np.linalg.norm(np.asarray(embeddings) - vector, axis=1)

    def whole_matrix_norm(embeddings, vector):
        embeddings = np.asarray(embeddings)
        return (
            embeddings @ vector / (np.linalg.norm(embeddings) * np.linalg.norm(vector))
        )

    def normalizes_rows_in_place(embeddings, vector):
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
        return embeddings @ vector / np.linalg.norm(vector)

    def as_a_list(embeddings, vector):
        return [
            float(row @ vector / (np.linalg.norm(row) * np.linalg.norm(vector)))
            for row in embeddings
        ]

    assert_check_behaviour(
        exercises.check_cosine_similarity,
        solutions.cosine_similarity,
        {
            "plain dot product": dot_product,
            "only rows normalized": rows_only,
            "only the query normalized": query_only,
            "squared lengths": squared_lengths,
            "norm over the wrong axis": norm_over_columns,
            "euclidean distance": euclidean_distance,
            "one norm for the whole matrix": whole_matrix_norm,
            "normalizes the rows in place": normalizes_rows_in_place,
            "a list, not an array": as_a_list,
        },
        expected_hints={
            "norm over the wrong axis": "axis=1",
            "normalizes the rows in place": "in place",
            "a list, not an array": "np.argsort",
        },
    )


@pytest.mark.parametrize(
    ("check", "solution", "position"),
    [
        (exercises.check_build_vocabulary, solutions.build_vocabulary, 0),
        (exercises.check_padding_mask, solutions.padding_mask, 0),
        (exercises.check_rnn_step, solutions.rnn_step, 1),
        (exercises.check_last_real_output, solutions.last_real_output, 0),
        (exercises.check_cosine_similarity, solutions.cosine_similarity, 0),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_checks_reject_solutions_that_edit_their_inputs(check, solution, position):
    result = check(mutating(solution, position))
    assert result.attempted and not result.passed
    assert "in place" in result.message


def _tags_by_word(long_word_tags, single_tag="S"):
    """A candidate that tags a one-character word `single_tag` and a longer word
    with `long_word_tags(word)`."""

    def bmes_tags(words):
        return [
            tag
            for word in words
            for tag in ([single_tag] if len(word) == 1 else long_word_tags(word))
        ]

    return bmes_tags


def test_segmentation_tags_check():
    def right_tags(word):
        return solutions.bmes_tags([word])

    def one_string_per_word(words):
        return ["".join(solutions.bmes_tags([word])) for word in words]

    def empties_its_input(words):
        tags = []
        while words:
            tags += solutions.bmes_tags([words.pop(0)])
        return tags

    assert_check_behaviour(
        exercises.check_segmentation_tags,
        solutions.bmes_tags,
        {
            "one tag per word": _tags_by_word(lambda word: ["B"]),
            "one string of tags per word": one_string_per_word,
            "single characters tagged B": _tags_by_word(right_tags, single_tag="B"),
            "no M: E after the B": _tags_by_word(
                lambda word: ["B"] + ["E"] * (len(word) - 1)
            ),
            "no E: M to the end": _tags_by_word(
                lambda word: ["B"] + ["M"] * (len(word) - 1)
            ),
            "one M too many": _tags_by_word(
                lambda word: ["B"] + ["M"] * (len(word) - 1) + ["E"]
            ),
            "every character S": _tags_by_word(lambda word: ["S"] * len(word)),
            "the input emptied": empties_its_input,
        },
        expected_hints={
            "one tag per word": "tag every character",
            "one string of tags per word": "tag every character",
            "single characters tagged B": "one character is tagged S",
            "no M: E after the B": "between the B and the E is M",
            "no E: M to the end": "last character",
            "one M too many": "tag every character",
            "every character S": "first character",
            "the input emptied": "in place",
        },
    )


def _analogy_solver(
    normalize_inputs=True,
    normalize_candidates=True,
    sign=1,
    excluded="abc",
    last_of_ties=False,
):
    """A `solve_analogy` that makes the mistakes asked for."""

    def solve(embeddings, tokens, a, b, c):
        embeddings = np.asarray(embeddings, dtype="float64")
        unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
        inputs = unit if normalize_inputs else embeddings
        candidates = unit if normalize_candidates else embeddings
        ids = {"a": tokens.index(a), "b": tokens.index(b), "c": tokens.index(c)}
        target = sign * (inputs[ids["b"]] - inputs[ids["a"]]) + inputs[ids["c"]]
        scores = candidates @ target
        scores[[ids[name] for name in excluded]] = -np.inf
        if last_of_ties:
            return tokens[len(scores) - 1 - int(np.argmax(scores[::-1]))]
        return tokens[int(np.argmax(scores))]

    return solve


def test_solve_analogy_check():
    solution = solutions.solve_analogy

    def euclidean_nearest(embeddings, tokens, a, b, c):
        embeddings = np.asarray(embeddings)
        ids = [tokens.index(word) for word in (a, b, c)]
        target = embeddings[ids[1]] - embeddings[ids[0]] + embeddings[ids[2]]
        distances = np.linalg.norm(embeddings - target, axis=1)
        distances[ids] = np.inf
        return tokens[int(np.argmin(distances))]

    def sorted_by_score(embeddings, tokens, a, b, c):
        embeddings = np.asarray(embeddings)
        unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
        target = unit[tokens.index(b)] - unit[tokens.index(a)] + unit[tokens.index(c)]
        ranked = sorted(zip(unit @ target, tokens, strict=True), reverse=True)
        return next(word for _, word in ranked if word not in (a, b, c))

    def normalizes_in_place(embeddings, tokens, a, b, c):
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
        return solution(embeddings, tokens, a, b, c)

    def index_not_word(embeddings, tokens, a, b, c):
        return tokens.index(solution(embeddings, tokens, a, b, c))

    def removes_the_question_words(embeddings, tokens, a, b, c):
        for word in (a, b, c):
            tokens.remove(word)
        return tokens[0]

    assert_check_behaviour(
        exercises.check_solve_analogy,
        solution,
        {
            "no normalization": _analogy_solver(False, False),
            "a, b, c not normalized": _analogy_solver(normalize_inputs=False),
            "dot product, not cosine": _analogy_solver(normalize_candidates=False),
            "euclidean distance": euclidean_nearest,
            "question words kept": _analogy_solver(excluded=""),
            "only c left out": _analogy_solver(excluded="c"),
            "a - b + c": _analogy_solver(sign=-1),
            "last of tied words": _analogy_solver(last_of_ties=True),
            "ties by sorting (score, word)": sorted_by_score,
            "embeddings normalized in place": normalizes_in_place,
            "tokens emptied in place": removes_the_question_words,
            "index, not word": index_not_word,
            "list of one word": lambda *args: [solution(*args)],
            "(word, score) tuple": lambda *args: (solution(*args), 1.0),
            "always queen": lambda *args: "queen",
        },
        expected_hints={
            "no normalization": "not normalized first",
            "a, b, c not normalized": "not normalized first",
            "dot product, not cosine": "cosine",
            "euclidean distance": "not normalized first",
            "question words kept": "leave a, b and c out",
            "only c left out": "leave a, b and c out",
            "a - b + c": "b - a + c",
            "last of tied words": "comes first in tokens",
            "ties by sorting (score, word)": "comes first in tokens",
            "embeddings normalized in place": "in place",
            "tokens emptied in place": "in place",
            "index, not word": "index",
            "list of one word": "not a list",
            "(word, score) tuple": "tuple",
            "always queen": "returned 'queen'",
        },
    )
