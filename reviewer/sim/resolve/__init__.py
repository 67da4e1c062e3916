"""Callees from the tree: the definitions the simulator runs for names the model does not define.

:class:`TreeSource` answers ``lookup(name)`` (a function's source), ``macro(name)`` and
``constant(name)`` (enumerators) for one tree. It reads files as a resolution needs them: the
revision's own files first, then what they include (breadth first, as the compiler would see
the declarations), then files ``git grep`` names. The includes are walked on raw text; a file
goes through pcpp (conditionals against ``[kconfig]``, in-file macro families such as
``PAGEFLAG()`` expanded) only when its text may define the name sought, once, and is cached on
disk by blob id and configuration; the names found are kept in an index per tree object id.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..._cache import _write_atomic
from ...model import FunctionImage
from ...trees._git import Git, open_repo
from ...trees._search import TreeSearch
from ...trees._synthetic import SYNTHETIC_SUBJECT
from ._pp import INTERPRETED_MACROS, expand_call, preprocess_file, strip_annotations
from ._symbols import FileSymbols, MacroDef, scan_file
from ._where import grep_patterns, may_define, raw_includes

__all__ = ["MacroDef", "ResolvedMacro", "TreeSource", "expand_call", "strip_annotations"]

GENERATED = {"NR_PAGEFLAGS": "__NR_PAGEFLAGS", "MAX_NR_ZONES": "__MAX_NR_ZONES"}
"""Constants of include/generated/bounds.h, which a build writes from kernel/bounds.c: each is
an enumerator's count that the index reads from the source instead."""
_FORMAT = 12
"""Bump when what is cached changes shape."""
_MAX_FILES = 1000
"""Files the walk of includes may visit before a resolution falls back to git grep."""
_MAX_GREPPED = 40
"""Files git grep names that one resolution may preprocess."""
_GREP_PATHS = ("include/*.h", "mm/*.c", "mm/*.h", "arch/x86/include/*.h", "kernel/*.c", "lib/*.c")
"""Where a callee of mm code is looked for when the includes do not have it."""


@dataclass(frozen=True, slots=True)
class ResolvedMacro:
    macro: MacroDef
    path: str


class TreeSource:
    """Definitions in one tree commit (the simulator's :class:`~reviewer.sim.interp.SourceLookup`)."""

    def __init__(self, repo_path: Path, commit: str, *, kconfig: Mapping[str, bool | int | str] | None = None,
                 cache_dir: Path | None = None, roots: Sequence[str] = (),
                 search: TreeSearch | None = None, base: str | None = None) -> None:
        """``search``: the run's tree search (its runner, and greps kept per tree, a revision's
        worked out from its ``base``'s); without one, the repository is opened on first use."""
        # Nothing runs until a name is looked up: a verdict taken from the cache needs no git.
        self._repo_path, self._commit = repo_path, commit
        self._search_in, self._base = search, base
        kconfig = dict(kconfig or {})
        self._kconfig = kconfig
        self._kdigest = hashlib.sha256(json.dumps(
            [sorted((k, str(v)) for k, v in kconfig.items()), sorted(INTERPRETED_MACROS)]).encode()).hexdigest()[:16]
        self._cache = cache_dir / "sim-symbols" if cache_dir is not None else None
        self._files: dict[str, tuple[FileSymbols, list[str]]] = {}
        """Preprocessed files: their symbols and lines."""
        self._visited: dict[str, str] = {}
        """Files whose includes are queued, in the order visited -> raw text ("" once preprocessed)."""
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._folders: dict[str, dict[str, str]] = {}
        self._found: dict[str, FunctionImage | None] = {}
        self._index_dirty = False
        for path in roots:
            self._enqueue(path)
        self.files_read = 0
        """Files preprocessed or loaded from the cache by this instance (for the benchmark)."""

    @cached_property
    def _git(self) -> Git:
        return self._search_in.git if self._search_in is not None else open_repo(self._repo_path)

    @cached_property
    def _tree(self) -> str:
        return self._git.out("rev-parse", f"{self._commit}^{{tree}}")

    @cached_property
    def _index(self) -> dict[str, str]:
        return self._load_index()

    @cached_property
    def _synthetic(self) -> bool:
        roots = self._git.out("rev-list", "--max-parents=0", self._commit).split()
        return bool(roots) and all(
            self._git.out("log", "-1", "--format=%s", r) == SYNTHETIC_SUBJECT for r in roots)

    # ---- the SourceLookup protocol
    def lookup(self, name: str) -> FunctionImage | None:
        if name in self._found:
            return self._found[name]
        image = None
        path = self._locate(name, "function")
        if path is not None:
            symbols, lines = self._files[path]
            start, end, _ = symbols.functions[name]
            problems: tuple[str, ...] = ()
            if self._synthetic:
                problems = (f"{path}:{start}: synthetic tree, only hunk lines are real",)
            image = FunctionImage(name=name, path=path, start_line=start, end_line=end,
                                  source="\n".join(lines[start - 1:end]) + "\n",
                                  complete=not self._synthetic, problems=problems)
        self._found[name] = image
        return image

    def macro(self, name: str) -> ResolvedMacro | None:
        path = self._locate(name, "macro")
        if path is None:
            return None
        return ResolvedMacro(self._files[path][0].macros[name], path)

    def constant(self, name: str) -> int | None:
        path = self._locate(GENERATED.get(name, name), "enum")
        return None if path is None else self._files[path][0].enums[GENERATED.get(name, name)]

    def global_type(self, name: str) -> str | None:
        """The type of ``name`` if the tree declares it as a variable at file scope."""
        path = self._locate(name, "global")
        return None if path is None else self._files[path][0].globals[name]

    def is_global(self, name: str) -> bool:
        return self.global_type(name) is not None

    def struct_layout(self, name: str) -> dict[str, str] | None:
        """member -> type of ``struct name`` as the tree defines it."""
        path = self._locate(name, "struct")
        return None if path is None else self._files[path][0].structs[name]

    def flush(self) -> None:
        """Write the name index for this tree (atomically) if resolutions added to it."""
        if self._cache is None or not self._index_dirty:
            return
        data = json.dumps({"format": _FORMAT, "names": self._index}, sort_keys=True).encode()
        _write_atomic(self._index_path(), data)
        self._index_dirty = False

    # ---- finding a name
    def _locate(self, name: str, kind: str) -> str | None:
        key = f"{kind}:{name}"
        if key in self._index:
            path = self._index[key]
            if not path:
                return None
            if self._defines(path, name, kind):
                return path
        found = self._search(name, kind)
        self._index[key] = found or ""
        self._index_dirty = True
        return found

    def _has(self, path: str, name: str, kind: str) -> bool:
        symbols = self._files[path][0]
        if kind == "function":
            entry = symbols.functions.get(name)
            return entry is not None and not entry[2]
        if kind == "macro":
            return name in symbols.macros
        if kind == "global":
            return name in symbols.globals
        if kind == "struct":
            return name in symbols.structs
        return name in symbols.enums

    def _search(self, name: str, kind: str) -> str | None:
        for path in list(self._visited):
            if self._defines(path, name, kind):
                return path
        while self._queue and len(self._visited) < _MAX_FILES:
            path = self._queue.popleft()
            if self._visit(path) and self._defines(path, name, kind):
                return path
        for path in self._grep(name, kind):
            if self._defines(path, name, kind):
                return path
        return None

    def _defines(self, path: str, name: str, kind: str) -> bool:
        """Whether ``path`` defines ``name`` as a ``kind``: preprocessed only if its text may."""
        if path not in self._files:
            if not self._visit(path):
                return False
            text = self._visited[path]
            if not may_define(text, name, kind):
                return False
            self._parse(path, text)
        return self._has(path, name, kind)

    def _grep(self, name: str, kind: str) -> list[str]:
        """Files not yet visited with a line that may define ``name`` as a ``kind``, in the
        folders mm code draws on: headers first, then .c files, a bounded number."""
        args = ["-E", *(arg for p in grep_patterns(name, kind) for arg in ("-e", p))]
        if self._search_in is not None:
            # Kept per tree (and a revision's derived from its base's): asked once per base.
            hits = self._search_in.grep(self._commit, args, paths=_GREP_PATHS, files_only=True,
                                        owner=("sim.resolve", str(_FORMAT)), base=self._base)
            paths = [h.path for h in hits]
        else:
            result = self._git.run(["grep", "-l", *args, self._tree, "--", *_GREP_PATHS], check=False)
            if result.returncode not in (0, 1):
                return []
            paths = [line.split(":", 1)[1] for line in result.stdout.decode(errors="replace").splitlines()
                     if ":" in line]
        paths.sort(key=lambda p: (not p.endswith(".h"), p))
        return [p for p in paths if p not in self._visited][:_MAX_GREPPED]

    # ---- reading files
    def _enqueue(self, path: str) -> None:
        if path not in self._queued:
            self._queued.add(path)
            self._queue.append(path)

    def _blob_id(self, path: str) -> str | None:
        """The blob at ``path``, from one listing per folder (not a process per file)."""
        folder, _, leaf = path.rpartition("/")
        if folder not in self._folders:
            entries: dict[str, str] = {}
            if not path.startswith(("/", "../")) and path != "..":
                spec = f"{self._tree}:{folder}" if folder else self._tree
                out = self._git.run(["ls-tree", "-z", spec], check=False)
                if out.returncode == 0:
                    for record in out.stdout.split(b"\0"):
                        meta, _, entry = record.partition(b"\t")
                        parts = meta.split()
                        if len(parts) == 3 and parts[1] == b"blob":
                            entries[entry.decode(errors="surrogateescape")] = parts[2].decode()
            self._folders[folder] = entries
        return self._folders[folder].get(leaf)

    def _visit(self, path: str) -> bool:
        """Queue what ``path`` includes (from its preprocessed form when the cache has it, else
        from its raw text); False when the tree has no such file."""
        if path in self._visited:
            return True
        blob = self._blob_id(path)
        if blob is None:
            return False
        cached = self._read_blob_cache(blob)
        if cached is not None:
            self._keep(path, *cached)
            self._visited[path] = ""
            includes = self._files[path][0].includes
        else:
            raw = self._git.blob(blob)
            if raw is None:
                return False
            text = raw.decode(errors="replace")
            self._visited[path] = text
            includes = raw_includes(text)
        for system, inc in includes:
            for candidate in _include_paths(path, system, inc):
                if self._blob_id(candidate) is not None:
                    self._enqueue(candidate)
                    break
        return True

    def _parse(self, path: str, raw: str) -> None:
        """Preprocess a visited ``path`` whose blob the cache lacks (``_visit`` looked), cache it
        and keep its symbols."""
        blob = self._blob_id(path)
        assert blob is not None  # visited
        text = preprocess_file(raw, path, self._kconfig)
        symbols = scan_file(text, path)
        self._write_blob_cache(blob, text, symbols)
        self._keep(path, text, symbols)
        self._visited[path] = ""  # the raw text is not needed again

    def _keep(self, path: str, text: str, symbols: FileSymbols) -> None:
        self.files_read += 1
        self._files[path] = (symbols, text.split("\n"))

    # ---- the on-disk cache
    def _index_path(self) -> Path:
        assert self._cache is not None
        return self._cache / "trees" / f"{self._tree}-{self._kdigest}.json"

    def _load_index(self) -> dict[str, str]:
        if self._cache is None:
            return {}
        try:
            raw = json.loads(self._index_path().read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict) or raw.get("format") != _FORMAT or not isinstance(raw.get("names"), dict):
            return {}
        return {str(k): str(v) for k, v in raw["names"].items()}

    def _blob_path(self, blob: str) -> Path:
        assert self._cache is not None
        return self._cache / "blobs" / f"{blob}-{self._kdigest}.json"

    def _read_blob_cache(self, blob: str) -> tuple[str, FileSymbols] | None:
        if self._cache is None:
            return None
        try:
            raw = json.loads(self._blob_path(blob).read_text())
            if raw.get("format") != _FORMAT:
                return None
            return str(raw["text"]), FileSymbols.from_json(raw["symbols"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # missing or damaged: processed again

    def _write_blob_cache(self, blob: str, text: str, symbols: FileSymbols) -> None:
        if self._cache is None:
            return
        data = json.dumps({"format": _FORMAT, "text": text, "symbols": symbols.to_json()}).encode()
        _write_atomic(self._blob_path(blob), data)


def _include_paths(current: str, system: bool, inc: str) -> list[str]:
    """Where ``#include`` finds a header in a kernel tree (x86 first for asm/)."""
    out = []
    if not system:
        out.append(posixpath.normpath(posixpath.join(posixpath.dirname(current), inc)))
    if inc.startswith("asm/"):
        out += [f"arch/x86/include/{inc}", f"include/asm-generic/{inc[4:]}"]
    out += [f"include/{inc}", f"include/uapi/{inc}"]
    return out
