"""The canonical Colab cell, the first code cell of every lesson and solution.

    python -m tools.colab_cell           # lists what differs from the canonical text
    python -m tools.colab_cell --write   # writes it into every .py twin and README

The repository URL is written in one place, pyproject.toml's `[project.urls]`
`Repository`; from it this tool renders the cell (in Colab: pip-install the
course from that URL, then `chapters.common.colab.setup_colab`) and README's
"Open in Colab" links. It rewrites only the jupytext `.py` twins' first code
cell: each notebook (`.ipynb`) follows when it is regenerated from its twin.
"""

import argparse
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOTEBOOK_FOLDERS = ("lessons", "solutions")
# The branch that README's Colab links open.
BRANCH = "main"
GITHUB = "https://github.com/"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
README_START = "<!-- Colab links: written by `python -m tools.colab_cell --write`. -->"
README_END = "<!-- End of Colab links. -->"

# The cell as learners read it (after its first line break, which only keeps the
# lines short here); `colab_cell` puts the URL in place of {url}.
CELL_TEMPLATE = r"""
# Colab set-up: installs this course and what Colab lacks; does nothing elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    COURSE_URL = "{url}"
    pip = [sys.executable, "-m", "pip", "install", "-q", f"git+{COURSE_URL}"]
    installed = subprocess.run(pip, capture_output=True, text=True)
    if installed.returncode != 0:
        raise RuntimeError(
            f"`pip install git+{COURSE_URL}` failed, so the course is not "
            f"installed:\n{installed.stderr[-1500:]}\nCheck that the runtime is "
            "online and that the URL opens in a browser, then run this cell again."
        )
    from chapters.common.colab import setup_colab

    setup_colab()
"""


def repository_url(pyproject: pathlib.Path = ROOT / "pyproject.toml") -> str:
    """The course's repository URL, from pyproject.toml's `[project.urls]`."""
    with open(pyproject, "rb") as file:
        return tomllib.load(file)["project"]["urls"]["Repository"]


def colab_cell(url: str) -> str:
    """The source of the Colab cell that installs the course from `url`."""
    if not url.startswith(GITHUB) or '"' in url:
        raise ValueError(
            f"url must be a GitHub repository URL ({GITHUB}owner/name). "
            f"Received: url={url!r}"
        )
    return CELL_TEMPLATE.removeprefix("\n").replace("{url}", url)


def notebook_twins() -> list[pathlib.Path]:
    """The jupytext `.py` twin of every lesson and solution notebook, in order."""
    return [
        path
        for folder in NOTEBOOK_FOLDERS
        for path in sorted((ROOT / folder).glob("*.py"))
        if not path.name.startswith("_")
    ]


def _is_code_cell_marker(line: str) -> bool:
    # `# %%` opens a code cell, `# %% [markdown]` (or another `[type]`) does not.
    return line.startswith("# %%") and not line[4:].lstrip().startswith("[")


def replace_first_code_cell(twin_text: str, cell: str) -> str:
    """A percent-format script whose first code cell's source is now `cell`.

    Args:
        twin_text: a jupytext percent-format `.py` notebook.
        cell: the new source of its first code cell.

    Returns:
        `twin_text` with that one cell's lines replaced, everything else as it was.
    """
    lines = twin_text.splitlines(keepends=True)
    markers = [index for index, line in enumerate(lines) if _is_code_cell_marker(line)]
    if not markers:
        raise ValueError("twin_text has no code cell (no `# %%` line).")
    start = markers[0] + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("# %%")),
        len(lines),
    )
    # jupytext separates a cell from the next marker by one blank line.
    separator = "\n" if end < len(lines) else ""
    body = cell.rstrip("\n") + "\n" + separator
    return "".join(lines[:start]) + body + "".join(lines[end:])


def colab_link(url: str, notebook: pathlib.Path) -> str:
    """The Colab address that opens `notebook` (a path in this repository)."""
    owner_and_name = url.removeprefix(GITHUB).removesuffix(".git").strip("/")
    relative = notebook.relative_to(ROOT).with_suffix(".ipynb").as_posix()
    return (
        "https://colab.research.google.com/github/"
        f"{owner_and_name}/blob/{BRANCH}/{relative}"
    )


def readme_links(url: str) -> str:
    """README's Colab block: a badge, then a link to each lesson and solution."""
    twins = notebook_twins()
    badge = f"[![Open In Colab]({COLAB_BADGE})]({colab_link(url, twins[0])})"
    lines = [README_START, f"{badge} lesson 00, or any lesson or solution:", ""]
    for folder in NOTEBOOK_FOLDERS:
        links = " · ".join(
            f"[{path.stem.split('_')[0]}]({colab_link(url, path)})"
            for path in twins
            if path.parent.name == folder
        )
        lines.append(f"- {folder}: {links}")
    return "\n".join([*lines, README_END])


def replace_readme_links(readme_text: str, links: str) -> str:
    """README's text with the block between its Colab markers replaced by `links`."""
    start = readme_text.find(README_START)
    end = readme_text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(
            f"README.md needs the lines {README_START!r} and {README_END!r}, in order."
        )
    return readme_text[:start] + links + readme_text[end + len(README_END) :]


def canonical_text(path: pathlib.Path, url: str) -> str:
    """`path`'s text with its Colab part (README's links, a twin's cell) canonical."""
    text = path.read_text(encoding="utf-8")
    if path == README:
        return replace_readme_links(text, readme_links(url))
    return replace_first_code_cell(text, colab_cell(url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="rewrite what differs, in place"
    )
    args = parser.parse_args(argv)

    url = repository_url()
    stale = 0
    for path in [*notebook_twins(), README]:
        new_text = canonical_text(path, url)
        if new_text == path.read_text(encoding="utf-8"):
            continue
        stale += 1
        if args.write:
            path.write_text(new_text, encoding="utf-8")
        print(f"{'wrote' if args.write else 'differs'}: {path.relative_to(ROOT)}")
    return 0 if args.write or not stale else 1


if __name__ == "__main__":
    sys.exit(main())
