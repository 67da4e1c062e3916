"""Race simulator: executes the C functions a revision changes against a kernel model.

The revision's touched functions are interpreted from their C source (:mod:`.interp`); the
kernel's page-free path and memcg are modelled as step generators (:mod:`.model`); scenarios are
data (``scenarios/*.toml``); :mod:`.explore` visits the interleavings; :mod:`.properties`
judges each execution; :mod:`.simulate` turns breaches into classified verdicts.
"""

from __future__ import annotations

from .interp import SourceLookup
from .scenario import Scenario, load_scenarios
from .simulate import SimCache, SimulationResult, simulate_revision
from .trace import format_trace

__all__ = [
    "Scenario",
    "SimCache",
    "SimulationResult",
    "SourceLookup",
    "format_trace",
    "load_scenarios",
    "simulate_revision",
]
