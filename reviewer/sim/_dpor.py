"""Happens-before bookkeeping for source-DPOR (Abdulla et al., JACM 2017) over one execution.

The explorer feeds every newly executed step's :class:`Footprint` to :class:`HappensBefore`,
which answers: which earlier steps are in a *race* with it (dependent, by another thread, and
not ordered through some step in between); for a race ``(i, j)``, which threads could start the
reversed sequence ``notdep(e_i).thread(e_j)`` (its *initials*); and, for blocking Systems,
whether that reversal surely stays runnable and, if it cannot, which earlier steps to try.

Happens-before sets are Python ints used as bitsets (bit ``k`` = step ``k``): executions are at
most a few thousand steps, and an OR of two ints is far cheaper than set unions.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["Footprint", "HappensBefore", "dependent"]


@dataclass(frozen=True, slots=True)
class Footprint:
    """What one step touched: the dependency relation is computed from these alone."""

    tid: int
    reads: frozenset[Hashable]  # locations only read
    writes: frozenset[Hashable]  # locations written (an atomic read-modify-write is a write)
    toggles: frozenset[int]  # other threads whose runnability this step changed
    # The step left its own thread not runnable: finished, or now waiting on a step whose
    # footprint nobody has seen. Treated as reading every location (see HappensBefore.add).
    parks: bool = False


def dependent(a: Footprint, b: Footprint) -> bool:
    """Two steps of different threads conflict: a common location with a write, or one of
    them changed whether the other's thread can run (enabling/disabling never commutes)."""
    if a.tid == b.tid:
        return True
    return (
        not a.writes.isdisjoint(b.writes)
        or not a.writes.isdisjoint(b.reads)
        or not a.reads.isdisjoint(b.writes)
        or a.tid in b.toggles
        or b.tid in a.toggles
        or (a.parks and bool(b.writes))
        or (b.parks and bool(a.writes))
    )


# Pseudo-location "thread t's runnability", as the key (_RUNNABILITY, t): read by each step of
# t, written by a step of another thread that enabled or disabled t. Keeps happens-before honest
# even when a System blocks a thread on something its next step does not report as read.
_RUNNABILITY = object()


# location -> (index of its last write or -1, indices of the reads since that write)
_Entry = tuple[int, tuple[int, ...]]


class HappensBefore:
    """Happens-before of the current execution's steps; truncatable for backtracking."""

    __slots__ = (
        "_footprint",
        "_last_of_thread",
        "_parked",
        "_pred",
        "_runnability",
        "_runnability_keys",
        "_table",
        "_thread",
        "_undo",
    )

    def __init__(self) -> None:
        self._thread: list[int] = []  # thread of step k
        self._footprint: list[Footprint] = []  # footprint of step k
        self._pred: list[int] = []  # bitset of the steps that happen before step k
        self._table: dict[Hashable, _Entry] = {}
        self._last_of_thread: dict[int, int] = {}
        self._runnability: dict[int, tuple[object, int]] = {}  # tid -> its pseudo-location
        self._runnability_keys: set[Hashable] = set()
        self._parked: list[int] = []  # the steps that parked their thread, ascending
        # per step: (previous last step of its thread, [(location, previous entry or None)])
        self._undo: list[tuple[int, list[tuple[Hashable, _Entry | None]]]] = []

    def __len__(self) -> int:
        return len(self._thread)

    def truncate(self, length: int) -> None:
        """Forget steps ``length`` and later (undo in reverse order)."""
        while len(self._thread) > length:
            tid = self._thread.pop()
            if self._footprint.pop().parks:
                self._parked.pop()
            self._pred.pop()
            previous_last, entries = self._undo.pop()
            if previous_last < 0:
                del self._last_of_thread[tid]
            else:
                self._last_of_thread[tid] = previous_last
            for location, entry in reversed(entries):
                if entry is None:
                    del self._table[location]
                else:
                    self._table[location] = entry

    def add(self, fp: Footprint) -> list[int]:
        """Append step ``j = len(self)``; return the earlier steps ``i`` in a race with it."""
        j = len(self._thread)
        tid = fp.tid
        table = self._table
        undo: list[tuple[Hashable, _Entry | None]] = []
        direct: set[int] = set()
        previous_last = self._last_of_thread.get(tid, -1)
        if previous_last >= 0:
            direct.add(previous_last)

        written: frozenset[Hashable] = fp.writes
        if fp.toggles:
            written = written | {self._runnability_of(t) for t in fp.toggles}
        parked = self._parked
        for location in written:
            entry = table.get(location)
            undo.append((location, entry))
            last_write = -1
            if entry is not None:
                last_write, reads = entry
                if last_write >= 0:
                    direct.add(last_write)
                direct.update(reads)
            if parked and parked[-1] > last_write:
                direct.update(k for k in parked if k > last_write)  # they read it too
            table[location] = (j, ())
        if fp.parks:
            # Where the parked thread waits depends on state nobody reported: make this step
            # read every location, so that it races with every write before it.
            keys = self._runnability_keys
            for location, (last_write, _) in table.items():
                if last_write >= 0 and last_write != j and location not in keys:
                    direct.add(last_write)
        # fp.reads excludes fp.writes, and a step never toggles its own thread
        for location in (*fp.reads, self._runnability_of(tid)):
            entry = table.get(location)
            undo.append((location, entry))
            if entry is None:
                table[location] = (-1, (j,))
            else:
                last_write, reads = entry
                if last_write >= 0:
                    direct.add(last_write)
                table[location] = (last_write, (*reads, j))

        pred = self._pred
        before = 0
        through = 0  # steps that happen before some direct predecessor
        for k in direct:
            before |= pred[k] | (1 << k)
            through |= pred[k]
        thread = self._thread
        races = [i for i in direct if thread[i] != tid and not (through >> i) & 1]

        thread.append(tid)
        self._footprint.append(fp)
        pred.append(before)
        self._undo.append((previous_last, undo))
        self._last_of_thread[tid] = j
        if fp.parks:
            parked.append(j)
        return races

    def _runnability_of(self, tid: int) -> tuple[object, int]:
        key = self._runnability.get(tid)
        if key is None:
            key = self._runnability[tid] = (_RUNNABILITY, tid)
            self._runnability_keys.add(key)
        return key

    def reversal(self, i: int, j: int) -> tuple[set[int], list[int]]:
        """For the race ``(i, j)``: the steps of ``notdep(e_i, E[:j])`` (between ``i`` and ``j``,
        not happening after e_i), and the threads that can start ``v = notdep . thread(e_j)``
        (source-DPOR's I_{E'}(v), E' = the first ``i`` steps): those whose first step in v has
        no happens-before predecessor inside v."""
        pred = self._pred
        thread = self._thread
        between: list[int] = []
        in_v = 0
        seen: set[int] = set()
        initials: set[int] = set()
        bit_i = 1 << i
        for k in range(i + 1, j):
            pk = pred[k]
            if pk & bit_i:
                continue  # happens after e_i: not in v
            between.append(k)
            in_v |= 1 << k
            t = thread[k]
            if t in seen:
                continue
            seen.add(t)
            if not pk & in_v:
                initials.add(t)
        last = thread[j]
        if last not in seen and not pred[j] & in_v:
            initials.add(last)
        return initials, between

    def surely_runnable_after(self, between: list[int], j: int) -> bool:
        """Whether e_j's step, runnable before the race's e_i, is sure to stay runnable after
        ``between``: its thread has no step there and none of them writes what e_j touches
        (a System's runnability depends only on what the pending step reads)."""
        fp = self._footprint[j]
        for k in between:
            other = self._footprint[k]
            if other.tid == fp.tid or fp.tid in other.toggles:
                return False
            if not other.writes.isdisjoint(fp.reads) or not other.writes.isdisjoint(fp.writes):
                return False
        return True

    def earlier_writers(self, i: int, j: int) -> list[int]:
        """For each location step j touches, the last step before ``i`` that wrote it (unless
        that is by j's own thread): where to look when e_j could not have run before e_i
        because e_i is what unblocked it (a lock release, say)."""
        fp = self._footprint[j]
        found: list[int] = []
        for location in (*fp.reads, *fp.writes):
            for k in range(i - 1, -1, -1):
                if location in self._footprint[k].writes:
                    if self._thread[k] != fp.tid:
                        found.append(k)
                    break
        return found
