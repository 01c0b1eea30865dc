"""Provides the `ztui` theme and the contrast check that keeps text readable in any theme."""

from __future__ import annotations

from collections.abc import Iterable

from rich.color import Color as RichColor
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.theme import Theme

ZTUI_THEME = Theme(
    name="ztui",
    primary="#4C9BE8",
    secondary="#7AA6C2",
    accent="#E0A458",
    foreground="#D8DEE9",
    background="#14191F",
    surface="#1B222B",
    panel="#232C37",
    success="#69B578",
    warning="#E0A458",
    error="#E06C75",
    dark=True,
    variables={
        "footer-key-foreground": "#4C9BE8",
        "block-cursor-text-style": "bold",
    },
)
"""The default theme; Textual's built-in themes (including ansi-dark) stay available."""


MIN_CONTRAST = 3.0
"""Least contrast ratio (WCAG's, 1 to 21) text must have on its background; 3:1 is
WCAG's floor for large or bold text, which is what a status word on the cursor row is."""


def _luminance(color: RichColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = color.get_truecolor(DEFAULT_TERMINAL_THEME)
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(foreground: RichColor, background: RichColor) -> float:
    """WCAG contrast ratio of two colours: 1 (the same) to 21 (black on white).

    ANSI colours are measured in Rich's default terminal palette; the user's may differ.

    Args:
        foreground: Text colour.
        background: Background colour.

    Returns:
        The ratio.
    """
    first, second = _luminance(foreground), _luminance(background)
    return (max(first, second) + 0.05) / (min(first, second) + 0.05)


def readable_color(
    foreground: RichColor | None,
    background: RichColor,
    fallbacks: Iterable[RichColor | None],
    minimum: float = MIN_CONTRAST,
) -> RichColor | None:
    """`foreground` if it reads on `background`, else the first fallback that does.

    Black or white, whichever reads better, is the last resort.

    Args:
        foreground: The colour asked for (None: the terminal's default).
        background: What it is drawn on.
        fallbacks: Colours to try in turn.
        minimum: Contrast ratio that counts as readable.

    Returns:
        The colour to draw with.
    """
    for candidate in (foreground, *fallbacks):
        if candidate is not None and contrast_ratio(candidate, background) >= minimum:
            return candidate
    black, white = RichColor.from_rgb(0, 0, 0), RichColor.from_rgb(255, 255, 255)
    return max((black, white), key=lambda c: contrast_ratio(c, background))
