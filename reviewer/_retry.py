"""Trying a public-inbox request again: which failures are worth it, and how long to wait.

lore is sometimes slow, overloaded (503 with ``Retry-After``), behind a proxy that cuts a body, or
answering with an HTML page instead of the mbox. Those are worth another try; a 404 or a refused
connection to a host that does not exist are not. The waits double from ``[lore] retry_delay``
(a server's ``Retry-After`` wins when longer), and every try and wait together stay within
``[lore] retry_budget`` seconds: a retry that could not finish in time is not started.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ._config import LoreConfig

__all__ = ["TRANSIENT_STATUS", "Attempts", "retry_after_seconds"]

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses a later try may not get."""


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Attempts:
    """The tries of one request: :meth:`begin` each, :meth:`next_wait` after a transient failure."""

    lore: LoreConfig
    made: int = 0
    started: float | None = None
    gave_up_because: str = ""
    """Why no further try was made when tries remained ("" otherwise)."""

    def begin(self) -> None:
        if self.started is None:
            self.started = time.monotonic()
        self.made += 1

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    def next_wait(self, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try, or None when there is none to make."""
        if self.made >= self.lore.attempts:
            return None
        backoff = self.lore.retry_delay * 2.0 ** (self.made - 1)
        wait = max(backoff, retry_after or 0.0)
        # The next try may take up to the request timeout: start it only if it can end in time.
        if self.elapsed + wait + self.lore.timeout > self.lore.retry_budget:
            asked = f": the server asked to wait {retry_after:g} s" if retry_after else ""
            self.gave_up_because = f"no time for another within {self.lore.retry_budget:g} s{asked}"
            return None
        return wait

    def summary(self) -> str:
        """``after 3 attempts in 4.2 s``: what was tried, for the message that gives up."""
        tries = f"{self.made} attempt{'s' if self.made > 1 else ''}"
        why = f"; {self.gave_up_because}" if self.gave_up_because else ""
        return f"after {tries} in {self.elapsed:.1f} s{why}"
