"""An HTML-only mail body as the plain text a reader of it saw.

Kernel lists reject HTML, but replies reach archives and inboxes anyway; dropping them would lose
what a reviewer said. Block elements become line breaks, ``<blockquote>`` becomes ``> `` quoting
(so the quote is attributed like any other), scripts and styles are dropped, entities decoded.
Nothing is run or fetched: this is text extraction only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCK = frozenset({"p", "div", "br", "li", "tr", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
                    "table", "ul", "ol", "hr", "blockquote"})
_PARAGRAPH = frozenset({"p", "blockquote", "pre", "table", "ul", "ol"})
_SKIP = frozenset({"script", "style", "head", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote = 0
        self.skip = 0
        self.pre = 0

    def _newline(self) -> None:
        if self.lines[-1].strip(" >"):
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self._newline()
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self._newline()
            if tag in _PARAGRAPH:
                self.lines.append("")  # a blank line after it, as a mail reader shows it
            self.quote = max(0, self.quote - (tag == "blockquote"))
            self.pre = max(0, self.pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = data if self.pre else re.sub(r"\s+", " ", data)
        for k, piece in enumerate(text.split("\n")):
            if k:
                self.lines.append("")
            if not self.lines[-1] and piece.strip():
                self.lines[-1] = "> " * self.quote
                piece = piece if self.pre else piece.lstrip()
            self.lines[-1] += piece


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in parser.lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
