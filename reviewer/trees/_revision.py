"""Apply revisions to a kernel tree (or a synthetic base) and keep them under private refs.

Each applied revision becomes a commit under ``refs/reviewer/<thread-key>/<revision-id>``; its
author and dates are the revision's and the committer is fixed, so re-running gives the same
commit ids. Nothing else of the repository changes: no work tree, index, HEAD, branch or stash.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .._errors import TreeError
from ..model import AppliedRevision, ApplyError, Revision, TouchedFunction
from ..revisions import file_diffs, patch_text, range_diff_summary
from ._apply import apply_to_base, refuse_unsafe_paths
from ._base import find_base
from ._git import Git, init_bare, open_repo, ref_component
from ._intree import find_in_history, without_revision_message
from ._refs import PRIVATE_REFS, update_private_ref
from ._synthetic import KnownLines, build_synthetic_base, reviewer_commit
from ._touched import touched_functions

__all__ = ["apply_all", "apply_revision", "apply_synthetic", "revision_ref", "scratch_repo"]


def revision_ref(thread_key: str, revision_id: str) -> str:
    return f"{PRIVATE_REFS}{ref_component(thread_key)}/{ref_component(revision_id)}"


def _commit(git: Git, revision: Revision, tree: str, parent: str) -> str:
    # "@<seconds>": git reads small values (a mail without a Date header is dated 1970) as a
    # date too; git refuses times before 1970.
    seconds = max(0, int(revision.date.timestamp()))
    stamp = f"@{seconds} {revision.date:%z}" if revision.date.tzinfo else f"@{seconds}"
    name = revision.author.name or revision.author.email or "unknown"
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": revision.author.email or "unknown@invalid",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": "reviewer",
        "GIT_COMMITTER_EMAIL": "reviewer@localhost",
        "GIT_COMMITTER_DATE": stamp,
    }
    message = f"{revision.title}\n\n{revision.commit_message}\n".replace("\n\n\n", "\n\n")
    # --no-gpg-sign: a user's commit.gpgSign must not prompt for a key for private commits.
    return git.with_env(**env).out(
        "commit-tree", "--no-gpg-sign", tree, "-p", parent, input=message.encode()
    )


def _apply_and_record(
    git: Git,
    revision: Revision,
    start: AppliedRevision,
    thread_key: str,
    three_way: bool,
    known_pre: KnownLines | None = None,
) -> AppliedRevision:
    """Apply onto ``start.base``; commit, ref and touched functions when it applies."""
    files = file_diffs(revision)
    start = replace(start, files=tuple(f.path for f in files))
    outcome = apply_to_base(git, start.base, files, patch_text(revision), three_way=three_way)
    if isinstance(outcome, ApplyError):
        return replace(start, error=outcome)
    commit = _commit(git, revision, outcome.tree, start.base)
    ref = revision_ref(thread_key, revision.id)
    update_private_ref(git, ref, commit)
    known_post = None
    if known_pre is not None:
        # A synthetic base applies exactly: the post-image lines are the hunks' new lines.
        # A known line right above a hunk (a signature taken from the hunk header) stays right
        # above it.
        known_post = {
            f.new_path: frozenset(n for h in f.hunks for n, _ in h.new_lines)
            | {
                h.new_lines[0][0] - 1
                for h in f.hunks
                if h.old_lines and h.new_lines
                and h.old_lines[0][0] - 1 in known_pre.get(f.old_path or "", frozenset())
            }
            for f in files
            if f.new_path
        }
    functions = touched_functions(
        git, start.base, commit, files, outcome.offsets, known_pre, known_post
    )
    return replace(
        start,
        applied=True,
        commit=commit,
        ref=ref,
        offsets=outcome.offsets,
        functions=functions,
        apply_options=outcome.options,
    )


def apply_revision(
    revision: Revision,
    repo_path: Path,
    *,
    thread_key: str,
    branch: str = "HEAD",
    git: Git | None = None,
) -> AppliedRevision:
    """Apply onto the base found in ``repo_path`` (``git``: its runner, when the caller has one);
    a revision the branch already has is applied to the branch with it reverse-applied; a
    failure is reported in ``error``."""
    if (refused := refuse_unsafe_paths(file_diffs(revision))) is not None:
        return AppliedRevision(revision.id, applied=False, base="", base_how=f"branch {branch}",
                               repo_path=str(repo_path), error=refused)
    git = git or open_repo(repo_path)
    base = find_base(git, revision.base_hints, branch)
    start = AppliedRevision(
        revision_id=revision.id,
        applied=False,
        base=base.commit,
        base_how=base.how,
        repo_path=str(repo_path),
    )
    forwards = _apply_and_record(git, revision, start, thread_key, base.holds_blobs)
    if forwards.applied or (forwards.error is not None and forwards.error.refused):
        return forwards
    in_tree = _already_in_tree(git, revision, forwards, thread_key, branch)
    if in_tree is not None:
        return in_tree
    if forwards.error is None:
        return forwards
    why = f"{forwards.error.reason}; nor in reverse"
    return replace(forwards, error=replace(forwards.error, reason=why))


def _already_in_tree(
    git: Git, revision: Revision, failed: AppliedRevision, thread_key: str, branch: str
) -> AppliedRevision | None:
    """The revision applied on the branch without it, when it applies to the branch in reverse."""
    head = git.out("rev-parse", "--verify", f"{branch}^{{commit}}")
    files = file_diffs(revision)
    patch = patch_text(revision)
    taken_out = apply_to_base(git, head, files, patch, three_way=False, reverse=True)
    if isinstance(taken_out, ApplyError):
        return None
    base = reviewer_commit(git, taken_out.tree, without_revision_message(revision.title), parent=head)
    commit = _commit(git, revision, git.out("rev-parse", f"{head}^{{tree}}"), base)
    ref = revision_ref(thread_key, revision.id)
    update_private_ref(git, ref, commit)
    return replace(
        failed,
        applied=True,
        base=base,
        base_how=f"branch {branch} with the revision reverse-applied",
        commit=commit,
        ref=ref,
        offsets=taken_out.offsets,
        functions=touched_functions(git, base, commit, files, taken_out.offsets),
        apply_options=taken_out.options,
        error=None,
        already_in=find_in_history(git, head, revision, files, patch),
    )


def scratch_repo(path: Path) -> Path:
    """A private bare repository at ``path`` for synthetic bases (created when missing)."""
    if not (path / "HEAD").is_file():
        path.mkdir(parents=True, exist_ok=True)
        init_bare(path)
    return path


def apply_synthetic(revision: Revision, repo_path: Path, *, thread_key: str) -> AppliedRevision:
    """Apply onto a base built from the revision's own pre-images in ``repo_path``."""
    if (refused := refuse_unsafe_paths(file_diffs(revision))) is not None:
        return AppliedRevision(revision.id, applied=False, base="synthetic", base_how="synthetic",
                               synthetic=True, repo_path=str(repo_path), error=refused)
    git = open_repo(scratch_repo(repo_path))
    base, known_pre = build_synthetic_base(git, file_diffs(revision))
    start = AppliedRevision(
        revision_id=revision.id,
        applied=False,
        base=base,
        base_how="synthetic",
        synthetic=True,
        repo_path=str(repo_path),
    )
    return _apply_and_record(git, revision, start, thread_key, False, known_pre)


def _changed_functions(old: Sequence[TouchedFunction], new: Sequence[TouchedFunction]) -> list[str]:
    before = {f.name: f.post.source if f.post else None for f in old}
    after = {f.name: f.post.source if f.post else None for f in new}
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


def _git_range_diff(git: Git, old_commit: str, new_commit: str) -> str | None:
    # A huge creation factor pairs the two commits however different they are.
    result = git.run(["range-diff", "--no-color", "--creation-factor=999",
                      f"{old_commit}^..{old_commit}", f"{new_commit}^..{new_commit}"], check=False)
    return result.stdout.decode(errors="replace") if result.returncode == 0 else None


def _with_range_diffs(
    revisions: Sequence[Revision], applied: list[AppliedRevision], runners: dict[str, Git]
) -> tuple[AppliedRevision, ...]:
    """``runners``: the git runner of each repository already open, by path."""
    by_id = {r.id: (r, a) for r, a in zip(revisions, applied, strict=True)}
    out = []
    for revision, result in zip(revisions, applied, strict=True):
        prev = by_id.get(revision.supersedes or "")
        if prev is None:
            out.append(result)
            continue
        old_rev, old_result = prev
        output = None
        if (old_result.applied and result.applied and old_result.commit and result.commit
                and result.repo_path and old_result.repo_path == result.repo_path):
            if result.repo_path not in runners:
                runners[result.repo_path] = open_repo(Path(result.repo_path))
            output = _git_range_diff(runners[result.repo_path], old_result.commit, result.commit)
        summary = range_diff_summary(
            old_rev,
            revision,
            range_diff=output,
            functions=_changed_functions(old_result.functions, result.functions),
        )
        out.append(replace(result, range_diff=summary))
    return tuple(out)


def _failed(revision: Revision, exc: TreeError, how: str) -> AppliedRevision:
    return AppliedRevision(
        revision_id=revision.id,
        applied=False,
        base="",
        base_how=how,
        error=ApplyError("", None, str(exc)),
    )


def apply_all(
    revisions: Sequence[Revision],
    repo_path: Path | None,
    *,
    thread_key: str,
    branch: str = "HEAD",
    scratch: Path | None = None,
    synthetic_fallback: bool = False,
    git: Git | None = None,
) -> tuple[AppliedRevision, ...]:
    """Apply every revision; one that fails does not stop the others.

    With no tree, revisions are applied to a synthetic base in ``scratch`` (default: a
    per-thread bare repository under the system temporary directory). With a tree (``git``: its
    runner, when the caller has one), a revision that applies to it neither forwards nor in
    reverse is reported with the hunk that failed, or, with ``synthetic_fallback``, applied to a
    synthetic base with ``fallback`` saying why.
    """
    scratch_path = scratch or Path(tempfile.gettempdir()) / "reviewer-synthetic" / ref_component(
        thread_key
    )
    if repo_path is not None and git is None:
        git = open_repo(repo_path)
    results: list[AppliedRevision] = []
    for revision in revisions:
        result: AppliedRevision | None = None
        if repo_path is not None:
            try:
                result = apply_revision(
                    revision, repo_path, thread_key=thread_key, branch=branch, git=git
                )
            except TreeError as exc:
                result = _failed(revision, exc, f"branch {branch}")
            refused = result.error is not None and result.error.refused
            if result.applied or refused or not synthetic_fallback:
                results.append(result)
                continue
        try:
            synthetic = apply_synthetic(revision, scratch_path, thread_key=thread_key)
        except TreeError as exc:
            results.append(result or _failed(revision, exc, "synthetic"))
            continue
        if result is not None:
            why = f"{result.error}" if result.error else "it does not apply"
            synthetic = replace(
                synthetic,
                fallback=f"{repo_path}: {why}; [tree] synthetic_fallback asks for a base "
                "built from the hunks",
            )
        results.append(synthetic)
    return _with_range_diffs(revisions, results, {} if git is None else {str(repo_path): git})
