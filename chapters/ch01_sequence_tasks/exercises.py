"""Checks for the exercises of chapter 1 (sequence tasks, RNN steps, embeddings).

Each check runs a learner's function on small cases with answers worked out
by hand or by the chapter's reference code, and prints a pass or a hint. The
worked solutions are in `solutions/ch01_solutions.py`.
"""

import collections

import keras
import numpy as np

from chapters.ch01_sequence_tasks.rnn_steps import simple_rnn_step
from chapters.common.checks import (
    Hint,
    call_with_copies,
    exercise_check,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_shape,
)
from chapters.common.vocabulary import RESERVED_TOKENS, Vocabulary


def _vocabulary_hint(tokens, expected, sentences, min_count, what) -> None:
    """Name the broken rule when `tokens` misses or misorders what `expected` holds."""
    words = tokens[len(RESERVED_TOKENS) :]
    expected_words = expected[len(RESERVED_TOKENS) :]
    if words == expected_words:
        return
    counts = collections.Counter(token for sentence in sentences for token in sentence)
    missing = set(expected_words) - set(words)
    if missing and all(counts[token] == min_count for token in missing):
        raise Hint(
            f"{what} left out {sorted(missing)}, seen exactly min_count={min_count} "
            "times: keep every token with count >= min_count."
        )
    extra = set(words) - set(expected_words)
    if extra and all(0 < counts[token] < min_count for token in extra):
        raise Hint(
            f"{what} kept {sorted(extra)}, seen fewer than min_count={min_count} "
            "times: leave those out."
        )
    if sorted(words) != sorted(expected_words):
        return
    word_counts = [counts[word] for word in words]
    if word_counts == sorted(word_counts, reverse=True):
        raise Hint(
            f"{what} gave {words}: the right tokens, most frequent first, but tokens "
            "with the same count must come in alphabetical order (sorted with the "
            f"key (-count, token)), not in the order they appear: {expected_words}."
        )
    sentence_counts = collections.Counter(
        token for sentence in sentences for token in set(sentence)
    )
    if words == sorted(words, key=lambda word: (-sentence_counts[word], word)):
        raise Hint(
            f"{what} gave {words}, ordered by the number of sentences each token is "
            "in. Count every occurrence instead: a token repeated within one "
            f"sentence counts each time. Expected {expected_words}."
        )
    raise Hint(
        f"{what} gave {words}: the right tokens in the wrong order. Most frequent "
        f"first, ties in alphabetical order: {expected_words}."
    )


@exercise_check("build a vocabulary with reserved tokens")
def check_build_vocabulary(build_vocabulary):
    """`build_vocabulary(tokenized_sentences, min_count) -> list[str]`."""
    sentences = [["i", "like", "tea"], ["i", "like", "rice"], ["you", "like", "tea"]]
    tokens = call_with_copies(
        build_vocabulary, sentences, 1, names=("tokenized_sentences", "min_count")
    )
    if not isinstance(tokens, list):
        raise Hint(f"return a list of tokens, not a {type(tokens).__name__}.")
    if tuple(tokens[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
        raise Hint(
            f"the vocabulary must start with the reserved tokens {RESERVED_TOKENS} "
            f"in that order (so [PAD] gets id 0). Yours starts {tokens[:4]}."
        )
    if len(set(tokens)) != len(tokens):
        raise Hint("a token appears twice; each token needs exactly one id.")
    cases = [
        # like 3, i 2, tea 2, rice 1, you 1.
        (sentences, 1, ""),
        (sentences, 2, " (a token seen exactly min_count times stays)"),
        # tea 3 (all in one sentence), and 2, milk 2 (in two sentences): repeats
        # count, and the ties are not in the order of appearance.
        (
            [
                ["tea", "milk", "tea", "tea"],
                ["and", "milk", "and"],
                ["zebra"],
                ["apple"],
            ],
            1,
            "",
        ),
        ([list("我爱你"), list("你爱我吗"), list("我们")], 1, " (Chinese characters)"),
    ]
    for case_sentences, min_count, note in cases:
        what = f"build_vocabulary({case_sentences}, min_count={min_count}){note}"
        result = call_with_copies(
            build_vocabulary,
            case_sentences,
            min_count,
            names=("tokenized_sentences", "min_count"),
        )
        expected = Vocabulary.build(case_sentences, min_count).tokens
        _vocabulary_hint(list(result), expected, case_sentences, min_count, what)
        expect_equal(result, expected, what)


@exercise_check("padding mask")
def check_padding_mask(padding_mask):
    """`padding_mask(ids) -> bool array (B, S)`, True at real tokens."""
    ids = np.array([[5, 1, 9, 0, 0], [7, 3, 0, 0, 0], [4, 6, 8, 2, 11]], "int32")
    mask = call_with_copies(padding_mask, ids, names=("ids",))
    expect_shape(mask, ids.shape, "padding_mask(ids)")
    expect_dtype(mask, "bool", "padding_mask(ids)")
    expected = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    if np.array_equal(np.asarray(mask), ~expected):
        raise Hint(
            "True and False are swapped: the mask is True at real tokens (what the "
            "model may read) and False at [PAD]."
        )
    # Id 1 is [UNK]; its neighbour, id 5, is an ordinary word.
    if np.asarray(mask)[0, 0] and not np.asarray(mask)[0, 1]:
        raise Hint(
            "the mask is False at id 1, [UNK]: an unknown word is still a word the "
            "model must read. Only PAD_ID (0) is padding."
        )
    expect_equal(mask, expected, "padding_mask(ids) (True where id != PAD_ID = 0)")
    # Comparing a list with 0 gives one bool, not a mask.
    nested = [[12, 0], [3, 4]]
    expect_equal(
        np.asarray(call_with_copies(padding_mask, nested, names=("ids",))),
        np.array([[True, False], [True, True]]),
        f"padding_mask({nested}) (ids given as a list: convert with np.asarray)",
    )


@exercise_check("one SimpleRNN step in NumPy")
def check_rnn_step(rnn_step):
    """`rnn_step(inputs, state, kernel, recurrent_kernel, bias) -> (B, H)`."""
    names = ("inputs", "state", "kernel", "recurrent_kernel", "bias")
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
    new_state = call_with_copies(rnn_step, *weights, names=names)
    expect_shape(new_state, (batch, hidden_units), "the new state")
    expect_close(new_state, simple_rnn_step(*weights), "the new state", atol=1e-6)
    # Sums near ±1000 overflow exp in tanh written out as (e^x - e^-x) / (e^x + e^-x).
    large = (1000 * weights[0].astype("float32"), *weights[1:])
    expect_close(
        call_with_copies(rnn_step, *large, names=names),
        simple_rnn_step(*large),
        "the new state for large inputs (tanh saturates at ±1; np.tanh never "
        "overflows, a tanh written with exp does)",
        atol=1e-6,
    )


@exercise_check("output at the last real step")
def check_last_real_output(last_real_output):
    """`last_real_output(sequences (B, S, H), mask (B, S)) -> (B, H)`."""
    rng = np.random.default_rng(5)
    sequences = rng.normal(size=(3, 6, 2)).astype("float32")
    lengths = np.array([2, 5, 1])  # Not sorted; no row fills all 6 steps.
    mask = np.arange(6) < lengths[:, None]
    what = "last_real_output(sequences, mask)"
    result = call_with_copies(
        last_real_output, sequences, mask, names=("sequences", "mask")
    )
    expect_shape(result, (3, 2), what)
    result = np.asarray(result)
    rows = np.arange(3)
    if np.allclose(result, sequences[:, -1]):
        raise Hint(
            "you took the last time step, which is padding for every row here; use "
            "the mask to find each row's last real step (its number of True "
            "entries minus one)."
        )
    if np.allclose(result, sequences[rows, lengths]):
        raise Hint("off by one: a row with n real steps ends at index n - 1, not n.")
    if np.allclose(result, sequences[:, lengths.max() - 1]):
        raise Hint(
            "you used one index for the whole batch (the longest row's); each row "
            "has its own length, so index each row at its own length - 1."
        )
    expect_close(result, sequences[rows, lengths - 1], what)
    full = np.ones((3, 6), dtype=bool)
    expect_close(
        last_real_output(sequences, full),
        sequences[:, -1],
        "last_real_output when no row is padded (the last step is then real)",
    )
    one_step = np.arange(6) < np.ones((3, 1), dtype=int)
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


def _all_layers(model):
    """Every layer inside `model`, nested models and wrappers included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
        if isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer


def _expect_layer_sizes(model, vocabulary_size, embedding_dim, hidden_units):
    """Raise `Hint` unless the model's embedding and RNN have the sizes asked for."""
    layers = list(_all_layers(model))
    embeddings = [
        layer for layer in layers if isinstance(layer, keras.layers.Embedding)
    ]
    if not embeddings:
        raise Hint(
            "no keras.layers.Embedding found: start with "
            "Embedding(vocabulary_size, embedding_dim, mask_zero=True)."
        )
    sizes = [(layer.input_dim, layer.output_dim) for layer in embeddings]
    if (vocabulary_size, embedding_dim) not in sizes:
        input_dim, output_dim = sizes[0]
        raise Hint(
            f"the Embedding has input_dim={input_dim} and output_dim={output_dim}; "
            f"expected input_dim=vocabulary_size={vocabulary_size} (one row per "
            f"id, the largest id is {vocabulary_size - 1}) and "
            f"output_dim=embedding_dim={embedding_dim}."
        )
    recurrent = [layer for layer in layers if isinstance(layer, keras.layers.RNN)]
    if not recurrent:
        raise Hint("no recurrent layer found: the ids' vectors go through a GRU.")
    units = [layer.cell.units for layer in recurrent]
    if hidden_units not in units:
        raise Hint(
            f"the recurrent layer has {units[0]} units, expected "
            f"hidden_units={hidden_units}."
        )


@exercise_check("N→1 classifier head")
def check_many_to_one_classifier(build_classifier):
    """`build_classifier(vocabulary_size, embedding_dim, hidden_units, classes)`.

    The model maps `(B, S)` token ids to `(B, classes)` probabilities.
    """
    vocabulary_size, embedding_dim, hidden_units, classes = 20, 4, 5, 3
    keras.utils.set_random_seed(0)
    model = build_classifier(vocabulary_size, embedding_dim, hidden_units, classes)
    if not isinstance(model, keras.Model):
        raise Hint(f"return a keras.Model, not a {type(model).__name__}.")
    _expect_layer_sizes(model, vocabulary_size, embedding_dim, hidden_units)
    # Sentences of three lengths; 19 is the largest id the vocabulary has.
    ids = np.array([[4, 7, 19, 0], [5, 6, 0, 0], [19, 12, 8, 11]], "int32")
    probabilities = keras.ops.convert_to_numpy(model(ids))
    expect_shape(
        probabilities,
        (3, classes),
        "the classifier's output for 3 sentences and 3 classes (one vector per "
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
    """`cosine_similarity(embeddings (V, E), vector (E,)) -> (V,)` NumPy array."""
    names = ("embeddings", "vector")
    # As many rows as columns, so that a norm over the wrong axis gives wrong
    # numbers rather than a broadcasting error.
    square = np.random.default_rng(2).normal(size=(3, 3))
    query = np.array([0.5, -1.0, 2.0])
    similarity = call_with_copies(cosine_similarity, square, query, names=names)
    if not isinstance(similarity, np.ndarray):
        raise Hint(
            f"return a NumPy array, not a {type(similarity).__name__}: the lesson "
            "ranks words with np.argsort(-similarity), and a list cannot be negated."
        )
    expect_close(
        similarity,
        square @ query / (np.linalg.norm(square, axis=1) * np.linalg.norm(query)),
        "cosine_similarity on a 3 x 3 matrix (divide by each row's own length, "
        "np.linalg.norm(embeddings, axis=1), and by the vector's)",
    )
    embeddings = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, -2.0], [-6.0, -8.0]])
    vector = np.array([2.0, 0.0])
    # cos = (e . v) / (|e| |v|): 6/10, 2/2, 0/4, -12/20.
    expect_close(
        call_with_copies(cosine_similarity, embeddings, vector, names=names),
        np.array([0.6, 1.0, 0.0, -0.6]),
        "cosine_similarity(embeddings, vector) (divide by both vector lengths)",
    )
    expect_close(
        call_with_copies(cosine_similarity, embeddings, 5 * vector, names=names),
        np.array([0.6, 1.0, 0.0, -0.6]),
        "cosine_similarity(embeddings, 5 * vector) (scaling must not matter)",
    )


# Segmented sentences and their B/M/E/S tags, worked out by hand: one-character
# words, a two-character word, and longer words with one or more M inside.
_SEGMENTATION_CASES = (
    (("我", "喜欢", "苹果", "。"), ("S", "B", "E", "B", "E", "S")),
    (("图书馆", "很", "大"), ("B", "M", "E", "S", "S")),
    (("我", "爱", "你"), ("S", "S", "S")),
    (
        ("他", "是", "中华人民共和国", "人"),
        ("S", "S", "B", "M", "M", "M", "M", "M", "E", "S"),
    ),
    (("马马虎虎",), ("B", "M", "M", "E")),
)


def _word_tags_hint(word, tags, expected, what) -> None:
    """Raise `Hint` naming the rule that `tags`, one word's tags, break."""
    if tags == expected:
        return
    if len(word) == 1:
        rule = "a word of one character is tagged S on its own"
    elif tags[0] != "B":
        rule = "the first character of a word of two or more characters is B"
    elif tags[-1] != "E":
        rule = "the last character of a word of two or more characters is E"
    else:
        rule = (
            "every character between the B and the E is M (a word of n "
            "characters has n - 2 of them)"
        )
    raise Hint(f"{what} tags the word {word!r} {tags}; {rule}.")


@exercise_check("B/M/E/S tags of a segmented sentence")
def check_segmentation_tags(bmes_tags):
    """`bmes_tags(words) -> list[str]`: one tag per character of the words."""
    for words, expected in _SEGMENTATION_CASES:
        what = f"bmes_tags({list(words)})"
        tags = call_with_copies(bmes_tags, list(words), names=("words",))
        if not isinstance(tags, list | tuple | str):
            raise Hint(
                f"{what} must return a list of tags such as ['S', 'B', 'E'], not "
                f"a {type(tags).__name__}."
            )
        tags = list(tags)
        characters = sum(len(word) for word in words)
        if len(tags) != characters:
            raise Hint(
                f"{what} gave {len(tags)} tags for {len(words)} words of "
                f"{characters} characters: tag every character, not every word."
            )
        start = 0
        for word in words:
            end = start + len(word)
            _word_tags_hint(word, tags[start:end], list(expected[start:end]), what)
            start = end


# man : woman :: king : ? on hand-made vectors whose axes mean (male, female,
# royal, young, filler). "man" is four times longer than the other people, "the"
# the longest of all, and the queen only half female, so that each common mistake
# lands on a word of its own (worked out in tests/test_ch01_exercises.py).
_ANALOGY_TOKENS = ["man", "woman", "king", "queen", "prince", "the", "crown"]
_ANALOGY_EMBEDDINGS = np.array(
    [
        [4.0, 0.0, 0.0, 0.0, 0.0],  # man
        [0.0, 1.0, 0.0, 0.0, 0.0],  # woman
        [1.0, 0.0, 2.0, 0.0, 0.0],  # king
        [0.5, 0.5, 2.0, 0.0, 0.0],  # queen
        [1.0, 0.0, 2.0, 1.0, 0.0],  # prince
        [2.0, 2.0, 2.0, 0.0, 4.0],  # the
        [-1.0, 0.0, 0.5, 0.0, 0.0],  # crown
    ]
)
_ANALOGY_MISTAKES = {
    "prince": "the answer to a - b + c (man - woman + king, a male royal): the "
    "target is b - a + c",
    "the": 'the answer by dot product: "the" is the longest vector and wins dot '
    "products by its length alone; rank the words by cosine (divide each "
    "candidate by its length)",
    "crown": "the answer when a, b and c are not normalized first: man is four "
    "times longer than woman and king, so woman - man + king mostly points away "
    "from man; divide each of a, b and c by its length before adding",
}
# A tie: girl and lass have the same vector, so the same cosine. Every value is
# a multiple of 0.5 and every row's length a power of 2, so the arithmetic is
# exact and the tie real, whatever order a solution adds in.
_TIE_TOKENS = ["man", "woman", "boy", "girl", "lass", "kid"]
_TIE_EMBEDDINGS = np.array(
    [
        [2.0, 2.0, 2.0, 2.0],  # man
        [0.5, -0.5, 0.5, -0.5],  # woman
        [0.5, 0.5, -0.5, -0.5],  # boy
        [0.5, -0.5, -0.5, -0.5],  # girl
        [0.5, -0.5, -0.5, -0.5],  # lass
        [1.0, 1.0, -1.0, 1.0],  # kid
    ]
)


def _analogy_answer(solve_analogy, embeddings, tokens, question):
    """Call the learner's function on copies and insist on one word back."""
    a, b, c = question
    what = f"solve_analogy(embeddings, tokens, {a!r}, {b!r}, {c!r})"
    word = call_with_copies(
        solve_analogy,
        embeddings,
        tokens,
        a,
        b,
        c,
        names=("embeddings", "tokens", "a", "b", "c"),
    )
    if isinstance(word, int | np.integer):
        raise Hint(f"{what} returned {word!r}, an index: return the word, tokens[i].")
    if not isinstance(word, str):
        raise Hint(
            f"{what} returned a {type(word).__name__} ({word!r:.60}); return one "
            "word, a str such as 'queen', not a list, tuple or array."
        )
    if word in question:
        raise Hint(
            f"{what} returned {word!r}, one of the question's own words: leave a, "
            "b and c out of the candidates (c itself is often closest to b - a + c)."
        )
    return word, what


@exercise_check("solve an analogy by embedding arithmetic")
def check_solve_analogy(solve_analogy):
    """`solve_analogy(embeddings (V, E), tokens, a, b, c) -> str`: 3CosAdd."""
    questions = {
        ("man", "woman", "king"): "queen",
        ("woman", "man", "queen"): "king",
        ("man", "king", "woman"): "queen",
    }
    for question, expected in questions.items():
        word, what = _analogy_answer(
            solve_analogy, _ANALOGY_EMBEDDINGS, _ANALOGY_TOKENS, question
        )
        if word != expected and question == ("man", "woman", "king"):
            mistake = _ANALOGY_MISTAKES.get(word, "")
            if mistake:
                raise Hint(f"{what} returned {word!r}, {mistake}.")
        expect_equal(word, expected, what)
    word, what = _analogy_answer(
        solve_analogy, _TIE_EMBEDDINGS, _TIE_TOKENS, ("man", "woman", "boy")
    )
    if word == "lass":
        raise Hint(
            f"{what} returned 'lass', but girl and lass tie (same vector, same "
            "cosine): a tie goes to the word that comes first in tokens, as "
            "np.argmax gives it."
        )
    expect_equal(word, "girl", what)
