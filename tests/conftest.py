"""Test settings: the `ci` scale, and the shared corpus when it is present."""

import os
import pathlib
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("COURSE_SCALE", "ci")
# Results that tests store (chapter 5's comparison) go to a folder of the test
# session, never into a learner's cache; `make test` names one that the lesson
# notebooks, run after the tests, read back.
if not os.environ.get("COURSE_RESULTS_DIR"):
    os.environ["COURSE_RESULTS_DIR"] = tempfile.mkdtemp(prefix="course-results-")
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
