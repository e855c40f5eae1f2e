"""Tests of the exercise-check framework, on a toy softmax exercise."""

import numpy as np
import pytest

from chapters.common.checks import (
    CheckResult,
    Hint,
    call_with_copies,
    exercise_check,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_shape,
)
from tests.check_testing import assert_check_behaviour

SCORES = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], dtype="float32")


def reference_softmax(scores):
    exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


@exercise_check("softmax over the last axis")
def check_softmax(softmax):
    weights = softmax(SCORES)
    expect_shape(weights, SCORES.shape, "softmax(scores)")
    expect_dtype(weights, "float32", "softmax(scores)")
    expect_close(weights, reference_softmax(SCORES), "softmax(scores)", atol=1e-6)


def solution(scores):
    return reference_softmax(scores).astype("float32")


def wrong_axis(scores):
    exponentials = np.exp(scores)
    return (exponentials / exponentials.sum(axis=0, keepdims=True)).astype("float32")


def not_normalized(scores):
    return np.exp(scores).astype("float32")


def wrong_shape(scores):
    return solution(scores)[..., None]


def wrong_dtype(scores):
    return solution(scores).astype("float64")


def stub(scores):
    raise NotImplementedError("Exercise: write softmax.")


def crashes(scores):
    return scores.softmax()


WRONG_VARIANTS = {
    "sums over the batch axis": wrong_axis,
    "forgets to normalize": not_normalized,
    "adds an axis": wrong_shape,
    "returns float64": wrong_dtype,
    "raises AttributeError": crashes,
}


def test_solution_passes_and_prints_one_line(capsys):
    result = check_softmax(solution)
    assert result == CheckResult(
        "softmax over the last axis", passed=True, attempted=True, message="passed"
    )
    assert capsys.readouterr().out == "✅ softmax over the last axis: passed\n"


@pytest.mark.parametrize(
    ("variant", "hint"),
    [
        (wrong_axis, "max abs difference"),
        (not_normalized, "max abs difference"),
        (wrong_shape, "has shape (2, 3, 1) (rank 3), expected shape (2, 3) (rank 2)"),
        (wrong_dtype, "has dtype float64, expected float32"),
    ],
)
def test_wrong_variants_fail_with_the_right_hint(capsys, variant, hint):
    result = check_softmax(variant)
    assert result.attempted and not result.passed
    assert hint in result.message
    assert capsys.readouterr().out == (
        f"❌ softmax over the last axis: {result.message}\n"
    )


def test_expect_close_hint_reports_the_largest_difference():
    # not_normalized gives exp(3) = 20.0855 where softmax gives 0.665241 at [0, 2].
    expected_difference = np.exp(3.0) - reference_softmax(SCORES)[0, 2]
    result = check_softmax(not_normalized)
    assert f"max abs difference {expected_difference:.3g} at index (0, 2)" in (
        result.message
    )


def test_stub_is_not_attempted_and_does_not_raise(capsys):
    result = check_softmax(stub)
    assert result.attempted is False and result.passed is False
    assert capsys.readouterr().out == (
        "⏳ softmax over the last axis: not attempted yet "
        "(the stub still raises NotImplementedError)\n"
    )


def test_other_exceptions_are_reported_as_failures(capsys):
    result = check_softmax(crashes)
    assert result.attempted and not result.passed
    assert result.message.startswith("your code raised AttributeError: ")
    assert "softmax" in result.message
    assert capsys.readouterr().out.startswith(
        "❌ softmax over the last axis: your code"
    )


def test_long_error_messages_are_shortened():
    def verbose(scores):
        raise ValueError("x" * 5000)

    result = check_softmax(verbose)
    assert result.message.endswith(" ...") and len(result.message) < 500


def test_assert_check_behaviour_accepts_a_good_check():
    assert_check_behaviour(
        check_softmax,
        solution,
        WRONG_VARIANTS,
        expected_hints={"adds an axis": "shape", "returns float64": "dtype"},
    )


def test_assert_check_behaviour_names_an_accepted_variant():
    with pytest.raises(AssertionError, match="accepted the wrong variant 'copy'"):
        assert_check_behaviour(check_softmax, solution, {"copy": solution})


def test_assert_check_behaviour_rejects_not_attempted_variants():
    with pytest.raises(AssertionError, match="'stub' as not attempted"):
        assert_check_behaviour(check_softmax, solution, {"stub": stub})


def test_assert_check_behaviour_reports_a_rejected_solution():
    with pytest.raises(AssertionError, match="rejected the worked solution"):
        assert_check_behaviour(check_softmax, wrong_axis, {"axis": wrong_axis})


def test_assert_check_behaviour_checks_hint_text():
    with pytest.raises(AssertionError, match="lacks 'dtype'"):
        assert_check_behaviour(
            check_softmax,
            solution,
            {"adds an axis": wrong_shape},
            expected_hints={"adds an axis": "dtype"},
        )


def test_assert_check_behaviour_needs_variants():
    with pytest.raises(ValueError, match="at least one"):
        assert_check_behaviour(check_softmax, solution, {})


def test_expect_shape_accepts_shapes_wildcards_and_spots_permutations():
    expect_shape((2, 3), (2, None), "x")
    expect_shape(np.zeros((4, 5)), (4, 5), "x")
    with pytest.raises(Hint, match="another order"):
        expect_shape(np.zeros((5, 4)), (4, 5), "weights")


def test_expect_dtype_accepts_alternatives_and_explains_casts():
    expect_dtype(np.zeros(2, "int64"), ("int32", "int64"), "ids")
    expect_dtype(np.float32, "float32", "a dtype itself")
    with pytest.raises(
        Hint, match="Floating-point values where boolean ones are expected"
    ):
        expect_dtype(np.zeros(2, "float32"), "bool", "mask")


def test_expect_close_reports_nan_and_shape_first():
    with pytest.raises(Hint, match=r"contains NaN \(first at index \(1,\)\)"):
        expect_close(np.array([0.0, np.nan]), np.array([0.0, 1.0]), "x")
    with pytest.raises(Hint, match="shape"):
        expect_close(np.zeros(3), np.zeros(2), "x")


def test_expect_equal_on_arrays_and_plain_values():
    expect_equal(["我", "爱"], ["我", "爱"], "tokens")
    with pytest.raises(Hint, match=r"tokens is \['我'\], expected \['你'\]"):
        expect_equal(["我"], ["你"], "tokens")
    with pytest.raises(Hint, match=r"at 1 of 3 positions; first at index \(2,\)"):
        expect_equal(np.array([1, 2, 3]), np.array([1, 2, 4]), "ids")


def test_exercise_check_needs_a_name():
    with pytest.raises(ValueError, match="non-empty string"):
        exercise_check("")


def test_hints_print_scalars_as_plain_numbers_without_an_index():
    with pytest.raises(Hint) as raised:
        expect_close(np.float64(0.5), 0.25, "the loss")
    assert str(raised.value) == (
        "the loss is 0.5, expected 0.25 (atol=1e-05, rtol=1e-05)."
    )
    with pytest.raises(Hint) as raised:
        expect_equal(np.int64(3), 0, "the token")
    assert str(raised.value) == "the token is 3, expected 0."
    with pytest.raises(Hint) as raised:
        expect_equal([np.int64(1), np.int64(2)], [1, 3], "buckets")
    assert str(raised.value) == "buckets is [1, 2], expected [1, 3]."
    with pytest.raises(Hint) as raised:
        expect_equal(np.array([4, 2]), np.array([4, 3]), "tokens")
    assert "got 2, expected 3" in str(raised.value)
    with pytest.raises(Hint) as raised:
        expect_close(np.float32("nan"), 1.0, "the score")
    assert str(raised.value).startswith("the score contains NaN. ")


def test_call_with_copies_returns_the_result_and_spots_edits_in_place():
    def total(values, extra):
        return values.sum() + extra

    values = np.array([1.0, 2.0])
    assert call_with_copies(total, values, 3, names=("values", "extra")) == 6.0

    def sorts_in_place(lengths):
        lengths.sort()
        return lengths[0]

    lengths = [3, 1, 2]
    with pytest.raises(Hint, match="changed its argument `lengths` in place"):
        call_with_copies(sorts_in_place, lengths, names=("lengths",))
    assert lengths == [3, 1, 2]

    def scales_in_place(scores):
        scores *= 2
        return scores

    with pytest.raises(Hint, match="`scores` in place"):
        call_with_copies(scales_in_place, np.array([1.0, np.nan]), names=("scores",))
    with pytest.raises(ValueError, match="names must name every argument"):
        call_with_copies(total, values, 3, names=("values",))
