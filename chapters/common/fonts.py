"""Finding a font that draws Chinese, so that figures can label Chinese tokens.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: Chinese labels
come out as empty boxes. `use_cjk_font` finds an installed font that has them and
makes matplotlib use it, or warns once saying how to install one.

A font's character map is not proof enough. matplotlib 3.11 ships a "Last
Resort" font whose map lists every Unicode character but whose glyphs are
placeholders, one box per Unicode block; picked as "the Chinese font", it would
draw every Chinese label as boxes, with no warning. So a font is accepted only
once it has drawn the probe characters, each as a different, non-empty image,
which no placeholder font does.
"""

import warnings

import matplotlib
import numpy as np
from matplotlib import font_manager, ft2font

# Fonts with Chinese glyphs, best first: the Noto / Source Han families (Linux,
# Colab after `apt-get install fonts-noto-cjk`), WenQuanYi (`fonts-wqy-*`), then
# the fonts macOS and Windows ship. A `.ttc` collection is listed by matplotlib
# under its first face's name, hence the JP and TC variants of Noto.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Heiti TC",
    "STHeiti",
    "SimHei",
    "Microsoft YaHei",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)
# A font counts as Chinese-capable when it draws all of these, each differently.
PROBE_CHARACTERS = "我爱你中文。"
INSTALL_HINT = (
    "No installed font has Chinese characters, so Chinese labels will show as "
    "empty boxes. On Debian, Ubuntu or Colab run `apt-get install -y "
    "fonts-noto-cjk` (or `fonts-wqy-microhei`), then plot again; macOS and "
    "Windows ship one (PingFang SC, Microsoft YaHei)."
)

# Found once per process; a miss is looked up again, so that a font installed
# while the kernel runs is picked up by the next plot.
_found_family: str | None = None
_draws_chinese_by_path: dict[str, bool] = {}
_warned_missing_font = False


def font_covers(path: str, characters: str) -> bool:
    """Whether the font file at `path` has a glyph for every one of `characters`."""
    try:
        charmap = ft2font.FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(character) in charmap for character in characters)


def _draws_distinct_glyphs(path: str, characters: str) -> bool:
    # FT2Font is the rasterizer the Agg backend draws text with, so these
    # images are what a figure would show.
    font = ft2font.FT2Font(path)
    font.set_size(24, 72)
    images = set()
    for character in characters:
        font.set_text(character)
        font.draw_glyphs_to_bitmap()
        image = np.asarray(font.get_image())
        if not image.any():
            return False
        images.add((image.shape, image.tobytes()))
    # A placeholder font draws the same box for every character of a block.
    return len(images) == len(characters)


def _draws_chinese(path: str) -> bool:
    if path not in _draws_chinese_by_path:
        # The character map first: it is cheap, and rendering a character the
        # font lacks would warn.
        covers = font_covers(path, PROBE_CHARACTERS)
        draws = covers and _draws_distinct_glyphs(path, PROBE_CHARACTERS)
        _draws_chinese_by_path[path] = draws
    return _draws_chinese_by_path[path]


def _path_by_family() -> dict[str, str]:
    """One font file for each installed family, fonts installed just now included."""
    # matplotlib caches its font list on first use, so a font installed after
    # that (the usual case in Colab) is unknown to it until registered.
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    paths = {}
    for entry in font_manager.fontManager.ttflist:
        paths.setdefault(entry.name, entry.fname)
    return paths


def find_cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, or None.

    Known Chinese font families come first (see `CJK_FONT_FAMILIES`); failing
    those, any installed font whose character map has Chinese characters. Either
    way the font must draw `PROBE_CHARACTERS` as distinct glyphs, which refuses
    placeholder fonts such as matplotlib's "Last Resort".
    """
    global _found_family
    if _found_family is not None:
        return _found_family
    path_by_family = _path_by_family()
    preferred = [name for name in CJK_FONT_FAMILIES if name in path_by_family]
    others = sorted(set(path_by_family) - set(preferred))
    for family in preferred + others:
        if _draws_chinese(path_by_family[family]):
            _found_family = family
            return family
    return None


def use_cjk_font() -> str:
    """Make matplotlib draw text with a font that has Chinese glyphs.

    Puts the font from `find_cjk_font` first in `rcParams["font.family"]`; the
    families already there stay behind it, for any glyph it lacks. When no
    such font is installed, warns once with install instructions.

    Returns:
        The family now drawing text: the Chinese font, or matplotlib's default
        when there is none.
    """
    global _warned_missing_font
    family = find_cjk_font()
    if family is None:
        if not _warned_missing_font:
            warnings.warn(INSTALL_HINT, UserWarning, stacklevel=2)
            _warned_missing_font = True
        return font_manager.FontProperties().get_name()
    families = matplotlib.rcParams["font.family"]
    matplotlib.rcParams["font.family"] = [family] + [
        name for name in families if name != family
    ]
    return family
