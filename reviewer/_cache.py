"""reviewer's on-disk cache of fetched threads and lore search answers.

Layout under ``cfg.cache.dir``::

    threads/<sha256(msgid)>.mbox     the thread, mboxrd, as fetched for that Message-ID
    threads/<sha256(msgid)>.json     {"source", "root", "fetched"}: what the mbox answers
    ids/<sha256(msgid)>              the key of the thread file holding msgid (any message of it)
    search/<sha256(server, query)>.mbox   a lore search answer (other versions)
    liblore/                         liblore's own cache, ours so --refresh and --offline hold

A cached thread is used until ``--refresh`` fetches it again (replies that arrived since are not
seen before that): re-opening a thread is instant and works offline.

Every write goes to a temporary file in the same directory, then ``os.replace``: a reader (or a
second reviewer process) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._errors import FetchError

__all__ = ["CachedThread", "ThreadCache"]


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True, slots=True)
class CachedThread:
    mbox: bytes
    root: str | None
    source: str
    fetched: float
    """Unix time of the fetch."""


@dataclass(frozen=True, slots=True)
class ThreadCache:
    """The cache rooted at ``root`` (``cfg.cache.dir``). Holds no state besides the path."""

    root: Path

    @property
    def liblore_dir(self) -> Path:
        path = self.root / "liblore"
        self._mkdir(path)
        return path

    def _mkdir(self, path: Path) -> None:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FetchError(f"{path}: cannot create cache directory: {exc.strerror}") from exc

    def _thread_path(self, key: str) -> Path:
        return self.root / "threads" / f"{key}.mbox"

    def get_thread(self, message_id: str) -> CachedThread | None:
        """The cached thread holding ``message_id`` (as fetched, or as one of its messages)."""
        key = _key(message_id)
        path = self._thread_path(key)
        if not path.is_file():
            alias = self.root / "ids" / key
            try:
                path = self._thread_path(alias.read_text().strip())
            except OSError:
                return None
        try:
            mbox = path.read_bytes()
            meta = json.loads(path.with_suffix(".json").read_text())
        except (OSError, ValueError):
            return None
        return CachedThread(
            mbox=mbox,
            root=meta.get("root"),
            source=str(meta.get("source", "")),
            fetched=float(meta.get("fetched", 0.0)),
        )

    def put_thread(
        self, message_id: str, mbox: bytes, *, root: str | None, source: str,
        member_ids: Iterable[str] = (),
    ) -> None:
        """Store the thread fetched for ``message_id``; ``member_ids`` find it too."""
        key = _key(message_id)
        path = self._thread_path(key)
        meta = {"source": source, "root": root, "fetched": time.time(), "message_id": message_id}
        try:
            _write_atomic(path, mbox)
            _write_atomic(path.with_suffix(".json"), json.dumps(meta, indent=1).encode())
            for member in member_ids:
                mkey = _key(member)
                if mkey != key:
                    _write_atomic(self.root / "ids" / mkey, key.encode())
        except OSError as exc:
            raise FetchError(f"{self.root}: cannot write cache: {exc.strerror}") from exc

    def get_search(self, server: str, query: str) -> bytes | None:
        try:
            return (self.root / "search" / f"{_key(server, query)}.mbox").read_bytes()
        except OSError:
            return None

    def put_search(self, server: str, query: str, mbox: bytes) -> None:
        try:
            _write_atomic(self.root / "search" / f"{_key(server, query)}.mbox", mbox)
        except OSError as exc:
            raise FetchError(f"{self.root}: cannot write cache: {exc.strerror}") from exc
