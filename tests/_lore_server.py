"""A public-inbox look-alike on 127.0.0.1, for retrieval and other-versions tests (pytest plugin).

It serves the URLs b4 0.16 / liblore 0.10 request (see liblore/node.py)::

    GET  /<list>/<msgid>/t.mbox.gz          gzip mboxrd of the whole thread   (get_mbox_by_msgid)
    GET  /<list>/<msgid>/raw                one message                        (get_message_by_msgid)
    HEAD /<msgid>/                          302 to /<list>/<msgid>/            (404 fallback discovery)
    POST /<list>/?x=m[&t=1]&q=<query>       gzip mbox of matches; 404 if none  (get_mbox_by_query)
    POST /<list>/<msgid>/?x=m&q=<query>     thread-scoped search               (_search_thread)
    HEAD /_/text/help/                      200                                (validate)
    GET  /r/<msgid>/...                     302 to /<list>/<msgid>/...         (lore's short links)

GET works wherever POST does (httpx callers may use either). Query language: ``s:"phrase"``
(subject), ``m:<msgid>``, ``nq:``/``b:``/``bs:``/``dfn:``/``dfb:`` (body), ``f:`` (From), bare
words (subject or body), ``AND`` between terms, ``OR`` between groups; date terms
(``d:``/``dt:``/``rt:``) match everything.

Faults per path regex: an HTTP status (500, 503, 404; with a ``Retry-After`` header if asked),
``hang`` (no answer until the server stops: longer than any test client timeout), ``truncate``
(a gzip body cut in half, correct Content-Length), ``cut`` (the connection drops mid-body) and
``html`` (200 with a text/html page instead of the mbox, as a bot check answers). Every request
is recorded, so a test can assert that the cached or offline path made none.

The mbox reading and writing here are deliberately independent of reviewer's own (_mbox.py):
the server must not share the bugs of the client it tests.
"""

from __future__ import annotations

import gzip
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reviewer._config import CacheConfig, Config, LoreConfig

__all__ = ["LoreServer", "lore_config", "lore_server", "read_mbox_messages"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_MSGID = re.compile(r"<([^<>\s]+)>")


def read_mbox_messages(data: bytes) -> list[bytes]:
    """Messages of an mboxrd file (independent of reviewer._mbox on purpose)."""
    out: list[list[bytes]] = []
    for line in data.replace(b"\r\n", b"\n").split(b"\n"):
        if line.startswith(b"From ") and (not out or not out[-1] or out[-1][-1] == b""):
            out.append([])
        elif out:
            out[-1].append(re.sub(rb"^>(>*From )", rb"\1", line))
    return [b"\n".join(m).rstrip(b"\n") + b"\n" for m in out if any(m)]


def _mboxrd(messages: list[bytes]) -> bytes:
    parts = []
    for raw in messages:
        parts.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
        parts.append(re.sub(rb"(?m)^(>*From )", rb">\1", raw.rstrip(b"\n") + b"\n"))
        parts.append(b"\n")
    return b"".join(parts)


@dataclass
class _Mail:
    msgid: str
    raw: bytes
    subject: str
    sender: str
    body: str
    parents: tuple[str, ...]


def _parse(raw: bytes) -> _Mail:
    hdrs = BytesHeaderParser(policy=compat32).parsebytes(raw)
    ids = _MSGID.findall(str(hdrs.get("Message-ID", "")))
    parents = _MSGID.findall(str(hdrs.get("In-Reply-To", ""))) + _MSGID.findall(
        str(hdrs.get("References", ""))
    )
    head, _, body = raw.partition(b"\n\n")
    subject = " ".join(str(hdrs.get("Subject", "")).split())
    return _Mail(ids[0] if ids else "", raw, subject, str(hdrs.get("From", "")),
                 body.decode("utf-8", "replace"), tuple(parents))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def _has_phrase(text: str, phrase: str) -> bool:
    want, have = _words(phrase), _words(text)
    n = len(want)
    return n > 0 and any(have[i : i + n] == want for i in range(len(have) - n + 1))


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    kind: str
    times: int | None
    retry_after: str | None = None


@dataclass
class LoreServer:
    """The server; start() binds an ephemeral port on 127.0.0.1."""

    lists: tuple[str, ...] = ("linux-mm", "linux-kernel", "cgroups")
    requests: list[tuple[str, str]] = field(default_factory=list)
    mails: dict[str, _Mail] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: ThreadingHTTPServer | None = None
    _stopped: bool = False

    # ----------------------------------------------------------------- data
    def add_mbox(self, path: Path) -> None:
        for raw in read_mbox_messages(path.read_bytes()):
            self.add_message(raw)

    def add_message(self, raw: bytes) -> None:
        mail = _parse(raw)
        self.mails[mail.msgid] = mail

    def thread_of(self, msgid: str) -> list[_Mail]:
        """Every message connected to msgid through In-Reply-To / References."""
        if msgid not in self.mails:
            return []
        adj: dict[str, set[str]] = {m: set() for m in self.mails}
        for m in self.mails.values():
            for p in m.parents:
                if p in adj:
                    adj[m.msgid].add(p)
                    adj[p].add(m.msgid)
        seen, todo = {msgid}, [msgid]
        while todo:
            for nxt in adj[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return [m for m in self.mails.values() if m.msgid in seen]

    # ----------------------------------------------------------------- faults
    def fail(self, pattern: str, kind: str | int, times: int | None = None, *,
             retry_after: str | None = None) -> None:
        """Answer the next ``times`` (None: all) requests whose path matches ``pattern`` with a
        fault: a status (with ``Retry-After: retry_after`` if given), hang, truncate, cut, html."""
        with self._lock:
            self._faults.append(_Fault(re.compile(pattern), str(kind), times, retry_after))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fault_for(self, path: str) -> _Fault | None:
        with self._lock:
            for f in self._faults:
                if f.pattern.search(path) and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p in self.requests]

    # ----------------------------------------------------------------- search
    def search(self, query: str, within: list[_Mail] | None = None) -> list[_Mail]:
        pool = within if within is not None else list(self.mails.values())
        groups: list[list[tuple[str, str]]] = [[]]
        for m in re.finditer(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))', query):
            prefix, phrase, word = m.group(1), m.group(2), m.group(3)
            value = phrase if phrase is not None else word
            if prefix is None and value in ("AND",):
                continue
            if prefix is None and value == "OR":
                groups.append([])
                continue
            groups[-1].append(((prefix or "").lower(), value))
        return [mail for mail in pool if any(
            group and all(self._term(mail, p, v) for p, v in group) for group in groups)]

    @staticmethod
    def _term(mail: _Mail, prefix: str, value: str) -> bool:
        # Xapian matches words, not characters: "change-id:x" is the phrase change id x.
        if prefix == "m":
            return mail.msgid == value.strip("<>")
        if prefix in ("d", "dt", "rt"):
            return True
        if prefix == "s":
            return _has_phrase(mail.subject, value)
        if prefix in ("nq", "b", "bs", "dfn", "dfb", "dfa"):
            return _has_phrase(mail.body, value)
        if prefix == "f":
            return _has_phrase(mail.sender, value)
        return _has_phrase(mail.subject, value) or _has_phrase(mail.body, value)

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def midmask(self) -> str:
        return f"{self.url}/all/%s"

    def start(self) -> LoreServer:
        server = self

        class Handler(_Handler):
            lore = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                         name="lore-server", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering: the port is closed, later connections are refused."""
        self._stopping.set()
        if self._httpd is not None and not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()

    def hang(self) -> None:
        self._stopping.wait(60)


class _Handler(BaseHTTPRequestHandler):
    lore: LoreServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        return  # quiet: tests read server.requests instead

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    # -----------------------------------------------------------------
    def _send(self, status: int, data: bytes = b"", ctype: str = "text/plain",
              location: str | None = None, body: bool = True, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        if body and data:
            self.wfile.write(data)

    def _gzip(self, messages: list[_Mail], body: bool, fault: str | None) -> None:
        data = gzip.compress(_mboxrd([m.raw for m in messages]), mtime=0)
        if fault == "html":
            page = b"<html><body>Making sure you are not a bot...</body></html>\n"
            self._send(200, page, "text/html; charset=utf-8", body=body)
        elif fault == "truncate":
            self._send(200, data[: len(data) // 2], "application/gzip", body=body)
        elif fault == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:
            self._send(200, data, "application/gzip", body=body)

    def _serve(self, body: bool) -> None:
        lore = self.lore
        lore.record(self.command, self.path)
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query)
        parts = [urllib.parse.unquote(p) for p in split.path.split("/") if p]
        found = lore.fault_for(split.path)
        fault = found.kind if found is not None else None
        if fault == "hang":
            lore.hang()
            self.close_connection = True
            return
        if found is not None and found.kind.isdigit():
            self._send(int(found.kind), f"fault {found.kind}\n".encode(), body=body,
                       retry_after=found.retry_after)
            return

        if parts[:3] == ["_", "text", "help"]:
            self._send(200, b"public-inbox help\n", body=body)
            return
        if not parts:
            self._send(200, b"<html>lore</html>", "text/html", body=body)
            return
        # /<msgid>/... (bare) and /r/<msgid>/...: redirect to the list path, as lore does.
        if "@" in parts[0] or (parts[0] == "r" and len(parts) > 1):
            rest = parts[1:] if "@" in parts[0] else parts[2:]
            msgid = parts[0] if "@" in parts[0] else parts[1]
            if msgid not in lore.mails:
                self._send(404, b"not found\n", body=body)
                return
            loc = "/" + "/".join([lore.lists[0], urllib.parse.quote(msgid, safe="@"), *rest]) + "/"
            if rest and rest[-1] in ("raw", "t.mbox.gz"):
                loc = loc.rstrip("/")
            self._send(302, b"", location=loc, body=body)
            return
        inbox = parts[0]
        if inbox not in lore.lists and inbox != "all":
            self._send(404, b"no such inbox\n", body=body)
            return
        q = query.get("q", [None])[0]
        if len(parts) == 1:
            if q is None:
                self._send(200, b"<html>inbox</html>", "text/html", body=body)
                return
            hits = lore.search(q)
            if hits and query.get("t", ["0"])[0] == "1":
                seen: dict[str, _Mail] = {}
                for h in hits:
                    for m in lore.thread_of(h.msgid):
                        seen.setdefault(m.msgid, m)
                hits = list(seen.values())
            if not hits:
                self._send(404, b"no results\n", body=body)
                return
            self._gzip(hits, body, fault)
            return
        msgid = parts[1]
        if msgid not in lore.mails:
            self._send(404, b"not found\n", body=body)
            return
        rest = parts[2:]
        if q is not None:
            hits = lore.search(q, within=lore.thread_of(msgid))
            if not hits:
                self._send(404, b"no results\n", body=body)
                return
            self._gzip(hits, body, fault)
        elif rest == ["t.mbox.gz"]:
            self._gzip(lore.thread_of(msgid), body, fault)
        elif rest == ["raw"]:
            self._send(200, lore.mails[msgid].raw, "text/plain; charset=utf-8", body=body)
        else:
            self._send(200, b"<html>message</html>", "text/html", body=body)


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture
def lore_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoreServer]:
    """The loopback server with the seed thread and fixtures/versions/*.mbox, b4 pointed at it.

    b4.midmask is set in a temporary global git config (GIT_CONFIG_GLOBAL), with the system
    config off: the real user's git config is never read or touched.
    """
    server = LoreServer()
    server.add_mbox(FIXTURES / "seed.mbox")
    for path in sorted((FIXTURES / "versions").glob("*.mbox")):
        server.add_mbox(path)
    server.start()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[b4]\n\tmidmask = {server.midmask}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lore_config(tmp_path: Path) -> Config:
    """A Config whose cache lives in tmp_path, with a short HTTP timeout and short waits between
    tries (fault tests stay fast)."""
    return Config(lore=LoreConfig(timeout=1.0, retry_delay=0.05, retry_budget=10.0),
                  cache=CacheConfig(tmp_path / "cache"))
