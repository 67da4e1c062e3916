"""Simulate one version of a revision's functions, and say which problems it shows.

A version runs through :func:`~reviewer.sim.simulate_revision` as the "revision" side, with the
revision's base as the base side: the pipeline already simulated that base with the same
scenarios, configurations and budgets, so the base side is answered from the shared
:class:`~reviewer.sim.SimCache` and each version costs one simulation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .._config import Config
from ..model import CommitRef, FunctionImage, SimConfig, Status, TouchedFunction, Violation
from ..sim import SimCache, SourceLookup, simulate_revision
from ..sim.simulate import identity

__all__ = ["BUDGET_EXCEEDED", "Cell", "Problem", "Prober", "Seen", "Version"]

Cell = tuple[str, SimConfig]
"""(scenario, configuration)."""
Problem = tuple[str, SimConfig, tuple[str, str]]
"""(scenario, configuration, the violation's identity as the simulator compares them)."""

BUDGET_EXCEEDED = "budget-exceeded"


@dataclass(frozen=True, slots=True)
class Version:
    """The revision's functions as they were somewhere in history."""

    label: str
    """How the reader knows it: a short hex, or ``the posting's pre-image``."""
    images: tuple[tuple[str, FunctionImage | None], ...]
    """(function name, its source there; None when it did not exist), for each function of the
    revision's base."""
    commit: CommitRef | None = None
    """The tree commit it is read from (callees are then looked up there too)."""

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name, image in self.images if image is None)

    def digest(self) -> str:
        h = hashlib.sha256()
        for name, image in sorted(self.images, key=lambda item: item[0]):
            h.update(f"{name}\0{image.path}\0{image.start_line}\0{image.source}\0".encode() if image else
                     f"{name}\0-\0".encode())
        h.update((self.commit.sha if self.commit else "").encode())
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Seen:
    """What one version shows, per scenario x configuration."""

    present: Mapping[Cell, Mapping[tuple[str, str], Violation]]
    unknown: Mapping[Cell, str]
    """Cells the simulator could not settle (not analysed, budget exceeded), with the reason."""

    def state(self, problem: Problem) -> bool | None:
        """True present, False absent, None unknown."""
        cell = (problem[0], problem[1])
        if cell in self.unknown:
            return None
        return problem[2] in self.present.get(cell, {})

    def violation(self, problem: Problem) -> Violation | None:
        return self.present.get((problem[0], problem[1]), {}).get(problem[2])


def _absent() -> Seen:
    return Seen({}, {})


@dataclass
class Prober:
    """Simulates versions of one revision's functions, each at most once per review."""

    cfg: Config
    revision_id: str
    functions: tuple[TouchedFunction, ...]
    """The revision's touched functions (their pre-images are the base; one the revision adds
    has no history and is left out of every version)."""
    base_id: str
    base_lookup: SourceLookup | None
    sim_cache: SimCache
    lookup_at: Callable[[str], SourceLookup] | None = None
    """A callee lookup for a tree commit (None: versions use the base's callees)."""
    memo: dict[str, Seen] = field(default_factory=dict)
    """What versions showed, shared by the probers of one review: whether a problem is present
    in a version does not depend on the revision asking."""
    asked: set[str] = field(default_factory=set)
    """The versions this prober was asked about, simulated or found in the memo."""

    def _key(self, version: Version) -> str:
        # A version read from no commit takes its callees from this revision's base.
        return version.digest() if version.commit is not None else f"{self.base_id}\0{version.digest()}"

    def seen(self, version: Version) -> Seen:
        key = self._key(version)
        self.asked.add(key)
        if key not in self.memo:
            self.memo[key] = self._simulate(version)
        return self.memo[key]

    def peek(self, version: Version) -> Seen | None:
        """What ``version`` showed, if it was simulated (never simulates)."""
        return self.memo.get(self._key(version))

    def _simulate(self, version: Version) -> Seen:
        if version.missing:
            # The function did not exist there: nothing in it can be present.
            return _absent()
        images = dict(version.images)
        lookup = self.base_lookup
        if version.commit is not None and self.lookup_at is not None:
            lookup = self.lookup_at(version.commit.sha)
        functions = [TouchedFunction(f.name, f.path, f.pre, images[f.name]) for f in self.functions
                     if f.pre is not None]
        result = simulate_revision(
            f"{self.revision_id}@{version.label}", functions, base_id=self.base_id,
            post_lookup=lookup, pre_lookup=self.base_lookup, config=self.cfg.simulator,
            kconfig=self.cfg.kconfig_map, cache=self.sim_cache,
        )
        present: dict[Cell, dict[tuple[str, str], Violation]] = {}
        unknown: dict[Cell, str] = {}
        for verdict in result.revision:
            cell = (verdict.scenario, verdict.config)
            if verdict.outcome == "not-analysed":
                unknown[cell] = verdict.reason or "not analysed"
                continue
            for v in verdict.violations:
                if v.property == BUDGET_EXCEEDED:
                    unknown[cell] = v.detail
                elif v.status is not Status.FIXED:
                    present.setdefault(cell, {}).setdefault(identity(v), v)
        return Seen(present, unknown)
