"""Provides `keymap_warnings`: what a `[ui.keymap]` would break, for `ztui config check`.

Textual accepts any keymap silently, so a binding moved onto `q` would take quitting
away without a word. This walks the bindings of the app, every screen and every dialog
(their `BINDINGS`, by id) and says, for each entry of the keymap, when its id names no
binding, or when one of its keys is already another binding's on the same screen or an
app-wide one (which every screen has).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["keymap_warnings"]


@dataclass(frozen=True)
class _Bound:
    owner: str
    """The class the binding belongs to ("ZtuiApp", "JobListScreen", ...)."""
    binding_id: str
    keys: frozenset[str]
    description: str


def _bindings() -> tuple[list[_Bound], set[str]]:
    """Every binding with an id: of the app (`app_ids`), and of each screen and dialog."""
    from textual.binding import Binding
    from textual.screen import Screen

    import ztui.dialogs
    import ztui.screens
    from ztui.app import ZtuiApp

    for package in (ztui.screens, ztui.dialogs):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)

    def subclasses(cls: type) -> Iterator[type]:
        sub: type
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found: list[_Bound] = []
    app_ids: set[str] = set()
    owners: list[type] = [
        ZtuiApp,
        *(c for c in subclasses(Screen) if c.__module__.startswith("ztui.")),
    ]
    for owner in owners:
        for item in getattr(owner, "BINDINGS", []):
            if isinstance(item, Binding) and item.id:
                keys = frozenset(k.strip() for k in item.key.split(",") if k.strip())
                found.append(_Bound(owner.__name__, item.id, keys, item.description))
                if owner is ZtuiApp:
                    app_ids.add(item.id)
    return found, app_ids


def keymap_warnings(keymap: Mapping[str, str]) -> list[str]:
    """One sentence per problem a keymap would cause (empty when there is none)."""
    if not keymap:
        return []
    bindings, app_ids = _bindings()
    by_id = {b.binding_id: b for b in bindings}
    # What each binding ends up with once the keymap is applied.
    final = {
        b.binding_id: frozenset(k.strip() for k in keymap[b.binding_id].split(","))
        if b.binding_id in keymap
        else b.keys
        for b in bindings
    }
    warnings: list[str] = []
    for binding_id, keys in keymap.items():
        where = f"[ui.keymap] {binding_id}"
        bound = by_id.get(binding_id)
        if bound is None:
            close = difflib.get_close_matches(binding_id, list(by_id), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            warnings.append(
                f"config warning: {where}: no binding has this id.{hint} (f1 lists them)"
            )
            continue
        wanted = {k.strip() for k in keys.split(",") if k.strip()}
        for other in bindings:
            if other.binding_id == binding_id:
                continue
            same_place = other.owner == bound.owner
            app_wide = other.binding_id in app_ids or binding_id in app_ids
            if not (same_place or app_wide):
                continue
            for key in sorted(wanted & final[other.binding_id]):
                warnings.append(
                    f"config warning: {where}: key {key!r} is also {other.description!r} "
                    f"({other.binding_id}); one of them will not work"
                )
    return list(dict.fromkeys(warnings))
