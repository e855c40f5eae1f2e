"""The README's generated blocks: the text between a start and an end marker,
rewritten by the command that measures it (`tools.results`, `tools.benchmarks`,
`tools.run_course --record`), the rest of the README kept as it is."""

import pathlib


def check_block(readme, start, end):
    """Refuses a README without the lines `start` and `end`, in order: a command
    checks before it runs, so that an hour's run does not end in this error.

    Returns:
        The README's text.

    Raises:
        ValueError: the README lacks the markers, in order.
        OSError: the README cannot be read.
    """
    text = pathlib.Path(readme).read_text(encoding="utf-8")
    if start not in text or end not in text or text.index(start) > text.index(end):
        raise ValueError(
            f"{readme} has no block {start} ... {end}: put those two lines where "
            "the generated text should go, or pass --readme '' for none."
        )
    return text


def replace_block(readme, start, end, block):
    """Replaces the text between the lines `start` and `end` of `readme` with
    `block`.

    Raises:
        ValueError: the README lacks the markers, in order.
    """
    text = check_block(readme, start, end)
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    pathlib.Path(readme).write_text(
        f"{before}{start}\n{block}\n{end}{after}", encoding="utf-8"
    )
