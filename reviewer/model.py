"""The typed values that flow between the stages of a review.

Data flows one way::

    Thread -> Revision -> AppliedRevision -> (SimVerdict | Finding) -> CommentReview -> Review

Every value is a frozen dataclass holding tuples, so a stage can never change what an
earlier stage produced, and every view (batch report, JSON, TUI, drafts) is a pure
function of a :class:`Review`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Address",
    "AppliedRevision",
    "ApplyError",
    "BaseHints",
    "BlobHint",
    "Comment",
    "CommentLink",
    "CommentReview",
    "CommitRef",
    "Finding",
    "FixOrigin",
    "FixesProblem",
    "FixesReview",
    "FixesSuggestion",
    "FixesTagCheck",
    "FunctionImage",
    "HunkOffset",
    "InTree",
    "Message",
    "NamedCommit",
    "OtherVersion",
    "Position",
    "Review",
    "Revision",
    "RevisionKind",
    "RevisionReview",
    "Segment",
    "SegmentKind",
    "Severity",
    "SimConfig",
    "SimVerdict",
    "Stance",
    "Status",
    "Subject",
    "TagVerdict",
    "Thread",
    "TouchedFunction",
    "TraceStep",
    "Trailer",
    "Violation",
]


# --------------------------------------------------------------------------- thread


@dataclass(frozen=True, slots=True)
class Address:
    """A person as a mail header names them."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def display(self) -> str:
        """The name a reader knows them by (the address when no name is given)."""
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject line taken apart the way b4 does: ``Re: [PATCH RFC v2 3/7] mm: title``."""

    raw: str
    title: str
    """The subject without ``Re:`` and without bracketed prefixes."""
    prefixes: tuple[str, ...] = ()
    """Bracketed prefix words, upper-cased, version and counter excluded (``PATCH``, ``RFC``)."""
    version: int = 1
    index: int | None = None
    """Position in the series (``3`` of ``3/7``); None when no counter is given."""
    total: int | None = None
    is_reply: bool = False

    @property
    def is_patch(self) -> bool:
        return any(p in ("PATCH", "RFC") for p in self.prefixes)


class SegmentKind(enum.Enum):
    NEW = "new"
    """Text the author wrote in this message."""
    QUOTED = "quoted"
    """Lines starting with ``>``: text from an earlier message."""
    DIFF = "diff"
    """An unquoted diff (a patch or a hunk the author proposes)."""
    SIGNATURE = "signature"
    """After ``-- `` (and the ``--\\n2.30.1`` git-format-patch tail)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of body lines of one kind."""

    kind: SegmentKind
    text: str
    """The lines, with quote markers removed for quoted segments."""
    first_line: int
    """0-based index of the segment's first line in :attr:`Message.body`."""
    line_count: int
    depth: int = 0
    """Quote depth (number of ``>``); 0 for unquoted segments."""
    quotes: str | None = None
    """Message-ID of the message the quoted text most likely comes from."""


@dataclass(frozen=True, slots=True)
class Trailer:
    """A ``Name: value`` trailer line (Acked-by, Fixes, Cc: stable, Link, ...)."""

    name: str
    """Canonical capitalisation: ``Acked-by``, ``Reviewed-by``, ``Fixes``, ``Cc``, ``Link``."""
    value: str
    line: int
    """0-based body line."""
    person: Address | None = None
    """Who the trailer names (for the *-by trailers and Cc)."""
    comment: str = ""
    """Prose right under the trailer that qualifies it ("to the split_page_memcg() addition")."""


class Stance(enum.Enum):
    ACK = "Acked-by"
    REVIEW = "Reviewed-by"
    TESTED = "Tested-by"
    NAK = "NAK"


@dataclass(frozen=True, slots=True)
class Position:
    """A reviewer's stance on the patch a message answers."""

    person: Address
    stance: Stance
    message_id: str
    """The message in which the position was given."""
    date: datetime
    answers: str | None
    """Message-ID of the patch-carrying message this position answers."""
    evidence: str
    """The line(s) that state the position, as written."""
    qualifier: str = ""
    """Prose scoping the position ("to the split_page_memcg() addition etc")."""
    withdrawn_by: str | None = None
    """Message-ID of a later message by the same person that withdrew it (a NAK after an ack)."""

    @property
    def standing(self) -> bool:
        return self.withdrawn_by is None

    def qualifier_summary(self, width: int = 72) -> str:
        """The qualifier on one line, cut at a word boundary with an ellipsis when too long."""
        text = " ".join(self.qualifier.split())
        if len(text) <= width:
            return text
        return text[: width].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True, slots=True)
class Message:
    """One mail of a thread."""

    message_id: str
    """Without angle brackets."""
    subject: Subject
    author: Address
    date: datetime
    """Timezone-aware; the Date header, or the receipt date when it is missing or broken."""
    body: str
    """The decoded text/plain body, line ends normalised to ``\\n``."""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    parent: str | None = None
    """Message-ID of the parent inside this thread (None for the root or an orphan)."""
    children: tuple[str, ...] = ()
    segments: tuple[Segment, ...] = ()
    trailers: tuple[Trailer, ...] = ()
    positions: tuple[Position, ...] = ()
    date_source: str = "header"
    """Where :attr:`date` came from: ``header``, ``received``, ``from-line`` or ``epoch`` (none usable)."""
    raw: bytes = field(default=b"", repr=False, compare=False)
    """The message as received (for b4-check and drafts that quote headers)."""

    @property
    def lines(self) -> list[str]:
        return self.body.split("\n")


@dataclass(frozen=True, slots=True)
class Thread:
    """A whole thread: every message once, in date order, with the reply tree."""

    root: str
    """Message-ID of the root (the earliest message with no parent in the thread)."""
    messages: tuple[Message, ...]
    source: str = ""
    """Where it came from: a URL, a Message-ID, a path."""
    _by_id: dict[str, Message] = field(init=False, repr=False, compare=False, hash=False)
    """Message-ID -> message: lookups stay O(1) in a thread of thousands."""

    def __post_init__(self) -> None:
        by_id: dict[str, Message] = {}
        for m in self.messages:
            by_id.setdefault(m.message_id, m)  # the first, as a scan would find it
        object.__setattr__(self, "_by_id", by_id)

    def get(self, message_id: str) -> Message | None:
        return self._by_id.get(message_id)

    def __getitem__(self, message_id: str) -> Message:
        m = self.get(message_id)
        if m is None:
            raise KeyError(message_id)
        return m

    def positions(self) -> tuple[Position, ...]:
        """Every position given in the thread, in date order."""
        return tuple(p for m in self.messages for p in m.positions)

    def standing_positions(self) -> dict[str, tuple[Position, ...]]:
        """Per person (e-mail address): the positions that stand (not withdrawn)."""
        out: dict[str, list[Position]] = {}
        for p in self.positions():
            if p.standing:
                out.setdefault(p.person.email.lower(), []).append(p)
        return {k: tuple(v) for k, v in out.items()}


# --------------------------------------------------------------------------- revisions


class RevisionKind(enum.Enum):
    BASE = "base"
    """The pre-image: the tree the revisions apply to."""
    FORMAL = "formal"
    """A ``[PATCH vN]`` posting."""
    INLINE = "inline"
    """A full patch posted inside a reply (after ``---`` or a scissors line)."""
    SKETCH = "sketch"
    """A partial diff a participant proposes in a reply."""


@dataclass(frozen=True, slots=True)
class BlobHint:
    """One ``diff --git`` header's ``index <pre>..<post>`` line."""

    path: str
    pre: str
    post: str


@dataclass(frozen=True, slots=True)
class BaseHints:
    blobs: tuple[BlobHint, ...] = ()
    base_commit: str | None = None
    """From a ``base-commit:`` line."""


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of the change under review."""

    id: str
    """Stable: a hash of the normalised diff."""
    label: str
    """What a reviewer calls it: ``v1``, ``v2 (inline, 23 Mar)``, ``sketch by Jane Doe, 26 Mar``."""
    kind: RevisionKind
    author: Address
    date: datetime
    message_id: str
    """The message that carries it."""
    title: str
    """The patch subject (the in-body Subject for inline patches)."""
    commit_message: str
    trailers: tuple[Trailer, ...]
    diff: str
    """The diff text exactly as posted (parse with ``unidiff.PatchSet(diff)``)."""
    base_hints: BaseHints = BaseHints()
    version: int | None = None
    supersedes: str | None = None
    """Id of the earlier revision this one replaces."""
    series_index: int | None = None
    series_total: int | None = None
    diff_first_line: int = 0
    """0-based line in the carrying message's body where the diff starts (for anchoring)."""


@dataclass(frozen=True, slots=True)
class OtherVersion:
    """A version of the same change posted as a separate thread."""

    message_id: str
    subject: Subject
    date: datetime
    author: Address
    relation: str
    """``older`` or ``newer`` than the thread under review."""
    found_by: str
    """How it was found: ``subject``, ``change-id``, ``link``."""
    evidence: str = ""
    """What found it: the lore query (``s:"title"``) or the link Message-ID."""


# --------------------------------------------------------------------------- trees


@dataclass(frozen=True, slots=True)
class HunkOffset:
    path: str
    hunk: int
    """1-based hunk number within the file."""
    offset: int
    """Lines between where the hunk said it applies and where it applied."""


@dataclass(frozen=True, slots=True)
class ApplyError:
    path: str
    hunk: int | None
    reason: str
    refused: bool = False
    """Refused for confinement (a path, symlink or submodule leaving the tree), not a hunk that
    failed: it is not tried in reverse or on a synthetic base either."""

    def __str__(self) -> str:
        where = f"{self.path} hunk #{self.hunk}" if self.hunk else self.path
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FunctionImage:
    """The source of one C function in one tree."""

    name: str
    path: str
    start_line: int
    """1-based line of the function's first line in ``path``."""
    end_line: int
    source: str
    complete: bool = True
    """False when built from a synthetic base and the function is not wholly inside the hunks."""
    problems: tuple[str, ...] = ()
    """Parse problems (a macro tree-sitter could not parse) with file:line."""


@dataclass(frozen=True, slots=True)
class TouchedFunction:
    name: str
    path: str
    pre: FunctionImage | None
    """None when the revision adds the function."""
    post: FunctionImage | None
    """None when the revision removes the function."""


@dataclass(frozen=True, slots=True)
class InTree:
    """A revision the tree already has: it applies in reverse to the branch."""

    commit: str | None = None
    """The commit of the branch's history that brought it, when the history shows one."""
    found_by: str = ""
    """How that commit was found: ``patch-id`` or ``subject`` (empty without a commit)."""


@dataclass(frozen=True, slots=True)
class AppliedRevision:
    """The outcome of applying one revision to a tree."""

    revision_id: str
    applied: bool
    base: str
    """The base commit (hex) or ``synthetic``."""
    base_how: str
    """How the base was found: ``blobs``, ``base-commit``, ``branch <name>``, ``synthetic``."""
    commit: str | None = None
    ref: str | None = None
    offsets: tuple[HunkOffset, ...] = ()
    error: ApplyError | None = None
    synthetic: bool = False
    files: tuple[str, ...] = ()
    functions: tuple[TouchedFunction, ...] = ()
    range_diff: str = ""
    """Summary of the change from the revision it supersedes."""
    apply_options: tuple[str, ...] = ()
    """The ``git apply`` options that were needed (``--ignore-whitespace``, ``--recount``, ...)."""
    repo_path: str | None = None
    """The git repository holding ``base`` and ``commit`` (a private one for a synthetic base)."""
    already_in: InTree | None = None
    """Set when the tree already has the revision: ``base`` is then the branch with the revision
    reverse-applied and ``commit`` the branch's own tree, so the whole functions are real."""
    fallback: str = ""
    """Why a synthetic base was used although a tree was configured (empty otherwise)."""


# --------------------------------------------------------------------------- analysis


class Status(enum.Enum):
    INTRODUCED = "introduced"
    PRE_EXISTING = "pre-existing"
    FIXED = "fixed"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class SimConfig:
    order: int
    compound: bool
    kmem: bool

    @property
    def key(self) -> str:
        return f"order={self.order},{'compound' if self.compound else 'non-compound'},{'kmem' if self.kmem else 'no-kmem'}"


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One atomic step of a counterexample."""

    cpu: int
    thread: str
    """The scenario's name for the thread (``owner``, ``holder``)."""
    file: str
    line: int
    source: str
    """The C source line executed."""
    effect: str
    """What the step did to the state (``P0.refcount 2->1``)."""
    function: str = ""


@dataclass(frozen=True, slots=True)
class Violation:
    property: str
    """double-free | page-leak | charge-leak | over-uncharge | css-imbalance | bad-page | stale-read |
    budget-exceeded | assertion (VM_BUG_ON*/BUG_ON/WARN_ON* whose condition held; detail names it)"""
    status: Status
    pages: tuple[int, ...]
    detail: str
    trace: tuple[TraceStep, ...] = ()
    functions: tuple[str, ...] = ()
    """C functions and primitives the trace passes through (for linking to comments)."""
    symbols: tuple[str, ...] = ()
    """Fields and flags the violation involves (``PageHead``, ``memcg_data``)."""
    cpu_functions: tuple[tuple[int, tuple[str, ...]], ...] = ()
    """(TraceStep.cpu, the functions that thread entered, callers included): which side of the
    race called what (a trace step names only the innermost function)."""


@dataclass(frozen=True, slots=True)
class SimVerdict:
    """The simulator's verdict for one revision x scenario x configuration."""

    revision_id: str
    scenario: str
    config: SimConfig
    outcome: str
    """``clean`` | ``violation`` | ``not-analysed``."""
    executions: int
    violations: tuple[Violation, ...] = ()
    reason: str = ""
    """For ``not-analysed``: what could not be evaluated, at file:line."""
    functions: tuple[str, ...] = ()
    """The revision's functions the scenario exercised."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of a static check."""

    check: str
    severity: Severity
    revision_id: str
    file: str
    line: int
    message: str
    status: Status = Status.INTRODUCED
    evidence: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    """Functions, fields and flags the finding involves (for linking to comments)."""
    function: str = ""
    """The C function the finding is in (empty for commit-message and tree-wide findings)."""
    key: str = ""
    """Line-insensitive identity within (check, function), used to match base and revision findings."""


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True, slots=True)
class Comment:
    """A run of new text in a reply, with the quoted lines right above it."""

    message_id: str
    author: Address
    date: datetime
    text: str
    quoted: str
    first_line: int
    anchor_revision: str | None = None
    anchor_file: str | None = None
    anchor_line: int | None = None
    anchor_why: str = ""


@dataclass(frozen=True, slots=True)
class CommentLink:
    revision_id: str
    source: str
    """``simulator`` | ``check``."""
    what: str
    """The property (simulator) or check id (check)."""
    why: str
    scenario: str = ""
    config: SimConfig | None = None
    finding: str = ""
    """For check links: the finding's line-insensitive identity (file, function, key), so that
    "addressed" follows that finding, not every finding of the same check."""


@dataclass(frozen=True, slots=True)
class CommentReview:
    comment: Comment
    links: tuple[CommentLink, ...] = ()
    addressed: tuple[tuple[str, str], ...] = ()
    """(revision label, ``present`` | ``fixed`` | ``n/a``) for every revision from the anchored one on."""


# --------------------------------------------------------------------------- Fixes: tags


class FixOrigin(enum.Enum):
    """Where a problem comes from, relative to the commit a ``Fixes:`` tag names."""

    INTRODUCED = "introduced"
    """Absent just before the named commit, present at it: the tag's claim holds."""
    OLDER = "older"
    """Present just before the named commit already: the tag points too late."""
    NOT_REPRODUCED = "not-reproduced"
    """Absent at the named commit: the claim is not reproduced."""
    NOT_ANALYSED = "not-analysed"
    """A version could not be simulated (the reason says why)."""


class TagVerdict(enum.Enum):
    VERIFIED = "verified"
    """The named commit introduced a problem the revision fixes."""
    TOO_LATE = "too-late"
    """The problems the revision fixes are older than the named commit."""
    NOT_REPRODUCED = "not-reproduced"
    """No problem the revision fixes is present at the named commit."""
    NOT_CHECKED = "not-checked"
    """The named commit or its functions could not be found, or nothing was simulated."""


@dataclass(frozen=True, slots=True)
class CommitRef:
    """A commit as a Fixes: line names it."""

    sha: str
    title: str

    @property
    def fixes_line(self) -> str:
        return f'Fixes: {self.sha[:12]} ("{self.title}")'


@dataclass(frozen=True, slots=True)
class NamedCommit:
    """The commit a tag names, as found."""

    commit: CommitRef
    """Full hex when found in the tree; the tag's own hex when found on lore."""
    found: str
    """``tree-id`` | ``tree-title`` | ``lore`` | ``tree-tag`` (a release, for a stable hint)."""
    where: str
    """The tree path, or the Message-ID of the posting on lore."""
    before: str
    """What "just before" is: the parent's hex, or ``the posting's pre-image``."""


@dataclass(frozen=True, slots=True)
class FixesProblem:
    """One problem (scenario x property) a revision fixes or leaves in place, placed in history."""

    scenario: str
    property: str
    """As :attr:`Violation.property`."""
    kind: str
    """What tells two problems of one property apart (a bad page's reason, a stale read's
    field); empty otherwise."""
    configs: tuple[SimConfig, ...]
    fixed: bool
    """True: the revision fixes it; False: the revision leaves it in place."""
    origin: FixOrigin
    why: str
    """The evidence in a line: where it was present and absent."""
    since: CommitRef | None = None
    """For OLDER, when the history allows: the commit that introduced it (absent at its parent)."""
    earliest: CommitRef | None = None
    """For OLDER, when the walk ran out before it was absent: the earliest version tried."""
    evidence: Violation | None = None
    """The counterexample at the named commit (or just before it, for OLDER)."""


@dataclass(frozen=True, slots=True)
class FixesTagCheck:
    """One ``Fixes:`` tag of a revision, checked by simulating before, at and after the commit."""

    tag: str
    """The trailer's value as written."""
    named: CommitRef
    """Hex and title as the tag gives them."""
    verdict: TagVerdict
    commit: NamedCommit | None = None
    problems: tuple[FixesProblem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FixesSuggestion:
    """A ``Fixes:`` line offered for a revision without one, found by bisecting the history."""

    commit: CommitRef
    problems: tuple[FixesProblem, ...]
    """The fixed problems that commit introduced (absent at its parent, present at it)."""
    simulations: int
    """Versions of the functions the bisection simulated (or found simulated already, for an
    earlier revision of the review)."""
    commits: int
    """Commits of the functions' history walked."""


@dataclass(frozen=True, slots=True)
class FixesReview:
    tags: tuple[FixesTagCheck, ...] = ()
    suggestions: tuple[FixesSuggestion, ...] = ()
    notes: tuple[str, ...] = ()
    """Why there is nothing to show (no tree history, simulator off, ...)."""
    stable: tuple[FixesTagCheck, ...] = ()
    """``Cc: stable ... # X.Y+`` hints, checked the same way against release tag vX.Y (found
    ``tree-tag``) and the release before it: verified when vX.Y is the first release with the
    problem, too late when the release before has it too, not reproduced when vX.Y lacks it."""


# --------------------------------------------------------------------------- review


@dataclass(frozen=True, slots=True)
class RevisionReview:
    revision: Revision
    applied: AppliedRevision | None
    sim_verdicts: tuple[SimVerdict, ...] = ()
    findings: tuple[Finding, ...] = ()
    positions: tuple[Position, ...] = ()
    notes: tuple[str, ...] = ()
    """What was not analysed and why (no scenario exercises the touched functions, ...)."""
    checks: tuple[str, ...] = ()
    """Ids of the checks that ran on the revision (a clean verdict says what was looked at)."""
    fixes: FixesReview | None = None
    """Its ``Fixes:`` tags checked by simulating history, or a tag offered; None: not looked at."""


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the views show; computed once."""

    thread: Thread
    revisions: tuple[RevisionReview, ...] = ()
    comments: tuple[CommentReview, ...] = ()
    other_versions: tuple[OtherVersion, ...] = ()
    notes: tuple[str, ...] = ()
    """Things the reader should know (synthetic base used, cache used offline, ...)."""
