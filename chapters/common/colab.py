"""Set-up of a Google Colab runtime: tensorflow-text for its TensorFlow, a CJK font.

Each notebook's first cell, in Colab only, pip-installs this course from its
repository and then calls `setup_colab`. The course's dependency bounds
(pyproject.toml) keep the TensorFlow, Keras, NumPy and matplotlib that Colab
ships; `setup_colab` adds the two things Colab lacks:

1. tensorflow-text, in the release that matches the runtime's TensorFlow. Its
   compiled ops are built against one TensorFlow major.minor version, so any
   other release would fail to load or replace Colab's TensorFlow. When no
   release matches yet (a new TensorFlow), it warns and goes on: only the
   lessons that build tf.data text pipelines need it.
2. A font with Chinese glyphs, for the Chinese labels of attention heatmaps.
   Without one it warns that those labels will render as boxes.

Each step is best effort: it warns and never raises, so the lesson still runs.
"""

import pathlib
import re
import subprocess
import sys
import warnings

import matplotlib
from matplotlib import font_manager

from chapters.common.fonts import find_cjk_font

FONT_PACKAGE = "fonts-noto-cjk"
# The package lists of a fresh runtime may be stale, so they are updated first.
FONT_COMMANDS = (
    ("apt-get", "update", "-qq"),
    ("apt-get", "install", "-y", "-qq", FONT_PACKAGE),
)
# How much of a failed command's error output a warning quotes.
ERROR_TAIL_CHARACTERS = 600


def tensorflow_text_requirement(tensorflow_version: str) -> str:
    """The tensorflow-text requirement that matches a TensorFlow version.

    Args:
        tensorflow_version: the runtime's `tf.__version__`, e.g. `"2.19.0"`.

    Returns:
        A pip requirement for the same major.minor release, e.g.
        `"tensorflow-text==2.19.*"`.
    """
    match = re.match(r"^(\d+)\.(\d+)", tensorflow_version)
    if match is None:
        raise ValueError(
            "tensorflow_version must look like '2.19.0'. "
            f"Received: tensorflow_version={tensorflow_version!r}"
        )
    major, minor = match.groups()
    return f"tensorflow-text=={major}.{minor}.*"


def tensorflow_text_command(tensorflow_version: str) -> list[str]:
    """The pip command that installs tensorflow-text for a TensorFlow version."""
    requirement = tensorflow_text_requirement(tensorflow_version)
    return [sys.executable, "-m", "pip", "install", "-q", requirement]


def _run(command) -> subprocess.CompletedProcess | None:
    """Runs `command` quietly; None when its program is not installed at all."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return None


def install_tensorflow_text(tensorflow_version: str) -> bool:
    """Installs the tensorflow-text release matching TensorFlow, or warns.

    Args:
        tensorflow_version: the runtime's `tf.__version__`.

    Returns:
        Whether pip installed it (or found it installed already).
    """
    command = tensorflow_text_command(tensorflow_version)
    result = _run(command)
    if result is not None and result.returncode == 0:
        return True
    error = "" if result is None else result.stderr[-ERROR_TAIL_CHARACTERS:]
    warnings.warn(
        f"`{' '.join(command[2:])}` failed: no tensorflow-text release matches "
        f"TensorFlow {tensorflow_version} yet (or pip could not reach PyPI). Only "
        "the lessons that build tf.data text pipelines need it; the others run "
        f"without it.\n{error}",
        UserWarning,
        stacklevel=2,
    )
    return False


def save_font_cache() -> pathlib.Path:
    """Writes matplotlib's font list to the cache file it loads on start.

    The list itself is updated in place by `find_cjk_font`, which adds the fonts
    installed since matplotlib started: matplotlib's backends keep a reference
    to that one list, so building a new one would not reach them. Saving it
    lets a restarted kernel start with the new font.

    Returns:
        The cache file written.
    """
    manager = font_manager.fontManager
    # The name matplotlib's own loader reads (`font_manager._load_fontmanager`).
    path = pathlib.Path(
        matplotlib.get_cachedir(), f"fontlist-v{type(manager).__version__}.json"
    )
    font_manager.json_dump(manager, path)
    return path


def install_cjk_font() -> str | None:
    """Installs a font with Chinese glyphs, unless one is there; warns on failure.

    Steps: 1. keep an installed Chinese font if there is one; 2. `apt-get
    update`, then `apt-get install` `FONT_PACKAGE`; 3. make matplotlib see
    the new font and save its font cache; 4. warn if no font draws Chinese.

    Returns:
        The font family that draws Chinese, or None.
    """
    family = find_cjk_font()
    if family is not None:
        return family
    failures = []
    for command in FONT_COMMANDS:
        result = _run(command)
        if result is None or result.returncode != 0:
            error = "not found" if result is None else result.stderr.strip()
            failures.append(
                f"`{' '.join(command)}` failed: {error[-ERROR_TAIL_CHARACTERS:]}"
            )
    family = find_cjk_font()
    save_font_cache()
    if family is None:
        reason = "; ".join(failures) or f"{FONT_PACKAGE} has no usable Chinese font"
        warnings.warn(
            "No installed font draws Chinese, so the Chinese labels of plots will "
            f"render as empty boxes ({reason}). To fix it, run `!apt-get update && "
            f"apt-get install -y {FONT_PACKAGE}` in a cell, then run the plotting "
            "cell again.",
            UserWarning,
            stacklevel=2,
        )
    return family


def setup_colab() -> None:
    """Installs what the lessons need on top of Colab: tensorflow-text, a CJK font."""
    import tensorflow as tf

    if install_tensorflow_text(tf.__version__):
        print(f"tensorflow-text matches TensorFlow {tf.__version__}.")
    family = install_cjk_font()
    if family is not None:
        print(f"Chinese labels are drawn with {family}.")
