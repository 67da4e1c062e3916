"""Other versions of the change, posted as separate threads, found through lore search.

Three searches run concurrently (httpx, async): the title as a subject phrase, each b4
``change-id:``, and each Message-ID a cover letter or changelog links to ("v1: https://lore...").
Answers are cached like threads; offline uses the cache only; a server that cannot answer
gives a note, never an exception: other versions are context, not the review itself.

Inputs are plain values (title, version, date, Message-IDs) so this stage does not depend on
the thread model.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import urllib.parse
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from ._cache import ThreadCache
from ._config import Config, LoreConfig
from ._errors import FetchError, MailError
from ._input import SourceKind, ThreadSource
from ._mbox import mail_headers, split_mbox, text_body
from ._retrieve import Progress, RawThread, fetch_thread, lore_server
from ._retry import TRANSIENT_STATUS, Attempts, retry_after_seconds
from .model import Address, OtherVersion, Subject
from .thread import parse_subject

__all__ = [
    "VersionHints",
    "VersionSearch",
    "fetch_other_version",
    "find_other_versions",
    "search_lore",
    "version_hints",
]

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_CHANGE_ID = re.compile(r"^\s*change-id:\s*(\S+)\s*$", re.I | re.M)
_VERSION_LINE = re.compile(
    r"\b(?:v\d+|version|previous|changes|changelog|resend|posting|earlier|older)\b", re.I)
_FOUND_RANK = {"link": 0, "change-id": 1, "subject": 2}


@dataclass(frozen=True, slots=True)
class VersionHints:
    """Pointers to other versions that the thread's own text gives."""

    link_ids: tuple[str, ...] = ()
    """Message-IDs of lore / patch.msgid.link URLs in cover letters and changelogs."""
    change_ids: tuple[str, ...] = ()
    """b4 ``change-id:`` values."""


@dataclass(frozen=True, slots=True)
class VersionSearch:
    versions: tuple[OtherVersion, ...] = ()
    """Older ones first, then newer, each by version then date."""
    notes: tuple[str, ...] = ()
    """What the reader should know: a search that failed, a cached answer used offline."""
    from_cache: bool = False
    """True when every answer came from the cache."""


def version_hints(texts: Iterable[str]) -> VersionHints:
    """Version links and change-ids in ``texts`` (cover letters, changelogs), first-seen order.

    A URL counts only on a line that says it is a version ("v1: https://...", "Link to v2:",
    "previous version", "Changes since v1 ... https://..."): a plain ``Link:`` to a bug report
    is not another version of the change.
    """
    links: list[str] = []
    changes: list[str] = []
    for text in texts:
        for line in text.split("\n"):
            if not _VERSION_LINE.search(line):
                continue
            for url in _URL.findall(line):
                for part in urllib.parse.urlsplit(url).path.split("/"):
                    msgid = urllib.parse.unquote(part)
                    if "@" in msgid and " " not in msgid:
                        if msgid not in links:
                            links.append(msgid)
                        break
        for cid in _CHANGE_ID.findall(text):
            if cid not in changes:
                changes.append(cid)
    return VersionHints(tuple(links), tuple(changes))


def _norm_title(title: str) -> str:
    return " ".join(title.lower().split())


@dataclass(frozen=True, slots=True)
class _Query:
    kind: str
    """``subject`` | ``change-id`` | ``link`` | ``query`` (a search of its own, :func:`search_lore`)."""
    q: str
    value: str
    """The title, change-id or msgid the query is for."""


@dataclass(frozen=True, slots=True)
class _Answer:
    query: _Query
    messages: tuple[bytes, ...]
    cached: bool
    note: str = ""


def _decode_answer(status: int, content: bytes) -> bytes:
    if status == 404:  # public-inbox: no results
        return b""
    if status != 200:
        raise FetchError(f"HTTP {status}")
    try:
        return gzip.decompress(content) if content else b""
    except (EOFError, OSError, zlib.error) as exc:
        raise FetchError("truncated or corrupt gzip answer") from exc


def _messages(mbox: bytes) -> tuple[bytes, ...]:
    if not mbox.strip():
        return ()
    try:
        return tuple(split_mbox(mbox))
    except MailError:
        return ()


async def _ask(
    client: httpx.AsyncClient, server: str, query: _Query, cache: ThreadCache,
    offline: bool, refresh: bool, lore: LoreConfig,
) -> _Answer:
    cached = cache.get_search(server, query.q)
    if offline or (cached is not None and not refresh):
        if cached is None:
            return _Answer(query, (), True, f"{query.q}: not in cache (offline)")
        return _Answer(query, _messages(cached), True)
    url = f"{server}/?x=m&q={urllib.parse.quote_plus(query.q)}"
    try:
        mbox = await _post(client, url, lore)
    except (httpx.HTTPError, FetchError) as exc:
        cause = _cause(exc, server)
        if cached is not None:
            return _Answer(query, _messages(cached), True, f"{query.q}: {cause}; cached answer used")
        return _Answer(query, (), False, f"{query.q}: not searched: {cause}")
    try:
        cache.put_search(server, query.q, mbox)
    except FetchError as exc:  # an unwritable cache costs the next run a search, nothing more
        return _Answer(query, _messages(mbox), False, str(exc))
    return _Answer(query, _messages(mbox), False)


async def _post(client: httpx.AsyncClient, url: str, lore: LoreConfig) -> bytes:
    """The search answer, tried again after a transient failure as the thread fetch is."""
    attempts = Attempts(lore)
    while True:
        attempts.begin()
        status: int | None = None
        retry_after: float | None = None
        try:
            resp = await client.post(url, content=b"x=m")
            status, retry_after = resp.status_code, retry_after_seconds(resp.headers.get("Retry-After"))
            return _decode_answer(resp.status_code, resp.content)
        except (httpx.HTTPError, FetchError) as exc:
            transient = (status in TRANSIENT_STATUS or status == 200  # 200: a corrupt body
                         or (isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.ConnectError)))
            wait = attempts.next_wait(retry_after) if transient else None
            if wait is None:
                raise
            await asyncio.sleep(wait)


def _cause(exc: Exception, server: str) -> str:
    host = urllib.parse.urlsplit(server).netloc
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {host} in time"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}"
    if isinstance(exc, FetchError):
        return f"{exc} from {host}"
    return f"{type(exc).__name__} from {host}"


async def _ask_all(
    server: str, queries: Sequence[_Query], cfg: Config, offline: bool, refresh: bool,
) -> list[_Answer]:
    cache = ThreadCache(cfg.cache.dir)
    async with httpx.AsyncClient(timeout=cfg.lore.timeout, follow_redirects=True,
                                 headers={"User-Agent": "reviewer"}) as client:
        return list(await asyncio.gather(
            *(_ask(client, server, q, cache, offline, refresh, cfg.lore) for q in queries)))


@dataclass(frozen=True, slots=True)
class _Hit:
    msgid: str
    subject: Subject
    date: datetime
    author: Address
    root: str
    found_by: str
    evidence: str


def _hits(answer: _Answer, title: str) -> list[_Hit]:
    out: list[_Hit] = []
    want = _norm_title(title)
    for raw in answer.messages:
        h = mail_headers(raw)
        if h.message_id is None:
            continue
        subject = parse_subject(h.subject)
        if answer.query.kind == "subject" and _norm_title(subject.title) != want:
            continue
        if answer.query.kind == "change-id" and answer.query.value not in _CHANGE_ID.findall(
            text_body(raw)
        ):
            continue
        root = h.references[0] if h.references else (h.in_reply_to or h.message_id)
        out.append(_Hit(
            msgid=h.message_id, subject=subject,
            date=h.date or datetime.fromtimestamp(0, UTC),
            author=Address(h.from_name, h.from_email), root=root,
            found_by=answer.query.kind, evidence=answer.query.q,
        ))
    return out


def _pick(hits: list[_Hit], version: int, date: datetime,
          known: Collection[str]) -> tuple[OtherVersion, ...]:
    """One OtherVersion per thread root: the root posting (cover letter or first patch)."""
    by_root: dict[str, list[_Hit]] = {}
    for h in hits:
        if h.root in known or h.msgid in known:
            continue
        by_root.setdefault(h.root, []).append(h)
    out: list[OtherVersion] = []
    for group in by_root.values():
        postings = [h for h in group if not h.subject.is_reply] or group
        best = min(postings, key=lambda h: (h.msgid != h.root, h.subject.index or 0, h.date))
        how = min(group, key=lambda h: _FOUND_RANK[h.found_by])
        older = (best.subject.version, best.date) < (version, date)
        out.append(OtherVersion(
            # Only replies found (a link into a thread whose root did not answer): the root.
            message_id=best.root if best.subject.is_reply else best.msgid,
            subject=best.subject, date=best.date, author=best.author,
            relation="older" if older else "newer",
            found_by=how.found_by, evidence=how.evidence,
        ))
    out.sort(key=lambda o: (o.relation != "older", o.subject.version, o.date))
    return tuple(out)


def find_other_versions(
    title: str,
    version: int,
    date: datetime,
    cfg: Config,
    *,
    known_ids: Collection[str] = (),
    link_ids: Sequence[str] = (),
    change_ids: Sequence[str] = (),
    server: str | None = None,
    git_overrides: Sequence[str] = (),
    offline: bool = False,
    refresh: bool = False,
    progress: Progress | None = None,
) -> VersionSearch:
    """Other versions of the change titled ``title`` (version ``version``, posted ``date``).

    ``known_ids``: Message-IDs of the thread under review (never reported as other versions).
    ``server``: public-inbox base URL; default: the one b4.midmask names (see lore_server).
    Empty when ``cfg.lore.search_versions`` is off. Runs its own event loop (asyncio.run): call
    it from synchronous code (a pipeline thread), not from inside a running loop.
    """
    if not cfg.lore.search_versions:
        return VersionSearch()
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    base = (server or lore_server(git_overrides)).rstrip("/")
    phrase = title.replace('"', " ").strip()
    queries = [_Query("subject", f's:"{phrase}"', title)] if phrase else []
    queries += [_Query("change-id", f'nq:"change-id:{c}"', c) for c in change_ids]
    queries += [_Query("link", f"m:{m}", m) for m in link_ids if m not in known_ids]
    if not queries:
        return VersionSearch()
    if progress:
        progress(f"searching {base} for other versions of {title!r}")
    answers = asyncio.run(_ask_all(base, queries, cfg, offline, refresh))
    hits = [h for a in answers for h in _hits(a, title)]
    # A link to a reply stands for the thread it is in: ask for that thread's root too.
    roots = {h.root for h in hits if h.found_by == "link" and h.root != h.msgid}
    roots -= {h.msgid for h in hits} | set(known_ids)
    if roots:
        extra = [_Query("link", f"m:{r}", r) for r in sorted(roots)]
        more = asyncio.run(_ask_all(base, extra, cfg, offline, refresh))
        answers += more
        hits += [h for a in more for h in _hits(a, title)]
    notes = tuple(f"other versions: {a.note}" for a in answers if a.note)
    return VersionSearch(
        versions=_pick(hits, version, date, set(known_ids)),
        notes=notes,
        from_cache=all(a.cached for a in answers),
    )


def search_lore(
    query: str,
    cfg: Config,
    *,
    server: str | None = None,
    git_overrides: Sequence[str] = (),
    offline: bool = False,
    refresh: bool = False,
) -> tuple[tuple[bytes, ...], str]:
    """The messages one lore search answers, and a note when it could not ask (or used the cache
    because it could not). Cached, offline-aware and fault-tolerant as the other-versions
    searches are; runs its own event loop like :func:`find_other_versions`."""
    base = (server or lore_server(git_overrides)).rstrip("/")
    answers = asyncio.run(_ask_all(base, [_Query("query", query, query)], cfg, offline, refresh))
    return answers[0].messages, answers[0].note


def fetch_other_version(
    other: OtherVersion | str,
    cfg: Config,
    *,
    server: str | None = None,
    offline: bool = False,
    refresh: bool = False,
    git_overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> RawThread:
    """The thread of another version, through :func:`fetch_thread` (same cache and offline rules).

    ``server``: the base URL the search used, so the thread comes from the same public-inbox.
    """
    msgid = other.message_id if isinstance(other, OtherVersion) else other
    if server:
        url = f"{server.rstrip('/')}/{urllib.parse.quote(msgid, safe='@')}/"
        source = ThreadSource(SourceKind.LORE_URL, url, message_id=msgid, server=server)
    else:
        source = ThreadSource(SourceKind.MESSAGE_ID, msgid, message_id=msgid)
    return fetch_thread(source, cfg, offline=offline, refresh=refresh,
                        git_overrides=git_overrides, progress=progress)
