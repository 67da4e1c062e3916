"""The errors reviewer raises. Library code raises; only ``cli.main`` turns them into exit codes.

::

    ReviewerError                 base; str(err) is the one-line message a user sees
      InputError                  the thread argument is not a URL, Message-ID, mbox or Maildir
      FetchError                  the thread could not be retrieved (network, 404, offline + no cache)
      MailError                   an mbox or message could not be parsed
      TreeError                   the kernel tree is missing or git failed
      ConfigError                 a config file is unreadable or has a bad value
      DraftError                  a draft could not be composed, edited or saved (nothing was saved)
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DraftError",
    "FetchError",
    "InputError",
    "MailError",
    "ReviewerError",
    "TreeError",
    "reason",
]


class ReviewerError(Exception):
    """Base class. The message names the input and the problem, on one line."""

    exit_code = 2


class InputError(ReviewerError):
    pass


class FetchError(ReviewerError):
    pass


class MailError(ReviewerError):
    pass


class TreeError(ReviewerError):
    pass


class ConfigError(ReviewerError):
    pass


class DraftError(ReviewerError):
    pass


def reason(exc: BaseException) -> str:
    """What went wrong, in a few words for the end of an error line: an OSError's strerror
    ("Permission denied"), else the exception's own text."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
