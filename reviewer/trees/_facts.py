"""Tree-wide facts kept on disk: computed once per tree, read back by every later review.

A fact is any JSON value a check (or the tree stage) worked out from a whole tree: the lines a
``git grep`` found, what checkpatch.pl said of a patch against that tree. It is keyed by the
tree *object* id (two commits with the same content share their facts), the owner (a check id),
the owner's version (the check file's sha256, so an edited check recomputes only its own facts)
and the question asked. Layout under ``cfg.cache.dir``::

    trees/<tree id[:2]>/<tree id>/<sha256(owner, version, question)>.json

Files are written to a temporary name and renamed, so a reader (or a second reviewer process)
sees a whole answer or none. A file that cannot be read or does not answer its own key is
treated as missing and recomputed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._cache import _write_atomic

__all__ = ["FactKey", "FactStore"]


@dataclass(frozen=True, slots=True)
class FactKey:
    tree: str
    """The tree object id the fact is about."""
    owner: str
    """Who asks: a check id, or a stage of the tool (``trees/lookup``)."""
    version: str
    """The owner's version: a changed owner never reads the old owner's facts."""
    question: tuple[str, ...]

    def as_list(self) -> list[Any]:
        return [self.tree, self.owner, self.version, list(self.question)]


@dataclass
class FactStore:
    """Facts in memory for this run, and on disk under ``root`` (None: memory only)."""

    root: Path | None
    _memory: dict[FactKey, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _path(self, key: FactKey) -> Path | None:
        if self.root is None:
            return None
        name = hashlib.sha256(
            json.dumps([key.owner, key.version, list(key.question)]).encode(
                "utf-8", "surrogateescape"
            )
        ).hexdigest()
        return self.root / key.tree[:2] / key.tree / f"{name}.json"

    def get(self, key: FactKey) -> Any | None:
        """The stored value, or None when this fact was never worked out."""
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        path = self._path(key)
        if path is None:
            return None
        try:
            stored = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != key.as_list():
            return None
        value = stored.get("value")
        with self._lock:
            self._memory[key] = value
        return value

    def put(self, key: FactKey, value: Any) -> None:
        with self._lock:
            self._memory[key] = value
        path = self._path(key)
        if path is None:
            return
        data = json.dumps({"key": key.as_list(), "value": value}, separators=(",", ":"))
        # An unwritable cache costs time next run, never this run's answer.
        with contextlib.suppress(OSError):
            _write_atomic(path, data.encode("utf-8", "surrogateescape"))
