"""Provides `FileStore`: downloadable files (uploads, results, AQuA output) with expiry.

A seeded scenario of 50,000 jobs names tens of thousands of files that nobody downloads,
so a file can be registered as a `FileSource`: the job (or batch) it belongs to, which
describes it only when it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class FileSource(Protocol):
    """Something that can describe the files it registered, when one is asked for."""

    def stored_file(self, file_id: str) -> StoredFile:
        """The file `file_id` (one this source registered)."""
        ...


@dataclass(eq=False, slots=True)
class StoredFile:
    """One downloadable file. The bytes are made on first download (cheap seeding)."""

    file_id: str
    name: str
    media_type: str
    created_at: float
    producer: Callable[[], bytes]
    data: bytes | None = None

    def content(self) -> bytes:
        """The file bytes, produced once."""
        if self.data is None:
            self.data = self.producer()
        return self.data


class FileStore:
    """Files by id. A file older than the TTL is gone (404), as Zuora purges them."""

    def __init__(self) -> None:
        """Start empty."""
        self._files: dict[str, StoredFile | FileSource] = {}

    def add(
        self,
        file_id: str,
        name: str,
        media_type: str,
        created_at: float,
        producer: Callable[[], bytes],
    ) -> StoredFile:
        """Register a file whose bytes `producer` makes on demand."""
        stored = StoredFile(file_id, name, media_type, created_at, producer)
        self._files[file_id] = stored
        return stored

    def add_source(self, file_id: str, source: FileSource) -> None:
        """Register a file that `source` describes when it is first asked for."""
        self._files[file_id] = source

    def get(self, file_id: str, now: float, ttl: float) -> StoredFile | None:
        """The live file with that id, or None when unknown or expired."""
        entry = self._files.get(file_id)
        if entry is None:
            return None
        if isinstance(entry, StoredFile):
            stored = entry
        else:
            stored = self._files[file_id] = entry.stored_file(file_id)
        if now - stored.created_at > ttl:
            # Expired files are purged for good, like Zuora's 3-day result files.
            del self._files[file_id]
            return None
        return stored

    def __len__(self) -> int:
        return len(self._files)
