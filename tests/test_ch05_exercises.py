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

CHECKS = [
    exercises.check_positional_encoding,
    exercises.check_warmup_learning_rate,
    exercises.check_decoder_mask,
    exercises.check_encoder_block,
]


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
        "the paper's sizes hard-coded": lambda step, d_model, warmup_steps: (
            solutions.warmup_learning_rate(step, 512, 4000)
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
            "the paper's sizes hard-coded": "whatever the arguments",
        },
    )


def test_split_and_merge_heads_check():
    def check_split(split):
        return exercises.check_split_and_merge_heads(split, solutions.merge_heads)

    def reshaped_without_transpose(x, num_heads):
        batch, length, width = x.shape
        return x.reshape(batch * num_heads, length, width // num_heads)

    def wrong_axis(x, num_heads):
        batch, length, width = x.shape
        depth = width // num_heads
        x = x.reshape(batch, length, depth, num_heads).transpose(0, 3, 1, 2)
        return x.reshape(batch * num_heads, length, depth)

    def head_major(x, num_heads):
        batch, length, width = x.shape
        depth = width // num_heads
        x = x.reshape(batch, length, num_heads, depth).transpose(2, 0, 1, 3)
        return x.reshape(batch * num_heads, length, depth)

    def not_folded(x, num_heads):
        batch, length, width = x.shape
        return x.reshape(batch, length, num_heads, width // num_heads).transpose(
            0, 2, 1, 3
        )

    assert_check_behaviour(
        check_split,
        solutions.split_heads,
        {
            "no transpose": reshaped_without_transpose,
            "heads on the wrong axis": wrong_axis,
            "head-major rows": head_major,
            "heads not folded into the batch": not_folded,
        },
        {
            "no transpose": "without the transpose",
            "heads on the wrong axis": "wrong axis",
            "head-major rows": "head-major",
            "heads not folded into the batch": "fold the heads",
        },
    )

    def merge_without_transpose(heads, num_heads):
        rows, length, depth = heads.shape
        return heads.reshape(rows // num_heads, length, num_heads * depth)

    result = exercises.check_split_and_merge_heads(
        solutions.split_heads, merge_without_transpose
    )
    assert result.attempted and not result.passed
    assert "moving the head axis back" in result.message


def test_decoder_mask_check():
    def mask_from(causal_of, keys=True, queries=False, as_float=False):
        def decoder_mask(target_ids):
            length = target_ids.shape[1]
            real = target_ids != 0
            mask = np.broadcast_to(causal_of(length), (len(target_ids), length, length))
            if keys:
                mask = mask & real[:, None, :]
            if queries:
                mask = mask & real[:, :, None]
            return mask.astype(float) if as_float else mask

        return decoder_mask

    def lower(length):
        return np.tril(np.ones((length, length), bool))

    assert_check_behaviour(
        exercises.check_decoder_mask,
        solutions.decoder_mask,
        {
            "no padding": mask_from(lower, keys=False),
            "padding on the queries": mask_from(lower, keys=False, queries=True),
            "upper triangle": mask_from(lambda n: lower(n).T),
            "off by one": mask_from(lambda n: np.tril(np.ones((n, n), bool), 1)),
            "no diagonal": mask_from(lambda n: np.tril(np.ones((n, n), bool), -1)),
            "floats": mask_from(lower, as_float=True),
            "no batch axis": lambda target_ids: lower(target_ids.shape[1]),
        },
        {
            "no padding": "padding is ignored",
            "padding on the queries": "hides queries",
            "upper triangle": "upper triangle",
            "off by one": "t + 1",
            "no diagonal": "diagonal",
            "floats": "booleans",
        },
    )


def test_encoder_block_check():
    def pre_norm(x, self_attention, feed_forward, attention_norm, feed_forward_norm):
        h = x + self_attention(attention_norm(x))
        return h + feed_forward(feed_forward_norm(h))

    def no_residual(x, self_attention, feed_forward, attention_norm, feed_forward_norm):
        return feed_forward_norm(feed_forward(attention_norm(self_attention(x))))

    def feed_forward_reads_x(
        x, self_attention, feed_forward, attention_norm, feed_forward_norm
    ):
        h = attention_norm(x + self_attention(x))
        return feed_forward_norm(h + feed_forward(x))

    def second_residual_adds_x(
        x, self_attention, feed_forward, attention_norm, feed_forward_norm
    ):
        h = attention_norm(x + self_attention(x))
        return feed_forward_norm(x + feed_forward(h))

    def norm_before_residual(
        x, self_attention, feed_forward, attention_norm, feed_forward_norm
    ):
        h = attention_norm(x) + self_attention(x)
        return feed_forward_norm(h) + feed_forward(h)

    def norms_swapped(
        x, self_attention, feed_forward, attention_norm, feed_forward_norm
    ):
        return solutions.encoder_block(
            x, self_attention, feed_forward, feed_forward_norm, attention_norm
        )

    assert_check_behaviour(
        exercises.check_encoder_block,
        solutions.encoder_block,
        {
            "pre-norm": pre_norm,
            "no residual": no_residual,
            "feed-forward reads x": feed_forward_reads_x,
            "second residual adds x": second_residual_adds_x,
            "norm before the residual sum": norm_before_residual,
            "norms swapped": norms_swapped,
        },
        {
            "pre-norm": "pre-norm",
            "no residual": "residual connections are missing",
            "feed-forward reads x": "read x",
            "second residual adds x": "adds h",
            "norms swapped": "swapped",
        },
    )
