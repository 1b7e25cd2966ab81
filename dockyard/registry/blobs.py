"""The content-addressed blob store on disk, shared by every repository, account and region.

Layout under the data folder: ``blobs/sha256/<2 hex>/<64 hex>`` for verified content and ``uploads/<uuid>`` for
uploads in progress. An upload is hashed as it is written; only when the digest matches is it renamed into place,
so a reader never sees a partial or corrupt blob, and two uploads of the same content simply race to rename
identical bytes. Everything streams in fixed-size chunks: memory does not grow with the blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
READ_CHUNK = 1 << 20
# An upload nobody has written to for this long is abandoned (docker never resumes one): its file is removed.
UPLOAD_IDLE_LIMIT = 3600.0


class DigestMismatch(Exception):
    """The uploaded bytes do not hash to the digest the client named."""


@dataclass
class Upload:
    """An upload session: a temporary file, its running hash and who it belongs to."""

    id: str
    path: Path
    owner: Any  # the (account, region, repository) it was started for
    size: int = 0
    touched: float = field(default_factory=time.monotonic)
    _hash: Any = field(default_factory=hashlib.sha256)

    def write(self, chunk: bytes) -> None:
        with self.path.open("ab") as out:
            out.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)
        self.touched = time.monotonic()

    async def write_stream(self, chunks: AsyncIterator[bytes]) -> None:
        """Appends a streamed body; the file stays open for the whole request."""
        with self.path.open("ab") as out:
            async for chunk in chunks:
                out.write(chunk)
                self._hash.update(chunk)
                self.size += len(chunk)
        self.touched = time.monotonic()

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs" / "sha256"
        self._uploads_dir = root / "uploads"
        self._blobs.mkdir(parents=True, exist_ok=True)
        # Uploads left by a previous run are garbage: nothing refers to them any more.
        shutil.rmtree(self._uploads_dir, ignore_errors=True)
        self._uploads_dir.mkdir(parents=True, exist_ok=True)
        self.uploads: dict[str, Upload] = {}

    def path(self, digest: str) -> Path:
        hexdigest = digest.split(":", 1)[1]
        return self._blobs / hexdigest[:2] / hexdigest

    def size(self, digest: str) -> int | None:
        """The blob's size, or None when the store does not hold it."""
        if not DIGEST.match(digest):
            return None
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def exists(self, digest: str) -> bool:
        return self.size(digest) is not None

    # -- uploads -------------------------------------------------------------------------------------------

    def start(self, owner: Any) -> Upload:
        now = time.monotonic()
        for stale in [u for u in self.uploads.values() if now - u.touched > UPLOAD_IDLE_LIMIT]:
            self.cancel(stale)
        upload_id = str(uuid.uuid4())
        upload = Upload(upload_id, self._uploads_dir / upload_id, owner)
        upload.path.touch()
        self.uploads[upload_id] = upload
        return upload

    def cancel(self, upload: Upload) -> None:
        self.uploads.pop(upload.id, None)
        upload.path.unlink(missing_ok=True)

    def commit(self, upload: Upload, digest: str) -> int:
        """Moves a finished upload into place if it hashes to ``digest``; the session ends either way."""
        self.uploads.pop(upload.id, None)
        if upload.digest != digest:
            upload.path.unlink(missing_ok=True)
            raise DigestMismatch(upload.digest)
        target = self.path(digest)
        target.parent.mkdir(exist_ok=True)
        os.replace(upload.path, target)
        return upload.size

    def wipe(self) -> None:
        """Drops every upload and blob (a reset leaves no repository that could refer to them)."""
        for upload in list(self.uploads.values()):
            self.cancel(upload)
        shutil.rmtree(self._blobs, ignore_errors=True)
        self._blobs.mkdir(parents=True, exist_ok=True)

    # -- reads ---------------------------------------------------------------------------------------------

    async def read(self, digest: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start``..``end`` (inclusive) of a blob, a chunk at a time."""
        with self.path(digest).open("rb") as blob:
            blob.seek(start)
            remaining = (end + 1 - start) if end is not None else None
            while remaining is None or remaining > 0:
                chunk = blob.read(READ_CHUNK if remaining is None else min(READ_CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
