"""Retrieval: local mbox / eml / Maildir, b4 + liblore against the loopback lore server, the cache."""

from __future__ import annotations

import gzip
import importlib.util
import mailbox
import sys
import time
from pathlib import Path

import b4
import pytest
from _lore_server import LoreServer, _Mail
from _real_data import CORPUS, SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer._cache import ThreadCache
from reviewer._config import CacheConfig, Config, LoreConfig
from reviewer._errors import ConfigError, FetchError, MailError
from reviewer._input import classify_input
from reviewer._mbox import (
    SYNTHETIC_MSGID_DOMAIN,
    dedupe_messages,
    ensure_message_id,
    mail_headers,
    split_mbox,
    text_body,
    write_mboxrd,
)
from reviewer._retrieve import fetch_thread, parse_git_overrides
from reviewer._retrieve import lore_server as b4_lore_server

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "seed.mbox"
V1 = "20210319071547.60973-1-hannes@cmpxchg.org"
V2_REPLY = "YFo7SOni0s0TbXUm@cmpxchg.org"
SYNTHETIC_ACK = "seed-synthetic-20210325015849-mhocko@reviewer.invalid"


def _cfg(tmp_path: Path) -> Config:
    return Config(cache=CacheConfig(tmp_path / "cache"))


# --------------------------------------------------------------------------- the seed fixture


def test_seed_fixture_reads_with_python_mailbox() -> None:
    box = mailbox.mbox(SEED)
    ids = [m["Message-ID"] for m in box]
    assert len(ids) == 13
    assert ids[0] == f"<{V1}>"
    assert f"<{SYNTHETIC_ACK}>" in ids
    ack = next(m for m in box if m["Message-ID"] == f"<{SYNTHETIC_ACK}>")
    assert ack["In-Reply-To"] == f"<{V2_REPLY}>"
    assert ack["Date"] == "Thu, 25 Mar 2021 01:58:49 +0000"


def test_seed_fixture_keeps_raw_diff_whitespace() -> None:
    thread = fetch_thread(classify_input(str(SEED)), Config())
    v2 = thread.messages[thread.message_ids.index(V2_REPLY)]
    # mboxrd: the inline patch's pseudo From line is escaped in the file, plain in the message.
    assert b"\nFrom f6f062a3ec46f4fb083dcf6792fde9723f18cfc5 Mon Sep 17 00:00:00 2001\n" in v2
    assert b"\n+\tbool compound = PageHead(page);\n" in v2
    ack = thread.messages[thread.message_ids.index(SYNTHETIC_ACK)]
    body = text_body(ack)
    assert "Acked-by: Michal Hocko <mhocko@suse.com>" in body
    assert "> +\tbool compound = PageHead(page);" in body  # quoted diff restored from the raw parent
    assert "[email" not in body


@pytest.mark.real_data
def test_seed_fixture_is_rebuilt_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("build_seed", ROOT / "fixtures" / "build_seed_fixture.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_seed", build)  # dataclasses look their module up
    spec.loader.exec_module(build)
    seed = sorted((SHARED / "seeds").glob("000_*.txt"))[0]
    assert build.build(seed, CORPUS / "seed-thread.mbox") == SEED.read_bytes()


# --------------------------------------------------------------------------- local sources


def test_local_mbox(tmp_path: Path) -> None:
    thread = fetch_thread(classify_input(str(SEED)), _cfg(tmp_path))
    assert len(thread.messages) == 13 and len(set(thread.message_ids)) == 13
    assert thread.root == V1
    assert not thread.from_cache and thread.server == ""
    assert not (tmp_path / "cache").exists()  # local files never touch the cache


def test_mbox_with_junk_before_first_from_line(tmp_path: Path) -> None:
    path = tmp_path / "saved.mbox"
    path.write_bytes(b"Saved from lore\nanother junk line\n" + SEED.read_bytes())
    thread = fetch_thread(classify_input(str(path)), _cfg(tmp_path))
    assert len(thread.messages) == 13
    assert thread.root == V1


def test_downloaded_t_mbox_gz(tmp_path: Path) -> None:
    path = tmp_path / "t.mbox.gz"
    path.write_bytes(gzip.compress(SEED.read_bytes().replace(b"\n", b"\r\n"), mtime=0))
    thread = fetch_thread(classify_input(str(path)), _cfg(tmp_path))
    assert len(thread.messages) == 13 and thread.root == V1
    broken = tmp_path / "broken.mbox.gz"
    broken.write_bytes(path.read_bytes()[:500])
    with pytest.raises(MailError, match="broken.mbox.gz: truncated or corrupt gzip file"):
        fetch_thread(classify_input(str(broken)), _cfg(tmp_path))


def test_not_an_mbox(tmp_path: Path) -> None:
    path = tmp_path / "notes.mbox"
    path.write_bytes(b"just some text\n")
    with pytest.raises(MailError, match="notes.mbox: no 'From ' separator"):
        fetch_thread(classify_input(str(path)), _cfg(tmp_path))


def _msg(msgid: str | None, body: str, *, extra: str = "", date: str = "Mon, 1 Jan 2024 10:00:00 +0000") -> bytes:
    head = f"From: A <a@example.org>\nSubject: s\nDate: {date}\n{extra}"
    if msgid:
        head += f"Message-ID: <{msgid}>\n"
    return (head + "\n" + body).encode()


def test_maildir_with_duplicates_keeps_most_complete_copy(tmp_path: Path) -> None:
    md = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "cur" / "1:2,S").write_bytes(_msg("a@x", "root\n"))
    (md / "cur" / "2:2,S").write_bytes(_msg("b@x", "short\n", extra="In-Reply-To: <a@x>\n"))
    (md / "new" / "3").write_bytes(_msg("b@x", "short\nbut complete, with more text\n", extra="In-Reply-To: <a@x>\n"))
    thread = fetch_thread(classify_input(str(md)), _cfg(tmp_path))
    assert thread.message_ids == ("a@x", "b@x")
    assert b"more text" in thread.messages[1]
    assert thread.root == "a@x"


def test_single_eml(tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(_msg("one@x", "hello\r\n").replace(b"\n", b"\r\n"))
    thread = fetch_thread(classify_input(str(eml)), _cfg(tmp_path))
    assert thread.message_ids == ("one@x",)
    assert b"\r" not in thread.messages[0]


def test_message_without_message_id_gets_stable_synthetic_id() -> None:
    raw = _msg(None, "no id here\n")
    msgid, fixed = ensure_message_id(raw)
    assert msgid.endswith("@" + SYNTHETIC_MSGID_DOMAIN)
    assert mail_headers(fixed).message_id == msgid
    # Same content (even with CRLF line ends) -> same id; other content -> another id.
    assert ensure_message_id(raw.replace(b"\n", b"\r\n"))[0] == msgid
    assert ensure_message_id(_msg(None, "other\n"))[0] != msgid
    # Twice through dedupe: once.
    assert [m for m, _ in dedupe_messages([raw, raw])] == [msgid]


def test_latin1_and_quoted_printable_bodies(tmp_path: Path) -> None:
    latin = _msg("l@x", "", extra="Content-Type: text/plain; charset=iso-8859-1\n") + "Grüße, Jörg\n".encode("latin-1")
    qp = _msg("q@x", "", extra="Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n") + (
        b"a very long line that was soft=\n-wrapped, caf=C3=A9, and a tab=09here\n"
    )
    path = tmp_path / "mixed.mbox"
    path.write_bytes(write_mboxrd([latin, qp]))
    thread = fetch_thread(classify_input(str(path)), _cfg(tmp_path))
    assert thread.message_ids == ("l@x", "q@x")
    assert thread.messages[0].endswith("Grüße, Jörg\n".encode("latin-1"))  # raw bytes untouched
    assert text_body(thread.messages[0]) == "Grüße, Jörg\n"
    assert text_body(thread.messages[1]) == "a very long line that was soft-wrapped, café, and a tab\there\n"


def test_headers_of_a_non_utf8_message() -> None:
    raw = (b"From: =?iso-8859-1?q?J=F6rg?= <j@x.de>\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\n"
           b"Message-ID: <a@b>\nDate: not a date\n\n") + "Müll\n".encode("latin-1")
    h = mail_headers(raw)
    assert (h.message_id, h.subject, h.from_name, h.from_email, h.date) == ("a@b", "Grüße", "Jörg", "j@x.de", None)
    assert text_body(raw) == "M\ufffdll\n"  # no charset given: utf-8, bad bytes replaced


def test_crlf_mbox_and_mboxrd_escaping_round_trip(tmp_path: Path) -> None:
    body = "From the start\n>From quoted\n>>From deeper\nend\n"
    data = write_mboxrd([_msg("c@x", body)]).replace(b"\n", b"\r\n")
    assert b"\r\n>From the start\r\n>>From quoted\r\n>>>From deeper" in data
    [raw] = split_mbox(data)
    assert raw.endswith(body.encode())


_LINE = st.one_of(
    st.sampled_from(["From me", ">From x", ">>From y", "", "From", " From z", "From  two"]),
    st.text(alphabet="abcF rom>:-\t", max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_LINE, max_size=8), min_size=1, max_size=4))
def test_mboxrd_round_trip(bodies: list[list[str]]) -> None:
    msgs = [f"Message-ID: <{i}@x>\n\n".encode() + "\n".join(b).rstrip("\n").encode() + b"\n"
            for i, b in enumerate(bodies)]
    # Trailing blank lines are the separator's, as in every mbox reader.
    assert split_mbox(write_mboxrd(msgs)) == [m.rstrip(b"\n") + b"\n" for m in msgs]


def test_from_line_inside_a_body_without_blank_line_is_not_a_separator() -> None:
    data = b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <f@x>\n\nline\nFrom here on\n"
    assert len(split_mbox(data)) == 1



def test_unescaped_prose_from_after_a_blank_line_is_not_a_separator() -> None:
    """An mbox concatenated by hand (mboxo, nothing escaped): a paragraph starting "From the"
    is prose. As git mailsplit, a separator carries a time of day; otherwise the rest of the
    body would become a header-less "message" and the whole thread would fail to build."""
    from reviewer.thread import build_thread

    data = (b"From x@y Thu Jan  1 00:00:00 1970\nMessage-ID: <f@x>\nSubject: s\n\nline\n\n"
            b"From the trace above, the page is freed twice.\n\n"
            b"From - Tue Mar 23 10:00:00 2021\nMessage-ID: <g@x>\nSubject: t\n\nsecond\n")
    first, second = split_mbox(data)
    assert first.endswith(b"From the trace above, the page is freed twice.\n")
    assert second.startswith(b"Message-ID: <g@x>")
    assert [m.message_id for m in build_thread([first, second]).messages] == ["f@x", "g@x"]


# --------------------------------------------------------------------------- b4 + loopback lore


def test_fetch_by_message_id_through_b4(lore_server: LoreServer, lore_config: Config) -> None:
    said: list[str] = []
    thread = fetch_thread(classify_input(f"<{V2_REPLY}>"), lore_config, progress=said.append)
    assert len(thread.messages) == 13
    assert thread.root == V1  # fetched by a reply: the whole thread, and its root
    assert thread.server == f"{lore_server.url}/all"
    assert not thread.from_cache
    assert lore_server.paths() == [f"/all/{V2_REPLY.replace('@', '%40')}/t.mbox.gz"]
    assert any("fetched 13 messages" in s for s in said)
    # The message bytes are the server's bytes (mboxrd-unescaped), line for line.
    assert thread.messages[0] == lore_server.mails[V1].raw


def test_dedupes_what_the_server_sends_twice(lore_server: LoreServer, lore_config: Config) -> None:
    # The archive holds a second, truncated copy of the root (same Message-ID): one survives,
    # the complete one.
    full = lore_server.mails[V1].raw
    head, _, body = full.partition(b"\n\n")
    truncated = head + b"\n\n" + body[:300] + b"\n"
    lore_server.mails["copy-of-root"] = _Mail("copy-of-root", truncated, "", "", "", (V1,))
    thread = fetch_thread(classify_input(V1), lore_config)
    assert thread.message_ids.count(V1) == 1 and len(thread.messages) == 13
    assert thread.messages[thread.message_ids.index(V1)] == full


@pytest.fixture
def dead_midmask(lore_server: LoreServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The user's b4.midmask names a closed port: only a URL's own host can answer.

    Depends on lore_server so that it replaces the git config lore_server wrote.
    """
    gitconfig = tmp_path / "dead.gitconfig"
    gitconfig.write_text("[b4]\n\tmidmask = http://127.0.0.1:9/all/%s\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))


@pytest.mark.usefixtures("dead_midmask")
@pytest.mark.parametrize(
    ("path", "server_path", "requested"),
    [
        (f"/linux-mm/{V1}/T/#u", "/linux-mm", "/linux-mm/"),
        (f"/linux-mm/{V1.replace('@', '%40')}/", "/linux-mm", "/linux-mm/"),  # b4's regex misses this
        (f"/{V1}/", "/all", "/all/"),  # no inbox in the URL: b4 adds /all
    ],
)
def test_url_host_points_b4_at_that_server(
    lore_server: LoreServer, lore_config: Config, path: str, server_path: str, requested: str,
) -> None:
    # As in b4.parse_msgid: the pasted URL's host wins over the configured midmask.
    thread = fetch_thread(classify_input(lore_server.url + path), lore_config)
    assert len(thread.messages) == 13
    assert thread.server == lore_server.url + server_path
    assert lore_server.paths() == [f"{requested}{V1.replace('@', '%40')}/t.mbox.gz"]


@pytest.mark.usefixtures("dead_midmask")
def test_r_short_link_is_followed(lore_server: LoreServer, lore_config: Config) -> None:
    thread = fetch_thread(classify_input(f"{lore_server.url}/r/{V1}"), lore_config)
    assert len(thread.messages) == 13
    assert lore_server.paths()[0].startswith("/r/") and lore_server.paths()[1].startswith("/linux-mm/")


def test_patchwork_url_uses_configured_midmask(lore_server: LoreServer, lore_config: Config) -> None:
    src = classify_input(f"https://patchwork.kernel.org/project/linux-mm/patch/{V1}/")
    thread = fetch_thread(src, lore_config)
    assert thread.server == f"{lore_server.url}/all"


@pytest.mark.usefixtures("dead_midmask")
def test_git_override_beats_git_config(lore_server: LoreServer, lore_config: Config) -> None:
    thread = fetch_thread(classify_input(V1), lore_config,
                          git_overrides=[f"b4.midmask={lore_server.url}/linux-mm/%s"])
    assert thread.server == f"{lore_server.url}/linux-mm"


@pytest.mark.usefixtures("dead_midmask")
def test_dead_configured_server(lore_server: LoreServer, lore_config: Config) -> None:
    with pytest.raises(FetchError, match=rf"^{V1}: cannot connect to 127.0.0.1:9 \(connection refused\)$"):
        fetch_thread(classify_input(V1), lore_config)
    assert lore_server.requests == []


def test_b4_globals_are_restored(lore_server: LoreServer, lore_config: Config) -> None:
    before = (b4.MAIN_CONFIG, b4.LORENODE)
    fetch_thread(classify_input(f"{lore_server.url}/linux-mm/{V1}/"), lore_config)
    assert b4.MAIN_CONFIG is before[0] and b4.LORENODE is before[1]
    assert b4_lore_server(git_overrides=("b4.midmask=http://h.example/foo/%s",)) == "http://h.example/foo"
    assert b4_lore_server(git_overrides=("b4.midmask=http://h.example/%s",)) == "http://h.example/all"
    assert b4.MAIN_CONFIG is before[0] and b4.LORENODE is before[1]


def test_bad_git_override() -> None:
    with pytest.raises(ConfigError, match="-c midmask: expected section.key=value"):
        parse_git_overrides(["midmask"])
    assert parse_git_overrides(["b4.Flag"]) == {"b4.flag": "true"}


def test_warm_cache_needs_no_server(lore_server: LoreServer, lore_config: Config) -> None:
    first = fetch_thread(classify_input(V1), lore_config)
    lore_server.stop()
    n = len(lore_server.requests)
    again = fetch_thread(classify_input(V1), lore_config)
    assert again.from_cache and again.messages == first.messages and again.root == V1
    # Any message of the thread finds the cached thread, offline too.
    other = fetch_thread(classify_input(f"<{SYNTHETIC_ACK}>"), lore_config, offline=True)
    assert other.from_cache and len(other.messages) == 13
    # --offline wins over --refresh: still the cache, still no request.
    assert fetch_thread(classify_input(V1), lore_config, offline=True, refresh=True).from_cache
    assert len(lore_server.requests) == n


def test_cache_writes_are_atomic_and_inside_cache_dir(lore_server: LoreServer, lore_config: Config) -> None:
    fetch_thread(classify_input(V1), lore_config)
    files = [p for p in lore_config.cache.dir.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.name.endswith(".tmp")]
    assert any(p.parent.name == "liblore" for p in files)  # liblore's cache lives inside ours
    cached = ThreadCache(lore_config.cache.dir).get_thread(V1)
    assert cached is not None and cached.root == V1 and cached.mbox.count(b"From mboxrd@z") == 13


def test_offline_without_cache(lore_server: LoreServer, lore_config: Config) -> None:
    with pytest.raises(FetchError) as err:
        fetch_thread(classify_input(V1), lore_config, offline=True)
    assert str(err.value) == f"{V1}: not in cache (offline)"
    assert lore_server.requests == []


def test_no_cache_and_server_stopped(lore_server: LoreServer, lore_config: Config) -> None:
    lore_server.stop()
    with pytest.raises(FetchError) as err:
        fetch_thread(classify_input(V1), lore_config)
    msg = str(err.value)
    assert msg.startswith(f"{V1}: cannot connect to 127.0.0.1:")
    assert "\n" not in msg


def test_refresh_refetches(lore_server: LoreServer, lore_config: Config) -> None:
    fetch_thread(classify_input(V1), lore_config)
    late = (b"From: Late <late@example.org>\nSubject: Re: x\nDate: Sat, 27 Mar 2021 10:00:00 +0000\n"
            b"Message-ID: <late@example.org>\nIn-Reply-To: <" + V1.encode() + b">\n\nlate reply\n")
    lore_server.add_message(late)
    cached = fetch_thread(classify_input(V1), lore_config)
    assert "late@example.org" not in cached.message_ids and len(lore_server.requests) == 1
    fresh = fetch_thread(classify_input(V1), lore_config, refresh=True)
    assert "late@example.org" in fresh.message_ids and not fresh.from_cache
    assert len(lore_server.requests) == 2
    assert "late@example.org" in fetch_thread(classify_input(V1), lore_config).message_ids


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (500, "HTTP 500 from 127.0.0.1:"),
        (503, "HTTP 503 from 127.0.0.1:"),
        ("hang", "no answer from 127.0.0.1:"),
        ("truncate", "truncated or corrupt gzip answer from 127.0.0.1:"),
        ("cut", "truncated answer from 127.0.0.1:"),
    ],
)
def test_faults_give_one_line_fetch_errors(
    lore_server: LoreServer, tmp_path: Path, fault: str | int, cause: str,
) -> None:
    cfg = Config(lore=LoreConfig(timeout=0.5, retry_delay=0.05), cache=CacheConfig(tmp_path / "c"))
    lore_server.fail(r"t\.mbox\.gz$", fault)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_thread(classify_input(V1), cfg)
    msg = str(err.value)
    assert msg.startswith(f"{V1}: {cause}"), msg
    assert " (after 3 attempts in " in msg  # each of these is worth another try
    assert sum(p.endswith("t.mbox.gz") for p in lore_server.paths()) == 3
    assert "\n" not in msg and "Traceback" not in msg
    assert time.monotonic() - started < 10
    assert ThreadCache(cfg.cache.dir).get_thread(V1) is None  # a failure caches nothing


def test_not_found(lore_server: LoreServer, lore_config: Config) -> None:
    with pytest.raises(FetchError, match=r"^nobody@nowhere.example: not found on http://127"):
        fetch_thread(classify_input("nobody@nowhere.example"), lore_config)


def test_server_serves_what_liblore_asks(lore_server: LoreServer) -> None:
    # The loopback server itself: the same mbox over /raw, search and the thread URL.
    import httpx

    with httpx.Client(base_url=lore_server.url) as c:
        raw = c.get(f"/linux-mm/{V1}/raw")
        assert raw.status_code == 200 and raw.content == lore_server.mails[V1].raw
        hits = c.post("/all/", params={"x": "m", "q": f"m:{V1}"}, content=b"x=m")
        assert len(split_mbox(gzip.decompress(hits.content))) == 1
        full = c.post("/all/", params={"x": "m", "t": "1", "q": f"m:{V1}"}, content=b"x=m")
        assert len(split_mbox(gzip.decompress(full.content))) == 13
        assert c.post("/all/", params={"x": "m", "q": 's:"no such subject"'}).status_code == 404
        assert c.head(f"/{V1}/").status_code == 302
