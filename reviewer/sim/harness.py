"""A generic harness for a changed function no scenario names: its verdicts say they come from it.

When a revision changes a function that takes a ``struct page *`` and no scenario exercises it,
the function runs on the configured allocations twice: alone, and against a concurrent holder
that drops the reference it took (``get_page`` before the threads, ``put_page`` in its thread).
Its arguments are derived from its signature: the first ``struct page *`` is the allocation's
first page, an integer ``order`` the allocation order, ``nr``/``nr_pages`` ``1 << order``, a
``gfp_t`` the allocation's flags, a ``struct zone *`` the page's zone (``page_zone(page)``), a
``pfn`` the page's pfn, a ``migratetype`` its pageblock's, a ``struct lruvec *`` the page's
lruvec, an ``fpi_t`` FPI_NONE, ``refs`` (a count of references) 1, the one the caller holds; an
integer ``zone`` / ``nid`` the page's zone number / node.

Further rules, each from the function's own code or the buddy allocator's arithmetic, and each
said in the verdict (the scenario's description names the value and why):

* a second ``struct page *`` named ``buddy`` is the page's buddy at the allocation order, and an
  integer ``buddy_pfn`` its pfn (``__find_buddy_pfn``); ``end_page`` is the allocation's last page;
* an integer the body masks with a constant (``flags & FOLL_PIN``) is a flag word: one variant
  per flag the body tests, with the flags of the ``if (flags & X)`` branches that test sits in
  (``FOLL_PIN | FOLL_LONGTERM``), in source order. Not "no flag set", nor a flag without the
  flags that lead to its test: functions refuse those with warnings no real caller meets
  (try_grab_compound_head()'s ``WARN_ON_ONCE(1)``). An
  integer it only compares with constants (``start_type == MIGRATE_MOVABLE``) takes each of
  those values. Variants change one parameter at a time from every parameter's first value, at
  most three per function in all;
* a ``bool`` the body tests before any other use runs false, then true;
* any other pointer the body tests for NULL before any use (``if (!capc || ...)``), or never
  uses (a configured-out stub's), is NULL;
* a ``const char *`` is a message: the text "generic harness".

Any other parameter has no value the harness could defend, so the function is "not analysed:
no value for parameter X". The harness does not know which references the function owns, so a
page still allocated at the end is not judged a leak.

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
from ._harness_body import FunctionBody
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


_MAX_VARIANTS = 3
"""At most this many argument variants (flag values, both values of a bool) per function."""


@dataclass(frozen=True, slots=True)
class _Choice:
    """One value of a parameter: the C expression the snippet passes, and why (said in the
    verdict when the value is not the obvious one)."""

    expr: str
    why: str = ""


def generic_scenarios(image: FunctionImage) -> HarnessPlan | None:
    """The generic scenarios for ``image``; None if it takes no ``struct page *``."""
    params = _parameters(image)
    if params is None and not image.complete:
        return HarnessPlan(image.name, (), f"{GENERIC}: {image.name}() is not wholly inside the hunks "
                                           f"at {image.path}:{image.start_line}, so its parameters are unknown")
    if params is None or not any(p[1] == "page" for p in params):
        return None
    body = FunctionBody(image.source)
    choices: list[list[_Choice]] = []
    page_taken = False
    for name, kind, type_text in params:
        options = _choices(name, kind, type_text, body, page_taken)
        page_taken = page_taken or kind == "page"
        if not options:
            return HarnessPlan(image.name, (), f"{GENERIC}: no value for parameter {name or type_text} "
                                                f"of {image.name}()")
        choices.append(options)
    variants = _variants(choices)
    scenarios: list[Scenario] = []
    for variant in variants:
        call = f"{image.name}({', '.join(c.expr for c in variant)});"
        why = "; ".join(c.why for c in variant if c.why)
        label = f" [{', '.join(c.expr for c, opts in zip(variant, choices, strict=True) if len(opts) > 1)}]" \
            if len(variants) > 1 else ""
        said = f" ({why})" if why else ""
        scenarios.append(_scenario(f"{GENERIC}: {image.name}{label}", image.name, None, (("caller", call),),
                                   f"{GENERIC}: {call.rstrip(';')}{said} on the allocation, alone; leaks not judged"))
        scenarios.append(_scenario(f"{GENERIC}: {image.name}{label} vs put_page", image.name, "get_page(page);",
                                   (("caller", call), ("holder", "put_page(page);")),
                                   f"{GENERIC}: {call.rstrip(';')}{said} on the allocation against a holder's "
                                   "put_page(); leaks not judged"))
    return HarnessPlan(image.name, tuple(scenarios))


def _choices(name: str, kind: str, type_text: str, body: FunctionBody, page_taken: bool) -> list[_Choice]:
    """The values the harness can defend for one parameter (the module docstring's rules)."""
    if kind == "page" and not page_taken:
        return [_Choice("page")]
    if kind == "page" and name == "buddy":
        return [_Choice(f"page + ({_BUDDY_PFN} - page_to_pfn(page))",
                        "buddy: the page's buddy at the allocation order, a frame in use by another owner")]
    if kind == "page" and name in ("end_page", "end"):
        return [_Choice("page + (1 << order) - 1", f"{name}: the allocation's last page")]
    if kind == "int" and name == "order":
        return [_Choice("order")]
    if kind == "int" and name in _NR_NAMES:
        return [_Choice("1 << order")]
    if kind == "int" and name in _REFS_NAMES:
        return [_Choice("1")]
    if "gfp_t" in type_text.split():
        return [_Choice("gfp")]
    if kind == "zone":
        return [_Choice("page_zone(page)")]
    if kind == "lruvec":
        return [_Choice("mem_cgroup_page_lruvec(page, page_pgdat(page))")]
    if type_text == "fpi_t":
        return [_Choice("FPI_NONE")]
    if kind == "int" and name == "pfn":
        return [_Choice("page_to_pfn(page)")]
    if kind == "int" and name == "buddy_pfn":
        return [_Choice(_BUDDY_PFN, "buddy_pfn: the pfn of the page's buddy at the allocation order")]
    if kind == "int" and name in ("migratetype", "mt"):
        return [_Choice("get_pageblock_migratetype(page)")]
    if kind == "int" and name == "zone":
        return [_Choice("page_zonenum(page)", "zone: the page's zone number")]
    if kind == "int" and name == "nid":
        return [_Choice("page_to_nid(page)", "nid: the page's node")]
    if kind == "int" and (flags := body.flag_values(name)):
        # a flag word: each flag the function's own code tests. Not "none set": a function often
        # refuses that (try_grab_compound_head()'s WARN_ON_ONCE), and a warning the harness
        # provoked with a value no caller passes would be the harness's finding, not the code's.
        return [_Choice(c, f"{name}={c}: {'flags' if '|' in c else 'a flag'} the function tests")
                for c in flags]
    if kind == "int" and (compared := body.tested_constants(name)):
        # compared, never masked: the values the function's own code names
        return [_Choice(c, f"{name}={c}: a value the function compares it with") for c in compared]
    if kind == "bool" and body.tests_before_use(name):
        return [_Choice("false", f"{name}=false"), _Choice("true", f"{name}=true: both values it tests")]
    if kind == "pointer" and body.tests_before_use(name):
        return [_Choice("NULL", f"{name}=NULL: the function checks it for NULL before any use")]
    if kind == "pointer" and not body.uses(name):
        return [_Choice("NULL", f"{name}=NULL: the function never uses it")]
    if kind == "string":
        return [_Choice(f'"{GENERIC}"', f"{name}: a message, any text")]
    return []


def _variants(choices: list[list[_Choice]]) -> list[tuple[_Choice, ...]]:
    """Every parameter's first value, then one parameter's other values at a time (so each
    parameter that has several gets its turn), at most _MAX_VARIANTS in all."""
    first = tuple(options[0] for options in choices)
    out = [first]
    for i, options in enumerate(choices):
        out.extend((*first[:i], other, *first[i + 1:]) for other in options[1:])
    return out[:_MAX_VARIANTS]


_BUDDY_PFN = "(page_to_pfn(page) ^ (1 << order))"
"""__find_buddy_pfn(pfn, order) as mm/internal.h defines it."""


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
    if not pointer and not array and type_text == "bool":
        return name, "bool", type_text
    if pointer and not array and type_text in ("char", "const char") and node_text(d).count("*") == 1:
        return name, "string", type_text
    if pointer and not array:
        return name, "pointer", type_text
    return name, "other", type_text
