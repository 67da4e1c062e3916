"""The C interpreter: expressions, control flow, preprocessor, calls, steps and honest failures."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.model import FunctionImage
from reviewer.sim._errors import NotAnalysed
from reviewer.sim.interp import Program
from reviewer.sim.model.put import allocate
from reviewer.sim.model.state import KMEM, MEMCG_M, Cpu, KernelState, ModelOptions, PagePtr

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_NR": 3}


class Tree:
    """A SourceLookup over C functions given as text."""

    def __init__(self, **sources: str) -> None:
        self.sources = sources

    def lookup(self, name: str) -> FunctionImage | None:
        src = self.sources.get(name)
        return None if src is None else FunctionImage(name, "lib/x.c", 100, 100 + src.count("\n"), src)


def run_c(source: str, *args: Any, name: str = "f", order: int = 2, kmem: bool = False,
          kconfig: dict[str, bool | int | str] | None = None, lookup: Tree | None = None,
          start_line: int = 10) -> tuple[Any, int, KernelState, Cpu]:
    image = FunctionImage(name, "mm/x.c", start_line, start_line + source.count("\n"), source)
    program = Program({name: image}, kconfig=kconfig or KCONFIG, lookup=lookup, debug_vm=False)
    st = KernelState.empty(1 << order, ModelOptions())
    allocate(st, order, compound=False, kmem=kmem)
    cx = Cpu(0, "t", st)
    cx.dispatch, cx.layout = program.function, program.struct_layout
    gen = program.function(name)(cx, list(args))
    steps = 0
    try:
        while True:
            next(gen)
            steps += 1
    except StopIteration as stop:
        return stop.value, steps, st, cx


def test_arithmetic_shifts_and_locals_take_no_steps() -> None:
    src = """int f(int a, unsigned int b)
{
	int x = a * 3 + (1 << b);
	int y = x / 2 - x % 3;
	y += 7; y <<= 1; y >>= 1;
	return -y + ~0 + !0;
}
"""
    value, steps, _, _ = run_c(src, 5, 2)
    x = 5 * 3 + (1 << 2)
    y = ((x // 2 - x % 3) + 7)
    assert value == -y - 1 + 1 and steps == 0


def test_c_division_truncates_toward_zero() -> None:
    value, _, _, _ = run_c("int f(int a)\n{\n\treturn a / 2 * 10 + a % 2;\n}\n", -7)
    assert value == -3 * 10 + -1


def test_pre_and_post_increment_and_unsigned_wrap() -> None:
    src = """unsigned int f(unsigned int order)
{
	int n = 0;
	while (order-- > 0)
		n++;
	return order + n * 0 + (++n) * 0;
}
"""
    value, _, _, _ = run_c(src, 3)
    assert value == 0xFFFFFFFF  # the loop leaves order at UINT_MAX


def test_for_do_break_continue() -> None:
    src = """int f(int n)
{
	int s = 0;
	int i;
	for (i = 0; i < n; i++) {
		if (i == 2)
			continue;
		if (i == 5)
			break;
		s += i;
	}
	do {
		s = s * 10;
	} while (0);
	return s;
}
"""
    assert run_c(src, 9)[0] == (0 + 1 + 3 + 4) * 10


def test_short_circuit_skips_the_shared_access() -> None:
    """`0 && PageHead(page)` never reads the page: no step is taken."""
    src = "bool f(struct page *page)\n{\n\treturn 0 && PageHead(page);\n}\n"
    value, steps, _, _ = run_c(src, PagePtr(0))
    assert value == 0 and steps == 0
    src2 = "bool f(struct page *page)\n{\n\treturn 1 || PageHead(page);\n}\n"
    assert run_c(src2, PagePtr(0))[:2] == (1, 0)


def test_pointer_arithmetic_and_field_access_are_steps() -> None:
    """page + (1 << order) is frame arithmetic; each field load and store is one step."""
    src = """void f(struct page *page, unsigned int order)
{
	struct page *tail = page + (1 << order);
	tail->memcg_data = page->memcg_data;
	WRITE_ONCE(page[1].private, READ_ONCE(page->memcg_data) + 1);
}
"""
    _, steps, st, _ = run_c(src, PagePtr(0), 1, kmem=True)
    assert st.fields["memcg_data"][2] == MEMCG_M | KMEM
    assert st.fields["private"][1] == (MEMCG_M | KMEM) + 1
    assert steps == 4


def test_likely_unlikely_conditional_and_comma() -> None:
    src = "int f(int a)\n{\n\treturn likely(a) ? (a, 7) : unlikely(a + 1);\n}\n"
    assert run_c(src, 3)[0] == 7
    assert run_c(src, 0)[0] == 1


def test_ifdef_and_if_against_kconfig() -> None:
    src = """int f(void)
{
	int r = 0;
#ifdef CONFIG_MEMCG
	r += 1;
#else
	r += 100;
#endif
#ifndef CONFIG_DEBUG_VM
	r += 10;
#endif
#if defined(CONFIG_NUMA) || CONFIG_NR > 2
	r += 1000;
#elif 1
	r += 5000;
#endif
#if IS_ENABLED(CONFIG_DEBUG_VM)
	r += 9999999;
#endif
	return r;
}
"""
    assert run_c(src)[0] == 1011
    assert run_c(src, kconfig={"CONFIG_NR": 1})[0] == 5110


def test_calls_into_the_model_and_into_tree_source() -> None:
    """A callee the model lacks runs from its C source in the tree."""
    helper = "int double_it(int x)\n{\n\treturn x + x;\n}\n"
    src = "int f(struct page *page)\n{\n\treturn double_it(21) + PageHead(page);\n}\n"
    value, steps, _, cx = run_c(src, PagePtr(0), lookup=Tree(double_it=helper))
    assert value == 42 and steps == 1 and "double_it" in cx.called


def test_unknown_callee_is_not_analysed_with_location() -> None:
    src = "void f(struct page *page)\n{\n\tif (page)\n\t\tmystery(page);\n}\n"
    with pytest.raises(NotAnalysed, match=r"calls mystery\(\).*mm/x\.c:13"):
        run_c(src, PagePtr(0))


def test_unknown_callee_in_dead_code_is_fine() -> None:
    src = "int f(void)\n{\n\tif (0)\n\t\tmystery();\n\treturn 1;\n}\n"
    assert run_c(src)[0] == 1


def test_unsupported_constructs_are_not_analysed() -> None:
    cases = {
        "int f(int *p)\n{\n\treturn *p;\n}\n": "dereferences 0, not a pointer the model holds",
        "int f(struct page *page)\n{\n\treturn page->mapping->host->ops(page);\n}\n": "call through",
        "int f(void)\n{\n\tasm volatile(\"nop\");\n\treturn 0;\n}\n": "unsupported C",
        "int f(int y)\n{\n\tstruct foo x = y;\n\treturn 0;\n}\n": "initialised from `y`",
    }
    for src, what in cases.items():
        with pytest.raises(NotAnalysed, match=what):
            run_c(src, 0) if "int *p" in src or "int y" in src else run_c(src, PagePtr(0)) if "page" in src else run_c(src)


def test_field_write_through_a_non_page_is_not_analysed() -> None:
    src = "void f(int x)\n{\n\tstruct page *p = 0;\n\tp->memcg_data = x;\n}\n"
    with pytest.raises(NotAnalysed, match="not a struct page pointer"):
        run_c(src, 1)


def test_access_outside_the_allocation_is_not_analysed() -> None:
    src = "void f(struct page *page)\n{\n\tpage[8].private = 1;\n}\n"
    with pytest.raises(NotAnalysed, match="outside the 4-page allocation"):
        run_c(src, PagePtr(0))


def test_revision_function_overrides_model_primitive() -> None:
    """A touched function is interpreted even when the model has a primitive of that name."""
    src = "void put_page(struct page *page)\n{\n\tpage->private = 77;\n}\n"
    _, _, st, cx = run_c(src, PagePtr(0), name="put_page")
    assert st.fields["private"][0] == 77 and "put_page" in cx.called


def test_locations_point_at_the_revision_lines() -> None:
    src = "void f(struct page *page)\n{\n\tint x = 1;\n\n\tput_page_testzero(page);\n}\n"
    _, _, _, cx = run_c(src, PagePtr(0), start_line=5000)
    assert cx.loc == ("mm/x.c", 5004, "put_page_testzero(page);")


def test_model_primitive_wins_over_tree_source() -> None:
    """A kernel function the model has runs as the primitive even when the tree has its source."""
    fake = "bool PageHead(struct page *page)\n{\n\treturn 1;\n}\n"
    src = "bool f(struct page *page)\n{\n\treturn PageHead(page);\n}\n"
    value, steps, _, cx = run_c(src, PagePtr(0), lookup=Tree(PageHead=fake))
    assert value is False and steps == 1 and "PageHead" not in cx.called


def test_preprocessor_test_of_a_macro_outside_kconfig_is_not_analysed() -> None:
    """Only CONFIG_ symbols absent from the kconfig map read as unset; any other macro's value
    is unknown to the interpreter, so the branch it decides is not guessed."""
    cases = (
        "int f(void)\n{\n#if MAX_ORDER > 10\n\treturn 1;\n#endif\n\treturn 2;\n}\n",
        "int f(void)\n{\n#ifdef __HAVE_ARCH_FREE_PAGE\n\treturn 1;\n#endif\n\treturn 2;\n}\n",
        "int f(void)\n{\n#if defined(ARCH_HAS_X) || defined(CONFIG_MEMCG)\n\treturn 1;\n#endif\n\treturn 2;\n}\n",
    )
    for src in cases:
        with pytest.raises(NotAnalysed, match=r"preprocessor .* at mm/x\.c:12"):
            run_c(src)
    # a CONFIG_ symbol the map does not list is unset, as in a .config
    assert run_c("int f(void)\n{\n#ifdef CONFIG_NUMA\n\treturn 1;\n#endif\n\treturn 2;\n}\n")[0] == 2


def test_function_tree_sitter_cannot_parse_is_not_analysed() -> None:
    """An ERROR node inside a statement must not be dropped silently (here the store to r)."""
    src = "int f(void)\n{\n\tint r = 1;\n\tr = r + ;\n\treturn r;\n}\n"
    with pytest.raises(NotAnalysed, match=r"could not parse .* mm/x\.c:13"):
        run_c(src)


def test_return_value_converts_to_the_declared_return_type() -> None:
    assert run_c("bool f(int a)\n{\n\treturn a;\n}\n", 5)[0] == 1
    assert run_c("unsigned int f(int a)\n{\n\treturn a;\n}\n", -1)[0] == 0xFFFFFFFF
    page = run_c("struct page *f(struct page *page)\n{\n\treturn page + 1;\n}\n", PagePtr(0))[0]
    assert page == PagePtr(1)


def test_small_integer_types_wrap_at_their_width() -> None:
    src = "int f(void)\n{\n\tu8 a = 255;\n\tunsigned short b = 65535;\n\ts8 c = 127;\n\ta++; b++; c++;\n\treturn a + b + c;\n}\n"
    assert run_c(src)[0] == 0 + 0 - 128
