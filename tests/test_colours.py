"""White words on the portal's coloured fills are readable at arm's length: 4.5:1 or more
(WCAG 2 AA for normal text), whichever colour a person's circle or a tile's ribbon gets. The
browser tests check the pages they open with axe; this holds the colours no test page happens
to show (an avatar colour no test child drew)."""

import re
from pathlib import Path

import pytest

from ffs_portal.lib.avatars import COLOURS

CSS = Path(__file__).resolve().parent.parent / "static" / "css"


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (luminance(hex_colour) + 0.05)


def backgrounds(css: str, selector: str) -> dict[str, str]:
    """selector → background colour (six hex digits) for the rules matching ``selector``."""
    pattern = rf"({selector})\s*\{{[^}}]*?background:\s*#([0-9a-fA-F]{{6}})"
    return dict(re.findall(pattern, css))


def test_there_is_a_colour_class_for_each_avatar_colour():
    found = backgrounds((CSS / "portal.css").read_text(), r"\.avc\d+")
    assert sorted(found) == [f".avc{n}" for n in range(COLOURS)]


@pytest.mark.parametrize("n", range(COLOURS))
def test_white_initials_are_readable_on_each_avatar_colour(n):
    colour = backgrounds((CSS / "portal.css").read_text(), rf"\.avc{n}")[f".avc{n}"]
    assert contrast_with_white(colour) >= 4.5, f".avc{n} #{colour}"


def test_white_words_are_readable_on_every_ribbon_counter_and_toast_of_the_board():
    css = (CSS / "board.css").read_text()
    fills = backgrounds(css, r"\.(?:st-\w+|tile\.overdue) \.rb|\.c-\w+|\.t-\w+")
    assert len(fills) >= 13, fills
    weak = {
        selector: round(contrast_with_white(colour), 2)
        for selector, colour in fills.items()
        if contrast_with_white(colour) < 4.5
    }
    assert weak == {}
