"""How a check finding is recognised again in a later revision."""

from __future__ import annotations

import re

from ..model import Finding

__all__ = ["finding_identity"]


def finding_identity(f: Finding) -> str:
    """What identifies a finding across revisions, as the checks runner matches base and
    revision findings: never by line; without a key, the message with its numbers blanked."""
    return "\x1f".join((f.file, f.function, f.key or re.sub(r"\d+", "N", f.message)))
