// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF arena (BPF_MAP_TYPE_ARENA, Linux 6.9+) in the style of the kernel selftests'
 * arena programs (progs/arena_list.c) and libbpf-bootstrap: max_entries is the number of
 * pages, BPF_F_MMAPABLE is required, and map_extra, given with libbpf's __ulong(), is the
 * user-space address the arena is mapped at. A syscall program allocates a page with the
 * bpf_arena_alloc_pages kfunc and frees it again.
 *
 * The selftests put the arena at 1 << 44; clang 14 (this machine's) has no BTF_KIND_ENUM64
 * and would keep only the low 32 bits of such a value (rawbpf refuses that object, naming
 * clang 15), so this one sits at 1 GiB, which a 32-bit BTF enum holds exactly.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.4's definition; the libbpf-dev 1.1 here predates it. */
#ifndef __ulong
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name
#endif

#define ARENA_MAP_TYPE 33	/* BPF_MAP_TYPE_ARENA: newer than this uapi header */
#define ARENA_PAGES 4

struct {
	__uint(type, ARENA_MAP_TYPE);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ARENA_PAGES);
	__ulong(map_extra, 0x40000000ull);	/* start of the user-space mapping */
} arena SEC(".maps");

void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_cnt, int node_id,
			    __u64 flags) __ksym;
void bpf_arena_free_pages(void *map, void *ptr, __u32 page_cnt) __ksym;

__u64 allocated;

SEC("syscall")
int arena_alloc(void *ctx)
{
	void *page = bpf_arena_alloc_pages(&arena, 0, 1, -1 /* NUMA_NO_NODE */, 0);

	if (!page)
		return 1;
	allocated = (unsigned long)page;
	bpf_arena_free_pages(&arena, page, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
