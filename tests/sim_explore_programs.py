"""Small random shared-memory programs run as explorer Systems (used by tests/test_sim_explore*.py).

A program is a tuple of threads; a thread is a tuple of :class:`Op`. Each op is one atomic step.
The System records what a reduction must preserve: the final state, every thread's own history
of observed values, and the order of the writes to every variable.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from reviewer.sim.explore import Access, count_interleavings

N_LOCALS = 2

# kinds of ops; "lock"/"await" can block the thread
READ, WRITE, WRITE_LOCAL, ADD, TAS, CAS, SKIP_IF = "read", "write", "write_local", "add", "tas", "cas", "skip_if"
LOCK, UNLOCK, AWAIT = "lock", "unlock", "await"


@dataclass(frozen=True, slots=True)
class Op:
    kind: str
    var: int = 0
    local: int = 0
    value: int = 0  # constant written / added / awaited / compared against
    expect: int = 0  # CAS expected value


Program = tuple[tuple[Op, ...], ...]
Trace = frozenset[tuple[Hashable, tuple[tuple[tuple[int, int] | None, frozenset[tuple[int, int]]], ...]]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything about one execution that is invariant under reordering independent steps."""

    final_state: Hashable
    histories: tuple[tuple[tuple[int, int, int], ...], ...]  # per thread: (pc, var, value seen)
    write_orders: tuple[tuple[tuple[int, int], ...], ...]  # per variable: (thread, value) in order
    violations: frozenset[tuple[int, ...]]


class ProgramSystem:
    """One execution of a Program. Shared variables start at 0; a lock variable holds 0 (free)
    or owner+1."""

    def __init__(self, program: Program, n_vars: int) -> None:
        self.program = program
        self.shared = [0] * n_vars
        self.locals = [[0] * N_LOCALS for _ in program]
        self.pc = [0] * len(program)
        self.history: list[list[tuple[int, int, int]]] = [[] for _ in program]
        self.write_order: list[list[tuple[int, int]]] = [[] for _ in range(n_vars)]
        self.observed: list[set[int]] = [set() for _ in program]  # vars seen non-zero / written
        self.violations: set[tuple[int, ...]] = set()
        self.log: list[tuple[int, frozenset[Access]]] = []  # every step: thread, accesses

    def runnable(self) -> Sequence[int]:
        ready = []
        for tid, ops in enumerate(self.program):
            pc = self.pc[tid]
            if pc >= len(ops):
                continue
            op = ops[pc]
            if op.kind == LOCK and self.shared[op.var] != 0:
                continue
            if op.kind == AWAIT and self.shared[op.var] != op.value:
                continue
            ready.append(tid)
        return ready

    def is_finished(self, tid: int) -> bool:
        """Optional System method: tells a finished thread from a waiting one."""
        return self.pc[tid] >= len(self.program[tid])

    def state_key(self) -> Hashable:
        return (tuple(self.shared), tuple(map(tuple, self.locals)), tuple(self.pc))

    def _read(self, tid: int, var: int) -> int:
        value = self.shared[var]
        self.history[tid].append((self.pc[tid], var, value))
        if value:
            self.observed[tid].add(var)
        else:
            # "a read of var saw 0 after this thread had seen y written": stale message
            for y in self.observed[tid]:
                if y != var:
                    self.violations.add((tid, var, y))
        return value

    def _write(self, tid: int, var: int, value: int) -> None:
        self.shared[var] = value
        self.write_order[var].append((tid, value))
        self.observed[tid].add(var)

    def step(self, tid: int) -> frozenset[Access]:
        op = self.program[tid][self.pc[tid]]
        loc = ("v", op.var)
        local = self.locals[tid]
        next_pc = self.pc[tid] + 1
        kind = op.kind
        if kind in (READ, AWAIT):
            local[op.local] = self._read(tid, op.var)
            accesses = frozenset({Access(loc, False)})
        elif kind == WRITE:
            self._write(tid, op.var, op.value)
            accesses = frozenset({Access(loc, True)})
        elif kind == WRITE_LOCAL:
            self._write(tid, op.var, local[op.local])
            accesses = frozenset({Access(loc, True)})
        elif kind == ADD:
            old = self._read(tid, op.var)
            local[op.local] = old
            self._write(tid, op.var, old + op.value)
            accesses = frozenset({Access(loc, True)})
        elif kind in (TAS, LOCK):
            local[op.local] = self._read(tid, op.var)
            self._write(tid, op.var, tid + 1 if kind == LOCK else 1)
            accesses = frozenset({Access(loc, True)})
        elif kind == UNLOCK:
            self._write(tid, op.var, 0)
            accesses = frozenset({Access(loc, True)})
        elif kind == CAS:
            if self._read(tid, op.var) == op.expect:
                self._write(tid, op.var, op.value)
                local[op.local] = 1
                accesses = frozenset({Access(loc, True)})
            else:  # a failed CAS only reads
                local[op.local] = 0
                accesses = frozenset({Access(loc, False)})
        elif kind == SKIP_IF:
            if local[op.local] == op.value:
                next_pc += 1
            accesses = frozenset()
        else:
            raise AssertionError(f"unknown op {op}")
        self.pc[tid] = next_pc
        self.log.append((tid, accesses))
        return accesses

    def trace(self) -> Trace:
        """The Mazurkiewicz trace of this execution, canonically: per variable, its writes in
        order, each with the set of reads that saw it (steps named (thread, n-th step))."""
        counts = [0] * len(self.program)
        segments: dict[Hashable, list[tuple[tuple[int, int] | None, set[tuple[int, int]]]]] = {}
        for tid, accesses in self.log:
            name = (tid, counts[tid])
            counts[tid] += 1
            for access in accesses:
                history = segments.setdefault(access.location, [(None, set())])
                if access.write:
                    history.append((name, set()))
                else:
                    history[-1][1].add(name)
        return frozenset(
            (location, tuple((writer, frozenset(readers)) for writer, readers in history))
            for location, history in segments.items()
        )

    def outcome(self) -> Outcome:
        return Outcome(
            final_state=self.state_key(),
            histories=tuple(tuple(h) for h in self.history),
            write_orders=tuple(tuple(w) for w in self.write_order),
            violations=frozenset(self.violations),
        )


class OpaqueProgramSystem:
    """The same program seen through the bare System protocol: without is_finished, the
    explorer cannot tell a finished thread from a waiting one and must assume the worst."""

    def __init__(self, program: Program, n_vars: int) -> None:
        self.inner = ProgramSystem(program, n_vars)

    def runnable(self) -> Sequence[int]:
        return self.inner.runnable()

    def step(self, tid: int) -> frozenset[Access]:
        return self.inner.step(tid)

    def state_key(self) -> Hashable:
        return self.inner.state_key()


def _random_op(rng: random.Random, n_vars: int) -> Op:
    kind = rng.choice((READ, READ, WRITE, WRITE, WRITE_LOCAL, ADD, TAS, CAS, SKIP_IF))
    return Op(
        kind,
        var=rng.randrange(n_vars),
        local=rng.randrange(N_LOCALS),
        value=rng.randint(0, 2) if kind == SKIP_IF else rng.randint(1, 2),
        expect=rng.randint(0, 1),
    )


def random_program(
    rng: random.Random,
    *,
    blocking: bool = False,
    independent: bool = False,
    max_interleavings: int = 2_000,
) -> tuple[Program, int]:
    """A program of 2-3 threads over 2-4 shared variables, 1-5 ops each, whose brute-force
    interleaving count stays below max_interleavings (so that brute force stays cheap).

    blocking: some threads wrap their ops in a lock on an extra variable, or start by awaiting
    a value (possibly forever). independent: every thread uses its own variables only."""
    n_threads = rng.randint(2, 3)
    n_vars = rng.randint(2, 4)
    extra = 2 if blocking else 0
    if count_interleavings([1 + extra] * n_threads) > max_interleavings:
        raise ValueError(f"no {n_threads}-thread program fits in {max_interleavings} interleavings")
    while True:
        lengths = [rng.randint(1, 5) for _ in range(n_threads)]
        if count_interleavings([n + extra for n in lengths]) <= max_interleavings:
            break
    if independent:
        n_vars = 2 * n_threads
    total_vars = n_vars + (1 if blocking else 0)
    lock_var = n_vars
    threads = []
    for tid, length in enumerate(lengths):
        if independent:
            ops = [_random_op(rng, 2) for _ in range(length)]
            ops = [Op(o.kind, 2 * tid + o.var, o.local, o.value, o.expect) for o in ops]
        else:
            ops = [_random_op(rng, n_vars) for _ in range(length)]
        if blocking:
            style = rng.choice(("lock", "lock", "await", "none"))
            if style == "lock":
                ops = [Op(LOCK, lock_var), *ops, Op(UNLOCK, lock_var)]
            elif style == "await":
                ops = [Op(AWAIT, rng.randrange(n_vars), rng.randrange(N_LOCALS), rng.randint(0, 1)), *ops]
        threads.append(tuple(ops))
    return tuple(threads), total_vars
