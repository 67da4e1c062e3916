"""The <thread> argument: every accepted form, and one-line InputErrors for malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer._errors import InputError
from reviewer._input import SourceKind, classify_input

MSGID = "20210319071547.60973-1-hannes@cmpxchg.org"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("text", "server"),
    [
        (f"https://lore.kernel.org/linux-mm/{MSGID}/", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID}", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID}/T/#u", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID}/t/", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID}/raw", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID}/t.mbox.gz", "https://lore.kernel.org/linux-mm"),
        (f"https://lore.kernel.org/all/{MSGID}/", "https://lore.kernel.org/all"),
        (f"https://lore.kernel.org/r/{MSGID}", "https://lore.kernel.org/r"),
        (f"https://lore.kernel.org/{MSGID}/", "https://lore.kernel.org"),
        (f"https://mirror.example/pub/lists/linux-mm/{MSGID}/", "https://mirror.example/pub/lists/linux-mm"),
        (f"http://127.0.0.1:8080/linux-mm/{MSGID}/", "http://127.0.0.1:8080/linux-mm"),
        (f"https://lore.kernel.org/linux-mm/{MSGID.replace('@', '%40')}/", "https://lore.kernel.org/linux-mm"),
    ],
)
def test_lore_urls(text: str, server: str) -> None:
    src = classify_input(text)
    assert src.kind is SourceKind.LORE_URL
    assert src.message_id == MSGID
    assert src.server == server
    assert src.text == text


def test_percent_encoded_slash_and_plus_stay_in_the_msgid() -> None:
    src = classify_input("https://lore.kernel.org/lkml/a%2Fb%2Bc@host.example/")
    assert src.message_id == "a/b+c@host.example"


def test_patchwork_url() -> None:
    src = classify_input(f"https://patchwork.kernel.org/project/linux-mm/patch/{MSGID}/")
    assert src.kind is SourceKind.PATCHWORK_URL
    assert src.message_id == MSGID


@pytest.mark.parametrize("text", [MSGID, f"<{MSGID}>", f"id:{MSGID}", f"rfc822msgid:{MSGID}",
                                  f"  <{MSGID}>  ", f"id:<{MSGID}>"])
def test_message_id_forms(text: str) -> None:
    src = classify_input(text)
    assert src.kind is SourceKind.MESSAGE_ID
    assert src.message_id == MSGID


def test_local_mbox_eml_and_maildir(tmp_path: Path) -> None:
    assert classify_input(str(FIXTURES / "seed.mbox")).kind is SourceKind.MBOX
    junk = tmp_path / "thread.txt"
    junk.write_bytes(b"saved from a browser\n\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\n\nbody\n")
    assert classify_input(str(junk)).kind is SourceKind.MBOX
    eml = tmp_path / "one.eml"
    eml.write_bytes(b"From: a <a@b.c>\nMessage-ID: <x@y>\nSubject: s\n\nbody\n")
    src = classify_input(str(eml))
    assert src.kind is SourceKind.EML and src.path == eml and src.message_id is None
    md = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    assert classify_input(str(md)).kind is SourceKind.MAILDIR


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc def@example.org", "cannot contain spaces"),
        ("<abc def@example.org>", "cannot contain spaces"),
        ("no-at-sign.example.org", "needs an '@'"),
        ("id:", "empty Message-ID"),
        ("a@b@c", "not a Message-ID"),
        ("https://lore.kernel.org/linux-mm/", "no Message-ID"),
        ("https://lore.kernel.org/linux-mm/?q=foo", "no Message-ID"),
        ("https:///linux-mm/x@y/", "no host"),
        ("https://patchwork.kernel.org/project/linux-mm/patch/12114569/", "not a Message-ID"),
        ("https://patchwork.kernel.org/project/linux-mm/list/", "patchwork URL"),
        ("ftp://lore.kernel.org/x@y/", "only http(s)"),
        ("./missing.mbox", "no such file"),
        ("/nonexistent/dir/thread", "no such file"),
        ("", "empty argument"),
    ],
)
def test_malformed_input(text: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        classify_input(text)
    msg = str(err.value)
    assert problem in msg
    assert "\n" not in msg
    if text.strip():
        assert text.strip() in msg


def test_directory_that_is_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Maildir"):
        classify_input(str(tmp_path))


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        classify_input(str(empty))


_REPLY_WITH_INLINE_PATCH = (
    b"From: Johannes Weiner <hannes@cmpxchg.org>\n"
    b"Subject: Re: [PATCH] mm: fix foo\n"
    b"Message-ID: <reply-1@example.org>\n"
    b"In-Reply-To: <patch-1@example.org>\n"
    b"Date: Tue, 23 Mar 2021 10:00:00 -0400\n"
    b"\n"
    b"How about this instead?\n"
    b"\n"
    b"From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
    b"From: Johannes Weiner <hannes@cmpxchg.org>\n"
    b"Subject: [PATCH] mm: fix foo\n"
    b"\n"
    b"Signed-off-by: Johannes Weiner <hannes@cmpxchg.org>\n"
)


@pytest.mark.parametrize("name", ["reply.eml", "reply.txt", "reply"])
def test_saved_reply_with_inline_format_patch_is_one_message(tmp_path: Path, name: str) -> None:
    """A reply carrying a `git format-patch` inline (issue 3's v2 shape) has a From_-like line in
    its body; the file still starts with headers, so it is one message, not an mbox whose
    "junk" prefix (the reply's own headers and text) would be dropped."""
    from reviewer._config import load_config
    from reviewer._retrieve import fetch_thread

    saved = tmp_path / name
    saved.write_bytes(_REPLY_WITH_INLINE_PATCH)
    src = classify_input(str(saved))
    assert src.kind is SourceKind.EML
    raw = fetch_thread(src, load_config())
    assert raw.message_ids == ("reply-1@example.org",)
    assert b"How about this instead?" in raw.messages[0]
