"""Crafted messages: headers, dates, charsets, transfer encodings, multipart, ids, duplicates."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer._errors import MailError
from reviewer._mbox import ensure_message_id, synthetic_message_id
from reviewer.thread import build_thread
from reviewer.thread._mail import parse_mail


def mail(
    body: bytes = b"Hello.\n",
    *,
    msgid: str | None = "<a@example.org>",
    date: str | None = "Mon, 22 Mar 2021 10:55:30 +0100",
    subject: bytes = b"Re: [PATCH] mm: fix",
    extra: bytes = b"",
    sender: bytes = b"Michal Hocko <mhocko@suse.com>",
) -> bytes:
    head = b"From: " + sender + b"\nSubject: " + subject + b"\n"
    if msgid is not None:
        head += b"Message-ID: " + msgid.encode() + b"\n"
    if date is not None:
        head += b"Date: " + date.encode() + b"\n"
    return head + extra + b"\n" + body


def test_basic_fields() -> None:
    m = parse_mail(mail(extra=b"In-Reply-To: <p@x>\nReferences: <r@x>\n <p@x>\n"))
    assert m.message_id == "a@example.org"
    assert m.author.name == "Michal Hocko" and m.author.email == "mhocko@suse.com"
    assert m.date == datetime(2021, 3, 22, 9, 55, 30, tzinfo=UTC)
    assert m.date_source == "header"
    assert m.in_reply_to == "p@x" and m.references == ("r@x", "p@x")
    assert m.body == "Hello.\n"


def test_rfc2047_headers() -> None:
    raw = mail(
        sender=b"=?UTF-8?Q?Andr=C3=A9_Almeida?= <andre@example.org>",
        subject=b"=?ISO-8859-1?Q?Re=3A_=5BPATCH=5D_caf=E9?=\n =?UTF-8?B?w7xiZXI=?=",
    )
    m = parse_mail(raw)
    assert m.author.name == "Andr\u00e9 Almeida"
    assert m.subject == "Re: [PATCH] caf\u00e9\u00fcber"


def test_missing_message_id_gets_stable_synthetic_id() -> None:
    raw = mail(msgid=None)
    first, second = parse_mail(raw), parse_mail(raw)
    assert first.message_id == synthetic_message_id(raw)
    assert first.message_id.endswith("@synthetic.reviewer.invalid")
    # The id retrieval gives the same message (reviewer._mbox.ensure_message_id): one scheme.
    assert first.message_id == ensure_message_id(raw)[0]
    assert second.message_id == first.message_id
    assert parse_mail(mail(b"Other.\n", msgid=None)).message_id != first.message_id


def test_malformed_date_falls_back_to_received_then_epoch() -> None:
    received = b"Received: from a by b; Tue, 23 Mar 2021 20:03:37 +0100 (CET)\n"
    m = parse_mail(mail(date="not a date at all", extra=received))
    assert m.date_source == "received"
    assert m.date == datetime(2021, 3, 23, 19, 3, 37, tzinfo=UTC)
    m = parse_mail(b"From someone@x Wed Mar 24 10:00:00 2021\n" + mail(date="32 Foo 2021"))
    assert m.date_source == "from-line" and m.date.year == 2021
    m = parse_mail(mail(date=None))
    assert m.date_source == "epoch" and m.date == datetime(1970, 1, 1, tzinfo=UTC)
    # mboxrd's dummy "From mboxrd@z Thu Jan  1 00:00:00 1970" line is no date.
    m = parse_mail(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + mail(date="garbage"))
    assert m.date_source == "epoch"


def test_naive_date_is_taken_as_utc() -> None:
    m = parse_mail(mail(date="Mon, 22 Mar 2021 10:55:30 -0000"))
    assert m.date.tzinfo is not None and m.date.utcoffset() is not None


def test_latin1_body_declared_and_undeclared() -> None:
    body = "Gr\u00fc\u00dfe, caf\u00e9\n".encode("latin-1")
    declared = mail(body, extra=b"Content-Type: text/plain; charset=iso-8859-1\n")
    assert parse_mail(declared).body == "Gr\u00fc\u00dfe, caf\u00e9\n"
    # Declared as UTF-8 but is not: the latin-1 fallback keeps every byte readable.
    wrong = mail(body, extra=b"Content-Type: text/plain; charset=utf-8\n")
    assert parse_mail(wrong).body == "Gr\u00fc\u00dfe, caf\u00e9\n"
    unknown = mail(body, extra=b"Content-Type: text/plain; charset=x-no-such-charset\n")
    assert parse_mail(unknown).body == "Gr\u00fc\u00dfe, caf\u00e9\n"


def test_quoted_printable_and_base64_bodies() -> None:
    qp = mail(
        b"for (i =3D 1; i < n; i++)\nlong line that wraps =\nhere =E2=80=94 done\n",
        extra=b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
    )
    assert parse_mail(qp).body == "for (i = 1; i < n; i++)\nlong line that wraps here \u2014 done\n"
    b64 = mail(
        base64.encodebytes("Acked-by: J\u00f6rg <j@x>\n".encode()),
        extra=b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
    )
    assert parse_mail(b64).body == "Acked-by: J\u00f6rg <j@x>\n"


def test_crlf_line_ends() -> None:
    raw = mail(b"line one\r\nline two\r\n").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    m = parse_mail(raw)
    assert m.body == "line one\nline two\n"
    assert m.message_id == "a@example.org" and m.date_source == "header"


def test_multipart_takes_first_text_plain_part() -> None:
    raw = mail(
        b"--XX\nContent-Type: text/html\n\n<p>html</p>\n"
        b"--XX\nContent-Type: text/plain; charset=utf-8\n\nplain text\n"
        b"--XX\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nattached\n"
        b"--XX--\n",
        extra=b'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="XX"\n',
    )
    assert parse_mail(raw).body == "plain text"  # the newline before a boundary is the boundary's


def test_html_only_message_is_read_as_its_text() -> None:
    html = (b"<html><head><style>p {}</style></head><body><div>On Fri, A wrote:</div>"
            b"<blockquote><p>-\tspin_lock(&amp;l);</p><blockquote>deeper</blockquote></blockquote>"
            b"<p>Keep the   lock &mdash; please.</p><script>alert(1)</script></body></html>\n")
    raw = mail(html, extra=b"Content-Type: text/html; charset=utf-8\n")
    assert parse_mail(raw).body == (
        "On Fri, A wrote:\n> - spin_lock(&l);\n\n> > deeper\n\nKeep the lock \u2014 please.\n"
    )


def test_patch_attachments_follow_the_text() -> None:
    raw = mail(
        b"--XX\nContent-Type: text/plain\n\nSee attached.\n"
        b"--XX\nContent-Type: text/x-patch; name=a.patch\nContent-Disposition: attachment\n\n"
        b"diff --git a/a.c b/a.c\n"
        b"--XX\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=b.diff\n\n"
        b"diff --git a/b.c b/b.c\n"
        b"--XX\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=c.bin\n\n"
        b"not a patch\n"
        b"--XX--\n",
        extra=b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n',
    )
    assert parse_mail(raw).body == "See attached.\n\ndiff --git a/a.c b/a.c\n\ndiff --git a/b.c b/b.c"


def test_duplicates_collapse_to_one() -> None:
    first = mail(b"first copy\n")
    second = mail(b"second copy\n")
    t = build_thread([first, second, first])
    assert len(t.messages) == 1
    assert t.messages[0].body == "first copy\n"
    assert t.messages[0].raw == first


def test_no_headers_and_empty_input_raise_mail_error() -> None:
    with pytest.raises(MailError, match="no mail headers"):
        parse_mail(b"just some text\nwithout headers\n")
    with pytest.raises(MailError, match="no messages"):
        build_thread([], source="empty.mbox")


def test_mboxrd_unescaping() -> None:
    body = b">From the start\n>>From quoted escape\n> From a real quote\n"
    assert parse_mail(mail(body), mboxrd=True).body == "From the start\n>From quoted escape\n> From a real quote\n"
    # Already unescaped input: only git's pseudo-header line is undone.
    pseudo = b">From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n>From prose\n"
    assert parse_mail(mail(pseudo)).body == (
        "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n>From prose\n"
    )


def test_raw_eight_bit_headers_and_undeclared_body() -> None:
    text = "From: J\u00f6rg R\u00f6del <j@x>\nSubject: Re: [PATCH] caf\u00e9\nMessage-ID: <e@x>\n\nK\u00e4se\n"
    for encoding in ("utf-8", "latin-1"):
        m = parse_mail(text.encode(encoding))
        assert m.author.name == "J\u00f6rg R\u00f6del", encoding
        assert m.subject == "Re: [PATCH] caf\u00e9", encoding
        assert m.body == "K\u00e4se\n", encoding


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.text(max_size=60))
def test_any_bytes_after_headers_parse(body: bytes, subject: str) -> None:
    header = subject.replace("\r", " ").replace("\n", " ").encode("utf-8", "surrogateescape")
    m = parse_mail(b"From: a@b\nSubject: " + header + b"\nDate: " + body[:20] + b"\n\n" + body)
    assert "\r" not in m.body
    assert m.date.tzinfo is not None
