"""Retrieval: a :class:`ThreadSource` becomes the thread's raw messages, deduplicated.

Remote threads come through b4's configuration (``b4.midmask`` from git config and ``-c``
overrides, host taken from a pasted URL by ``b4.parse_msgid``) and liblore's ``LoreNode``; they
are stored in reviewer's own cache (:mod:`reviewer._cache`) so a second run needs no network.
Local mbox / .eml / Maildir sources are read directly.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import logging
import socket
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import b4
import liblore
import requests

from ._cache import ThreadCache
from ._config import Config
from ._errors import ConfigError, FetchError, MailError
from ._input import SourceKind, ThreadSource
from ._mbox import (
    dedupe_messages,
    mail_headers,
    read_eml,
    read_file,
    read_maildir,
    split_mbox,
    write_mboxrd,
)
from ._retry import TRANSIENT_STATUS, Attempts, retry_after_seconds

__all__ = ["Progress", "RawThread", "fetch_thread", "lore_server", "parse_git_overrides"]

Progress = Callable[[str], None]

# b4 and liblore log through the logging module; without a handler Python's last-resort handler
# would print their warnings to stderr. Library code never prints: the CLI decides what to show.
for _name in ("b4", "liblore"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

# b4 keeps its configuration in module globals (MAIN_CONFIG, LORENODE). We set them up, call b4,
# and restore them under this lock, so the rest of reviewer stays free of global state and two
# pipeline workers (TUI threads) cannot see each other's midmask.
_B4_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class RawThread:
    """A thread's messages as received, once per Message-ID."""

    source: str
    """What the user named: URL, Message-ID or path."""
    root: str | None
    """Message-ID of the thread's root, when the messages show it."""
    messages: tuple[bytes, ...]
    """Raw messages (line ends ``\\n``), in archive order; a message without a Message-ID
    carries a synthetic one (see :func:`reviewer._mbox.ensure_message_id`)."""
    message_ids: tuple[str, ...]
    """The Message-ID of each of :attr:`messages`, same order."""
    from_cache: bool = False
    server: str = ""
    """The public-inbox base URL it came from (empty for local files)."""
    notes: tuple[str, ...] = ()
    """What the reader should know about how it was fetched (a cached copy used after a failure)."""


def parse_git_overrides(overrides: Sequence[str]) -> dict[str, str]:
    """``-c key=value`` arguments the way b4's ConfigOption reads them (no ``=``: ``true``)."""
    out: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key or "." not in key:
            raise ConfigError(f"-c {item}: expected section.key=value")
        out[key.lower()] = value if sep else "true"
    return out


@contextlib.contextmanager
def _b4_config(git_overrides: Sequence[str]) -> Iterator[Mapping[str, object]]:
    """b4's main config (git config + overrides) for the duration of the block; then restored."""
    overrides = parse_git_overrides(git_overrides)
    with _B4_LOCK:
        saved = (b4.MAIN_CONFIG, b4.LORENODE)
        try:
            b4._setup_main_config(argparse.Namespace(config=overrides))
            yield b4.get_main_config()
        finally:
            b4.MAIN_CONFIG, b4.LORENODE = saved


def _base_url(midmask: str) -> str:
    # The same derivation as b4.get_lore_node(): midmask minus '/%s', '/all' for a bare origin.
    base = midmask.replace("/%s", "").rstrip("/")
    parsed = urllib.parse.urlparse(base)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise FetchError(f"b4.midmask={midmask}: not an http(s) URL")
    if not parsed.path or parsed.path == "/":
        base += "/all"
    return base


def _point_midmask_at(source: ThreadSource) -> None:
    """b4.parse_msgid's rule: a URL on another host than b4.midmask's points midmask at it.

    b4's regex misses some URL shapes (a ``%40``-encoded msgid, a multi-part inbox path, no
    inbox path at all); for those the same rule is applied here. Called under _b4_config.
    """
    if source.kind is not SourceKind.LORE_URL or source.server is None:
        return
    b4.parse_msgid(f"{source.server}/{source.message_id}/")
    config = b4.get_main_config()
    midmask = str(config.get("midmask") or "")
    if urllib.parse.urlsplit(midmask).netloc != urllib.parse.urlsplit(source.server).netloc:
        config["midmask"] = f"{source.server}/%s"


def lore_server(git_overrides: Sequence[str] = (), source: ThreadSource | None = None) -> str:
    """The public-inbox base URL b4 would use (``https://lore.kernel.org/all`` by default).

    ``source``: a public-inbox URL the user pasted; as in b4, its host wins over ``b4.midmask``.
    """
    with _b4_config(git_overrides) as config:
        if source is not None:
            _point_midmask_at(source)
        return _base_url(str(config.get("midmask") or b4.LOREADDR + "/all/%s"))


def _cache_ttl(config: Mapping[str, object]) -> int:
    try:
        return int(str(config.get("cache-expire", "10"))) * 60
    except ValueError:
        return 600


class _LastResponse:
    """The status and headers of the session's latest response (liblore keeps them to itself)."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Mapping[str, str] = {}

    def forget(self) -> None:
        self.status, self.headers = None, {}

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.status, self.headers = response.status_code, response.headers

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers.get("Retry-After"))

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


_CORRUPT = (EOFError, gzip.BadGzipFile, zlib.error)
"""What gzip raises for a body that is cut short or is not gzip at all."""

_FETCH_ERRORS = (liblore.LibloreError, requests.RequestException, OSError, EOFError, zlib.error)
"""liblore raises RemoteError for most failures but lets a broken body through as requests' or
gzip's own exceptions: all of them become one FetchError line."""


def _fetch_remote(
    msgid: str, source: ThreadSource, cfg: Config, cache: ThreadCache,
    git_overrides: Sequence[str], refresh: bool, progress: Progress,
) -> tuple[str, bytes]:
    """(server, thread mbox) from the public-inbox server b4 is configured for, tried again
    after a transient failure (:mod:`._retry`)."""
    with _b4_config(git_overrides) as config:
        _point_midmask_at(source)
        server = _base_url(str(config.get("midmask") or b4.LOREADDR + "/all/%s"))
        # Built as b4.get_lore_node() builds it, but with liblore's cache inside ours (so
        # --refresh and --offline mean what they say) and with reviewer's timeout.
        node = liblore.LoreNode.from_git_config(
            server,
            cache_dir=str(cache.liblore_dir),
            cache_ttl=_cache_ttl(config),
            request_timeout=cfg.lore.timeout,
        )
    last = _LastResponse()
    session = requests.Session()
    session.headers["User-Agent"] = f"b4/{b4.__VERSION__}"
    session.hooks["response"].append(last)
    node.set_requests_session(session)
    attempts = Attempts(cfg.lore)
    progress(f"fetching {msgid} from {server}")
    with session, node:
        while True:
            attempts.begin()
            last.forget()  # a failure is judged by this try's answer only
            try:
                return server, node.get_mbox_by_msgid(msgid, nocache=refresh)
            except _FETCH_ERRORS as exc:
                failure = _describe_failure(exc, server, cfg.lore.timeout, last)
                wait = attempts.next_wait(last.retry_after) if _transient(exc) else None
                if wait is None:
                    tried = f" ({attempts.summary()})" if attempts.made > 1 or attempts.gave_up_because else ""
                    raise FetchError(f"{source}: {failure}{tried}") from exc
                progress(f"{failure}; trying again in {wait:g} s")
                time.sleep(wait)


def _transient(exc: BaseException) -> bool:
    """A failure another try may not meet: a timeout, a cut or corrupt body, HTTP 429/5xx."""
    chain = _causes(exc)
    if any(isinstance(e, socket.gaierror | ConnectionRefusedError) or "refused" in str(e) for e in chain):
        return False  # no such host, nothing listening: it will not come back in seconds
    if any(isinstance(e, _CORRUPT + (requests.Timeout, requests.ConnectionError,
                                     requests.exceptions.ChunkedEncodingError,
                                     requests.exceptions.ContentDecodingError)) for e in chain):
        return True
    return isinstance(exc, liblore.RemoteError) and exc.status_code in TRANSIENT_STATUS


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    return chain


def _describe_failure(exc: BaseException, server: str, timeout: float,
                      last: _LastResponse | None = None) -> str:
    """One line saying why the fetch failed, without a traceback."""
    host = urllib.parse.urlparse(server).netloc or server
    if (last is not None and last.status == 200 and last.content_type
            and "gzip" not in last.content_type and "octet-stream" not in last.content_type
            and any(isinstance(e, _CORRUPT) for e in _causes(exc))):
        return f"{host} answered {last.content_type}, not a gzip mbox (an error or bot-check page?)"
    chain = _causes(exc)
    for e in chain:
        if isinstance(e, requests.Timeout):
            return f"no answer from {host} within {timeout:g} s"
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"cannot resolve host {host}"
    for e in chain:
        if isinstance(e, requests.ConnectionError):
            if any(isinstance(x, ConnectionRefusedError) or "refused" in str(x) for x in chain):
                return f"cannot connect to {host} (connection refused)"
            return f"cannot connect to {host} ({type(e).__name__})"
    for e in chain:
        if isinstance(e, _CORRUPT):
            return f"truncated or corrupt gzip answer from {host}"
        if isinstance(e, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
            return f"truncated answer from {host}"
    if isinstance(exc, liblore.RemoteError) and exc.status_code is not None:
        if exc.status_code == 404:
            return f"not found on {server}"
        asked = last.retry_after if last is not None else None
        return f"HTTP {exc.status_code} from {host}" + (f" (Retry-After {asked:g} s)" if asked else "")
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{host}: {text[:200]}"


def _find_root(ids: Sequence[str], raws: Sequence[bytes], wanted: str | None) -> str | None:
    """Walk up from ``wanted`` (else from the earliest message) through parents in the set."""
    present = set(ids)
    parent: dict[str, str | None] = {}
    dates: dict[str, datetime] = {}
    for msgid, raw in zip(ids, raws, strict=True):
        h = mail_headers(raw)
        candidates = [h.in_reply_to, *reversed(h.references)]
        parent[msgid] = next((p for p in candidates if p and p in present and p != msgid), None)
        # Undated mail sorts first, as the thread stage dates it (1970).
        dates[msgid] = h.date or datetime.min.replace(tzinfo=UTC)
    if not ids:
        return None
    start = wanted if wanted in present else min(ids, key=lambda m: dates[m])
    seen = {start}
    cur = start
    while (up := parent.get(cur)) is not None:
        if up in seen:
            # A References loop: the thread stage cuts it where this walk meets itself again.
            return up
        seen.add(up)
        cur = up
    return cur


def _raw_thread(
    source: str, messages: Sequence[bytes], wanted: str | None, *, from_cache: bool, server: str,
) -> RawThread:
    unique = dedupe_messages(messages)
    ids = tuple(m for m, _ in unique)
    raws = tuple(r for _, r in unique)
    return RawThread(
        source=source,
        root=_find_root(ids, raws, wanted),
        messages=raws,
        message_ids=ids,
        from_cache=from_cache,
        server=server,
    )


def _read_local(source: ThreadSource) -> list[bytes]:
    assert source.path is not None
    try:
        if source.kind is SourceKind.MAILDIR:
            messages = read_maildir(source.path)
        elif source.kind is SourceKind.EML:
            messages = [read_eml(source.path)]
        else:
            data = read_file(source.path)
            messages = split_mbox(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    except (EOFError, OSError, zlib.error) as exc:
        raise MailError(f"{source}: truncated or corrupt gzip file") from exc
    except MailError as exc:
        raise MailError(f"{source}: {exc}") from exc
    if not messages:
        raise MailError(f"{source}: no messages")
    return messages


def _ignore(_: str) -> None:
    return None


def fetch_thread(
    source: ThreadSource,
    cfg: Config,
    *,
    offline: bool = False,
    refresh: bool = False,
    git_overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> RawThread:
    """The raw messages of the thread ``source`` names.

    Remote: from the cache unless ``refresh``; ``offline`` never touches the network (it wins over
    ``refresh``) and raises FetchError("<thread>: not in cache (offline)") when the cache has
    nothing. Local files are read directly (the cache is not involved). Errors: FetchError
    (network, server, cache), MailError (a local file that is not mail), ConfigError (a bad
    ``-c`` override).
    """
    say = progress or _ignore
    if not source.kind.is_remote:
        messages = _read_local(source)
        return _raw_thread(str(source), messages, None, from_cache=False, server="")

    msgid = source.message_id
    assert msgid is not None
    cache = ThreadCache(cfg.cache.dir)
    if offline or not refresh:  # offline: the cache is all there is, --refresh or not
        cached = cache.get_thread(msgid)
        if cached is not None:
            say(f"using cached thread for {msgid}")
            thread = _raw_thread(str(source), split_mbox(cached.mbox), msgid, from_cache=True,
                                 server=cached.source)
            return thread
    if offline:
        raise FetchError(f"{source}: not in cache (offline)")

    try:
        server, mbox = _fetch_remote(msgid, source, cfg, cache, git_overrides, refresh, say)
    except FetchError as exc:
        cached = cache.get_thread(msgid)
        if cached is None:
            raise
        # --refresh could not reach the server: the copy from the last fetch beats no review.
        when = datetime.fromtimestamp(cached.fetched, UTC).strftime("%Y-%m-%d %H:%M UTC")
        note = f"{exc}; used the cached copy fetched {when} (replies since then are missing)"
        say(note)
        thread = _raw_thread(str(source), split_mbox(cached.mbox), msgid, from_cache=True,
                             server=cached.source)
        return replace(thread, notes=(note,))
    try:
        messages = split_mbox(mbox)
    except MailError as exc:
        raise FetchError(f"{source}: answer from {server} is not an mbox") from exc
    if not messages:
        raise FetchError(f"{source}: {server} returned no messages")
    thread = _raw_thread(str(source), messages, msgid, from_cache=False, server=server)
    cache.put_thread(
        msgid, write_mboxrd(thread.messages), root=thread.root, source=server,
        member_ids=thread.message_ids,
    )
    say(f"fetched {len(thread.messages)} messages from {server}")
    return thread
