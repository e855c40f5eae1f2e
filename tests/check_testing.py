"""Testing exercise checks: a check must accept the worked solution and reject
every plausible wrong answer (used by the tests of every chapter's exercises)."""

from collections.abc import Callable


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
