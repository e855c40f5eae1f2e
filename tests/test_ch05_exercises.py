"""Each chapter 5 check accepts the worked solution and rejects plausible
mistakes, each named after the slip it makes."""

import numpy as np
import pytest

from chapters.ch05_transformer import exercises
from solutions import ch05_solutions as solutions
from tests.check_testing import (
    assert_check_behaviour,
    assert_reported_as_not_attempted,
)

CHECKS = [exercises.check_positional_encoding, exercises.check_warmup_learning_rate]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_stubs_are_reported_as_not_attempted(check, capsys):
    assert_reported_as_not_attempted(check, capsys)


def test_the_solutions_by_hand():
    table = solutions.positional_encoding(2, 4)
    np.testing.assert_allclose(
        table, [[0, 1, 0, 1], [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)]]
    )
    # d_model 16, warm-up 4: the peak at step 4 is (16 · 4)^-0.5 = 0.125.
    assert solutions.warmup_learning_rate(4, 16, 4) == pytest.approx(0.125)


def encoding(length, depth, angle_of, layout="interleaved"):
    """A table whose angles come from `angle_of(positions, columns)`."""
    positions, columns = np.arange(length)[:, None], np.arange(depth)[None, :]
    angles = angle_of(positions, columns)
    if layout == "halves":
        half = angles[:, 0::2]
        return np.concatenate([np.sin(half), np.cos(half)], axis=1)
    if layout == "swapped":
        return np.where(columns % 2 == 0, np.cos(angles), np.sin(angles))
    return np.where(columns % 2 == 0, np.sin(angles), np.cos(angles))


def paper_angles(positions, columns):
    return positions / 10000 ** ((columns // 2 * 2) / columns.shape[-1])


def test_positional_encoding_check():
    wrong = {
        "sine and cosine swapped": lambda length, depth: encoding(
            length, depth, paper_angles, "swapped"
        ),
        "each column's own index in the exponent": lambda length, depth: encoding(
            length, depth, lambda p, c: p / 10000 ** (c / depth)
        ),
        "i instead of 2i in the exponent": lambda length, depth: encoding(
            length, depth, lambda p, c: p / 10000 ** ((c // 2) / depth)
        ),
        "base 1000": lambda length, depth: encoding(
            length, depth, lambda p, c: p / 1000 ** ((c // 2 * 2) / depth)
        ),
        "positions from 1": lambda length, depth: encoding(
            length, depth, lambda p, c: (p + 1) / 10000 ** ((c // 2 * 2) / depth)
        ),
        "sines then cosines": lambda length, depth: encoding(
            length, depth, paper_angles, "halves"
        ),
        "transposed": lambda length, depth: solutions.positional_encoding(
            length, depth
        ).T,
        "frequencies multiplied instead of divided": lambda length, depth: encoding(
            length, depth, lambda p, c: p * 10000 ** ((c // 2 * 2) / depth)
        ),
    }
    assert_check_behaviour(
        exercises.check_positional_encoding,
        solutions.positional_encoding,
        wrong,
        {
            "sine and cosine swapped": "swapped",
            "each column's own index in the exponent": "own index",
            "i instead of 2i in the exponent": "2i / depth",
            "base 1000": "10000",
            "positions from 1": "start at 0",
            "sines then cosines": "interleaves",
            "transposed": "one row per position",
        },
    )


def test_warmup_learning_rate_check():
    wrong = {
        "no d_model scale": lambda step, d_model, warmup_steps: min(
            step**-0.5, step * warmup_steps**-1.5
        ),
        "warm-up power -0.5": lambda step, d_model, warmup_steps: d_model**-0.5
        * min(step**-0.5, step * warmup_steps**-0.5),
        "max instead of min": lambda step, d_model, warmup_steps: d_model**-0.5
        * max(step**-0.5, step * warmup_steps**-1.5),
        "step + 1": lambda step, d_model, warmup_steps: (
            solutions.warmup_learning_rate(step + 1, d_model, warmup_steps)
        ),
        "step - 1": lambda step, d_model, warmup_steps: (
            solutions.warmup_learning_rate(step - 1, d_model, warmup_steps)
            if step > 1
            else float("inf")
        ),
        "warm-up ends one step early": lambda step, d_model, warmup_steps: (
            solutions.warmup_learning_rate(step, d_model, warmup_steps - 1)
        ),
        "a list instead of a number": lambda step, d_model, warmup_steps: [
            solutions.warmup_learning_rate(step, d_model, warmup_steps)
        ],
    }
    assert_check_behaviour(
        exercises.check_warmup_learning_rate,
        solutions.warmup_learning_rate,
        wrong,
        {
            "no d_model scale": "d_model^-0.5 is missing",
            "warm-up power -0.5": "warmup_steps^-1.5",
            "max instead of min": "the max of the two",
            "step + 1": "one step late",
            "step - 1": "not step - 1",
            "a list instead of a number": "one number",
        },
    )
