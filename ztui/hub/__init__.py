"""Provides team watching: one watcher per tenant (`ztui serve`), any number of viewers.

- `ztui.hub.protocol`: the versioned JSON a hub sends (snapshots, job details, errors,
  outcomes of writes) and the checks a viewer applies on receipt (`HubProtocolError`);
  `ztui.hub.fields` holds the per-field checks, `ztui.hub.creates` the create messages.
- `ztui.hub.state`: the hub itself: one `JobPoller` for the profile, the latest snapshot
  shared with every subscriber, the read cache, and the writes a viewer may ask for.
- `ztui.hub.server`: the Starlette app serving it (`build_app`), the token check, and
  `HubServer`, which runs it under uvicorn.
- `ztui.hub.auth`: the hub's token file.
- `ztui.hub.client`: the viewer's side: `HubLink` (HTTP to the hub), `HubFeed` (the
  watcher stand-in fed by the hub's server-sent events) and `HubAccess` (reads and writes
  through the hub).

No module here imports Textual: `ztui --hub URL` is the app fed by `HubFeed`.
"""

from __future__ import annotations

from typing import Final

DEFAULT_PORT: Final = 8765
"""The port `ztui serve` listens on unless `--port` says otherwise."""

DEFAULT_HOST: Final = "127.0.0.1"
"""The address `ztui serve` binds unless `--host` says otherwise: loopback only."""

VIEWER_HEADER: Final = "X-Ztui-Viewer"
"""The header a viewer names itself in (`user@host`), recorded with each write it asks for."""
