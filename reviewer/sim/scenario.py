"""Scenarios as data: ``scenarios/*.toml`` files whose thread bodies are C snippets.

A scenario file holds ``name``, ``description``, ``exercises`` (the functions whose change makes
the scenario relevant), a ``[setup]`` snippet run to completion before the threads start (extra
references), ``[[thread]]`` tables with ``name`` and ``code``, and optionally ``compound`` and
``kmem`` (lists of true/false) to restrict the configurations it runs in. Snippets see ``page`` (the
first page of the allocation), ``order`` and ``gfp`` (the allocation's flags); the allocation
itself (order, __GFP_COMP, __GFP_ACCOUNT) comes from the configuration being simulated.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import FunctionImage
from ._errors import ScenarioError

__all__ = ["BUILTIN_DIR", "HARNESS_EXERCISES", "Scenario", "Snippet", "load_scenarios", "snippet"]

BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"
_SIGNATURE = "void {name}(struct page *page, unsigned int order, gfp_t gfp)"
HARNESS_EXERCISES = frozenset({"__memcg_kmem_charge_page"})
"""What every scenario runs before its threads: the allocation's kmem charge (§3) in the kmem
configurations, so a revision of it is simulated by every scenario."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """One C snippet of a scenario, wrapped as a function so the interpreter can run it."""

    name: str
    image: FunctionImage
    """``void <name>(struct page *page, unsigned int order, gfp_t gfp) { <code> }`` with line
    numbers of the scenario file."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    exercises: tuple[str, ...]
    setup: Snippet | None
    threads: tuple[Snippet, ...]
    file: str
    """How traces cite it: ``scenarios/<file>.toml``."""
    digest: str
    """sha256 of the file, for caches."""
    compound: tuple[bool, ...] = (False, True)
    """Which allocations the scenario makes sense for (``compound = [false]`` in the file)."""
    kmem: tuple[bool, ...] = (False, True)
    judge_leaks: bool = True
    """False for a generic harness: it does not know which references the function owns, so a
    page still allocated (and its charge and css reference) at the end is not a leak there."""
    note: str = ""
    """Said with every verdict of the scenario (a generic harness says it is one)."""


def load_scenarios(dirs: Sequence[Path] = ()) -> tuple[Scenario, ...]:
    """The built-in scenarios, then those in ``dirs``; a later file with the same name wins."""
    found: dict[str, Scenario] = {}
    for folder in (BUILTIN_DIR, *dirs):
        if not folder.is_dir():
            raise ScenarioError(f"{folder}: scenario directory does not exist")
        for path in sorted(folder.glob("*.toml")):
            scenario = _load(path, f"{folder.name}/{path.name}")
            found[scenario.name] = scenario
    return tuple(found.values())


def _load(path: Path, cite: str) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    name = _str(raw, "name", path)
    exercises = raw.get("exercises", [])
    if not isinstance(exercises, list) or not all(isinstance(e, str) for e in exercises) or not exercises:
        raise ScenarioError(f"{path}: exercises must be a non-empty list of function names")
    threads_raw = raw.get("thread", [])
    if not isinstance(threads_raw, list) or not threads_raw:
        raise ScenarioError(f"{path}: a scenario needs at least one [[thread]]")
    search_from = 0
    setup = None
    if "setup" in raw:
        setup, search_from = snippet(raw["setup"], "setup", text, search_from, path, cite)
    threads = []
    for i, table in enumerate(threads_raw):
        if not isinstance(table, dict):
            raise ScenarioError(f"{path}: [[thread]] {i + 1} is not a table")
        thread, search_from = snippet(table, _str(table, "name", path), text, search_from, path, cite)
        threads.append(thread)
    return Scenario(
        compound=_flags(raw, "compound", path),
        kmem=_flags(raw, "kmem", path),
        name=name,
        description=str(raw.get("description", "")),
        exercises=tuple(exercises),
        setup=setup,
        threads=tuple(threads),
        file=cite,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def _flags(raw: dict[str, Any], key: str, path: Path) -> tuple[bool, ...]:
    value = raw.get(key, [False, True])
    if not isinstance(value, list) or not value or not all(isinstance(v, bool) for v in value):
        raise ScenarioError(f"{path}: `{key}` must be a non-empty list of true/false")
    return tuple(value)


def _str(table: dict[str, Any], key: str, path: Path) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{path}: `{key}` must be a non-empty string")
    return value


def snippet(table: Any, name: str, text: str, search_from: int, path: Path, cite: str) -> tuple[Snippet, int]:
    if not isinstance(table, dict) or not isinstance(table.get("code"), str):
        raise ScenarioError(f"{path}: {name}: `code` must be a string of C statements")
    code: str = table["code"]
    # the first code line's position in the file gives the line numbers traces cite
    first = next((line for line in code.split("\n") if line.strip()), "")
    at = text.find(first, search_from) if first else -1
    line = text.count("\n", 0, at) + 1 if at >= 0 else 1
    fn_name = "__scenario_" + "".join(c if c.isalnum() else "_" for c in name)
    lines = [_SIGNATURE.format(name=fn_name), "{", *code.lstrip("\n").rstrip().split("\n"), "}"]
    start = line - 2  # row 2 of the wrapper is the code's first line
    image = FunctionImage(name=fn_name, path=cite, start_line=start, end_line=start + len(lines) - 1,
                          source="\n".join(lines) + "\n")
    return Snippet(name=name, image=image), (at + len(first) if at >= 0 else search_from)
