"""The commit of a function's history that introduced a problem, found by simulating versions.

The history is the commits that changed the function (``git log -L``), oldest first, ending at a
version known to show the problem. Assuming that once introduced the problem stays, a binary
search finds the oldest version showing it in ceil(log2 n) simulations; the answer is always a
pair the simulator saw: absent at the version before, present at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import CommitRef
from ._probe import Problem, Seen, Version

__all__ = ["Origin", "Walk", "find_origin"]


@dataclass
class Walk:
    """Versions of the functions along their history, made when first asked for."""

    commits: tuple[CommitRef, ...]
    """Oldest first; the last one shows every problem looked for (it is not simulated)."""
    make: Callable[[CommitRef], Version]
    floor: bool = False
    """True when the first commit is the parent of the oldest change walked: present there means
    present since before the walk (the earliest version tried), not introduced there."""
    _versions: dict[int, Version] = field(default_factory=dict)

    def version(self, index: int) -> Version:
        if index not in self._versions:
            self._versions[index] = self.make(self.commits[index])
        return self._versions[index]


@dataclass(frozen=True, slots=True)
class Origin:
    introduced_by: CommitRef | None = None
    """Absent at the version before it, present at it."""
    earliest: CommitRef | None = None
    """Present at the earliest version tried already."""
    why: str = ""


def _first_present(walk: Walk, problem: Problem, seen: Callable[[Version], Seen]) -> int | str:
    """The index of the oldest version showing ``problem``, or why it cannot be told."""
    lo, hi = 0, len(walk.commits) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        version = walk.version(mid)
        result = seen(version)
        state = result.state(problem)
        if state is None:
            return f"not analysed at {version.label}: {result.unknown[(problem[0], problem[1])]}"
        if state:
            hi = mid
        else:
            lo = mid + 1
    return lo


def find_origin(walk: Walk, problem: Problem, seen: Callable[[Version], Seen]) -> Origin:
    found = _first_present(walk, problem, seen)
    if isinstance(found, str):
        return Origin(why=found)
    version = walk.version(found)
    if found == 0 and walk.floor:
        return Origin(earliest=version.commit, why=f"present at {version.label}, the earliest version tried")
    if found == 0:
        return Origin(introduced_by=version.commit, why=f"present at {version.label}, the first commit of the tree")
    # lo only moves past a version the search saw without the problem: found - 1 was simulated.
    return Origin(introduced_by=version.commit,
                  why=f"absent at {walk.version(found - 1).label}, present at {version.label}")
