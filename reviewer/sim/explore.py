"""Every interleaving of a small concurrent program, by replay, with partial-order reduction.

:func:`explore` runs a depth-first search over schedules. It never copies a System: each
execution is a fresh ``factory()`` replayed along the recorded prefix, then extended.

With ``reduction=True`` it runs source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas,
"Source Sets: A Foundation for Optimal Dynamic Partial Order Reduction", JACM 2017, Algorithm 1)
over the steps' access footprints. That explores at least one execution of every Mazurkiewicz
trace, hence every reachable final state and every outcome of a check that is invariant under
swapping adjacent independent steps.

What a System must promise for the reduction to be sound:
  * determinism: the same schedule prefix gives the same state and the same footprints
    (replays are checked; a difference raises :class:`ExplorerError`);
  * honest footprints: a step reports every shared location its effect depends on or changes;
  * runnable(t) depends only on t's own state and on shared locations t's next step reads
    (a lock acquire reads/writes the lock).

Blocking (a thread runnable later but not now) breaks an assumption of source-DPOR: that the
second step of a race can always be moved before the first. Four additions restore it:
  * a step that disables another thread is treated as racing with that thread's pending step
    (reversed at once: the pending step may never run in this execution);
  * a step that enables or disables another thread depends on that thread's steps;
  * before reversing a race, check (by replay, unless cheaply sure) that the second thread can
    really run there; if not (an unlock before a lock), the race that matters is with the step
    that blocked it, found among the earlier writers of what the second step touches;
  * a step after which its own thread is no longer runnable may have moved it onto a step
    that waits on state nobody reported yet: it is treated as reading every location. A
    System may define ``is_finished(tid) -> bool`` to tell finished threads (no such cost)
    from waiting ones.
A System that never blocks can say so (``blocking=False``): no replays, no such reads; that is
several times faster on Systems that do not define ``is_finished``. The non-blocking part is
the published algorithm; these additions are this module's own, checked against brute force on
random programs with locks and waits (tests/test_sim_explore_soundness.py), not proven.

A step budget cuts executions. At a cut, the runnable threads' pending steps are run once on
a replay, only to find their races, so that a cut never hides the executions that fit.

What an ``on_execution`` check may look at: the final state, each thread's own history, and the
order of the accesses to any one location. It must not depend on the relative order of two
independent steps (e.g. "thread A's write to x came before thread B's write to y" in wall-clock
order); such a check is only meaningful with ``reduction=False``.

Stateful pruning (merging executions that reach the same state) is deliberately not done: it
would skip paths whose *history* an ``on_execution`` check may inspect, so a System need not
expose its state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from reviewer._errors import ReviewerError
from reviewer.sim._dpor import Footprint, HappensBefore, dependent

__all__ = [
    "Access",
    "Budget",
    "Exploration",
    "ExplorerError",
    "Location",
    "System",
    "count_interleavings",
    "explore",
]

Location: TypeAlias = Hashable  # e.g. ("page", 2, "refcount") or ("memcg", "M", "css")


@dataclass(frozen=True, slots=True)
class Access:
    location: Location
    write: bool  # False = read; an atomic RMW is a write


class System(Protocol):
    """One execution of a concurrent program. The explorer builds a fresh one (factory()) for
    every execution it replays, so System need not support copying. Steps are deterministic:
    the same schedule prefix always yields the same state."""

    def runnable(self) -> Sequence[int]:
        """Ids of threads that can step now, ascending."""
        ...

    def step(self, tid: int) -> frozenset[Access]:
        """Run ONE atomic step of thread tid; return its accesses."""
        ...


@dataclass(frozen=True, slots=True)
class Budget:
    max_executions: int = 200_000
    max_steps: int = 5_000  # per execution
    max_seconds: float = 20.0


@dataclass(frozen=True, slots=True)
class Exploration:
    executions: int  # complete executions explored (on_execution calls, cut ones included)
    complete: bool  # False when a budget stopped the search (say which in `stopped_by`)
    stopped_by: str  # "" | "executions" | "steps" | "seconds"
    seconds: float
    cut: int = 0  # executions cut at max_steps (each still passed to on_execution)
    sleep_blocked: int = 0  # partial executions dropped as redundant by sleep sets
    steps: int = 0  # System.step calls, replays included
    feasibility_replays: int = 0  # replays run only to check a race could be reversed


class ExplorerError(ReviewerError):
    """The System under exploration broke its contract (e.g. a replay diverged)."""


def count_interleavings(steps_per_thread: Sequence[int]) -> int:
    """Number of interleavings of threads with these step counts (the multinomial
    coefficient): what brute force explores when no thread ever blocks."""
    if any(n < 0 for n in steps_per_thread):
        raise ExplorerError(f"count_interleavings: negative step count in {list(steps_per_thread)}")
    count = math.factorial(sum(steps_per_thread))
    for n in steps_per_thread:
        count //= math.factorial(n)
    return count


_DEFAULT_BUDGET = Budget()


def explore(
    factory: Callable[[], System],
    on_execution: Callable[[System, tuple[int, ...]], None],
    budget: Budget = _DEFAULT_BUDGET,
    *,
    reduction: bool = True,
    blocking: bool = True,
) -> Exploration:
    """Call on_execution(final_system, schedule) once per explored maximal execution (when no
    thread is runnable). With reduction=False: plain enumeration of every interleaving (brute
    force). With reduction=True: source-DPOR with sleep sets, sound for the set of reachable
    final states and of property violations checked in on_execution (see the module notes).

    An execution cut by ``budget.max_steps`` is passed to on_execution too; there
    ``final_system.runnable()`` is not empty.

    blocking=False promises that a thread leaves runnable() only by finishing (no locks, no
    waits). The reduction then skips the blocking safeguards (module notes), which costs a
    few times more System steps when the System does not define is_finished; a System caught
    breaking the promise raises ExplorerError."""
    return _Search(factory, on_execution, budget, reduction, blocking).run()


@dataclass(slots=True)
class _Node:
    """Search state at one depth of the current execution (mutable, private to one search)."""

    enabled: tuple[int, ...]  # runnable threads in this state
    sleep: dict[int, Footprint]  # threads whose step here is covered elsewhere -> that step
    backtrack: set[int]  # threads to start a branch with from here
    done: set[int]  # threads already started from here
    explored: dict[int, Footprint]  # done thread -> footprint of its step here


_NO_THREADS: frozenset[int] = frozenset()
_CHECK_CLOCK_EVERY = 1024  # steps between clock checks inside one long execution


class _Search:
    def __init__(
        self,
        factory: Callable[[], System],
        on_execution: Callable[[System, tuple[int, ...]], None],
        budget: Budget,
        reduction: bool,
        blocking: bool,
    ) -> None:
        self._factory = factory
        self._blocking = blocking
        self._on_execution = on_execution
        self._budget = budget
        self._reduction = reduction
        self._nodes: list[_Node] = []
        self._schedule: list[int] = []
        self._accesses: list[frozenset[Access]] = []  # first run's accesses, to check replays
        self._hb = HappensBefore()
        self._executions = 0
        self._cut = 0
        self._sleep_blocked = 0
        self._steps = 0
        self._deadline = 0.0
        # accesses -> (locations only read, locations written); Systems repeat footprints a lot
        self._split: dict[frozenset[Access], tuple[frozenset[Location], frozenset[Location]]] = {}
        self._out_of_time = False
        self._feasibility_replays = 0

    def run(self) -> Exploration:
        started = time.perf_counter()
        self._deadline = started + self._budget.max_seconds
        system = self._factory()
        self._nodes.append(_Node(tuple(system.runnable()), {}, set(), set(), {}))
        forced: int | None = None
        stopped_by = ""
        while True:
            self._extend(system, forced)
            if self._out_of_time:
                stopped_by = "seconds"
                break
            branch = self._next_branch()
            if branch is None:
                break
            if self._executions >= self._budget.max_executions:
                stopped_by = "executions"
                break
            if time.perf_counter() > self._deadline:
                stopped_by = "seconds"
                break
            depth, forced = branch
            self._truncate(depth)
            system = self._replay()
        if not stopped_by and self._cut:
            stopped_by = "steps"
        return Exploration(
            executions=self._executions,
            complete=not stopped_by,
            stopped_by=stopped_by,
            seconds=time.perf_counter() - started,
            cut=self._cut,
            sleep_blocked=self._sleep_blocked,
            steps=self._steps,
            feasibility_replays=self._feasibility_replays,
        )

    # ------------------------------------------------------------------ one execution

    def _extend(self, system: System, forced: int | None) -> None:
        """Run the execution on from the end of the current prefix until no thread can run,
        the step budget cuts it, or (reduction) every runnable thread is asleep."""
        nodes = self._nodes
        schedule = self._schedule
        reduction = self._reduction
        max_steps = self._budget.max_steps
        depth = len(schedule)
        previous = schedule[-1] if schedule else -1
        while True:
            node = nodes[depth]
            if forced is not None:
                tid, forced = forced, None
            else:
                if not node.enabled:
                    self._finish(system)
                    return
                if depth >= max_steps:
                    self._cut += 1
                    self._finish(system)
                    if reduction:
                        self._race_pending(node)
                    return
                choice = _choose(node, previous)
                if choice is None:
                    self._sleep_blocked += 1
                    return
                tid = choice
                if reduction:
                    node.backtrack.add(tid)
                else:
                    node.backtrack.update(node.enabled)
            node.done.add(tid)
            accesses = system.step(tid)
            enabled_after = tuple(system.runnable())
            self._steps += 1
            schedule.append(tid)
            self._accesses.append(accesses)
            child_sleep = (
                self._record(node, self._footprint(system, tid, accesses, node.enabled, enabled_after))
                if reduction
                else {}
            )
            nodes.append(_Node(enabled_after, child_sleep, set(), set(), {}))
            depth += 1
            previous = tid
            if not depth % _CHECK_CLOCK_EVERY and time.perf_counter() > self._deadline:
                self._out_of_time = True
                return

    def _finish(self, system: System) -> None:
        self._executions += 1
        self._on_execution(system, tuple(self._schedule))

    def _record(self, node: _Node, fp: Footprint) -> dict[int, Footprint]:
        """Source-DPOR bookkeeping for the step just run from `node`; returns the child's
        sleep set."""
        tid = fp.tid
        if fp.toggles and not self._blocking:
            raise ExplorerError(
                f"explore: System blocks threads but was explored with blocking=False: step "
                f"{len(self._schedule) - 1} (thread {tid}) changed whether thread(s) "
                f"{sorted(fp.toggles)} can run"
            )
        for disabled in fp.toggles.intersection(node.enabled):
            # The disabled thread's pending step conflicts with this one, yet may never
            # appear later in this execution: reverse that race directly.
            node.backtrack.add(disabled)
        node.explored[tid] = fp

        j = len(self._hb)
        for i in self._hb.add(fp):
            self._reverse(i, j, tid)

        child_sleep = {q: f for q, f in node.sleep.items() if not dependent(f, fp)}
        for q, f in node.explored.items():
            if q != tid and not dependent(f, fp):
                child_sleep[q] = f
        return child_sleep

    def _footprint(
        self,
        system: System,
        tid: int,
        accesses: frozenset[Access],
        enabled_before: tuple[int, ...],
        enabled_after: tuple[int, ...],
    ) -> Footprint:
        split = self._split.get(accesses)
        if split is None:
            writes = frozenset(a.location for a in accesses if a.write)
            reads = frozenset(a.location for a in accesses if not a.write) - writes
            split = self._split[accesses] = (reads, writes)
        if enabled_after == enabled_before:
            return Footprint(tid, split[0], split[1], _NO_THREADS)
        toggles = frozenset(set(enabled_before).symmetric_difference(enabled_after) - {tid})
        parks = False
        if self._blocking and tid not in enabled_after:
            # Left runnable(): finished, or waiting. Only the System knows which; without
            # System.is_finished, assume it may be waiting.
            is_finished = getattr(system, "is_finished", None)
            parks = not (is_finished is not None and is_finished(tid))
        return Footprint(tid, split[0], split[1], toggles, parks)

    def _race_pending(self, node: _Node) -> None:
        """At a cut, the runnable threads' next steps never ran, so their races with the prefix
        were never seen: run each once on a fresh replay, only to reverse those races."""
        j = len(self._hb)
        for tid in node.enabled:
            if tid in node.sleep:
                continue  # its step here is covered by another branch
            system = self._replay()
            accesses = system.step(tid)
            self._steps += 1
            enabled_after = tuple(system.runnable())
            fp = self._footprint(system, tid, accesses, node.enabled, enabled_after)
            for i in self._hb.add(fp):
                self._reverse(i, j, tid)
            self._hb.truncate(j)

    def _reverse(self, i: int, j: int, tid: int) -> None:
        """Race (e_i, e_j): make sure some initial of notdep(e_i).tid is in backtrack(E[:i]).

        With blocking, that reversal may be impossible: e_j's thread would be blocked after
        notdep(e_i) and e_i is what unblocked it (an unlock before a lock). Then the real race
        is with whatever blocked it: look further back at the earlier writers of what e_j
        touches (the matching lock)."""
        pending = [i]
        examined: set[int] = set()
        while pending:
            i = pending.pop()
            if i in examined:
                continue
            examined.add(i)
            target = self._nodes[i]
            initials, between = self._hb.reversal(i, j)
            if self._blocking and not self._feasible(i, between, j, tid):
                pending.extend(self._hb.earlier_writers(i, j))
                continue
            candidates = initials.intersection(target.enabled)
            if not candidates or not candidates.isdisjoint(target.backtrack):
                continue
            awake = [t for t in candidates if t not in target.sleep]
            pool = awake or sorted(candidates)
            target.backtrack.add(tid if tid in pool else min(pool))

    def _feasible(self, i: int, between: list[int], j: int, tid: int) -> bool:
        """Can thread tid run its step after E[:i] followed by the steps `between`?"""
        if tid not in self._nodes[i].enabled and not between:
            return False
        if tid in self._nodes[i].enabled and self._hb.surely_runnable_after(between, j):
            return True
        system = self._factory()
        for k in range(i):
            system.step(self._schedule[k])
        for k in between:
            system.step(self._schedule[k])
        self._steps += i + len(between)
        self._feasibility_replays += 1
        return tid in system.runnable()

    # ------------------------------------------------------------------ backtracking

    def _next_branch(self) -> tuple[int, int] | None:
        """Deepest node with a thread still to start; pops the finished nodes above it."""
        nodes = self._nodes
        while nodes:
            node = nodes[-1]
            pending = node.backtrack - node.done
            if pending:
                pending.difference_update(node.sleep)
            if pending:
                return len(nodes) - 1, min(pending)
            nodes.pop()
        return None

    def _truncate(self, depth: int) -> None:
        del self._nodes[depth + 1 :]
        del self._schedule[depth:]
        del self._accesses[depth:]
        if self._reduction:
            self._hb.truncate(depth)

    def _replay(self) -> System:
        system = self._factory()
        for position, (tid, expected) in enumerate(zip(self._schedule, self._accesses, strict=True)):
            accesses = system.step(tid)
            if accesses != expected:
                raise ExplorerError(
                    f"explore: System is not deterministic: replaying step {position} (thread "
                    f"{tid}) touched {sorted(map(repr, accesses))}, first run touched "
                    f"{sorted(map(repr, expected))}"
                )
        self._steps += len(self._schedule)
        return system


def _choose(node: _Node, previous: int) -> int | None:
    """Next thread to run from a fresh node: keep the current thread if it may run (fewer
    context switches, fewer races to reverse), else the lowest awake one."""
    sleep = node.sleep
    if previous in node.enabled and previous not in sleep:
        return previous
    for t in node.enabled:
        if t not in sleep:
            return t
    return None
