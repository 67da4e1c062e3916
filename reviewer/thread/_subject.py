"""Subject lines taken apart: ``Re: [PATCH RFC v2 3/7] mm: title`` -> Subject."""

from __future__ import annotations

import re

from ..model import Subject

__all__ = ["parse_subject"]

# Reply and forward markers of common mail clients (English, German, Nordic, Dutch).
_REPLY_RE = re.compile(r"^\s*(re|aw|sv|antw|vs)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)
_FORWARD_RE = re.compile(r"^\s*(fwd|fw|wg)\s*:\s*", re.IGNORECASE)
_BRACKET_RE = re.compile(r"^\s*\[([^\]]*)\]\s*")
_VERSION_RE = re.compile(r"^v(\d+)$", re.IGNORECASE)
# ``PATCHv2`` / ``RFCv3``: prefix and version glued together.
_GLUED_RE = re.compile(r"^(PATCH|RFC)v(\d+)$", re.IGNORECASE)
_COUNTER_RE = re.compile(r"^(\d+)/(\d+)$")


def parse_subject(raw: str) -> Subject:
    """Strip reply markers and bracketed prefixes; read version and ``i/n`` counter from them.

    Only leading bracket groups count as prefixes (``[PATCH] [RFC] title``); brackets later
    in the title are part of it. Words are upper-cased; ``v2`` becomes ``version`` and
    ``3/7`` becomes ``index``/``total``; anything else (``RFC``, ``RESEND``, ``5.10``,
    ``net-next``) is kept as a prefix.
    """
    rest = " ".join(raw.split())
    is_reply = False
    prefixes: list[str] = []
    version = 1
    index: int | None = None
    total: int | None = None
    while True:
        if m := _REPLY_RE.match(rest):
            is_reply = True
        elif not (m := _FORWARD_RE.match(rest)) and not (m := _BRACKET_RE.match(rest)):
            break
        if m.re is _BRACKET_RE:
            for word in m.group(1).replace(",", " ").split():
                if v := _VERSION_RE.match(word):
                    version = int(v.group(1))
                elif g := _GLUED_RE.match(word):
                    prefixes.append(g.group(1).upper())
                    version = int(g.group(2))
                elif c := _COUNTER_RE.match(word):
                    index, total = int(c.group(1)), int(c.group(2))
                else:
                    prefixes.append(word.upper())
        rest = rest[m.end() :]
    return Subject(
        raw=raw,
        title=rest.strip(),
        prefixes=tuple(prefixes),
        version=version,
        index=index,
        total=total,
        is_reply=is_reply,
    )
