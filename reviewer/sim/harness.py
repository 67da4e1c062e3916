"""A generic harness for a changed function no scenario names: its verdicts say they come from it.

When a revision changes a function that takes a ``struct page *`` and no scenario exercises it,
the function runs on the configured allocations twice: alone, and against a concurrent holder
that drops the reference it took (``get_page`` before the threads, ``put_page`` in its thread).
Its arguments are derived from its signature: the first ``struct page *`` is the allocation's
first page, an integer ``order`` the allocation order, ``nr``/``nr_pages`` ``1 << order``, a
``gfp_t`` the allocation's flags, a ``struct zone *`` the page's zone (``page_zone(page)``), a
``pfn`` the page's pfn, a ``migratetype`` its pageblock's, a ``struct lruvec *`` the page's
lruvec, an ``fpi_t`` FPI_NONE, ``refs`` (a count of references) 1, the one the caller holds. Any other parameter has no value the harness could defend, so
the function is "not analysed: no value for parameter X". The harness does not know which
references the function owns, so a page still allocated at the end is not judged a leak.

The allocation starts a naturally aligned block of four times its size whose other frames are
in use by other owners (:class:`~.model.state.KernelState`): buddy arithmetic reaches modelled
frames, and finds no free buddy to merge with.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from ..cparse import parse_c
from ..model import FunctionImage
from ._cexpr import named_children, node_text
from ._cstmt import declarator_name
from .scenario import Scenario, Snippet, snippet

__all__ = ["GENERIC", "HarnessPlan", "generic_scenarios"]

GENERIC = "generic harness"
_NR_NAMES = ("nr", "nr_pages", "numpages", "nr_page")
_REFS_NAMES = ("refs", "nr_refs")
"""A count of references the function takes or drops: the one the caller holds."""


@dataclass(frozen=True, slots=True)
class HarnessPlan:
    function: str
    scenarios: tuple[Scenario, ...]
    """Empty when the function cannot be called: ``problem`` says why."""
    problem: str = ""


def generic_scenarios(image: FunctionImage) -> HarnessPlan | None:
    """The generic scenarios for ``image``; None if it takes no ``struct page *``."""
    params = _parameters(image)
    if params is None and not image.complete:
        return HarnessPlan(image.name, (), f"{GENERIC}: {image.name}() is not wholly inside the hunks "
                                           f"at {image.path}:{image.start_line}, so its parameters are unknown")
    if params is None or not any(p[1] == "page" for p in params):
        return None
    args: list[str] = []
    page_taken = False
    for name, kind, type_text in params:
        if kind == "page" and not page_taken:
            args.append("page")
            page_taken = True
        elif kind == "int" and name == "order":
            args.append("order")
        elif kind == "int" and name in _NR_NAMES:
            args.append("1 << order")
        elif kind == "int" and name in _REFS_NAMES:
            args.append("1")
        elif "gfp_t" in type_text.split():
            args.append("gfp")
        elif kind == "zone":
            args.append("page_zone(page)")
        elif kind == "lruvec":
            args.append("mem_cgroup_page_lruvec(page, page_pgdat(page))")
        elif type_text == "fpi_t":
            args.append("FPI_NONE")
        elif kind == "int" and name == "pfn":
            args.append("page_to_pfn(page)")
        elif kind == "int" and name in ("migratetype", "mt"):
            args.append("get_pageblock_migratetype(page)")
        else:
            return HarnessPlan(image.name, (), f"{GENERIC}: no value for parameter {name or type_text} "
                                                f"of {image.name}()")
    call = f"{image.name}({', '.join(args)});"
    alone = _scenario(f"{GENERIC}: {image.name}", image.name, None, (("caller", call),),
                      f"{GENERIC}: {call.rstrip(';')} on the allocation, alone; leaks not judged")
    raced = _scenario(f"{GENERIC}: {image.name} vs put_page", image.name, "get_page(page);",
                      (("caller", call), ("holder", "put_page(page);")),
                      f"{GENERIC}: {call.rstrip(';')} on the allocation against a holder's put_page(); "
                      "leaks not judged")
    return HarnessPlan(image.name, (alone, raced))


def _scenario(name: str, function: str, setup_code: str | None, threads: tuple[tuple[str, str], ...],
              note: str) -> Scenario:
    cite = f"(generic harness for {function})"
    text = "\n".join([setup_code or "", *(code for _, code in threads)])
    setup: Snippet | None = None
    if setup_code is not None:
        setup, _ = snippet({"code": setup_code}, "setup", text, 0, Path(cite), cite)
    made = tuple(snippet({"code": code}, tname, text, 0, Path(cite), cite)[0] for tname, code in threads)
    return Scenario(name=name, description=note, exercises=(function,), setup=setup, threads=made,
                    file=cite, digest=hashlib.sha256(f"{name}\0{text}".encode()).hexdigest(),
                    judge_leaks=False, note=note)


def _parameters(image: FunctionImage) -> list[tuple[str, str, str]] | None:
    """(name, kind, type text) per parameter; kind is page, int, or other. Only the signature is
    parsed (an image cut from hunks may hold little more)."""
    head, brace, _ = image.source.partition("{")
    tree = parse_c(head + "{}" if brace else image.source)
    for node in tree.root_node.named_children:
        if node.type != "function_definition":
            continue
        decl = node.child_by_field_name("declarator")
        while decl is not None and decl.type != "function_declarator":
            decl = decl.child_by_field_name("declarator")
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        if plist is None:
            return None
        out: list[tuple[str, str, str]] = []
        for p in named_children(plist):
            if p.type != "parameter_declaration":
                return None
            out.append(_parameter(p))
        return [p for p in out if p[2] != "void" or p[0]]
    return None


def _parameter(p: tree_sitter.Node) -> tuple[str, str, str]:
    type_text = " ".join(node_text(p.child_by_field_name("type")).split())
    d = p.child_by_field_name("declarator")
    if d is None:
        return "", "other", type_text
    name, pointer, array = declarator_name(d)
    if pointer and not array and re.fullmatch(r"(const )?struct page", type_text) and node_text(d).count("*") == 1:
        return name, "page", type_text
    if pointer and not array and type_text in ("struct zone", "struct lruvec"):
        return name, type_text.split()[1], type_text
    if not pointer and not array and re.fullmatch(r"(const )?(unsigned )?(int|long|unsigned)", type_text):
        return name, "int", type_text
    return name, "other", type_text
