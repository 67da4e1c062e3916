"""Simulator verdicts kept on disk, so a second review of the same revisions explores nothing.

A revision's verdicts depend on the images of the functions it touches, on the trees callees
are looked up in, on the simulator's settings and the kconfig, on the scenario files and on the
tool's own code. The key holds all of them: the revision's and the base's tree object ids,
a digest of the inputs, and as the version a digest of every source file of the ``reviewer``
package and of the configured scenario folders (any change to the tool recomputes). Verdicts
whose search stopped at a budget are not kept: a quieter machine may finish it.

They live beside the tree facts (:class:`reviewer.trees.FactStore`), as JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._config import SimulatorConfig
from .model import SimVerdict, TouchedFunction
from .trees import FactKey, FactStore

__all__ = ["SimulationKey", "remembered_simulation"]

_OWNER = "simulator"
_BUDGET = "budget-exceeded"
_PACKAGE = Path(__file__).resolve().parent

Verdicts = tuple[tuple[SimVerdict, ...], tuple[SimVerdict, ...]]
"""(the revision's verdicts, the base's)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SimulationKey:
    """What one revision's simulation depends on."""

    revision_id: str
    base_id: str
    functions: tuple[TouchedFunction, ...]
    base: str
    """The base commit (the revision's pre-images and callees)."""
    commit: str
    """The revision's commit (its post-images and callees)."""
    config: SimulatorConfig
    kconfig: tuple[tuple[str, str], ...]

    def fact(self) -> FactKey:
        inputs = json.dumps([self.revision_id, self.base_id, self.base,
                             [_plain(f) for f in self.functions], _plain(self.config),
                             self.kconfig], default=str, sort_keys=True)
        digest = hashlib.sha256(inputs.encode(errors="surrogateescape")).hexdigest()
        return FactKey(self.commit, _OWNER, _code_version(self.config.scenario_dirs),
                       ("verdicts", digest))


def remembered_simulation(store: FactStore, key: SimulationKey,
                          simulate: Callable[[], Verdicts]) -> Verdicts:
    """The kept verdicts for ``key``, else ``simulate()``'s (kept unless a budget stopped it)."""
    fact = key.fact()
    stored = store.get(fact)
    if stored is not None:
        try:
            return (_verdicts(stored["revision"]), _verdicts(stored["base"]))
        except (KeyError, TypeError, ValueError):
            pass  # written by another shape of the model: worked out again below
    revision, base = simulate()
    if not any(v.property == _BUDGET for sv in (*revision, *base) for v in sv.violations):
        store.put(fact, {"revision": [_plain(v) for v in revision], "base": [_plain(v) for v in base]})
    return revision, base


@functools.lru_cache(maxsize=4)
def _code_version(scenario_dirs: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    files = sorted(_PACKAGE.rglob("*.py")) + sorted(_PACKAGE.rglob("*.toml"))
    for folder in scenario_dirs:
        files += sorted(Path(folder).glob("*.toml"))
    for path in files:
        h.update(str(path).encode(errors="surrogateescape") + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"(unreadable)")
    return h.hexdigest()


def _plain(value: Any) -> Any:
    """A dataclass value as JSON data (enums by value, tuples as lists, paths as text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _verdicts(data: Iterable[Any]) -> tuple[SimVerdict, ...]:
    return tuple(_decode(SimVerdict, item) for item in data)


_PLAIN = frozenset({int, str, bool, float})
"""Types JSON gives back as they were (trace steps are made of them: the bulk of the data)."""


@functools.cache
def _fields(kind: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass's fields with their annotations evaluated (once: evaluating them is slow)."""
    hints = typing.get_type_hints(kind)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))


def _decode(kind: Any, value: Any) -> Any:
    """``value`` (JSON data) as an instance of the type ``kind``, following its annotations."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise TypeError(f"{kind.__name__}: not an object")
        return kind(**{name: value[name] if hint in _PLAIN else _decode(hint, value[name])
                       for name, hint in _fields(kind) if name in value})
    if origin is tuple:
        if not isinstance(value, Sequence):
            raise TypeError("not a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(value) if args[0] in _PLAIN else tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _decode(next(a for a in args if a is not type(None)), value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind in (int, str, bool, float) and not isinstance(value, kind):
        raise TypeError(f"not a {kind.__name__}")
    return value
