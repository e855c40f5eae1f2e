"""The exercise-check framework: run a learner's answer and say what is wrong.

Every exercise in a lesson has a check. A check is a function whose body runs a
few cases on the learner's candidate (a function or a layer) and raises `Hint`
with a short explanation (wrong shape, dtype, axis, masking, values off by more
than the tolerance) at the first case that fails. `exercise_check` turns such a
body into the check the learner calls:

```python
@exercise_check("softmax over the last axis")
def check_softmax(softmax):
    scores = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    expect_close(softmax(scores), reference(scores), "softmax(scores)")


check_softmax(my_softmax)   # prints "✅ softmax over the last axis: passed"
```

A check hands the candidate its inputs through `call_with_copies`, which
also fails a candidate that edits an input in place.

The printed line is the whole answer: a pass, a hint, or "not attempted yet"
when the stub still raises `NotImplementedError`. A check never raises, so "Run
all" on a lesson with unsolved exercises still reaches the end. The tests use
`assert_check_behaviour` (in `tests/check_testing.py`) to prove that each check
accepts the worked solution and rejects plausible wrong answers.
"""

import copy
import dataclasses
import functools
from collections.abc import Callable

import keras
import numpy as np

# Messages from deep inside TensorFlow can run to pages; the learner needs the
# first lines to recognise the problem.
_MAX_ERROR_CHARACTERS = 400


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """What one run of a check found.

    Attributes:
        name: The exercise name given to `exercise_check`.
        passed: True when every case of the check passed.
        attempted: False when the candidate still raises `NotImplementedError`.
        message: The line the check printed, without its leading symbol.
    """

    name: str
    passed: bool
    attempted: bool
    message: str

    def _ipython_display_(self):
        # The check has already printed its verdict; a notebook cell ending in a
        # check call should not repeat it as a dataclass repr.
        pass


class Hint(AssertionError):
    """Raised inside a check body: its message tells the learner what is wrong."""


def exercise_check(name: str) -> Callable:
    """Turn a check body into a check a learner can call.

    The body takes the candidate (and any extra arguments of the check), runs
    its cases and raises `Hint` on the first failure. The returned check prints
    one line and returns a `CheckResult`; it never raises:

    - `✅ <name>: passed` when the body returns,
    - `❌ <name>: <hint>` when the body raises `Hint`,
    - `❌ <name>: your code raised <ExceptionType>: <message>` for any other
      exception (from the candidate or from what it returned),
    - `⏳ <name>: not attempted yet (...)` when `NotImplementedError` is raised,
      which is what every exercise stub does.

    Args:
        name: Short name of the exercise, shown in every printed line.

    Returns:
        A decorator for the check body.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string. Received: name={name!r}")

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def check(candidate, *args, **kwargs) -> CheckResult:
            try:
                body(candidate, *args, **kwargs)
            except NotImplementedError:
                result = CheckResult(
                    name,
                    passed=False,
                    attempted=False,
                    message="not attempted yet "
                    "(the stub still raises NotImplementedError)",
                )
            except Hint as hint:
                result = CheckResult(name, False, True, str(hint))
            except Exception as error:  # Broad on purpose: "Run all" must never break.
                result = CheckResult(name, False, True, _describe_error(error))
            else:
                result = CheckResult(
                    name, passed=True, attempted=True, message="passed"
                )
            symbol = "✅" if result.passed else ("❌" if result.attempted else "⏳")
            print(f"{symbol} {name}: {result.message}")
            return result

        return check

    return decorate


def _describe_error(error: Exception) -> str:
    text = str(error).strip()
    if len(text) > _MAX_ERROR_CHARACTERS:
        text = text[:_MAX_ERROR_CHARACTERS] + " ..."
    return f"your code raised {type(error).__name__}: {text}"


def _shape_of(value) -> tuple:
    # A plain tuple of integers (or a `tf.TensorShape`) is taken to be a shape
    # already, so a check may pass either the tensor or its `.shape`.
    if hasattr(value, "as_list"):
        value = tuple(value.as_list())
    if isinstance(value, tuple) and all(
        dimension is None or isinstance(dimension, int) for dimension in value
    ):
        return value
    shape = getattr(value, "shape", None)
    if shape is None:
        try:
            return np.shape(value)
        except ValueError as error:
            raise Hint(
                f"expected an array or tensor, got a {type(value).__name__} "
                f"that NumPy cannot read as one ({error})."
            ) from error
    return tuple(None if dimension is None else int(dimension) for dimension in shape)


def expect_shape(actual, expected, what: str) -> None:
    """Raise `Hint` unless `actual` has the shape `expected`.

    Args:
        actual: An array or tensor, or its shape as a tuple.
        expected: The expected shape; a `None` entry matches any size.
        what: How the hint names the value, e.g. `"attention weights"`.
    """
    actual_shape = _shape_of(actual)
    expected_shape = tuple(expected)
    if len(actual_shape) != len(expected_shape):
        raise Hint(
            f"{what} has shape {actual_shape} (rank {len(actual_shape)}), "
            f"expected shape {expected_shape} (rank {len(expected_shape)}). "
            "Check which axis you reduce over and whether an axis was dropped or "
            "added."
        )
    if all(
        wanted is None or wanted == got
        for got, wanted in zip(actual_shape, expected_shape, strict=True)
    ):
        return
    message = f"{what} has shape {actual_shape}, expected {expected_shape}."
    if None not in expected_shape and sorted(actual_shape) == sorted(expected_shape):
        message += " The sizes are right but the axes are in another order."
    raise Hint(message)


def _dtype_name(dtype) -> str:
    try:
        return keras.backend.standardize_dtype(dtype)
    except (TypeError, ValueError):
        return str(dtype)


def _dtype_of(value) -> str:
    # Classes such as `np.float32` carry a `dtype` descriptor, not a dtype.
    dtype = None if isinstance(value, type) else getattr(value, "dtype", None)
    if dtype is not None:
        return _dtype_name(dtype)
    try:
        # The value may be a dtype itself (`"int32"`, `np.float32`, `tf.bool`).
        return keras.backend.standardize_dtype(value)
    except (TypeError, ValueError):
        return _dtype_name(np.asarray(value).dtype)


def expect_dtype(actual, expected, what: str) -> None:
    """Raise `Hint` unless `actual` has the dtype `expected`.

    Args:
        actual: An array or tensor (its `.dtype` is read), or a dtype.
        expected: A dtype (`"float32"`, `np.int32`, `tf.bool` ...), or a tuple of
            dtypes that are all acceptable.
        what: How the hint names the value.
    """
    actual_name = _dtype_of(actual)
    choices = expected if isinstance(expected, tuple) else (expected,)
    expected_names = [_dtype_name(choice) for choice in choices]
    if actual_name in expected_names:
        return
    message = f"{what} has dtype {actual_name}, expected {' or '.join(expected_names)}."
    if _kind(actual_name) != _kind(expected_names[0]):
        message += (
            f" {_kind(actual_name).capitalize()} values where "
            f"{_kind(expected_names[0])} ones are expected usually mean a missing or "
            "extra cast."
        )
    raise Hint(message)


def _kind(dtype_name: str) -> str:
    if dtype_name == "bool":
        return "boolean"
    if "int" in dtype_name:
        return "integer"
    return "floating-point" if "float" in dtype_name else dtype_name


def _to_numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def _plain(value):
    """`value` as a learner would write it: `3`, not `np.int64(3)`.

    NumPy scalars and 0-d arrays become Python numbers (or bools, or strings),
    also inside lists and tuples, so that a hint's `repr` reads like Python.
    """
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        return value.item()
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    return value


def _at(index: tuple) -> str:
    # A scalar has no position worth naming: "at index ()" reads like a bug.
    return f" at index {index}" if index else ""


def expect_close(actual, expected, what: str, atol=1e-5, rtol=1e-5) -> None:
    """Raise `Hint` unless `actual` matches `expected` within the tolerance.

    The shape is checked first, so a wrong shape gets a shape hint rather than
    a broadcasting error. The hint names the largest absolute difference and
    where it occurs.

    Args:
        actual: The candidate's array or tensor.
        expected: The reference values.
        what: How the hint names the value.
        atol: Absolute tolerance, as in `np.allclose`.
        rtol: Relative tolerance, as in `np.allclose`.
    """
    actual_array = _to_numpy(actual)
    expected_array = _to_numpy(expected)
    expect_shape(actual_array, expected_array.shape, what)
    if not np.issubdtype(actual_array.dtype, np.number) and actual_array.dtype != bool:
        raise Hint(f"{what} has dtype {actual_array.dtype}, expected numbers.")
    actual_array = actual_array.astype("float64")
    expected_array = expected_array.astype("float64")
    unexpected_nan = np.isnan(actual_array) & ~np.isnan(expected_array)
    if unexpected_nan.any():
        index = tuple(int(i) for i in np.argwhere(unexpected_nan)[0])
        where = f" (first{_at(index)})" if index else ""
        raise Hint(
            f"{what} contains NaN{where}. Look for a division by zero or the log "
            "or exp of an extreme value."
        )
    if np.allclose(actual_array, expected_array, atol=atol, rtol=rtol, equal_nan=True):
        return
    difference = np.abs(actual_array - expected_array)
    difference = np.where(np.isnan(difference), 0.0, difference)
    index = np.unravel_index(np.argmax(difference), difference.shape)
    index = tuple(int(i) for i in index)
    tolerance = f"atol={atol:g}, rtol={rtol:g}"
    if not index:
        raise Hint(
            f"{what} is {actual_array.item():.6g}, expected "
            f"{expected_array.item():.6g} ({tolerance})."
        )
    raise Hint(
        f"{what} is not close to the expected values: max abs difference "
        f"{difference[index]:.3g}{_at(index)} (got {actual_array[index]:.6g}, "
        f"expected {expected_array[index]:.6g}; {tolerance})."
    )


def expect_equal(actual, expected, what: str) -> None:
    """Raise `Hint` unless `actual` equals `expected` exactly.

    Arrays and tensors are compared element by element (after a shape check);
    other values (token lists, strings, numbers) with `==`.

    Args:
        actual: The candidate's value.
        expected: The reference value.
        what: How the hint names the value.
    """
    if not (hasattr(actual, "shape") or hasattr(expected, "shape")):
        if actual != expected:
            raise Hint(f"{what} is {_plain(actual)!r}, expected {_plain(expected)!r}.")
        return
    actual_array = _to_numpy(actual)
    expected_array = _to_numpy(expected)
    expect_shape(actual_array, expected_array.shape, what)
    wrong = actual_array != expected_array
    if not wrong.any():
        return
    if wrong.ndim == 0:
        raise Hint(
            f"{what} is {_plain(actual_array)!r}, expected {_plain(expected_array)!r}."
        )
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    raise Hint(
        f"{what} differs from the expected values at {int(wrong.sum())} of "
        f"{wrong.size} positions; first{_at(index)}: got "
        f"{_plain(actual_array[index])!r}, expected {_plain(expected_array[index])!r}."
    )


# What `call_with_copies` copies and compares; anything else (a model, a
# function) is passed as it is.
_DATA = (np.ndarray, list, tuple)


def call_with_copies(function: Callable, *arguments, names: tuple[str, ...]):
    """Call `function(*arguments)` on copies, and raise `Hint` if it changed them.

    A learner's function that edits its input in place (`scores += ...`,
    `lengths.sort()`, `ids[ids > 0] = 1`) may pass a check and still break the
    lesson, whose next cell reuses that input. The function gets deep copies;
    afterwards each copy must still equal its original.

    Args:
        function: The learner's function.
        *arguments: Its positional arguments; NumPy arrays, lists and tuples
            are copied and compared, anything else is passed as it is.
        names: The name of each argument, as the hint quotes it.

    Returns:
        What `function` returned.
    """
    if len(names) != len(arguments):
        raise ValueError(
            f"names must name every argument. Received {len(arguments)} arguments "
            f"and names={names!r}"
        )
    copies = [
        copy.deepcopy(argument) if isinstance(argument, _DATA) else argument
        for argument in arguments
    ]
    result = function(*copies)
    for name, original, after in zip(names, arguments, copies, strict=True):
        if isinstance(original, _DATA) and not _same(original, after):
            raise Hint(
                f"your function changed its argument `{name}` in place (an "
                "in-place `+=`, `-=`, `/=`, `.sort()`, `.append()` or item "
                "assignment), and the caller still needs it. Work on a copy "
                "(`np.array(x)` copies an array, `list(x)` a list), or write "
                "`x = x - ...` instead of `x -= ...`."
            )
    return result


def _same(original, after) -> bool:
    if isinstance(original, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and original.shape == after.shape
            and original.dtype == after.dtype
            and bool(
                np.array_equal(original, after, equal_nan=original.dtype.kind in "fc")
            )
        )
    if isinstance(original, list | tuple):
        return (
            type(after) is type(original)
            and len(after) == len(original)
            and all(_same(a, b) for a, b in zip(original, after, strict=True))
        )
    return bool(original == after)


def expect_array(value, what: str) -> None:
    """Raise `Hint` unless `value` is an array (or tensor), not a list."""
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise Hint(
            f"{what} is a {type(value).__name__}; return a NumPy array "
            "(np.asarray(...)): the next steps read its .shape and index it by axis "
            "(weights[..., None])."
        )


def call_named(function, arguments: dict, advice: str):
    """`call_with_copies` with named arguments; a `ValueError` or `IndexError` from
    the learner's code (a matmul, a concatenation or a sum of mismatched shapes, an
    index past the end) becomes a hint that lists the arguments' shapes and gives
    `advice`."""
    try:
        return call_with_copies(function, *arguments.values(), names=tuple(arguments))
    except (ValueError, IndexError) as error:
        lines = str(error).strip().splitlines() or [""]
        shapes = ", ".join(
            f"{name} {np.shape(value)}" for name, value in arguments.items()
        )
        raise Hint(
            f"your code raised {type(error).__name__} ({lines[0][:200]}) on "
            f"arguments of shapes {shapes}. {advice}"
        ) from error


def first_slip(result, slips: dict, what: str, atol=1e-5) -> None:
    """Raise the hint of the first slip whose answer `result` matches."""
    for hint, slipped in slips.items():
        if np.shape(slipped) == np.shape(result) and np.allclose(
            result, slipped, atol=atol
        ):
            raise Hint(f"{what}: {hint}")
