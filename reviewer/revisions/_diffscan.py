"""Find the unquoted diffs in a mail body, tolerant of what mail does to patches.

A diff here is what a reader would apply: ``diff --git`` / ``---`` / ``+++`` file headers (any of
them may be missing, as in a sketch that starts at ``+++ b/path``) and ``@@`` hunks whose lines
are counted by the hunk header. Quoted lines (``>`` at any depth) are never part of a diff.
Mail damage is repaired where it is unambiguous: an empty line inside a hunk is an empty context
line, a line that lost its leading space but starts with a tab is context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FileDiff", "Hunk", "scan_diffs"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_DIFF_GIT = "diff --git "
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_NEEDS_QUOTES = re.compile(r'[\x00-\x1f"\\\x7f]')
_EXTENDED = (
    "index ",
    "old mode ",
    "new mode ",
    "new file mode ",
    "deleted file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
)
_INDEX = re.compile(r"^index ([0-9a-f]+)\.\.([0-9a-f]+)")


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    """Text after the closing ``@@`` (usually the enclosing function's signature)."""
    header: str
    """The ``@@`` line as posted."""
    lines: tuple[str, ...]
    """Body lines, repaired: each starts with ``' '``, ``'-'``, ``'+'`` or ``'\\\\'``."""
    complete: bool
    """False when the mail ended the hunk before its counts were met."""

    @property
    def old_lines(self) -> list[tuple[int, str]]:
        """(1-based line number, text) of the pre-image lines, as the header numbers them."""
        out: list[tuple[int, str]] = []
        n = self.old_start
        for line in self.lines:
            if line[:1] in (" ", "-"):
                out.append((n, line[1:]))
                n += 1
        return out

    @property
    def new_lines(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        n = self.new_start
        for line in self.lines:
            if line[:1] in (" ", "+"):
                out.append((n, line[1:]))
                n += 1
        return out

    def changed_old(self) -> list[int]:
        """Pre-image line numbers the hunk removes (or, for a pure insertion, the line after)."""
        out: list[int] = []
        n = self.old_start
        for line in self.lines:
            if line.startswith("-"):
                out.append(n)
            if line.startswith("+") and not out:
                out.append(max(n, 1))
            if line[:1] in (" ", "-"):
                n += 1
        return out

    def changed_new(self) -> list[int]:
        out: list[int] = []
        n = self.new_start
        for line in self.lines:
            if line.startswith("+"):
                out.append(n)
            if line.startswith("-") and not out:
                out.append(max(n, 1))
            if line[:1] in (" ", "+"):
                n += 1
        return out


@dataclass(frozen=True, slots=True)
class FileDiff:
    old_path: str | None
    """None for a new file (``/dev/null``)."""
    new_path: str | None
    """None for a deleted file."""
    extended: tuple[str, ...]
    """``index``/mode/rename lines as posted."""
    hunks: tuple[Hunk, ...]
    first_line: int
    """0-based body line of the file's first header line."""
    end_line: int
    """0-based body line after the file's last hunk line."""
    posted: tuple[str, ...]
    """The body lines from first_line to end_line, unrepaired."""
    synthesised_headers: bool = False
    """True when ``---``/``+++`` lines were missing and are made up in :meth:`patch_lines`."""

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def index(self) -> tuple[str, str] | None:
        for line in self.extended:
            m = _INDEX.match(line)
            if m:
                return m.group(1), m.group(2)
        return None

    def patch_lines(self) -> list[str]:
        """The file's diff repaired into a form ``git apply`` and unidiff accept."""
        old = _header_name("a/", self.old_path)
        new = _header_name("b/", self.new_path)
        # Two different names are told apart by their spaces only when quoted.
        renamed = bool(self.old_path and self.new_path and self.old_path != self.new_path)
        out = [f"diff --git {_header_name('a/', self.old_path or self.new_path, quote=renamed)} "
               f"{_header_name('b/', self.new_path or self.old_path, quote=renamed)}"]
        out += self.extended
        out += [f"--- {old}", f"+++ {new}"]
        for hunk in self.hunks:
            out.append(hunk.header)
            out += hunk.lines
        return out


def _header_name(prefix: str, path: str | None, *, quote: bool = False) -> str:
    """A name for a diff header: C-quoted when it must be (git apply reads a name with spaces
    from the ``diff --git`` line; the ``---``/``+++`` lines need no trailing tab then)."""
    return quote_path(prefix + path, always=quote and " " in path) if path else "/dev/null"


def _is_quoted(line: str) -> bool:
    return line.startswith(">") and not line.startswith(">From ")


def _unquote(text: str) -> tuple[str, str] | None:
    """A C-quoted name at the start of ``text`` (as git writes unusual paths) and what follows."""
    out = bytearray()
    i = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return out.decode("utf-8", "surrogateescape"), text[i + 1 :]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "0123" and re.match(r"[0-7]{3}", text[i + 1 : i + 4]):
                out.append(int(text[i + 1 : i + 4], 8))
                i += 4
                continue
            if nxt in _C_ESCAPES:
                out.append(_C_ESCAPES[nxt])
                i += 2
                continue
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return None


def quote_path(path: str, *, always: bool = False) -> str:
    """``path`` as git writes it in a header: C-quoted when it holds control characters, quotes
    or backslashes (spaces need no quotes), or ``always``."""
    if not always and not _NEEDS_QUOTES.search(path):
        return path
    inverse = {v: k for k, v in _C_ESCAPES.items()}
    body = "".join(
        "\\" + inverse[b] if b in inverse else f"\\{b:03o}" if b < 32 or b == 127 else chr(b)
        for b in path.encode("utf-8", "surrogateescape")
    )
    return f'"{body}"'


def _drop_prefix(name: str) -> str | None:
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def _plain_name(text: str) -> str:
    """A name without a/ b/ prefix (``rename from``): quotes undone."""
    unquoted = _unquote(text) if text.startswith('"') else None
    return unquoted[0] if unquoted else text


def _strip_prefix(path: str) -> str | None:
    """The path of a ``---``/``+++`` name: quotes undone, trailing tab (and date) and a/ b/ gone."""
    path = path.strip()
    unquoted = _unquote(path) if path.startswith('"') else None
    return _drop_prefix(unquoted[0] if unquoted else path.split("\t")[0].strip())


def _git_header_paths(rest: str) -> tuple[str | None, str | None] | None:
    """The two names of ``diff --git <a> <b>`` as git apply reads them: C-quoted names, or two
    unquoted names that are the same path once their a/ b/ prefix is dropped (so a space can be
    inside them); else, for a rename, the names either side of the first space."""
    first = _unquote(rest) if rest.startswith('"') else None
    if first is not None:
        tail = first[1].lstrip(" ")
        second = _unquote(tail) if tail.startswith('"') else (tail, "")
        return _drop_prefix(first[0]), _drop_prefix(second[0]) if second and second[0] else None
    at = rest.find(' "')
    if at > 0 and (quoted := _unquote(rest[at + 1 :])) is not None:
        return _drop_prefix(rest[:at]), _drop_prefix(quoted[0])
    for k, c in enumerate(rest):
        if c == " ":
            a, b = rest[:k], rest[k + 1 :]
            if "/" in a and a.partition("/")[2] == b.partition("/")[2]:
                return _drop_prefix(a), _drop_prefix(b)
    a, _, b = rest.partition(" ")
    return (_drop_prefix(a), _drop_prefix(b.split(" ")[0])) if b else None


def _read_hunk(lines: list[str], i: int) -> tuple[Hunk, int] | None:
    m = _HUNK.match(lines[i])
    if m is None:
        return None
    old_start, new_start = int(m.group(1)), int(m.group(3))
    old_left = int(m.group(2)) if m.group(2) is not None else 1
    new_left = int(m.group(4)) if m.group(4) is not None else 1
    header = lines[i]
    body: list[str] = []
    i += 1
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i]
        if line == "":
            line = " "  # mail dropped the space of an empty context line
        elif line.startswith("\t"):
            line = " " + line  # mail dropped the space before a tab-indented context line
        marker = line[0]
        if marker == " " and old_left > 0 and new_left > 0:
            old_left -= 1
            new_left -= 1
        elif marker == "-" and old_left > 0 and line != "-- ":  # "-- ": signature separator
            old_left -= 1
        elif marker == "+" and new_left > 0:
            new_left -= 1
        elif marker == "\\":
            pass
        else:
            break
        body.append(line)
        i += 1
    if i < len(lines) and lines[i].startswith("\\"):
        body.append(lines[i])
        i += 1
    hunk = Hunk(
        old_start=old_start,
        old_count=int(m.group(2)) if m.group(2) is not None else 1,
        new_start=new_start,
        new_count=int(m.group(4)) if m.group(4) is not None else 1,
        section=m.group(5).strip(),
        header=header,
        lines=tuple(body),
        complete=old_left <= 0 and new_left <= 0,
    )
    return hunk, i


def _file_header(lines: list[str], i: int) -> tuple[str | None, str | None, list[str], int] | None:
    """Parse file headers starting at ``lines[i]``: (old, new, extended, index of first hunk)."""
    n = len(lines)
    old: str | None = None
    new: str | None = None
    extended: list[str] = []
    renamed = False
    start = i
    names = _git_header_paths(lines[i][len(_DIFF_GIT) :]) if lines[i].startswith(_DIFF_GIT) else None
    if names is not None:
        old, new = names
        i += 1
        while i < n and lines[i].startswith(_EXTENDED):
            extended.append(lines[i])
            if lines[i].startswith("new file mode"):
                old = None
            elif lines[i].startswith("deleted file mode"):
                new = None
            elif lines[i].startswith(("rename from ", "copy from ")):
                old = _plain_name(lines[i].split(" ", 2)[2])  # git apply writes these names
                renamed = True
            elif lines[i].startswith(("rename to ", "copy to ")):
                new = _plain_name(lines[i].split(" ", 2)[2])
                renamed = True
            i += 1
    if i < n and lines[i].startswith("--- ") and i + 1 < n and lines[i + 1].startswith("+++ "):
        if not renamed:
            old = _strip_prefix(lines[i][4:])
            new = _strip_prefix(lines[i + 1][4:])
        i += 2
    elif i < n and lines[i].startswith("+++ ") and i + 1 < n and _HUNK.match(lines[i + 1]):
        new = _strip_prefix(lines[i][4:])
        old = new  # a sketch names only the new file: it modifies that file
        i += 1
    if i == start or (old is None and new is None):
        return None
    return old, new, extended, i


def scan_diffs(body_lines: list[str]) -> list[FileDiff]:
    """Every unquoted file diff in a body, in order."""
    files: list[FileDiff] = []
    i = 0
    n = len(body_lines)
    while i < n:
        line = body_lines[i]
        if _is_quoted(line) or not line.startswith(("diff --git ", "--- ", "+++ ", "@@ ")):
            i += 1
            continue
        start = i
        # A hunk with no file header names no file to apply to: not a diff on its own.
        header = None if line.startswith("@@") else _file_header(body_lines, i)
        if header is None:
            i += 1
            continue
        old, new, extended, i = header
        synthesised = not any(body_lines[k].startswith("--- ") for k in range(start, i))
        hunks: list[Hunk] = []
        while i < n:
            read = _read_hunk(body_lines, i)
            if read is None:
                break
            hunk, i = read
            hunks.append(hunk)
        if not hunks and not any(
            e.startswith(("rename ", "deleted file", "new file", "new mode")) for e in extended
        ):
            i = start + 1
            continue
        files.append(
            FileDiff(
                old_path=old,
                new_path=new,
                extended=tuple(extended),
                hunks=tuple(hunks),
                first_line=start,
                end_line=i,
                posted=tuple(body_lines[start:i]),
                synthesised_headers=synthesised,
            )
        )
    return files
