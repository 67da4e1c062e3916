"""Explorer throughput on synthetic Systems whose steps cost almost nothing, so the numbers are
the explorer's own overhead (replay + footprints + source-DPOR bookkeeping).

Run: .venv/bin/python benchmarks/sim_explore_bench.py

Modes: brute = every interleaving; reduced = source-DPOR with sleep sets (the default);
nonblock = reduced with blocking=False (the System promises no thread ever blocks, which skips
the replays that check a race can be reversed).
"""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import partial

from reviewer.sim.explore import Access, Budget, System, count_interleavings, explore


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    threads: int
    steps: int
    locations: int  # shared locations drawn from
    write_ratio: float
    private: bool  # each thread's steps touch only its own locations (fully independent)


class _Synthetic:
    """Each thread runs a fixed list of precomputed footprints: a step is a list index."""

    def __init__(self, program: tuple[tuple[frozenset[Access], ...], ...]) -> None:
        self._program = program
        self._pc = [0] * len(program)

    def runnable(self) -> Sequence[int]:
        return [t for t, ops in enumerate(self._program) if self._pc[t] < len(ops)]

    def step(self, tid: int) -> frozenset[Access]:
        pc = self._pc[tid]
        self._pc[tid] = pc + 1
        return self._program[tid][pc]

    def is_finished(self, tid: int) -> bool:
        return self._pc[tid] >= len(self._program[tid])

    def state_key(self) -> Hashable:
        return tuple(self._pc)


def _program(shape: _Shape, rng: random.Random) -> tuple[tuple[frozenset[Access], ...], ...]:
    threads = []
    for tid in range(shape.threads):
        ops = []
        for _ in range(shape.steps):
            where = ("p", tid, rng.randrange(shape.locations)) if shape.private else (
                "s", rng.randrange(shape.locations))
            ops.append(frozenset({Access(where, rng.random() < shape.write_ratio)}))
        threads.append(tuple(ops))
    return tuple(threads)


REPEAT = 5  # runs per row; the time shown is their mean

SHAPES = (
    _Shape("2x8 all-conflicting", 2, 8, 1, 1.0, False),
    _Shape("3x4 mixed (4 locs, 30% writes)", 3, 4, 4, 0.3, False),
    _Shape("3x6 mixed (6 locs, 30% writes)", 3, 6, 6, 0.3, False),
    _Shape("3x10 independent", 3, 10, 2, 0.5, True),
)


def _ignore(system: System, schedule: tuple[int, ...]) -> None:
    pass


def main() -> None:
    print(f"{'shape':34} {'mode':8} {'interleavings':>13} {'executions':>10} {'steps':>8} "
          f"{'seconds':>8} {'exec/s':>9} {'steps/s':>9}")
    for shape in SHAPES:
        program = _program(shape, random.Random(1))
        total = count_interleavings([shape.steps] * shape.threads)
        for mode, reduction, blocking in (
            ("brute", False, True), ("reduced", True, True), ("nonblock", True, False)
        ):
            if not reduction and total > 200_000:
                continue
            started = time.perf_counter()
            for _ in range(REPEAT):
                result = explore(partial(_Synthetic, program), _ignore, Budget(max_seconds=60.0),
                                 reduction=reduction, blocking=blocking)
            seconds = (time.perf_counter() - started) / REPEAT
            print(f"{shape.name:34} {mode:8} {total:>13} {result.executions:>10} {result.steps:>8} "
                  f"{seconds:>8.3f} {result.executions / seconds:>9.0f} {result.steps / seconds:>9.0f}")


if __name__ == "__main__":
    main()
