"""The explorer on small known programs: exact execution counts, blocking, budgets, contract errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from sim_explore_programs import (
    ADD,
    AWAIT,
    CAS,
    LOCK,
    READ,
    TAS,
    UNLOCK,
    WRITE,
    Op,
    OpaqueProgramSystem,
    Program,
    ProgramSystem,
)

from reviewer._errors import ReviewerError
from reviewer.sim.explore import (
    Access,
    Budget,
    Exploration,
    ExplorerError,
    System,
    count_interleavings,
    explore,
)

_DEFAULT = Budget()


def _run(
    program: Program, n_vars: int, *, reduction: bool, budget: Budget = _DEFAULT
) -> tuple[Exploration, list[tuple[int, ...]], list[ProgramSystem]]:
    schedules: list[tuple[int, ...]] = []
    finals: list[ProgramSystem] = []

    def record(system: System, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, ProgramSystem)
        schedules.append(schedule)
        finals.append(system)

    result = explore(lambda: ProgramSystem(program, n_vars), record, budget, reduction=reduction)
    return result, schedules, finals


def _counts(program: Program, n_vars: int) -> tuple[int, int]:
    brute, brute_schedules, _ = _run(program, n_vars, reduction=False)
    reduced, _, _ = _run(program, n_vars, reduction=True)
    assert brute.complete and reduced.complete
    assert len(set(brute_schedules)) == len(brute_schedules)  # brute force never repeats itself
    return brute.executions, reduced.executions


def test_count_interleavings() -> None:
    assert count_interleavings([2, 2]) == 6
    assert count_interleavings([1, 1, 1]) == 6
    assert count_interleavings([3, 2, 1]) == 60
    assert count_interleavings([5]) == 1
    assert count_interleavings([]) == 1
    with pytest.raises(ExplorerError, match="negative"):
        count_interleavings([2, -1])


def test_independent_threads() -> None:
    program = ((Op(WRITE, 0, value=1), Op(WRITE, 0, value=2)), (Op(WRITE, 1, value=1), Op(READ, 1)))
    assert _counts(program, 2) == (6, 1)


def test_two_writers_of_one_variable() -> None:
    program = ((Op(WRITE, 0, value=1),), (Op(WRITE, 0, value=2),))
    assert _counts(program, 1) == (2, 2)
    _, _, finals = _run(program, 1, reduction=True)
    assert sorted(s.shared[0] for s in finals) == [1, 2]


def test_readers_do_not_conflict_but_a_writer_does() -> None:
    assert _counts(((Op(READ, 0),), (Op(READ, 0),)), 1) == (2, 1)
    assert _counts(((Op(READ, 0),), (Op(WRITE, 0, value=1),)), 1) == (2, 2)
    assert _counts(tuple((Op(WRITE, 0, value=t + 1),) for t in range(3)), 1) == (6, 6)
    assert _counts(tuple((Op(WRITE, t, value=1),) for t in range(3)), 3) == (6, 1)


def test_store_buffering_has_three_traces() -> None:
    # T0: x = 1; r0 = y      T1: y = 1; r1 = x
    program = (
        (Op(WRITE, 0, value=1), Op(READ, 1, local=0)),
        (Op(WRITE, 1, value=1), Op(READ, 0, local=0)),
    )
    assert _counts(program, 2) == (6, 3)
    _, _, finals = _run(program, 2, reduction=True)
    assert sorted((s.locals[0][0], s.locals[1][0]) for s in finals) == [(0, 1), (1, 0), (1, 1)]


def _section(tid: int, locked: bool) -> tuple[Op, ...]:
    body = (Op(WRITE, 0, value=tid + 1), Op(READ, 0, local=0))  # x = me; r = x
    return (Op(LOCK, 1), *body, Op(UNLOCK, 1)) if locked else body


def test_lock_serialises_critical_sections() -> None:
    locked = (_section(0, True), _section(1, True))
    unlocked = (_section(0, False), _section(1, False))
    for reduction in (False, True):
        _, _, finals = _run(locked, 2, reduction=reduction)
        assert all(s.locals[t][0] == t + 1 for s in finals for t in (0, 1))
        assert all(s.pc == [4, 4] for s in finals)
        _, _, finals = _run(unlocked, 2, reduction=reduction)
        assert any(s.locals[0][0] == 2 for s in finals)  # without the lock, T1's write interleaves
    # critical sections cannot overlap: one execution per order of the two sections
    assert _counts(locked, 2) == (2, 2)
    assert _counts(unlocked, 2) == (count_interleavings([2, 2]), 4)


def test_deadlock_is_a_final_state_in_both_modes() -> None:
    # T0 takes lock 0 then lock 1; T1 takes lock 1 then lock 0
    program = (
        (Op(LOCK, 0), Op(LOCK, 1), Op(UNLOCK, 1), Op(UNLOCK, 0)),
        (Op(LOCK, 1), Op(LOCK, 0), Op(UNLOCK, 0), Op(UNLOCK, 1)),
    )
    for reduction in (False, True):
        _, schedules, finals = _run(program, 2, reduction=reduction)
        pcs = {tuple(s.pc) for s in finals}
        assert (1, 1) in pcs  # each holds one lock and waits for the other
        assert (4, 4) in pcs
        assert all(not s.runnable() for s in finals)


def test_a_blocking_system_breaking_its_promise_is_reported() -> None:
    locked = (_section(0, True), _section(1, True))
    with pytest.raises(ExplorerError, match="blocking=False"):
        explore(lambda: ProgramSystem(locked, 2), lambda system, schedule: None, blocking=False)
    # without the promise the same program explores fine (see the lock test above)
    assert explore(lambda: ProgramSystem(locked, 2), lambda system, schedule: None).complete


def _outcomes(factory: Callable[[], System], reduction: bool) -> set[object]:
    found: set[object] = set()
    explore(factory, lambda system, schedule: found.add(_outcome(system)), reduction=reduction)
    return found


def _same_outcomes_as_brute_force(program: Program, n_vars: int) -> None:
    brute = _outcomes(lambda: ProgramSystem(program, n_vars), reduction=False)
    assert _outcomes(lambda: ProgramSystem(program, n_vars), reduction=True) == brute
    assert _outcomes(lambda: OpaqueProgramSystem(program, n_vars), reduction=True) == brute


def _outcome(system: System) -> object:
    if isinstance(system, OpaqueProgramSystem):
        system = system.inner
    assert isinstance(system, ProgramSystem)
    return system.outcome()


def test_unlock_then_lock_is_not_the_race_that_matters() -> None:
    # Found by the random stress: T2's lock raced only with T1's unlock, which cannot be
    # reversed (T2 would block); the race that matters is with T1's lock.
    program = (
        (Op(READ, 0),),
        (Op(TAS, 0), Op(LOCK, 2), Op(UNLOCK, 2)),
        (Op(CAS, 0, value=1), Op(LOCK, 2), Op(CAS, 0, value=1), Op(UNLOCK, 2)),
    )
    _same_outcomes_as_brute_force(program, 4)


def test_a_thread_waiting_forever_still_races() -> None:
    # Found by the random stress: T2 reads v1 (touched by nobody), then waits for v2 == 0
    # forever in the first execution; its wait never ran, so it had no race of its own.
    program = (
        (Op(LOCK, 3), Op(WRITE, 0, value=1), Op(ADD, 2, local=1, value=1), Op(UNLOCK, 3)),
        (Op(CAS, 2, value=2), Op(LOCK, 4), Op(UNLOCK, 4)),
        (Op(READ, 1, local=1), Op(AWAIT, 2, value=0)),
    )
    _same_outcomes_as_brute_force(program, 5)
    _, _, finals = _run(program, 5, reduction=True)
    assert {tuple(s.pc) for s in finals} == {(4, 3, 1), (4, 3, 2)}


def test_thread_runnable_only_after_another_writes() -> None:
    # message passing through a flag that T1 awaits: T1 always sees the data
    program = (
        (Op(WRITE, 0, value=2), Op(WRITE, 1, value=1)),
        (Op(AWAIT, 1, value=1), Op(READ, 0, local=1)),
    )
    for reduction in (False, True):
        result, _, finals = _run(program, 2, reduction=reduction)
        assert result.complete
        assert {s.locals[1][1] for s in finals} == {2}
    brute, reduced = _counts(program, 2)
    assert brute == 1 and reduced == 1


def test_on_execution_gets_the_final_state_of_its_schedule() -> None:
    program = (
        (Op(WRITE, 0, value=1), Op(READ, 1, local=0)),
        (Op(WRITE, 1, value=1), Op(READ, 0, local=0)),
        (Op(ADD, 0, value=2),),
    )
    _, schedules, finals = _run(program, 2, reduction=True)
    for schedule, final in zip(schedules, finals, strict=True):
        replayed = ProgramSystem(program, 2)
        for tid in schedule:
            assert tid in replayed.runnable()
            replayed.step(tid)
        assert replayed.state_key() == final.state_key()
        assert not final.runnable()


def test_no_threads_is_one_empty_execution() -> None:
    result, schedules, _ = _run((), 1, reduction=True)
    assert (result.executions, result.complete, schedules) == (1, True, [()])


def test_execution_budget_stops_the_search() -> None:
    program = tuple((Op(WRITE, 0, value=t + 1), Op(WRITE, 0, value=3)) for t in range(3))
    for reduction in (False, True):
        result, schedules, _ = _run(program, 1, reduction=reduction, budget=Budget(max_executions=5))
        assert (result.executions, result.complete, result.stopped_by) == (5, False, "executions")
        assert len(schedules) == 5
    # a budget that is exactly enough does not count as stopping the search
    result, _, _ = _run(((Op(WRITE, 0),), (Op(WRITE, 0),)), 1, reduction=True,
                        budget=Budget(max_executions=2))
    assert (result.executions, result.complete, result.stopped_by) == (2, True, "")


class _Spinner:
    """Thread 0 spins reading x until it is 1; thread 1 (if present) sets x = 1."""

    def __init__(self, with_setter: bool) -> None:
        self.x = 0
        self.done = [False, not with_setter]
        self.spins = 0

    def runnable(self) -> Sequence[int]:
        return [t for t in (0, 1) if not self.done[t]]

    def step(self, tid: int) -> frozenset[Access]:
        if tid == 1:
            self.x = 1
            self.done[1] = True
            return frozenset({Access("x", True)})
        self.spins += 1
        self.done[0] = self.x == 1
        return frozenset({Access("x", False)})


def test_step_budget_cuts_an_execution_and_says_so() -> None:
    cut_lengths: list[int] = []
    result = explore(
        lambda: _Spinner(with_setter=False),
        lambda system, schedule: cut_lengths.append(len(schedule)),
        Budget(max_steps=100),
    )
    assert (result.executions, result.cut, result.stopped_by, result.complete) == (1, 1, "steps", False)
    assert cut_lengths == [100]


def _spin_lengths(reduction: bool, max_steps: int) -> tuple[Exploration, list[int]]:
    lengths: list[int] = []
    result = explore(
        lambda: _Spinner(with_setter=True),
        lambda system, schedule: lengths.append(len(schedule)),
        Budget(max_steps=max_steps),
        reduction=reduction,
    )
    return result, lengths


def test_step_budget_with_a_setter_explores_the_rest() -> None:
    for reduction in (False, True):
        result, lengths = _spin_lengths(reduction, 20)
        # the setter runs after k = 0..18 spins (complete, k + 2 steps); cut at 20 steps:
        # 19 spins then the setter, or 20 spins
        assert result.stopped_by == "steps" and not result.complete
        assert result.cut == 2 and result.executions == 21
        assert sorted(lengths) == [*range(2, 21), 20, 20]


def test_seconds_budget_stops_the_search() -> None:
    program = tuple(tuple(Op(WRITE, 0, value=t) for _ in range(6)) for t in range(4))
    result, _, _ = _run(program, 1, reduction=False, budget=Budget(max_seconds=0.05))
    assert (result.complete, result.stopped_by) == (False, "seconds")
    assert result.seconds < 2.0
    assert 0 < result.executions < count_interleavings([6, 6, 6, 6])


def test_seconds_budget_stops_one_endless_execution() -> None:
    result = explore(
        lambda: _Spinner(with_setter=False),
        lambda system, schedule: None,
        Budget(max_steps=10**9, max_seconds=0.05),
    )
    assert (result.executions, result.complete, result.stopped_by) == (0, False, "seconds")


class _Drifting:
    """A System that breaks determinism: thread 0's footprint changes from one run to the next."""

    def __init__(self, runs: list[int]) -> None:
        runs.append(1)
        self.run = len(runs)
        self.left = [2, 1]

    def runnable(self) -> Sequence[int]:
        return [t for t in (0, 1) if self.left[t]]

    def step(self, tid: int) -> frozenset[Access]:
        self.left[tid] -= 1
        return frozenset({Access(("v", self.run if tid == 0 else 0), True)})


def test_nondeterministic_system_is_reported() -> None:
    runs: list[int] = []
    with pytest.raises(ExplorerError, match="not deterministic") as caught:
        explore(lambda: _Drifting(runs), lambda system, schedule: None, reduction=False)
    assert isinstance(caught.value, ReviewerError)
