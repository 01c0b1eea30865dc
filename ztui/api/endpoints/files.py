"""Provides the file endpoints: data backfill templates and result-file downloads.

A template is a CSV the API serves per data backfill type (docs/zuora-api.md §3); a result file
is what a finished AQuA query left behind (`GET /v1/files/{id}`, §7).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from ztui.api.endpoints.common import segment
from ztui.api.endpoints.uno import UNO
from ztui.api.errors import TransportError
from ztui.api.transport import Transport

_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def disposition_filename(header: str | None) -> str | None:
    """The file name a `Content-Disposition` header gives, without any directory part."""
    if not header:
        return None
    match = _FILENAME.search(header)
    if not match:
        return None
    name = Path(match.group(1).strip()).name
    return name or None


class FileEndpoints:
    """The file calls over one transport.

    Args:
        transport: Sends the requests.
    """

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_data_backfill_template(self, job_type: str) -> tuple[str, bytes]:
        """Download the CSV template of a data backfill `job_type`.

        Returns:
            `(filename, content)`: the name from `Content-Disposition` (or `<type>.csv`).
        """
        path = f"{UNO}/jobs/{segment(job_type, 'Job type')}/template"
        response, _ = await self._t.call("GET", path, shape="raw", accept="text/csv", answer="list")
        filename = disposition_filename(response.headers.get("Content-Disposition"))
        return filename or f"{job_type}.csv", response.content

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """Stream a result file (`GET /v1/files/{id}`) to disk.

        The bytes go to `<dest>.part` first and are renamed when complete, so a failed
        download never leaves a truncated file under the final name.

        Args:
            file_id: The batch's `fileId`.
            dest: The target file, or an existing directory (the file is then named from
                `Content-Disposition`, else after the id).

        Returns:
            The path written.
        """
        path = f"/v1/files/{segment(file_id, 'File id')}"
        response, _ = await self._t.call("GET", path, shape="raw", accept="*/*", stream=True)
        try:
            target = dest
            if await asyncio.to_thread(dest.is_dir):
                name = disposition_filename(response.headers.get("Content-Disposition"))
                target = dest / (Path(name).name if name else file_id)
            partial = target.with_name(target.name + ".part")
            handle = await asyncio.to_thread(partial.open, "wb")
            complete = False
            try:
                async for chunk in response.aiter_bytes():
                    await asyncio.to_thread(handle.write, chunk)
                complete = True
            except httpx.HTTPError as exc:
                error = TransportError(
                    f"The download broke off ({type(exc).__name__})", method="GET", path=path
                )
                self._t.record(error)
                raise error from None
            finally:
                await asyncio.to_thread(handle.close)
                if not complete:
                    # Broken off or cancelled: leave no half file behind.
                    await asyncio.to_thread(partial.unlink, missing_ok=True)
            await asyncio.to_thread(partial.replace, target)
            return target
        finally:
            await response.aclose()
