"""The Review as JSON, following reviewer/report/schema/reviewer-1.schema.json (docs/json-schema.md).

Contract: keys documented there are never removed or renamed within ``reviewer/1``; new keys
may be added. A view only: every value is read from the Review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..check_api import finding_to_json
from ..model import (
    AppliedRevision,
    Comment,
    CommentLink,
    CommentReview,
    CommitRef,
    FixesProblem,
    FixesReview,
    FixesTagCheck,
    OtherVersion,
    Position,
    Review,
    RevisionKind,
    RevisionReview,
    SimConfig,
    SimVerdict,
    TraceStep,
    Trailer,
    Violation,
)
from ._common import label_of, outline_of, sorted_revisions

__all__ = ["SCHEMA", "SCHEMA_ID", "review_to_json", "schema_path"]

SCHEMA = "reviewer/1"
"""The value of the document's ``schema`` key; bumped only when a documented key changes."""
SCHEMA_ID = "https://reviewer.invalid/schema/reviewer-1.schema.json"


def schema_path() -> Path:
    """The JSON Schema file the output follows."""
    return Path(__file__).resolve().parent / "schema" / "reviewer-1.schema.json"


def _config(config: SimConfig) -> dict[str, Any]:
    return {"order": config.order, "compound": config.compound, "kmem": config.kmem, "key": config.key}


def _step(step: TraceStep) -> dict[str, Any]:
    return {
        "cpu": step.cpu,
        "thread": step.thread,
        "file": step.file,
        "line": step.line,
        "source": step.source,
        "effect": step.effect,
        "function": step.function,
    }


def _violation(v: Violation) -> dict[str, Any]:
    return {
        "property": v.property,
        "status": v.status.value,
        "pages": list(v.pages),
        "detail": v.detail,
        "trace": [_step(s) for s in v.trace],
        "functions": list(v.functions),
        "symbols": list(v.symbols),
        "cpu_functions": [{"cpu": cpu, "functions": list(fns)} for cpu, fns in v.cpu_functions],
    }


def _sim_verdict(v: SimVerdict) -> dict[str, Any]:
    return {
        "source": "simulator",
        "scenario": v.scenario,
        "config": _config(v.config),
        "outcome": v.outcome,
        "executions": v.executions,
        "reason": v.reason,
        "functions": list(v.functions),
        "violations": [_violation(x) for x in v.violations],
    }


def _position(p: Position) -> dict[str, Any]:
    return {
        "person": p.person.display,
        "email": p.person.email,
        "stance": p.stance.value,
        "message_id": p.message_id,
        "date": p.date.isoformat(),
        "answers": p.answers,
        "evidence": p.evidence,
        "qualifier": p.qualifier,
        "standing": p.standing,
        "withdrawn_by": p.withdrawn_by,
    }


def _trailer(t: Trailer) -> dict[str, Any]:
    return {
        "name": t.name,
        "value": t.value,
        "person": t.person.display if t.person else None,
        "email": t.person.email if t.person else None,
        "comment": t.comment,
    }


def _apply(a: AppliedRevision | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "applied": a.applied,
        "base": a.base,
        "base_how": a.base_how,
        "commit": a.commit,
        "ref": a.ref,
        "synthetic": a.synthetic,
        "offsets": [{"path": o.path, "hunk": o.hunk, "offset": o.offset} for o in a.offsets],
        "error": None if a.error is None else {"path": a.error.path, "hunk": a.error.hunk, "reason": a.error.reason},
        "files": list(a.files),
        "functions": [
            {
                "name": f.name,
                "path": f.path,
                "pre": None if f.pre is None else {"start_line": f.pre.start_line, "end_line": f.pre.end_line, "complete": f.pre.complete},
                "post": None if f.post is None else {"start_line": f.post.start_line, "end_line": f.post.end_line, "complete": f.post.complete},
            }
            for f in a.functions
        ],
        "range_diff": a.range_diff,
        "already_in": None if a.already_in is None else {
            "commit": a.already_in.commit, "found_by": a.already_in.found_by or None},
        "fallback": a.fallback,
    }


def _commit(c: CommitRef | None) -> dict[str, Any] | None:
    return None if c is None else {"sha": c.sha, "title": c.title}


def _fixes_problem(p: FixesProblem) -> dict[str, Any]:
    return {
        "scenario": p.scenario,
        "property": p.property,
        "kind": p.kind,
        "configs": [_config(c) for c in p.configs],
        "fixed": p.fixed,
        "origin": p.origin.value,
        "why": p.why,
        "since": _commit(p.since),
        "earliest": _commit(p.earliest),
        "evidence": None if p.evidence is None else _violation(p.evidence),
    }


def _fixes_tag(t: FixesTagCheck) -> dict[str, Any]:
    named = t.commit
    return {
        "tag": t.tag,
        "sha": t.named.sha,
        "title": t.named.title,
        "verdict": t.verdict.value,
        "commit": None if named is None else {
            "sha": named.commit.sha, "title": named.commit.title, "found": named.found,
            "where": named.where, "before": named.before,
        },
        "problems": [_fixes_problem(p) for p in t.problems],
        "notes": list(t.notes),
    }


def _fixes(f: FixesReview | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "tags": [_fixes_tag(t) for t in f.tags],
        "suggestions": [
            {"sha": s.commit.sha, "title": s.commit.title, "line": s.commit.fixes_line,
             "problems": [_fixes_problem(p) for p in s.problems], "simulations": s.simulations,
             "commits": s.commits}
            for s in f.suggestions
        ],
        "notes": list(f.notes),
        "stable": [_fixes_tag(t) for t in f.stable],
    }


def _revision(rr: RevisionReview) -> dict[str, Any]:
    r = rr.revision
    applied = rr.applied.applied if rr.applied is not None else r.kind is RevisionKind.BASE
    return {
        "id": r.id,
        "label": r.label,
        "kind": r.kind.value,
        "author": r.author.display,
        "email": r.author.email,
        "date": r.date.isoformat(),
        "message_id": r.message_id,
        "title": r.title,
        "version": r.version,
        "supersedes": r.supersedes,
        "applied": applied,
        "apply": _apply(rr.applied),
        "trailers": [_trailer(t) for t in r.trailers],
        "verdicts": [_sim_verdict(v) for v in rr.sim_verdicts] + [finding_to_json(f) for f in rr.findings],
        "positions": [_position(p) for p in rr.positions],
        "notes": list(rr.notes),
        "fixes": _fixes(rr.fixes),
    }


def _synthetic_base(review: Review) -> dict[str, Any] | None:
    """A ``base`` entry when the pipeline gave the base no RevisionReview of its own."""
    applied = [rr.applied for rr in review.revisions if rr.applied is not None and rr.applied.applied]
    if not applied:
        return None
    a = applied[0]
    return {
        "id": f"base:{a.base}",
        "label": "base",
        "kind": "base",
        "author": None,
        "email": None,
        "date": None,
        "message_id": None,
        "title": f"base {a.base[:12]} ({a.base_how})",
        "version": None,
        "supersedes": None,
        "applied": True,
        "apply": None,
        "trailers": [],
        "verdicts": [],
        "positions": [],
    }


def _link(review: Review, link: CommentLink) -> dict[str, Any]:
    out: dict[str, Any] = {
        "revision": link.revision_id,
        "revision_label": label_of(review, link.revision_id),
        "source": link.source,
        "why": link.why,
    }
    if link.source == "simulator":
        out["property"] = link.what
        out["scenario"] = link.scenario
        out["config"] = _config(link.config) if link.config is not None else None
    else:
        out["check"] = link.what
    return out


def _anchor(review: Review, c: Comment) -> dict[str, Any] | None:
    if c.anchor_revision is None:
        return None
    return {
        "revision": c.anchor_revision,
        "revision_label": label_of(review, c.anchor_revision),
        "file": c.anchor_file,
        "line": c.anchor_line,
        "why": c.anchor_why,
    }


def _comment(review: Review, cr: CommentReview) -> dict[str, Any]:
    c = cr.comment
    return {
        "message_id": c.message_id,
        "author": c.author.display,
        "email": c.author.email,
        "date": c.date.isoformat(),
        "text": c.text,
        "quoted": c.quoted,
        "first_line": c.first_line,
        "anchor": _anchor(review, c),
        "links": [_link(review, link) for link in cr.links],
        "addressed": dict(cr.addressed),
    }


def _other(o: OtherVersion) -> dict[str, Any]:
    return {
        "message_id": o.message_id,
        "subject": o.subject.raw,
        "version": o.subject.version,
        "date": o.date.isoformat(),
        "author": o.author.display,
        "email": o.author.email,
        "relation": o.relation,
        "found_by": o.found_by,
    }


def review_to_json(review: Review) -> dict[str, Any]:
    """The whole review as a JSON-ready dict (``{"schema": "reviewer/1", ...}``)."""
    revisions = [_revision(rr) for rr in sorted_revisions(review)]
    if not any(r["kind"] == "base" for r in revisions):
        base = _synthetic_base(review)
        if base is not None:
            revisions.insert(0, base)
    return {
        "schema": SCHEMA,
        "thread": outline_of(review),
        "revisions": revisions,
        "comments": [_comment(review, cr) for cr in review.comments],
        "other_versions": [_other(o) for o in review.other_versions],
        "notes": list(review.notes),
    }
