"""The review pipeline: thread -> revisions -> applied trees -> verdicts -> Review.

One direction, each stage a function of the previous stage's values. Views (report, JSON, TUI,
drafts, b4-check) read the :class:`~reviewer.model.Review` this returns and never recompute.

:func:`stream_review` is the pipeline itself: it yields each revision's results as soon as the
revision is simulated and checked (with the review so far), then the final ``Review``.
:func:`build_review` and :func:`review_thread` consume that stream, so the batch report and the
TUI (which paints the thread from :func:`open_thread` first and streams the rest) show one Review.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._config import Config
from ._errors import FetchError, MailError
from ._input import classify_input
from ._retrieve import RawThread, fetch_thread
from ._scratch import scratch_dir
from ._simstore import SimulationKey, remembered_simulation
from ._versions import fetch_other_version, find_other_versions, version_hints
from .check_api import CheckResult, LoadedCheck, check_revision, load_checks
from .fixes import FixesStage, LoreAccess
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
from .revisions import file_diffs, find_revisions
from .sim import SimCache, simulate_revision
from .sim.resolve import TreeSource
from .thread import build_thread
from .trees import FactStore, TreeSearch, apply_all, open_repo
from .verdicts import CommentLinker, revision_positions

__all__ = [
    "OpenedThread",
    "ReviewEvent",
    "ReviewRequest",
    "RevisionAnalysed",
    "build_review",
    "open_thread",
    "review_thread",
    "stream_review",
    "thread_key",
]


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


@dataclass(frozen=True, slots=True)
class OpenedThread:
    """A thread fetched and built, and the revisions found in it, before any analysis: what the
    TUI paints first."""

    thread: Thread
    revisions: tuple[Revision, ...]
    other_versions: tuple[OtherVersion, ...] = ()
    notes: tuple[str, ...] = ()
    """About retrieval (cache used, other versions not fetched, a newer version exists)."""
    lore: LoreAccess | None = None
    """Where a commit a ``Fixes:`` tag names, missing from the tree, may be looked up (the server
    the thread came from; None for a local thread)."""


@dataclass(frozen=True, slots=True)
class RevisionAnalysed:
    """One revision simulated and checked, as soon as it is."""

    revision: RevisionReview
    done: int
    """Revisions analysed so far (this one included)."""
    total: int
    review: Review
    """The review so far: the revisions analysed yet (and their bases), comments linked to them."""


ReviewEvent = RevisionAnalysed | Review
"""What :func:`stream_review` yields: a :class:`RevisionAnalysed` per revision, then the Review."""


def thread_key(thread: Thread) -> str:
    """A short, ref-safe name for the thread (its refs live under refs/reviewer/<key>/)."""
    return hashlib.sha1(thread.root.encode()).hexdigest()[:12]


def review_thread(request: ReviewRequest, cfg: Config, *, progress: Progress = SILENT) -> Review:
    """Fetch the thread the request names and review it."""
    opened = open_thread(request, cfg, progress=progress)
    return _last(stream_review(opened, cfg, tree=request.tree, progress=progress))


def open_thread(request: ReviewRequest, cfg: Config, *, progress: Progress = SILENT) -> OpenedThread:
    """Fetch the thread the request names (and, if asked, its other versions) and build it."""
    source = classify_input(request.thread)
    progress.stage("fetch")
    raw = fetch_thread(source, cfg, offline=request.offline, refresh=request.refresh,
                       git_overrides=request.git_overrides, progress=progress.note)
    notes: list[str] = []
    if raw.from_cache:
        notes.append(f"thread read from the cache ({raw.server or 'local'})")
    notes.extend(raw.notes)
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
    # A Fixes: tag naming a commit the tree lacks is looked up where the thread came from.
    lore = LoreAccess(raw.server or None, request.offline, request.refresh,
                      request.git_overrides) if source.kind.is_remote else None
    return OpenedThread(thread, tuple(find_revisions(thread)), others, tuple(notes), lore)


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
                 progress: Progress | None = None, lore: LoreAccess | None = None) -> Review:
    """Review a thread (or raw messages) against ``tree`` (None: a synthetic base); ``lore``: where
    a named commit the tree lacks may be looked up (None: the tree only)."""
    thread = thread_or_raw if isinstance(thread_or_raw, Thread) else build_thread(thread_or_raw)
    opened = OpenedThread(thread, tuple(find_revisions(thread)), lore=lore)
    return _last(stream_review(opened, cfg, tree=tree, progress=progress or SILENT))


def stream_review(opened: OpenedThread | Thread, cfg: Config, *, tree: Path | None,
                  progress: Progress = SILENT) -> Generator[ReviewEvent, None, None]:
    """Review ``opened`` against ``tree`` (None: a synthetic base), yielding each revision's
    results as it is analysed, then the final :class:`Review` (always the last item).

    Closing the iterator early (a TUI quit) stops between revisions: what is written by then
    (refs of applied revisions, a thread already cached) is whole, and the scratch repository
    of a synthetic base is removed.
    """
    if isinstance(opened, Thread):
        opened = OpenedThread(opened, tuple(find_revisions(opened)))
    for event in _stream_revisions(opened.thread, opened.revisions, cfg, tree, progress, opened.lore):
        # every Review in the stream, the partial ones too, carries what retrieval found
        review = event.review if isinstance(event, RevisionAnalysed) else event
        review = replace(review, other_versions=opened.other_versions,
                         notes=opened.notes + review.notes)
        yield replace(event, review=review) if isinstance(event, RevisionAnalysed) else review


def _last(stream: Iterator[ReviewEvent]) -> Review:
    final = deque(stream, maxlen=1).pop()
    assert isinstance(final, Review), "stream_review ends with the Review"
    return final


def _stream_revisions(thread: Thread, revisions: Sequence[Revision], cfg: Config, tree: Path | None,
                      progress: Progress, lore: LoreAccess | None) -> Iterator[ReviewEvent]:
    if not revisions:
        yield Review(thread=thread, notes=("no patch revisions found in the thread",))
        return

    # A synthetic base lives in a private repository for this run only: nothing is left behind
    # and two reviews of one thread never share it.
    with scratch_dir("reviewer-synthetic-") as scratch:
        yield from _review_revisions(thread, revisions, cfg, tree, scratch, progress, lore)


def _review_revisions(thread: Thread, revisions: Sequence[Revision], cfg: Config, tree: Path | None,
                      scratch: Path, progress: Progress, lore: LoreAccess | None) -> Iterator[ReviewEvent]:
    notes: list[str] = []
    # One runner (one cat-file process) for the tree; tree-wide facts and verdicts kept on disk.
    facts = FactStore(cfg.cache.dir / "trees")
    search = None if tree is None else TreeSearch(open_repo(tree), facts)
    progress.stage("apply", total=len(revisions))
    applied = apply_all(revisions, tree, thread_key=thread_key(thread), branch=cfg.tree.branch,
                        scratch=scratch, synthetic_fallback=cfg.tree.synthetic_fallback,
                        git=None if search is None else search.git)
    for _ in applied:
        progress.advance()
    if tree is None:
        notes.append("no kernel tree configured: revisions applied to a synthetic base built from "
                     "the hunks; functions not wholly inside the hunks are not analysed")
    elif any(a.synthetic for a in applied):
        notes.append(f"{tree}: does not hold the base of "
                     + ", ".join(r.label for r, a in zip(revisions, applied, strict=True) if a.synthetic)
                     + "; used a synthetic base built from the hunks ([tree] synthetic_fallback)")

    checks = load_checks(cfg.checks)
    sim_cache = SimCache()
    fixes = FixesStage(cfg, tree=tree, scratch=scratch / "fixes", sim_cache=sim_cache, lore=lore,
                       note=progress.note)
    progress.stage("analyse", total=len(revisions))
    reviews: list[RevisionReview] = []
    bases: dict[str, _Base] = {}
    linker = CommentLinker(thread, revisions)
    # The checks wait on git and perl most of the time: they run beside the simulator.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = [pool.submit(_check, r, a, checks, search) for r, a in zip(revisions, applied, strict=True)]
        for revision, result, future in zip(revisions, applied, checking, strict=True):
            sim, base_sim = _simulate(revision, result, cfg, sim_cache, search, facts)
            checked = future.result()
            review = RevisionReview(revision, result, sim, checked.revision,
                                    revision_positions(thread, revision, revisions),
                                    _diff_notes(revision) + _simulation_notes(result, sim, cfg),
                                    checks=tuple(c.id for c in checks if c.run is not None))
            # After simulation: the Fixes: tags are checked against the same verdicts and cache.
            reviews.append(replace(review, fixes=fixes.review(review, base_id=_base_id(result))))
            if result.applied:
                base = bases.setdefault(result.base, _Base(result))
                base.of.append(revision.label)
                base.sim.extend(base_sim)
                base.findings.extend(checked.base)
            linker.add(reviews[-1])
            progress.advance(revision.label)
            yield RevisionAnalysed(reviews[-1], len(reviews), len(revisions),
                                   _review_so_far(thread, bases, reviews, linker, notes))
    yield _review_so_far(thread, bases, reviews, linker, notes)


def _review_so_far(thread: Thread, bases: dict[str, _Base], reviews: Sequence[RevisionReview],
                   linker: CommentLinker, notes: Sequence[str]) -> Review:
    """The bases, the revisions analysed yet and every comment linked to them."""
    revisions = (*[_base_review(thread, b) for b in bases.values()], *reviews)
    return Review(thread=thread, revisions=revisions, comments=linker.comments(), notes=tuple(notes))


def _simulate(revision: Revision, result: AppliedRevision, cfg: Config, cache: SimCache,
              search: TreeSearch | None = None,
              facts: FactStore | None = None) -> tuple[tuple[SimVerdict, ...], tuple[SimVerdict, ...]]:
    if not result.applied or not cfg.simulator.enabled:
        return (), ()
    repo = Path(result.repo_path) if result.repo_path else None
    # Callees resolve in the tree the revision is applied to: the user's, through the run's own
    # runner and kept greps, or the scratch repository of a synthetic base.
    shared = None if result.synthetic else search
    kconfig, cache_dir, roots = cfg.kconfig_map, cfg.cache.dir, result.files
    post = (TreeSource(repo, result.commit, kconfig=kconfig, cache_dir=cache_dir, roots=roots,
                       search=shared, base=result.base) if repo and result.commit else None)
    pre = (TreeSource(repo, result.base, kconfig=kconfig, cache_dir=cache_dir, roots=roots, search=shared)
           if repo else None)

    def run() -> tuple[tuple[SimVerdict, ...], tuple[SimVerdict, ...]]:
        out = simulate_revision(
            revision.id, result.functions, base_id=_base_id(result),
            post_lookup=post, pre_lookup=pre, config=cfg.simulator, kconfig=cfg.kconfig_map,
            cache=cache,
        )
        return out.revision, out.base

    if facts is None or not result.commit:
        return run()
    key = SimulationKey(revision.id, _base_id(result), result.functions, result.base, result.commit,
                        cfg.simulator, tuple(sorted((k, str(v)) for k, v in cfg.kconfig_map.items())))
    return remembered_simulation(facts, key, run)


def _diff_notes(revision: Revision) -> tuple[str, ...]:
    """Hunks the mail ended before their header's line counts: a truncated or wrapped mail (or
    a hand-edited hunk) is reviewed as posted, and the reader is told."""
    return tuple(
        f"{f.path}: hunk {n} ends before the lines its header counts (mail cut short, "
        "a wrapped line, or a hand-edited hunk); reviewed as posted"
        for f in file_diffs(revision) for n, hunk in enumerate(f.hunks, 1) if not hunk.complete
    )


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


def _check(revision: Revision, result: AppliedRevision, checks: Sequence[LoadedCheck],
           search: TreeSearch | None) -> CheckResult:
    return check_revision(revision, result, None, checks, search=None if result.synthetic else search)


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
