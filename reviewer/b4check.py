"""``review b4-check``: reviewer as one of b4's external per-patch checks.

b4 (``b4 review`` TUI, b4/review/checks.py ``_run_external_cmd``) runs each command named in
the ``b4.review-perpatch-check-cmd`` git config key (shell-split, not through a shell) once
per patch, with

* stdin: that patch message as bytes (``LoreMessage.get_msg_as_bytes``: its headers, a blank
  line, the decoded body, ``\\n`` line ends);
* cwd: the top of the git repository b4 runs in (``git_get_toplevel()``);

and reads stdout as JSON: one object or a list of objects
``{"tool", "status": "pass"|"warn"|"fail", "summary", "url", "details"}``. An unknown status
counts as ``fail``; empty output with a non-zero exit is shown as "exited with error code".
``details`` may be a JSON list of ``{"status", "description"}`` entries, which b4 shows as one
line each (as it does for checkpatch).

Enable it with::

    git config --add b4.review-perpatch-check-cmd "review b4-check"

This module builds the result; ``cli.py`` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ._config import Config
from ._errors import InputError, ReviewerError
from .model import Review, Severity, Status
from .pipeline import build_review
from .progress import Progress
from .report._common import BUDGET_EXCEEDED, configs_text, group_violations, latest_revision

__all__ = ["TOOL", "b4_result", "run_b4_check"]

TOOL = "reviewer"

_WORDS = {
    "double-free": "double free",
    "page-leak": "page leak",
    "charge-leak": "memcg charge leak",
    "over-uncharge": "memcg over-uncharge",
    "css-imbalance": "css reference imbalance",
    "bad-page": "bad page state",
    "assertion": "failed assertion (BUG_ON/WARN_ON)",
    "stale-read": "stale read",
    "budget-exceeded": "exploration budget exceeded",
}
"""How the summary names each property, in the words a reviewer would use."""


def _entry(status: str, description: str) -> dict[str, str]:
    return {"status": status, "description": description}


def _ordered(properties: list[str]) -> list[str]:
    """Distinct properties, the most serious first (the order of ``_WORDS``)."""
    rank = {p: n for n, p in enumerate(_WORDS)}
    return sorted(dict.fromkeys(properties), key=lambda p: rank.get(p, len(rank)))


def b4_result(review: Review) -> dict[str, str]:
    """The b4 check result for the latest revision of ``review``.

    ``fail`` when it introduces a simulator violation or an error finding; ``warn`` when it
    introduces warnings, keeps pre-existing violations of the functions it touches, or could
    not be applied; ``pass`` otherwise. The summary names the problems in a reviewer's words.
    """
    rr = latest_revision(review)
    if rr is None:
        return {"tool": TOOL, "status": "pass", "summary": "no patch found in the message", "url": "", "details": ""}
    details: list[dict[str, str]] = []
    introduced: list[str] = []
    kept: list[str] = []
    warnings: list[str] = []
    if rr.applied is not None and not rr.applied.applied:
        reason = str(rr.applied.error) if rr.applied.error else "does not apply"
        warnings.append(f"does not apply ({reason})")
        details.append(_entry("warn", f"does not apply to {rr.applied.base[:12]}: {reason}"))
    for group in group_violations(rr.sim_verdicts):
        configs = configs_text(group.configs)
        words = _WORDS.get(group.property, group.property)
        if group.property == BUDGET_EXCEEDED:
            status = "warn"  # the search stopped early: not a fault of the patch
        elif group.status is Status.INTRODUCED:
            status = "fail"
            introduced.append(group.property)
        elif group.status is Status.PRE_EXISTING:
            status = "warn"
            kept.append(group.property)
        else:
            status = "pass"
        steps = " -> ".join(f"{s.file}:{s.line}" for s in group.example.trace[:8])
        details.append(_entry(status, f"{group.status.value}: {words} ({group.property}) in {group.scenario} [{configs}]: {group.example.detail}" + (f" (trace {steps})" if steps else "")))
    skipped = [v for v in rr.sim_verdicts if v.outcome == "not-analysed"]
    if skipped:
        details.append(_entry("warn", f"{len(skipped)} simulations not analysed: {skipped[0].reason}"))
    failing_checks: list[str] = []
    for f in rr.findings:
        status = "pass"
        if f.status is Status.INTRODUCED and f.severity is Severity.ERROR:
            status = "fail"
            failing_checks.append(f"{f.check}: {f.message}")
        elif f.status is Status.INTRODUCED and f.severity is Severity.WARNING:
            status = "warn"
            warnings.append(f"{f.check}: {f.message}")
        details.append(_entry(status, f"{f.status.value} {f.severity.value} {f.check} {f.file}:{f.line}: {f.message}"))
    parts: list[str] = []
    if introduced or failing_checks:
        parts.append("introduces " + ", ".join([_WORDS.get(p, p) for p in _ordered(introduced)] + failing_checks))
    kept = [p for p in kept if p not in introduced]
    if kept:
        parts.append("still has " + ", ".join(_WORDS.get(p, p) for p in _ordered(kept)) + " (pre-existing)")
    parts += warnings
    if skipped:  # not analysed is not clean: it must not read as "nothing found"
        parts.append(f"{len(skipped)} simulations not analysed ({skipped[0].reason})")
    if introduced or failing_checks:
        overall = "fail"
    elif parts:
        overall = "warn"
    else:
        overall = "pass"
        parts.append(f"nothing found ({len(rr.sim_verdicts)} simulations, {len(rr.findings)} findings)")
        parts += rr.notes  # "not simulated" must not read as "simulated and clean"
    summary = f"{rr.revision.label}: " + "; ".join(parts)
    return {"tool": TOOL, "status": overall, "summary": summary, "url": "", "details": json.dumps(details)}


def run_b4_check(stdin: bytes, cwd: Path, cfg: Config, *, progress: Progress | None = None) -> dict[str, str]:
    """Review the one patch message on ``stdin`` against the repository at ``cwd``.

    Never executes anything from the message. Errors of reviewer itself become a ``warn``
    result naming them (b4 would otherwise show only an exit code).
    """
    if not stdin.strip():
        raise InputError("b4-check: no patch message on stdin")
    tree = cwd if (cwd / ".git").exists() else None
    raw: Sequence[bytes] = [stdin]
    try:
        review = build_review(raw, cfg, tree=tree, progress=progress)
    except ReviewerError as exc:
        return {"tool": TOOL, "status": "warn", "summary": f"not reviewed: {exc}", "url": "", "details": ""}
    return b4_result(review)
