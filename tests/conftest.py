"""Test settings: the `ci` scale, and the shared corpus when it is present."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("COURSE_SCALE", "ci")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if SHARED_DATA.is_dir():
    os.environ.setdefault("COURSE_CORPUS_DIR", str(SHARED_DATA))


@pytest.fixture(scope="session")
def corpus_or_none():
    """The Tatoeba corpus, or None offline without it."""
    # Imported on first use: it loads TensorFlow, which tests without the corpus
    # should not wait for.
    from chapters.common import tatoeba

    try:
        return tatoeba.load_corpus(download=False)
    except FileNotFoundError:
        return None


@pytest.fixture(scope="session")
def corpus(corpus_or_none):
    """The Tatoeba corpus; the test is skipped offline without it."""
    if corpus_or_none is None:
        pytest.skip("The Tatoeba corpus is not available offline.")
    return corpus_or_none
