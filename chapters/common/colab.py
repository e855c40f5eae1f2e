"""Set-up of a Google Colab runtime: pinned requirements, tensorflow-text, a CJK font.

Colab ships its own TensorFlow, Keras, NumPy, Matplotlib and Jupyter. Replacing
them with our pins would cost minutes and a runtime restart, and a different
ipykernel can break the Colab kernel itself, so `setup_colab` keeps them,
installs the tensorflow-text release that matches Colab's TensorFlow, and
installs every other pinned requirement as written.
"""

import pathlib
import re
import subprocess
import sys

# Packages that Colab's runtime provides, in versions matched to each other and
# to the runtime; we leave them as they are.
RUNTIME_PACKAGES = (
    "tensorflow",
    "tensorflow-text",
    "keras",
    "numpy",
    "matplotlib",
    "jupyterlab",
    "ipykernel",
    "nbconvert",
    "nbformat",
)


def requirement_name(line: str) -> str | None:
    """The package name of one requirements line, or None for comments and blanks."""
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    return re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower()


def colab_requirements(requirements_text: str, tensorflow_version: str) -> list[str]:
    """The pip arguments that set up Colab without touching its TensorFlow.

    Args:
        requirements_text: the contents of the course's `requirements.txt`.
        tensorflow_version: the runtime's `tf.__version__`, e.g. `"2.19.0"`.

    Returns:
        Requirement strings: every pinned line except the runtime packages, then
        `tensorflow-text` pinned to the runtime's major.minor release.
    """
    match = re.match(r"^(\d+)\.(\d+)", tensorflow_version)
    if match is None:
        raise ValueError(
            "tensorflow_version must look like '2.19.0'. "
            f"Received: tensorflow_version={tensorflow_version!r}"
        )
    major, minor = match.groups()
    kept = [
        line.split("#", 1)[0].strip()
        for line in requirements_text.splitlines()
        if requirement_name(line) not in (None, *RUNTIME_PACKAGES)
    ]
    return [*kept, f"tensorflow-text=={major}.{minor}.*"]


def setup_colab(course_dir: str) -> None:
    """Installs the course's requirements and a CJK font on a Colab runtime."""
    import tensorflow as tf

    requirements = pathlib.Path(course_dir, "requirements.txt").read_text()
    packages = colab_requirements(requirements, tf.__version__)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *packages], check=True
    )
    subprocess.run(["apt-get", "-qq", "install", "-y", "fonts-noto-cjk"], check=False)
    # Matplotlib caches the font list; rebuild it so the new font is found.
    import matplotlib.font_manager

    matplotlib.font_manager.fontManager = matplotlib.font_manager.FontManager()
