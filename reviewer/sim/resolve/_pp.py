"""pcpp, the C preprocessor, for the two jobs the simulator has for one: file-level conditionals
against ``[kconfig]`` (and the function families macros generate), and one macro use at a time.

Includes are not followed: each file is processed alone (so its result can be cached by blob),
and ``#define`` lines stay in the output for the symbol index. A ``CONFIG_`` symbol the kconfig
map lacks is unset; a ``defined(X)`` of another unknown macro is false (an include guard, a
``__GENKSYMS__``); an ``#if`` on another unknown value is left in place for the index to judge.
Kernel annotations that carry no semantics for the model (``__force``, ``__must_check``, ...)
expand to nothing, so tree-sitter sees plain C.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from pcpp import Action, OutputDirective, Preprocessor  # type: ignore[import-untyped]

__all__ = ["ANNOTATIONS", "INTERPRETED_MACROS", "TYPE_MACRO_NAMES", "expand_call", "preprocess_file",
           "strip_annotations"]

ANNOTATIONS = (
    "__force", "__bitwise", "__rcu", "__user", "__iomem", "__percpu", "__must_check",
    "__maybe_unused", "__always_unused", "__init", "__meminit", "__ref", "__refdata", "__initdata",
    "notrace", "__cold", "__hot", "__read_mostly", "__ro_after_init", "__latent_entropy",
    "__attribute_const__", "__pure", "__noreturn", "noinline", "__noinline", "__visible",
    "__no_sanitize_address", "__no_kcsan", "noinstr", "__weak", "__sched", "__kprobes",
    "__always_inline=inline", "__cacheline_aligned", "__cacheline_aligned_in_smp",
    "__init_memblock", "__meminitdata", "__initconst", "__exit", "asmlinkage", "__nocfi",
)
"""Object-like annotation macros defined before every file (``NAME`` = empty, ``NAME=text``)."""
_FN_ANNOTATIONS = ("__section(x)", "__aligned(x)", "__printf(a, b)", "__scanf(a, b)",
                   "__malloc", "__alloc_size(x)", "__must_hold(x)", "__acquires(x)", "__releases(x)")

INTERPRETED_MACROS = frozenset({
    "likely", "unlikely", "READ_ONCE", "WRITE_ONCE", "data_race", "BUG_ON", "BUG", "WARN_ON",
    "WARN_ON_ONCE", "WARN", "WARN_ONCE", "VM_BUG_ON", "VM_BUG_ON_PAGE", "VM_BUG_ON_VMA",
    "VM_BUG_ON_MM", "VM_WARN_ON", "VM_WARN_ON_ONCE", "VM_WARN_ON_PAGE", "VM_WARN_ON_ONCE_PAGE",
    "VM_WARN", "VM_WARN_ONCE", "VM_BUG_ON_PGFLAGS", "BUILD_BUG_ON", "BUILD_BUG_ON_INVALID",
    "smp_store_release", "smp_load_acquire", "barrier", "smp_mb", "smp_rmb", "smp_wmb",
    "static_key_enabled", "static_branch_likely", "static_branch_unlikely", "static_key_false",
    "static_key_true", "prefetch", "prefetchw", "__verify_pcpu_ptr", "printk", "pr_emerg", "pr_alert",
    "pr_crit", "pr_err", "pr_warn", "pr_warn_once", "pr_notice", "pr_info", "pr_cont", "pr_debug",
    "pr_warn_ratelimited", "pr_err_ratelimited", "pr_info_ratelimited", "printk_ratelimited",
    "printk_deferred", "pr_devel", "kmap_atomic", "kunmap_atomic", "kmap", "kunmap", "xchg", "cmpxchg", "try_cmpxchg", "xchg_relaxed", "cmpxchg_relaxed",
})
"""Macros the interpreter implements itself (:mod:`reviewer.sim.primitives`): their definitions
are never expanded, so an assertion keeps its condition's text and a READ_ONCE stays one load."""

_TYPE_MACROS = (
    "container_of(ptr, type, member) __container_of(ptr, #type, #member)",
    "list_entry(ptr, type, member) __container_of(ptr, #type, #member)",
    "list_first_entry(ptr, type, member) __container_of((ptr)->next, #type, #member)",
    "list_last_entry(ptr, type, member) __container_of((ptr)->prev, #type, #member)",
    "min_t(type, x, y) ((x) < (y) ? (x) : (y))",
    "typecheck(type, x) (1)",  # include/linux/typecheck.h: a compile-time check whose value is 1
    "max_t(type, x, y) ((x) > (y) ? (x) : (y))",
    "min(x, y) ((x) < (y) ? (x) : (y))",
    "max(x, y) ((x) > (y) ? (x) : (y))",
    "abs(x) ((x) < 0 ? -(x) : (x))",
)
"""Macros that take a type as an argument, which tree-sitter cannot parse as C: container_of
keeps the type as a string (the interpreter needs the member's name and the struct), min_t
and max_t compare without the conversion to ``type``."""

_ARCH = {"BITS_PER_LONG": "64", "__KERNEL__": "1", "__LITTLE_ENDIAN": "1234"}
"""x86-64 facts headers test with #if (the model's sizes assume it too)."""


class _FilePreprocessor(Preprocessor):  # type: ignore[misc]
    def __init__(self, kconfig: Mapping[str, bool | int | str]) -> None:
        super().__init__()
        self.line_directive = "#line"
        self.passthru_includes = None
        self.kconfig = kconfig
        for text in ANNOTATIONS:
            name, _, value = text.partition("=")
            self.define(f"{name} {value}")
        for text in _FN_ANNOTATIONS:
            self.define(f"{text}")
        for text in _TYPE_MACROS:
            self.define(text)
        for name, value in _ARCH.items():
            self.define(f"{name} {value}")
        self.define("IS_ENABLED(option) __IS_ENABLED_ ## option")
        self.define("IS_BUILTIN(option) __IS_ENABLED_ ## option")
        self.define("IS_REACHABLE(option) __IS_ENABLED_ ## option")
        for name, setting in kconfig.items():
            if setting is False or setting in ("", "n"):
                continue  # unset, as in a .config
            shown = str(setting) if isinstance(setting, int) and not isinstance(setting, bool) else "1"
            self.define(f"{name} {shown}")
            self.define(f"__IS_ENABLED_{name} 1")

    def on_include_not_found(self, is_malformed: bool, is_system_include: bool, curdir: str,
                             includepath: str) -> None:
        raise OutputDirective(Action.IgnoreAndPassThrough)

    def on_directive_handle(self, directive: object, toks: list[object], ifpassthru: bool,
                            precedingtoks: object) -> object:
        kind = getattr(directive, "value", "")
        if kind == "include":  # one file alone: never read another
            raise OutputDirective(Action.IgnoreAndPassThrough)
        if kind in ("error", "warning"):
            raise OutputDirective(Action.IgnoreAndRemove)
        if kind in ("define", "undef"):
            name = getattr(toks[0], "value", "") if toks else ""
            if ifpassthru or name in INTERPRETED_MACROS:
                # under an undecided #if, or a name the interpreter implements: kept as text only
                raise OutputDirective(Action.IgnoreAndPassThrough)
            super().on_directive_handle(directive, toks, ifpassthru, precedingtoks)
            return None  # executed, and kept in the output for the symbol index
        return super().on_directive_handle(directive, toks, ifpassthru, precedingtoks)

    def on_unknown_macro_in_defined_expr(self, tok: object) -> bool | None:
        return False

    def on_unknown_macro_in_expr(self, ident: object) -> int | None:
        name = str(getattr(ident, "value", ident))
        if name.startswith(("CONFIG_", "__IS_ENABLED_")):
            return 0
        return None

    def on_unknown_macro_function_in_expr(self, ident: object) -> object:
        return None

    def on_error(self, file: str, line: int, msg: str) -> None:
        self.return_code += 1  # recorded, not printed: an error leaves that region as it was

    def on_comment(self, tok: object) -> bool:
        return False


_ANNOTATION_WORDS = re.compile(r"\b(" + "|".join(re.escape(a.partition("=")[0]) for a in ANNOTATIONS) + r")\b")


TYPE_MACRO_NAMES = tuple(t.split("(", 1)[0] for t in _TYPE_MACROS)
_TYPE_FIRST = re.compile(r"\b(min_t|max_t)\(\s*([A-Za-z_][\w \t*]*?)\s*,")
_TYPE_SECOND = re.compile(r"\b(container_of|list_entry|list_first_entry|list_last_entry)\(([^;,()]*(?:\([^;()]*\))?[^;,()]*),"
                          r"\s*((?:struct|union)\s+\w+)\s*,")


def strip_annotations(text: str) -> str:
    """``text`` as tree-sitter can parse it, line for line, for source the preprocessor does not
    see (a revision's own functions): annotation macros blanked, and a type passed to a macro
    (``min_t(unsigned int, ...)``, ``list_first_entry(head, struct page, lru)``) quoted."""
    def blank(m: re.Match[str]) -> str:
        word = m.group(1)
        return "inline".ljust(len(word)) if word == "__always_inline" else " " * len(word)

    text = _ANNOTATION_WORDS.sub(blank, text)
    text = _TYPE_FIRST.sub(lambda m: f'{m.group(1)}("{m.group(2)}",', text)
    return _TYPE_SECOND.sub(lambda m: f'{m.group(1)}({m.group(2)}, "{m.group(3)}",', text)


def preprocess_file(text: str, path: str, kconfig: Mapping[str, bool | int | str]) -> str:
    """``text`` with conditionals decided and in-file macros expanded, line for line.

    pcpp drops lines and marks the gaps with ``#line``; they are put back at their original
    line numbers (an expansion that spans lines lands on its first), so what the index cites
    is where the code is in the file.
    """
    pp = _FilePreprocessor(kconfig)
    pp.passthru_defines = True  # keep #define lines: the index reads macros from them
    pp.parse(text, path)
    out = io.StringIO()
    pp.write(out)
    total = text.count("\n") + 1
    lines = [""] * total
    current = 1
    for line in out.getvalue().split("\n"):
        if line.startswith("#line "):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                current = int(parts[1])
                continue
        if 1 <= current <= total:
            lines[current - 1] = f"{lines[current - 1]} {line}" if lines[current - 1] else line
        elif line:
            lines[-1] = f"{lines[-1]} {line}"
        current += 1
    return "\n".join(lines)


def expand_call(definition: str, use: str) -> str:
    """The text of one macro use: ``definition`` is ``NAME(params) body`` (or ``NAME body``)."""
    pp = _FilePreprocessor({})
    pp.line_directive = None  # type: ignore[assignment]
    if definition.split("(", 1)[0].split()[0] not in TYPE_MACRO_NAMES:  # ours take a quoted type
        pp.define(definition)
    pp.parse(use + "\n", "<macro>")
    out = io.StringIO()
    pp.write(out)
    return " ".join(out.getvalue().split())
