"""Provides `SafeTextFilter`: the TUI's last line of defence against terminal injection.

Textual writes a widget's text to the terminal as it is, escape characters included, so a
job name carrying `ESC ] 52` would write the operator's clipboard. The app runs every line
it draws through this filter, which drops the characters `ztui.core.sanitize` calls
unsafe. Each of them is zero cells wide, so no layout moves; control segments (Textual's
own cursor moves) are left alone.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from ztui.core.sanitize import UNSAFE_RE, drop_unsafe

__all__ = ["SafeTextFilter"]


class SafeTextFilter(LineFilter):
    """Drops the unsafe characters from the text of every segment drawn."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = UNSAFE_RE.search
        if not any(not seg.control and search(seg.text) for seg in segments):
            return segments
        return [
            Segment(drop_unsafe(seg.text), seg.style, seg.control)
            if not seg.control and search(seg.text)
            else seg
            for seg in segments
        ]
