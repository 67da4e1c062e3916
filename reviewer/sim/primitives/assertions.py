"""VM_BUG_ON*, BUG_ON, WARN_ON*: the ``assertion`` property, with the condition that failed.

A failed assertion is recorded and the thread goes on (a real BUG would stop the CPU; going on
shows what else the path does, and the assertion is reported either way). The VM_* forms are
live only with CONFIG_DEBUG_VM (their condition is not even evaluated otherwise, as in the
kernel); VM_BUG_ON_PGFLAGS only with CONFIG_DEBUG_VM_PGFLAGS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model.state import Cpu

__all__ = ["ASSERTIONS", "AssertionSpec", "assertion_failed"]


@dataclass(frozen=True, slots=True)
class AssertionSpec:
    kind: str
    """``bug`` or ``warn``."""
    config: str = ""
    """The kconfig symbol that makes it live ("" = always)."""
    takes_condition: bool = True

    def live(self, debug_vm: bool, kconfig_on: Callable[[str], bool]) -> bool:
        if not self.config:
            return True
        if self.config == "CONFIG_DEBUG_VM":
            return debug_vm
        return kconfig_on(self.config)


_DEBUG_VM = "CONFIG_DEBUG_VM"
ASSERTIONS: dict[str, AssertionSpec] = {
    "BUG_ON": AssertionSpec("bug"),
    "BUG": AssertionSpec("bug", takes_condition=False),
    "WARN_ON": AssertionSpec("warn"),
    "WARN_ON_ONCE": AssertionSpec("warn"),
    "WARN": AssertionSpec("warn"),
    "WARN_ONCE": AssertionSpec("warn"),
    "VM_BUG_ON": AssertionSpec("bug", _DEBUG_VM),
    "VM_BUG_ON_PAGE": AssertionSpec("bug", _DEBUG_VM),
    "VM_BUG_ON_VMA": AssertionSpec("bug", _DEBUG_VM),
    "VM_BUG_ON_MM": AssertionSpec("bug", _DEBUG_VM),
    "VM_WARN_ON": AssertionSpec("warn", _DEBUG_VM),
    "VM_WARN_ON_ONCE": AssertionSpec("warn", _DEBUG_VM),
    "VM_WARN_ON_PAGE": AssertionSpec("warn", _DEBUG_VM),
    "VM_WARN_ON_ONCE_PAGE": AssertionSpec("warn", _DEBUG_VM),
    "VM_WARN": AssertionSpec("warn", _DEBUG_VM),
    "VM_WARN_ONCE": AssertionSpec("warn", _DEBUG_VM),
    "VM_BUG_ON_PGFLAGS": AssertionSpec("bug", "CONFIG_DEBUG_VM_PGFLAGS"),
}


def assertion_failed(cx: Cpu, text: str, loc: tuple[str, int, str]) -> None:
    what = f"{text} failed at {loc[0]}:{loc[1]}"
    cx.state.vm_bugs.append(what)
    cx.effect(what)
