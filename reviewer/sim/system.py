"""One execution of a scenario under one configuration, as the explorer's ``System``.

Threads are generators that stop right before each shared access; :meth:`SimSystem.step`
resumes one until its next stop, so a step is exactly one atomic access (plus the thread-local
work after it). Every step is recorded for the counterexample trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import SimConfig
from ._errors import BudgetExceeded, NotAnalysed
from .explore import Access
from .interp import CFunction
from .model.free import drain_pcp
from .model.put import allocate
from .model.state import (
    GFP_ACCOUNT,
    GFP_COMP,
    GFP_KERNEL,
    Cpu,
    Gen,
    KernelState,
    ModelOptions,
    PagePtr,
)

__all__ = ["HARNESS_CPU", "RawStep", "RunPlan", "SimSystem"]

NEIGHBOURHOOD = 4
"""Frames modelled per allocated page: the allocation starts a naturally aligned block of 4x its
size, so its buddy and the buddy of the next order up (buddy_merge_likely) are modelled frames."""
HARNESS_CPU = -1
"""The cpu of steps the harness runs after the threads (the pcp drain)."""


RawStep = tuple[int, tuple[str, int, str], str, str]
"""(cpu, (file, line, source), innermost function, effect) of one recorded step."""


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Everything that builds an execution: compiled snippets, configuration, model switches."""

    config: SimConfig
    options: ModelOptions
    setup: CFunction | None
    threads: tuple[tuple[str, CFunction], ...]
    judge_leaks: bool = True
    """Scenario.judge_leaks: False for a generic harness."""
    dispatch: Callable[[str], CFunction] | None = None
    layout: Callable[[str], dict[str, str] | None] | None = None
    """The tree's struct layouts (Program.struct_layout)."""
    """The program's resolver: how the model's functions call other kernel functions."""
    charge: CFunction | None = None
    """``__memcg_kmem_charge_page`` as the program resolves it (a revision's, or the model's);
    None: the model's, called directly."""

    def cpu(self, tid: int, name: str, state: KernelState) -> Cpu:
        cpu = Cpu(tid, name, state)
        cpu.dispatch = self.dispatch
        cpu.layout = self.layout
        return cpu

    @property
    def gfp(self) -> int:
        """The allocation's gfp flags: GFP_KERNEL, plus __GFP_ACCOUNT / __GFP_COMP as configured."""
        cfg = self.config
        return GFP_KERNEL | (GFP_ACCOUNT if cfg.kmem else 0) | (GFP_COMP if cfg.compound else 0)

    def arguments(self) -> list[Any]:
        """What every scenario snippet is called with: the first page, the order, the gfp flags."""
        return [PagePtr(0), self.config.order, self.gfp]

    def initial_state(self) -> KernelState:
        """The allocation as __alloc_pages leaves it (§3: the page, then the kmem charge), then the
        setup snippet run to its end."""
        cfg = self.config
        state = KernelState.empty(1 << cfg.order, self.options, frames=NEIGHBOURHOOD << cfg.order)
        charged = cfg.kmem and self.options.memcg and self.options.memcg_kmem
        allocate(state, cfg.order, compound=cfg.compound, kmem=cfg.kmem and self.charge is None)
        if charged and self.charge is not None:
            alloc_cpu = self.cpu(HARNESS_CPU, "alloc", state)
            alloc_cpu.loc = ("(harness)", 0, "__alloc_pages_nodemask(): __memcg_kmem_charge_page()")
            run_to_end(alloc_cpu, self.charge(alloc_cpu, [PagePtr(0), self.gfp, cfg.order]))
            state.setup_called |= alloc_cpu.called
        if self.setup is not None:
            setup_cpu = self.cpu(HARNESS_CPU, "setup", state)
            run_to_end(setup_cpu, self.setup(setup_cpu, self.arguments()))
            state.setup_called |= setup_cpu.called
        return state


@dataclass(slots=True)
class _Thread:
    cpu: Cpu
    gen: Gen
    done: bool = False
    next_loc: tuple[str, int, str] = ("", 0, "")
    next_fn: str = ""
    next_intro: list[str] | None = None


def _resume(cpu: Cpu, gen: Gen) -> bool:
    """Run to the thread's next stop; False when it finished (or ran out of its iteration budget,
    which the state records for the budget-exceeded verdict). Python errors become NotAnalysed."""
    try:
        next(gen)
    except StopIteration:
        return False
    except BudgetExceeded as exc:
        cpu.state.cut.append(str(exc))
        return False
    except (TypeError, ArithmeticError, ValueError, AttributeError) as exc:
        raise NotAnalysed(f"cannot evaluate ({exc}) at {cpu.loc[0]}:{cpu.loc[1]}") from exc
    return True


def run_to_end(cpu: Cpu, gen: Gen) -> None:
    while _resume(cpu, gen):
        pass


class SimSystem:
    """A fresh allocation, the setup snippet run, and one generator per scenario thread."""

    def __init__(self, plan: RunPlan, initial: KernelState | None = None) -> None:
        """``initial``: plan.initial_state(), built once and copied for every execution."""
        self.state = initial.copy() if initial is not None else plan.initial_state()
        args = plan.arguments()
        self.trace: list[RawStep] = []
        self.footprints: list[tuple[int, frozenset[Access]]] = []
        """Every step's thread and accesses, in order (for counting Mazurkiewicz traces)."""
        self.threads: list[_Thread] = []
        self.names = tuple(name for name, _ in plan.threads)
        for tid, (name, fn) in enumerate(plan.threads):
            cpu = plan.cpu(tid, name, self.state)
            th = _Thread(cpu, fn(cpu, list(args)))
            th.done = not _resume(cpu, th.gen)  # thread-local prologue up to the first access
            cpu.pending.clear()
            th.next_loc, th.next_fn = cpu.loc, cpu.stack[-1] if cpu.stack else ""
            th.next_intro, cpu.intro = cpu.intro or None, []
            self.threads.append(th)
        self.judge_leaks = plan.judge_leaks
        self.plan = plan
        self.drained = False
        self.harness_entered: dict[str, None] = {}

    # ---- the explorer's System protocol
    def runnable(self) -> Sequence[int]:
        return [tid for tid, th in enumerate(self.threads) if not th.done]

    def is_finished(self, tid: int) -> bool:
        """Optional explorer hook: a thread leaves runnable() only by finishing, never waits."""
        return self.threads[tid].done

    def step(self, tid: int) -> frozenset[Access]:
        th = self.threads[tid]
        cpu = th.cpu
        loc, fn = th.next_loc, th.next_fn
        th.done = not _resume(cpu, th.gen)
        stack = cpu.stack
        th.next_loc, th.next_fn = cpu.loc, stack[-1] if stack else ""
        intro = th.next_intro
        if cpu.intro:
            th.next_intro, cpu.intro = cpu.intro, []
        else:
            th.next_intro = None
        accesses = frozenset(cpu.pending)
        cpu.pending.clear()
        self.footprints.append((tid, accesses))
        effects = cpu.effects
        if effects or intro:
            self.trace.append((tid, loc, fn, "; ".join((intro or []) + effects)))
            effects.clear()
        return accesses

    # ---- after the threads
    def finished(self) -> bool:
        return all(th.done for th in self.threads)

    def drain(self) -> None:
        """Drain the pcp lists to buddy, where the deferred order-0 head checks run (§4.5)."""
        if self.drained:
            return
        self.drained = True
        cpu = self.plan.cpu(HARNESS_CPU, "pcp drain", self.state)
        cpu.loc = ("(harness)", 0, "drain pcp lists: free_pcppages_bulk()")
        gen = drain_pcp(cpu)
        while True:
            fn = cpu.stack[-1] if cpu.stack else "free_pcppages_bulk"
            more = _resume(cpu, gen)
            if cpu.effects:
                self.trace.append((HARNESS_CPU, cpu.loc, fn, "; ".join(cpu.effects)))
            cpu.effects.clear()
            cpu.pending.clear()
            if not more:
                break
        self.harness_entered = cpu.entered

    def functions(self) -> tuple[str, ...]:
        """Every C function and primitive the execution entered (scenario wrappers excluded)."""
        seen: dict[str, None] = {}
        for th in self.threads:
            seen.update(th.cpu.entered)
        seen.update(self.harness_entered)
        return tuple(n for n in seen if not n.startswith("__scenario_"))

    def functions_by_cpu(self) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """Per thread (its TraceStep.cpu), the functions it entered: which side of a race called what."""
        return tuple((th.cpu.tid, tuple(n for n in th.cpu.entered if not n.startswith("__scenario_")))
                     for th in self.threads)

    @property
    def called(self) -> frozenset[str]:
        return frozenset(name for th in self.threads for name in th.cpu.called) | self.state.setup_called

