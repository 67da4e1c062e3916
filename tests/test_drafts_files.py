"""The file destinations: Maildir (tmp/ then cur/, flags D and S, crash-safe) and mbox (mboxrd,
locked, whole messages only). A writer killed with SIGKILL between tmp/ and cur/ leaves no
draft in cur/: the test stops a real writer process at that point and kills it.
"""

from __future__ import annotations

import mailbox
import signal
import subprocess
import sys
import textwrap
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from reviewer._errors import DraftError
from reviewer.drafts.maildir import save_to_maildir
from reviewer.drafts.mbox import mboxrd_escape, save_to_mbox
from reviewer.drafts.message import message_bytes, set_body

BODY = "From the top: a line mail readers would take for a separator.\n>From quoted\n>>From twice\nend\n"


def _draft(subject: str = "Re: [PATCH] mm: a change", body: str = BODY) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ann Reviewer <ann@example.org>"
    msg["To"] = "Pat Author <pat@example.org>"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.__hash__() & 0xffff}@example.org>"
    set_body(msg, body)
    return msg


def test_maildir_draft_is_in_cur_flagged_draft_and_seen(tmp_path: Path) -> None:
    box = tmp_path / "deep" / "Drafts"
    where = save_to_maildir(_draft(), box)
    assert where.parent == box / "cur" and where.name.endswith(":2,DS")
    md = mailbox.Maildir(box, create=False)
    (key,) = md.keys()
    assert md.get_message(key).get_flags() == "DS"
    assert md.get_bytes(key) == message_bytes(_draft())
    assert not any((box / "tmp").iterdir()) and not any((box / "new").iterdir())


_WRITER = textwrap.dedent("""
    import os, sys, time
    from email.message import EmailMessage
    from pathlib import Path
    from reviewer.drafts.maildir import save_to_maildir
    from reviewer.drafts.message import set_body

    stop_at, target = sys.argv[1], Path(sys.argv[2])

    def pause(real):
        def stopped(*args, **kwargs):
            if stop_at != "link" or "/cur/" in str(args[1]):
                sys.stdout.write("paused\\n")
                sys.stdout.flush()
                time.sleep(120)
            return real(*args, **kwargs)
        return stopped

    if stop_at == "link":  # between tmp/ and cur/
        os.link, os.rename = pause(os.link), pause(os.rename)
    else:  # the draft half-written into tmp/, not yet synced
        os.fsync = pause(os.fsync)
    msg = EmailMessage()
    msg["Subject"] = "Re: killed"
    set_body(msg, "x" * 100000 + "\\n")
    save_to_maildir(msg, target)
""")


@pytest.mark.parametrize("stop_at", ["link", "fsync"])
def test_writer_killed_before_cur_leaves_no_draft(tmp_path: Path, stop_at: str) -> None:
    box = tmp_path / "Drafts"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, stop_at, str(box)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        line = writer.stdout.readline()
        assert line == "paused\n", writer.stderr.read() if writer.stderr else ""
        assert len(list((box / "tmp").iterdir())) == 1  # the writer really is between the two
        assert list((box / "cur").iterdir()) == []
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert list((box / "cur").iterdir()) == [] and list((box / "new").iterdir()) == []
    assert mailbox.Maildir(box, create=False).keys() == []  # a mail client sees no draft
    # the next draft goes in whole, beside the dead writer's leftover in tmp/
    save_to_maildir(_draft(), box)
    md = mailbox.Maildir(box, create=False)
    assert [md.get_bytes(k) for k in md.iterkeys()] == [message_bytes(_draft())]


def test_unwritable_maildir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DraftError) as failed:
        save_to_maildir(_draft(), blocker / "Drafts")
    assert str(failed.value).startswith(f"{blocker / 'Drafts'}: cannot write the draft into this Maildir: ")


def test_mboxrd_escaping_reads_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "drafts.mbox"
    save_to_mbox(_draft("one"), path, sender="ann@example.org")
    where = save_to_mbox(_draft("two"), path, sender="ann@example.org")
    assert where == f"{path} (message 2)"
    raw = path.read_bytes()
    assert raw.startswith(b"From ann@example.org ")
    assert b"\n>From the top" in raw and b"\n>>From quoted" in raw and b"\n>>>From twice" in raw
    # an mboxrd reader strips one '>' from every >*From line: the body comes back exactly
    messages = raw.split(b"\nFrom ann@example.org ")
    assert len(messages) == 2
    for chunk in messages:
        body = chunk.split(b"\n\n", 1)[1]
        unescaped = b"\n".join(line[1:] if line.lstrip(b">").startswith(b"From ") and line.startswith(b">")
                               else line for line in body.split(b"\n"))
        assert unescaped.rstrip(b"\n") == BODY.rstrip("\n").encode()
    box = mailbox.mbox(path, create=False)
    assert [str(box.get_message(k)["Subject"]) for k in box.iterkeys()] == ["one", "two"]


def test_mboxrd_escape_adds_one_level() -> None:
    assert mboxrd_escape(b"a\n>From x\n>>From y\nFrom z\n From w\n") == b"a\n>>From x\n>>>From y\nFrom z\n From w\n"


_HOLDER = textwrap.dedent("""
    import mailbox, sys
    box = mailbox.mbox(sys.argv[1], create=True)
    box.lock()  # fcntl and dot-lock, as mutt takes them
    print("locked", flush=True)
    sys.stdin.readline()
    box.unlock()
    box.close()
""")


def test_mbox_append_waits_for_another_programs_lock(tmp_path: Path) -> None:
    path = tmp_path / "drafts.mbox"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "locked\n"
    done = threading.Event()
    worker = threading.Thread(target=lambda: (save_to_mbox(_draft("waited"), path, sender="a@b.org"), done.set()))
    worker.start()
    time.sleep(0.5)
    assert not done.is_set()  # waiting for the lock, nothing written
    assert path.read_bytes() == b""
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=10) == 0
    worker.join(timeout=10)
    assert done.is_set()
    box = mailbox.mbox(path, create=False)
    assert [str(box.get_message(k)["Subject"]) for k in box.iterkeys()] == ["waited"]


_FULL_DISK = textwrap.dedent("""
    import os, resource, signal, sys
    from email.message import EmailMessage
    from pathlib import Path
    from reviewer._errors import DraftError
    from reviewer.drafts.mbox import save_to_mbox
    from reviewer.drafts.message import set_body

    path = Path(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 2000, resource.RLIM_INFINITY))
    msg = EmailMessage()
    msg["Subject"] = "too big"
    set_body(msg, "y" * 50000 + "\\n")
    try:
        save_to_mbox(msg, path, sender="a@b.org")
    except DraftError as exc:
        print(exc)
""")


def test_failed_mbox_append_is_cut_off(tmp_path: Path) -> None:
    """The file may not grow past its limit (a full disk, for this process): the half-written
    draft is cut off again and the mbox holds the messages it held."""
    path = tmp_path / "drafts.mbox"
    save_to_mbox(_draft("kept"), path, sender="ann@example.org")
    before = path.read_bytes()
    done = subprocess.run([sys.executable, "-c", _FULL_DISK, str(path)], capture_output=True, text=True,
                          check=True)
    assert done.stdout == f"{path}: cannot append the draft: File too large\n", done.stderr
    assert path.read_bytes() == before
    box = mailbox.mbox(path, create=False)
    assert [str(box.get_message(k)["Subject"]) for k in box.iterkeys()] == ["kept"]
