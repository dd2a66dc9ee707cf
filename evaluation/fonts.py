"""Which characters the installed fonts can draw: the charts' fonts (matplotlib draws with the
first of them that has a character), the same fonts the PDFs embed. A name with a character
none of them has would be drawn as an empty box, or refuse to draw at all, so it is refused
where it is entered (``inputs.name_error``)."""

from __future__ import annotations

import functools

# The fonts of every chart and document, in the order they are tried.
CHART_FONTS = ["Noto Sans CJK SC", "DejaVu Sans"]


@functools.cache
def _coverage() -> frozenset[int]:
    from matplotlib import font_manager, ft2font

    codes: set[int] = set()
    for family in CHART_FONTS:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        codes |= set(ft2font.FT2Font(path).get_charmap())
    return frozenset(codes)


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no chart font has, each once, in their order."""
    coverage = _coverage()
    missing: list[str] = []
    for char in text:
        if ord(char) not in coverage and not char.isspace() and char not in missing:
            missing.append(char)
    return missing
