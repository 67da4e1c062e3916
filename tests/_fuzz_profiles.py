"""Hypothesis profiles (pytest plugin): ``ci`` for the normal suite, ``fuzz`` for ``make fuzz``.

The property tests in tests/test_properties.py take their example counts from the profile, so
the same properties run a small budget in every ``make test`` and a large one under
``make fuzz`` (``--hypothesis-profile=fuzz``; ``REVIEWER_FUZZ_EXAMPLES`` sets the count per
property). The ``ci`` profile is derandomised: CI explores the same inputs every run, ``make fuzz``
new ones each time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=120, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("REVIEWER_FUZZ_EXAMPLES", "12500")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile("ci")
