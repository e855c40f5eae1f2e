"""Checks of the arguments a learner passes to the course's public functions.

One helper per kind of argument, so that every function refuses bad input with the
same clear message: what was expected, and what was received.
"""

import argparse
import numbers


def positive_int(value, name: str, minimum: int = 1) -> int:
    """Returns `value` as a Python `int` if it is an integer of at least `minimum`.

    NumPy integers (`np.int64(3)`) are accepted, because sizes often come out of
    arrays. Booleans are refused: `True` is an `int` to Python, but `beam_width=True`
    is a mistake, not a width of 1.

    Args:
        value: the argument to check.
        name: its name, quoted in the error.
        minimum: the smallest value allowed (1 for sizes, 0 for counts).

    Raises:
        TypeError: `value` is not an integer (a bool, a float, a string ...).
        ValueError: `value` is smaller than `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer. Received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}. Received: {name}={value!r}")
    return int(value)


def positive_int_argument(text: str) -> int:
    """An `argparse` type: a command-line value that must be a positive integer."""
    try:
        return positive_int(int(text), "the value")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer. Received: {text!r}"
        ) from None


def positive_float_argument(text: str) -> float:
    """An `argparse` type: a command-line value that must be a positive number,
    e.g. a learning rate (`3e-3`)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a positive number. Received: {text!r}"
        )
    return value


def check_sentences(sentences):
    """Returns `sentences` as a list if it is a non-empty list of non-blank strings.

    Raises:
        TypeError: `sentences` is one string, not a list or tuple, or holds a
            non-string (its position is named).
        ValueError: `sentences` is empty or holds a blank sentence.
    """
    if isinstance(sentences, str):
        raise TypeError(
            "sentences must be a list of strings, not a single string. "
            f"Received: {sentences!r}; wrap it in a list: [{sentences!r}]"
        )
    if not isinstance(sentences, list | tuple):
        raise TypeError(
            "sentences must be a list of strings. "
            f"Received: an object of type {type(sentences).__name__}"
        )
    if not sentences:
        raise ValueError("sentences must not be empty. Received: []")
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(
                f"sentences[{index}] must be a string. "
                f"Received: {sentence!r} of type {type(sentence).__name__}"
            )
        if not sentence.strip():
            raise ValueError(f"sentences[{index}] is empty. Received: {sentence!r}")
    return list(sentences)


def check_type(value, expected, name):
    """Raises a `TypeError` naming `name` unless `value` is an `expected`."""
    if not isinstance(value, expected):
        raise TypeError(
            f"{name} must be a {expected.__name__}. Received: {name} of type "
            f"{type(value).__name__}"
        )
