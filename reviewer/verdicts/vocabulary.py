"""The small, documented vocabulary that maps reviewers' prose to what verdicts are about.

Reviewers rarely write the simulator's property names: they write "we doubly free its tail
pages", "check_free_page() will find that is not page_expected_state()" or "multiple
references to a high-order non-compound page". Each entry below is a regular
expression (matched case-insensitively against a comment's own text, never its quotes) and
what it points at. Identifiers (``PageHead``, ``memcg_data``) are matched separately, from
the verdicts' own ``functions`` and ``symbols``, so they need no entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CHECK_WORDS",
    "CONFIG_WORDS",
    "PROPERTY_WORDS",
    "SCENARIO_WORDS",
    "Phrase",
    "check_words",
    "config_words",
    "property_words",
    "scenario_words",
]


@dataclass(frozen=True, slots=True)
class Phrase:
    pattern: str
    """A regular expression, matched case-insensitively."""
    targets: tuple[str, ...]
    """Property names (``double-free``), scenario-name fragments or check-id fragments."""
    topic: bool = True
    """For scenarios: the words make the scenario the comment's subject (link its verdicts);
    False when they only set the scene (keep the links to that scenario's verdicts)."""

    def find(self, text: str) -> str | None:
        m = re.search(self.pattern, text, re.IGNORECASE)
        return m.group(0) if m else None


PROPERTY_WORDS: tuple[Phrase, ...] = (
    Phrase(r"\bdoubl(?:e|y)[- ]free(?:s|d|ing)?\b|\bfreed? twice\b|\bdouble[- ]freeing\b", ("double-free",)),
    Phrase(r"\bleak(?:s|ed|ing)?\b", ("charge-leak", "page-leak")),
    Phrase(r"\bstill charged\b|\buncharg(?:e|ed|ing)\b", ("charge-leak", "bad-page", "over-uncharge")),
    # not free_pages_prepare: every free passes it, the bad-page check is check_free_page
    Phrase(r"\bbad page\b|\bpage_expected_state\b|\bcheck_free_page\b", ("bad-page",)),
    Phrase(r"\bover-?uncharg\w*\b|\buncharged? twice\b", ("over-uncharge",)),
    Phrase(r"\bcss\b|\bcss_(?:get|put)\w*\b", ("css-imbalance",)),
    Phrase(r"\bstale\b|\balready (?:be )?cleared\b|\bread reliably\b", ("stale-read",)),
    Phrase(r"\b(?:VM_)?(?:BUG|WARN)_ON\w*\b|\bassert(?:ion|s)?\b", ("assertion",)),
)
"""Prose that names a property the simulator checks."""

SCENARIO_WORDS: tuple[Phrase, ...] = (
    Phrase(
        r"\bmultiple references\b|\ball but the last caller\b|\bshared (?:holders?|references?)\b",
        ("shared", "holders"),
    ),
    Phrase(r"\bspeculative (?:page ?cache )?(?:lookup|reference|racer)s?\b|\bracing speculative\b", ("speculative",), topic=False),
)
"""Prose that names a scenario (matched against fragments of the scenario's name)."""

CHECK_WORDS: tuple[Phrase, ...] = (
    # the tag itself and its format, not the commit it cites (see linking)
    Phrase(
        r"\bfixes:|\bfixes (?:tag|line|trailer)\b|\(\"\.\.\.\"\)|\b(?:the )?title\b|\btags?\b"
        r"|\bquot(?:es?|ation marks) around\b|\bparenthes[ie]s\b|\bformat(?:ted)?\b|\b12 (?:digits|characters|chars)\b",
        ("fixes",),
    ),
    Phrase(r"\bsigned-off-by\b|\bsob\b", ("signed-off", "sob")),
    Phrase(r"\bcc: stable\b|\bstable@", ("stable",)),
    Phrase(r"\bcheckpatch\b", ("checkpatch",)),
)
"""Prose that names what a static check looks at (matched against fragments of check ids)."""


CONFIG_WORDS: tuple[tuple[str, str, bool], ...] = (
    (r"\bnon-?compound\b|\bnot marked compound\b|\bisn't marked compound\b", "compound", False),
    (r"(?<!non-)(?<!non )\bcompound pages?\b|\b__GFP_COMP\b|\bwas compound\b", "compound", True),
    (r"\bno-kmem\b|\bnot charged\b|\buncharged page\b", "kmem", False),
    (r"\b(?:kmem|memcg_data|charged to (?:a )?memcg|GFP_ACCOUNT)\b", "kmem", True),
)
"""Prose that names a simulation configuration: (regex, SimConfig field, value)."""


def config_words(text: str) -> dict[str, bool]:
    """The configuration fields ``text`` pins down; a field named both ways is left open."""
    seen: dict[str, set[bool]] = {}
    for pattern, key, value in CONFIG_WORDS:
        if re.search(pattern, text, re.IGNORECASE):
            seen.setdefault(key, set()).add(value)
    return {key: values.pop() for key, values in seen.items() if len(values) == 1}


def _hits(words: tuple[Phrase, ...], text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for phrase in words:
        found = phrase.find(text)
        if found is not None:
            for target in phrase.targets:
                out.setdefault(target, found)
    return out


def property_words(text: str) -> dict[str, str]:
    """Property name -> the words in ``text`` that name it."""
    return _hits(PROPERTY_WORDS, text)


def scenario_words(text: str, *, topic_only: bool = False) -> dict[str, str]:
    """Scenario-name fragment -> the words in ``text`` that name it."""
    return _hits(tuple(p for p in SCENARIO_WORDS if p.topic or not topic_only), text)


def check_words(text: str) -> dict[str, str]:
    """Check-id fragment -> the words in ``text`` that name it."""
    return _hits(CHECK_WORDS, text)
