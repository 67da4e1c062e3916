"""The review pipeline: thread -> revisions -> applied trees -> verdicts -> Review.

One direction, each stage a function of the previous stage's values. Views (report, JSON, TUI,
drafts, b4-check) read the :class:`~reviewer.model.Review` this returns and never recompute.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import git

from ._config import Config
from ._errors import FetchError, MailError
from ._input import classify_input
from ._retrieve import RawThread, fetch_thread
from ._versions import fetch_other_version, find_other_versions, version_hints
from .check_api import CheckResult, LoadedCheck, check_revision, load_checks
from .model import (
    Address,
    AppliedRevision,
    Finding,
    OtherVersion,
    Review,
    Revision,
    RevisionKind,
    RevisionReview,
    SimVerdict,
    Thread,
)
from .progress import SILENT, Progress
from .revisions import find_revisions
from .sim import SimCache, simulate_revision
from .sim.resolve import TreeSource
from .thread import build_thread
from .trees import apply_all
from .verdicts import link_comments, revision_positions

__all__ = ["ReviewRequest", "build_review", "review_thread", "thread_key"]


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """What the user asked for on the command line (or the TUI's open dialog)."""

    thread: str
    """Lore URL, patchwork URL, Message-ID, mbox, .eml or Maildir."""
    tree: Path | None = None
    offline: bool = False
    refresh: bool = False
    all_versions: bool = False
    git_overrides: tuple[str, ...] = ()


def thread_key(thread: Thread) -> str:
    """A short, ref-safe name for the thread (its refs live under refs/reviewer/<key>/)."""
    return hashlib.sha1(thread.root.encode()).hexdigest()[:12]


def review_thread(request: ReviewRequest, cfg: Config, *, progress: Progress = SILENT) -> Review:
    """Fetch the thread the request names and review it."""
    source = classify_input(request.thread)
    progress.stage("fetch")
    raw = fetch_thread(source, cfg, offline=request.offline, refresh=request.refresh,
                       git_overrides=request.git_overrides, progress=progress.note)
    notes: list[str] = []
    if raw.from_cache:
        notes.append(f"thread read from the cache ({raw.server or 'local'})")
    thread = build_thread(raw.messages, source=raw.source, root_hint=raw.root)

    others: tuple[OtherVersion, ...] = ()
    if source.kind.is_remote and cfg.lore.search_versions:
        others, more_notes = _other_versions(thread, raw, cfg, request, progress)
        notes.extend(more_notes)
    if request.all_versions:
        merged = list(raw.messages)
        for other in others:
            try:
                other_raw = fetch_other_version(other, cfg, server=raw.server or None,
                                                offline=request.offline, refresh=request.refresh,
                                                git_overrides=request.git_overrides,
                                                progress=progress.note)
            except (FetchError, MailError) as exc:
                # Other versions are context: the thread asked for is still reviewed.
                notes.append(f"other version v{other.subject.version} <{other.message_id}> "
                             f"not fetched: {exc}")
                continue
            merged.extend(other_raw.messages)
        if len(merged) > len(raw.messages):
            # One thread built from every version's messages (each other root stays a root of
            # its own), so positions are worked out across versions: a NAK on v2 withdraws the
            # same person's ack on v1.
            thread = build_thread(merged, source=raw.source, root_hint=thread.root)
    review = build_review(thread, cfg, tree=request.tree, progress=progress)
    return replace(review, other_versions=others, notes=tuple(notes) + review.notes)


def _other_versions(thread: Thread, raw: RawThread, cfg: Config, request: ReviewRequest,
                    progress: Progress) -> tuple[tuple[OtherVersion, ...], list[str]]:
    root = thread[thread.root]
    hints = version_hints(m.body for m in thread.messages if not m.subject.is_reply)
    search = find_other_versions(
        root.subject.title, root.subject.version, root.date, cfg,
        known_ids={m.message_id for m in thread.messages},
        link_ids=hints.link_ids, change_ids=hints.change_ids,
        server=raw.server or None, git_overrides=request.git_overrides,
        offline=request.offline, refresh=request.refresh, progress=progress.note,
    )
    notes = list(search.notes)
    if any(o.relation == "newer" for o in search.versions):
        notes.append("newer revision available: " + ", ".join(
            f"v{o.subject.version} <{o.message_id}>" for o in search.versions if o.relation == "newer"))
    return search.versions, notes


def build_review(thread_or_raw: Thread | Sequence[bytes], cfg: Config, *, tree: Path | None,
                 progress: Progress | None = None) -> Review:
    """Review a thread (or raw messages) against ``tree`` (None: a synthetic base)."""
    progress = progress or SILENT
    thread = thread_or_raw if isinstance(thread_or_raw, Thread) else build_thread(thread_or_raw)
    revisions = find_revisions(thread)
    if not revisions:
        return Review(thread=thread, notes=("no patch revisions found in the thread",))

    # A synthetic base lives in a private repository for this run only: nothing is left behind
    # and two reviews of one thread never share it.
    with tempfile.TemporaryDirectory(prefix="reviewer-synthetic-") as scratch:
        return _review_revisions(thread, revisions, cfg, tree, Path(scratch), progress)


def _review_revisions(thread: Thread, revisions: Sequence[Revision], cfg: Config, tree: Path | None,
                      scratch: Path, progress: Progress) -> Review:
    notes: list[str] = []
    progress.stage("apply", total=len(revisions))
    applied = apply_all(revisions, tree, thread_key=thread_key(thread), branch=cfg.tree.branch,
                        scratch=scratch)
    for _ in applied:
        progress.advance()
    if tree is None:
        notes.append("no kernel tree configured: revisions applied to a synthetic base built from "
                     "the hunks; functions not wholly inside the hunks are not analysed")
    elif any(a.synthetic for a in applied):
        notes.append(f"{tree}: does not hold the base of "
                     + ", ".join(r.label for r, a in zip(revisions, applied, strict=True) if a.synthetic)
                     + "; used a synthetic base built from the hunks")

    checks = load_checks(cfg.checks)
    sim_cache = SimCache()
    progress.stage("analyse", total=len(revisions))
    reviews: list[RevisionReview] = []
    bases: dict[str, _Base] = {}
    for revision, result in zip(revisions, applied, strict=True):
        sim, base_sim = _simulate(revision, result, cfg, sim_cache)
        checked = _check(revision, result, checks)
        reviews.append(RevisionReview(revision, result, sim, checked.revision,
                                      revision_positions(thread, revision, revisions),
                                      _simulation_notes(result, sim, cfg)))
        if result.applied:
            base = bases.setdefault(result.base, _Base(result))
            base.of.append(revision.label)
            base.sim.extend(base_sim)
            base.findings.extend(checked.base)
        progress.advance(revision.label)

    base_reviews = [_base_review(thread, b) for b in bases.values()]
    all_reviews = (*base_reviews, *reviews)
    progress.stage("link comments")
    comments = link_comments(thread, all_reviews)
    return Review(thread=thread, revisions=all_reviews, comments=comments, notes=tuple(notes))


def _simulate(revision: Revision, result: AppliedRevision, cfg: Config,
              cache: SimCache) -> tuple[tuple[SimVerdict, ...], tuple[SimVerdict, ...]]:
    if not result.applied or not cfg.simulator.enabled:
        return (), ()
    repo = Path(result.repo_path) if result.repo_path else None
    kconfig, cache_dir, roots = cfg.kconfig_map, cfg.cache.dir, result.files
    post = (TreeSource(repo, result.commit, kconfig=kconfig, cache_dir=cache_dir, roots=roots)
            if repo and result.commit else None)
    pre = TreeSource(repo, result.base, kconfig=kconfig, cache_dir=cache_dir, roots=roots) if repo else None
    out = simulate_revision(
        revision.id, result.functions, base_id=_base_id(result),
        post_lookup=post, pre_lookup=pre, config=cfg.simulator, kconfig=cfg.kconfig_map,
        cache=cache,
    )
    return out.revision, out.base


def _simulation_notes(result: AppliedRevision, sim: Sequence[SimVerdict], cfg: Config) -> tuple[str, ...]:
    """Say so when the simulator had nothing to run: silence would read as "clean"."""
    if not result.applied or sim:
        return ()
    if not cfg.simulator.enabled:
        return ("simulator: disabled",)
    if not result.functions:
        return ("simulator: the revision changes no C function",)
    names = ", ".join(f"{f.name}()" for f in result.functions)
    return (f"simulator: no scenario exercises {names}; not simulated",)


def _check(revision: Revision, result: AppliedRevision, checks: Sequence[LoadedCheck]) -> CheckResult:
    repo = git.Repo(result.repo_path) if result.repo_path else None
    try:
        return check_revision(revision, result, None, checks, repo=repo)
    finally:
        if repo is not None:
            repo.close()


def _base_id(result: AppliedRevision) -> str:
    return f"base-{result.base[:12]}"


@dataclass
class _Base:
    """A base commit and what the revisions applied to it found in it."""

    applied: AppliedRevision
    of: list[str] = field(default_factory=list)
    """Labels of the revisions applied to it."""
    sim: list[SimVerdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _base_review(thread: Thread, base: _Base) -> RevisionReview:
    """The pre-image as a revision of kind ``base``: its own verdicts, deduplicated."""
    result, sims, findings = base.applied, base.sim, base.findings
    base_id = _base_id(result)
    root = thread[thread.root]
    what = "synthetic" if result.synthetic else result.base[:12]
    label = f"base ({what}) of {', '.join(base.of)}"
    revision = Revision(
        id=base_id, label=label, kind=RevisionKind.BASE, author=Address("", ""), date=root.date,
        message_id="", title=f"{result.base_how}: {result.base}", commit_message="", trailers=(),
        diff="",
    )
    seen_sim: dict[tuple[str, object], SimVerdict] = {}
    for v in sims:
        seen_sim.setdefault((v.scenario, v.config), replace(v, revision_id=base_id))
    seen_find: dict[tuple[str, str, int, str], Finding] = {}
    for f in findings:
        seen_find.setdefault((f.check, f.file, f.line, f.message), replace(f, revision_id=base_id))
    applied = replace(result, revision_id=base_id, commit=result.base, offsets=(), functions=(),
                      range_diff="", ref=None)
    return RevisionReview(revision, applied, tuple(seen_sim.values()), tuple(seen_find.values()), ())
