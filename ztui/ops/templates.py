"""Provides data-backfill templates: the per-profile cache, the header, saving a copy.

Templates differ per tenant (docs/zuora-api.md §3), so the cache is per profile.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient

__all__ = ["load_template", "save_template", "template_cache_path", "template_header"]

log = logging.getLogger("ztui.ops.templates")


def template_cache_path(profile: str, job_type: str) -> Path:
    """Where the template of `job_type` is cached for `profile` (under the cache dir)."""
    from ztui.core.paths import cache_dir

    safe_profile = re.sub(r"[^A-Za-z0-9_.-]", "_", profile) or "default"
    safe_type = re.sub(r"[^A-Za-z0-9_.-]", "_", job_type)
    return cache_dir() / "templates" / safe_profile / f"{safe_type}.csv"


def template_header(content: bytes) -> list[str]:
    """The header row of a template CSV (BOM and line ending removed)."""
    text = content.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text else ""
    return next(csv.reader([first]), [])


async def load_template(
    client: ZuoraClient, profile: str, job_type: str, *, refresh: bool = False
) -> tuple[str, bytes]:
    """The template of a data-backfill type: from the per-profile cache, else the API.

    Templates differ per tenant, so the cache is per profile. A fetched template is
    written to the cache; a cache that cannot be written is only logged.

    Returns:
        `(filename, content)`.

    Raises:
        ApiError: The template is not cached and could not be fetched.
    """
    path = template_cache_path(profile, job_type)
    if not refresh:
        try:
            return f"{job_type}.csv", await asyncio.to_thread(path.read_bytes)
        except OSError:
            pass
    filename, content = await client.get_data_backfill_template(job_type)

    def store() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)

    try:
        await asyncio.to_thread(store)
    except OSError as exc:
        log.warning("could not cache the %s template: %s", job_type, exc)
    return filename, content


def save_template(content: bytes, folder: Path, filename: str) -> Path:
    """Write a template into `folder` without overwriting anything; returns the file.

    An existing `X.csv` leads to `X (1).csv`, `X (2).csv`...

    Raises:
        OSError: The folder cannot be written.
    """
    name = Path(filename).name or "template.csv"
    stem, suffix = Path(name).stem, Path(name).suffix or ".csv"
    target = folder / f"{stem}{suffix}"
    n = 0
    while True:
        try:
            with target.open("xb") as handle:  # "x": never overwrite the user's file
                handle.write(content)
            return target
        except FileExistsError:
            n += 1
            target = folder / f"{stem} ({n}){suffix}"
