"""reviewer: patch review for Linux-kernel-style mailing lists.

``review <thread>`` reads a lore thread, finds every revision of the patch in it, applies each to
a kernel tree, runs the race simulator and the checks, and shows the verdicts beside the
reviewers' comments. The stages are in private modules; this package re-exports the values
that pass between them.
"""

from __future__ import annotations

from ._errors import *  # noqa: F403
from ._errors import __all__ as _errors_all
from .model import *  # noqa: F403
from .model import __all__ as _model_all

__version__ = "0.1.0"
__all__ = sorted([*_errors_all, *_model_all])
