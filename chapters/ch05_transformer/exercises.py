"""Checks for the exercises of chapter 5: the Transformer (Vaswani et al., 2017,
"Attention Is All You Need").

The positional encoding, the warm-up learning rate, splitting and merging heads,
the decoder's self-attention mask and the (post-norm) encoder block. Each check
runs a learner's function (NumPy or plain Python numbers in and out) on cases
chosen so that common slips show: depths and lengths where every frequency and
position differs, steps on both sides of the warm-up's end, sizes that are all
different, sentences with different padding, sublayers that do not commute.
The expected answers are computed here from the paper's formulas, never from
the worked solutions in `solutions/ch05_solutions.py`. Where a wrong answer
matches what a known slip gives, the hint names the slip.
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


def _learner_rates(warmup_learning_rate, steps, d_model, warmup_steps):
    """The learner's rate at each step, as floats; hints for a result that is
    not one finite number."""
    rates = []
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
        rates.append(float(value))
    return np.array(rates)


@exercise_check("the warm-up learning rate")
def check_warmup_learning_rate(warmup_learning_rate):
    """`warmup_learning_rate(step, d_model, warmup_steps) -> float`, with steps
    counted from 1: `d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)`."""
    # The paper's sizes, then small ones: a function that hard-codes 512 and 4000
    # passes the first case only.
    for d_model, warmup_steps, steps in (
        (512, 4000, (1, 2, 1000, 3999, 4000, 4001, 20000)),
        (64, 10, (1, 3, 9, 10, 11, 50)),
    ):
        expected = _rates(steps, d_model, warmup_steps)
        results = _learner_rates(warmup_learning_rate, steps, d_model, warmup_steps)
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
            "those are the rates of d_model = 512 and warmup_steps = 4000 whatever "
            "the arguments: use d_model and warmup_steps as given.": _rates(
                steps, 512, 4000
            ),
        }
        if not np.allclose(results, expected, rtol=1e-6, atol=0):
            first_slip(results, slips, what, atol=1e-9)
            peak = steps[int(np.argmax(results))]
            if peak != warmup_steps:
                raise Hint(
                    f"{what}: your rates peak at step {peak}; the paper's peak at "
                    f"step warmup_steps = {warmup_steps}."
                )
        expect_close(results, expected, what, atol=0, rtol=1e-6)


@exercise_check("splitting and merging heads")
def check_split_and_merge_heads(split_heads, merge_heads):
    """`split_heads(x (B, T, h·d), num_heads) -> (B·h, T, d)`, head `j` of
    sentence `b` in row `b·h + j`, holding columns `j·d … (j+1)·d - 1`; and
    `merge_heads(heads (B·h, T, d), num_heads) -> (B, T, h·d)`, its inverse."""
    batch, length, num_heads, depth = 2, 3, 4, 5  # all different
    x = np.arange(batch * length * num_heads * depth, dtype="float32").reshape(
        batch, length, num_heads * depth
    )
    what = f"split_heads(x of shape {x.shape}, num_heads={num_heads})"
    result = call_named(
        split_heads,
        {"x": x, "num_heads": num_heads},
        "reshape to (B, T, h, d), move the head axis next to the batch axis, then "
        "reshape to (B·h, T, d).",
    )
    expect_array(result, what)
    expected = x.reshape(batch, length, num_heads, depth).transpose(0, 2, 1, 3)
    expected = expected.reshape(batch * num_heads, length, depth)
    slips = {
        "the heads were cut from the wrong axis: (B, T, h·d) was reshaped to "
        "(B, T, d, h), so each head took every h-th column instead of a block of "
        "d neighbours. Reshape to (B, T, h, d).": x.reshape(
            batch, length, depth, num_heads
        )
        .transpose(0, 3, 1, 2)
        .reshape(batch * num_heads, length, depth),
        "the reshape to (B·h, T, d) came without the transpose: the positions and "
        "the heads got mixed. Transpose (B, T, h, d) to (B, h, T, d) first.": (
            x.reshape(batch * num_heads, length, depth)
        ),
        "the heads are ordered head-major, (h·B, T, d): sentence b's head j must "
        "be row b·h + j, so transpose to (B, h, T, d), not (h, B, T, d).": x.reshape(
            batch, length, num_heads, depth
        )
        .transpose(2, 0, 1, 3)
        .reshape(batch * num_heads, length, depth),
    }
    if np.shape(result) == (batch, num_heads, length, depth):
        raise Hint(
            f"{what} has shape (B, h, T, d) = {np.shape(result)}: fold the heads "
            "into the batch, (B·h, T, d), so that each head is one more sentence "
            "for scaled dot-product attention."
        )
    expect_shape(result, expected.shape, what)
    if not np.array_equal(result, expected):
        first_slip(result, slips, what)
    expect_close(result, expected, what, atol=0)
    what = f"merge_heads(split_heads(x), num_heads={num_heads})"
    merged = call_named(
        merge_heads,
        {"heads": expected.copy(), "num_heads": num_heads},
        "undo split_heads step by step, in the reverse order.",
    )
    expect_array(merged, what)
    expect_shape(merged, x.shape, what)
    if not np.array_equal(merged, x):
        wrong_order = expected.reshape(batch, num_heads, length, depth).reshape(
            batch, length, num_heads * depth
        )
        if np.array_equal(merged, wrong_order):
            raise Hint(
                f"{what} is not x: the reshape to (B, T, h·d) came without moving "
                "the head axis back, (B, h, T, d) -> (B, T, h, d)."
            )
    expect_close(merged, x, what, atol=0)


def _decoder_mask(
    target_ids, shift=0, pad_queries=False, pad_keys=True, transpose=False
):
    length = target_ids.shape[1]
    positions = np.arange(length)
    causal = positions[None, :] <= positions[:, None] + shift  # (T, T)
    if transpose:
        causal = causal.T
    real = target_ids != 0  # (B, T)
    mask = np.broadcast_to(causal, (len(target_ids), length, length))
    if pad_keys:
        mask = mask & real[:, None, :]
    if pad_queries:
        mask = mask & real[:, :, None]
    return mask


@exercise_check("the decoder's self-attention mask")
def check_decoder_mask(decoder_mask):
    """`decoder_mask(target_ids (B, T)) -> mask (B, T, T)` bool: query position
    t of sentence b may attend to key position s when s <= t and target token s
    is not padding (id 0)."""
    target_ids = np.array([[1, 7, 4, 9, 2], [1, 5, 2, 0, 0], [1, 3, 8, 2, 0]])
    what = "decoder_mask(target_ids of shape (3, 5), padding 0)"
    result = call_named(
        decoder_mask,
        {"target_ids": target_ids},
        "a causal mask (T, T) and a padding mask of the keys (B, 1, T), combined "
        "with &.",
    )
    expect_array(result, what)
    expect_shape(result, (3, 5, 5), what)
    expected = _decoder_mask(target_ids)
    slips = {
        "the padding is ignored: a key that is padding (id 0) must be hidden too.": (
            _decoder_mask(target_ids, pad_keys=False)
        ),
        "the padding mask hides queries, not keys: padding[:, :, None] marks "
        "rows. Hide the padding keys, padding[:, None, :].": _decoder_mask(
            target_ids, pad_keys=False, pad_queries=True
        ),
        "that is the upper triangle: query t sees the future. Key s is seen when s "
        "<= t (np.tril).": _decoder_mask(target_ids, transpose=True),
        "one position too many: query t also sees key t + 1, the token it is to "
        "predict.": _decoder_mask(target_ids, shift=1),
        "the diagonal is missing: a query may attend to its own position.": (
            _decoder_mask(target_ids, shift=-1)
        ),
    }
    values = np.asarray(result)
    pattern = values if values.dtype == bool else values != 0
    if not np.array_equal(pattern, expected):
        first_slip(
            pattern.astype(float), {k: v.astype(float) for k, v in slips.items()}, what
        )
    if values.dtype != bool:
        raise Hint(f"{what} is {values.dtype}: return booleans, True = may attend.")
    expect_close(pattern.astype(float), expected.astype(float), what, atol=0)


@exercise_check("the encoder block")
def check_encoder_block(encoder_block):
    """`encoder_block(x, self_attention, feed_forward, attention_norm,
    feed_forward_norm) -> (B, T, D)`: the paper's post-norm block, each sublayer
    wrapped as `norm(x + sublayer(x))`: first self-attention, then the
    feed-forward block on the result. The four sublayers are given functions."""
    random = np.random.default_rng(5)
    width = 4
    matrices = [random.normal(size=(width, width)) for _ in range(4)]
    shifts = [random.normal(size=width) for _ in range(2)]

    def self_attention(v):
        return np.tanh(v @ matrices[0])

    def feed_forward(v):
        return np.maximum(v @ matrices[1], 0) @ matrices[2]

    def attention_norm(v):
        return v * 0.5 + shifts[0]

    def feed_forward_norm(v):
        return v @ matrices[3] * 0.3 + shifts[1]

    x = random.normal(size=(2, 3, width))
    sublayers = {
        "self_attention": self_attention,
        "feed_forward": feed_forward,
        "attention_norm": attention_norm,
        "feed_forward_norm": feed_forward_norm,
    }
    what = "encoder_block(x of shape (2, 3, 4), ...)"
    result = call_named(
        encoder_block,
        {"x": x, **sublayers},
        "each sublayer takes and returns (B, T, D).",
    )
    expect_array(result, what)
    expect_shape(result, x.shape, what)
    h = attention_norm(x + self_attention(x))
    expected = feed_forward_norm(h + feed_forward(h))
    pre_h = x + self_attention(attention_norm(x))
    slips = {
        "that is the pre-norm block, norm inside the residual: x + "
        "sublayer(norm(x)). This exercise is the paper's post-norm, norm(x + "
        "sublayer(x)).": pre_h + feed_forward(feed_forward_norm(pre_h)),
        "the residual connections are missing: norm(x + sublayer(x)), not "
        "norm(sublayer(x)).": feed_forward_norm(
            feed_forward(attention_norm(self_attention(x)))
        ),
        "the feed-forward block read x: it reads the attention block's output "
        "h = attention_norm(x + self_attention(x)), and adds h back.": (
            feed_forward_norm(h + feed_forward(x))
        ),
        "the second residual adds x: it adds h, the first block's output, which "
        "the feed-forward block read.": feed_forward_norm(x + feed_forward(h)),
        "the norms are swapped: attention_norm goes after the self-attention, "
        "feed_forward_norm after the feed-forward block.": (
            lambda h2: attention_norm(h2 + feed_forward(h2))
        )(feed_forward_norm(x + self_attention(x))),
    }
    if not np.allclose(result, expected, atol=1e-6):
        first_slip(result, slips, what, atol=1e-6)
    expect_close(result, expected, what, atol=1e-6)
