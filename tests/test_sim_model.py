"""The kernel model's primitives, each against the behaviour kernel-model-5.12.md states.

Each primitive is run to completion on its own (no interleaving) unless a test drives the
steps by hand to show where another thread can come in.
"""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.sim._errors import NotAnalysed
from reviewer.sim.model import PRIMITIVES
from reviewer.sim.model.free import drain_pcp
from reviewer.sim.model.put import allocate
from reviewer.sim.model.state import (
    BUDDY_MAPCOUNT,
    KMEM,
    MEMCG_M,
    NO_HEAD,
    PG_HEAD,
    TAIL_MAPPING,
    Cpu,
    Gen,
    KernelState,
    ModelOptions,
    PagePtr,
    Where,
)


def block(order: int, *, compound: bool = False, kmem: bool = False, **opts: bool) -> KernelState:
    st = KernelState.empty(1 << order, ModelOptions(**opts))
    allocate(st, order, compound=compound, kmem=kmem)
    return st


def run(st: KernelState, name: str, *args: Any, tid: int = 0) -> tuple[Any, int, Cpu]:
    """Run a primitive to its end; returns (C return value, number of atomic steps, cpu)."""
    cx = Cpu(tid, f"t{tid}", st)
    gen: Gen = PRIMITIVES[name](cx, *args)
    steps = 0
    try:
        while True:
            next(gen)
            steps += 1
    except StopIteration as stop:
        return stop.value, steps, cx


P0, P1, P2 = PagePtr(0), PagePtr(1), PagePtr(2)


def test_allocation_non_compound_kmem() -> None:
    """§3 table: non-compound order 2: refcount 1 on page 0 only, M|KMEM on page 0, M += 4, css +1."""
    st = block(2, kmem=True)
    assert st.fields["refcount"] == [1, 0, 0, 0]
    assert st.fields["memcg_data"] == [MEMCG_M | KMEM, 0, 0, 0]
    assert st.fields["compound_head"] == [NO_HEAD] * 4
    assert st.memcgs[MEMCG_M].charged == 4 and st.memcgs[MEMCG_M].css == 1


def test_allocation_compound() -> None:
    """§3 step 2: PG_head on page 0, tails point at the head with TAIL_MAPPING, order/nr in page[1]."""
    st = block(2, compound=True)
    assert st.fields["flags"][0] == PG_HEAD
    assert st.fields["compound_head"] == [NO_HEAD, 0, 0, 0]
    assert st.fields["mapping"][1:] == [TAIL_MAPPING] * 3
    assert st.fields["compound_order"][1] == 2 and st.fields["compound_nr"][1] == 4


def test_put_page_testzero_is_one_atomic_step() -> None:
    """§2: one atomic decrement, true iff the new value is 0; no compound_head."""
    st = block(1)
    st.fields["refcount"][0] = 2
    assert run(st, "put_page_testzero", P0)[:2] == (False, 1)
    assert run(st, "put_page_testzero", P0)[:2] == (True, 1)
    assert st.fields["refcount"][0] == 0


def test_put_page_testzero_on_zero_is_a_vm_bug_only_with_debug_vm() -> None:
    """§2: DEBUG_VM BUGs if the count was already 0."""
    st = block(0, debug_vm=True)
    st.fields["refcount"][0] = 0
    run(st, "put_page_testzero", P0)
    assert st.vm_bugs
    quiet = block(0)
    quiet.fields["refcount"][0] = 0
    run(quiet, "put_page_testzero", P0)
    assert not quiet.vm_bugs


def test_get_page_unless_zero() -> None:
    """§2: add 1 unless the value is 0; returns whether a reference was taken."""
    st = block(0)
    assert run(st, "get_page_unless_zero", P0)[0] is True
    assert st.fields["refcount"][0] == 2
    st.fields["refcount"][0] = 0
    assert run(st, "get_page_unless_zero", P0)[0] is False
    assert st.fields["refcount"][0] == 0


def test_get_page_goes_to_the_head() -> None:
    """§2: get_page applies compound_head (one load), then increments (a second step)."""
    st = block(1, compound=True)
    _, steps, _ = run(st, "get_page", P1)
    assert steps == 2 and st.fields["refcount"][:2] == [2, 0]


def test_compound_queries() -> None:
    """§2: compound_head of a tail is its head; PageTail/PageCompound; order and nr read PG_head live."""
    st = block(2, compound=True)
    assert run(st, "compound_head", P2)[0] == P0
    assert run(st, "compound_head", P0)[0] == P0
    assert run(st, "PageTail", P2)[0] is True
    assert run(st, "PageCompound", P2)[0] is True
    assert run(st, "PageHead", P0)[0] is True
    assert run(st, "compound_order", P0)[0] == 2
    assert run(st, "compound_nr", P0)[0] == 4
    st.fields["flags"][0] = 0
    assert run(st, "compound_order", P0)[0] == 0 and run(st, "compound_nr", P0)[0] == 1


def test_non_compound_block_has_no_head_or_tails() -> None:
    """§2: for any page of a non-compound block compound_head returns the page itself."""
    st = block(2)
    assert run(st, "compound_head", P2)[0] == P2
    assert run(st, "PageHead", P0)[0] is False and run(st, "PageCompound", P2)[0] is False


def test_page_memcg_masks_flag_bits_and_kmem_is_a_memcg_data_bit() -> None:
    """§1: page_memcg masks the two low bits; PageMemcgKmem tests bit 1 of memcg_data."""
    st = block(0, kmem=True)
    assert run(st, "page_memcg", P0)[0] == MEMCG_M
    assert run(st, "PageMemcgKmem", P0)[0] is True


def test_mem_cgroup_uncharge_single_page() -> None:
    """§5.1-5.3: compound_nr (1 for non-compound) pages uncharged, memcg_data cleared, css -1 net."""
    st = block(2, kmem=True)
    run(st, "mem_cgroup_uncharge", P0)
    m = st.memcgs[MEMCG_M]
    assert m.charged == 3 and m.css == 0 and st.fields["memcg_data"][0] == 0


def test_mem_cgroup_uncharge_compound_uses_compound_nr() -> None:
    """§5.2 step 3: a compound head with PG_head still set uncharges 2^order."""
    st = block(2, compound=True, kmem=True)
    run(st, "mem_cgroup_uncharge", P0)
    assert st.memcgs[MEMCG_M].charged == 0 and st.memcgs[MEMCG_M].css == 0


def test_mem_cgroup_uncharge_without_memcg_is_a_no_op() -> None:
    """§5.1: returns at once when page_memcg is NULL."""
    st = block(1)
    _, steps, _ = run(st, "mem_cgroup_uncharge", P0)
    assert steps == 1 and st.memcgs[MEMCG_M].charged == 0


def test_kmem_uncharge_uses_the_call_order() -> None:
    """§5.4: uncharge 1 << order of this call, clear memcg_data, one css_put whatever the order."""
    st = block(2, kmem=True)
    run(st, "__memcg_kmem_uncharge_page", P0, 1)
    m = st.memcgs[MEMCG_M]
    assert m.charged == 2 and m.css == 0 and st.fields["memcg_data"][0] == 0


def test_split_page_memcg_copies_the_word_and_takes_references() -> None:
    """§5.6: every tail gets head->memcg_data (KMEM bit included); css_get_many(nr - 1)."""
    st = block(2, kmem=True)
    run(st, "split_page_memcg", P0, 4)
    assert st.fields["memcg_data"] == [MEMCG_M | KMEM] * 4
    assert st.memcgs[MEMCG_M].css == 4


def test_split_page_memcg_rereads_head_each_iteration() -> None:
    """§5.6: the head is re-read per tail, so clearing it mid-loop stops the later copies, while
    css_get_many still takes nr - 1 references (the memcg was read once, first)."""
    st = block(2, kmem=True)
    cx = Cpu(0, "owner", st)
    gen = PRIMITIVES["split_page_memcg"](cx, P0, 4)
    for _ in range(3):  # page_memcg(head); load head, store P1
        next(gen)
    st.fields["memcg_data"][0] = 0  # another thread uncharges the head here
    for _ in gen:
        pass
    assert st.fields["memcg_data"][1:] == [MEMCG_M | KMEM, 0, 0]
    assert st.memcgs[MEMCG_M].css == 4


def test_split_page_memcg_hoisted_load_switch() -> None:
    """§5.6 unsure: with the hoisting switch the head is loaded once, so every tail gets the copy."""
    st = block(2, kmem=True, split_hoists_head_load=True)
    cx = Cpu(0, "owner", st)
    gen = PRIMITIVES["split_page_memcg"](cx, P0, 4)
    for _ in range(3):
        next(gen)
    st.fields["memcg_data"][0] = 0
    for _ in gen:
        pass
    assert st.fields["memcg_data"][1:] == [MEMCG_M | KMEM] * 3


def test_split_page_memcg_with_no_memcg_does_nothing() -> None:
    """§5.6 step 1: return if the head has no memcg."""
    st = block(2)
    run(st, "split_page_memcg", P0, 4)
    assert st.fields["memcg_data"] == [0] * 4 and st.memcgs[MEMCG_M].css == 0


def test_split_page_sets_refcounts() -> None:
    """§5.7: refcount 1 on pages 1..2^order-1, then split_page_memcg."""
    st = block(2, kmem=True)
    run(st, "split_page", P0, 2)
    assert st.fields["refcount"] == [1, 1, 1, 1] and st.memcgs[MEMCG_M].css == 4


def test_free_the_page_higher_order_uncharges_and_returns_block() -> None:
    """§4.4/4.6/4.7: order > 0 goes to __free_pages_ok; kmem uncharge 2^order; block becomes buddy."""
    st = block(2, kmem=True)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 2)
    assert st.where == [Where.BUDDY] + [Where.IN_FREE_BLOCK] * 3
    assert st.fields["mapcount"][0] == BUDDY_MAPCOUNT and st.fields["private"][0] == 2
    assert st.memcgs[MEMCG_M].charged == 0 and st.memcgs[MEMCG_M].css == 0


def test_free_the_page_order0_goes_to_pcp_and_drain_checks_it() -> None:
    """§4.5: order 0 goes to the pcp list (not PageBuddy); the drain moves it to buddy."""
    st = block(0)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 0)
    assert st.where == [Where.PCP] and st.fields["mapcount"][0] == -1
    cx = Cpu(-1, "drain", st)
    for _ in drain_pcp(cx):
        pass
    assert st.where == [Where.BUDDY]


def test_head_check_deferred_to_drain_without_debug_vm() -> None:
    """§4.5: without DEBUG_VM the order-0 head check is skipped at free time, done at the drain."""
    st = block(0)  # refcount still 1: a bad page
    run(st, "free_the_page", P0, 0)
    assert st.where == [Where.PCP] and not st.bad_pages
    for _ in drain_pcp(Cpu(-1, "drain", st)):
        pass
    assert st.bad_pages == [(0, "nonzero _refcount")] and st.where == [Where.LOST]


def test_head_check_at_free_time_with_debug_vm() -> None:
    """§4.5: with DEBUG_VM free_pcp_prepare checks the head at once; a bad page is dropped."""
    st = block(0, debug_vm=True)
    run(st, "free_the_page", P0, 0)
    assert st.bad_pages == [(0, "nonzero _refcount")] and st.where == [Where.LOST]


def test_free_pages_prepare_step_order_uncharges_before_bailing_out() -> None:
    """§4.7 steps 3-7: a charged tail is bad, the head is still uncharged, then the free fails;
    PG_head is not cleared because step 8 is skipped."""
    st = block(1, compound=True, kmem=True)
    st.fields["refcount"][0] = 0
    st.fields["memcg_data"][1] = MEMCG_M | KMEM
    ok, _, _ = run(st, "free_pages_prepare", P0, 1)
    assert ok is False
    assert st.bad_pages == [(1, "page still charged to cgroup")]
    assert st.memcgs[MEMCG_M].charged == 0  # 2 charged, 2 uncharged: the head's order
    assert st.fields["flags"][0] == PG_HEAD


def test_bad_reason_last_match_wins_and_buddy_is_nonzero_mapcount() -> None:
    """§4.8: a PageBuddy page fails with "nonzero mapcount"; the last matching reason wins."""
    st = block(1)
    st.fields["refcount"][0] = 0
    st.fields["mapcount"][1] = BUDDY_MAPCOUNT
    run(st, "free_the_page", P0, 1)
    assert st.bad_pages == [(1, "nonzero mapcount")]
    assert st.fields["mapcount"][1] == -1  # bad_page resets _mapcount: PageBuddy gone
    st2 = block(1)
    st2.fields["refcount"][0] = 0
    st2.fields["mapcount"][1] = BUDDY_MAPCOUNT
    st2.fields["refcount"][1] = 1
    run(st2, "free_the_page", P0, 1)
    assert st2.bad_pages == [(1, "nonzero _refcount")]


def test_free_tail_pages_check_clears_tails() -> None:
    """§4.8: compound tails stop being tails in the tail loop (mapping and compound_head cleared)."""
    st = block(2, compound=True)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 2)
    assert st.fields["compound_head"] == [NO_HEAD] * 4 and st.fields["mapping"] == [0] * 4
    assert st.fields["flags"][0] == 0 and not st.bad_pages


def test_double_free_inside_a_free_block_is_not_a_bad_page() -> None:
    """§4.6/4.8: non-head pages of a free block look clean; freeing them again is not detected."""
    st = block(2)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 2)
    run(st, "free_the_page", P2, 1, tid=1)
    assert not st.bad_pages and st.double_freed == {2, 3}


def test_buddies_merge_only_at_equal_order() -> None:
    """§4.6 step 3: [P2,P3] at order 1 then [P0,P1] at order 1 merge into one order-2 block."""
    st = block(2)
    run(st, "free_the_page", P2, 1)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 1)
    assert st.where[0] is Where.BUDDY and st.fields["private"][0] == 2
    assert st.where[2] is Where.IN_FREE_BLOCK and st.fields["mapcount"][2] == -1


def test_put_page_non_compound_frees_only_page0() -> None:
    """§4.9/4.10: last put of a non-compound page uncharges 1 and frees page 0 at order 0."""
    st = block(2, kmem=True)
    run(st, "put_page", P0)
    assert st.where == [Where.PCP] + [Where.ALLOCATED] * 3
    assert st.memcgs[MEMCG_M].charged == 3 and st.memcgs[MEMCG_M].css == 0


def test_put_page_compound_runs_the_destructor() -> None:
    """§4.10: free_compound_page uncharges compound_nr, then frees the whole block; PG_head cleared."""
    st = block(2, compound=True, kmem=True)
    run(st, "put_page", P2)  # a tail: compound_head finds the head
    assert st.where == [Where.BUDDY] + [Where.IN_FREE_BLOCK] * 3
    assert st.memcgs[MEMCG_M].charged == 0 and st.fields["flags"][0] == 0


def test_free_pages_v512_frees_tails_on_a_non_final_put() -> None:
    """§4.1: the e320d3012d25 body: a non-final put of a non-compound block frees [P2,P3] and [P1]."""
    st = block(2)
    st.fields["refcount"][0] = 2
    run(st, "__free_pages", P0, 2)
    assert st.where == [Where.ALLOCATED, Where.PCP, Where.BUDDY, Where.IN_FREE_BLOCK]


def test_primitives_reject_non_page_arguments() -> None:
    """A primitive given something other than a struct page pointer is not analysed, not guessed."""
    st = block(0)
    with pytest.raises(NotAnalysed, match="not a struct page pointer"):
        run(st, "PageHead", 5)


def test_css_put_many_and_get() -> None:
    """css_get/css_put/css_get_many move the reference count by 1 / n."""
    st = block(0)
    run(st, "css_get_many", MEMCG_M, 3)
    run(st, "css_put", MEMCG_M)
    run(st, "css_put_many", MEMCG_M, 2)
    assert st.memcgs[MEMCG_M].css == 0


def test_debug_vm_compound_order_mismatch_is_a_vm_bug() -> None:
    """§4.7 step 3: DEBUG_VM BUGs if a compound page is freed with the wrong order."""
    st = block(2, compound=True, debug_vm=True)
    st.fields["refcount"][0] = 0
    run(st, "free_the_page", P0, 1)
    assert any("compound_order(P0) 2 != order 1" in b for b in st.vm_bugs)


def test_debug_vm_free_tail_pages_check_reports_corrupted_tails() -> None:
    """§4.8: with DEBUG_VM a tail whose compound_head points elsewhere is a bad page."""
    st = block(2, compound=True, debug_vm=True)
    st.fields["refcount"][0] = 0
    st.fields["compound_head"][3] = 1
    run(st, "free_the_page", P0, 2)
    assert (3, "compound_head not consistent") in st.bad_pages
    assert st.where[0] is Where.LOST


def test_kmem_charge_page_from_c() -> None:
    """§3 step 3 / §5.5: charge 1 << order to the task's memcg, memcg_data on page 0, one css ref."""
    st = block(1)
    assert run(st, "__memcg_kmem_charge_page", P0, 0, 1)[0] == 0
    assert st.fields["memcg_data"] == [MEMCG_M | KMEM, 0]
    assert st.memcgs[MEMCG_M].charged == 2 and st.memcgs[MEMCG_M].css == 1
