"""Soundness of the partial-order reduction: on well over 1,000 seeded random programs, source-DPOR
reaches exactly the final states, histories and violations that brute force reaches, and explores
exactly one execution per Mazurkiewicz trace."""

from __future__ import annotations

import random

import pytest
from sim_explore_programs import (
    SKIP_IF,
    OpaqueProgramSystem,
    Outcome,
    Program,
    ProgramSystem,
    Trace,
    random_program,
)

from reviewer.sim.explore import Budget, Exploration, System, count_interleavings, explore


def _outcomes(
    program: Program, n_vars: int, reduction: bool, *, blocking: bool = True, opaque: bool = False
) -> tuple[Exploration, list[Outcome], list[Trace]]:
    outcomes: list[Outcome] = []
    traces: list[Trace] = []

    def record(system: System, schedule: tuple[int, ...]) -> None:
        if isinstance(system, OpaqueProgramSystem):
            system = system.inner
        assert isinstance(system, ProgramSystem)
        assert not system.runnable()
        outcomes.append(system.outcome())
        traces.append(system.trace())

    def factory() -> System:
        return OpaqueProgramSystem(program, n_vars) if opaque else ProgramSystem(program, n_vars)

    result = explore(factory, record, reduction=reduction, blocking=blocking)
    assert result.complete and result.stopped_by == ""
    assert result.executions == len(outcomes)
    return result, outcomes, traces


def _check_same(program: Program, n_vars: int) -> tuple[Exploration, Exploration, set[Outcome]]:
    brute, brute_outcomes, brute_traces = _outcomes(program, n_vars, reduction=False)
    reduced, reduced_outcomes, reduced_traces = _outcomes(program, n_vars, reduction=True)
    context = f"program={program}"
    assert {o.final_state for o in reduced_outcomes} == {o.final_state for o in brute_outcomes}, context
    assert {o.violations for o in reduced_outcomes} == {o.violations for o in brute_outcomes}, context
    # stronger: every combination of final state, per-thread histories and write orders
    assert set(reduced_outcomes) == set(brute_outcomes), context
    # strongest: every Mazurkiewicz trace is explored, and (sleep sets) exactly once
    assert set(reduced_traces) == set(brute_traces), context
    assert len(reduced_traces) == len(set(reduced_traces)), context
    assert reduced.executions <= brute.executions, context
    # a System that cannot tell finished from waiting threads: more executions, same coverage
    opaque, opaque_outcomes, opaque_traces = _outcomes(program, n_vars, True, opaque=True)
    assert set(opaque_traces) == set(brute_traces), context
    assert reduced.executions <= opaque.executions <= brute.executions, context
    return brute, reduced, set(brute_outcomes)


@pytest.mark.parametrize(
    ("seed", "count", "blocking", "cap"), [(2026, 1000, False, 800), (7, 400, True, 2000)]
)
def test_reduction_matches_brute_force(seed: int, count: int, blocking: bool, cap: int) -> None:
    rng = random.Random(seed)
    brute_total = reduced_total = 0
    with_violations = 0
    several_outcomes = 0
    for _ in range(count):
        program, n_vars = random_program(rng, blocking=blocking, max_interleavings=cap)
        brute, reduced, outcomes = _check_same(program, n_vars)
        brute_total += brute.executions
        reduced_total += reduced.executions
        with_violations += any(o.violations for o in outcomes)
        several_outcomes += len(outcomes) > 1
        if not blocking:
            # promising no blocking skips feasibility replays and changes nothing else
            promised, promised_outcomes, promised_traces = _outcomes(program, n_vars, True, blocking=False)
            assert promised.executions == reduced.executions
            assert set(promised_outcomes) == outcomes
            if not any(op.kind == SKIP_IF for ops in program for op in ops):
                # brute force itself: exactly the multinomial number of interleavings
                assert brute.executions == count_interleavings([len(ops) for ops in program])
    # the comparison is not vacuous: races, differing outcomes and violations do occur
    assert several_outcomes > count // 2
    assert with_violations > count // 20
    assert reduced_total * 3 < brute_total


def test_independent_threads_reduce_to_one_execution() -> None:
    rng = random.Random(99)
    for _ in range(100):
        program, n_vars = random_program(rng, independent=True, max_interleavings=800)
        brute, reduced, outcomes = _check_same(program, n_vars)
        assert len(outcomes) == 1
        assert reduced.executions == 1 < brute.executions


def _complete_outcomes(
    program: Program, n_vars: int, max_steps: int, reduction: bool
) -> tuple[Exploration, set[Outcome]]:
    outcomes: set[Outcome] = set()

    def record(system: object, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, ProgramSystem)
        if system.runnable():
            assert len(schedule) == max_steps  # cut by the step budget
        else:
            outcomes.add(system.outcome())

    result = explore(
        lambda: ProgramSystem(program, n_vars), record, Budget(max_steps=max_steps),
        reduction=reduction,
    )
    return result, outcomes


def test_step_budget_keeps_every_execution_that_fits() -> None:
    """With a step budget that cuts some executions, the reduction still finds every outcome
    of the executions that finish within the budget (a finished trace has the same length in
    every order, so brute force finds all of them)."""
    rng = random.Random(31)
    cut_programs = 0
    for n in range(600):
        program, n_vars = random_program(rng, blocking=n % 2 == 0)
        longest = sum(len(ops) for ops in program)
        max_steps = rng.randint(max(1, longest - 4), longest)
        brute, brute_outcomes = _complete_outcomes(program, n_vars, max_steps, reduction=False)
        reduced, reduced_outcomes = _complete_outcomes(program, n_vars, max_steps, reduction=True)
        assert reduced_outcomes == brute_outcomes, f"program={program} max_steps={max_steps}"
        assert reduced.executions <= brute.executions
        assert (brute.cut > 0) == (brute.stopped_by == "steps")
        assert (reduced.cut > 0) == (reduced.stopped_by == "steps")
        cut_programs += brute.cut > 0
    assert cut_programs > 300
