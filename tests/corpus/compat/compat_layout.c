// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned-map compatibility fixtures (tests/e2e/reliability_conflict.rs). One pinned hash
 * map, `compat_map`, whose definition the build varies:
 *   compat_a.o          key __u32, value struct { __u32 a; __u32 b; }, 1024 entries
 *   compat_b_fields.o   value struct { __u32 b; __u32 a; }: same sizes, other fields
 *   compat_c_entries.o  2048 entries
 * A trivial sockops program uses it so that the object has something to load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef ENTRIES
#define ENTRIES 1024
#endif

struct compat_val {
#ifdef SWAP_FIELDS
	__u32 b;
	__u32 a;
#else
	__u32 a;
	__u32 b;
#endif
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENTRIES);
	__type(key, __u32);
	__type(value, struct compat_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} compat_map SEC(".maps");

SEC("sockops")
int compat_prog(struct bpf_sock_ops *skops)
{
	__u32 key = 0;
	struct compat_val *v = bpf_map_lookup_elem(&compat_map, &key);

	if (v)
		__sync_fetch_and_add(&v->a, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
