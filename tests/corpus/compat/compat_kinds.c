// SPDX-License-Identifier: GPL-2.0
/*
 * Maps whose kernel-reported definition differs from what the object says unless the loader
 * accounts for it (tests/e2e/reliability_conflict.rs): loading this object twice must reuse
 * every pinned map.
 *   kinds_ringbuf   max_entries 1000: created as one page (power-of-two multiple of the page)
 *   kinds_rdonly    BPF_F_RDONLY: a flag of the fd, which the kernel does not keep
 *   kinds_numa      numa_node = 0: the loader adds BPF_F_NUMA_NODE
 *   kinds_lru       BPF_F_NO_COMMON_LRU
 *   kinds_mmap      BPF_F_MMAPABLE array
 *   kinds_bloom     bloom filter with map_extra (number of hash functions)
 *   kinds_progs     prog array with a static initial value: written once at creation,
 *                   never again when reused
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1000);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_RDONLY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_rdonly SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(numa_node, 0);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_numa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_mmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kinds_bloom SEC(".maps");

SEC("sockops")
int kinds_tail(struct bpf_sock_ops *skops)
{
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, int (void *));
} kinds_progs SEC(".maps") = {
	.values = { [0] = (void *)&kinds_tail },
};

SEC("sockops")
int kinds_main(struct bpf_sock_ops *skops)
{
	__u32 key = 0;
	__u64 *v;
	__u32 *r;

	bpf_tail_call(skops, &kinds_progs, 0);
	v = bpf_map_lookup_elem(&kinds_rdonly, &key);
	if (v)
		return 1;
	v = bpf_map_lookup_elem(&kinds_numa, &key);
	if (v)
		return 1;
	v = bpf_map_lookup_elem(&kinds_lru, &key);
	if (v)
		return 1;
	v = bpf_map_lookup_elem(&kinds_mmap, &key);
	if (v)
		return 1;
	if (bpf_map_peek_elem(&kinds_bloom, &key) == 0)
		return 1;
	r = bpf_ringbuf_reserve(&kinds_ringbuf, sizeof(*r), 0);
	if (r)
		bpf_ringbuf_discard(r, 0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
