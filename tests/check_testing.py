"""Testing exercise checks: a check must accept the worked solution and reject
every plausible wrong answer (used by the tests of every chapter's exercises)."""

import copy
from collections.abc import Callable

import numpy as np


def assert_check_behaviour(
    check: Callable,
    solution,
    wrong_variants: dict,
    expected_hints: dict | None = None,
) -> None:
    """Assert that a check accepts the solution and rejects each wrong variant.

    For use in tests. A rejection only counts when it is an attempted failure:
    a wrong variant reported as "not attempted yet" fails the assertion.

    Args:
        check: A check made with `exercise_check`.
        solution: The worked solution; the check must pass it.
        wrong_variants: Maps a description of each plausible mistake to a
            candidate that makes it; the check must fail every one.
        expected_hints: Optionally maps some of those descriptions to a piece
            of text the failure message must contain (e.g. `"shape"`).

    Raises:
        AssertionError: Naming the variant (or the solution) that the check
            judged wrongly, with the message the check printed.
    """
    if not wrong_variants:
        raise ValueError(
            "wrong_variants must name at least one plausible mistake. "
            f"Received: wrong_variants={wrong_variants!r}"
        )
    expected_hints = expected_hints or {}
    unknown = set(expected_hints) - set(wrong_variants)
    if unknown:
        raise ValueError(
            f"expected_hints names variants that are not in wrong_variants: "
            f"{sorted(unknown)}"
        )
    result = check(solution)
    if not result.passed:
        raise AssertionError(
            f"check {result.name!r} rejected the worked solution: {result.message}"
        )
    for description, variant in wrong_variants.items():
        result = check(variant)
        if result.passed:
            raise AssertionError(
                f"check {result.name!r} accepted the wrong variant {description!r}"
            )
        if not result.attempted:
            raise AssertionError(
                f"check {result.name!r} reported the wrong variant {description!r} "
                f"as not attempted; it must fail it: {result.message}"
            )
        hint = expected_hints.get(description)
        if hint is not None and hint not in result.message:
            raise AssertionError(
                f"check {result.name!r} rejected the wrong variant {description!r} "
                f"but its message lacks {hint!r}: {result.message}"
            )


def mutating(function: Callable, position: int) -> Callable:
    """`function`, but it also edits its argument number `position` in place.

    The learner's mistake this stands for: an in-place `x -= ...`, `x.sort()` or
    item assignment on an input. The result is copied first, so that the edit
    cannot reach it through a shared view: only the input changes.

    Args:
        function: A worked solution.
        position: Which positional argument to edit: a NumPy array (numbers go
            up by one, booleans flip) or a list (its first item is repeated at
            its end).
    """

    def edits_its_input(*arguments):
        result = copy.deepcopy(function(*arguments))
        target = arguments[position]
        if isinstance(target, np.ndarray) and target.dtype == bool:
            target[...] = ~target
        elif isinstance(target, np.ndarray):
            target += 1
        elif isinstance(target, list):
            target.append(target[0])
        else:
            raise TypeError(
                "mutating edits a NumPy array or a list. Received argument "
                f"{position} of type {type(target).__name__}"
            )
        return result

    return edits_its_input


def not_attempted(*args):
    """A learner's stub, as the lessons hand it out."""
    raise NotImplementedError


def assert_reported_as_not_attempted(check, capsys):
    """`check` reports the untouched stub as not attempted, neither passed nor
    failed."""
    result = check(not_attempted)
    assert not result.attempted and not result.passed
    assert "not attempted yet" in capsys.readouterr().out
