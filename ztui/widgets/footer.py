"""Provides `KeyFooter`: Textual's footer, rebuilt only when the keys it shows change.

Textual's `Footer` throws away and remounts every key widget each time the screen's
bindings *may* have changed: a focus change, the terminal gaining focus, any
`refresh_bindings()`. At start-up that happens half a dozen times in a row for the same
keys, and each rebuild restyles a dozen widgets. `KeyFooter` compares what it would show
with what it shows and skips the rebuild when they are the same.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.widgets import Footer


class KeyFooter(Footer):
    """A `Footer` that recomposes only when its keys, descriptions or states differ."""

    _shown: Hashable = None

    def _keys_shown(self) -> Hashable:
        """What `compose` would draw: every visible binding with its state, in order."""
        if not self._bindings_ready:
            return None
        app = self.app
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
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )
        return keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would come out the same as those on screen."""
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
