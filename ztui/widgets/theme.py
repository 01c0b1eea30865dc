"""Provides the `ztui` theme: calm colours, clear state colours, readable over SSH."""

from __future__ import annotations

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
