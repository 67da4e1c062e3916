"""The interpreter's C beyond the seed: switch, goto, pointers, arrays, statics, sizeof, unsigned
arithmetic, statement expressions, macros from the tree; the primitive layer (atomics, bit
operations, assertions, no-op hooks); loops that never end."""

from __future__ import annotations

import pytest
from test_sim_interp import KCONFIG, Tree, run_c

from reviewer.model import FunctionImage
from reviewer.sim._errors import BudgetExceeded, NotAnalysed
from reviewer.sim.interp import Program
from reviewer.sim.model.put import allocate
from reviewer.sim.model.state import PG_HEAD, Cpu, KernelState, ModelOptions, PagePtr
from reviewer.sim.resolve import MacroDef, ResolvedMacro


class MacroTree(Tree):
    """A SourceLookup with macros and enum constants too, as a tree's index answers them."""

    def __init__(self, macros: dict[str, str], constants: dict[str, int] | None = None, **sources: str) -> None:
        """``macros``: ``{"NAME(a, b)": "body"}`` or ``{"NAME": "body"}``."""
        super().__init__(**sources)
        self.macros: dict[str, MacroDef] = {}
        for head, body in macros.items():
            name, paren, rest = head.partition("(")
            params = tuple(p.strip() for p in rest.rstrip(")").split(",") if p.strip()) if paren else None
            self.macros[name] = MacroDef(name, params, body, 1)
        self.constants = constants or {}

    def macro(self, name: str) -> ResolvedMacro | None:
        found = self.macros.get(name)
        return None if found is None else ResolvedMacro(found, "include/linux/x.h")

    def constant(self, name: str) -> int | None:
        return self.constants.get(name)


def test_switch_with_fallthrough_default_and_break() -> None:
    src = """int f(int x)
{
	int r = 0;
	switch (x) {
	case 1:
		r += 1;
	case 2:
		r += 10;
		break;
	case 3:
		return 300;
	default:
		r = -1;
	}
	return r;
}
"""
    assert [run_c(src, x)[0] for x in (1, 2, 3, 9)] == [11, 10, 300, -1]


def test_goto_forward_to_cleanup_and_backward_retry() -> None:
    src = """int f(int n)
{
	int tries = 0;
retry:
	tries++;
	if (tries < n)
		goto retry;
	if (n > 5)
		goto out;
	tries += 100;
out:
	return tries;
}
"""
    assert run_c(src, 3)[0] == 103
    assert run_c(src, 7)[0] == 7


def test_pointers_to_locals_arrays_and_sizeof() -> None:
    src = """int f(void)
{
	int a[4] = { 1, 2 };
	int x = 5;
	int *p = &x;
	int *q = &a[1];

	*p += 1;
	q[1] = 7;
	*(q + 2) = sizeof(struct page) + sizeof(x) + sizeof(unsigned long);
	return x * 1000 + a[0] + a[1] * 10 + a[2] * 100 + a[3];
}
"""
    assert run_c(src)[0] == 6000 + 1 + 20 + 700 + (64 + 4 + 8)


def test_static_local_lives_in_the_state_and_is_shared() -> None:
    src = "int f(void)\n{\n\tstatic int calls = 10;\n\n\tcalls++;\n\treturn calls;\n}\n"
    value, steps, st, _ = run_c(src)
    assert value == 11 and {k: v for k, v in st.globals.items() if k.startswith("f::")} == {"f::calls": 11} and steps == 3  # load, store, load


def test_unsigned_wraps_inside_expressions() -> None:
    src = """int f(unsigned int a)
{
	unsigned long big = 1;
	int r = 0;

	if (a - 1 > 5)
		r += 1;
	if (-1 < 0u)
		r += 10;
	if ((unsigned char)(a + 255) == 254)
		r += 100;
	return r + ((0u - 1) >> 31) * 1000 + (int)((big << 63) >> 62);
}
"""
    assert run_c(src, 0)[0] == 1 + 1000 + 2


def test_comma_compound_literal_and_statement_expression() -> None:
    src = "int f(int a)\n{\n\tint b = (a++, a * 2);\n\treturn b + (int){3} + ({ int t = a; t + 1; });\n}\n"
    assert run_c(src, 4)[0] == 10 + 3 + 6


def test_atomics_on_page_refcount_are_one_step_each() -> None:
    src = """int f(struct page *page)
{
	atomic_inc(&page->_refcount);
	atomic_add(3, &page->_refcount);
	if (atomic_sub_and_test(4, &page->_refcount))
		return -1;
	return atomic_dec_return(&page->_refcount) * 10 + atomic_read(&page->_refcount) +
		atomic_cmpxchg(&page->_refcount, 0, 5) * 100;
}
"""
    value, steps, st, _ = run_c(src, PagePtr(0))
    assert value == 0 * 10 + 0 + 0 * 100 and st.fields["refcount"][0] == 5 and steps == 6


def test_atomics_on_locals_and_page_ref_helpers_from_the_tree() -> None:
    tree = Tree(page_ref_dec_and_test="int page_ref_dec_and_test(struct page *page)\n{\n"
                "\tint ret = atomic_dec_and_test(&page->_refcount);\n\treturn ret;\n}\n")
    src = """int f(struct page *page)
{
	atomic_t local;

	atomic_set(&local, 2);
	atomic_long_inc(&local);
	return atomic_read(&local) * 10 + page_ref_dec_and_test(page);
}
"""
    value, _, st, _ = run_c(src, PagePtr(0), lookup=tree)
    assert value == 31 and st.fields["refcount"][0] == 0


def test_bit_operations_on_page_flags() -> None:
    src = """int f(struct page *page)
{
	__set_bit(16, &page->flags);
	set_bit(4, &page[1].flags);
	return test_bit(16, &page->flags) + 10 * test_and_clear_bit(4, &page[1].flags) +
		100 * test_bit(4, &page[1].flags);
}
"""
    value, _, st, _ = run_c(src, PagePtr(0))
    assert value == 11 and st.fields["flags"][0] == PG_HEAD and st.fields["flags"][1] == 0


def test_compound_head_encoding_round_trips() -> None:
    """set_compound_head stores head + 1; reading it back decodes the tail, as the kernel's
    compound_head() does with `head & 1` and `head - 1`."""
    src = """struct page *f(struct page *page)
{
	unsigned long head;

	WRITE_ONCE(page[1].compound_head, (unsigned long)page + 1);
	head = READ_ONCE(page[1].compound_head);
	if (head & 1)
		return (struct page *)(head - 1);
	return page + 3;
}
"""
    value, _, st, _ = run_c(src, PagePtr(0))
    assert value == PagePtr(0) and st.fields["compound_head"][1] == 0


def test_assertions_record_the_failed_condition() -> None:
    src = "void f(struct page *page)\n{\n\tWARN_ON_ONCE(page_count(page) != 2);\n\tVM_BUG_ON_PAGE(PageTail(page), page);\n}\n"
    _, _, st, _ = run_c(src, PagePtr(0))
    assert st.vm_bugs == ["WARN_ON_ONCE(page_count(page) != 2) failed at mm/x.c:12"]
    image = FunctionImage("f", "mm/x.c", 10, 14, src.replace("PageTail(page)", "!PageTail(page)"))
    program = Program({"f": image}, kconfig=KCONFIG, lookup=None, debug_vm=True)
    st2 = KernelState.empty(4, ModelOptions(debug_vm=True))
    allocate(st2, 2, compound=False, kmem=False)
    cx = Cpu(0, "t", st2)
    for _ in program.function("f")(cx, [PagePtr(0)]):
        pass
    assert "VM_BUG_ON_PAGE(!PageTail(page)) failed at mm/x.c:13" in st2.vm_bugs


def test_macros_from_the_tree_expand_in_the_caller() -> None:
    """A function-like macro (do { } while (0) included) and an object-like one are expanded by
    pcpp from the tree's definition; an enum constant comes from the tree's index."""
    tree = MacroTree({
        "set_twice(p, v)": "do { (p)->private = (v); (p)->private += (v); } while (0)",
        "PAGE_MAGIC": "(0x40 | PG_X)",
        "pick(a, b)": "((a) > (b) ? (a) : (b))",
    }, {"PG_X": 2})
    src = "int f(struct page *page)\n{\n\tset_twice(page, PAGE_MAGIC);\n\treturn pick(page->private, 7);\n}\n"
    value, _, st, _ = run_c(src, PagePtr(0), lookup=tree)
    assert value == 0x84 and st.fields["private"][0] == 0x84


def test_no_op_hooks_and_barriers_take_no_step() -> None:
    src = "void f(struct page *page)\n{\n\tsmp_mb();\n\ttrace_mm_page_free(page, 0);\n\tspin_lock(&x);\n}\n"
    with pytest.raises(NotAnalysed, match="`x` is not a variable the interpreter knows"):
        run_c(src, PagePtr(0))
    value, steps, _, _ = run_c(src.replace("\tspin_lock(&x);\n", ""), PagePtr(0))
    assert value is None and steps == 0


def test_a_loop_that_never_ends_exceeds_the_budget() -> None:
    src = "void f(struct page *page)\n{\n\tint i = 0;\n\n\twhile (1)\n\t\ti++;\n}\n"
    with pytest.raises(BudgetExceeded, match=r"more than 5000 loop iterations .* mm/x\.c"):
        run_c(src, PagePtr(0))


def test_a_sketch_missing_a_semicolon_and_a_declaration_runs_with_repairs() -> None:
    src = "int f(struct page *page)\n{\n\tfor (i = 1; i < 4; i++)\n\t\tpage[i].private = i\n\treturn 0;\n}\n"
    image = FunctionImage("f", "mm/x.c", 10, 15, src)
    program = Program({"f": image}, kconfig=KCONFIG, lookup=None, debug_vm=False)
    st = KernelState.empty(4, ModelOptions())
    cx = Cpu(0, "t", st)
    for _ in program.function("f")(cx, [PagePtr(0)]):
        pass
    assert st.fields["private"] == [0, 1, 2, 3]
    assert any("`i` is not declared" in r for r in program.repairs)
    assert any("';' missing" in r and "mm/x.c:13" in r for r in program.repairs)



def test_members_outside_the_model_and_globals_are_memory_of_their_type() -> None:
    """page->lru and a global array: memory the model does not lay out, each member a shared
    location; unwritten, a list head is an empty list; container_of walks back to the page."""

    class Globals(MacroTree):
        def global_type(self, name: str) -> str | None:
            return "struct list_head[]" if name == "free_lists" else None

        def struct_layout(self, name: str) -> dict[str, str] | None:
            return {"next": "struct list_head *", "prev": "struct list_head *"} if name == "list_head" else None

    src = """int f(struct page *page)
{
	struct list_head *head = &free_lists[2];

	page->lru.next = head;
	head->prev = &page->lru;
	return (page_of(head->prev) == page) + 10 * (free_lists[1].next == &free_lists[1]);
}
"""
    value, steps, st, _ = run_c(src, PagePtr(0), lookup=Globals({"page_of(p)": "container_of(p, struct page, lru)"}))
    assert value == 11 and steps == 4
    assert st.globals["P0.lru.next"].key() == "free_lists[2]"


def test_xchg_cmpxchg_and_type_taking_macros() -> None:
    """xchg()/cmpxchg() on any word are one step; min_t() and list_first_entry() (a type as an
    argument, which pcpp turns into something C can parse) expand from the index's predefinitions."""
    tree = MacroTree({"first_page(head)": "list_first_entry(head, struct page, lru)",
                      "smaller(a, b)": "min_t(unsigned int, a, b)"})
    src = """int f(struct page *page)
{
	unsigned long old = xchg(&page->private, 5);

	page->lru.next = &page[1].lru;
	return old + 10 * cmpxchg(&page->private, 5, 7) + 100 * smaller(3, 9) +
		1000 * (first_page(&page->lru) == page + 1);
}
"""
    value, steps, st, _ = run_c(src, PagePtr(0), lookup=tree)
    assert value == 0 + 50 + 300 + 1000 and st.fields["private"][0] == 7 and steps == 4


def test_a_struct_on_the_stack_declared_by_a_macro() -> None:
    """LIST_HEAD(x) declares an initialised list head in the caller's scope; list_add from the
    tree then links a page into it."""
    layout = {"next": "struct list_head *", "prev": "struct list_head *"}

    class Lists(MacroTree):
        def struct_layout(self, name: str) -> dict[str, str] | None:
            return layout if name == "list_head" else None

    tree = Lists({"LIST_HEAD(name)": "struct list_head name = LIST_HEAD_INIT(name)",
                  "LIST_HEAD_INIT(name)": "{ &(name), &(name) }"},
                 list_add="void list_add(struct list_head *new, struct list_head *head)\n{\n"
                          "\tnew->next = head->next;\n\tnew->prev = head;\n\thead->next->prev = new;\n"
                          "\thead->next = new;\n}\n")
    src = """int f(struct page *page)
{
	LIST_HEAD(local);
	int was_empty = local.next == &local;

	list_add(&page->lru, &local);
	return was_empty + 10 * (local.next == &page->lru) + 100 * (page->lru.next == &local);
}
"""
    assert run_c(src, PagePtr(0), lookup=tree)[0] == 111


def test_memset_of_a_struct_zeroes_it() -> None:
    """memset(p, 0, sizeof(*p)) of a struct on the stack: members written before read 0, and an
    unwritten pointer member is NULL rather than an object of its type."""

    class Layouts(MacroTree):
        def struct_layout(self, name: str) -> dict[str, str] | None:
            return {"nr": "unsigned long", "memcg": "struct mem_cgroup *"} if name == "gather" else None

    src = """int f(void)
{
	struct gather g;
	struct gather *p = &g;
	int before;

	p->nr = 5;
	before = p->nr + 10 * (p->memcg != 0);
	memset(p, 0, sizeof(*p));
	return before + 100 * p->nr + 1000 * (p->memcg != 0);
}
"""
    assert run_c(src, lookup=Layouts({}))[0] == 15


def test_a_function_passed_as_a_callback() -> None:
    """pagevec_lru_move_fn(pvec, move_fn) style: a function designator as a value, called
    through a parameter or a local function pointer."""
    tree = Tree(twice="int twice(int x)\n{\n\treturn x + x;\n}\n",
                apply="int apply(int (*fn)(int), int v)\n{\n\treturn fn(v) + (*fn)(1);\n}\n")
    src = "int f(void)\n{\n\tint (*g)(int) = twice;\n\n\treturn apply(twice, 4) + g(10);\n}\n"
    assert run_c(src, lookup=tree)[0] == 8 + 2 + 20


def test_a_revision_passing_types_to_macros_parses() -> None:
    """min_t(unsigned int, ...) and list_first_entry(head, struct page, lru) in a revision's own
    code (which the preprocessor does not see) run, with or without the tree's definitions."""
    src = """static __always_inline int f(struct page *page)
{
	page->lru.next = &page[2].lru;
	return min_t(unsigned int, 7, 3) + 10 * (list_first_entry(&page->lru, struct page, lru) == page + 2);
}
"""
    assert run_c(src, PagePtr(0))[0] == 13


_LIST_LAYOUT = {"next": "struct list_head *", "prev": "struct list_head *"}
_LIST_MACROS = {  # include/linux/list.h, 5.12.9
    "LIST_HEAD(name)": "struct list_head name = LIST_HEAD_INIT(name)",
    "LIST_HEAD_INIT(name)": "{ &(name), &(name) }",
    "list_entry(ptr, type, member)": "container_of(ptr, type, member)",
    "list_first_entry(ptr, type, member)": "list_entry((ptr)->next, type, member)",
    "list_next_entry(pos, member)": "list_entry((pos)->member.next, typeof(*(pos)), member)",
    "list_entry_is_head(pos, head, member)": "(&pos->member == (head))",
    "list_for_each_entry(pos, head, member)": "for (pos = list_first_entry(head, typeof(*pos), member); "
                                              "!list_entry_is_head(pos, head, member); "
                                              "pos = list_next_entry(pos, member))",
    "for_each_page(pos, head)": "list_for_each_entry(pos, head, lru)",
}


class _Lists(MacroTree):
    def struct_layout(self, name: str) -> dict[str, str] | None:
        return _LIST_LAYOUT if name == "list_head" else None


def test_loop_macros_run_their_body_whatever_statement_it_is() -> None:
    """list_for_each_entry(pos, head, lru) and a macro defined as one: the statement after the
    use is the loop's body (a call, an assignment, a block), not a statement after a loop with
    no body; an empty list runs it never (its head, taken as an entry by container_of, is where
    the walk stops)."""
    src = """int f(struct page *page)
{
	LIST_HEAD(l);
	LIST_HEAD(empty);
	struct page *pos;
	int n = 0, calls = 0, none = 0;

	list_add(&page->lru, &l);
	list_add(&page[2].lru, &l);
	list_for_each_entry(pos, &l, lru)
		n += page_to_pfn(pos) - page_to_pfn(page) + 1;
	for_each_page(pos, &l) {
		calls++;
		pos->private = calls;
	}
	list_for_each_entry(pos, &empty, lru)
		none = count(pos);
	return n + 10 * calls + 100 * none;
}
"""
    tree = _Lists(_LIST_MACROS,
                  list_add="void list_add(struct list_head *new, struct list_head *head)\n{\n"
                           "\tnew->next = head->next;\n\tnew->prev = head;\n\thead->next->prev = new;\n"
                           "\thead->next = new;\n}\n",
                  count="int count(struct page *p)\n{\n\treturn 1;\n}\n")
    value, _, st, _ = run_c(src, PagePtr(0), lookup=tree)
    program = Program({}, kconfig=KCONFIG, lookup=tree, debug_vm=False)
    assert program.loop_macro("for_each_page", "for_each_page(p, h)") is not None
    assert value == (3 + 1) + 10 * 2 and st.fields["private"][2] == 1 and st.fields["private"][0] == 2


def test_container_of_an_object_only_a_pointer_leads_to_is_not_guessed() -> None:
    """A memcg's memory.parent read from unwritten memory points at a page_counter of its own;
    which mem_cgroup holds it the model cannot say (every parent set would make the hierarchy
    endless), so container_of on it is not analysed rather than invented."""

    class Memcgs(MacroTree):
        def global_type(self, name: str) -> str | None:
            return "struct mem_cgroup" if name == "some_memcg" else None

        def struct_layout(self, name: str) -> dict[str, str] | None:
            return {"memory": "struct page_counter"} if name == "mem_cgroup" else \
                {"parent": "struct page_counter *"} if name == "page_counter" else None

    src = "int f(void)\n{\n\treturn container_of(some_memcg.memory.parent, struct mem_cgroup, memory) != 0;\n}\n"
    with pytest.raises(NotAnalysed, match="not that member"):
        run_c(src, lookup=Memcgs({}))


def test_an_array_member_read_as_a_value_is_its_first_elements_address() -> None:
    """release_pages(pvec->pages, pvec->nr): the array decays to &pvec->pages[0], and the callee
    indexes it as a pointer (struct pagevec as include/linux/pagevec.h lays it out)."""

    class Pagevec(MacroTree):
        def global_type(self, name: str) -> str | None:
            return "struct pagevec" if name == "pvec_global" else None

        def struct_layout(self, name: str) -> dict[str, str] | None:
            return {"nr": "unsigned char", "percpu_pvec_drained": "bool",
                    "pages": "struct page *[]"} if name == "pagevec" else None

    tree = Pagevec({}, sum_pfns="int sum_pfns(struct page **pages, int nr)\n{\n\tint i, s = 0;\n\n"
                                "\tfor (i = 0; i < nr; i++)\n\t\ts += page_to_pfn(pages[i]) & 0xff;\n"
                                "\treturn s;\n}\n")
    src = """int f(struct page *page)
{
	struct pagevec *pvec = &pvec_global;

	pvec->pages[pvec->nr++] = page + 1;
	pvec->pages[pvec->nr++] = page + 3;
	return sum_pfns(pvec->pages, pvec->nr);
}
"""
    assert run_c(src, PagePtr(0), lookup=tree)[0] == 4
