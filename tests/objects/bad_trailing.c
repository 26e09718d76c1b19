// SPDX-License-Identifier: GPL-2.0
/*
 * Refused on purpose: a 32-byte legacy map definition whose bytes past struct bpf_map_def
 * (28 bytes) are not zero. rawbpf must name the map in its error.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_32 {
	unsigned int type, key_size, value_size, max_entries, map_flags;
	unsigned int inner_map_idx, numa_node, mystery;
};

struct bpf_map_def_32 __attribute__((section("maps"), used)) odd_map = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 1,
	.mystery = 7,
};

__attribute__((section("socket"), used))
int odd_prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&odd_map, &k) != 0;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
