"""Provides `KeyFooter`: Textual's footer, keys chosen by priority to fit the width, and
rebuilt only when the keys it shows change.

Textual's `Footer` lays out every key in one row and lets the ones that do not fit fall
off the right edge, so on an 80-column terminal `q` and `f1` disappear first. `KeyFooter`
keeps the essential keys (quit and help) always, then adds keys in the screen's order of
importance while they fit; the rest stay reachable through help (`f1`) and the palette.
A key can also be situational: shown only while a condition holds.

Textual's `Footer` also throws away and remounts every key widget each time the screen's
bindings *may* have changed: a focus change, the terminal gaining focus, any
`refresh_bindings()`. At start-up that happens half a dozen times in a row for the same
keys, and each rebuild restyles a dozen widgets. `KeyFooter` compares what it would show
with what it shows and skips the rebuild when they are the same. When only
whether keys are enabled changed (the cursor moved to a job that cannot be stopped, say),
it updates those keys in place instead of remounting them all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.binding import Binding

ESSENTIAL: tuple[str, ...] = ("app.quit", "app.help")
"""Binding ids the footer always shows."""

_PALETTE_CELLS = 14
"""Cells of the command-palette key docked on the right (`▏^p palette `)."""


def key_cells(key_display: str, description: str) -> int:
    """Cells one footer key takes: ` k ` then `description `."""
    return cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)


def choose_keys(
    keys: Sequence[tuple[str, int]],
    width: int,
    *,
    essential: Collection[str] = ESSENTIAL,
    priority: Sequence[str] = (),
) -> set[str]:
    """Which keys fit in `width` cells: the essential ones, then by priority, then in order.

    Args:
        keys: (binding id or key, cells) of every candidate, in display order.
        width: Cells available.
        essential: Ids always chosen.
        priority: Ids in order of importance; ids not listed come after, in display order.

    Returns:
        The ids chosen.
    """
    rank = {name: i for i, name in enumerate(priority)}
    chosen = {name for name, _ in keys if name in essential}
    used = sum(cells for name, cells in keys if name in chosen)
    rest = sorted(
        (i for i, (name, _) in enumerate(keys) if name not in chosen),
        key=lambda i: (rank.get(keys[i][0], len(rank)), i),
    )
    for i in rest:
        name, cells = keys[i]
        if used + cells <= width:
            chosen.add(name)
            used += cells
    return chosen


class KeyFooter(Footer):
    """A `Footer` that fits its keys to the width by priority and recomposes only when
    the keys, descriptions or states it shows differ."""

    _shown: Hashable = None

    def __init__(
        self,
        *,
        priority: Sequence[str] = (),
        essential: Collection[str] = ESSENTIAL,
        situational: Mapping[str, Callable[[], bool]] | None = None,
        held: float | None = None,
        id: str | None = None,
    ) -> None:
        """Create the footer.

        Args:
            priority: Binding ids in order of importance (kept longest on a narrow screen).
            essential: Binding ids always shown.
            situational: Binding ids shown only while their condition returns True.
            held: Draw no keys until `release()`, or this many seconds after mounting,
                whichever comes first (mounting a dozen keys takes a frame or two: a
                screen whose content matters more shows that first).
            id: Widget id.
        """
        super().__init__(id=id)
        self._priority = tuple(priority)
        self._essential = frozenset(essential)
        self._situational = dict(situational or {})
        self._held = held

    def on_mount(self) -> None:
        """Follow the screen's bindings; let go of a hold after its time at the latest."""
        super().on_mount()
        if self._held is not None:
            self.set_timer(self._held, self.release)

    def release(self) -> None:
        """Draw the keys from now on (see `held`)."""
        if self._held is not None:
            self._held = None
            if self.is_attached:
                # On the footer's own queue: its keys must be composed in its context.
                self.call_later(self.recompose)

    def _candidates(self) -> list[tuple[str, Binding, int]]:
        """(name, binding, cells) of each key Textual's footer would show, in order."""
        app = self.app
        seen: set[str] = set()
        out: list[tuple[str, Binding, int]] = []
        for _node, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            name = binding.id or binding.key
            wanted = self._situational.get(name)
            if wanted is not None and not wanted():
                continue
            cells = key_cells(app.get_key_display(binding), binding.description)
            out.append((name, binding, cells))
        return out

    def _chosen(self) -> frozenset[tuple[str, str]]:
        """(key, action) of the keys to show at the current width."""
        candidates = self._candidates()
        width = self.size.width or self.app.size.width
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            width -= _PALETTE_CELLS
        names = choose_keys(
            [(name, cells) for name, _b, cells in candidates],
            width,
            essential=self._essential,
            priority=self._priority,
        )
        return frozenset(
            (binding.key, binding.action) for name, binding, _c in candidates if name in names
        )

    def _keys_shown(self) -> Hashable:
        """What `compose` would draw: every shown binding with its state, in order, and
        the command palette's (hidden bindings draw nothing, so they do not count)."""
        if not self._bindings_ready:
            return None
        app = self.app
        active = self.screen.active_bindings
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.show,
                binding.group,
                enabled,
                tooltip,
            )
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show or (palette is not None and binding is palette[1])
        )
        return keys, self._chosen(), self.show_command_palette, app.ENABLE_COMMAND_PALETTE

    def compose(self) -> ComposeResult:
        """Textual's keys, less those that do not fit or whose situation does not hold."""
        if not self._bindings_ready:
            return
        chosen = self._chosen()
        for widget in super().compose():
            # Textual's key widgets carry the binding's key and action.
            key = getattr(widget, "key", None)
            action = getattr(widget, "action", None)
            if key is None or widget.has_class("-command-palette") or (key, action) in chosen:
                yield widget

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would come out the same as those on screen."""
        if not self.is_attached or self._held is not None:
            return
        shown = self._keys_shown()
        if shown is not None and shown == self._shown:
            return
        if shown is not None and self._restate(self._shown, shown):
            self._shown = shown
            return
        self._shown = shown
        await super().recompose()

    def _restate(self, before: Hashable, after: Hashable) -> bool:
        """Bring the keys on screen from `before` to `after` (`_keys_shown` values) in
        place, when they differ only in which keys are enabled and in tooltips; False
        when they differ in more, and the footer must be rebuilt."""
        if not isinstance(before, tuple) or not isinstance(after, tuple):
            return False
        old_keys, *old_rest = before
        new_keys, *new_rest = after
        if old_rest != new_rest or len(old_keys) != len(new_keys):
            return False
        changed: dict[tuple[str, str], tuple[bool, str, str]] = {}
        for old, new in zip(old_keys, new_keys, strict=True):
            # (key, display, action, description, show, group, enabled, tooltip)
            if old[:6] != new[:6]:
                return False
            if old[6:] != new[6:]:
                changed[(new[0], new[2])] = (new[6], new[7], new[3])
        # A key that did not fit has no widget: nothing on screen to change for it. The
        # tooltips are the ones `Footer.compose` gives each kind of key.
        for widget in self.query(FooterKey):
            state = changed.get((widget.key, widget.action))
            if state is None:
                continue
            enabled, tooltip, description = state
            widget._disabled = not enabled
            widget.set_class(not enabled, "-disabled")
            if widget.has_class("-grouped"):
                widget.tooltip = tooltip or description
            elif not widget.has_class("-command-palette"):
                widget.tooltip = tooltip or None
        return True

    def on_resize(self, event: events.Resize) -> None:
        """A new width may hold more keys, or fewer."""
        if self._bindings_ready and self._held is None:
            self.call_after_refresh(self.recompose)
