"""The Fixes stage: each revision's ``Fixes:`` tags checked by simulating history, or one offered.

For a tag, the named commit is found (by id in the user's tree, else by title there, else its
posting on lore); the revision's functions just before and at it are simulated with the
scenarios and configurations the revision itself ran, and each problem of the revision's base
is placed: introduced by the named commit, older, or not reproduced. A revision with no tag
that holds up (or whose tag does not) gets a ``Fixes:`` line from a bisection of the functions'
history in the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .._config import Config
from .._errors import TreeError
from ..model import (
    CommitRef,
    FixesReview,
    FixesSuggestion,
    FixesTagCheck,
    FixOrigin,
    NamedCommit,
    RevisionKind,
    RevisionReview,
    TagVerdict,
    TouchedFunction,
)
from ..sim import SimCache
from ..sim.resolve import TreeSource
from ._bisect import Origin, Walk, find_origin
from ._classify import Placed, Target, group, place, revision_targets, tag_verdict
from ._history import History
from ._lore import LoreAccess, Posting, find_posting
from ._probe import Prober, Seen, Version
from ._tags import FixesTag, StableHint, fixes_tags, stable_hints

__all__ = ["HISTORY_LIMIT", "FixesStage"]

HISTORY_LIMIT = 200
"""Commits of a function's history walked at most (a bisection simulates about log2 of them)."""
_TITLE_SEARCH_LIMIT = 10


@dataclass(frozen=True, slots=True)
class _Named:
    """A named commit found, with the versions to simulate."""

    commit: NamedCommit
    at: Version
    before: Version | None
    no_before: str
    """Why there is no "before" version (``before`` None)."""


class FixesStage:
    """One per review: remembers named commits, postings and simulated versions across revisions."""

    def __init__(self, cfg: Config, *, tree: Path | None, scratch: Path, sim_cache: SimCache,
                 lore: LoreAccess | None = None, note: Callable[[str], None] | None = None) -> None:
        self._cfg = cfg
        self._tree = tree
        self._history: History | None = None
        self._no_history = "no kernel tree"
        if tree is not None:
            try:
                self._history = History(tree)
            except TreeError as exc:  # b4-check's working directory may be no repository at all
                self._no_history = str(exc)
        self._scratch = scratch
        self._sim_cache = sim_cache
        self._lore = lore
        self._note = note or (lambda _text: None)
        self._postings: dict[str, tuple[Posting | None, str]] = {}
        self._seen: dict[str, Seen] = {}

    # ------------------------------------------------------------------ per revision

    def review(self, rr: RevisionReview, *, base_id: str) -> FixesReview | None:
        """The revision's Fixes: tags (and stable hints) checked, or a tag offered; None when there
        is nothing to say (no tag, no hint, and nothing the revision fixes)."""
        if rr.revision.kind is RevisionKind.BASE:
            return None
        tags = fixes_tags(rr.revision.trailers)
        hints = stable_hints(rr.revision.trailers)
        targets = revision_targets(rr)
        if not tags and not hints and not any(t.fixed for t in targets):
            return None
        reason = self._cannot(rr)
        if reason:
            unchecked = tuple(FixesTagCheck(t.value, CommitRef(t.sha, t.title), TagVerdict.NOT_CHECKED, notes=(reason,))
                              for t in tags)
            stable = tuple(FixesTagCheck(h.value, CommitRef("", f"v{h.release}"), TagVerdict.NOT_CHECKED,
                                         notes=(reason,)) for h in hints)
            return FixesReview(unchecked, notes=() if tags else (f"no Fixes: tag; none offered: {reason}",),
                               stable=stable)
        prober = self._prober(rr, base_id)
        checks = tuple(self._check(tag, rr, targets, prober) for tag in tags)
        stable = tuple(self._check_stable(hint, rr, targets, prober) for hint in hints)
        if any(c.verdict is TagVerdict.VERIFIED for c in checks):
            return FixesReview(checks, stable=stable)
        suggestions, notes = self._suggest(rr, targets, prober, checks=checks)
        return FixesReview(checks, suggestions, notes, stable)

    def _source(self, repo: Path, commit: str) -> TreeSource:
        """Callees of one version, from the tree at ``commit`` (read only when one is asked for)."""
        return TreeSource(repo, commit, kconfig=self._cfg.kconfig_map, cache_dir=self._cfg.cache.dir)

    def _cannot(self, rr: RevisionReview) -> str:
        if not self._cfg.simulator.enabled:
            return "the simulator is disabled"
        if rr.applied is None or not rr.applied.applied:
            return "the revision does not apply"
        if not rr.sim_verdicts:
            return "the revision was not simulated"
        if not self._functions(rr):
            return "the revision only adds functions: they have no history"
        return ""

    def _prober(self, rr: RevisionReview, base_id: str) -> Prober:
        assert rr.applied is not None
        repo = Path(rr.applied.repo_path) if rr.applied.repo_path else None
        tree = self._tree
        return Prober(
            cfg=self._cfg, revision_id=rr.revision.id, functions=rr.applied.functions, base_id=base_id,
            base_lookup=self._source(repo, rr.applied.base) if repo else None, sim_cache=self._sim_cache,
            lookup_at=(lambda sha: self._source(tree, sha)) if tree is not None else None, memo=self._seen,
        )

    # ------------------------------------------------------------------ a tag

    def _check(self, tag: FixesTag, rr: RevisionReview, targets: Sequence[Target], prober: Prober) -> FixesTagCheck:
        named_ref = CommitRef(tag.sha, tag.title)
        if not tag.sha:
            return FixesTagCheck(tag.value, named_ref, TagVerdict.NOT_CHECKED,
                                 notes=("the tag does not start with a commit hash",))
        self._note(f"Fixes: {tag.sha}: finding the named commit")
        named, notes = self._find(tag, rr)
        if named is None:
            return FixesTagCheck(tag.value, named_ref, TagVerdict.NOT_CHECKED, notes=tuple(notes))
        self._note(f"Fixes: {tag.sha}: simulating {named.at.label} and the version before it")
        at_seen = prober.seen(named.at)
        before_seen = prober.seen(named.before) if named.before is not None else None
        placed = [place(t, named.at, at_seen, named.before, before_seen, no_before=named.no_before)
                  for t in targets]
        older = [p for p in placed if p.origin is FixOrigin.OLDER]
        if older and named.before is not None and named.before.commit is not None:
            placed = self._date_older(placed, named.before, prober)
        problems = group(placed)
        if not any(p.fixed for p in problems):
            notes.append("the simulator finds no problem of the base that the revision fixes")
        return FixesTagCheck(tag.value, named_ref, tag_verdict(problems), named.commit, problems, tuple(notes))

    def _check_stable(self, hint: StableHint, rr: RevisionReview, targets: Sequence[Target],
                      prober: Prober) -> FixesTagCheck:
        """The hint's release against the one before it: the first release with the problem?"""
        release = CommitRef("", f"v{hint.release}")
        history = self._history
        if history is None:
            return FixesTagCheck(hint.value, release, TagVerdict.NOT_CHECKED,
                                 notes=(f"{self._no_history}, so no release tags to read",))
        sha = history.release(hint.release)
        if sha is None:
            return FixesTagCheck(hint.value, release, TagVerdict.NOT_CHECKED,
                                 notes=(f"{self._tree}: no release tag v{hint.release}",))
        names = [(f.name, f.path) for f in self._functions(rr)]
        at = self._version(CommitRef(sha, f"v{hint.release}"), names, label=f"v{hint.release}")
        previous = history.previous_release(hint.release)
        previous_sha = history.release(previous) if previous else None
        before = (self._version(CommitRef(previous_sha, f"v{previous}"), names, label=f"v{previous}")
                  if previous_sha else None)
        self._note(f"Fixes: simulating v{hint.release} for the stable hint")
        before_seen = prober.seen(before) if before is not None else None
        placed = [place(t, at, prober.seen(at), before, before_seen, no_before="no earlier release tag in the tree")
                  for t in targets if t.fixed]
        problems = group(placed)
        named = NamedCommit(CommitRef(sha, f"v{hint.release}"), "tree-tag", str(self._tree), previous_sha or "")
        return FixesTagCheck(hint.value, release, tag_verdict(problems), named, problems)

    def _date_older(self, placed: list[Placed], before: Version, prober: Prober) -> list[Placed]:
        """For problems already present before the named commit: when did they come in?"""
        assert before.commit is not None
        walk = self._walk(before.commit, before)
        if walk is None:
            return placed
        out = []
        for p in placed:
            if p.origin is FixOrigin.OLDER:
                origin = find_origin(walk, p.target.problem, prober.seen)
                p = replace(p, since=origin.introduced_by, earliest=origin.earliest,
                            why=f"{p.why}; {origin.why}" if origin.why else p.why)
            out.append(p)
        return out

    def _find(self, tag: FixesTag, rr: RevisionReview) -> tuple[_Named | None, list[str]]:
        notes: list[str] = []
        if self._history is not None:
            found = self._in_tree(tag, rr)
            if found is not None:
                return found, notes
            paths = ", ".join(sorted({f.path for f in self._functions(rr)}))
            notes.append(f"{self._tree}: no commit {tag.sha}, nor one titled \"{tag.title}\" touching {paths}")
        if self._lore is None:
            notes.append("not looked up on lore (the thread did not come from a lore server)")
            return None, notes
        found, note = self._on_lore(tag, rr)
        if note:
            notes.append(note)
        return found, notes

    def _functions(self, rr: RevisionReview) -> tuple[TouchedFunction, ...]:
        """The revision's functions that have a history (its base has them)."""
        assert rr.applied is not None
        return tuple(f for f in rr.applied.functions if f.pre is not None)

    def _version(self, commit: CommitRef, functions: Sequence[tuple[str, str]], *, label: str = "") -> Version:
        """The (name, path) functions as ``commit`` has them."""
        assert self._history is not None
        images = self._history.images(commit.sha, functions)
        missing = [name for name, image in images.items() if image is None]
        label = (label or commit.sha[:12]) + (f" (without {', '.join(n + '()' for n in missing)})" if missing else "")
        return Version(label, tuple(images.items()), commit)

    def _in_tree(self, tag: FixesTag, rr: RevisionReview) -> _Named | None:
        history = self._history
        assert history is not None and rr.applied is not None
        how = "tree-id"
        sha = history.resolve(tag.sha)
        if sha is None:
            start = self._start(rr)
            paths = sorted({f.path for f in self._functions(rr)})
            sha = history.find_by_title(tag.title, start, paths, limit=_TITLE_SEARCH_LIMIT) if start else None
            how = "tree-title"
        if sha is None:
            return None
        names = [(f.name, f.path) for f in self._functions(rr)]
        at = self._version(CommitRef(sha, history.title(sha)), names)
        parent = history.parent(sha)
        before = self._version(CommitRef(parent, history.title(parent)), names) if parent else None
        named = NamedCommit(at.commit or CommitRef(sha, ""), how, str(self._tree), parent or "")
        return _Named(named, at, before, "it is the first commit of the tree")

    def _own_base(self, rr: RevisionReview) -> bool:
        """True when the revision applied to a commit of the user's tree (not a synthetic base)."""
        assert rr.applied is not None
        return not rr.applied.synthetic and rr.applied.repo_path is not None and \
            Path(rr.applied.repo_path) == self._tree

    def _start(self, rr: RevisionReview) -> str | None:
        """Where the tree's history is read from: the revision's base when it is the tree's own."""
        assert self._history is not None and rr.applied is not None
        return rr.applied.base if self._own_base(rr) else self._history.branch_head(self._cfg.tree.branch)

    def _on_lore(self, tag: FixesTag, rr: RevisionReview) -> tuple[_Named | None, str]:
        assert self._lore is not None
        functions = self._functions(rr)
        paths = sorted({f.path for f in functions})
        key = tag.title.lower()
        if key not in self._postings:
            self._note(f"Fixes: {tag.sha}: searching lore for \"{tag.title}\"")
            self._postings[key] = find_posting(tag.title, paths, self._cfg, self._lore, self._scratch / "lore")
        posting, note = self._postings[key]
        if posting is None:
            return None, note
        posted = {f.name: f for f in posting.functions}
        if not set(posted) & {f.name for f in functions}:
            return None, (f"lore <{posting.message_id}>: the posting changes none of "
                          + ", ".join(f"{f.name}()" for f in functions))
        # A function the posting does not change is taken as the base has it.
        before = tuple((f.name, posted[f.name].pre if f.name in posted else f.pre) for f in functions)
        at = tuple((f.name, posted[f.name].post if f.name in posted else f.pre) for f in functions)
        named = NamedCommit(CommitRef(tag.sha, tag.title), "lore", posting.message_id, "the posting's pre-image")
        return _Named(named, Version(f"{tag.sha[:12]} as posted", at), Version("the posting's pre-image", before),
                      "the posting adds the function"), ""

    # ------------------------------------------------------------------ no tag (or a wrong one)

    def _walk(self, start: CommitRef, version: Version) -> Walk | None:
        """The functions' history from ``start`` back (the version there is ``version``)."""
        history = self._history
        assert history is not None
        images = {name: image for name, image in version.images if image is not None}
        commits = history.walk(start.sha, images, limit=HISTORY_LIMIT)
        if not commits:
            return None
        names = [(name, image.path) for name, image in images.items()]
        ordered = list(reversed(commits))
        parent = history.parent(ordered[0].sha)
        if parent is not None:
            ordered.insert(0, CommitRef(parent, history.title(parent)))
        return Walk(tuple(ordered), lambda commit: self._version(commit, names), floor=parent is not None)

    def _suggest(self, rr: RevisionReview, targets: Sequence[Target], prober: Prober,
                 *, checks: Sequence[FixesTagCheck]) -> tuple[tuple[FixesSuggestion, ...], tuple[str, ...]]:
        fixed = [t for t in targets if t.fixed]
        if not fixed:
            return (), ()
        assert rr.applied is not None
        if not checks:
            what = "no Fixes: tag; none offered"
        elif all(c.verdict is TagVerdict.NOT_CHECKED for c in checks):
            what = "the tag could not be checked; no other commit offered"
        else:
            what = "the tag does not hold; no other commit offered"
        if self._history is None:
            return (), (f"{what}: {self._no_history}, so no history to bisect",)
        if not self._own_base(rr):
            return (), (f"{what}: the revision applied to a synthetic base, not a commit of the tree, "
                        "so there is no history to bisect",)
        base = CommitRef(rr.applied.base, self._history.title(rr.applied.base))
        start = Version(base.sha[:12], tuple((f.name, f.pre) for f in self._functions(rr)), base)
        self._note(f"Fixes: bisecting the history of {rr.revision.label}'s functions")
        walk = self._walk(base, start)
        if walk is None:
            return (), (f"{what}: git log -L found no history of the functions",)
        if len(walk.commits) < 2:
            # One version and no parent (a tree imported as one commit): nothing was ever absent,
            # so naming that commit would be a guess, not a finding.
            return (), (f"{what}: the functions' history in the tree is the one commit "
                        f"{walk.commits[0].sha[:12]}, nothing to bisect",)
        asked = set(prober.asked)
        origins: dict[Target, Origin] = {t: find_origin(walk, t.problem, prober.seen) for t in fixed}
        by_commit: dict[CommitRef, list[Placed]] = {}
        notes: list[str] = []
        for target, origin in origins.items():
            if origin.introduced_by is None:
                notes.append(f"{what} for {target.problem[0]} {target.problem[2][0]}: {origin.why}")
                continue
            commit = origin.introduced_by
            # The newest change is not simulated (the base is that version): its evidence is the
            # base's own counterexample.
            seen = prober.peek(walk.version(walk.commits.index(commit)))
            evidence = seen.violation(target.problem) if seen is not None else target.violation
            by_commit.setdefault(commit, []).append(Placed(target, FixOrigin.INTRODUCED, origin.why, evidence))
        spent = len(prober.asked - asked)
        suggestions = tuple(FixesSuggestion(commit, group(placed), spent, len(walk.commits))
                            for commit, placed in by_commit.items())
        return suggestions, tuple(dict.fromkeys(notes))
