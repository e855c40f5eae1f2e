"""Test settings: the `ci` scale, and the shared corpus when it is present."""

import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("COURSE_SCALE", "ci")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if SHARED_DATA.is_dir():
    os.environ.setdefault("COURSE_CORPUS_DIR", str(SHARED_DATA))
