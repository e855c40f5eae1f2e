"""Checks for the exercises of chapter 5: the Transformer (Vaswani et al., 2017,
"Attention Is All You Need").

So far: the positional encoding and the warm-up learning rate. Each check runs a
learner's function (NumPy or plain Python numbers in and out) on cases chosen so
that common slips show: depths and lengths where every frequency and position
differs, steps on both sides of the warm-up's end. The expected answers are
computed here from the paper's formulas, never from the worked solutions in
`solutions/ch05_solutions.py`. Where a wrong answer matches what a known slip
gives, the hint names the slip.
"""

import math

import numpy as np

from chapters.common.checks import (
    Hint,
    call_named,
    exercise_check,
    expect_array,
    expect_close,
    expect_shape,
    first_slip,
)


def _encoding(length, depth, base=10000.0, first_position=0, exponent="2i", **slip):
    """The paper's table, or the one a slip gives: `exponent` "column" (each
    column's own index) or "i" (the pair's index without the 2), `swap=True`
    (cosine in the even columns), `halves=True` (all sines, then all cosines)."""
    positions = np.arange(first_position, first_position + length)[:, None]
    columns = np.arange(depth)
    powers = {"2i": columns // 2 * 2, "column": columns, "i": columns // 2}[exponent]
    angles = positions / base ** (powers / depth)  # (length, depth)
    first, second = (np.cos, np.sin) if slip.get("swap") else (np.sin, np.cos)
    if slip.get("halves"):
        angles = angles[:, 0::2]  # one column per frequency
        return np.concatenate([first(angles), second(angles)], axis=1)
    return np.where(columns % 2 == 0, first(angles), second(angles))


@exercise_check("the positional encoding")
def check_positional_encoding(positional_encoding):
    """`positional_encoding(length, depth) -> table (length, depth)`:
    `table[pos, 2i] = sin(pos / 10000^(2i / depth))` and
    `table[pos, 2i + 1] = cos(pos / 10000^(2i / depth))`, positions from 0."""
    for length, depth in ((7, 8), (3, 2)):
        what = f"positional_encoding({length}, {depth})"
        result = call_named(
            positional_encoding,
            {"length": length, "depth": depth},
            "np.arange(length)[:, None] gives the positions as a column, "
            "np.arange(0, depth, 2) the even columns 2i as a row.",
        )
        expect_array(result, what)
        if np.shape(result) == (depth, length) != (length, depth):
            raise Hint(
                f"{what} has shape (depth, length) = {np.shape(result)}: return one "
                "row per position, (length, depth)."
            )
        expect_shape(result, (length, depth), what)
        expected = _encoding(length, depth)
        slips = {
            "sine and cosine are swapped: even columns 2i hold the sine, odd "
            "columns 2i + 1 the cosine.": _encoding(length, depth, swap=True),
            "the odd columns use their own index in the exponent: column 2i + 1 "
            "shares the frequency of column 2i, 1 / 10000^(2i / depth).": _encoding(
                length, depth, exponent="column"
            ),
            "the exponent is i / depth: it is 2i / depth, with 2i the even column "
            "of the pair.": _encoding(length, depth, exponent="i"),
            "the base is 10000, not 1000.": _encoding(length, depth, base=1000.0),
            "positions start at 0: the first row is sin(0) = 0 and cos(0) = 1.": (
                _encoding(length, depth, first_position=1)
            ),
            "that is all the sines then all the cosines, a layout some libraries "
            "use; this exercise follows the paper, which interleaves them: sine in "
            "column 2i, cosine in column 2i + 1.": _encoding(
                length, depth, halves=True
            ),
        }
        if not np.allclose(result, expected, atol=1e-5):
            first_slip(result, slips, what)
        expect_close(result, expected, what, atol=1e-5)


def _rates(steps, d_model, warmup_steps, shift=0, power=-1.5, scaled=True, pick=min):
    """The paper's rate at each step, or the one a slip gives."""
    rates = []
    for step in steps:
        step += shift
        rate = pick(step**-0.5, step * warmup_steps**power)
        rates.append(d_model**-0.5 * rate if scaled else rate)
    return np.array(rates)


@exercise_check("the warm-up learning rate")
def check_warmup_learning_rate(warmup_learning_rate):
    """`warmup_learning_rate(step, d_model, warmup_steps) -> float`, with steps
    counted from 1: `d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)`."""
    d_model, warmup_steps = 512, 4000
    steps = (1, 2, 1000, 3999, 4000, 4001, 20000)
    expected = _rates(steps, d_model, warmup_steps)
    results = []
    for step in steps:
        what = f"warmup_learning_rate({step}, {d_model}, {warmup_steps})"
        value = call_named(
            warmup_learning_rate,
            {"step": step, "d_model": d_model, "warmup_steps": warmup_steps},
            "Python's min and ** work on plain numbers.",
        )
        if np.ndim(value) != 0:
            raise Hint(f"{what} returned shape {np.shape(value)}: return one number.")
        if not math.isfinite(float(value)):
            raise Hint(
                f"{what} returned {float(value)}. Steps count from 1 here, so "
                "step^-0.5 is finite: use step itself, not step - 1."
            )
        results.append(float(value))
    results = np.array(results)
    what = f"warmup_learning_rate(step, {d_model}, {warmup_steps}) at steps {steps}"
    slips = {
        "d_model^-0.5 is missing: it sets the peak rate, (d_model · "
        "warmup_steps)^-0.5.": _rates(steps, d_model, warmup_steps, scaled=False),
        "the warm-up part is step · warmup_steps^-1.5, not step · "
        "warmup_steps^-0.5.": _rates(steps, d_model, warmup_steps, power=-0.5),
        "that is the max of the two: the rate follows the smaller one, the "
        "linear rise before the warm-up's end and step^-0.5 after.": _rates(
            steps, d_model, warmup_steps, pick=max
        ),
        "one step late: steps count from 1 here, so do not add 1 (the Keras "
        "schedule adds it to the optimizer's iterations, which count from "
        "0).": _rates(steps, d_model, warmup_steps, shift=1),
    }
    if not np.allclose(results, expected, rtol=1e-6, atol=0):
        first_slip(results, slips, what, atol=1e-9)
        peak = steps[int(np.argmax(results))]
        if peak != warmup_steps:
            raise Hint(
                f"{what}: your rates peak at step {peak}; the paper's peak at step "
                f"warmup_steps = {warmup_steps}."
            )
    expect_close(results, expected, what, atol=0, rtol=1e-6)
