"""The README's generated blocks: the text between a start and an end marker,
rewritten by the command that measures it (`tools.results`, `tools.run_course
--record`), the rest of the README kept as it is."""

import pathlib


def replace_block(readme, start, end, block):
    """Replaces the text between the lines `start` and `end` of `readme` with
    `block`.

    Raises:
        ValueError: the README lacks the markers, in order.
    """
    readme = pathlib.Path(readme)
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text or text.index(start) > text.index(end):
        raise ValueError(
            f"{readme} has no block {start} ... {end}: put those two lines where "
            "the generated text should go."
        )
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    readme.write_text(f"{before}{start}\n{block}\n{end}{after}", encoding="utf-8")
