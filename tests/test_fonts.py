"""Tests of the Chinese font finder: real fonts accepted, placeholder fonts refused."""

import pathlib
import warnings

import matplotlib
import pytest
from matplotlib import font_manager

from chapters.common import fonts

DEJAVU_SANS = font_manager.findfont("DejaVu Sans")
# matplotlib 3.11 and later bundle it; earlier versions do not.
LAST_RESORT = pathlib.Path(
    matplotlib.get_data_path(), "fonts/ttf/LastResortHE-Regular.ttf"
)


@pytest.fixture(autouse=True)
def fresh_finder(monkeypatch):
    # The finder caches what it found; each test looks again, and use_cjk_font's
    # change to rcParams stays inside the test.
    monkeypatch.setattr(fonts, "_found_family", None)
    monkeypatch.setattr(fonts, "_draws_chinese_by_path", {})
    with matplotlib.rc_context():
        yield


def test_a_chinese_font_is_found_by_its_glyphs_when_no_name_is_known(monkeypatch):
    if fonts.find_cjk_font() is None:
        pytest.skip("no font with Chinese glyphs is installed")
    monkeypatch.setattr(fonts, "CJK_FONT_FAMILIES", ())
    monkeypatch.setattr(fonts, "_found_family", None)
    family = fonts.find_cjk_font()
    path = font_manager.findfont(family, fallback_to_default=False)
    assert fonts.font_covers(path, fonts.PROBE_CHARACTERS)


def test_a_font_that_draws_its_probe_characters_is_accepted(monkeypatch):
    # The control for the refusals below, on a font every machine has: DejaVu
    # Sans draws Latin letters, each its own way.
    monkeypatch.setattr(fonts, "PROBE_CHARACTERS", "abcxyz")
    monkeypatch.setattr(fonts, "_path_by_family", lambda: {"DejaVu Sans": DEJAVU_SANS})
    assert fonts.find_cjk_font() == "DejaVu Sans"


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_a_font_whose_map_claims_chinese_it_cannot_draw_is_refused(monkeypatch):
    # Simulates a placeholder font: a character map that lists Chinese, glyphs
    # that are boxes (or blank). DejaVu Sans draws no Chinese character.
    monkeypatch.setattr(fonts, "font_covers", lambda path, characters: True)
    monkeypatch.setattr(fonts, "_path_by_family", lambda: {"Placeholder": DEJAVU_SANS})
    assert fonts.find_cjk_font() is None


def test_matplotlibs_last_resort_font_is_refused(monkeypatch):
    if not LAST_RESORT.exists():
        pytest.skip(f"matplotlib {matplotlib.__version__} has no Last Resort font")
    # Its map lists every character, which a coverage check alone would accept.
    assert fonts.font_covers(str(LAST_RESORT), fonts.PROBE_CHARACTERS)
    family = font_manager.ttfFontProperty(font_manager.get_font(LAST_RESORT)).name
    monkeypatch.setattr(fonts, "_path_by_family", lambda: {family: str(LAST_RESORT)})
    assert fonts.find_cjk_font() is None


def test_use_cjk_font_puts_the_found_font_first(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: "Chinese Font")
    matplotlib.rcParams["font.family"] = ["sans-serif", "Chinese Font"]
    assert fonts.use_cjk_font() == "Chinese Font"
    assert matplotlib.rcParams["font.family"] == ["Chinese Font", "sans-serif"]


def test_a_missing_font_warns_once_with_install_instructions(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned_missing_font", False)
    with pytest.warns(UserWarning, match="apt-get install -y fonts-noto-cjk"):
        assert fonts.use_cjk_font() == "DejaVu Sans"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fonts.use_cjk_font()
    assert caught == []
